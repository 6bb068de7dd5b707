//! Docker's checks and defaults for a new container's resource limits (moby's
//! `verifyPlatformContainerResources` and `adaptContainerSettings`): the same refusals with
//! the same words, swap defaulting to twice the memory limit, and warnings where the host
//! cannot honour a setting.

use super::config::Resources;
use crate::error::{EngineError, Result};

/// Docker's minimum `--memory`.
pub(crate) const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// What the host's cgroups can do that changes a limit's meaning.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostCgroups {
    /// cgroup v2 has no switch to turn the OOM killer off.
    pub unified: bool,
}

impl HostCgroups {
    pub(crate) fn detect() -> Self {
        Self {
            unified: hako_runtime::cgroup::is_unified(),
        }
    }
}

/// Validates `r` for a new container and fills in Docker's defaults; returns warnings.
pub(crate) fn adapt_for_create(r: &mut Resources, host: HostCgroups) -> Result<Vec<String>> {
    let invalid = |m: &str| Err(EngineError::InvalidParameter(m.to_owned()));
    let mut warnings = Vec::new();
    if r.memory != 0 && r.memory < MIN_MEMORY {
        return invalid("Minimum memory limit allowed is 6MB");
    }
    if r.memory > 0 && r.memory_swap > 0 && r.memory_swap < r.memory {
        return invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    }
    if r.memory == 0 && r.memory_swap > 0 {
        return invalid(
            "You should always set the Memory limit when using Memoryswap limit, see usage",
        );
    }
    if r.memory > 0 && r.memory_reservation > r.memory {
        return invalid(
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        );
    }
    if r.memory > 0 && r.memory_swap == 0 {
        // Docker's default: as much swap as memory.
        r.memory_swap = r.memory.saturating_mul(2);
    }
    if r.oom_kill_disable == Some(true) {
        if host.unified {
            r.oom_kill_disable = Some(false);
            warnings.push(
                "Your kernel does not support OomKillDisable. OomKillDisable discarded.".into(),
            );
        } else if r.memory == 0 {
            warnings.push(
                "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.".into(),
            );
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: HostCgroups = HostCgroups { unified: false };
    const V2: HostCgroups = HostCgroups { unified: true };

    fn adapt(r: Resources, host: HostCgroups) -> (Result<Vec<String>>, Resources) {
        let mut r = r;
        let out = adapt_for_create(&mut r, host);
        (out, r)
    }

    fn message(out: Result<Vec<String>>) -> String {
        match out {
            Err(EngineError::InvalidParameter(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn swap_defaults_to_twice_the_memory() {
        let (out, r) = adapt(
            Resources {
                memory: 32 << 20,
                ..Default::default()
            },
            V1,
        );
        assert!(out.unwrap().is_empty());
        assert_eq!(r.memory_swap, 64 << 20);
        // Unlimited and explicit values stay as given.
        for swap in [-1, 48 << 20] {
            let (_, r) = adapt(
                Resources {
                    memory: 32 << 20,
                    memory_swap: swap,
                    ..Default::default()
                },
                V1,
            );
            assert_eq!(r.memory_swap, swap);
        }
    }

    #[test]
    fn refusals_use_dockers_words() {
        let cases = [
            (1 << 20, 0, 0, "Minimum memory limit allowed is 6MB"),
            (
                32 << 20,
                16 << 20,
                0,
                "Minimum memoryswap limit should be larger",
            ),
            (0, 16 << 20, 0, "You should always set the Memory limit"),
            (32 << 20, 0, 64 << 20, "memory reservation limit"),
        ];
        for (memory, memory_swap, memory_reservation, want) in cases {
            let (out, _) = adapt(
                Resources {
                    memory,
                    memory_swap,
                    memory_reservation,
                    ..Default::default()
                },
                V1,
            );
            let m = message(out);
            assert!(m.contains(want), "{m}");
        }
    }

    #[test]
    fn oom_kill_disable_is_discarded_on_v2_and_warned_without_a_limit() {
        let asked = Resources {
            oom_kill_disable: Some(true),
            ..Default::default()
        };
        let (out, r) = adapt(asked.clone(), V2);
        assert_eq!(r.oom_kill_disable, Some(false));
        assert!(out.unwrap()[0].contains("OomKillDisable discarded"));
        let (out, r) = adapt(asked.clone(), V1);
        assert_eq!(r.oom_kill_disable, Some(true));
        assert!(out.unwrap()[0].contains("no memory limit is set"));
        let (out, _) = adapt(
            Resources {
                memory: 32 << 20,
                ..asked
            },
            V1,
        );
        assert!(out.unwrap().is_empty());
    }
}
