//! `schedule-region`: discovers, decides and applies start/stop in one account and region.
//! Wiring only; the work is in `handler.rs`.

mod handler;

use lambda_runtime::{service_fn, LambdaEvent};
use uptime_aws::{sdk, AwsConnect, TokioPause};
use uptime_lambda::Config;
use uptime_model::json::StrictValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    // Built once: assumed-role credentials are cached per account for the container's life.
    let connect = AwsConnect::new(
        &sdk::load().await,
        config.member_role.clone(),
        config.partition(),
    );
    let (config, connect) = (&config, &connect);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<StrictValue>| async move {
            handler::handle(connect, &TokioPause, config, event.payload).await
        },
    ))
    .await
}
