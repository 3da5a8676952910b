//! Storing one page of provider records, inside the run's page transaction:
//! every record into `integration_data` (keyed by integration, resource and
//! external id, with a content hash so an unchanged record is counted and
//! not rewritten), and through the field mapping into the tenant's
//! `contacts`, deduplicated by normalised email with the source linked.
//!
//! Conflicts: the newest sync wins field by field — a non-empty provider
//! value replaces the contact's; an empty one never erases it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::mapping::{Mapped, Mapping};
use super::path;
use crate::db::entities::{contact, integration_data};

/// What one page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub processed: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub failed: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.processed += other.processed;
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.failed += other.failed;
    }
}

/// Where a page's records go.
pub struct Target<'a> {
    pub tenant_id: i64,
    pub integration_id: i64,
    pub resource: &'a str,
    pub id_field: &'a str,
    pub updated_field: Option<&'a str>,
    pub mapping: &'a Mapping,
}

/// The SHA-256 of a record's canonical JSON.
pub fn content_hash(record: &Value) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(record).unwrap_or_default(),
    ))
}

/// A provider's time field: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or Unix seconds.
pub fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
                    .ok()
                    .map(|t| t.and_utc())
            })
            .or_else(|| {
                s.trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(|n| DateTime::from_timestamp(n, 0))
            }),
        _ => None,
    }
}

struct Incoming {
    external_id: String,
    record: Value,
    hash: String,
    mapped: Mapped,
    remote_updated_at: Option<DateTime<Utc>>,
    existing: Option<(i64, Option<i64>)>,
}

/// What is known of a stored record: its row, content hash and contact.
struct Known {
    id: i64,
    hash: String,
    contact_id: Option<i64>,
}

/// The stored records of `external_ids` (only what comparing needs, not their data).
async fn known_records<C: ConnectionTrait>(
    db: &C,
    target: &Target<'_>,
    external_ids: Vec<String>,
) -> Result<HashMap<String, Known>, DbErr> {
    let rows: Vec<(i64, String, String, Option<i64>)> = integration_data::Entity::find()
        .select_only()
        .column(integration_data::Column::Id)
        .column(integration_data::Column::ExternalId)
        .column(integration_data::Column::ContentHash)
        .column(integration_data::Column::ContactId)
        .filter(integration_data::Column::IntegrationId.eq(target.integration_id))
        .filter(integration_data::Column::Resource.eq(target.resource))
        .filter(integration_data::Column::ExternalId.is_in(external_ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, external_id, hash, contact_id)| {
            (
                external_id,
                Known {
                    id,
                    hash,
                    contact_id,
                },
            )
        })
        .collect())
}

/// Opens a page transaction: the write transaction a page is stored in.
///
/// On PostgreSQL its statements run on generic plans. The hub's connections
/// otherwise plan every execution afresh for its parameters (`db::connect`),
/// and a page's statements are the same few key lookups and inserts each
/// time, where that goes wrong twice: planning a hundred-row insert cost more
/// than running it, and a plan made for this workspace's or integration's
/// values trusts statistics taken before its rows arrived — "no rows here" —
/// and reads all of them, filtering, instead of probing the unique index with
/// every key (11 ms instead of 0.4 ms a page at 30,000 records, growing with
/// each page: the first sync of a new workspace on a busy database). The
/// generic plan of a full-key lookup probes the key whatever the statistics
/// say. The run's statistics refresh still matters for a table that was
/// empty when the plans were made.
pub async fn begin_page(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan")
            .await?;
    }
    Ok(txn)
}

