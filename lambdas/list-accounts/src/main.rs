//! `list-accounts`: validates the execution input and lists the opted-in accounts.
//! Wiring only; the work is in `handler.rs`.

mod handler;

use lambda_runtime::{service_fn, LambdaEvent};
use uptime_aws::{sdk, AwsDirectory, TokioPause};
use uptime_lambda::Config;
use uptime_model::json::StrictValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let directory = AwsDirectory::new(&sdk::load().await);
    let (config, directory) = (&config, &directory);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<StrictValue>| async move {
            handler::handle(
                directory,
                &TokioPause,
                config,
                jiff::Timestamp::now(),
                event.payload,
            )
            .await
        },
    ))
    .await
}
