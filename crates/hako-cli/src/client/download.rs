//! Response bodies that are files (`save`, `export`, `cp` from a container): written to
//! their destination as they arrive, never held whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use http::Response;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::io::AsyncRead;

use super::ClientError;

/// The body as a reader, for code that consumes it with `std::io` in a blocking task
/// (through `tokio_util::io::SyncIoBridge`).
pub fn body_reader(resp: Response<Incoming>) -> impl AsyncRead + Send + Unpin + 'static {
    let frames = futures_util::TryStreamExt::map_err(
        resp.into_body().into_data_stream(),
        std::io::Error::other,
    );
    tokio_util::io::StreamReader::new(frames)
}

/// Writes the body to `output` through a temporary file beside it, renamed into place
/// when complete (as docker's CLI does: a failure never leaves a truncated file under the
/// name), or to stdout when `output` is `None` or `-`. `failure` opens the message of a
/// local error ("failed to save image").
pub async fn save_body(
    resp: Response<Incoming>,
    output: Option<&str>,
    failure: &str,
) -> anyhow::Result<()> {
    let mut body = resp.into_body();
    let failed = |e: std::io::Error| crate::error::StatusError::new(1, format!("{failure}: {e}"));
    match output.filter(|o| *o != "-") {
        Some(path) => {
            let target = Path::new(path);
            let dir = target
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = TempFile::create(dir).map_err(failed)?;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| ClientError::Decode(e.to_string()))?;
                if let Some(data) = frame.data_ref() {
                    tmp.file.write_all(data).map_err(failed)?;
                }
            }
            tmp.persist(target).map_err(failed)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| ClientError::Decode(e.to_string()))?;
                if let Some(data) = frame.data_ref() {
                    out.write_all(data)?;
                }
            }
            out.flush()?;
        }
    }
    Ok(())
}

/// A file removed on drop unless renamed into place.
struct TempFile {
    path: PathBuf,
    file: std::fs::File,
    kept: bool,
}

impl TempFile {
    fn create(dir: &Path) -> std::io::Result<TempFile> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(".hako_temp_{}_{nanos}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(TempFile {
            path,
            file,
            kept: false,
        })
    }

    fn persist(mut self, target: &Path) -> std::io::Result<()> {
        self.file.sync_all()?;
        std::fs::rename(&self.path, target)?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
