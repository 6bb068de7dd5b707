//! `docker save` and `docker load` over `hako_image::archive`.
//!
//! Save resolves the names before anything is sent (so a bad name is an ordinary error
//! response), then writes the archive from a blocking thread into a channel the daemon
//! streams. Load reads the request body on a blocking thread as the store parses it, and
//! then collects garbage: a load that failed half-way leaves only unreferenced blobs,
//! which the collection removes with the containers' snapshots kept.

use std::io::{self, Write};

use hako_image::Platform;
use hako_image::archive::{LayerProgress, Loaded};

use crate::container::archive::TarStream;
use crate::container::options::BoxRead;
use crate::engine::Engine;
use crate::error::{EngineError, Result};

/// A std writer feeding the response channel from the blocking thread.
struct ChannelWriter(tokio::sync::mpsc::Sender<io::Result<bytes::Bytes>>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(Ok(bytes::Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Engine {
    /// `GET /images/get`: the images `names` resolve to, as one tar stream.
    /// With `platform` (API 1.48) each image is saved as its manifest for that platform.
    pub async fn image_save(
        &self,
        names: Vec<String>,
        platform: Option<Platform>,
    ) -> Result<TarStream> {
        let store = self.images.clone();
        let plan =
            tokio::task::spawn_blocking(move || store.prepare_save(&names, platform.as_ref()))
                .await
                .map_err(|e| EngineError::Task(e.to_string()))??;
        for id in plan.image_ids() {
            let id = id.to_string();
            self.events.emit(
                "image",
                "save",
                &id,
                [("name".to_string(), id.clone())].into(),
            );
        }
        // Buffered so that the tar's 512-byte headers do not each become a chunk.
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::task::spawn_blocking(move || {
            let err_tx = tx.clone();
            let out = io::BufWriter::with_capacity(256 << 10, ChannelWriter(tx));
            if let Err(e) = plan.write_to(out) {
                tracing::warn!(error = %e, "image save failed while streaming");
                // The client sees a broken stream rather than a short, valid-looking tar.
                let _ = err_tx.blocking_send(Err(io::Error::other(e.to_string())));
            }
        });
        Ok(rx)
    }

    /// `POST /images/load`: loads every image of a `docker save` archive and returns
    /// Docker's messages, one line each (`Loaded image: busybox:latest`). With
    /// `platform` only that platform's images are loaded; `progress` receives each
    /// layer's progress as the archive is read (a closed receiver only stops reports).
    pub async fn image_load(
        &self,
        source: BoxRead,
        platform: Option<Platform>,
        progress: Option<tokio::sync::mpsc::Sender<LayerProgress>>,
    ) -> Result<Vec<String>> {
        let store = self.images.clone();
        let handle = tokio::runtime::Handle::current();
        let result = tokio::task::spawn_blocking(move || {
            let reader = tokio_util::io::SyncIoBridge::new_with_handle(source, handle);
            let mut report = |p: LayerProgress| {
                if let Some(tx) = &progress {
                    let _ = tx.blocking_send(p);
                }
            };
            store.load_archive(reader, platform.as_ref(), &mut report)
        })
        .await
        .map_err(|e| EngineError::Task(e.to_string()))?;
        if let Err(e) = self.collect_garbage().await {
            tracing::warn!(error = %e, "cannot collect what the load left behind");
        }
        let mut lines = Vec::new();
        for item in result? {
            match item {
                Loaded::Tagged {
                    reference,
                    replaced,
                    id,
                } => {
                    if let Some(old) = replaced {
                        lines.push(format!(
                            "The image {reference} already exists, renaming the old one with ID {old} to empty string"
                        ));
                    }
                    self.events.emit(
                        "image",
                        "load",
                        &id.to_string(),
                        [("name".to_string(), reference.clone())].into(),
                    );
                    lines.push(format!("Loaded image: {reference}"));
                }
                Loaded::Untagged(id) => {
                    let id = id.to_string();
                    self.events.emit(
                        "image",
                        "load",
                        &id,
                        [("name".to_string(), id.clone())].into(),
                    );
                    lines.push(format!("Loaded image ID: {id}"));
                }
            }
        }
        Ok(lines)
    }
}
