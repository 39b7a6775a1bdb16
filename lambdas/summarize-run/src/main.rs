//! `summarize-run`: folds the account reports into the run summary, emits its metrics as
//! CloudWatch EMF, and publishes the run's digest. Wiring only; the work is in `handler.rs`.

mod handler;

use lambda_runtime::{service_fn, LambdaEvent};
use uptime_aws::{sdk, AwsDigestSink, AwsResultStore};
use uptime_core::config::DigestConfig;
use uptime_lambda::events::SummarizeRunResponse;
use uptime_model::json::StrictValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    uptime_lambda::logging::init();
    let config = DigestConfig::from_env()?;
    let sdk = sdk::load().await;
    let store = AwsResultStore::new(&sdk);
    let digests = AwsDigestSink::new(&sdk, &config);
    let (store, digests, config) = (&store, &digests, &config);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<StrictValue>| async move {
            let (summary, emf) = handler::handle(
                store,
                digests,
                config,
                event.payload,
                jiff::Timestamp::now(),
            )
            .await?;
            // EMF must be a JSON object alone on its line of the function's log.
            println!("{emf}");

            Ok::<_, uptime_lambda::LambdaError>(SummarizeRunResponse::new(summary))
        },
    ))
    .await
}
