//! The one SDK configuration per process.
//!
//! The SDK crates are built without default features (see the workspace manifest), so the
//! HTTPS client is chosen here explicitly: hyper 1 + rustls with the ring provider.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ec2::config::{Credentials, Region, SharedCredentialsProvider};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

fn https_client() -> aws_sdk_ec2::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Loads the configuration from the standard chain: `AWS_REGION`, `AWS_PROFILE`, environment
/// credentials, the Lambda execution role, and `AWS_ENDPOINT_URL` (an emulator) if set.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// A configuration for an emulator on `endpoint` with dummy credentials (tests, demos).
pub async fn for_emulator(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
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
