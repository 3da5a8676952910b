//! The sync port: Sync now, the Sync history tab, and the contacts page,
//! every query inside the caller's tenant.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use app::api::ports::SyncPort;
use app::domain::auth::{Principal, Role};
use app::domain::ids::{ContactId, IntegrationId, SyncRunId};
use app::domain::sync::{
    contact_field_label, ContactDetail, ContactPage, ContactQuery, ContactRow, MappingRow,
    MappingView, SourceRecord, SyncRunDetail, SyncRunView,
};
use app::domain::AppError;
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::mapping::Mapping;
use super::path;
use super::runs::{self, StartError};
use crate::catalog::Catalog;
use crate::catalog::{Resource, CONTACT_FIELDS};
use crate::db::entities::{
    contact, field_mapping, integration, integration_data, integration_log, sync_run,
};
use crate::db::scoped::Tenant;
use crate::error::internal;
use crate::format;
use crate::jobs::Queue;

/// Contacts per page.
pub const PER_PAGE: u64 = 50;

pub struct SyncService {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub queue: Queue,
}

pub fn run_view(run: &sync_run::Model) -> SyncRunView {
    let now = Utc::now();
    SyncRunView {
        id: SyncRunId(run.id),
        integration_id: IntegrationId(run.integration_id),
        trigger: run.trigger.clone(),
        mode: run.mode.clone(),
        direction: run.direction.clone(),
        resource: run.resource.clone(),
        status: run.status.clone(),
        processed: run.records_processed,
        created: run.records_created,
        updated: run.records_updated,
        unchanged: run.records_unchanged,
        failed: run.records_failed,
        pages: run.pages_fetched,
        error: run.error.clone(),
        started: run.started_at.map(format::time_text),
        duration: run
            .started_at
            .map(|start| format::duration_words(run.finished_at.unwrap_or(now) - start)),
        cancel_requested: run.cancel_requested,
    }
}

impl SyncService {
    async fn integration(
        &self,
        by: &Principal,
        id: IntegrationId,
    ) -> Result<integration::Model, AppError> {
        Tenant(by.tenant_id)
            .find_by_id::<integration::Entity>(id.0)
            .one(&self.db)
            .await
            .map_err(|e| internal("loading an integration", &e))?
            .ok_or(AppError::NotFound)
    }

    async fn run_row(&self, by: &Principal, id: SyncRunId) -> Result<sync_run::Model, AppError> {
        Tenant(by.tenant_id)
            .find_by_id::<sync_run::Entity>(id.0)
            .one(&self.db)
            .await
            .map_err(|e| internal("loading a sync run", &e))?
            .ok_or(AppError::NotFound)
    }

    /// Provider names of the tenant's integrations.
    async fn provider_names(&self, by: &Principal) -> Result<HashMap<i64, String>, AppError> {
        let rows = Tenant(by.tenant_id)
            .find::<integration::Entity>()
            .all(&self.db)
            .await
            .map_err(|e| internal("loading integrations", &e))?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let name = self
                    .catalog
                    .provider(&row.provider)
                    .map(|p| p.name.clone())
                    .unwrap_or(row.provider);
                (row.id, name)
            })
            .collect())
    }

    fn row_of(contact: contact::Model, sources: Vec<String>) -> ContactRow {
        let name = [contact.first_name.as_deref(), contact.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        ContactRow {
            id: ContactId(contact.id),
            name,
            email: contact.email,
            phone: contact.phone,
            company: contact.company,
            job_title: contact.job_title,
            sources,
            updated: format::time_text(contact.updated_at),
        }
    }
}

/// Every leaf path of a record (`properties.email`, `emailAddresses.0.value`).
fn leaf_paths(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let next = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaf_paths(child, &next, out);
            }
        }
        serde_json::Value::Array(items) => {
            if let Some(first) = items.first() {
                leaf_paths(first, &format!("{prefix}.0"), out);
            }
        }
        _ if !prefix.is_empty() => {
            out.insert(prefix.to_string());
        }
        _ => {}
    }
}

