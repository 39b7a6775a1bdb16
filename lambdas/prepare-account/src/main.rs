//! `prepare-account`: assumes the member role (proving access) and decides the account's
//! regions. Wiring only; the work is in `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsConnect, AwsDirectory, TokioPause};
use uptime_lambda::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let sdk = sdk::load().await;
    let connect = AwsConnect::for_deployment(&sdk, &config);
    // Organizations, only for accounts whose regions tag was left out of the payload.
    let directory = AwsDirectory::new(&sdk);
    let (config, connect, directory) = (&config, &connect, &directory);
    uptime_lambda::serve(|event| handler::handle(directory, connect, &TokioPause, config, event))
        .await
}
