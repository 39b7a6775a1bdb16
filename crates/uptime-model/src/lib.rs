//! Pure domain of the Uptime Scheduler.
//!
//! Everything here is a plain function of its inputs: no AWS SDK, no async runtime, no I/O, no
//! clock (the run's `now` is an input). The AWS adapter and the Lambdas translate to and from
//! these types.
//!
//! # Layout
//!
//! - [`ids`]: validated identifiers (`AccountId`, `InstanceId`, `Region`, …).
//! - [`input`]: the execution input contract and its validation.
//! - [`error`]: [`InputError`], the error of [`input`], [`schema`] and [`json`].
//! - [`instance`]: the instance snapshot and the tag configuration.
//! - [`decision`]: the per-instance decision of action mode, with its reason.
//! - [`decided`]: one instance's decision in either mode, as a region run takes it.
//! - [`reconcile`]: the per-instance decision of reconcile mode (schedules, overrides,
//!   last-action tag).
//! - [`reason`]: why a decision was taken and the notes beside it, as typed values.
//! - [`accounts`]: account opt-in and region selection.
//! - [`batch`]: batching and the bisect planner.
//! - [`report`]: outcomes, region/account reports, the run summary.
//! - [`savings`]: the hours (and money) the schedules keep instances stopped over a range.
//! - [`emf`]: CloudWatch Embedded Metric Format lines.
//! - [`digest`]: the one message a run publishes (EventBridge, SNS): what changed, where, what
//!   failed, with a link to the execution.
//! - [`events`]: every task event and response between the state machine and the Lambdas.
//! - [`schema`]: the execution input JSON Schema, applied by [`input`].
//! - [`json`]: strict JSON (a duplicate key is an error; 256 KiB at most).
//! - [`text`]: untrusted text escaped for printing.

pub mod accounts;
pub mod batch;
pub mod decided;
pub mod decision;
pub mod digest;
pub mod emf;
pub mod error;
pub mod events;
pub mod ids;
pub mod input;
pub mod instance;
pub mod json;
pub mod reason;
pub mod reconcile;
pub mod registry;
pub mod report;
pub mod savings;
pub mod schema;
pub mod text;

pub use accounts::{AccountStatus, AccountTarget, OrgAccount};
pub use decision::{
    change_towards, decide, eligibility, ActionMode, Decision, Eligible, Operation, SkipReason,
};
pub use error::InputError;
pub use ids::{
    AccountId, ExecutionArn, InstanceId, OuId, Region, RoleName, ScheduleName, TopicArn,
};
pub use input::{Action, InputSchedules, RunRequest};
pub use instance::{Instance, InstanceState, Lifecycle, StateReason, TagConfig};
pub use reason::{Note, Reason};
pub use report::{
    AccountReport, Counts, ErrorName, FailReason, InstanceRecord, Outcome, RegionReport, RunHeader,
    RunSummary, Summarizer, TargetError,
};
