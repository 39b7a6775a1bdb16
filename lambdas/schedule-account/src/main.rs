//! `schedule-account`: one account of the account Map (ADR 0014): assumes the member role,
//! decides the regions, and schedules them all at once, each region on its own (its own
//! retries and timeout, its own report). Wiring only; the work is in `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsConnect, AwsDirectory, TokioPause};
use uptime_lambda::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = Config::from_env()?;
    let sdk = sdk::load().await;
    // Built once: assumed-role credentials are cached per account for the container's life.
    let connect = AwsConnect::for_deployment(&sdk, &config);
    // Organizations, only for a hand-written account `id:*` whose regions tag is read again.
    let directory = AwsDirectory::new(&sdk);
    let (config, connect, directory) = (&config, &connect, &directory);
    uptime_lambda::serve(|event| {
        handler::handle(
            directory,
            connect,
            &TokioPause,
            config,
            handler::Budget::deployed(),
            event,
        )
    })
    .await
}
