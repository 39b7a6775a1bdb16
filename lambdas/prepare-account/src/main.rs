//! `prepare-account`: assumes the member role (proving access) and decides the account's
//! regions. Wiring only; the work is in `handler.rs`.

mod handler;

use lambda_runtime::{service_fn, LambdaEvent};
use uptime_aws::{sdk, AwsConnect, AwsDirectory, TokioPause};
use uptime_lambda::Config;
use uptime_model::json::StrictValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let sdk = sdk::load().await;
    let connect = AwsConnect::new(&sdk, config.member_role.clone(), config.partition());
    // Organizations, only for accounts whose regions tag was left out of the payload.
    let directory = AwsDirectory::new(&sdk);
    let (config, connect, directory) = (&config, &connect, &directory);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<StrictValue>| async move {
            handler::handle(directory, connect, &TokioPause, config, event.payload).await
        },
    ))
    .await
}
