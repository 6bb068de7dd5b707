//! Lookups of object kinds hako does not have yet (volumes). A name that cannot exist is a
//! plain 404, which is what `docker inspect NAME` relies on when it tries every kind in
//! turn.

use crate::error::ApiError;
use crate::response::Response;

/// `GET /volumes/{name}`.
pub fn volume(name: &str) -> Result<Response, ApiError> {
    Err(ApiError::not_found(format!("get {name}: no such volume")))
}
