//! Checks a parsed catalog beyond its shape: references, URLs, colours,
//! patterns and placeholders. The first problem found is reported.

use std::collections::BTreeSet;

use app::domain::catalog::{Availability, FieldKind};

use super::{
    placeholders, ApiAuth, Auth, Catalog, CatalogError, Field, Pagination, Provider, CONTACT_FIELDS,
};

pub(super) fn catalog(catalog: &Catalog) -> Result<(), CatalogError> {
    let mut categories = BTreeSet::new();
    for category in &catalog.categories {
        check_key("catalog", "categories.key", &category.key)?;
        if !categories.insert(category.key.as_str()) {
            return Err(CatalogError::new(
                "catalog",
                "categories.key",
                format!("'{}' appears twice", category.key),
            ));
        }
    }
    let mut keys = BTreeSet::new();
    for provider in &catalog.providers {
        check_key(&provider.key, "key", &provider.key)?;
        if !keys.insert(provider.key.as_str()) {
            return Err(CatalogError::new(&provider.key, "key", "appears twice"));
        }
        if !categories.contains(provider.category.as_str()) {
            return Err(CatalogError::new(
                &provider.key,
                "category",
                format!(
                    "'{}' is not one of the declared categories",
                    provider.category
                ),
            ));
        }
        self::provider(provider)?;
    }
    for category in &catalog.categories {
        if !catalog.providers.iter().any(|p| p.category == category.key) {
            return Err(CatalogError::new(
                "catalog",
                "categories",
                format!("'{}' has no providers", category.key),
            ));
        }
    }
    Ok(())
}

fn check_key(provider: &str, field: &str, key: &str) -> Result<(), CatalogError> {
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.starts_with(|c: char| c.is_ascii_lowercase());
    if valid {
        Ok(())
    } else {
        Err(CatalogError::new(
            provider,
            field,
            format!("'{key}' must be lower_snake_case"),
        ))
    }
}

