//! Talking to providers: the stored credentials of a connection, requests
//! built from the catalog's API description (base URL, auth, headers), and
//! the verification behind *Test connection*.

pub mod aws;
pub mod credentials;
pub mod request;
mod smtp;
pub mod verify;

pub(crate) use smtp::check as smtp_check;

pub use credentials::Credentials;
pub use request::ProviderClient;

use std::time::Duration;

/// How long one provider request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client every provider call goes through.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("IntegrationsHub/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client configuration is valid")
}
