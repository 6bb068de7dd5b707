//! The fixture registry's access log (`<fixtures>/registry/<port>/registry.log`): which
//! requests reached the real registry, to count them. Tests count only requests for
//! repositories of their own, so other tests' traffic does not matter.

use std::time::Duration;

/// The access-log lines (`"PATCH /v2/<repo>/blobs/uploads/... HTTP/1.1" 202 ...`) whose
/// request is `method` on a path starting with `path_prefix`.
pub fn requests(port: u16, method: &str, path_prefix: &str) -> Vec<String> {
    let log = super::fixtures_dir().join(format!("registry/{port}/registry.log"));
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let needle = format!("\"{method} {path_prefix}");
    text.lines()
        .filter(|l| l.contains(&needle))
        .map(str::to_owned)
        .collect()
}

/// As [`requests`], once their number has stopped changing: the registry writes a line
/// after its answer is sent, so the last one may land just after the client is done.
pub fn settled_requests(port: u16, method: &str, path_prefix: &str) -> Vec<String> {
    let mut last = requests(port, method, path_prefix);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = requests(port, method, path_prefix);
        if now.len() == last.len() {
            return now;
        }
        last = now;
    }
}
