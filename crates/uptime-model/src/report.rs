//! Reports: per instance (logs), per region, per account and per run (compact JSON that the
//! state machine passes around), and the fold that makes the run summary.
//!
//! Compactness is a design constraint (Step Functions payloads are limited to 256 KB): reports
//! carry counts and a bounded list of failures, never every instance id.

use crate::decision::SkipReason;
use crate::ids::{AccountId, InstanceId, Region, ScheduleName};
use crate::input::Action;
use crate::reason::{Note, Reason};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How many failed instances a region report lists by id; the rest are counted.
pub const MAX_LISTED_INSTANCE_FAILURES: usize = 20;
/// How many failed targets (accounts or regions) a run summary lists; the rest are counted.
pub const MAX_LISTED_TARGET_FAILURES: usize = 100;
/// Error messages in reports are cut to this many characters (full text is in the logs).
pub const MAX_MESSAGE_CHARS: usize = 300;

/// Why a state change of one instance failed. Stable kebab-case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailReason {
    /// The role may not use the customer-managed KMS key of an encrypted volume.
    KmsAccess,
    InsufficientCapacity,
    /// EC2 refused the call for the instance's current state.
    InvalidState,
    AccessDenied,
    /// EC2 does not support the operation for this instance (e.g. some instance store types).
    Unsupported,
    /// The instance disappeared between discovery and the call.
    NotFound,
    /// Throttled until retries ran out.
    Throttled,
    /// Anything else EC2 answered; the message says what.
    ApiError,
    /// Started, but back in `stopped` when verified (EC2's state reason in the message).
    DidNotStart,
    /// The call got no answer within its timeout (EC2 may still have carried it out: the next
    /// run finds the instance as it is), or was not made because an earlier call to the same
    /// account-region got none.
    TimedOut,
}

impl FailReason {
    /// Every reason (the payload-limit checks count them all).
    pub const ALL: [FailReason; 10] = [
        Self::KmsAccess,
        Self::InsufficientCapacity,
        Self::InvalidState,
        Self::AccessDenied,
        Self::Unsupported,
        Self::NotFound,
        Self::Throttled,
        Self::ApiError,
        Self::DidNotStart,
        Self::TimedOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::KmsAccess => "kms-access",
            Self::InsufficientCapacity => "insufficient-capacity",
            Self::InvalidState => "invalid-state",
            Self::AccessDenied => "access-denied",
            Self::Unsupported => "unsupported",
            Self::NotFound => "not-found",
            Self::Throttled => "throttled",
            Self::ApiError => "api-error",
            Self::DidNotStart => "did-not-start",
            Self::TimedOut => "timed-out",
        }
    }
}

/// What happened to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "kebab-case")]
pub enum Outcome {
    Started,
    Stopped,
    Hibernated,
    Already,
    /// Dry run: would have been started.
    WouldStart,
    /// Dry run: would have been stopped (or hibernated).
    WouldStop,
    Skipped(SkipReason),
    Failed(FailReason),
}

impl Outcome {
    /// The outcome's name as counted in reports (`started`, `skipped`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Stopped => "stopped",
            Self::Hibernated => "hibernated",
            Self::Already => "already",
            Self::WouldStart => "would-start",
            Self::WouldStop => "would-stop",
            Self::Skipped(_) => "skipped",
            Self::Failed(_) => "failed",
        }
    }

    /// The reason, for skipped and failed outcomes.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::Skipped(r) => Some(r.as_str()),
            Self::Failed(r) => Some(r.as_str()),
            _ => None,
        }
    }
}

/// One instance's outcome: the unit of the per-decision log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRecord {
    pub instance: InstanceId,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// EC2's message for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Reconcile: why the decision was taken (`in-window`, `override-until-…`, …); also an
    /// instance skipped before any decision (`unreadable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Reconcile: a fact worth reporting that did not change the decision
    /// (`override-expired`, `last-action-not-written`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

impl InstanceRecord {
    /// Nothing happened to the instance and there is nothing to tell about it: it was already
    /// as its schedule wants it, or skipped for a reason that is the normal state of a fleet
    /// ([`SkipReason::needs_attention`] is false), and carries no note. A change, a would-be
    /// change, a failure, a skip that needs attention and a note are not quiet.
    pub fn is_quiet(&self) -> bool {
        self.note.is_none()
            && match self.outcome {
                Outcome::Already => true,
                Outcome::Skipped(reason) => !reason.needs_attention(),
                _ => false,
            }
    }

