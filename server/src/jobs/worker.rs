//! Workers inside the `hub` process: each claims a job, runs its kind's
//! handler while a heartbeat keeps the lease, and finishes the job only
//! while it still owns it. On shutdown a running job is handed back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::queue::{Job, Queue};

/// How a handler ended when it did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again later (the attempt counts).
    #[error("{message}")]
    Retry { message: String, after: Duration },
    /// Give up: the job failed for good.
    #[error("{0}")]
    Fail(String),
    /// Stopped at a safe point because the process is stopping or the lease was lost.
    #[error("interrupted")]
    Interrupted,
}

#[async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn run(&self, job: &Job, lease: &Lease) -> Result<(), JobError>;

    /// The job failed for good without finishing (its attempts are used up):
    /// record that wherever the handler keeps its own state.
    async fn abandon(&self, _job: &Job, _reason: &str) {}
}

/// A worker's hold on a job.
#[derive(Clone)]
pub struct Lease {
    queue: Queue,
    pub job_id: i64,
    pub owner: String,
    stop: watch::Receiver<bool>,
    lost: Arc<AtomicBool>,
}

impl Lease {
    /// Extends the lease inside the caller's transaction: committing work
    /// and proving ownership happen together (a fence). `false` = lost.
    pub async fn extend_in<C: ConnectionTrait>(&self, db: &C) -> Result<bool, DbErr> {
        let held = self.queue.heartbeat(db, self.job_id, &self.owner).await?;
        if !held {
            self.lost.store(true, Ordering::SeqCst);
        }
        Ok(held)
    }

    /// Completes once the process asks its workers to stop (never, if it cannot).
    pub async fn stopping(&self) {
        let mut stop = self.stop.clone();
        if stop.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Whether the handler should stop at its next safe point.
    pub fn should_stop(&self) -> bool {
        *self.stop.borrow() || self.lost.load(Ordering::SeqCst)
    }

    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

pub type Handlers = HashMap<&'static str, Arc<dyn Handler>>;

/// The pool of workers of one process.
pub struct Workers {
    pub queue: Queue,
    pub handlers: Handlers,
    pub count: usize,
    /// How often an idle worker looks for work enqueued by other processes.
    pub poll: Duration,
}

impl Workers {
    /// Starts the workers; they stop (handing back running jobs) when `stop` turns true.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let handlers = Arc::new(self.handlers);
        let instance = instance_id();
        (0..self.count)
            .map(|n| {
                let worker = Worker {
                    queue: self.queue.clone(),
                    handlers: handlers.clone(),
                    owner: format!("{instance}/{n}"),
                    poll: self.poll,
                };
                tokio::spawn(worker.run(stop.clone()))
            })
            .collect()
    }
}

/// Names this process in leases: host, pid and a random part.
fn instance_id() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "hub".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        Alphanumeric.sample_string(&mut rand::rng(), 6)
    )
}

struct Worker {
    queue: Queue,
    handlers: Arc<Handlers>,
    owner: String,
    poll: Duration,
}

impl Worker {
    async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            match self.queue.claim(&self.owner).await {
                Ok(Some(job)) => self.run_one(job, stop.clone()).await,
                Ok(None) => {
                    tokio::select! {
                        _ = self.queue.idle(self.poll) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not claim a job");
                    tokio::select! {
                        _ = tokio::time::sleep(self.poll) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }

    async fn run_one(&self, job: Job, stop: watch::Receiver<bool>) {
        let owner = self.owner.as_str();
        let handler = self.handlers.get(job.kind.as_str()).cloned();
        let Some(handler) = handler else {
            let message = format!("no handler for jobs of kind {}", job.kind);
            tracing::error!(job = job.id, kind = %job.kind, "{message}");
            let _ = self.queue.fail(job.id, owner, &message).await;
            return;
        };
        if job.attempts > job.max_attempts {
            let message = format!(
                "gave up after {} attempts (its worker stopped each time)",
                job.max_attempts
            );
            if let Ok(true) = self.queue.fail(job.id, owner, &message).await {
                handler.abandon(&job, &message).await;
            }
            return;
        }
        let lease = Lease {
            queue: self.queue.clone(),
            job_id: job.id,
            owner: owner.to_string(),
            stop,
            lost: Arc::new(AtomicBool::new(false)),
        };
        let heartbeat = tokio::spawn(heartbeat(lease.clone(), self.queue.lease / 3));
        tracing::debug!(job = job.id, kind = %job.kind, attempt = job.attempts, "job started");
        let result = handler.run(&job, &lease).await;
        heartbeat.abort();
        let finished = match &result {
            Ok(()) => self.queue.complete(job.id, owner).await,
            Err(JobError::Retry { message, .. }) if job.attempts >= job.max_attempts => {
                let reason = format!("{message} (gave up after {} attempts)", job.attempts);
                let failed = self.queue.fail(job.id, owner, &reason).await;
                if let Ok(true) = failed {
                    handler.abandon(&job, &reason).await;
                }
                failed
            }
            Err(JobError::Retry { message, after }) => {
                self.queue.retry(&job, owner, message, *after).await
            }
            Err(JobError::Fail(message)) => self.queue.fail(job.id, owner, message).await,
            Err(JobError::Interrupted) if lease.lost() => Ok(false),
            Err(JobError::Interrupted) => self.queue.release(job.id, owner).await,
        };
        match finished {
            Ok(true) => tracing::debug!(job = job.id, outcome = ?result.err(), "job finished"),
            Ok(false) => tracing::warn!(
                job = job.id,
                "job lease was lost; another worker owns it now"
            ),
            Err(err) => {
                tracing::warn!(job = job.id, error = %err, "could not record the job's end")
            }
        }
    }
}

async fn heartbeat(lease: Lease, every: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
    tick.tick().await;
    loop {
        tick.tick().await;
        match lease.extend_in(lease.queue.db()).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => tracing::warn!(job = lease.job_id, error = %err, "lease heartbeat failed"),
        }
    }
}
