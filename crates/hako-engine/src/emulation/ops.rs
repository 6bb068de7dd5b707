//! The engine's emulation verbs; binfmt_misc I/O runs on the blocking pool.

use super::{ArchStatus, Change};
use crate::engine::Engine;
use crate::error::{EngineError, Result};

impl Engine {
    /// `emulation ls`.
    pub async fn emulation_list(&self) -> Result<Vec<ArchStatus>> {
        self.with_emulation(|e| e.list()).await
    }

    /// `emulation install ARCH...`; nothing or `all` means every architecture.
    pub async fn emulation_install(&self, arches: Vec<String>) -> Result<Vec<Change>> {
        self.with_emulation(move |e| e.install(&arches)).await
    }

    /// `emulation uninstall [ARCH...]`; nothing means what hako registered.
    pub async fn emulation_uninstall(&self, arches: Vec<String>) -> Result<Vec<Change>> {
        self.with_emulation(move |e| e.uninstall(&arches)).await
    }

    async fn with_emulation<T: Send + 'static>(
        &self,
        f: impl FnOnce(&super::Emulation) -> std::result::Result<T, super::EmulationError>
        + Send
        + 'static,
    ) -> Result<T> {
        let engine = self
            .handle()
            .ok_or_else(|| EngineError::Task("engine is shutting down".into()))?;
        tokio::task::spawn_blocking(move || f(&engine.emulation))
            .await
            .map_err(|e| EngineError::Task(e.to_string()))?
            .map_err(EngineError::from)
    }
}
