//! Docker's rules for combining a container's configuration with its image's defaults
//! (moby `daemon/commit.go: merge` plus `mergeAndVerifyConfig`).

use std::collections::BTreeMap;

use super::config::ContainerConfig;
use crate::error::{EngineError, Result};

/// The parts of an image's config that containers inherit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageDefaults {
    /// `USER`.
    pub user: String,
    /// `ENV`.
    pub env: Vec<String>,
    /// `CMD`.
    pub cmd: Option<Vec<String>>,
    /// `ENTRYPOINT`.
    pub entrypoint: Option<Vec<String>>,
    /// `WORKDIR`.
    pub working_dir: String,
    /// `LABEL`.
    pub labels: BTreeMap<String, String>,
    /// `EXPOSE`.
    pub exposed_ports: Vec<String>,
    /// `VOLUME`.
    pub volumes: Vec<String>,
    /// `STOPSIGNAL`.
    pub stop_signal: Option<String>,
    /// `HEALTHCHECK`.
    pub healthcheck: Option<super::config::HealthCheck>,
}

/// Fills `config` from the image the way Docker does, then derives the program and its
/// arguments. Fails with Docker's message when there is nothing to run.
pub fn merge(config: &mut ContainerConfig, image: &ImageDefaults) -> Result<(String, Vec<String>)> {
    if config.user.is_empty() {
        config.user = image.user.clone();
    }
    for port in &image.exposed_ports {
        if !config.exposed_ports.contains(port) {
            config.exposed_ports.push(port.clone());
        }
    }
    // The user's variables come first; image variables whose key the user did not set are
    // appended.
    for image_var in &image.env {
        let key = env_key(image_var);
        if !config.env.iter().any(|v| env_key(v) == key) {
            config.env.push(image_var.clone());
        }
    }
    for (k, v) in &image.labels {
        config.labels.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let user_entrypoint_empty = config.entrypoint.as_ref().is_none_or(Vec::is_empty);
    if user_entrypoint_empty {
        if config.cmd.as_ref().is_none_or(Vec::is_empty) {
            config.cmd = image.cmd.clone();
        }
        if config.entrypoint.is_none() {
            config.entrypoint = image.entrypoint.clone();
        }
    }
    if config.working_dir.is_empty() {
        config.working_dir = image.working_dir.clone();
    }
    for v in &image.volumes {
        if !config.volumes.contains(v) {
            config.volumes.push(v.clone());
        }
    }
    if config.stop_signal.as_deref().is_none_or(str::is_empty) {
        config.stop_signal = image.stop_signal.clone();
    }
    // Docker's rule: the container's health check inherits the image's test when its own
    // is empty, and each zero field from the image.
    if let Some(img) = &image.healthcheck {
        match &mut config.healthcheck {
            None => config.healthcheck = Some(img.clone()),
            Some(h) => {
                if h.test.is_empty() {
                    h.test = img.test.clone();
                }
                for (mine, theirs) in [
                    (&mut h.interval, img.interval),
                    (&mut h.timeout, img.timeout),
                    (&mut h.start_period, img.start_period),
                    (&mut h.retries, img.retries),
                ] {
                    if *mine == 0 {
                        *mine = theirs;
                    }
                }
            }
        }
    }
    // `--entrypoint ""` arrives as [""] and means "no entrypoint".
    if config
        .entrypoint
        .as_ref()
        .is_some_and(|e| e.len() == 1 && e[0].is_empty())
    {
        config.entrypoint = None;
    }
    let mut argv: Vec<String> = config.entrypoint.clone().unwrap_or_default();
    argv.extend(config.cmd.clone().unwrap_or_default());
    if argv.is_empty() {
        return Err(EngineError::InvalidParameter("no command specified".into()));
    }
    let path = argv.remove(0);
    Ok((path, argv))
}

fn env_key(var: &str) -> &str {
    var.split_once('=').map_or(var, |(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn image() -> ImageDefaults {
        ImageDefaults {
            env: strings(&["PATH=/bin", "A=image"]),
            cmd: Some(strings(&["sh"])),
            entrypoint: None,
            working_dir: "/data".into(),
            labels: [("l".to_string(), "image".to_string())].into(),
            ..ImageDefaults::default()
        }
    }

    #[test]
    fn healthcheck_inherits_the_images() {
        use crate::container::config::HealthCheck;
        let img = ImageDefaults {
            healthcheck: Some(HealthCheck {
                test: strings(&["CMD", "true"]),
                interval: 5,
                retries: 2,
                ..HealthCheck::default()
            }),
            ..image()
        };
        let mut c = ContainerConfig::default();
        merge(&mut c, &img).unwrap();
        assert_eq!(c.healthcheck, img.healthcheck);
        let mut c = ContainerConfig {
            healthcheck: Some(HealthCheck {
                interval: 7,
                ..HealthCheck::default()
            }),
            ..Default::default()
        };
        merge(&mut c, &img).unwrap();
        let h = c.healthcheck.unwrap();
        assert_eq!(
            (h.test, h.interval, h.retries),
            (strings(&["CMD", "true"]), 7, 2)
        );
        let mut c = ContainerConfig {
            healthcheck: Some(HealthCheck {
                test: strings(&["NONE"]),
                ..HealthCheck::default()
            }),
            ..Default::default()
        };
        merge(&mut c, &img).unwrap();
        assert_eq!(c.healthcheck.unwrap().test, strings(&["NONE"]));
    }

    #[test]
    fn image_defaults_fill_gaps() {
        let mut c = ContainerConfig {
            env: strings(&["A=user"]),
            ..Default::default()
        };
        let (path, args) = merge(&mut c, &image()).unwrap();
        assert_eq!((path.as_str(), args.len()), ("sh", 0));
        assert_eq!(c.env, strings(&["A=user", "PATH=/bin"]));
        assert_eq!(c.working_dir, "/data");
        assert_eq!(c.labels["l"], "image");
    }

    #[test]
    fn user_cmd_replaces_image_cmd() {
        let mut c = ContainerConfig {
            cmd: Some(strings(&["echo", "hi"])),
            ..Default::default()
        };
        let (path, args) = merge(&mut c, &image()).unwrap();
        assert_eq!(path, "echo");
        assert_eq!(args, strings(&["hi"]));
    }

    #[test]
    fn user_entrypoint_drops_image_cmd() {
        let img = ImageDefaults {
            entrypoint: Some(strings(&["/init"])),
            ..image()
        };
        let mut c = ContainerConfig {
            entrypoint: Some(strings(&["/bin/date"])),
            ..Default::default()
        };
        let (path, args) = merge(&mut c, &img).unwrap();
        assert_eq!(path, "/bin/date");
        assert!(args.is_empty());
        assert_eq!(c.cmd, None);
    }

    #[test]
    fn image_entrypoint_takes_user_cmd_as_args() {
        let img = ImageDefaults {
            entrypoint: Some(strings(&["/init", "-v"])),
            ..image()
        };
        let mut c = ContainerConfig {
            cmd: Some(strings(&["run"])),
            ..Default::default()
        };
        let (path, args) = merge(&mut c, &img).unwrap();
        assert_eq!(path, "/init");
        assert_eq!(args, strings(&["-v", "run"]));
    }

    #[test]
    fn empty_entrypoint_resets_and_needs_a_command() {
        let img = ImageDefaults {
            entrypoint: Some(strings(&["/init"])),
            cmd: None,
            ..image()
        };
        let mut c = ContainerConfig {
            entrypoint: Some(strings(&[""])),
            ..Default::default()
        };
        let err = merge(&mut c, &img).unwrap_err();
        assert_eq!(err.to_string(), "no command specified");
        let mut c = ContainerConfig {
            entrypoint: Some(strings(&[""])),
            cmd: Some(strings(&["ls"])),
            ..Default::default()
        };
        let (path, _) = merge(&mut c, &img).unwrap();
        assert_eq!(path, "ls");
        assert_eq!(c.entrypoint, None);
    }
}
