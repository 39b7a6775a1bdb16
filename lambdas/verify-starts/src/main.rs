//! `verify-starts`: plans a start run's verification (the accounts with starts, written to the
//! results bucket), and after the state machine's one wait checks that the started instances of
//! one account reached `running`. Wiring only; the work is in `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsConnect, AwsResultStore, TokioPause};
use uptime_lambda::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let sdk = sdk::load().await;
    let connect = AwsConnect::for_deployment(&sdk, &config);
    let store = AwsResultStore::new(&sdk);
    let (config, connect, store) = (&config, &connect, &store);
    uptime_lambda::serve(|event| handler::handle_any(connect, &TokioPause, store, config, event))
        .await
}
