//! The sandbox's data set: the same deterministic people for every provider
//! (so one person synced from two providers becomes one contact), each
//! written in the provider's record shape — the catalog's mapping paths,
//! id format and time format — and records that change over time so that
//! incremental syncs have work to do.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::catalog::Resource;
use crate::sync::path;

const FIRST: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "John",
    "Sophie",
    "Donald",
    "Adele",
    "Niklaus",
    "Karen",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "McCarthy",
    "Wilson",
    "Knuth",
    "Goldberg",
    "Wirth",
    "Jones",
    "Backus",
    "Kay",
    "Lamport",
    "Stroustrup",
];
const COMPANIES: &[&str] = &[
    "Analytical Engines Ltd",
    "Cobol & Co",
    "Bletchley Labs",
    "Orbital Mechanics",
    "Kernel Works",
    "Apollo Systems",
    "Bell Street Software",
    "Abstract Data Inc",
    "Unix Partners",
    "Optimising Ltd",
];
const TITLES: &[&str] = &[
    "Head of Sales",
    "Marketing Manager",
    "CTO",
    "Account Executive",
    "Founder",
    "Operations Lead",
    "Customer Success Manager",
    "Engineer",
    "Procurement Officer",
    "VP Partnerships",
];

/// One person of the data set at one revision.
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub job_title: String,
}

pub fn person(index: u64, revision: u32) -> Person {
    let first = FIRST[(index % FIRST.len() as u64) as usize];
    let last = LAST[((index / FIRST.len() as u64) % LAST.len() as u64) as usize];
    let local = format!("{first}.{last}").to_lowercase().replace('-', "");
    let rev = u64::from(revision);
    Person {
        first_name: first.to_string(),
        last_name: last.to_string(),
        email: format!("{local}.{index}@example.com"),
        phone: format!("+1555{:07}", (index * 7919 + rev * 104_729) % 10_000_000),
        company: COMPANIES[((index * 7) % COMPANIES.len() as u64) as usize].to_string(),
        job_title: TITLES[((index + rev * 3) % TITLES.len() as u64) as usize].to_string(),
    }
}

/// A provider's id for record `index`; the index is recoverable from its trailing digits.
pub fn external_id(provider: &str, index: u64) -> Value {
    let n = index + 1;
    match provider {
        "salesforce" => json!(format!("003Hs{n:013}")),
        "hubspot" => json!(format!("{}", 1000 + n)),
        "zoho_crm" => json!(format!("41508680000{n:08}")),
        "pipedrive" | "shopify" | "zendesk" => json!(7_000_000 + n),
        "gohighlevel" => json!(format!("ocQHyuzHvysMoNX{n:08}")),
        "gmail" => json!(format!("people/c{n:019}")),
        "outlook" => json!(format!("AAMkADSandboxContact{n:010}")),
        "stripe" => json!(format!("cus_Sbx{n:010}")),
        "typeform" => json!(format!("{n:032}")),
        "google_forms" => json!(format!("ACYDBNj{n:012}")),
        "mailchimp" => json!(format!("{:032x}", n * 2_654_435_761)),
        _ => json!(n.to_string()),
    }
}

/// The index in a record id written by [`external_id`] (its trailing digits;
/// Mailchimp's hexadecimal ids are a multiple of the index).
pub fn index_of(provider: &str, id: &str) -> Option<u64> {
    if provider == "mailchimp" {
        let n = u128::from_str_radix(id, 16).ok()?;
        if !n.is_multiple_of(2_654_435_761) {
            return None;
        }
        return u64::try_from(n / 2_654_435_761).ok()?.checked_sub(1);
    }
    let digits: String = id
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let n: u64 = digits.parse().ok()?;
    let n = match provider {
        "hubspot" => n.checked_sub(1000)?,
        "pipedrive" | "shopify" | "zendesk" => n.checked_sub(7_000_000)?,
        "zoho_crm" => n % 100_000_000,
        _ => n,
    };
    n.checked_sub(1)
}

/// How a provider writes the time a record changed.
fn time_value(provider: &str, at: DateTime<Utc>) -> Value {
    match provider {
        "stripe" => json!(at.timestamp()),
        "pipedrive" => json!(at.format("%Y-%m-%d %H:%M:%S").to_string()),
        "zoho_crm" | "activecampaign" | "shopify" => {
            json!(at.to_rfc3339_opts(SecondsFormat::Secs, false))
        }
        _ => json!(at.to_rfc3339_opts(SecondsFormat::Millis, true)),
    }
}

/// A person's values by contact field.
pub type Values = BTreeMap<String, String>;

impl Person {
    pub fn values(&self) -> Values {
        [
            ("email", &self.email),
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("phone", &self.phone),
            ("company", &self.company),
            ("job_title", &self.job_title),
        ]
        .into_iter()
        .map(|(field, value)| (field.to_string(), value.clone()))
        .collect()
    }
}

