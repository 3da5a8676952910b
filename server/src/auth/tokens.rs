//! API tokens: `hub_` followed by 40 random letters and digits. Stored as a
//! SHA-256 hash with the first 12 characters kept visible to recognise it.

use chrono::{Duration, Utc};
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::db::entities::api_token;

pub const TOKEN_PREFIX: &str = "hub_";
const SECRET_LEN: usize = 40;
const VISIBLE_LEN: usize = 12;

/// A freshly generated token; its `Debug` hides the value.
pub struct NewToken {
    pub value: String,
    pub prefix: String,
    pub hash: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewToken({}…)", self.prefix)
    }
}

pub fn generate() -> NewToken {
    let secret = Alphanumeric.sample_string(&mut rand::rng(), SECRET_LEN);
    let value = format!("{TOKEN_PREFIX}{secret}");
    NewToken {
        prefix: value[..VISIBLE_LEN].to_string(),
        hash: hash(&value),
        value,
    }
}

pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Whether a bearer value is shaped like one of our tokens (cheap check before the database).
pub fn looks_valid(value: &str) -> bool {
    value.len() == TOKEN_PREFIX.len() + SECRET_LEN
        && value.starts_with(TOKEN_PREFIX)
        && value[TOKEN_PREFIX.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
}

/// The live token row for a presented value: not revoked, not expired.
pub async fn find_live(
    db: &DatabaseConnection,
    value: &str,
) -> Result<Option<api_token::Model>, DbErr> {
    if !looks_valid(value) {
        return Ok(None);
    }
    let now = Utc::now();
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(value)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(token.filter(|t| t.expires_at.is_none_or(|at| at > now)))
}

/// Records use, at most once a minute per token (a write per request would be wasteful).
pub async fn touch(db: &DatabaseConnection, token: &api_token::Model) -> Result<(), DbErr> {
    let now = Utc::now();
    if token
        .last_used_at
        .is_some_and(|at| now - at < Duration::seconds(60))
    {
        return Ok(());
    }
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_token::Column::Id.eq(token.id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_recognisable() {
        let a = generate();
        let b = generate();
        assert_ne!(a.value, b.value);
        assert!(looks_valid(&a.value));
        assert_eq!(a.value.len(), 44);
        assert!(a.value.starts_with(&a.prefix));
        assert_eq!(a.prefix.len(), 12);
        assert_eq!(a.hash, hash(&a.value));
        assert!(!format!("{a:?}").contains(&a.value));
        assert!(!looks_valid("hub_short"));
        assert!(!looks_valid(&a.value.replace("hub_", "xyz_")));
    }
}
