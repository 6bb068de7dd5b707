//! The human `Status` column of `docker ps` ("Up 5 seconds", "Exited (0) 2 minutes ago"),
//! worded exactly as Docker words it (moby `State.String`), because scripts parse it.

use hako_api_types::units::human_duration;
use hako_engine::container::status::{State, Status};

use super::unix_nanos;

/// The `Status` text at `now` (Unix nanoseconds).
pub fn status(state: &State, now: i128) -> String {
    // Nanoseconds to seconds as f64 loses nothing a human-readable duration shows.
    let since = |t: &str| human_duration(unix_nanos(t).map_or(0, |t| now - t) as f64 / 1e9);
    match state.status {
        Status::Running => {
            let health = match state.health.as_ref().map(|h| h.status.as_str()) {
                Some("starting") => " (health: starting)",
                Some("healthy") => " (healthy)",
                Some("unhealthy") => " (unhealthy)",
                _ => "",
            };
            format!("Up {}{health}", since(&state.started_at))
        }
        Status::Paused => format!("Up {} (Paused)", since(&state.started_at)),
        Status::Restarting => format!(
            "Restarting ({}) {} ago",
            state.exit_code,
            since(&state.finished_at)
        ),
        Status::Removing => "Removal In Progress".into(),
        Status::Dead => "Dead".into(),
        Status::Created | Status::Exited => {
            if unix_nanos(&state.started_at).is_none() {
                "Created".into()
            } else if unix_nanos(&state.finished_at).is_none() {
                String::new()
            } else {
                format!(
                    "Exited ({}) {} ago",
                    state.exit_code,
                    since(&state.finished_at)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i128 = 1_000_000_000;

    #[test]
    fn status_texts() {
        let t0 = "2023-11-14T22:13:20Z";
        let now = 1_700_000_000 * S + 5 * S;
        let mut st = State::new();
        assert_eq!(status(&st, now), "Created");
        st.status = Status::Running;
        st.started_at = t0.into();
        assert_eq!(status(&st, now), "Up 5 seconds");
        st.status = Status::Paused;
        assert_eq!(status(&st, now), "Up 5 seconds (Paused)");
        st.status = Status::Exited;
        st.exit_code = 3;
        st.finished_at = t0.into();
        assert_eq!(status(&st, now + 120 * S), "Exited (3) 2 minutes ago");
        st.status = Status::Dead;
        assert_eq!(status(&st, now), "Dead");
    }
}
