//! `hub rotate-key`: re-encrypts every stored secret under a new master key,
//! one transaction per tenant. Secrets already under the new key are left
//! alone, so an interrupted rotation resumes where it stopped.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::{CryptoError, Keyring, Subject};
use crate::db::entities::{
    integration, oauth_app, oauth_state, tenant, webhook_endpoint, webhook_subscription,
};

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{kind} {id} of tenant {tenant_id}: {source}")]
    Secret {
        kind: &'static str,
        id: i64,
        tenant_id: i64,
        source: CryptoError,
    },
}

/// Re-encrypts one stored value; `Ok(None)` when it already uses the current key.
fn redo(
    keyring: &Keyring,
    subject: Subject<'static>,
    stored: &[u8],
) -> Result<Option<Vec<u8>>, RotateError> {
    keyring
        .reencrypt(subject, stored)
        .map_err(|source| RotateError::Secret {
            kind: subject.kind,
            id: subject.id,
            tenant_id: subject.tenant_id,
            source,
        })
}

/// Re-encrypts every secret of one tenant in one transaction; returns how many changed.
pub async fn rotate_tenant(
    db: &DatabaseConnection,
    keyring: &Keyring,
    tenant_id: i64,
) -> Result<u64, RotateError> {
    let txn = crate::db::begin_write(db).await?;
    let mut changed = 0;

    for row in integration::Entity::find()
        .filter(integration::Column::TenantId.eq(tenant_id))
        .filter(integration::Column::Credentials.is_not_null())
        .all(&txn)
        .await?
    {
        let subject = Subject {
            tenant_id,
            kind: "integration",
            id: row.id,
        };
        let Some(stored) = row.credentials.clone() else {
            continue;
        };
        if let Some(sealed) = redo(keyring, subject, &stored)? {
            let mut active: integration::ActiveModel = row.into();
            active.credentials = Set(Some(sealed));
            active.update(&txn).await?;
            changed += 1;
        }
    }
    for row in oauth_app::Entity::find()
        .filter(oauth_app::Column::TenantId.eq(tenant_id))
        .all(&txn)
        .await?
    {
        let subject = Subject {
            tenant_id,
            kind: "oauth_app",
            id: row.id,
        };
        if let Some(sealed) = redo(keyring, subject, &row.client_secret)? {
            let mut active: oauth_app::ActiveModel = row.into();
            active.client_secret = Set(sealed);
            active.update(&txn).await?;
            changed += 1;
        }
    }
    for row in oauth_state::Entity::find()
        .filter(oauth_state::Column::TenantId.eq(tenant_id))
        .all(&txn)
        .await?
    {
        let subject = Subject {
            tenant_id,
            kind: "oauth_state",
            id: row.integration_id,
        };
        if let Some(sealed) = redo(keyring, subject, &row.pkce_verifier)? {
            let mut active: oauth_state::ActiveModel = row.into();
            active.pkce_verifier = Set(sealed);
            active.update(&txn).await?;
            changed += 1;
        }
    }
    for row in webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::TenantId.eq(tenant_id))
        .filter(webhook_endpoint::Column::Secret.is_not_null())
        .all(&txn)
        .await?
    {
        let subject = Subject {
            tenant_id,
            kind: "webhook_endpoint",
            id: row.id,
        };
        let Some(stored) = row.secret.clone() else {
            continue;
        };
        if let Some(sealed) = redo(keyring, subject, &stored)? {
            let mut active: webhook_endpoint::ActiveModel = row.into();
            active.secret = Set(Some(sealed));
            active.update(&txn).await?;
            changed += 1;
        }
    }
    for row in webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::TenantId.eq(tenant_id))
        .all(&txn)
        .await?
    {
        let subject = Subject {
            tenant_id,
            kind: "webhook_subscription",
            id: row.id,
        };
        let secret = redo(keyring, subject, &row.secret)?;
        let previous = match &row.previous_secret {
            Some(stored) => redo(
                keyring,
                Subject {
                    kind: "webhook_subscription_previous",
                    ..subject
                },
                stored,
            )?,
            None => None,
        };
        if secret.is_some() || previous.is_some() {
            let mut active: webhook_subscription::ActiveModel = row.clone().into();
            if let Some(sealed) = secret {
                active.secret = Set(sealed);
            }
            if let Some(sealed) = previous {
                active.previous_secret = Set(Some(sealed));
            }
            active.update(&txn).await?;
            changed += 1;
        }
    }
    txn.commit().await?;
    Ok(changed)
}

/// Rotates every tenant, reporting each as it finishes.
pub async fn rotate_all(
    db: &DatabaseConnection,
    keyring: &Keyring,
    mut report: impl FnMut(&str, u64),
) -> Result<u64, RotateError> {
    let tenants = tenant::Entity::find()
        .order_by_asc(tenant::Column::Id)
        .all(db)
        .await?;
    let mut total = 0;
    for tenant in tenants {
        let changed = rotate_tenant(db, keyring, tenant.id).await?;
        report(&tenant.slug, changed);
        total += changed;
    }
    Ok(total)
}
