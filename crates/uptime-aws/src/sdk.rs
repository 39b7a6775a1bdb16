//! The one SDK configuration per process.
//!
//! The SDK crates are built without default features (see the workspace manifest), so the
//! HTTPS client is chosen here explicitly: hyper 1 + rustls with the ring provider.
//!
//! Every call has a timeout ([`CallTimeouts`]): without one, an endpoint that accepts the
//! connection and never answers holds a run (or a Lambda until its own timeout) forever.

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ec2::config::{Credentials, Region, SharedCredentialsProvider};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use std::time::Duration;

/// The SDK behaviour this code was written and tested against, dated rather than `latest()`,
/// so that an SDK upgrade cannot change retries or timeouts underneath it unnoticed: moving it
/// is a deliberate change (retries by default for AWS clients, 3.1 s connect timeout, which
/// [`CallTimeouts`] sets explicitly anyway).
fn behavior() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

fn https_client() -> aws_sdk_ec2::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The timeouts of every AWS call of a process.
///
/// - `connect`: to open the connection (TCP and TLS);
/// - `attempt`: one attempt, from sending the request to the end of the answer;
/// - `operation`: the whole call, the SDK's own retries included. A call that reaches it is
///   reported `TimedOut` and not retried again by the engine.
///
/// The defaults (3 s, 10 s, 20 s) are far above what any call the scheduler makes takes (a
/// DescribeInstances page of 1,000 instances answers in about a second), and keep each Lambda
/// within its limits: preparing an account makes two calls in a row in at most 40 s (schedule-account's
/// limit for it), and a region run stops calling its account-region after the first call that timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTimeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
}

impl Default for CallTimeouts {
    fn default() -> Self {
        Self::for_operation(Duration::from_secs(20))
    }
}

impl CallTimeouts {
    /// Timeouts for a whole-call limit of `operation`: an attempt gets half of it (so that
    /// the SDK can retry once within it), a connection at most 3 s of that.
    pub fn for_operation(operation: Duration) -> Self {
        let attempt = (operation / 2).max(Duration::from_millis(500));
        Self {
            connect: Duration::from_secs(3).min(attempt),
            attempt,
            operation,
        }
    }

    fn config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.attempt)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// Loads the configuration from the standard chain: `AWS_REGION`, `AWS_PROFILE`, environment
/// credentials, the Lambda execution role, and `AWS_ENDPOINT_URL` (an emulator) if set, with
/// the default [`CallTimeouts`].
pub async fn load() -> SdkConfig {
    load_with(CallTimeouts::default()).await
}

/// [`load`] with the given timeouts.
pub async fn load_with(timeouts: CallTimeouts) -> SdkConfig {
    aws_config::defaults(behavior())
        .http_client(https_client())
        .timeout_config(timeouts.config())
        .load()
        .await
}

/// A configuration for an emulator on `endpoint` with dummy credentials (tests, demos).
pub async fn for_emulator(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(behavior())
        .http_client(https_client())
        .timeout_config(CallTimeouts::default().config())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "emulator",
        )))
        .load()
        .await
}

/// The configuration's region name, if any.
pub fn region_of(config: &SdkConfig) -> Option<String> {
    config.region().map(|r| r.as_ref().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_gets_half_the_operation_and_a_connection_at_most_three_seconds() {
        let t = CallTimeouts::default();
        assert_eq!(
            (t.connect, t.attempt, t.operation),
            (
                Duration::from_secs(3),
                Duration::from_secs(10),
                Duration::from_secs(20)
            )
        );
        let short = CallTimeouts::for_operation(Duration::from_secs(2));
        assert_eq!(
            (short.connect, short.attempt),
            (Duration::from_secs(1), Duration::from_secs(1))
        );
        let c = t.config();
        assert_eq!(c.operation_timeout(), Some(Duration::from_secs(20)));
        assert_eq!(c.operation_attempt_timeout(), Some(Duration::from_secs(10)));
        assert_eq!(c.read_timeout(), Some(Duration::from_secs(10)));
        assert_eq!(c.connect_timeout(), Some(Duration::from_secs(3)));
    }
}
