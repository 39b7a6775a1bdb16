//! The Lambdas' configuration: the deployment's settings from the environment
//! ([`uptime_core::config`], which the CLI reads from its flags and the environment).

pub use uptime_core::config::{Config, ConfigError, ENDPOINT_VARIABLES};