    /// The reason the log and the counts show: the decision's reason kind (reconcile), or else
    /// the outcome's own (a skip or failure reason).
    pub fn reason_kind(&self) -> Option<&'static str> {
        self.reason
            .as_ref()
            .map(Reason::kind)
            .or(self.outcome.reason())
    }
}

/// Counts of outcomes, with skipped and failed broken down by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub started: u64,
    pub stopped: u64,
    pub hibernated: u64,
    pub already: u64,
    pub would_start: u64,
    pub would_stop: u64,
    pub skipped: u64,
    pub failed: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped_by_reason: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Reconcile: every decision counted by the kind of its reason ([`Reason::kind`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub decided_by_reason: BTreeMap<String, u64>,
    /// Reconcile: notes (`override-expired`, `invalid-last-action-tag`, `future-last-action-tag`,
    /// `last-action-not-written`) by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<String, u64>,
    /// Instance-minutes avoided: for each instance the run started, how long it had been
    /// stopped (see [`crate::savings::minutes_avoided`]). By schedule and instance type only in
    /// the region run's [`Avoided`], which schedule-account emits as metrics: names in every
    /// region report would not fit a child's 256 KiB at 20 regions.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub minutes_avoided: u64,
    /// Throttled calls the scheduler retried (after the SDK's own retries, which it does not
    /// see): throttling absorbed, or, with `failed_by_reason.throttled`, not.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub throttles_retried: u64,
}

/// The most schedule names or instance types an [`Avoided`] keeps apart.
pub const MAX_AVOIDED_KEYS: usize = 20;

/// Adds `minutes` under `key`, or under `other` once the map holds [`MAX_AVOIDED_KEYS`] keys.
fn add_capped(map: &mut BTreeMap<String, u64>, key: &str, minutes: u64) {
    // One key stays free for `other` until it is there.
    let room = if map.contains_key("other") {
        MAX_AVOIDED_KEYS
    } else {
        MAX_AVOIDED_KEYS - 1
    };
    let key = if map.contains_key(key) || map.len() < room || key == "other" {
        key
    } else {
        "other"
    };
    *map.entry(key.to_owned()).or_default() += minutes;
}

/// The avoided minutes of one region run by schedule name (`inline` for an expression in the
/// tag) and by instance type: what schedule-account emits as `InstanceHoursAvoided` metrics
/// with a `Schedule` or an `InstanceType` dimension. Not part of the region report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Avoided {
    /// At most [`MAX_AVOIDED_KEYS`] keys, the names beyond the first ones under `other`.
    pub by_schedule: BTreeMap<String, u64>,
    pub by_type: BTreeMap<String, u64>,
}

impl Avoided {
    /// Counts the minutes one started instance had been stopped, under its schedule and type.
    pub fn add(&mut self, minutes: u64, schedule: &str, instance_type: &str) {
        if minutes == 0 {
            return;
        }
        add_capped(&mut self.by_schedule, schedule, minutes);
        add_capped(&mut self.by_type, instance_type, minutes);
    }

    /// Nothing was avoided.
    pub fn is_empty(&self) -> bool {
        self.by_schedule.is_empty()
    }
}

