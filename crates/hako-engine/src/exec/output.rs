//! The output of an attached exec ends only once its exit code is recorded. moby's exit
//! handler sets the code and then closes the streams, and clients rely on it: `docker
//! exec` inspects the exec as soon as its stream ends. Our monitor closes the stream
//! right after reporting the exit, but recording it is another task that a loaded daemon
//! may run later, so the end of the stream waits for it.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::oneshot;

use crate::container::options::BoxRead;

/// `inner`, whose end is held back until `recorded` fires.
pub(crate) struct EndsAfterExit {
    inner: BoxRead,
    recorded: Option<oneshot::Receiver<()>>,
    /// The monitor's exit file: present when the stream ended because the process exited,
    /// absent when the client detached (the process runs on; nothing to wait for).
    exit_file: PathBuf,
    waiting: bool,
}

impl EndsAfterExit {
    pub(crate) fn new(
        inner: BoxRead,
        recorded: oneshot::Receiver<()>,
        exit_file: PathBuf,
    ) -> EndsAfterExit {
        EndsAfterExit {
            inner,
            recorded: Some(recorded),
            exit_file,
            waiting: false,
        }
    }
}

impl AsyncRead for EndsAfterExit {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match this.inner.as_mut().poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before && buf.remaining() > 0 => {}
            other => return other,
        }
        let Some(rx) = this.recorded.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        if !this.waiting {
            match rx.try_recv() {
                Err(oneshot::error::TryRecvError::Empty) if this.exit_file.exists() => {
                    this.waiting = true;
                }
                _ => {
                    this.recorded = None;
                    return Poll::Ready(Ok(()));
                }
            }
        }
        match Pin::new(rx).poll(cx) {
            Poll::Ready(_) => {
                this.recorded = None;
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
