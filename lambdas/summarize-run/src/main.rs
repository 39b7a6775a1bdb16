//! `summarize-run`: folds the account reports into the run summary, emits its metrics as
//! CloudWatch EMF, and publishes the run's digest; first, in a start run with starts, writes the
//! verification items. Wiring only; the work is in `handler.rs`.

mod handler;

use uptime_aws::{sdk, AwsDigestSink, AwsResultStore};
use uptime_core::config::DigestConfig;
use uptime_lambda::events::{SummarizeRunAnswer, SummarizeRunResponse};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = DigestConfig::from_env()?;
    let sdk = sdk::load().await;
    let store = AwsResultStore::new(&sdk);
    let digests = AwsDigestSink::new(&sdk, &config);
    let (store, digests, config) = (&store, &digests, &config);
    uptime_lambda::serve(|event| async move {
        let answer = handler::answer(store, digests, config, event, jiff::Timestamp::now()).await?;
        Ok(match answer {
            handler::Answer::Verify(plan) => SummarizeRunAnswer::Verify { verify: plan },
            handler::Answer::Summary(summary, emf) => {
                // EMF must be a JSON object alone on its line of the function's log.
                println!("{emf}");
                SummarizeRunAnswer::Summary(Box::new(SummarizeRunResponse::new(*summary)))
            }
        })
    })
    .await
}
