//! The typed channel between a monitor and the child it cloned: a `SOCK_SEQPACKET` socket
//! pair (one JSON message per packet, optionally with one fd), close-on-exec on both ends
//! so the child's end disappears exactly when `execve` succeeds.
//!
//! ```text
//! monitor                                child
//!    │ clone (v2: into the cgroup) ─────────► │ stdio, join cgroup (v1: tasks ← 0),
//!    │                                        │ namespaces, mounts, user, caps...
//!    │ ◄────────────────── Console + fd (pty) ┤ (terminal only)
//!    │ ◄──────────────────────────── Ready ───┤ or Failed{..} and exit
//!    │            ... engine says start ...   │
//!    ├── Go ────────────────────────────────► │ execve
//!    │ ◄─────────── EOF (exec'd) or Failed ───┤
//! ```

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType,
};
use serde::{Deserialize, Serialize};

use crate::error::ExecFailure;

/// Largest message; error messages are short.
const MAX_MESSAGE: usize = 8192;

/// What travels on the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// Child → monitor: the attached fd is the pty master.
    Console,
    /// Child → monitor: everything up to `execve` is done.
    Ready,
    /// Monitor → child: `execve` now.
    Go,
    /// Monitor → child in a new user namespace: its ID maps are written (and its cgroup
    /// joined); the attached fd, if any, is its root overlay, built detached.
    UserNs,
    /// Child → monitor: setup or `execve` failed.
    Failed {
        /// Classification.
        failure: ExecFailure,
        /// Docker-worded message.
        message: String,
    },
}

/// One end of the channel.
#[derive(Debug)]
pub struct Channel {
    fd: OwnedFd,
}

/// A connected pair: (monitor's end, child's end).
pub fn pair() -> io::Result<(Channel, Channel)> {
    let (a, b) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?;
    Ok((Channel { fd: a }, Channel { fd: b }))
}

impl Channel {
    /// Sends `msg`.
    pub fn send(&self, msg: &Message) -> io::Result<()> {
        self.send_with(msg, None)
    }

    /// Sends `msg` with `fd` attached.
    pub fn send_with(&self, msg: &Message, fd: Option<BorrowedFd<'_>>) -> io::Result<()> {
        let bytes = serde_json::to_vec(msg).map_err(io::Error::other)?;
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        let fds;
        if let Some(fd) = fd {
            fds = [fd];
            control.push(SendAncillaryMessage::ScmRights(&fds));
        }
        rustix::net::sendmsg(
            &self.fd,
            &[IoSlice::new(&bytes)],
            &mut control,
            SendFlags::NOSIGNAL,
        )?;
        Ok(())
    }

    /// Receives one message and the fd sent with it; `None` when the peer has closed its end
    /// (the child exec'd or died, or the monitor went away).
    pub fn recv(&self) -> io::Result<Option<(Message, Option<OwnedFd>)>> {
        let mut buf = vec![0u8; MAX_MESSAGE];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let got = loop {
            match rustix::net::recvmsg(
                &self.fd,
                &mut [IoSliceMut::new(&mut buf)],
                &mut control,
                RecvFlags::CMSG_CLOEXEC,
            ) {
                Err(rustix::io::Errno::INTR) => continue,
                other => break other?,
            }
        };
        let mut fd = None;
        for msg in control.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = msg {
                for f in fds {
                    fd.get_or_insert(f);
                }
            }
        }
        if got.bytes == 0 {
            return Ok(None);
        }
        let msg = serde_json::from_slice(&buf[..got.bytes]).map_err(io::Error::other)?;
        Ok(Some((msg, fd)))
    }
}

impl AsFd for Channel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_fds_cross_and_eof_is_none() {
        let (a, b) = pair().unwrap();
        a.send(&Message::Go).unwrap();
        assert_eq!(b.recv().unwrap().unwrap().0, Message::Go);
        let (r, _w) = rustix::pipe::pipe().unwrap();
        b.send_with(&Message::Console, Some(r.as_fd())).unwrap();
        let (m, fd) = a.recv().unwrap().unwrap();
        assert_eq!(m, Message::Console);
        assert!(fd.is_some());
        let failed = Message::Failed {
            failure: ExecFailure::NotFound,
            message: "nope".into(),
        };
        b.send(&failed).unwrap();
        assert_eq!(a.recv().unwrap().unwrap().0, failed);
        drop(b);
        assert!(a.recv().unwrap().is_none());
    }
}
