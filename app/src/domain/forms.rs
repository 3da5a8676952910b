//! What a page shows after a plain HTML form was posted and refused: the
//! message, the problem with each field and the values to fill back in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFeedback {
    pub message: Option<String>,
    pub errors: Vec<FieldError>,
    /// Values to show again (never passwords).
    pub values: BTreeMap<String, String>,
}

impl FormFeedback {
    pub fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }

    pub fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}
