//! `verify-starts`: after a start run has waited (in the state machine, not here), checks that
//! the started instances of one account reached `running`. Wiring only; the work is in
//! `handler.rs`.

mod handler;

use lambda_runtime::{service_fn, LambdaEvent};
use uptime_aws::{sdk, AwsConnect, TokioPause};
use uptime_lambda::Config;
use uptime_model::json::StrictValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
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