/// Stores `records`; returns the counts and a line for each record that could not be stored.
pub async fn store_page<C: ConnectionTrait>(
    db: &C,
    target: &Target<'_>,
    records: Vec<Value>,
) -> Result<(Counts, Vec<String>), DbErr> {
    let mut counts = Counts::default();
    let mut problems = Vec::new();
    let now = Utc::now();

    // The page's records by external id (a provider repeating one keeps the last).
    let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
    for record in records {
        counts.processed += 1;
        match path::get_text(&record, target.id_field) {
            Some(id) => {
                if by_id.insert(id, record).is_some() {
                    counts.unchanged += 1;
                }
            }
            None => {
                counts.failed += 1;
                problems.push(format!("a record without {} was skipped", target.id_field));
            }
        }
    }
    if by_id.is_empty() {
        return Ok((counts, problems));
    }

    let known = known_records(db, target, by_id.keys().cloned().collect()).await?;
    let mut incoming = Vec::new();
    for (external_id, record) in by_id {
        let hash = content_hash(&record);
        let before = known.get(&external_id);
        if before.is_some_and(|row| row.hash == hash) {
            counts.unchanged += 1;
            continue;
        }
        incoming.push(Incoming {
            mapped: target.mapping.apply(&record),
            remote_updated_at: target
                .updated_field
                .and_then(|f| path::get(&record, f))
                .and_then(parse_time),
            existing: before.map(|row| (row.id, row.contact_id)),
            external_id,
            record,
            hash,
        });
    }
    if incoming.is_empty() {
        return Ok((counts, problems));
    }

    let contact_ids = upsert_contacts(db, target.tenant_id, &incoming, now).await?;

    // New and changed records in one statement: a new one is inserted, a
    // changed one (its key taken) gets its new data, hash and contact.
    let rows: Vec<integration_data::ActiveModel> = incoming
        .into_iter()
        .zip(contact_ids)
        .map(|(item, contact_id)| {
            if item.existing.is_some() {
                counts.updated += 1;
            } else {
                counts.created += 1;
            }
            integration_data::ActiveModel {
                tenant_id: Set(target.tenant_id),
                integration_id: Set(target.integration_id),
                resource: Set(target.resource.to_string()),
                external_id: Set(item.external_id),
                content_hash: Set(item.hash),
                data: Set(item.record),
                contact_id: Set(contact_id),
                remote_updated_at: Set(item.remote_updated_at),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        })
        .collect();
    integration_data::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                integration_data::Column::IntegrationId,
                integration_data::Column::Resource,
                integration_data::Column::ExternalId,
            ])
            .update_columns([
                integration_data::Column::ContentHash,
                integration_data::Column::Data,
                integration_data::Column::ContactId,
                integration_data::Column::RemoteUpdatedAt,
                integration_data::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok((counts, problems))
}

/// Finds or creates the contact of each incoming record; returns their ids in order.
async fn upsert_contacts<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    incoming: &[Incoming],
    now: DateTime<Utc>,
) -> Result<Vec<Option<i64>>, DbErr> {
    let emails: Vec<String> = incoming
        .iter()
        .filter_map(|i| i.mapped.get("email").cloned())
        .collect();
    let mut by_email: HashMap<String, contact::Model> = if emails.is_empty() {
        HashMap::new()
    } else {
        contact::Entity::find()
            .filter(contact::Column::TenantId.eq(tenant_id))
            .filter(contact::Column::Email.is_in(emails.clone()))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|c| c.email.clone().map(|e| (e, c)))
            .collect()
    };

    // New contacts with an email: one insert for the page, returning their ids.
    let mut fresh: BTreeMap<String, &Mapped> = BTreeMap::new();
    for item in incoming {
        if let Some(email) = item.mapped.get("email") {
            if !by_email.contains_key(email) {
                fresh.insert(email.clone(), &item.mapped);
            }
        }
    }
    if !fresh.is_empty() {
        let rows = fresh
            .values()
            .map(|mapped| new_contact(tenant_id, mapped, now));
        let created = contact::Entity::insert_many(rows)
            .exec_with_returning(db)
            .await?;
        for row in created {
            if let Some(email) = row.email.clone() {
                by_email.insert(email, row);
            }
        }
    }

    // Existing contacts the page changes, merged in memory and written in
    // one statement at the end (a contact two records change is written once).
    let mut changed: BTreeMap<i64, contact::Model> = BTreeMap::new();
    let mut ids = Vec::with_capacity(incoming.len());
    for item in incoming {
        let id = match item.mapped.get("email") {
            Some(email) => match by_email.get_mut(email) {
                Some(found) => {
                    if !fresh.contains_key(email) && merge(found, &item.mapped, now) {
                        changed.insert(found.id, found.clone());
                    }
                    Some(found.id)
                }
                None => None,
            },
            // No email: the contact this record made before, or a new one.
            None => {
                let linked = match item.existing.and_then(|(_, c)| c) {
                    Some(id) => match changed.remove(&id) {
                        Some(merged) => Some(merged),
                        None => {
                            contact::Entity::find()
                                .filter(contact::Column::TenantId.eq(tenant_id))
                                .filter(contact::Column::Id.eq(id))
                                .one(db)
                                .await?
                        }
                    },
                    None => None,
                };
                match linked {
                    Some(mut found) => {
                        let id = found.id;
                        // Changed now, or by an earlier record of this page.
                        if merge(&mut found, &item.mapped, now) || found.updated_at == now {
                            changed.insert(id, found);
                        }
                        Some(id)
                    }
                    None if item.mapped.is_empty() => None,
                    None => Some(
                        new_contact(tenant_id, &item.mapped, now)
                            .insert(db)
                            .await?
                            .id,
                    ),
                }
            }
        };
        ids.push(id);
    }
    if !changed.is_empty() {
        let rows = changed
            .into_values()
            .map(|contact| contact.into_active_model().reset_all());
        contact::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(contact::Column::Id)
                    .update_columns([
                        contact::Column::FirstName,
                        contact::Column::LastName,
                        contact::Column::Phone,
                        contact::Column::Company,
                        contact::Column::JobTitle,
                        contact::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(ids)
}

fn new_contact(tenant_id: i64, mapped: &Mapped, now: DateTime<Utc>) -> contact::ActiveModel {
    let field = |name: &str| Set(mapped.get(name).cloned());
    contact::ActiveModel {
        tenant_id: Set(tenant_id),
        email: field("email"),
        first_name: field("first_name"),
        last_name: field("last_name"),
        phone: field("phone"),
        company: field("company"),
        job_title: field("job_title"),
        attributes: Set(Value::Object(Default::default())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Writes the record's non-empty values over the contact's; `true` when any differed.
fn merge(contact: &mut contact::Model, mapped: &Mapped, now: DateTime<Utc>) -> bool {
    let mut changed = false;
    let mut take = |slot: &mut Option<String>, name: &str| {
        if let Some(value) = mapped.get(name) {
            if slot.as_deref() != Some(value.as_str()) {
                *slot = Some(value.clone());
                changed = true;
            }
        }
    };
    take(&mut contact.first_name, "first_name");
    take(&mut contact.last_name, "last_name");
    take(&mut contact.phone, "phone");
    take(&mut contact.company, "company");
    take(&mut contact.job_title, "job_title");
    if changed {
        contact.updated_at = now;
    }
    changed
}
