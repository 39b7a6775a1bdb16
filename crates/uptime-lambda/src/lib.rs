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
