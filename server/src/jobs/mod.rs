//! Background work as rows in the database: the queue and the workers that
//! run it. Request handlers and the scheduler enqueue; they never spawn the
//! work themselves, so nothing is lost when a process stops.

pub mod queue;
pub mod worker;

pub use queue::{Job, NewJob, Queue};
pub use worker::{Handler, Handlers, JobError, Lease, Workers};
