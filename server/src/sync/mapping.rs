//! Field mappings: which provider field fills which contact field. The
//! catalog gives each resource's defaults; an integration's own rows in
//! `field_mappings` replace them field by field (an empty source turns a
//! contact field off).

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::Value;

use super::path;
use crate::catalog::Resource;
use crate::db::entities::field_mapping;

/// Contact field → path in the provider's record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mapping(pub BTreeMap<String, String>);

/// A record's values for the contact fields, email normalised.
pub type Mapped = BTreeMap<String, String>;

impl Mapping {
    /// The defaults with the integration's overrides applied.
    pub fn with_overrides(resource: &Resource, overrides: &[field_mapping::Model]) -> Self {
        let mut fields = resource.mapping.clone();
        for row in overrides {
            if row.source_field.trim().is_empty() {
                fields.remove(&row.target_field);
            } else {
                fields.insert(
                    row.target_field.clone(),
                    row.source_field.trim().to_string(),
                );
            }
        }
        Mapping(fields)
    }

    /// The mapping an integration's run uses.
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        tenant_id: i64,
        integration_id: i64,
        resource: &Resource,
    ) -> Result<Self, DbErr> {
        let overrides = field_mapping::Entity::find()
            .filter(field_mapping::Column::TenantId.eq(tenant_id))
            .filter(field_mapping::Column::IntegrationId.eq(integration_id))
            .filter(field_mapping::Column::Resource.eq(resource.key.as_str()))
            .all(db)
            .await?;
        Ok(Self::with_overrides(resource, &overrides))
    }

    /// The contact fields of one record.
    pub fn apply(&self, record: &Value) -> Mapped {
        self.0
            .iter()
            .filter_map(|(field, source)| {
                let value = path::get_text(record, source)?;
                let value = value.trim();
                if value.is_empty() {
                    return None;
                }
                let value = if field == "email" {
                    normalize_email(value)?
                } else {
                    value.chars().take(255).collect()
                };
                Some((field.clone(), value))
            })
            .collect()
    }
}

/// Trimmed, lower case; `None` when it is not an address.
pub fn normalize_email(value: &str) -> Option<String> {
    let email = value.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace))
        .then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hubspot() -> Resource {
        toml::from_str(
            r#"
            key = "contacts"
            name = "Contacts"
            path = "/crm/v3/objects/contacts"
            records_path = "results"
            id_field = "id"
            mapping = { email = "properties.email", first_name = "properties.firstname", company = "properties.company" }
            "#,
        )
        .unwrap()
    }

    fn row(target: &str, source: &str) -> field_mapping::Model {
        let now = chrono::Utc::now();
        field_mapping::Model {
            id: 1,
            tenant_id: 1,
            integration_id: 1,
            resource: "contacts".into(),
            source_field: source.into(),
            target_field: target.into(),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn defaults_overrides_and_normalised_email() {
        let record = json!({ "id": "51", "properties": {
            "email": "  Ada.Lovelace@Example.COM ", "firstname": "Ada", "nickname": "Countess", "company": "" } });
        let defaults = Mapping::with_overrides(&hubspot(), &[]);
        let mapped = defaults.apply(&record);
        assert_eq!(mapped["email"], "ada.lovelace@example.com");
        assert_eq!(mapped["first_name"], "Ada");
        assert!(
            !mapped.contains_key("company"),
            "empty values map to nothing"
        );

        let edited = Mapping::with_overrides(
            &hubspot(),
            &[row("first_name", "properties.nickname"), row("company", "")],
        );
        let mapped = edited.apply(&record);
        assert_eq!(mapped["first_name"], "Countess");
        assert!(!edited.0.contains_key("company"));
        assert_eq!(normalize_email("not an email"), None);
    }
}