impl Counts {
    pub fn record(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Started => self.started += 1,
            Outcome::Stopped => self.stopped += 1,
            Outcome::Hibernated => self.hibernated += 1,
            Outcome::Already => self.already += 1,
            Outcome::WouldStart => self.would_start += 1,
            Outcome::WouldStop => self.would_stop += 1,
            Outcome::Skipped(r) => {
                self.skipped += 1;
                *self.skipped_by_reason.entry(r.as_str().into()).or_default() += 1;
            }
            Outcome::Failed(r) => {
                self.failed += 1;
                *self.failed_by_reason.entry(r.as_str().into()).or_default() += 1;
            }
        }
    }

    pub fn add(&mut self, other: &Counts) {
        self.started += other.started;
        self.stopped += other.stopped;
        self.hibernated += other.hibernated;
        self.already += other.already;
        self.would_start += other.would_start;
        self.would_stop += other.would_stop;
        self.skipped += other.skipped;
        self.failed += other.failed;
        for (k, v) in &other.skipped_by_reason {
            *self.skipped_by_reason.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.failed_by_reason {
            *self.failed_by_reason.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.decided_by_reason {
            *self.decided_by_reason.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.notes {
            *self.notes.entry(k.clone()).or_default() += v;
        }
        self.minutes_avoided += other.minutes_avoided;
        self.throttles_retried += other.throttles_retried;
    }

    /// Counts a record: its outcome, and its reason and note if it has them.
    pub fn record_instance(&mut self, record: &InstanceRecord) {
        self.record(&record.outcome);
        if let Some(reason) = &record.reason {
            *self
                .decided_by_reason
                .entry(reason.kind().to_owned())
                .or_default() += 1;
        }
        if let Some(note) = record.note {
            *self.notes.entry(note.as_str().to_owned()).or_default() += 1;
        }
    }

    /// Instances whose state was (or, in a dry run, would be) changed.
    pub fn changed(&self) -> u64 {
        self.started + self.stopped + self.hibernated + self.would_start + self.would_stop
    }

    /// Every instance looked at.
    pub fn total(&self) -> u64 {
        self.changed() + self.already + self.skipped + self.failed
    }
}

/// The closed set of error names a target (account, region) or a Lambda can fail with.
/// These are API: the state machine retries and catches by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ErrorName {
    /// The input (execution input or task event) is malformed. Not retried.
    InvalidInput,
    /// The function's own configuration (environment) is wrong. Not retried.
    Misconfigured,
    /// A role could not be assumed, or an API call was denied. Not retried.
    AccessDenied,
    /// Throttled after the function's own retries. Retried with backoff.
    Throttled,
    /// A network fault or a 5xx from AWS. Retried.
    Transient,
    /// Anything else: a bug or an unexpected answer. Not retried.
    Internal,
}

impl ErrorName {
    pub const ALL: [ErrorName; 6] = [
        ErrorName::InvalidInput,
        ErrorName::Misconfigured,
        ErrorName::AccessDenied,
        ErrorName::Throttled,
        ErrorName::Transient,
        ErrorName::Internal,
    ];

    /// The name's enum value, if it is one of ours.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "InvalidInput",
            Self::Misconfigured => "Misconfigured",
            Self::AccessDenied => "AccessDenied",
            Self::Throttled => "Throttled",
            Self::Transient => "Transient",
            Self::Internal => "Internal",
        }
    }
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a whole target failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetError {
    pub error: ErrorName,
    pub message: String,
}

impl TargetError {
    pub fn new(error: ErrorName, message: impl Into<String>) -> Self {
        Self {
            error,
            message: clip(&message.into()),
        }
    }
}

/// Cuts a message to [`MAX_MESSAGE_CHARS`] characters.
pub fn clip(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        message.to_owned()
    } else {
        let mut s: String = message.chars().take(MAX_MESSAGE_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// A failed instance, as listed in a region report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceFailure {
    pub instance: InstanceId,
    pub reason: FailReason,
    pub message: String,
}

/// The result of scheduling one region of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionReport {
    pub account: AccountId,
    pub region: Region,
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<InstanceFailure>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures_not_listed: u64,
    /// Set when the region as a whole failed (discovery impossible, retries exhausted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TargetError>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl RegionReport {
    /// Builds a region report from per-instance records.
    pub fn from_records(account: AccountId, region: Region, records: &[InstanceRecord]) -> Self {
        let mut counts = Counts::default();
        let mut failures = Vec::new();
        let mut not_listed = 0;
        for r in records {
            counts.record_instance(r);
            if let Outcome::Failed(reason) = r.outcome {
                if failures.len() < MAX_LISTED_INSTANCE_FAILURES {
                    failures.push(InstanceFailure {
                        instance: r.instance.clone(),
                        reason,
                        message: clip(r.message.as_deref().unwrap_or_default()),
                    });
                } else {
                    not_listed += 1;
                }
            }
        }
        Self {
            account,
            region,
            counts,
            failures,
            failures_not_listed: not_listed,
            error: None,
        }
    }

    /// A region that failed as a whole.
    pub fn failed(account: AccountId, region: Region, error: TargetError) -> Self {
        Self {
            account,
            region,
            counts: Counts::default(),
            failures: Vec::new(),
            failures_not_listed: 0,
            error: Some(error),
        }
    }
}

