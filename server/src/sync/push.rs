//! Direction push: the tenant's contacts written to a provider through its
//! real create and update requests (the catalog's `push` table), the field
//! mapping run backwards. A contact linked to one of the provider's records
//! (an `integration_data` row of this integration) updates that record; an
//! unlinked one is first looked up by email (so a person the provider
//! already has is updated, not duplicated) and otherwise created. Every
//! written record is linked, and kept as the provider's copy, in the same
//! transaction that saves the run's position and proves the worker still
//! holds the job: a crash repeats at most the one request in flight.
//!
//! Which contacts: a full push sends every contact; an incremental one
//! those changed since this integration last saw them (their link is older
//! than the contact), which leaves out what this integration's own pull
//! just wrote. In a two-way run the pull goes first, so the provider's
//! non-empty values win there (the pull's rule); the contacts the hub has
//! changed since are then pushed.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use reqwest::Method;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{json, Value};

use super::engine::Stop;
use super::fetch::{ApiSession, Body, FetchError};
use super::mapping::Mapping;
use super::pager::PageRequest;
use super::store::{content_hash, Counts};
use super::{path, runs};
use crate::activity::{Entry, Level};
use crate::catalog::{fill, placeholders, BodyEncoding, Endpoint, Push, Quote, Resource};
use crate::db::entities::{contact, integration_data, sync_run};
use crate::jobs::{JobError, Lease};

/// Contacts read per batch; cancellation is checked between batches.
const BATCH: u64 = 50;

/// A contact's values by contact field (empty ones left out).
pub fn contact_values(contact: &contact::Model) -> BTreeMap<String, String> {
    [
        ("email", &contact.email),
        ("first_name", &contact.first_name),
        ("last_name", &contact.last_name),
        ("phone", &contact.phone),
        ("company", &contact.company),
        ("job_title", &contact.job_title),
    ]
    .into_iter()
    .filter_map(|(field, value)| {
        let value = value.as_deref()?.trim();
        (!value.is_empty()).then(|| (field.to_string(), value.to_string()))
    })
    .collect()
}

/// Where each mapped contact field is written: the catalog's write path
/// while the field keeps its default mapping, else the path a person chose.
pub fn write_paths(
    push: &Push,
    resource: &Resource,
    mapping: &Mapping,
) -> BTreeMap<String, String> {
    mapping
        .0
        .iter()
        .filter(|(field, _)| !push.omit.contains(field))
        .map(|(field, read)| {
            let default = resource.mapping.get(field) == Some(read);
            let path = match push.fields.get(field) {
                Some(write) if default => write.clone(),
                _ => read.clone(),
            };
            (field.clone(), path)
        })
        .collect()
}

/// The record a request sends (before wrapping): mapped fields, composed
/// fields, the endpoint's constants and the kept fields of the last copy.
pub fn record_for(
    push: &Push,
    endpoint: &Endpoint,
    paths: &BTreeMap<String, String>,
    values: &BTreeMap<String, String>,
    settings: &BTreeMap<String, String>,
    kept: Option<&Value>,
) -> Value {
    let mut record = json!({});
    for (field, at) in paths {
        if let Some(value) = values.get(field) {
            path::set(&mut record, at, json!(value));
        }
    }
    for (target, template) in &push.compose {
        let mut given = values.clone();
        for name in placeholders(template) {
            given.entry(name.to_string()).or_default();
        }
        let text = fill(template, &given)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() {
            path::set(&mut record, target, json!(text));
        }
    }
    for (target, value) in &endpoint.constants {
        let value = match value {
            Value::String(template) => json!(fill(template, settings)),
            other => other.clone(),
        };
        path::set(&mut record, target, value);
    }
    if let Some(kept) = kept {
        for at in &push.keep {
            if let Some(value) = path::get(kept, at) {
                path::set(&mut record, at, value.clone());
            }
        }
    }
    record
}

/// The request body: the record at `wrap`, as JSON or as a form.
pub fn body_of(push: &Push, record: Value) -> Body {
    let body = if push.wrap.is_empty() {
        record
    } else {
        let mut body = json!({});
        path::set(&mut body, &push.wrap, record);
        body
    };
    match push.encoding {
        BodyEncoding::Json => Body {
            bytes: serde_json::to_vec(&body).unwrap_or_default(),
            content_type: "application/json",
        },
        BodyEncoding::Form => {
            let mut pairs = Vec::new();
            form_pairs(&body, String::new(), &mut pairs);
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.extend_pairs(pairs);
            Body {
                bytes: form.finish().into_bytes(),
                content_type: "application/x-www-form-urlencoded",
            }
        }
    }
}

