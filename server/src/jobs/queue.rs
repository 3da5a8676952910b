//! The durable job queue: jobs are rows; a worker claims one atomically
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite one `UPDATE … RETURNING`
//! statement, which holds the database's write lock while it runs), holds it
//! with a lease it keeps extending, and finishes it only while it still owns
//! the lease. A job whose worker died is claimed again once its lease expires.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, Set, Statement,
};
use serde_json::Value;
use tokio::sync::Notify;

use crate::db::entities::job;

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// A claimed job.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Job {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub kind: String,
    pub payload: Value,
    /// Including this one.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// The queue as one process sees it: the database plus a bell that wakes
/// this process's idle workers when something is enqueued here.
#[derive(Clone)]
pub struct Queue {
    db: DatabaseConnection,
    bell: Arc<Notify>,
    pub lease: Duration,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Queue(lease: {:?})", self.lease)
    }
}

/// A job to add.
pub struct NewJob {
    pub tenant_id: Option<i64>,
    pub kind: &'static str,
    pub payload: Value,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn now(tenant_id: Option<i64>, kind: &'static str, payload: Value) -> Self {
        Self {
            tenant_id,
            kind,
            payload,
            run_at: Utc::now(),
            max_attempts: 5,
        }
    }
}

fn new_row(new: NewJob) -> job::ActiveModel {
    let now = Utc::now();
    job::ActiveModel {
        tenant_id: Set(new.tenant_id),
        kind: Set(new.kind.to_string()),
        payload: Set(new.payload),
        status: Set(QUEUED.to_string()),
        run_at: Set(new.run_at),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    }
}

fn lease_until(lease: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30))
}

impl Queue {
    pub fn new(db: DatabaseConnection, lease: Duration) -> Self {
        Self {
            db,
            bell: Arc::new(Notify::new()),
            lease,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Adds a job inside the caller's transaction (so it exists exactly when
    /// the caller's own rows do). Call [`Queue::wake`] after committing.
    pub async fn enqueue<C: ConnectionTrait>(db: &C, new: NewJob) -> Result<i64, DbErr> {
        Ok(new_row(new).insert(db).await?.id)
    }

    /// Enqueues several jobs in one statement (on `db`, usually the caller's transaction).
    pub async fn enqueue_many<C: ConnectionTrait>(db: &C, jobs: Vec<NewJob>) -> Result<(), DbErr> {
        if !jobs.is_empty() {
            job::Entity::insert_many(jobs.into_iter().map(new_row))
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }

    /// Wakes this process's idle workers.
    pub fn wake(&self) {
        self.bell.notify_waiters();
    }

    /// Waits until woken or `timeout` passes.
    pub async fn idle(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.bell.notified()).await;
    }

    /// Takes the next due job (or one whose lease expired) for `owner`.
    pub async fn claim(&self, owner: &str) -> Result<Option<Job>, DbErr> {
        let now = Utc::now();
        let until = lease_until(self.lease);
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE jobs SET status = 'running', lease_owner = $1, lease_expires_at = $2, \
                 attempts = attempts + 1, updated_at = $3 \
                 WHERE id = (SELECT id FROM jobs \
                   WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND lease_expires_at < $3) \
                   ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, tenant_id, kind, payload, attempts, max_attempts"
            }
            _ => {
                "UPDATE jobs SET status = 'running', lease_owner = ?1, lease_expires_at = ?2, \
                 attempts = attempts + 1, updated_at = ?3 \
                 WHERE id = (SELECT id FROM jobs \
                   WHERE (status = 'queued' AND run_at <= ?3) OR (status = 'running' AND lease_expires_at < ?3) \
                   ORDER BY run_at, id LIMIT 1) \
                 RETURNING id, tenant_id, kind, payload, attempts, max_attempts"
            }
        };
        let statement =
            Statement::from_sql_and_values(backend, sql, [owner.into(), until.into(), now.into()]);
        Job::find_by_statement(statement).one(&self.db).await
    }

    fn owned(id: i64, owner: &str) -> sea_orm::Condition {
        sea_orm::Condition::all()
            .add(job::Column::Id.eq(id))
            .add(job::Column::LeaseOwner.eq(owner))
            .add(job::Column::Status.eq(RUNNING))
    }

    /// Extends the lease; `false` when `owner` no longer holds the job.
    pub async fn heartbeat<C: ConnectionTrait>(
        &self,
        db: &C,
        id: i64,
        owner: &str,
    ) -> Result<bool, DbErr> {
        let result = job::Entity::update_many()
            .col_expr(
                job::Column::LeaseExpiresAt,
                Expr::value(lease_until(self.lease)),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Self::owned(id, owner))
            .exec(db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Marks the job done; `false` when the lease was lost meanwhile.
    pub async fn complete(&self, id: i64, owner: &str) -> Result<bool, DbErr> {
        let now = Utc::now();
        let result = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(DONE))
            .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(Self::owned(id, owner))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Gives the job back to run again after `delay`, or fails it for good
    /// when it has used its attempts.
    pub async fn retry(
        &self,
        job: &Job,
        owner: &str,
        error: &str,
        delay: Duration,
    ) -> Result<bool, DbErr> {
        if job.attempts >= job.max_attempts {
            return self.fail(job.id, owner, error).await;
        }
        let now = Utc::now();
        let run_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
        let result = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(QUEUED))
            .col_expr(job::Column::RunAt, Expr::value(run_at))
            .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::LastError, Expr::value(error))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(Self::owned(job.id, owner))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Fails the job for good.
    pub async fn fail(&self, id: i64, owner: &str, error: &str) -> Result<bool, DbErr> {
        let now = Utc::now();
        let result = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(FAILED))
            .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::LastError, Expr::value(error))
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(Self::owned(id, owner))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Hands the job back untouched (this process is stopping): another
    /// worker takes it at once, and the attempt does not count.
    pub async fn release(&self, id: i64, owner: &str) -> Result<bool, DbErr> {
        let result = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(QUEUED))
            .col_expr(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).sub(1),
            )
            .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Self::owned(id, owner))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}
