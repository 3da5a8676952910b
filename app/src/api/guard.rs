//! The guard of every server function: the request's principal, checked
//! against the role the function needs. Pages use the same `Principal::require`.

use leptos::prelude::use_context;

use crate::domain::auth::{Principal, RequestInfo, Role};
use crate::domain::AppError;

/// The signed-in principal of the current request, or `Unauthorized`.
pub fn principal() -> Result<Principal, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestInfo>().cloned())
        .and_then(|info| info.user)
        .ok_or(AppError::Unauthorized)
}

/// The principal, if it has at least `role`; `Forbidden` otherwise.
pub fn require(role: Role) -> Result<Principal, AppError> {
    let principal = principal()?;
    principal.require(role)?;
    Ok(principal)
}

/// The principal, if it is a platform owner.
pub fn require_platform_owner() -> Result<Principal, AppError> {
    let principal = principal()?;
    principal.require_platform_owner()?;
    Ok(principal)
}
