//! Lookups of object kinds hako does not have yet (networks). A name that cannot
//! exist is a plain 404, which is what `docker inspect NAME` relies on when it tries every
//! kind in turn; Docker's predefined networks are a 501, because they would exist on
//! Docker and the user should learn why they do not here.

use crate::error::ApiError;
use crate::response::Response;
use crate::router::Matched;

/// Networks every Docker engine has.
const PREDEFINED_NETWORKS: &[&str] = &["bridge", "host", "none"];

/// `GET /networks/{id}`.
pub fn network(route: &Matched, id: &str) -> Result<Response, ApiError> {
    if PREDEFINED_NETWORKS.contains(&id) {
        return Err(ApiError::not_implemented(route.name()));
    }
    Err(ApiError::not_found(format!("network {id} not found")))
}
