//! The inline expression grammar: a schedule written in an instance's schedule tag.
//!
//! TODO(grammar helper): implement. Contract:
//!
//! - Characters: only those every AWS tag value accepts (letters, digits, space and
//!   `+ - = . _ : / @`), at most 256 characters.
//! - Tokens are separated by spaces; the word `and` separates periods.
//! - Period tokens: weekdays (`mon-fri`, `sat+sun`, `fri-mon` wraps, `1st-mon` … `5th-mon`,
//!   `last-fri`, lists joined with `+`), exactly one time token per period (`08:00-18:00`,
//!   overnight `21:00-07:00`, start-only `07:00-`, stop-only `-19:00`), `days=1-7`, `days=L`,
//!   `days=25-L`, `days=1+15+L`, `months=jan-mar`, `months=dec+jan`.
//! - Schedule-wide tokens, anywhere, at most once each: an IANA zone (`Europe/London`, `UTC`),
//!   `holidays=<calendar>` (repeatable, joined with `+`), and the flags `enforced`,
//!   `retain-running`, `hibernate`, `holidays-as-usual`.
//! - An error says what is wrong and where (the token and its 1-based character position).

use crate::document::Calendars;
use crate::model::{Schedule, Zone};

/// What an expression needs from its surroundings: the zone used when it names none, and the
/// holiday calendars it may name.
#[derive(Debug, Clone)]
pub struct ParseContext<'a> {
    pub default_zone: &'a Zone,
    pub calendars: &'a Calendars,
}

/// A malformed expression: where (1-based character position of the token) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {position} (`{token}`): {message}")]
pub struct GrammarError {
    pub position: usize,
    pub token: String,
    pub message: String,
}

/// Parses an inline expression. The result has `name: None`.
pub fn parse_expression(input: &str, cx: &ParseContext<'_>) -> Result<Schedule, GrammarError> {
    let _ = (input, cx);
    todo!("grammar helper")
}

/// Whether a tag value is meant as an inline expression rather than a schedule name: it
/// contains a space or a time (`:`). Names in the document may contain neither.
pub fn looks_like_expression(value: &str) -> bool {
    value.contains(' ') || value.contains(':')
}