/// Why a region of an account is not scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionSkipReason {
    /// Requested, but not enabled in the account (opt-in region not opted in).
    NotEnabled,
    /// Requested by the run, but outside the account's own region list (account tag).
    NotInAccountRegions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRegion {
    pub region: Region,
    pub reason: RegionSkipReason,
}

/// Why an account is not scheduled (reported for accounts the run asked for by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountSkipReason {
    NotInOrganization,
    NotActive,
    NotOptedIn,
    /// Not under any of the requested organizational units.
    OutsideRequestedUnits,
    /// The account's regions tag is malformed; the account is left alone.
    InvalidRegionsTag,
    /// The account registry (ADR 0013) has not read the account's tags yet (an account new
    /// to it): left alone until it has.
    OptInNotYetRead,
}

impl AccountSkipReason {
    /// The contract spelling (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotInOrganization => "not-in-organization",
            Self::NotActive => "not-active",
            Self::NotOptedIn => "not-opted-in",
            Self::OutsideRequestedUnits => "outside-requested-units",
            Self::InvalidRegionsTag => "invalid-regions-tag",
            Self::OptInNotYetRead => "opt-in-not-yet-read",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedAccount {
    pub account: AccountId,
    pub reason: AccountSkipReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The result of one account: its regions' reports, or why it failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountReport {
    pub account: AccountId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionReport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_regions: Vec<SkippedRegion>,
    /// Set when the account failed as a whole (role cannot be assumed, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TargetError>,
}

/// The overall status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Every target succeeded and no instance failed.
    Succeeded,
    /// The run finished, but some targets or instances failed (listed in `failures`).
    CompletedWithFailures,
}

/// A failed target in the run summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetFailure {
    pub account: AccountId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    /// A target error name, or `InstanceFailures` for a region where instances failed.
    pub error: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetCounts {
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
}

/// One row per account for people (the CLI table); compact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLine {
    pub account: AccountId,
    pub region: Option<Region>,
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a whole run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub action: Action,
    pub dry_run: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleName>,
    pub now: Timestamp,
    pub status: RunStatus,
    pub accounts: TargetCounts,
    pub regions: TargetCounts,
    pub instances: Counts,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<TargetFailure>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures_not_listed: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_accounts: Vec<SkippedAccount>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_accounts_not_listed: u64,
}

/// The largest run summary, as JSON text, that [`RunSummary::fit`] leaves: a failed execution
/// carries the summary as its cause, which Step Functions limits to 32,768 characters.
pub const MAX_SUMMARY_BYTES: usize = 30_000;

impl RunSummary {
    /// Drops listed skipped accounts, then listed failures (what matters most stays), from the
    /// end until the JSON text is at most `max_bytes` long; what is dropped is still counted
    /// (`*_not_listed`).
    pub fn fit(&mut self, max_bytes: usize) {
        let len = |s: &Self| serde_json::to_string(s).map(|t| t.len()).unwrap_or(0);
        while len(self) > max_bytes {
            if self.skipped_accounts.pop().is_some() {
                self.skipped_accounts_not_listed += 1;
            } else if self.failures.pop().is_some() {
                self.failures_not_listed += 1;
            } else {
                break;
            }
        }
    }
}

/// Header facts of a run, carried from the input to the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunHeader {
    pub action: Action,
    pub dry_run: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleName>,
    pub now: Timestamp,
}

impl RunHeader {
    /// The header of the run `req` asks for (the one way to build it from a request).
    pub fn of(req: &crate::input::RunRequest) -> Self {
        Self {
            action: req.action,
            dry_run: req.dry_run,
            schedule: req.schedule.clone(),
            now: req.now,
        }
    }
}

/// Folds account reports (and the accounts that failed during listing) into the run summary.
pub fn summarize(
    header: RunHeader,
    reports: &[AccountReport],
    skipped_accounts: Vec<SkippedAccount>,
) -> RunSummary {
    let mut s = Summarizer::new(header);
    for a in reports {
        s.add(a);
    }
    s.finish(skipped_accounts)
}

