//! `verify-starts`: after a start run has waited (once, in the state machine, not here), checks that
//! the started instances of one account reached `running`. Wiring only; the work is in
//! `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsConnect, TokioPause};
use uptime_lambda::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let connect = AwsConnect::for_deployment(&sdk::load().await, &config);
    let (config, connect) = (&config, &connect);
    uptime_lambda::serve(|event| handler::handle(connect, &TokioPause, config, event)).await
}