/// Record `index` of `provider` in the provider's shape.
pub fn record(
    provider: &str,
    resource: &Resource,
    index: u64,
    values: &Values,
    revision: u32,
    changed_at: DateTime<Utc>,
) -> Value {
    let mut out = json!({});
    for (field, source) in &resource.mapping {
        if let Some(value) = values.get(field.as_str()) {
            path::set(&mut out, source, json!(value));
        }
    }
    let id = external_id(provider, index);
    path::set(&mut out, &resource.id_field, id.clone());
    if let Some(updated) = &resource.updated_field {
        path::set(&mut out, updated, time_value(provider, changed_at));
    }
    let value = |field: &str| values.get(field).cloned().unwrap_or_default();
    let full_name = format!("{} {}", value("first_name"), value("last_name"))
        .trim()
        .to_string();
    match provider {
        "salesforce" => {
            out["attributes"] = json!({
                "type": "Contact",
                "url": format!("/services/data/v60.0/sobjects/Contact/{}", id.as_str().unwrap_or_default()),
            });
        }
        "hubspot" => {
            out["archived"] = json!(false);
            out["createdAt"] = json!("2024-03-01T09:00:00.000Z");
            out["properties"]["hs_object_id"] = id.clone();
            out["properties"]["lastmodifieddate"] = time_value(provider, changed_at);
        }
        "stripe" => {
            out["object"] = json!("customer");
            out["name"] = json!(full_name);
            out["livemode"] = json!(false);
        }
        "zendesk" => {
            out["name"] = json!(full_name);
            out["role"] = json!("end-user");
        }
        "typeform" => {
            if let Some(answers) = out.get_mut("answers").and_then(Value::as_array_mut) {
                for answer in answers {
                    if answer.get("type").is_none() {
                        answer["type"] = json!("text");
                    }
                }
            }
            out["token"] = id.clone();
            out["landed_at"] = time_value(provider, changed_at);
        }
        "mailchimp" => {
            out["status"] = json!("subscribed");
            out["full_name"] = json!(full_name);
        }
        "gmail" => out["etag"] = json!(etag(index, revision)),
        _ => {}
    }
    out
}

/// The People API's version tag of a contact.
pub fn etag(index: u64, revision: u32) -> String {
    format!("%EgSbx{index}r{revision}")
}

/// A fault a test asks for: after `after` more list requests succeed, the
/// next `times` answer `status` (with `Retry-After` when given).
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub after: u64,
    pub times: u64,
}

/// What changes over a sandbox's life, per provider.
#[derive(Default)]
pub struct ProviderData {
    /// Record index → (revision, when it changed).
    pub changes: BTreeMap<u64, (u32, DateTime<Utc>)>,
    pub list_requests: u64,
    pub faults: VecDeque<Fault>,
    pub drift_ticks: u64,
    /// Values written through the API, over the generated ones.
    pub written: BTreeMap<u64, Values>,
    /// Records created through the API (indexes after the generated ones).
    pub created: u64,
}

pub struct DataSet {
    pub records: u64,
    /// When record `i` was last changed, before any change: `epoch + i` seconds.
    pub epoch: DateTime<Utc>,
    pub change_every: Option<std::time::Duration>,
    pub started: DateTime<Utc>,
    pub providers: HashMap<String, ProviderData>,
}

impl DataSet {
    pub fn new(records: u64, change_every: Option<std::time::Duration>) -> Self {
        let now = Utc::now();
        Self {
            records,
            epoch: now - Duration::days(30),
            change_every,
            started: now,
            providers: HashMap::new(),
        }
    }

    pub fn provider(&mut self, key: &str) -> &mut ProviderData {
        self.providers.entry(key.to_string()).or_default()
    }

    /// How many records `provider` has: the generated ones and those created since.
    pub fn total(&self, provider: &str) -> u64 {
        self.records + self.providers.get(provider).map_or(0, |p| p.created)
    }

    /// Record `index` of `provider` as it is now, in the provider's shape.
    pub fn current(&self, provider: &str, resource: &Resource, index: u64) -> Value {
        let (revision, at) = self.version(provider, index);
        record(
            provider,
            resource,
            index,
            &self.values(provider, index, revision),
            revision,
            at,
        )
    }