/// Builds the run summary one account report at a time, so that a run over thousands of
/// accounts never holds every report at once.
#[derive(Debug, Clone)]
pub struct Summarizer {
    header: RunHeader,
    accounts: TargetCounts,
    regions: TargetCounts,
    instances: Counts,
    failures: Vec<TargetFailure>,
    not_listed: u64,
    changes: crate::digest::ChangeLines,
}

impl Summarizer {
    pub fn new(header: RunHeader) -> Self {
        Self {
            header,
            accounts: TargetCounts::default(),
            regions: TargetCounts::default(),
            instances: Counts::default(),
            failures: Vec::new(),
            not_listed: 0,
            changes: crate::digest::ChangeLines::default(),
        }
    }

    fn push(&mut self, f: TargetFailure) {
        if self.failures.len() < MAX_LISTED_TARGET_FAILURES {
            self.failures.push(f);
        } else {
            self.not_listed += 1;
        }
    }

    /// Counts accounts that failed but whose reports were not handed over (a capped list):
    /// they count as failed and as failures not listed.
    pub fn add_unlisted_failed_accounts(&mut self, n: u64) {
        self.accounts.total += n;
        self.accounts.failed += n;
        self.not_listed += n;
    }

    pub fn add(&mut self, a: &AccountReport) {
        self.changes.add(a);
        self.accounts.total += 1;
        let mut account_ok = a.error.is_none();
        if let Some(e) = &a.error {
            self.push(TargetFailure {
                account: a.account.clone(),
                region: None,
                error: e.error.as_str().into(),
                message: e.message.clone(),
            });
        }
        for r in &a.regions {
            self.regions.total += 1;
            self.instances.add(&r.counts);
            if let Some(e) = &r.error {
                self.regions.failed += 1;
                account_ok = false;
                self.push(TargetFailure {
                    account: a.account.clone(),
                    region: Some(r.region.clone()),
                    error: e.error.as_str().into(),
                    message: e.message.clone(),
                });
            } else if r.counts.failed > 0 {
                self.regions.failed += 1;
                account_ok = false;
                let reasons: Vec<String> = r
                    .counts
                    .failed_by_reason
                    .iter()
                    .map(|(k, v)| format!("{v} {k}"))
                    .collect();
                self.push(TargetFailure {
                    account: a.account.clone(),
                    region: Some(r.region.clone()),
                    error: "InstanceFailures".into(),
                    message: format!(
                        "{} instance(s) failed: {}",
                        r.counts.failed,
                        reasons.join(", ")
                    ),
                });
            } else {
                self.regions.succeeded += 1;
            }
        }
        if account_ok {
            self.accounts.succeeded += 1;
        } else {
            self.accounts.failed += 1;
        }
    }

    pub fn finish(self, skipped_accounts: Vec<SkippedAccount>) -> RunSummary {
        self.finish_with_changes(skipped_accounts).0
    }

    /// [`Summarizer::finish`], and the account-regions where instances changed (or, in a dry
    /// run, would change), for the run's digest.
    pub fn finish_with_changes(
        self,
        skipped_accounts: Vec<SkippedAccount>,
    ) -> (RunSummary, crate::digest::ChangeLines) {
        let status = if self.accounts.failed == 0 && self.instances.failed == 0 {
            RunStatus::Succeeded
        } else {
            RunStatus::CompletedWithFailures
        };
        let summary = RunSummary {
            action: self.header.action,
            dry_run: self.header.dry_run,
            schedule: self.header.schedule,
            now: self.header.now,
            status,
            accounts: self.accounts,
            regions: self.regions,
            instances: self.instances,
            failures: self.failures,
            failures_not_listed: self.not_listed,
            skipped_accounts,
            skipped_accounts_not_listed: 0,
        };
        (summary, self.changes)
    }
}

