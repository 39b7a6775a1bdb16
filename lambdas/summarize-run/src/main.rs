//! `summarize-run`: folds the account reports into the run summary, emits its metrics as
//! CloudWatch EMF, and publishes the run's digest. Wiring only; the work is in `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsDigestSink, AwsResultStore};
use uptime_core::config::DigestConfig;
use uptime_lambda::events::SummarizeRunResponse;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = DigestConfig::from_env()?;
    let sdk = sdk::load().await;
    let store = AwsResultStore::new(&sdk);
    let digests = AwsDigestSink::new(&sdk, &config);
    let (store, digests, config) = (&store, &digests, &config);
    uptime_lambda::serve(|event| async move {
        let (summary, emf) =
            handler::handle(store, digests, config, event, jiff::Timestamp::now()).await?;
        // EMF must be a JSON object alone on its line of the function's log.
        println!("{emf}");
        Ok(SummarizeRunResponse::new(summary))
    })
    .await
}
