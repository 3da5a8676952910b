//! Users, API tokens and tenants as the pages and the REST API show them.
//! Times are already formatted on the server.

use serde::{Deserialize, Serialize};

use super::auth::Role;
use super::ids::{ApiTokenId, TenantId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub is_active: bool,
    pub is_platform_owner: bool,
    /// "3 min ago" / "never".
    pub last_login: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: ApiTokenId,
    pub name: String,
    /// The visible start of the token, e.g. `hub_3fA9c1D2`.
    pub prefix: String,
    pub owner_name: String,
    pub created_at: String,
    pub last_used: String,
    pub expires: String,
    pub status: TokenStatus,
}

/// A token just created: the only time its full value is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: String,
    pub summary: TokenSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSummary {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub users: u64,
    pub active_users: u64,
    pub integrations: u64,
    pub created_at: String,
}
