//! The ports: what the engine needs from the outside world, in domain terms. The AWS adapter
//! implements them with the SDK; the test kit implements them in memory.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use uptime_model::{AccountId, Instance, InstanceId, OrgAccount, OuId, Region};

/// What kind of failure an adapter saw, classified once, in the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    AccessDenied,
    Throttled,
    /// Network fault, timeout or a 5xx: worth retrying.
    Transient,
    NotFound,
    /// EC2 refused the call for an instance's current state.
    InvalidState,
    InsufficientCapacity,
    /// A KMS key of an encrypted volume cannot be used.
    KmsAccess,
    /// EC2 refused to hibernate (not configured, unsupported type, …).
    HibernationRefused,
    Unsupported,
    /// No answer within the call's timeout. The SDK has already retried within that time, so
    /// the engine does not retry it again, and stops calling the same account-region (a hung
    /// endpoint would otherwise cost a timeout per call).
    TimedOut,
    Other,
}

impl ErrorKind {
    /// Throttling and transient faults are retried; everything else is an answer.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

/// A failed port call: its kind, AWS's error code if any, and the full message for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PortError {
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
}

impl PortError {
    pub fn new(kind: ErrorKind, code: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// AWS Organizations: the accounts of the organization and their tags.
pub trait Directory: Send + Sync {
    /// Every account of the organization (all pages).
    fn list_accounts(&self) -> impl Future<Output = Result<Vec<OrgAccount>, PortError>> + Send;
    /// The Organization's roots (one in every Organization today).
    fn roots(&self) -> impl Future<Output = Result<Vec<OuId>, PortError>> + Send;
    /// The accounts directly under a root or OU (all pages).
    fn accounts_under(
        &self,
        parent: &OuId,
    ) -> impl Future<Output = Result<Vec<OrgAccount>, PortError>> + Send;
    /// The OUs directly under a root or OU (all pages).
    fn units_under(
        &self,
        parent: &OuId,
    ) -> impl Future<Output = Result<Vec<OuId>, PortError>> + Send;
    /// The account's tags (all pages).
    fn account_tags(
        &self,
        account: &AccountId,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, PortError>> + Send;
}

/// STS: access to member accounts. Credentials stay inside the adapter, cached per account
/// and session; they never appear in a port's answer.
pub trait Connect: Send + Sync {
    type Compute: Compute;
    /// Assumes the member role in `account` (or reuses cached credentials). Proves access.
    fn connect(
        &self,
        account: &AccountId,
        session: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// EC2 in one region of a member account, as the member role.
    fn compute(
        &self,
        account: &AccountId,
        region: &Region,
        session: &str,
    ) -> impl Future<Output = Result<Self::Compute, PortError>> + Send;
}

/// Which instances discovery returns: those carrying `tag_key` (with value `tag_value` when
/// given, compared with the tag value's surrounding white space trimmed, as the decision reads
/// it), in pending, running, stopping or stopped state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub tag_key: String,
    pub tag_value: Option<String>,
}

/// What discovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    pub instances: Vec<Instance>,
    /// Instances that match but whose description EC2 answered in a form that does not parse
    /// (a tag value with control characters, say), with why. One such instance must not hide
    /// the others: the adapter isolates it, and the engine reports it skipped, untouched.
    pub unreadable: Vec<(InstanceId, String)>,
}

impl From<Vec<Instance>> for Discovered {
    fn from(instances: Vec<Instance>) -> Self {
        Self {
            instances,
            unreadable: Vec::new(),
        }
    }
}

/// EC2 in one account and region.
pub trait Compute: Send + Sync {
    /// The regions enabled in the account.
    fn enabled_regions(&self) -> impl Future<Output = Result<Vec<Region>, PortError>> + Send;
    /// Tagged instances, through every page.
    fn discover(
        &self,
        what: &Discovery,
    ) -> impl Future<Output = Result<Discovered, PortError>> + Send;
    /// One StopInstances call (with `Hibernate` when asked).
    fn stop(
        &self,
        ids: &[InstanceId],
        hibernate: bool,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// One StartInstances call.
    fn start(&self, ids: &[InstanceId]) -> impl Future<Output = Result<(), PortError>> + Send;
    /// One CreateTags call setting `key` to `value` on every instance in `ids`. The only write
    /// besides start and stop: reconcile mode records the last action it applied (the
    /// last-action tag) so that a later run does not apply the same schedule edge twice.
    fn tag(
        &self,
        ids: &[InstanceId],
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Waiting between retries. The engine has no timer of its own so that it stays
/// runtime-agnostic and tests need not sleep.
pub trait Pause: Send + Sync {
    fn pause(&self, duration: Duration) -> impl Future<Output = ()> + Send;

    /// Told before each pause of a retry, with the error that is retried (a counting pause
    /// counts the throttled ones); nothing by default.
    fn retrying(&self, _error: ErrorKind) {}
}

/// A [`Pause`] that counts the throttled calls retried through it (a region run reports them
/// as `throttles_retried`).
#[derive(Debug)]
pub struct CountingPause<'a, P> {
    inner: &'a P,
    throttled: std::sync::atomic::AtomicU64,
}

impl<'a, P: Pause> CountingPause<'a, P> {
    pub fn new(inner: &'a P) -> Self {
        Self {
            inner,
            throttled: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Throttled calls retried so far.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl<P: Pause> Pause for CountingPause<'_, P> {
    fn pause(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.inner.pause(duration)
    }

    fn retrying(&self, error: ErrorKind) {
        if error == ErrorKind::Throttled {
            self.throttled
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.inner.retrying(error);
    }
}

/// Object storage where the account Map writes its results (S3, through the Distributed Map's
/// `ResultWriter`): the run summary reads the manifest and the result files back.
pub trait ResultStore: Send + Sync {
    /// The whole object at `bucket`/`key`.
    fn get_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Vec<u8>, PortError>> + Send;
    /// Writes `body` (JSON text) as the object at `bucket`/`key`, replacing any.
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// The object and its version (its ETag), or `None` when there is none: the first half of
    /// a read-modify-write ([`ResultStore::put_object_if`]).
    fn get_versioned(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<Versioned>, PortError>> + Send;
    /// Writes `body` only if the object is still as `expected` says (S3's conditional
    /// writes: `If-Match` an ETag, `If-None-Match: *`). `Ok(false)`: another writer got
    /// there first, nothing was written; read again and retry.
    fn put_object_if(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        expected: &Precondition,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
}

/// An object with the version it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub body: Vec<u8>,
    pub etag: String,
}

/// What a conditional write expects to replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// No object yet.
    Absent,
    /// The object at this ETag.
    Matches(String),
}

/// Where a run's digest goes (EventBridge, and an SNS topic when one is configured): one
/// message per run. A failure is reported, never retried by the caller: the digest is a
/// notification, and the run's result does not depend on it.
pub trait DigestSink: Send + Sync {
    /// Publishes `digest` once to every destination; an error names the ones that refused.
    fn publish(
        &self,
        digest: &uptime_model::digest::Digest,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}
