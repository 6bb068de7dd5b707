//! Installing a seccomp filter on the calling thread, without touching `no_new_privs`
//! (seccompiler's `apply_filter` always sets it; Docker sets it only when asked, so a
//! process without it needs `CAP_SYS_ADMIN` at this point).

use std::io;

/// Installs `filter` (already in the kernel's layout) on the calling thread.
pub fn load(filter: &[libc::sock_filter]) -> io::Result<()> {
    let len = u16::try_from(filter.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "seccomp filter too long"))?;
    let prog = libc::sock_fprog {
        len,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points to `len` initialised instructions that outlive the call; the
    // kernel copies the program (copy_from_user) and keeps no pointer to our memory.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &raw const prog,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
