//! A TCP relay in front of a real server that cuts one connection once: the first
//! connection to carry more than `cut_after` bytes towards the server is closed in both
//! directions at that point (as a network failure in the middle of an upload); every
//! other connection, before and after, passes untouched.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub struct CutOnceRelay {
    addr: SocketAddr,
    /// Set once the cut happened.
    pub cut: Arc<AtomicBool>,
    closing: Arc<AtomicBool>,
}

impl CutOnceRelay {
    pub fn start(upstream: SocketAddr, cut_after: usize) -> CutOnceRelay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        listener.set_nonblocking(true).expect("nonblocking");
        let relay = CutOnceRelay {
            addr: listener.local_addr().expect("relay address"),
            cut: Arc::new(AtomicBool::new(false)),
            closing: Arc::new(AtomicBool::new(false)),
        };
        let (cut, closing) = (relay.cut.clone(), relay.closing.clone());
        std::thread::spawn(move || {
            while !closing.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let cut = cut.clone();
                        std::thread::spawn(move || pass(client, upstream, cut_after, &cut));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => return,
                }
            }
        });
        relay
    }

    /// `127.0.0.1:<port>`, the registry host to push to.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for CutOnceRelay {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
    }
}

fn pass(client: TcpStream, upstream: SocketAddr, cut_after: usize, cut: &AtomicBool) {
    let _ = client.set_nonblocking(false);
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let (Ok(mut s_in), Ok(mut c_out)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut s_in, &mut c_out);
        let _ = c_out.shutdown(Shutdown::Write);
    });
    let (mut client, mut server) = (client, server);
    let mut sent = 0usize;
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => {
                let _ = server.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        if sent + n > cut_after
            && cut
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            let _ = server.write_all(&buf[..cut_after - sent]);
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
            return;
        }
        if server.write_all(&buf[..n]).is_err() {
            return;
        }
        sent += n;
    }
}