fn provider(p: &Provider) -> Result<(), CatalogError> {
    let err = |field: &str, problem: String| CatalogError::new(&p.key, field, problem);
    for (field, value) in [
        ("name", &p.name),
        ("emoji", &p.emoji),
        ("description", &p.description),
    ] {
        if value.trim().is_empty() {
            return Err(err(field, "is empty".into()));
        }
    }
    for (i, colour) in p.gradient.iter().enumerate() {
        let hex = colour.strip_prefix('#').unwrap_or("");
        if !(hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit())) {
            return Err(err(
                &format!("gradient[{i}]"),
                format!("'{colour}' is not a colour like #1A2B3C"),
            ));
        }
    }
    if p.features.is_empty() {
        return Err(err("features", "lists no feature badge".into()));
    }

    let mut known: BTreeSet<String> = BTreeSet::new();
    known.insert("access_token".into());
    for (section, fields) in [
        ("auth.fields", p.auth.fields()),
        ("config", p.config.as_slice()),
    ] {
        fields_of(p, section, fields)?;
        known.extend(fields.iter().map(|f| f.key.clone()));
    }
    match &p.auth {
        Auth::Oauth2(oauth) => {
            if oauth.scopes.iter().any(|s| s.trim().is_empty()) {
                return Err(err("auth.scopes", "holds an empty scope".into()));
            }
            if oauth.scope_separator.is_empty() {
                return Err(err("auth.scope_separator", "is empty".into()));
            }
            known.extend(oauth.token_fields.iter().cloned());
            if oauth.metadata_url.is_some() {
                known.insert("dc".into());
            }
        }
        Auth::ApiKey { fields } | Auth::Basic { fields } | Auth::Smtp { fields } => {
            if !fields.iter().any(|f| f.required) {
                return Err(err(
                    "auth.fields",
                    "needs at least one required field".into(),
                ));
            }
        }
        Auth::None => {}
    }

    let Some(api) = &p.api else {
        let needs_api = p.availability == Availability::Available
            && !matches!(p.auth, Auth::None | Auth::Smtp { .. });
        if needs_api {
            return Err(err(
                "api",
                "is missing; available providers need their API description".into(),
            ));
        }
        if !p.resources.is_empty() {
            return Err(err("resources", "need an api section".into()));
        }
        return Ok(());
    };
    if !(api.base_url.starts_with("https://")
        || api.base_url.starts_with("http://")
        || api.base_url.starts_with('{'))
    {
        return Err(err(
            "api.base_url",
            format!(
                "'{}' is not an http(s) URL or a {{placeholder}}",
                api.base_url
            ),
        ));
    }
    let mut templates: Vec<(String, &str)> = vec![("api.base_url".into(), api.base_url.as_str())];
    match &api.auth {
        ApiAuth::Bearer { value } => {
            if let Some(value) = value {
                templates.push(("api.auth.value".into(), value));
            } else if !matches!(p.auth, Auth::Oauth2(_)) {
                return Err(err(
                    "api.auth",
                    "a bearer without `value` needs OAuth (the access token)".into(),
                ));
            }
        }
        ApiAuth::Basic { username, password } => {
            templates.push(("api.auth.username".into(), username));
            templates.push(("api.auth.password".into(), password));
        }
        ApiAuth::Header { name, value } => {
            templates.push(("api.auth.name".into(), name));
            templates.push(("api.auth.value".into(), value));
        }
        ApiAuth::Query { params } => {
            for (name, value) in params {
                templates.push((format!("api.auth.params.{name}"), value));
            }
        }
        ApiAuth::AwsSigv4 { service } => {
            for needed in ["access_key_id", "secret_access_key", "region"] {
                if !known.contains(needed) {
                    return Err(err(
                        "api.auth",
                        format!("aws_sigv4 for {service} needs a `{needed}` field"),
                    ));
                }
            }
        }
    }
    for (name, value) in &api.headers {
        templates.push((format!("api.headers.{name}"), value));
    }
    match &api.verify {
        Some(verify) => {
            if !matches!(verify.method.as_str(), "GET" | "POST" | "HEAD") {
                return Err(err(
                    "api.verify.method",
                    format!("'{}' is not GET, POST or HEAD", verify.method),
                ));
            }
            templates.push(("api.verify.path".into(), &verify.path));
        }
        None if p.availability == Availability::Available => {
            return Err(err(
                "api.verify",
                "is missing; Test connection needs a request".into(),
            ));
        }
        None => {}
    }
    match &api.pagination {
        Pagination::Cursor {
            cursor_param,
            cursor_path,
            ..
        } if cursor_param.is_empty() || cursor_path.is_empty() => {
            return Err(err(
                "api.pagination",
                "cursor style needs cursor_param and cursor_path".into(),
            ));
        }
        Pagination::NextUrl { next_path, .. } if next_path.is_empty() => {
            return Err(err(
                "api.pagination",
                "next_url style needs next_path".into(),
            ));
        }
        Pagination::Offset { limit, .. } | Pagination::Page { size: limit, .. } if *limit == 0 => {
            return Err(err(
                "api.pagination",
                "a page size of 0 never advances".into(),
            ));
        }
        _ => {}
    }

    for (i, resource) in p.resources.iter().enumerate() {
        let at = |field: &str| format!("resources[{i}].{field}");
        check_key(&p.key, &at("key"), &resource.key)?;
        if resource.id_field.is_empty() {
            return Err(err(&at("id_field"), "is empty".into()));
        }
        templates.push((at("path"), &resource.path));
        for (name, value) in &resource.params {
            templates.push((at(&format!("params.{name}")), value));
        }
        for (target, source) in &resource.mapping {
            if !CONTACT_FIELDS.contains(&target.as_str()) {
                return Err(err(
                    &at(&format!("mapping.{target}")),
                    format!("is not a contact field ({})", CONTACT_FIELDS.join(", ")),
                ));
            }
            if source.trim().is_empty() {
                return Err(err(
                    &at(&format!("mapping.{target}")),
                    "names no provider field".into(),
                ));
            }
        }
        if let Some(incremental) = &resource.incremental {
            let values: Vec<(String, &str)> = incremental
                .params
                .iter()
                .map(|(name, value)| (at(&format!("incremental.params.{name}")), value.as_str()))
                .chain(incremental.headers.iter().map(|(name, value)| {
                    (at(&format!("incremental.headers.{name}")), value.as_str())
                }))
                .collect();
            if !values
                .iter()
                .any(|(_, v)| placeholders(v).contains(&"since"))
            {
                return Err(err(
                    &at("incremental"),
                    "no parameter or header uses {since}".into(),
                ));
            }
            templates.extend(values);
        }
        if let Some(push) = &resource.push {
            let at = |field: &str| at(&format!("push.{field}"));
            for (name, endpoint) in [("create", &push.create), ("update", &push.update)] {
                if !["POST", "PUT", "PATCH"].contains(&endpoint.method.as_str()) {
                    return Err(err(
                        &at(&format!("{name}.method")),
                        format!("'{}' is not POST, PUT or PATCH", endpoint.method),
                    ));
                }
                let id_allowed = name == "update";
                templates.push((
                    at(&format!(
                        "{name}.path{}",
                        if id_allowed { "#id" } else { "" }
                    )),
                    &endpoint.path,
                ));
                for (param, value) in &endpoint.query {
                    templates.push((at(&format!("{name}.query.{param}")), value));
                }
                for (field, value) in &endpoint.constants {
                    if let Some(text) = value.as_str() {
                        templates.push((at(&format!("{name}.constants.{field}")), text));
                    }
                }
            }
            if push.id_path.is_some() && !placeholders(&push.update.path).contains(&"id") {
                return Err(err(
                    &at("update.path"),
                    "does not name the record ({id}) although creates answer with an id".into(),
                ));
            }
            let contact_field = |field: &str, what: &str| {
                if CONTACT_FIELDS.contains(&field) {
                    Ok(())
                } else {
                    Err(err(
                        &at(what),
                        format!(
                            "'{field}' is not a contact field ({})",
                            CONTACT_FIELDS.join(", ")
                        ),
                    ))
                }
            };
            for field in push.fields.keys() {
                contact_field(field, &format!("fields.{field}"))?;
            }
            for field in push.omit.iter().chain(&push.required) {
                contact_field(field, "omit/required")?;
            }
            for (field, template) in &push.compose {
                for name in placeholders(template) {
                    contact_field(name, &format!("compose.{field}"))?;
                }
            }
            if let Some(lookup) = &push.lookup {
                let mut uses_email = placeholders(&lookup.path).contains(&"email");
                templates.push((at("lookup.path#email"), &lookup.path));
                for (param, value) in &lookup.params {
                    uses_email |= placeholders(value).contains(&"email");
                    templates.push((at(&format!("lookup.params.{param}#email")), value));
                }
                if !uses_email {
                    return Err(err(&at("lookup"), "nothing uses {email}".into()));
                }
            }
        }
        if resource.key == "contacts" && !resource.mapping.contains_key("email") {
            return Err(err(
                &at("mapping"),
                "contacts need an email mapping (contacts are deduplicated by email)".into(),
            ));
        }
    }

    for (field, template) in templates {
        for name in placeholders(template) {
            let allowed = (name == "since" && field.contains(".incremental."))
                || (name == "id" && field.ends_with("#id"))
                || (name == "email" && field.ends_with("#email"));
            if !allowed && !known.contains(name) {
                return Err(err(
                    field.split('#').next().unwrap_or_default(),
                    format!("uses {{{name}}}, which is neither a credential, config nor kept token field"),
                ));
            }
        }
    }
    Ok(())
}

fn fields_of(p: &Provider, section: &str, fields: &[Field]) -> Result<(), CatalogError> {
    let mut keys = BTreeSet::new();
    for (i, field) in fields.iter().enumerate() {
        let at = |name: &str| format!("{section}[{i}].{name}");
        check_key(&p.key, &at("key"), &field.key)?;
        if !keys.insert(field.key.as_str()) {
            return Err(CatalogError::new(
                &p.key,
                at("key"),
                format!("'{}' appears twice", field.key),
            ));
        }
        if field.label.trim().is_empty() {
            return Err(CatalogError::new(&p.key, at("label"), "is empty"));
        }
        if let Some(pattern) = &field.pattern {
            regex::Regex::new(pattern).map_err(|e| {
                CatalogError::new(
                    &p.key,
                    at("pattern"),
                    format!("is not a valid regular expression: {e}"),
                )
            })?;
        }
        if field.kind == FieldKind::Select && field.options.is_empty() {
            return Err(CatalogError::new(
                &p.key,
                at("options"),
                "a select needs options",
            ));
        }
        if field.kind == FieldKind::Password && !field.secret {
            return Err(CatalogError::new(
                &p.key,
                at("secret"),
                "password fields must be secret",
            ));
        }
    }
    Ok(())
}
