//! AWS adapter of the Uptime Scheduler: implements the core's ports with the AWS SDK for Rust.
//! This is the only crate that names `aws_sdk_*` types.
//!
//! # Layout
//!
//! - [`sdk`]: loading the one `SdkConfig` per process (rustls + ring HTTPS client).
//! - [`errors`]: the single classification of AWS errors into the core's error kinds.
//! - [`organizations`] holds [`AwsDirectory`] (Organizations).
//! - [`member`] holds [`AwsConnect`] (STS AssumeRole, credentials cached per account and session)
//!   and [`AwsCompute`] (EC2 in one member account and region).
//! - [`results`] holds [`AwsResultStore`] (S3: the account Map's ResultWriter output).
//! - [`digest`] holds [`AwsDigestSink`] (EventBridge PutEvents and SNS Publish: the run digest).
//! - `pricing` (feature `pricing`, the CLI's only) holds `AwsPriceList` (the Price List API's
//!   GetProducts: on-demand prices for `report`).
//! - [`IAM_ACTIONS`]: every AWS action this crate calls, by the role that calls it.

pub mod digest;
pub mod errors;
pub mod member;
pub mod organizations;
#[cfg(feature = "pricing")]
pub mod pricing;
pub mod results;
pub mod sdk;

pub use digest::AwsDigestSink;
pub use member::{AwsCompute, AwsConnect};
pub use organizations::AwsDirectory;
pub use results::AwsResultStore;

/// Every IAM action this adapter calls, by the principal that calls it. Kept next to the calls
/// so that policy documents can be checked against it.
pub mod iam_actions {
    /// Called with the hub Lambda role's own credentials.
    pub const HUB: &[&str] = &[
        "organizations:ListAccounts",
        // refresh-accounts' walk of the tree starts at the roots (ADR 0013).
        "organizations:ListRoots",
        "organizations:ListAccountsForParent",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListTagsForResource",
        "sts:AssumeRole",
    ];
    /// Called by summarize-run with the hub Lambda role's credentials, on the results bucket:
    /// the Maps' results under `map-runs/` and `verify-runs/`.
    pub const RESULTS: &[&str] = &["s3:GetObject"];
    /// Called with the hub Lambda role's credentials: by list-accounts, the run's account list
    /// under `account-lists/`; by summarize-run, a start run's verification items under
    /// `verify-plans/` (ADR 0012). The Maps' ItemReaders read them.
    pub const RESULTS_WRITE: &[&str] = &["s3:PutObject"];
    /// Called with the hub Lambda role's credentials on the account registry
    /// (`account-registry/accounts.json`, ADR 0013): refresh-accounts reads and writes it
    /// (writes are conditional on the version it read), list-accounts reads it.
    pub const REGISTRY: &[&str] = &["s3:GetObject", "s3:PutObject"];
    /// Called by summarize-run with the hub Lambda role's credentials: the run digest on the
    /// default event bus (`iam/hub-lambda.policy.json`).
    pub const DIGEST: &[&str] = &["events:PutEvents"];
    /// Called by summarize-run only when a digest topic is configured
    /// (`iam/hub-digest-sns.policy.json`, attached only then).
    pub const DIGEST_SNS: &[&str] = &["sns:Publish"];
    /// Called by the CLI's `report` with the caller's own credentials (`--prices aws`, the
    /// default); no deployed role calls it.
    pub const REPORT_PRICES: &[&str] = &["pricing:GetProducts"];
    /// Called with the member role's credentials.
    pub const MEMBER: &[&str] = &[
        "ec2:DescribeRegions",
        "ec2:DescribeInstances",
        // Only when a DescribeInstances answer does not parse: lists ids without tags.
        "ec2:DescribeInstanceStatus",
        "ec2:StopInstances",
        "ec2:StartInstances",
        // Reconcile mode's last-action tag only; the policy restricts the tag key.
        "ec2:CreateTags",
    ];
}

pub use iam_actions as IAM_ACTIONS;

/// A Pause backed by tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioPause;

impl uptime_core::Pause for TokioPause {
    async fn pause(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}
