//! Namespaces: which ones a container init gets, its network namespace (a fresh one with
//! `lo` up, the host's, or a joined one), and how exec processes enter a running container.

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, recv, sendto, socket,
};
use rustix::thread::{LinkNameSpaceType, ThreadNameSpaceType};

use crate::spec::NetNamespace;

/// `clone3` flags for a container init: new pid, mount, uts and ipc namespaces, and a new
/// network namespace unless the spec shares or joins one. The cgroup namespace comes later
/// (the init unshares it once the monitor has placed it in its cgroup). With `userns` the
/// child is also born in a new user namespace, which then owns all the others (so that
/// `/proc`, `/sys` and the network are the container's to mount and configure).
pub fn clone_flags(net: &NetNamespace, userns: bool) -> u64 {
    let mut flags =
        libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;
    if *net == NetNamespace::New {
        flags |= libc::CLONE_NEWNET;
    }
    if userns {
        flags |= libc::CLONE_NEWUSER;
    }
    flags as u64
}

/// In the monitor, before cloning an init into a new user namespace: a joined network
/// namespace belongs to the host's user namespace, which the init could no longer enter
/// once cloned, so the monitor enters it first and the init inherits it.
pub fn enter_network_for_children(net: &NetNamespace) -> io::Result<()> {
    if let NetNamespace::Join(path) = net {
        let fd = std::fs::File::open(path)?;
        rustix::thread::move_into_link_name_space(fd.as_fd(), Some(LinkNameSpaceType::Network))?;
    }
    Ok(())
}

/// Whether process `pid` lives in another user namespace than ours.
fn other_user_namespace(pid: i32) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let theirs = std::fs::metadata(format!("/proc/{pid}/ns/user"))?;
    let ours = std::fs::metadata("/proc/self/ns/user")?;
    Ok((theirs.dev(), theirs.ino()) != (ours.dev(), ours.ino()))
}

/// In the init, after clone: brings `lo` up in a new namespace or joins the given one.
pub fn setup_network(net: &NetNamespace) -> io::Result<()> {
    match net {
        NetNamespace::New => loopback_up(),
        NetNamespace::Host => Ok(()),
        NetNamespace::Join(path) => {
            let fd = std::fs::File::open(path)?;
            rustix::thread::move_into_link_name_space(fd.as_fd(), Some(LinkNameSpaceType::Network))
                .map_err(io::Error::from)
        }
    }
}

const RTM_NEWLINK: u16 = 16;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLMSG_ERROR: u16 = 2;
const IFF_UP: u32 = 1;
/// `lo` is always the first interface of a new network namespace.
const LOOPBACK_INDEX: i32 = 1;

/// `ip link set lo up` as one `RTM_NEWLINK` netlink request: `nlmsghdr` + `ifinfomsg`.
fn newlink_up_request(index: i32) -> [u8; 32] {
    let mut m = [0u8; 32];
    m[0..4].copy_from_slice(&32u32.to_ne_bytes());
    m[4..6].copy_from_slice(&RTM_NEWLINK.to_ne_bytes());
    m[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    m[8..12].copy_from_slice(&1u32.to_ne_bytes()); // sequence number
    // m[12..16]: port id 0 (the kernel); m[16]: AF_UNSPEC; m[18..20]: device type 0
    m[20..24].copy_from_slice(&index.to_ne_bytes());
    m[24..28].copy_from_slice(&IFF_UP.to_ne_bytes()); // flags
    m[28..32].copy_from_slice(&IFF_UP.to_ne_bytes()); // change mask
    m
}

/// The errno carried by a netlink ack (0 = success).
fn ack_errno(reply: &[u8]) -> io::Result<i32> {
    let short = || io::Error::new(io::ErrorKind::InvalidData, "short netlink reply");
    let kind = u16::from_ne_bytes(
        reply
            .get(4..6)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?,
    );
    if kind != NLMSG_ERROR {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "unexpected netlink reply",
        ));
    }
    let err = i32::from_ne_bytes(
        reply
            .get(16..20)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?,
    );
    Ok(-err)
}

