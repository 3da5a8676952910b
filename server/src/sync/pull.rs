//! The pull half of a run: page after page through the provider's API, each
//! stored together with the run's position in one transaction that also
//! proves the worker still holds the job, so a crash loses at most one page
//! and a resumed run continues from the saved position. While one page is
//! being stored the next one is already being fetched; when the run stops
//! instead (cancelled, lease lost, the process stopping, an error) that
//! fetch is dropped with it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::engine::{Stop, SyncHandler};
use super::fetch::{ApiSession, FetchError, Page};
use super::pager::{self, PageRequest};
use super::statistics::PlannerStatistics;
use super::store::{self, Counts, Target};
use super::{path, runs};
use crate::activity::{Entry, Level};
use crate::catalog::{fill, Api, Incremental, Provider, Resource, SinceFormat};
use crate::db::entities::sync_run;
use crate::jobs::{JobError, Lease};

pub(super) struct Puller<'a> {
    pub handler: &'a SyncHandler,
    pub run: &'a sync_run::Model,
    pub provider: &'a Provider,
    pub api: &'a Api,
    pub resource: &'a Resource,
    /// The incremental filter and the time it asks for changes since.
    pub incremental: Option<(&'a Incremental, DateTime<Utc>)>,
    pub target: Target<'a>,
    pub lease: &'a Lease,
    /// A two-way run goes on to push after the last page.
    pub then_push: bool,
}

/// Where a pull left the run.
pub(super) struct Pulled {
    pub counts: Counts,
    pub pages: i32,
    /// `Push { after: 0 }` for a two-way run, else `Done`.
    pub next: PageRequest,
}

