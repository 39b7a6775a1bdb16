//! `refresh-accounts`: keeps the account registry (ADR 0013) from a schedule and from
//! Organizations' events. Wiring only; the work is in `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsDirectory, AwsResultStore, TokioPause};
use uptime_core::config::RegistryConfig;
use uptime_lambda::{Config, ConfigError};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let registry = RegistryConfig::from_env()?.ok_or_else(|| ConfigError {
        variable: "ACCOUNT_REGISTRY_BUCKET",
        name: "environment variable ACCOUNT_REGISTRY_BUCKET".to_owned(),
        message: "is not set: refresh-accounts keeps the registry in that bucket".to_owned(),
    })?;
    let sdk = sdk::load().await;
    let directory = AwsDirectory::new(&sdk);
    let store = AwsResultStore::new(&sdk);
    let (settings, directory, store, registry) = (&config.settings, &directory, &store, &registry);
    uptime_lambda::serve(|event| {
        handler::handle(
            directory,
            &TokioPause,
            store,
            settings,
            registry,
            jiff::Timestamp::now(),
            event,
        )
    })
    .await
}
