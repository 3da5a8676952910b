//! Accounts and access: passwords, sessions, API tokens, the request's
//! principal, CSRF defence and sign-in throttling.

pub mod csrf;
pub mod handlers;
pub mod middleware;
pub mod password;
pub mod principal;
pub mod session_store;
pub mod throttle;
pub mod tokens;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait};

use crate::db::entities::user;

pub use password::Passwords;
pub use throttle::LoginThrottle;

/// Whether any user exists yet. Once true it stays true (the last owner cannot
/// be removed), so it is only asked of the database until then.
#[derive(Clone, Default)]
pub struct FirstRun {
    has_users: Arc<AtomicBool>,
}

impl FirstRun {
    pub async fn is_first_run(&self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        if self.has_users.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let any = user::Entity::find().count(db).await? > 0;
        if any {
            self.has_users.store(true, Ordering::Relaxed);
        }
        Ok(!any)
    }

    pub fn mark_done(&self) {
        self.has_users.store(true, Ordering::Relaxed);
    }
}

/// What the auth layer needs, shared by every request.
#[derive(Clone)]
pub struct AuthState {
    pub passwords: Passwords,
    pub throttle: Arc<LoginThrottle>,
    pub first_run: FirstRun,
}
