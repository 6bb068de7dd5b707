//! Layer downloads in progress, so that two pulls needing one blob at once fetch it once:
//! the first claims the digest, the others wait for that claim to end and then look again
//! (the snapshot is there: "Already exists"; only the blob is: unpack it; neither, because
//! the first failed: claim it and download it themselves).
//!
//! Claims are per process and per store (the key holds the store's root), which is what
//! a daemon has: one store, many concurrent pulls.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, LazyLock, Mutex};

use crate::digest::Digest;

type Key = (PathBuf, Digest);

static IN_FLIGHT: LazyLock<Mutex<HashMap<Key, Arc<Flight>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// One download in progress; waiters block until it ends.
#[derive(Debug, Default)]
pub(super) struct Flight {
    ended: Mutex<bool>,
    cv: Condvar,
}

impl Flight {
    /// Blocks until the claim holding this flight is dropped (success or failure).
    pub(super) fn wait(&self) {
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        while !*ended {
            ended = self.cv.wait(ended).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// The right to fetch one blob into one store; released on drop, waking the waiters.
#[derive(Debug)]
pub(super) struct Claim {
    key: Key,
    flight: Arc<Flight>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut map = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        if map
            .get(&self.key)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
        {
            map.remove(&self.key);
        }
        drop(map);
        *self.flight.ended.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.flight.cv.notify_all();
    }
}

/// Claims `digest` in the store at `root`, or hands back the flight of whoever holds it.
pub(super) fn claim(root: &Path, digest: &Digest) -> Result<Claim, Arc<Flight>> {
    let key = (root.to_path_buf(), digest.clone());
    let mut map = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(f) = map.get(&key) {
        return Err(f.clone());
    }
    let flight = Arc::new(Flight::default());
    map.insert(key.clone(), flight.clone());
    Ok(Claim { key, flight })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_second_claim_waits_for_the_first_to_end() {
        let root = Path::new("/nonexistent/inflight-test");
        let d = Digest::of(b"inflight");
        let first = claim(root, &d).expect("first claim");
        let flight = claim(root, &d).expect_err("held");
        // Another store is independent.
        let other = claim(Path::new("/nonexistent/other"), &d).expect("other store");
        drop(other);
        let waiter = std::thread::spawn(move || {
            flight.wait();
            claim(root, &d).is_ok()
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished());
        drop(first);
        assert!(
            waiter.join().expect("waiter"),
            "free again once the first ended"
        );
    }
}
