//! Image builder: Dockerfile parsing and a step executor (Docker's classic builder).
//!
//! # Layout
//!
//! - [`dockerfile`]: the Dockerfile syntax as BuildKit's frontend reads it (parser
//!   directives, line continuations, comments, JSON and shell forms, flags).
//! - [`expand`]: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR:+word}` and quote removal.
//! - [`instruction`]: parsed lines become typed instructions, stages split at `FROM`.
//! - [`context`]: the build context on disk: `.dockerignore`, `COPY`/`ADD` sources
//!   (wildcards, directories), the layer tar they become and its content digest.
//! - [`executor`]: runs the steps through the [`Backend`] trait the engine implements,
//!   writing Docker's classic builder output (`Step 1/4 : ...`, ` ---> id`).
//! - [`error`]: the [`BuildError`] type.
#![forbid(unsafe_code)]

pub mod context;
pub mod dockerfile;
pub mod error;
pub mod executor;
pub mod expand;
pub mod instruction;

pub use error::{BuildError, Result};
pub use executor::{Backend, BuildOptions, Built, Output, Step};
