//! Who is asking: roles, the request's principal and the guard every server
//! function, page and REST handler uses.

use serde::{Deserialize, Serialize};

use super::ids::{TenantId, UserId};
use super::AppError;

/// A tenant role; each includes everything of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Member, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Member => "Member",
            Role::Admin => "Admin",
            Role::Owner => "Owner",
        }
    }

    pub fn parse(value: &str) -> Result<Role, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "member" => Ok(Role::Member),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            other => Err(format!(
                "'{other}' is not a role; choose member, admin or owner"
            )),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user of a request (by session or API token). Holds nothing secret,
/// so it also travels to the browser to shape the navigation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub role: Role,
    pub is_platform_owner: bool,
    pub name: String,
    pub email: String,
    pub tenant_name: String,
    pub tenant_slug: String,
}

impl Principal {
    /// The one role check: `Forbidden` unless the principal has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn require_platform_owner(&self) -> Result<(), AppError> {
        if self.is_platform_owner {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn can(&self, role: Role) -> bool {
        self.require(role).is_ok()
    }
}

/// What the server tells every page about the request, computed once per
/// request and shared with the browser during hydration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestInfo {
    pub user: Option<Principal>,
    /// No user exists yet: only `/setup` is open.
    pub first_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: UserId(1),
            tenant_id: TenantId(1),
            role,
            is_platform_owner: false,
            name: "Ana".into(),
            email: "ana@example.com".into(),
            tenant_name: "Acme".into(),
            tenant_slug: "acme".into(),
        }
    }

    #[test]
    fn roles_include_the_ones_below() {
        assert!(principal(Role::Owner).require(Role::Admin).is_ok());
        assert!(principal(Role::Admin).require(Role::Admin).is_ok());
        assert_eq!(
            principal(Role::Member).require(Role::Admin),
            Err(AppError::Forbidden)
        );
        assert_eq!(
            principal(Role::Admin).require(Role::Owner),
            Err(AppError::Forbidden)
        );
        assert_eq!(
            principal(Role::Owner).require_platform_owner(),
            Err(AppError::Forbidden)
        );
    }

    #[test]
    fn roles_parse_with_a_helpful_error() {
        assert_eq!(Role::parse(" Admin "), Ok(Role::Admin));
        assert!(Role::parse("root")
            .unwrap_err()
            .contains("member, admin or owner"));
    }
}