impl SyncService {
    /// The resource an integration's mapping is about (its first synced one).
    fn resource_of<'a>(&'a self, row: &integration::Model) -> Result<&'a Resource, AppError> {
        let provider = self
            .catalog
            .provider(&row.provider)
            .ok_or(AppError::NotFound)?;
        provider.resources.first().ok_or_else(|| {
            AppError::Conflict(format!(
                "{} has no records to map: it sends events or messages instead.",
                provider.name
            ))
        })
    }

    async fn mapping_view(
        &self,
        by: &Principal,
        row: &integration::Model,
    ) -> Result<MappingView, AppError> {
        let resource = self.resource_of(row)?;
        let mapping = Mapping::load(&self.db, by.tenant_id.0, row.id, resource)
            .await
            .map_err(|e| internal("loading a field mapping", &e))?;
        let samples = Tenant(by.tenant_id)
            .find::<integration_data::Entity>()
            .filter(integration_data::Column::IntegrationId.eq(row.id))
            .filter(integration_data::Column::Resource.eq(resource.key.as_str()))
            .order_by_desc(integration_data::Column::UpdatedAt)
            .limit(3)
            .all(&self.db)
            .await
            .map_err(|e| internal("loading sample records", &e))?;
        let mut fields = BTreeSet::new();
        for sample in &samples {
            leaf_paths(&sample.data, "", &mut fields);
        }
        fields.extend(resource.mapping.values().cloned());
        fields.extend(mapping.0.values().cloned());
        let rows = CONTACT_FIELDS
            .iter()
            .map(|field| MappingRow {
                field: field.to_string(),
                label: contact_field_label(field).to_string(),
                source: mapping.0.get(*field).cloned().unwrap_or_default(),
                default_source: resource.mapping.get(*field).cloned().unwrap_or_default(),
            })
            .collect();
        let preview = samples
            .iter()
            .map(|sample| {
                CONTACT_FIELDS
                    .iter()
                    .map(|field| {
                        let value = mapping
                            .0
                            .get(*field)
                            .and_then(|source| path::get_text(&sample.data, source))
                            .unwrap_or_default();
                        (field.to_string(), value)
                    })
                    .collect()
            })
            .collect();
        Ok(MappingView {
            resource: resource.key.clone(),
            rows,
            provider_fields: fields.into_iter().collect(),
            preview,
        })
    }
}

#[async_trait]
impl SyncPort for SyncService {
    async fn mapping(&self, by: &Principal, id: IntegrationId) -> Result<MappingView, AppError> {
        by.require(Role::Member)?;
        let row = self.integration(by, id).await?;
        self.mapping_view(by, &row).await
    }