/// `{"metadata": {"company": "X"}}` → `metadata[company]=X` (Stripe's form keys).
fn form_pairs(value: &Value, prefix: String, out: &mut Vec<(String, String)>) {
    let key = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}[{name}]")
        }
    };
    match value {
        Value::Object(map) => {
            for (name, inner) in map {
                form_pairs(inner, key(name), out);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                form_pairs(inner, key(&i.to_string()), out);
            }
        }
        Value::Null => {}
        other => out.push((prefix, path::text(other).unwrap_or_default())),
    }
}

/// A form body read back into JSON (`a[b][0]=v` → `{"a":{"b":["v"]}}`).
pub fn form_to_json(bytes: &[u8]) -> Value {
    let mut out = json!({});
    for (key, value) in url::form_urlencoded::parse(bytes) {
        let at = key.replace("][", ".").replace(['[', ']'], ".");
        path::set(&mut out, at.trim_end_matches('.'), json!(value));
    }
    out
}

/// An email made safe inside a lookup's query language.
fn quoted(email: &str, quote: Quote) -> String {
    match quote {
        Quote::None => email.to_string(),
        Quote::Backslash => email.replace('\\', "\\\\").replace('\'', "\\'"),
        Quote::Double => email.replace('\'', "''"),
    }
}

/// What happened to one contact.
enum Outcome {
    Created {
        id: Option<String>,
        copy: Value,
    },
    Updated {
        id: String,
        copy: Value,
    },
    /// Not sent, or refused by the provider: the reason.
    Refused(String),
}

/// The push half of a run.
pub(super) struct Pusher<'a> {
    pub db: &'a sea_orm::DatabaseConnection,
    pub run: &'a sync_run::Model,
    pub provider_name: &'a str,
    pub resource: &'a Resource,
    pub push: &'a Push,
    pub mapping: &'a Mapping,
    pub lease: &'a Lease,
}

