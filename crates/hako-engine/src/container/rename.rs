//! `POST /containers/{id}/rename?name=`.

use tracing::instrument;

use super::create::container_attributes;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::{names, state};

impl Engine {
    /// Gives a container a new name (Docker's validation and messages).
    #[instrument(skip(self), fields(container.id = id))]
    pub async fn container_rename(&self, id: &str, new_name: &str) -> Result<()> {
        let entry = self.containers.get(id)?;
        let new_name = new_name.strip_prefix('/').unwrap_or(new_name);
        if new_name.is_empty() {
            return Err(EngineError::InvalidParameter(
                "Neither old nor new names may be empty".into(),
            ));
        }
        if !names::is_valid(new_name) {
            return Err(EngineError::InvalidParameter(format!(
                "Invalid container name ({new_name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )));
        }
        let mut inner = entry.inner.lock().await;
        let old_name = inner.record.name.clone();
        if old_name == new_name {
            return Err(EngineError::InvalidParameter(
                "Renaming a container with the same name as its current name".into(),
            ));
        }
        self.containers.reserve_name(new_name, &entry.id)?;
        inner.record.name = new_name.to_owned();
        if let Err(e) = state::write_json(&entry.record_path(), &inner.record, false) {
            inner.record.name = old_name;
            self.containers.release_name(new_name);
            return Err(e);
        }
        self.containers.release_name(&old_name);
        let mut attrs = container_attributes(&inner.record);
        drop(inner);
        attrs.insert("oldName".into(), format!("/{old_name}"));
        self.events.emit("container", "rename", &entry.id, attrs);
        Ok(())
    }
}
