//! The error of everything that comes from outside and fails its checks: an execution input
//! ([`crate::input`]), its JSON Schema ([`crate::schema`]), strict JSON ([`crate::json`]). Its own
//! module, below all three, so that they share it without depending on each other.

/// A bad execution input: the field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: `{field}`: {message}")]
pub struct InputError {
    pub field: String,
    pub message: String,
}

pub(crate) fn bad(field: impl Into<String>, message: impl Into<String>) -> InputError {
    InputError {
        field: field.into(),
        message: message.into(),
    }
}
