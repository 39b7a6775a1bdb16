//! `list-accounts`: validates the execution input and lists the opted-in accounts.
//! Wiring only; the work is in `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsDirectory, TokioPause};
use uptime_lambda::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let directory = AwsDirectory::new(&sdk::load().await);
    let (config, directory) = (&config, &directory);
    uptime_lambda::serve(|event| {
        handler::handle(
            directory,
            &TokioPause,
            config,
            jiff::Timestamp::now(),
            event,
        )
    })
    .await
}