    /// The values of record `index`: generated, with what was written over them.
    pub fn values(&self, provider: &str, index: u64, revision: u32) -> Values {
        let mut values = if index < self.records {
            person(index, revision).values()
        } else {
            Values::new()
        };
        if let Some(written) = self
            .providers
            .get(provider)
            .and_then(|p| p.written.get(&index))
        {
            values.extend(written.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        values
    }

    /// The record of `provider` whose email is `email`.
    pub fn find_email(&self, provider: &str, email: &str) -> Option<u64> {
        let written = self.providers.get(provider).map(|p| &p.written);
        if let Some(found) = written.into_iter().flatten().find_map(|(index, values)| {
            (values.get("email").map(String::as_str) == Some(email)).then_some(*index)
        }) {
            return Some(found);
        }
        // Generated addresses end in `.{index}@example.com`.
        let (local, _) = email.split_once('@')?;
        let index: u64 = local.rsplit('.').next()?.parse().ok()?;
        let untouched = written
            .and_then(|w| w.get(&index))
            .is_none_or(|v| !v.contains_key("email"));
        (index < self.records && untouched && person(index, 0).email == email).then_some(index)
    }

    /// Writes `values` over record `index`, or creates a record; returns its index.
    pub fn write(&mut self, provider: &str, index: Option<u64>, values: Values) -> u64 {
        let records = self.records;
        let data = self.provider(provider);
        let index = index.unwrap_or_else(|| {
            data.created += 1;
            records + data.created - 1
        });
        data.written.entry(index).or_default().extend(values);
        let change = data.changes.entry(index).or_insert((0, Utc::now()));
        change.0 += 1;
        change.1 = Utc::now();
        index
    }

    /// Revision and change time of record `index`.
    pub fn version(&self, provider: &str, index: u64) -> (u32, DateTime<Utc>) {
        self.providers
            .get(provider)
            .and_then(|p| p.changes.get(&index).copied())
            .unwrap_or((0, self.epoch + Duration::seconds(index as i64)))
    }

    /// Changes `count` records spread over the set; returns their indexes.
    pub fn change(&mut self, provider: &str, count: u64) -> Vec<u64> {
        let total = self.records.max(1);
        let now = Utc::now();
        let data = self.providers.entry(provider.to_string()).or_default();
        let round = data.drift_ticks;
        data.drift_ticks += 1;
        let step = (total / count.max(1)).max(1);
        let mut changed = Vec::new();
        for k in 0..count.min(total) {
            let index = (k * step + round * 7) % total;
            let entry = data.changes.entry(index).or_insert((0, now));
            entry.0 += 1;
            entry.1 = now;
            changed.push(index);
        }
        changed
    }

    /// Applies the changes that time brought since the last look (1% per interval).
    pub fn drift(&mut self, provider: &str) {
        let Some(every) = self.change_every else {
            return;
        };
        let due = ((Utc::now() - self.started).num_milliseconds().max(0) as u128
            / every.as_millis().max(1)) as u64;
        let done = self
            .providers
            .get(provider)
            .map(|p| p.drift_ticks)
            .unwrap_or(0);
        let per_tick = (self.records / 100).max(1);
        for _ in done..due.min(done + 10) {
            self.change(provider, per_tick);
        }
        if due > done + 10 {
            self.provider(provider).drift_ticks = due;
        }
    }

    /// The record indexes changed after `since`, in order.
    pub fn changed_since(&self, provider: &str, since: DateTime<Utc>) -> Vec<u64> {
        let mut found: Vec<u64> = Vec::new();
        let first_base = (since - self.epoch).num_seconds() + 1;
        if first_base < self.records as i64 {
            let start = first_base.max(0) as u64;
            found.extend((start..self.records).filter(|i| self.version(provider, *i).1 > since));
        }
        if let Some(data) = self.providers.get(provider) {
            found.extend(
                data.changes
                    .iter()
                    .filter(|(i, (_, at))| {
                        *at > since && ((**i as i64) < first_base.max(0) || **i >= self.records)
                    })
                    .map(|(i, _)| *i),
            );
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_give_back_their_index() {
        for provider in [
            "salesforce",
            "hubspot",
            "pipedrive",
            "stripe",
            "typeform",
            "gmail",
            "zoho_crm",
            "mailchimp",
            "other",
        ] {
            for index in [0u64, 1, 99, 12_345] {
                let id = external_id(provider, index);
                let text = path::text(&id).unwrap();
                assert_eq!(index_of(provider, &text), Some(index), "{provider} {text}");
            }
        }
    }

    #[test]
    fn changes_are_seen_since_a_time() {
        let mut set = DataSet::new(1000, None);
        let before = Utc::now();
        assert!(set.changed_since("hubspot", before).is_empty());
        let changed = set.change("hubspot", 10);
        assert_eq!(changed.len(), 10);
        assert_eq!(set.changed_since("hubspot", before), {
            let mut c = changed.clone();
            c.sort_unstable();
            c
        });
        assert_eq!(set.version("hubspot", changed[0]).0, 1);
        assert_eq!(set.changed_since("hubspot", set.epoch).len(), 1000);
        assert!(
            person(3, 0).email != person(3, 1).email
                || person(3, 0).job_title != person(3, 1).job_title
        );
    }
}
