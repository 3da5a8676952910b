//! The backend as the server functions see it: traits implemented by the
//! `server` crate and put into the Leptos context at start-up.

use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::use_context;

use crate::domain::{system::SystemStatus, AppError};

#[async_trait]
pub trait SystemPort: Send + Sync + 'static {
    async fn status(&self) -> Result<SystemStatus, AppError>;
}

/// Every port, cloned into each request's context.
#[derive(Clone)]
pub struct Backend {
    pub system: Arc<dyn SystemPort>,
}

/// The backend of the current request.
pub fn backend() -> Result<Backend, AppError> {
    use_context::<Backend>().ok_or_else(|| AppError::Internal {
        ref_id: "backend-missing".to_string(),
    })
}
