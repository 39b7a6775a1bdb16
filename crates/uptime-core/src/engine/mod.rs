//! The scheduling engine: account selection, account preparation, the per-region run and the
//! in-process whole-organization run. Each step is what one Lambda does; the CLI chains them.
//!
//! - [`select`]: the accounts a run covers (list-accounts), read live or from the account
//!   registry.
//! - [`registry`]: keeping the account registry (refresh-accounts).
//! - [`prepare`]: an account's access and regions (schedule-account, first).
//! - [`region`]: one region's discovery and decisions (schedule-account, each region), carried out by
//!   `apply`: batches, bisection, the last-action tags.
//! - [`verify`]: whether the starts held (verify-starts).
//! - [`org`]: the whole organization in-process (the CLI).
//! - [`inventory`]: the selection's tagged instances, read without a decision (the CLI's
//!   `report`).
//!
//! The per-instance decision itself is pure and lives in the model
//! ([`uptime_model::decided`]).

mod apply;
pub mod inventory;
pub mod org;
pub mod prepare;
pub mod region;
pub mod registry;
pub mod select;
pub mod verify;

pub use inventory::{inventory_organization, Found};
pub use org::{
    run_organization, verify_organization_starts, Concurrency, OrgRun, Progress, RunOptions,
    TASK_RETRY,
};
pub use prepare::{prepare_account, resolve_deferred_regions};
pub use region::{schedule_region, schedules_for, RegionRun, RegionTask};
pub use select::{select_accounts, select_from_registry, Selection};
pub use verify::verify_starts;

use crate::ports::{ErrorKind, PortError};
use crate::retry::RetryPolicy;
use std::sync::Arc;
use uptime_model::{ErrorName, FailReason, Region, TagConfig, TargetError};
use uptime_schedule::ScheduleDocument;

/// Instances per StartInstances/StopInstances call (and per CreateTags call of the last-action
/// tag) unless the deployment says otherwise (`BATCH_SIZE`): the most one call can ever be
/// granted. EC2 documents no per-call maximum for Start/StopInstances, but it throttles them by
/// an instance-count (resource) token bucket of 1,000 per account and region (refill 2/s for
/// StartInstances, 20/s for StopInstances), besides a request bucket (StartInstances: 5, refill
/// 2/s); CreateTags takes "up to 1000 resource IDs". Fewer, larger calls spend fewer of the
/// scarce StartInstances request tokens: 125 instances to start were 3 calls at the former 50
/// and are 1 now. A call that fails for one instance is bisected (`Bisector`), as AWS
/// Instance Scheduler does with a whole target.
pub const DEFAULT_BATCH_SIZE: usize = 1000;

/// The largest `BATCH_SIZE`: a call for more instances than the resource bucket holds could
/// never be granted.
pub const MAX_BATCH_SIZE: usize = 1000;

/// Deployment-level settings of the engine.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tags: TagConfig,
    /// Instances per StartInstances/StopInstances call ([`DEFAULT_BATCH_SIZE`]).
    pub batch_size: usize,
    /// Regions scheduled when neither the run nor the account names any.
    pub default_regions: Vec<Region>,
    /// Region in which an account's enabled regions are listed.
    pub home_region: Region,
    /// Concurrent Organizations tag reads.
    pub tag_read_concurrency: usize,
    /// Accounts the state machine's Maps run at once (`ACCOUNT_CONCURRENCY`; list-accounts
    /// hands it to them).
    pub account_concurrency: u64,
    pub retry: RetryPolicy,
    /// Reconcile mode: the catch-up window.
    pub reconcile: uptime_model::reconcile::ReconcileSettings,
    /// Reconcile mode: the deployed schedules document (an execution input's `schedules` is
    /// laid over it). The Lambdas get it from the state machine with each task instead.
    pub schedules: Arc<ScheduleDocument>,
}

impl Settings {
    pub fn new(home_region: Region, default_regions: Vec<Region>) -> Self {
        Self {
            tags: TagConfig::default(),
            batch_size: DEFAULT_BATCH_SIZE,
            default_regions,
            home_region,
            tag_read_concurrency: 8,
            account_concurrency: uptime_model::events::DEFAULT_ACCOUNT_CONCURRENCY,
            retry: RetryPolicy::default(),
            reconcile: Default::default(),
            schedules: Arc::new(ScheduleDocument::empty()),
        }
    }
}

/// Maps an adapter error to the error name of the target (account, region, listing) it failed.
pub fn target_error(context: &str, e: &PortError) -> TargetError {
    let name = match e.kind {
        ErrorKind::AccessDenied => ErrorName::AccessDenied,
        ErrorKind::Throttled => ErrorName::Throttled,
        ErrorKind::Transient | ErrorKind::TimedOut => ErrorName::Transient,
        _ => ErrorName::Internal,
    };
    TargetError::new(name, format!("{context}: {}", e.message))
}

/// Maps an adapter error on a state change to the instance's failure reason.
pub fn fail_reason(e: &PortError) -> FailReason {
    match e.kind {
        ErrorKind::AccessDenied => FailReason::AccessDenied,
        ErrorKind::Throttled => FailReason::Throttled,
        ErrorKind::NotFound => FailReason::NotFound,
        ErrorKind::InvalidState => FailReason::InvalidState,
        ErrorKind::InsufficientCapacity => FailReason::InsufficientCapacity,
        ErrorKind::KmsAccess => FailReason::KmsAccess,
        ErrorKind::HibernationRefused | ErrorKind::Unsupported => FailReason::Unsupported,
        ErrorKind::TimedOut => FailReason::TimedOut,
        ErrorKind::Transient | ErrorKind::Other => FailReason::ApiError,
    }
}
