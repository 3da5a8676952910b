//! The one error type the browser and API clients see.
//!
//! It says what went wrong in words a person can act on and leaks nothing:
//! internal failures carry only a reference id that is also in the server log.

use serde::{Deserialize, Serialize};

/// A problem with one input field, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{}", validation_summary(.0))]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// An outside service answered with an error; the message is already in plain words.
    #[error("{0}")]
    Provider(String),
    #[error("Something went wrong on our side (reference {ref_id}).")]
    Internal { ref_id: String },
    /// The request did not reach the server function or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

fn validation_summary(fields: &[FieldError]) -> String {
    match fields {
        [] => "Some values are not valid.".to_string(),
        [one] => one.message.clone(),
        many => format!("{} values need fixing.", many.len()),
    }
}

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// The message for one field, if this is a validation error naming it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            AppError::Validation(fields) => fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.as_str()),
            _ => None,
        }
    }

    /// The stable machine-readable code of the REST API's `{ "error": { "code" } }`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Validation(_) => "validation_failed",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Provider(_) => "provider_error",
            AppError::Internal { .. } => "internal_error",
            AppError::Transport(_) => "transport_error",
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Validation(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Provider(_) => 502,
            AppError::Internal { .. } | AppError::Transport(_) => 500,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_message_names_the_problem() {
        let one = AppError::field("email", "Enter an email address like ana@example.com.");
        assert_eq!(
            one.to_string(),
            "Enter an email address like ana@example.com."
        );
        assert_eq!(
            one.field_message("email"),
            Some("Enter an email address like ana@example.com.")
        );
        assert_eq!(one.field_message("name"), None);
        let two = AppError::Validation(vec![FieldError::new("a", "x"), FieldError::new("b", "y")]);
        assert_eq!(two.to_string(), "2 values need fixing.");
    }

    #[test]
    fn internal_errors_show_only_a_reference() {
        let err = AppError::Internal {
            ref_id: "r-42".into(),
        };
        assert_eq!(
            err.to_string(),
            "Something went wrong on our side (reference r-42)."
        );
        assert_eq!(err.status(), 500);
        assert_eq!(err.code(), "internal_error");
    }
}
