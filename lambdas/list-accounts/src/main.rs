//! `list-accounts`: validates the execution input and lists the opted-in accounts (to the results
//! bucket, where the account Map reads them).
//! Wiring only; the work is in `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsDirectory, AwsResultStore, TokioPause};
use uptime_lambda::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let registry = uptime_core::config::RegistryConfig::from_env()?;
    let sdk = sdk::load().await;
    let directory = AwsDirectory::new(&sdk);
    let store = AwsResultStore::new(&sdk);
    let (config, directory, store, registry) = (&config, &directory, &store, registry.as_ref());
    uptime_lambda::serve(|event| {
        handler::handle(
            directory,
            &TokioPause,
            store,
            config,
            registry,
            jiff::Timestamp::now(),
            event,
        )
    })
    .await
}
