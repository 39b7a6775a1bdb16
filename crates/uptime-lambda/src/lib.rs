//! What the Lambdas share: [`config::Config`] parsed once from the environment, the task event
//! contracts in [`events`], the account Map's results in [`results`], and [`error::LambdaError`], whose `error_type` is one of the closed
//! set of names the state machine retries and catches.

pub mod config;
pub mod error;
pub mod events;
pub mod results;

pub use config::{Config, ConfigError};
pub use error::{LambdaError, TASK_ERRORS};