    async fn save_mapping(
        &self,
        by: &Principal,
        id: IntegrationId,
        fields: BTreeMap<String, String>,
    ) -> Result<MappingView, AppError> {
        by.require(Role::Admin)?;
        let row = self.integration(by, id).await?;
        let resource = self.resource_of(&row)?;
        let mut errors = Vec::new();
        for (field, source) in &fields {
            let source = source.trim();
            if !CONTACT_FIELDS.contains(&field.as_str()) {
                errors.push(app::domain::FieldError::new(
                    field,
                    format!("{field} is not a contact field"),
                ));
            } else if field == "email" && source.is_empty() {
                errors.push(app::domain::FieldError::new(
                    field,
                    "Email needs a provider field: contacts are matched by email.",
                ));
            } else if source.len() > 200 || source.contains(char::is_whitespace) {
                errors.push(app::domain::FieldError::new(
                    field,
                    "Choose a provider field from the list.",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db)
            .await
            .map_err(|e| internal("starting a transaction", &e))?;
        Tenant(by.tenant_id)
            .delete_many::<field_mapping::Entity>()
            .filter(field_mapping::Column::IntegrationId.eq(row.id))
            .filter(field_mapping::Column::Resource.eq(resource.key.as_str()))
            .exec(&txn)
            .await
            .map_err(|e| internal("saving a field mapping", &e))?;
        let changed: Vec<field_mapping::ActiveModel> = fields
            .iter()
            .filter(|(field, source)| {
                resource
                    .mapping
                    .get(*field)
                    .map(String::as_str)
                    .unwrap_or("")
                    != source.trim()
            })
            .map(|(field, source)| field_mapping::ActiveModel {
                tenant_id: sea_orm::Set(by.tenant_id.0),
                integration_id: sea_orm::Set(row.id),
                resource: sea_orm::Set(resource.key.clone()),
                source_field: sea_orm::Set(source.trim().to_string()),
                target_field: sea_orm::Set(field.clone()),
                created_at: sea_orm::Set(now),
                updated_at: sea_orm::Set(now),
                ..Default::default()
            })
            .collect();
        if !changed.is_empty() {
            sea_orm::EntityTrait::insert_many(changed)
                .exec(&txn)
                .await
                .map_err(|e| internal("saving a field mapping", &e))?;
        }
        // The next sync maps every record again, even those the provider did not change.
        Tenant(by.tenant_id)
            .update_many::<integration_data::Entity>()
            .col_expr(
                integration_data::Column::ContentHash,
                sea_orm::sea_query::Expr::value(""),
            )
            .filter(integration_data::Column::IntegrationId.eq(row.id))
            .filter(integration_data::Column::Resource.eq(resource.key.as_str()))
            .exec(&txn)
            .await
            .map_err(|e| internal("saving a field mapping", &e))?;
        crate::activity::Entry::integration(
            by.tenant_id.0,
            row.id,
            "integration.mapping_changed",
            format!(
                "{} changed the field mapping; the next sync uses it.",
                by.name
            ),
        )
        .write(&txn)
        .await
        .map_err(|e| internal("logging a mapping change", &e))?;
        txn.commit()
            .await
            .map_err(|e| internal("saving a field mapping", &e))?;
        self.mapping_view(by, &row).await
    }

    async fn sync_now(
        &self,
        by: &Principal,
        id: IntegrationId,
    ) -> Result<Vec<SyncRunView>, AppError> {
        by.require(Role::Member)?;
        let row = self.integration(by, id).await?;
        let provider = self
            .catalog
            .provider(&row.provider)
            .ok_or(AppError::NotFound)?;
        let started = runs::start(&self.db, &self.queue, &row, provider, "manual")
            .await
            .map_err(|e| match e {
                StartError::Refused(why) => AppError::Conflict(why),
                StartError::Db(e) => internal("starting a sync", &e),
            })?;
        tracing::info!(
            tenant_id = by.tenant_id.0,
            integration_id = row.id,
            runs = started.len(),
            "sync requested"
        );
        Ok(started.iter().map(run_view).collect())
    }

    async fn runs(&self, by: &Principal, id: IntegrationId) -> Result<Vec<SyncRunView>, AppError> {
        by.require(Role::Member)?;
        let row = self.integration(by, id).await?;
        let runs = Tenant(by.tenant_id)
            .find::<sync_run::Entity>()
            .filter(sync_run::Column::IntegrationId.eq(row.id))
            .order_by_desc(sync_run::Column::CreatedAt)
            .order_by_desc(sync_run::Column::Id)
            .limit(50)
            .all(&self.db)
            .await
            .map_err(|e| internal("loading sync runs", &e))?;
        Ok(runs.iter().map(run_view).collect())
    }

    async fn run(&self, by: &Principal, id: SyncRunId) -> Result<SyncRunDetail, AppError> {
        by.require(Role::Member)?;
        let run = self.run_row(by, id).await?;
        let log = Tenant(by.tenant_id)
            .find::<integration_log::Entity>()
            .filter(integration_log::Column::SyncRunId.eq(run.id))
            .order_by_asc(integration_log::Column::CreatedAt)
            .order_by_asc(integration_log::Column::Id)
            .limit(500)
            .all(&self.db)
            .await
            .map_err(|e| internal("loading a run's log", &e))?;
        Ok(SyncRunDetail {
            run: run_view(&run),
            log: log.into_iter().map(format::log_line).collect(),
        })
    }

    async fn cancel(&self, by: &Principal, id: SyncRunId) -> Result<SyncRunView, AppError> {
        by.require(Role::Admin)?;
        let run = self.run_row(by, id).await?;
        if runs::is_finished(&run.status) {
            return Err(AppError::Conflict(format!(
                "This run has already ended ({}).",
                run.status
            )));
        }
        runs::cancel(&self.db, &run)
            .await
            .map_err(|e| internal("cancelling a run", &e))?;
        Ok(run_view(&self.run_row(by, id).await?))
    }

    async fn contacts(&self, by: &Principal, query: ContactQuery) -> Result<ContactPage, AppError> {
        by.require(Role::Member)?;
        let mut select = Tenant(by.tenant_id).find::<contact::Entity>();
        let search = query.search.trim().to_lowercase();
        if !search.is_empty() {
            let pattern = format!(
                "%{}%",
                search
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            let backend = self.db.get_database_backend();
            // Case-insensitive: SQLite's LIKE already ignores (ASCII) case, so
            // it skips lower() on every row, but needs its escape named;
            // PostgreSQL compares lower() (faster there than ILIKE), and
            // its default escape is the backslash.
            let like = |column: contact::Column| match backend {
                DbBackend::Postgres => sea_orm::sea_query::ExprTrait::like(
                    Expr::expr(Func::lower(Expr::col(column))),
                    pattern.as_str(),
                ),
                _ => sea_orm::sea_query::ExprTrait::like(
                    Expr::col(column),
                    LikeExpr::new(pattern.as_str()).escape('\\'),
                ),
            };
            select = select.filter(
                Condition::any()
                    .add(like(contact::Column::Email))
                    .add(like(contact::Column::FirstName))
                    .add(like(contact::Column::LastName))
                    .add(like(contact::Column::Company)),
            );
        }
        let order = if query.descending {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        select = match query.sort.as_str() {
            "email" => select.order_by(contact::Column::Email, order.clone()),
            "company" => select.order_by(contact::Column::Company, order.clone()),
            "updated" => select.order_by(contact::Column::UpdatedAt, order.clone()),
            _ => select
                .order_by(contact::Column::LastName, order.clone())
                .order_by(contact::Column::FirstName, order.clone()),
        }
        .order_by(contact::Column::Id, order);
        let total = select
            .clone()
            .count(&self.db)
            .await
            .map_err(|e| internal("counting contacts", &e))?;
        let pages = total.div_ceil(PER_PAGE).max(1);
        let page = query.page.clamp(1, pages);
        let rows = select
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
            .all(&self.db)
            .await
            .map_err(|e| internal("loading contacts", &e))?;

        // Where each contact's records came from.
        let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        let links: Vec<(Option<i64>, i64)> = Tenant(by.tenant_id)
            .find::<integration_data::Entity>()
            .select_only()
            .column(integration_data::Column::ContactId)
            .column(integration_data::Column::IntegrationId)
            .filter(integration_data::Column::ContactId.is_in(ids))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(|e| internal("loading contact sources", &e))?;
        let names = self.provider_names(by).await?;
        let mut sources: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for (contact_id, integration_id) in links {
            if let (Some(contact_id), Some(name)) = (contact_id, names.get(&integration_id)) {
                sources.entry(contact_id).or_default().insert(name.clone());
            }
        }
        Ok(ContactPage {
            rows: rows
                .into_iter()
                .map(|c| {
                    let from = sources
                        .remove(&c.id)
                        .unwrap_or_default()
                        .into_iter()
                        .collect();
                    Self::row_of(c, from)
                })
                .collect(),
            total,
            page,
            pages,
            per_page: PER_PAGE,
        })
    }

    async fn contact(&self, by: &Principal, id: ContactId) -> Result<ContactDetail, AppError> {
        by.require(Role::Member)?;
        let found = Tenant(by.tenant_id)
            .find_by_id::<contact::Entity>(id.0)
            .one(&self.db)
            .await
            .map_err(|e| internal("loading a contact", &e))?
            .ok_or(AppError::NotFound)?;
        let records = Tenant(by.tenant_id)
            .find::<integration_data::Entity>()
            .filter(integration_data::Column::ContactId.eq(found.id))
            .order_by_desc(integration_data::Column::UpdatedAt)
            .limit(50)
            .all(&self.db)
            .await
            .map_err(|e| internal("loading a contact's records", &e))?;
        let names = self.provider_names(by).await?;
        let records: Vec<SourceRecord> = records
            .into_iter()
            .map(|r| SourceRecord {
                provider: names.get(&r.integration_id).cloned().unwrap_or_default(),
                resource: r.resource,
                external_id: r.external_id,
                data: serde_json::to_string_pretty(&r.data).unwrap_or_default(),
                synced: format::time_text(r.updated_at),
            })
            .collect();
        let sources = records
            .iter()
            .map(|r| r.provider.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok(ContactDetail {
            contact: Self::row_of(found, sources),
            records,
        })
    }
}
