//! The Dockerfile's lines grouped into stages: `ARG`s before the first `FROM` are the
//! meta arguments FROM lines may use; every `FROM` opens a stage, `AS name` names it.

use crate::dockerfile::{Dockerfile, Line};
use crate::error::{BuildError, Result};

/// Instructions Docker's builder knows.
pub const KNOWN: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// One build stage.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The `FROM` line.
    pub from: Line,
    /// The name after `AS`, lower-cased as Docker compares it.
    pub name: Option<String>,
    /// The image (or earlier stage) named by `FROM`, before expansion.
    pub base: String,
    /// The stage's instructions after `FROM`.
    pub lines: Vec<Line>,
}

/// A Dockerfile split into meta `ARG`s and stages.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `ARG` lines before the first `FROM`.
    pub meta_args: Vec<Line>,
    /// The stages in order.
    pub stages: Vec<Stage>,
}

/// Groups the lines, refusing unknown instructions with Docker's words.
pub fn plan(df: &Dockerfile) -> Result<Plan> {
    let mut meta_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for line in &df.lines {
        if !KNOWN.contains(&line.keyword.as_str()) {
            return Err(BuildError::UnknownInstruction {
                line: line.line,
                name: line
                    .original
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            });
        }
        if line.keyword == "FROM" {
            let words: Vec<&str> = line.rest.split_whitespace().collect();
            let (base, name) = match words.as_slice() {
                [b] => (*b, None),
                [b, as_, n] if as_.eq_ignore_ascii_case("as") => (*b, Some(n.to_lowercase())),
                _ => {
                    return Err(BuildError::parse(
                        line.line,
                        "FROM requires either one or three arguments",
                    ));
                }
            };
            stages.push(Stage {
                from: line.clone(),
                name,
                base: base.to_owned(),
                lines: Vec::new(),
            });
            continue;
        }
        match stages.last_mut() {
            Some(s) => s.lines.push(line.clone()),
            None if line.keyword == "ARG" => meta_args.push(line.clone()),
            None => {
                return Err(BuildError::Invalid(
                    "no build stage in current context".into(),
                ));
            }
        }
    }
    if stages.is_empty() {
        return Err(BuildError::Invalid("file with no instructions".into()));
    }
    Ok(Plan { meta_args, stages })
}