impl Pusher<'_> {
    /// Sends the contacts after `after` (a contact id); returns the counts so far.
    pub async fn run(
        &self,
        session: &mut ApiSession<'_>,
        mut after: i64,
        mut counts: Counts,
        pages: i32,
    ) -> Result<Counts, Stop> {
        let paths = write_paths(self.push, self.resource, self.mapping);
        let incremental = self.run.mode == "incremental";
        let (mut sent, mut skipped, mut batches) = (Counts::default(), 0u64, 0u64);
        loop {
            if self.lease.should_stop() {
                return Err(Stop::Job(JobError::Interrupted));
            }
            if runs::cancel_requested(self.db, self.run.id).await? {
                return Err(Stop::Cancelled);
            }
            let contacts = contact::Entity::find()
                .filter(contact::Column::TenantId.eq(self.run.tenant_id))
                .filter(contact::Column::Id.gt(after))
                .order_by_asc(contact::Column::Id)
                .limit(BATCH)
                .all(self.db)
                .await?;
            let Some(last) = contacts.last().map(|c| c.id) else {
                break;
            };
            let links = self.links(&contacts).await?;
            let mut problems = Vec::new();
            for contact in &contacts {
                let link = links.get(&contact.id);
                if incremental && link.is_some_and(|l| l.updated_at >= contact.updated_at) {
                    skipped += 1;
                    continue;
                }
                let outcome = self.one(session, &paths, contact, link).await?;
                for note in session.notes.drain(..) {
                    problems.push((Level::Warning, "sync.retry", note));
                }
                let mut delta = Counts {
                    processed: 1,
                    ..Counts::default()
                };
                let copy = match outcome {
                    Outcome::Created { id, copy } => {
                        delta.created = 1;
                        id.map(|id| (id, copy))
                    }
                    Outcome::Updated { id, copy } => {
                        delta.updated = 1;
                        Some((id, copy))
                    }
                    Outcome::Refused(why) => {
                        delta.failed = 1;
                        let who = contact
                            .email
                            .as_deref()
                            .unwrap_or("a contact without email");
                        problems.push((
                            Level::Warning,
                            "sync.record_failed",
                            format!("{who} was not pushed: {why}"),
                        ));
                        None
                    }
                };
                counts += delta;
                sent += delta;
                let link = copy.map(|(id, copy)| (contact.id, id, copy));
                self.commit(link, &counts, pages, contact.id, &problems)
                    .await?;
                problems.clear();
            }
            after = last;
            batches += 1;
            // A scan past unchanged contacts saves its place now and then
            // (each write saved it already; the worker's heartbeat keeps the lease).
            if batches % 20 == 0 {
                self.commit(None, &counts, pages, after, &[]).await?;
            }
        }
        let line = format!(
            "Pushed to {}: {} created, {} updated, {} failed; {} contacts unchanged since their last sync were left alone.",
            self.provider_name, sent.created, sent.updated, sent.failed, skipped
        );
        let entry = Entry::integration(
            self.run.tenant_id,
            self.run.integration_id,
            "sync.pushed",
            line,
        )
        .run(self.run.id);
        if let Err(err) = entry.write(self.db).await {
            tracing::warn!(error = %err, "could not write to the activity log");
        }
        Ok(counts)
    }

    /// Each contact's newest link to this integration's records.
    async fn links(
        &self,
        contacts: &[contact::Model],
    ) -> Result<HashMap<i64, integration_data::Model>, DbErr> {
        let rows = integration_data::Entity::find()
            .filter(integration_data::Column::IntegrationId.eq(self.run.integration_id))
            .filter(integration_data::Column::Resource.eq(self.resource.key.as_str()))
            .filter(integration_data::Column::ContactId.is_in(contacts.iter().map(|c| c.id)))
            .all(self.db)
            .await?;
        let mut newest: HashMap<i64, integration_data::Model> = HashMap::new();
        for row in rows {
            let Some(contact_id) = row.contact_id else {
                continue;
            };
            match newest.get(&contact_id) {
                Some(kept) if kept.updated_at >= row.updated_at => {}
                _ => {
                    newest.insert(contact_id, row);
                }
            }
        }
        Ok(newest)
    }

    /// Writes one contact: update its linked record, or the one its email
    /// finds, or create one.
    async fn one(
        &self,
        session: &mut ApiSession<'_>,
        paths: &BTreeMap<String, String>,
        contact: &contact::Model,
        link: Option<&integration_data::Model>,
    ) -> Result<Outcome, Stop> {
        let values: BTreeMap<String, String> = contact_values(contact)
            .into_iter()
            .filter(|(field, _)| self.mapping.0.contains_key(field))
            .collect();
        if let Some(missing) = self.push.required.iter().find(|f| !values.contains_key(*f)) {
            return Ok(Outcome::Refused(format!(
                "{} needs the contact's {} and this contact has none",
                self.provider_name,
                missing.replace('_', " ")
            )));
        }
        let mut target = link.map(|l| (l.external_id.clone(), Some(l.data.clone())));
        if target.is_none() {
            if let (Some(lookup), Some(email)) = (&self.push.lookup, values.get("email")) {
                target = self.lookup(session, lookup, email).await?;
            }
        }
        if let Some((id, kept)) = target {
            let record = self.record(&self.push.update, paths, &values, session, kept.as_ref());
            match self
                .send(session, &self.push.update, Some(&id), record.clone())
                .await?
            {
                Ok(answer) => {
                    let copy = self.copy_of(&answer, record, &id);
                    return Ok(Outcome::Updated { id, copy });
                }
                // Deleted at the provider since: create it anew.
                Err(FetchError::NotFound(_)) => {}
                Err(err) => return Ok(Outcome::Refused(err.to_string())),
            }
        }
        let record = self.record(&self.push.create, paths, &values, session, None);
        match self
            .send(session, &self.push.create, None, record.clone())
            .await?
        {
            Ok(answer) => {
                let id = self
                    .push
                    .id_path
                    .as_deref()
                    .and_then(|at| path::get_text(&answer, at));
                let copy = match &id {
                    Some(id) => self.copy_of(&answer, record, id),
                    None => record,
                };
                Ok(Outcome::Created { id, copy })
            }
            Err(err) => Ok(Outcome::Refused(err.to_string())),
        }
    }

    fn record(
        &self,
        endpoint: &Endpoint,
        paths: &BTreeMap<String, String>,
        values: &BTreeMap<String, String>,
        session: &ApiSession<'_>,
        kept: Option<&Value>,
    ) -> Value {
        record_for(self.push, endpoint, paths, values, &session.values, kept)
    }

    /// The provider's copy to keep: the record its answer carries, else what was sent.
    fn copy_of(&self, answer: &Value, mut sent: Value, id: &str) -> Value {
        if let Some(record) = self
            .push
            .record_path
            .as_deref()
            .and_then(|at| path::get(answer, at))
            .filter(|r| r.is_object())
        {
            return record.clone();
        }
        path::set(&mut sent, &self.resource.id_field, json!(id));
        sent
    }

    /// The first record the lookup finds for `email`: its id and the record.
    async fn lookup(
        &self,
        session: &mut ApiSession<'_>,
        lookup: &crate::catalog::Lookup,
        email: &str,
    ) -> Result<Option<(String, Option<Value>)>, Stop> {
        let given = BTreeMap::from([("email".to_string(), quoted(email, lookup.quote))]);
        let query: BTreeMap<String, String> = lookup
            .params
            .iter()
            .map(|(name, value)| (name.clone(), fill(value, &given)))
            .collect();
        // In a path the address is one encoded segment (no `/`, `?` or `#` of its own).
        let in_path = BTreeMap::from([(
            "email".to_string(),
            url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>(),
        )]);
        let url = self.url(session, &fill(&lookup.path, &in_path), &query)?;
        let page = match session.get(url, &BTreeMap::new()).await {
            Ok(page) => page,
            Err(FetchError::NotFound(_)) => return Ok(None),
            Err(err) => return Err(fatal(err)),
        };
        let found = path::get(&page.body, &lookup.records_path).and_then(|v| match v {
            Value::Array(items) => items.first(),
            Value::Object(_) => Some(v),
            _ => None,
        });
        let Some(found) = found else { return Ok(None) };
        let Some(id) = path::get_text(found, lookup.id_field_in(self.resource)) else {
            return Ok(None);
        };
        let record = path::get(found, lookup.record_in_match(self.resource)).cloned();
        Ok(Some((id, record)))
    }

    /// One write; a refusal of this record is `Ok(Err)`, a reason to stop the run `Err`.
    async fn send(
        &self,
        session: &mut ApiSession<'_>,
        endpoint: &Endpoint,
        id: Option<&str>,
        record: Value,
    ) -> Result<Result<Value, FetchError>, Stop> {
        let given: BTreeMap<String, String> = id
            .map(|id| BTreeMap::from([("id".to_string(), id.to_string())]))
            .unwrap_or_default();
        let url = self.url(session, &fill(&endpoint.path, &given), &endpoint.query)?;
        let method = Method::from_bytes(endpoint.method.as_bytes()).unwrap_or(Method::POST);
        let body = body_of(self.push, record);
        match session
            .send(method, url, &BTreeMap::new(), Some(&body))
            .await
        {
            Ok(page) => Ok(Ok(page.body)),
            Err(err @ (FetchError::Rejected(_) | FetchError::NotFound(_))) => Ok(Err(err)),
            Err(err) => Err(fatal(err)),
        }
    }

    fn url(
        &self,
        session: &ApiSession<'_>,
        path: &str,
        query: &BTreeMap<String, String>,
    ) -> Result<url::Url, Stop> {
        session
            .client()
            .map_err(|e| Stop::Failed(e.to_string()))?
            .url(path, query)
            .map_err(|e| Stop::Failed(e.to_string()))
    }

    /// Links a contact to its record (contact id, the provider's id, its
    /// copy), logs, and saves the run's position, fenced by the lease.
    async fn commit(
        &self,
        contact_link: Option<(i64, String, Value)>,
        counts: &Counts,
        pages: i32,
        after: i64,
        problems: &[(Level, &str, String)],
    ) -> Result<(), Stop> {
        let txn = crate::db::begin_write(self.db).await?;
        if let Some((contact_id, id, copy)) = contact_link {
            link(&txn, self.run, &self.resource.key, contact_id, &id, copy).await?;
        }
        for (level, event, message) in problems {
            Entry::integration(
                self.run.tenant_id,
                self.run.integration_id,
                event,
                message.clone(),
            )
            .run(self.run.id)
            .level(*level)
            .write(&txn)
            .await?;
        }
        // Cancelling is checked before each batch of contacts.
        let _cancel_asked = runs::save_progress(
            &txn,
            self.run.id,
            counts,
            pages,
            Some(PageRequest::Push { after }),
        )
        .await?;
        if !self.lease.extend_in(&txn).await? {
            return Err(Stop::Job(JobError::Interrupted));
        }
        txn.commit().await?;
        Ok(())
    }
}