/// One row per account and region, for people.
pub fn account_lines(reports: &[AccountReport]) -> Vec<AccountLine> {
    let mut lines = Vec::new();
    for a in reports {
        if let Some(e) = &a.error {
            lines.push(AccountLine {
                account: a.account.clone(),
                region: None,
                counts: Counts::default(),
                error: Some(format!("{}: {}", e.error, e.message)),
            });
        }
        for r in &a.regions {
            lines.push(AccountLine {
                account: a.account.clone(),
                region: Some(r.region.clone()),
                counts: r.counts.clone(),
                error: r
                    .error
                    .as_ref()
                    .map(|e| format!("{}: {}", e.error, e.message)),
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn avoided_minutes_keep_at_most_twenty_names_apart() {
        let mut a = Avoided::default();
        for i in 0..25 {
            a.add(60, &format!("s{i:02}"), "m5.large");
        }
        a.add(0, "never", "t3.micro");
        assert_eq!(a.by_schedule.len(), MAX_AVOIDED_KEYS);
        assert_eq!(a.by_schedule.values().sum::<u64>(), 25 * 60);
        assert_eq!(a.by_schedule["other"], 6 * 60);
        assert_eq!(a.by_type, BTreeMap::from([("m5.large".into(), 25 * 60)]));
        let mut total = Counts::default();
        total.add(&Counts {
            minutes_avoided: 90,
            ..Counts::default()
        });
        total.add(&Counts {
            minutes_avoided: 30,
            ..Counts::default()
        });
        assert_eq!(total.minutes_avoided, 120);
        let v = serde_json::to_value(Counts::default()).unwrap();
        assert!(v.get("minutes_avoided").is_none(), "zero is left out: {v}");
    }

    use super::*;

    fn acct(n: u8) -> AccountId {
        AccountId::parse(&format!("{:012}", n)).unwrap()
    }
    fn region(r: &str) -> Region {
        Region::parse(r).unwrap()
    }
    fn iid(n: u32) -> InstanceId {
        InstanceId::parse(&format!("i-{:08x}", n)).unwrap()
    }
    fn header() -> RunHeader {
        RunHeader {
            action: Action::Stop,
            dry_run: false,
            schedule: None,
            now: "2026-11-24T19:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn region_reports_count_outcomes_and_list_failures_up_to_a_bound() {
        let mut recs = vec![
            InstanceRecord {
                instance: iid(1),
                outcome: Outcome::Stopped,
                message: None,
                reason: None,
                note: None,
            },
            InstanceRecord {
                instance: iid(2),
                outcome: Outcome::Skipped(SkipReason::Spot),
                message: None,
                reason: None,
                note: None,
            },
        ];
        for n in 0..25 {
            recs.push(InstanceRecord {
                instance: iid(100 + n),
                outcome: Outcome::Failed(FailReason::InvalidState),
                message: Some("IncorrectInstanceState".into()),
                reason: None,
                note: None,
            });
        }
        let r = RegionReport::from_records(acct(1), region("eu-west-1"), &recs);
        assert_eq!(
            (r.counts.stopped, r.counts.skipped, r.counts.failed),
            (1, 1, 25)
        );
        assert_eq!(r.counts.skipped_by_reason["spot"], 1);
        assert_eq!(r.failures.len(), MAX_LISTED_INSTANCE_FAILURES);
        assert_eq!(r.failures_not_listed, 5);
    }

    #[test]
    fn summary_succeeds_only_when_nothing_failed() {
        let ok = AccountReport {
            account: acct(1),
            regions: vec![RegionReport::from_records(
                acct(1),
                region("eu-west-1"),
                &[InstanceRecord {
                    instance: iid(1),
                    outcome: Outcome::Stopped,
                    message: None,
                    reason: None,
                    note: None,
                }],
            )],
            skipped_regions: vec![],
            error: None,
        };
        let s = summarize(header(), std::slice::from_ref(&ok), vec![]);
        assert_eq!(s.status, RunStatus::Succeeded);
        assert_eq!(
            (s.accounts.total, s.accounts.succeeded, s.regions.total),
            (1, 1, 1)
        );
        assert_eq!(s.instances.stopped, 1);

        let denied = AccountReport {
            account: acct(2),
            regions: vec![],
            skipped_regions: vec![],
            error: Some(TargetError::new(
                ErrorName::AccessDenied,
                "cannot assume role",
            )),
        };
        let s = summarize(header(), &[ok, denied], vec![]);
        assert_eq!(s.status, RunStatus::CompletedWithFailures);
        assert_eq!((s.accounts.succeeded, s.accounts.failed), (1, 1));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].account, acct(2));
        assert_eq!(s.failures[0].error, "AccessDenied");
    }

    #[test]
    fn instance_failures_make_the_region_and_run_fail() {
        let r = RegionReport::from_records(
            acct(1),
            region("us-east-1"),
            &[InstanceRecord {
                instance: iid(1),
                outcome: Outcome::Failed(FailReason::InsufficientCapacity),
                message: Some("no capacity".into()),
                reason: None,
                note: None,
            }],
        );
        let a = AccountReport {
            account: acct(1),
            regions: vec![r],
            skipped_regions: vec![],
            error: None,
        };
        let s = summarize(header(), &[a], vec![]);
        assert_eq!(s.status, RunStatus::CompletedWithFailures);
        assert_eq!(s.regions.failed, 1);
        assert_eq!(s.failures[0].error, "InstanceFailures");
        assert!(s.failures[0].message.contains("1 insufficient-capacity"));
    }

    #[test]
    fn summary_failure_list_is_bounded() {
        let reports: Vec<_> = (0..150u32)
            .map(|n| AccountReport {
                account: AccountId::parse(&format!("{:012}", n)).unwrap(),
                regions: vec![],
                skipped_regions: vec![],
                error: Some(TargetError::new(ErrorName::Transient, "x")),
            })
            .collect();
        let s = summarize(header(), &reports, vec![]);
        assert_eq!(s.failures.len(), MAX_LISTED_TARGET_FAILURES);
        assert_eq!(s.failures_not_listed, 50);
        assert_eq!(s.accounts.failed, 150);
    }

    #[test]
    fn long_messages_are_clipped() {
        let e = TargetError::new(ErrorName::Internal, "x".repeat(1000));
        assert_eq!(e.message.chars().count(), MAX_MESSAGE_CHARS);
    }

    #[test]
    fn error_names_are_pascal_case_and_serialise_as_such() {
        for n in ErrorName::ALL {
            assert_eq!(
                serde_json::to_value(n).unwrap(),
                serde_json::Value::String(n.as_str().into())
            );
            assert!(n.as_str().chars().next().unwrap().is_ascii_uppercase());
        }
    }

    #[test]
    fn outcomes_serialise_with_their_reason() {
        let r = InstanceRecord {
            instance: iid(1),
            outcome: Outcome::Skipped(SkipReason::AutoscalingMember),
            message: None,
            reason: None,
            note: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["outcome"], "skipped");
        assert_eq!(v["reason"], "autoscaling-member");
    }

    #[test]
    fn fit_bounds_the_summary_and_keeps_counting() {
        let header = RunHeader {
            action: crate::Action::Stop,
            dry_run: false,
            schedule: None,
            now: jiff::Timestamp::UNIX_EPOCH,
        };
        let mut s = Summarizer::new(header);
        for n in 0..150u8 {
            s.add(&AccountReport {
                account: acct(n),
                regions: Vec::new(),
                skipped_regions: Vec::new(),
                error: Some(TargetError::new(ErrorName::AccessDenied, "x".repeat(400))),
            });
        }
        let mut summary = s.finish(Vec::new());
        assert_eq!(summary.failures.len(), MAX_LISTED_TARGET_FAILURES);
        assert_eq!(summary.failures_not_listed, 50);
        summary.fit(MAX_SUMMARY_BYTES);
        let text = serde_json::to_string(&summary).unwrap();
        assert!(text.len() <= MAX_SUMMARY_BYTES, "{}", text.len());
        assert!(!summary.failures.is_empty());
        assert_eq!(
            summary.failures.len() as u64 + summary.failures_not_listed,
            150
        );
        assert_eq!(summary.accounts.failed, 150);
    }

    #[test]
    fn account_skip_reasons_spell_as_they_serialise() {
        for r in [
            AccountSkipReason::NotInOrganization,
            AccountSkipReason::NotActive,
            AccountSkipReason::NotOptedIn,
            AccountSkipReason::OutsideRequestedUnits,
            AccountSkipReason::InvalidRegionsTag,
            AccountSkipReason::OptInNotYetRead,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }
}
