//! The builder's error type. Messages are Docker's where Docker has words for the case.

use hako_errdefs::{ErrorKind, HasKind};

/// Everything that can end a build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The Dockerfile does not parse (`dockerfile parse error on line N: ...`).
    #[error("dockerfile parse error on line {line}: {message}")]
    Parse {
        /// 1-based line of the instruction.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An instruction Docker does not know.
    #[error("dockerfile parse error on line {line}: unknown instruction: {name}")]
    UnknownInstruction {
        /// 1-based line.
        line: usize,
        /// The instruction as written.
        name: String,
    },
    /// A request or Dockerfile value is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A feature of Docker's builder that hako does not have yet.
    #[error("{0} is not implemented by hako's builder")]
    NotImplemented(String),
    /// A `RUN` command exited non-zero.
    #[error("The command '{command}' returned a non-zero code: {code}")]
    RunFailed {
        /// The command as Docker prints it (its words joined by spaces).
        command: String,
        /// Its exit code.
        code: i64,
    },
    /// Reading the context or writing a layer failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The engine refused or failed a step; its message is passed through.
    #[error("{message}")]
    Backend {
        /// The engine's error text.
        message: String,
        /// The engine's error kind.
        kind: ErrorKind,
    },
    /// The client went away: the build stops and cleans up.
    #[error("build cancelled")]
    Cancelled,
}

impl BuildError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn parse(line: usize, message: impl Into<String>) -> Self {
        Self::Parse {
            line,
            message: message.into(),
        }
    }

    /// The code Docker's JSON error carries (`errorDetail.code`): a failed `RUN`'s exit
    /// code, which `docker build` exits with.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::RunFailed { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl HasKind for BuildError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Parse { .. } | Self::UnknownInstruction { .. } | Self::Invalid(_) => {
                ErrorKind::InvalidArgument
            }
            Self::NotImplemented(_) => ErrorKind::NotImplemented,
            Self::RunFailed { .. } | Self::Io { .. } | Self::Cancelled => ErrorKind::Internal,
            Self::Backend { kind, .. } => *kind,
        }
    }
}

/// The builder's result type.
pub type Result<T, E = BuildError> = std::result::Result<T, E>;
