//! What the Lambdas share: [`config::Config`] parsed once from the environment (the
//! configuration itself is `uptime_core::config`, which the CLI shares), strict decoding
//! of the task events in [`events`] (the contracts themselves are `uptime_model::events`), the
//! account Map's results in [`results`], the log subscriber in [`logging`], and
//! [`error::LambdaError`], whose `error_type` is one of the closed set of names the state
//! machine retries and catches.

pub mod config;
pub mod error;
pub mod events;
pub mod logging;
pub mod results;

pub use config::{Config, ConfigError};
pub use error::{LambdaError, TASK_ERRORS};

use std::future::Future;
use uptime_model::json::StrictValue;

/// Runs a function's handler on each event the Lambda runtime hands over (its payload decoded
/// strictly, duplicate keys refused) until the runtime stops: every function's `main` ends
/// here, after it has set up logging, its configuration and its clients.
pub async fn serve<F, Fut, R>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(StrictValue) -> Fut,
    Fut: Future<Output = Result<R, LambdaError>>,
    R: serde::Serialize,
{
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<StrictValue>| handler(event.payload),
    ))
    .await
}