impl Puller<'_> {
    /// Pulls from `request` on, adding to the run's `counts` and `pages` so far.
    pub async fn run(
        &self,
        session: &mut ApiSession<'_>,
        mut request: PageRequest,
        mut counts: Counts,
        mut pages: i32,
    ) -> Result<Pulled, Stop> {
        let mut statistics = PlannerStatistics::new();
        let mut prefetched: Option<Result<Page, Stop>> = None;
        loop {
            if matches!(request, PageRequest::Push { .. } | PageRequest::Done) {
                return Ok(Pulled {
                    counts,
                    pages,
                    next: request,
                });
            }
            if self.lease.should_stop() {
                return Err(Stop::Job(JobError::Interrupted));
            }
            let page = match prefetched.take() {
                Some(page) => page?,
                None => self.fetch(session, &request).await?,
            };
            let mut body = page.body;
            let count = path::get(&body, &self.resource.records_path)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let next = pager::next(&self.api.pagination, &request, &body, &page.headers, count)
                .or_else(|| self.then_push.then_some(PageRequest::Push { after: 0 }))
                .unwrap_or(PageRequest::Done);
            let records = match path::take(&mut body, &self.resource.records_path) {
                Some(Value::Array(records)) => records,
                _ => Vec::new(),
            };
            drop(body);

            pages += 1;
            prefetched = {
                let commit = self.commit(records, &mut counts, pages, &next);
                let prefetch = self.prefetch(session, &next);
                tokio::pin!(commit, prefetch);
                let mut fetched = None;
                // A run that stops here (cancelled, lease lost, an error)
                // drops the page it was fetching: it is not wanted.
                loop {
                    tokio::select! {
                        stored = &mut commit => match stored {
                            Ok(false) => break,
                            Ok(true) => return Err(Stop::Cancelled),
                            Err(stop) => return Err(stop),
                        },
                        page = &mut prefetch, if fetched.is_none() => fetched = Some(page),
                    }
                }
                match fetched {
                    Some(page) => page,
                    None => tokio::select! {
                        page = &mut prefetch => page,
                        () = self.lease.stopping() => return Err(Stop::Job(JobError::Interrupted)),
                    },
                }
            };
            statistics
                .after_page(&self.handler.db, counts.created + counts.updated)
                .await;
            request = next;
        }
    }

    /// Stores a page and the run's new position under the lease fence;
    /// `true` when someone asked to cancel the run meanwhile (the page is
    /// kept: cancelling takes effect at a page boundary).
    async fn commit(
        &self,
        records: Vec<Value>,
        counts: &mut Counts,
        pages: i32,
        next: &PageRequest,
    ) -> Result<bool, Stop> {
        let txn = store::begin_page(&self.handler.db).await?;
        let (page_counts, problems) = store::store_page(&txn, &self.target, records).await?;
        let mut after = *counts;
        after += page_counts;
        let cancel =
            runs::save_progress(&txn, self.run.id, &after, pages, Some(next.clone())).await?;
        for problem in problems.iter().take(5) {
            Entry::integration(
                self.run.tenant_id,
                self.run.integration_id,
                "sync.record_failed",
                problem.clone(),
            )
            .run(self.run.id)
            .level(Level::Warning)
            .write(&txn)
            .await?;
        }
        if !self.lease.extend_in(&txn).await? {
            // Another worker owns the job now: this page is not ours to commit.
            return Err(Stop::Job(JobError::Interrupted));
        }
        txn.commit().await?;
        *counts = after;
        Ok(cancel)
    }

    /// The page after this one, while this one is stored; `None` past the last.
    async fn prefetch(
        &self,
        session: &mut ApiSession<'_>,
        next: &PageRequest,
    ) -> Option<Result<Page, Stop>> {
        if matches!(next, PageRequest::Push { .. } | PageRequest::Done) || self.lease.should_stop()
        {
            return None;
        }
        Some(self.fetch(session, next).await)
    }

    /// Fetches the page `request` names, with the resource's parameters and
    /// the incremental filter.
    async fn fetch(
        &self,
        session: &mut ApiSession<'_>,
        request: &PageRequest,
    ) -> Result<Page, Stop> {
        let mut headers = BTreeMap::new();
        let client = session.client().map_err(|e| Stop::Failed(e.to_string()))?;
        let url = match request {
            PageRequest::Url { url } => {
                let base = client
                    .url("", &BTreeMap::new())
                    .map_err(|e| Stop::Failed(e.to_string()))?;
                let resolved = pager::resolve(base.as_str().trim_end_matches('/'), url);
                url::Url::parse(&resolved).map_err(|_| {
                    Stop::Failed(format!(
                        "{} gave a next page address that is not a URL: {url}",
                        self.provider.name
                    ))
                })?
            }
            _ => {
                let mut query = self.resource.params.clone();
                if let Some((incremental, at)) = &self.incremental {
                    let since = match incremental.since_format {
                        SinceFormat::Rfc3339 => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        SinceFormat::Unix => at.timestamp().to_string(),
                    };
                    let values = BTreeMap::from([("since".to_string(), since)]);
                    for (name, value) in &incremental.params {
                        query.insert(name.clone(), fill(value, &values));
                    }
                    for (name, value) in &incremental.headers {
                        headers.insert(name.clone(), fill(value, &values));
                    }
                }
                query.extend(pager::query_for(&self.api.pagination, request));
                client
                    .url(&self.resource.path, &query)
                    .map_err(|e| Stop::Failed(e.to_string()))?
            }
        };
        let page = match session.get(url, &headers).await {
            Ok(page) => page,
            Err(FetchError::RetryLater { message, after }) => {
                self.handler
                    .log(self.run, Level::Warning, "sync.waiting", message.clone())
                    .await;
                return Err(Stop::Job(JobError::Retry { message, after }));
            }
            Err(FetchError::Reconnect(message)) => return Err(Stop::Failed(message)),
            Err(err) => return Err(Stop::Failed(err.to_string())),
        };
        for note in session.notes.drain(..) {
            self.handler
                .log(self.run, Level::Warning, "sync.retry", note)
                .await;
        }
        Ok(page)
    }
}
