//! The error a Lambda returns. Its `error_type` is the Step Functions error name.

use lambda_runtime::Diagnostic;
use uptime_model::{ErrorName, InputError, TargetError};

/// The names the tasks (list-accounts, schedule-account, verify-starts)
/// can fail with (summarize-run: `InvalidInput`, and these when reading results from S3). The state machine's Retry and
/// Catch must cover exactly these.
pub const TASK_ERRORS: &[ErrorName] = &[
    ErrorName::InvalidInput,
    ErrorName::AccessDenied,
    ErrorName::Throttled,
    ErrorName::Transient,
    ErrorName::Internal,
];

/// A failed invocation: one of the closed set of names, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct LambdaError {
    pub name: ErrorName,
    pub message: String,
}

/// A function error's message becomes the task's cause (with the error name around it), which
/// Step Functions limits to 32,768 characters; an input echoed in a message must not pass that.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 4_000;

impl LambdaError {
    pub fn new(name: ErrorName, message: impl Into<String>) -> Self {
        let mut message: String = message.into();
        if message.chars().count() > MAX_ERROR_MESSAGE_CHARS {
            message = message.chars().take(MAX_ERROR_MESSAGE_CHARS - 1).collect();
            message.push('…');
        }
        Self { name, message }
    }

    /// A malformed task event.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorName::InvalidInput, message)
    }
}

impl From<InputError> for LambdaError {
    fn from(e: InputError) -> Self {
        Self::new(ErrorName::InvalidInput, e.to_string())
    }
}

impl From<TargetError> for LambdaError {
    fn from(e: TargetError) -> Self {
        Self::new(e.error, e.message)
    }
}

impl From<LambdaError> for Diagnostic {
    fn from(e: LambdaError) -> Self {
        Diagnostic {
            error_type: e.name.as_str().to_owned(),
            error_message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut() {
        let e = LambdaError::invalid("x".repeat(100_000));
        assert_eq!(e.message.chars().count(), MAX_ERROR_MESSAGE_CHARS);
    }

    #[test]
    fn the_diagnostic_error_type_is_the_error_name() {
        for name in ErrorName::ALL {
            let d: Diagnostic = LambdaError::new(name, "m").into();
            assert_eq!(d.error_type, name.as_str());
            assert_eq!(d.error_message, "m");
        }
    }
}