/// A request error that ends the run (or hands it back to the queue).
fn fatal(err: FetchError) -> Stop {
    match err {
        FetchError::RetryLater { message, after } => Stop::Job(JobError::Retry { message, after }),
        other => Stop::Failed(other.to_string()),
    }
}

/// Stores `copy` as record `external_id` of the run's integration, linked to the contact.
async fn link<C: ConnectionTrait>(
    db: &C,
    run: &sync_run::Model,
    resource: &str,
    contact_id: i64,
    external_id: &str,
    copy: Value,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let existing = integration_data::Entity::find()
        .filter(integration_data::Column::IntegrationId.eq(run.integration_id))
        .filter(integration_data::Column::Resource.eq(resource))
        .filter(integration_data::Column::ExternalId.eq(external_id))
        .one(db)
        .await?;
    let hash = content_hash(&copy);
    match existing {
        Some(row) => {
            integration_data::ActiveModel {
                id: Set(row.id),
                content_hash: Set(hash),
                data: Set(copy),
                contact_id: Set(Some(contact_id)),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
        None => {
            integration_data::ActiveModel {
                tenant_id: Set(run.tenant_id),
                integration_id: Set(run.integration_id),
                resource: Set(resource.to_string()),
                external_id: Set(external_id.to_string()),
                content_hash: Set(hash),
                data: Set(copy),
                contact_id: Set(Some(contact_id)),
                remote_updated_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn contact() -> contact::Model {
        let now = Utc::now();
        contact::Model {
            id: 7,
            tenant_id: 1,
            email: Some("ada@example.com".into()),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            phone: None,
            company: Some("Analytical Engines".into()),
            job_title: Some(" ".into()),
            attributes: json!({}),
            created_at: now,
            updated_at: now,
        }
    }

    fn body_text(provider: &str, settings: &[(&str, &str)]) -> (Value, String) {
        let catalog = Catalog::builtin().unwrap();
        let resource = &catalog.provider(provider).unwrap().resources[0];
        let push = resource.push.as_ref().unwrap();
        let mapping = Mapping::with_overrides(resource, &[]);
        let paths = write_paths(push, resource, &mapping);
        let settings = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let record = record_for(
            push,
            &push.create,
            &paths,
            &contact_values(&contact()),
            &settings,
            None,
        );
        let body = body_of(push, record.clone());
        (record, String::from_utf8(body.bytes).unwrap())
    }

    #[test]
    fn bodies_take_each_providers_shape() {
        let (record, body) = body_text("hubspot", &[]);
        assert_eq!(record["properties"]["email"], "ada@example.com");
        assert_eq!(record["properties"]["company"], "Analytical Engines");
        assert!(
            record["properties"].get("jobtitle").is_none(),
            "blank values are not sent"
        );
        assert!(body.starts_with("{\"properties\""), "{body}");

        let (_, body) = body_text("zoho_crm", &[]);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["data"][0]["Last_Name"], "Lovelace");
        assert!(
            body["data"][0].get("Account_Name").is_none(),
            "a lookup field is omitted"
        );

        let (record, _) = body_text("pipedrive", &[]);
        assert_eq!(record["name"], "Ada Lovelace");
        assert_eq!(record["email"][0]["value"], "ada@example.com");
        assert_eq!(record["email"][0]["primary"], true);
        assert!(record.get("first_name").is_none());

        let (record, _) = body_text("gohighlevel", &[("locationId", "loc_42")]);
        assert_eq!(record["locationId"], "loc_42", "constants fill settings");

        let (_, body) = body_text("stripe", &[]);
        assert!(body.contains("name=Ada+Lovelace"), "{body}");
        assert!(
            body.contains("metadata%5Bcompany%5D=Analytical+Engines"),
            "{body}"
        );
        let back = form_to_json(body.as_bytes());
        assert_eq!(back["metadata"]["company"], "Analytical Engines");

        let (_, body) = body_text("mailchimp", &[]);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["status"], "subscribed");
        assert_eq!(body["merge_fields"]["FNAME"], "Ada");
    }

    #[test]
    fn lookups_quote_the_email_for_their_query_language() {
        assert_eq!(quoted("o'neil@x.io", Quote::Backslash), "o\\'neil@x.io");
        assert_eq!(quoted("o'neil@x.io", Quote::Double), "o''neil@x.io");
        assert_eq!(quoted("o'neil@x.io", Quote::None), "o'neil@x.io");
    }
}
