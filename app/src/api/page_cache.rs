//! A page tells the server whether its rendered HTML may be kept and served
//! again (server `page_cache`): only a page whose render depends on nothing
//! but the signed-in principal, the URL and rows whose writes raise their
//! tenant's revision (`migration::REVISION_TABLES`) may say so, with the
//! moment its time texts ("5 min ago") stop being true. Any part of the
//! page can veto it, e.g. a modal showing other rows.

/// The internal response header carrying the decision; the server strips it.
pub const HEADER: &str = "x-hub-page-cache";
/// Kept while the tenant's revision holds.
pub const KEEP: &str = "keep";
/// Kept while the tenant's revision holds and until this Unix time.
pub const KEEP_UNTIL: &str = "keep-until=";
/// Never kept.
pub const NEVER: &str = "never";

/// This render may be kept until `until` (Unix seconds; `None`: no time limit).
#[cfg(feature = "ssr")]
pub fn keep(until: Option<i64>) {
    match until {
        Some(at) => declare(&format!("{KEEP_UNTIL}{at}")),
        None => declare(KEEP),
    }
}

/// This render must not be kept, whatever other parts of the page say.
#[cfg(feature = "ssr")]
pub fn never() {
    declare(NEVER)
}

#[cfg(feature = "ssr")]
fn declare(value: &str) {
    use http::header::{HeaderName, HeaderValue};
    let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(value) {
        response.append_header(HeaderName::from_static(HEADER), value);
    }
}
