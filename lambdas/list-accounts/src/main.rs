//! `list-accounts`: validates the execution input and lists the opted-in accounts.
//! Wiring only; the work is in `handler.rs`.

mod handler;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use uptime_aws::{sdk, AwsDirectory, TokioPause};
use uptime_lambda::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let directory = AwsDirectory::new(&sdk::load().await);
    let (config, directory) = (&config, &directory);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler::handle(directory, &TokioPause, config, event.payload).await
    }))
    .await
}