fn loopback_up() -> io::Result<()> {
    let errno = |e: nix::Error| io::Error::from_raw_os_error(e as i32);
    let sock = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkRoute,
    )
    .map_err(errno)?;
    let kernel = NetlinkAddr::new(0, 0);
    use std::os::fd::AsRawFd;
    sendto(
        sock.as_raw_fd(),
        &newlink_up_request(LOOPBACK_INDEX),
        &kernel,
        MsgFlags::empty(),
    )
    .map_err(errno)?;
    let mut reply = [0u8; 256];
    let n = recv(sock.as_raw_fd(), &mut reply, MsgFlags::empty()).map_err(errno)?;
    match ack_errno(&reply[..n])? {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

/// In an exec child: joins the init's mount, uts, ipc, network and cgroup namespaces
/// through its pidfd (Linux 5.8), or through `/proc/PID/ns/*` on older kernels. The pid
/// namespace was entered by the monitor before the clone.
pub fn enter_container(init_pidfd: &OwnedFd, init_pid: i32) -> io::Result<()> {
    let userns = other_user_namespace(init_pid)?;
    let mut all = ThreadNameSpaceType::MOUNT
        | ThreadNameSpaceType::HOST_NAME_AND_NIS_DOMAIN_NAME
        | ThreadNameSpaceType::INTER_PROCESS_COMMUNICATION
        | ThreadNameSpaceType::NETWORK
        | ThreadNameSpaceType::CONTROL_GROUP;
    if userns {
        all |= ThreadNameSpaceType::USER;
    }
    match rustix::thread::move_into_thread_name_spaces(init_pidfd.as_fd(), all) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::INVAL) => {
            // User first: it owns the others. Mount last: after it, /proc is the
            // container's.
            if userns {
                let f = std::fs::File::open(format!("/proc/{init_pid}/ns/user"))?;
                rustix::thread::move_into_link_name_space(
                    f.as_fd(),
                    Some(LinkNameSpaceType::User),
                )?;
            }
            for (name, kind) in [
                ("uts", LinkNameSpaceType::HostNameAndNISDomainName),
                ("ipc", LinkNameSpaceType::InterProcessCommunication),
                ("net", LinkNameSpaceType::Network),
                ("cgroup", LinkNameSpaceType::ControlGroup),
                ("mnt", LinkNameSpaceType::Mount),
            ] {
                let f = std::fs::File::open(format!("/proc/{init_pid}/ns/{name}"))?;
                rustix::thread::move_into_link_name_space(f.as_fd(), Some(kind))?;
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// In an exec monitor: makes the children it clones members of the init's pid namespace.
pub fn enter_pid_namespace_for_children(init_pidfd: &OwnedFd) -> io::Result<()> {
    rustix::thread::move_into_thread_name_spaces(
        init_pidfd.as_fd(),
        ThreadNameSpaceType::PROCESS_ID,
    )
    .map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlink_request_layout() {
        let m = newlink_up_request(1);
        assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()), 32);
        assert_eq!(u16::from_ne_bytes(m[4..6].try_into().unwrap()), RTM_NEWLINK);
        assert_eq!(i32::from_ne_bytes(m[20..24].try_into().unwrap()), 1);
        assert_eq!(u32::from_ne_bytes(m[24..28].try_into().unwrap()), IFF_UP);
    }

    #[test]
    fn ack_parsing() {
        let mut ack = [0u8; 36];
        ack[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        assert_eq!(ack_errno(&ack).unwrap(), 0);
        ack[16..20].copy_from_slice(&(-libc::EPERM).to_ne_bytes());
        assert_eq!(ack_errno(&ack).unwrap(), libc::EPERM);
        assert!(ack_errno(&ack[..8]).is_err());
    }

    #[test]
    fn host_network_keeps_the_namespace() {
        assert_eq!(
            clone_flags(&NetNamespace::Host, false) & libc::CLONE_NEWNET as u64,
            0
        );
        assert_ne!(
            clone_flags(&NetNamespace::New, false) & libc::CLONE_NEWNET as u64,
            0
        );
    }
}
