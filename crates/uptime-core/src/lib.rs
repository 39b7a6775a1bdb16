//! The scheduling engine of the Uptime Scheduler.
//!
//! It speaks domain types (from `uptime-model`) and reaches the outside world only through the
//! port traits in [`ports`]: [`Directory`] (Organizations), [`Connect`] (STS) and [`Compute`]
//! (EC2), [`ResultStore`] (S3, where the account Map writes its results), [`DigestSink`]
//! (EventBridge and SNS, where a run's digest goes), plus [`Pause`] for
//! retry back-off. It has no AWS SDK and no async runtime, so the
//! same code runs in the Lambdas, in the CLI, and in tests against in-memory fakes.
//!
//! # Layout
//!
//! - [`config`]: the deployment's configuration, from the environment (the Lambdas) or from
//!   flags in front of it (the CLI), with errors naming the setting as its source does.
//! - [`decision_log`]: the log lines of a region run.
//! - [`ports`]: the traits and the classified [`PortError`].
//! - [`retry`]: bounded retries of throttled/transient calls.
//! - [`engine`]: account selection, account preparation, the per-region run, and the
//!   in-process organization run the CLI uses.
//! - [`decision_log`]: the per-instance decision log line, written by the `schedule-account`
//!   Lambda and the CLI alike (through the `tracing` facade: the binaries own the subscriber).

pub mod config;
pub mod decision_log;
pub mod engine;
pub mod ports;
pub mod retry;

pub use decision_log::{log_decision, log_region};
pub use engine::{
    inventory_organization, prepare_account, run_organization, schedule_region, schedules_for,
    select_accounts, select_from_registry, verify_organization_starts, verify_starts, Concurrency,
    Found, OrgRun, Progress, RegionRun, RegionTask, RunOptions, Selection, Settings,
};
pub use ports::{
    Compute, Connect, CountingPause, DigestSink, Directory, Discovered, Discovery, ErrorKind,
    Pause, PortError, Precondition, ResultStore, Versioned,
};
pub use retry::RetryPolicy;
