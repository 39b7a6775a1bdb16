//! The schedules document: named schedules and holiday calendars, supplied at deploy time
//! (and, for previews and tests, in an execution input). Its JSON Schema is
//! `schedules/schedules.schema.json`.
//!
//! TODO(grammar helper): implement. Shape:
//!
//! ```json
//! {
//!   "default_timezone": "Europe/London",
//!   "calendars": { "uk-2026": ["2026-12-25", "2026-12-28"] },
//!   "schedules": {
//!     "office-hours": {
//!       "timezone": "Europe/London",
//!       "periods": [ { "begin": "08:00", "end": "18:00", "weekdays": "mon-fri" } ],
//!       "holidays": ["uk-2026"],
//!       "holiday_state": "stopped",
//!       "enforced": false, "retain_running": false, "hibernate": false
//!     },
//!     "late-shift": "mon-fri 14:00-23:00 America/New_York"
//!   }
//! }
//! ```
//!
//! A schedule is an object or an inline expression string. Period fields `weekdays`, `days`,
//! `months` use the grammar's spellings. Errors name the JSON path (`schedules.office-hours.
//! periods[0].begin`).

use crate::grammar::GrammarError;
use crate::model::{Schedule, Zone};
use jiff::civil::Date;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Holiday calendars by name.
pub type Calendars = BTreeMap<String, BTreeSet<Date>>;

/// A bad schedules document: the JSON path at fault and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedules document: `{path}`: {message}")]
pub struct DocumentError {
    pub path: String,
    pub message: String,
}

/// A validated schedules document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleDocument {
    pub default_zone: Zone,
    pub calendars: Calendars,
    pub schedules: BTreeMap<String, Schedule>,
}

/// Why a schedule tag value does not resolve to a schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A name that the document does not define.
    #[error("no schedule named `{0}`")]
    Unknown(String),
    /// An inline expression that does not parse.
    #[error("inline schedule: {0}")]
    Invalid(GrammarError),
}

impl ScheduleDocument {
    /// An empty document with `UTC` as the default zone.
    pub fn empty() -> Self {
        Self {
            default_zone: Zone::utc(),
            calendars: Calendars::new(),
            schedules: BTreeMap::new(),
        }
    }

    /// Validates a document (the JSON Schema, then the meaning of each field).
    pub fn from_json(value: &Value) -> Result<Self, DocumentError> {
        let _ = value;
        todo!("grammar helper")
    }

    /// `self` with the schedules and calendars of `other` added; `other` wins on a name clash.
    /// Used to lay an execution input's schedules over the deployed ones.
    pub fn overlay(&self, other: &ScheduleDocument) -> ScheduleDocument {
        let mut out = self.clone();
        out.calendars
            .extend(other.calendars.iter().map(|(k, v)| (k.clone(), v.clone())));
        out.schedules
            .extend(other.schedules.iter().map(|(k, v)| (k.clone(), v.clone())));
        out
    }

    /// The schedule a tag value means: a name in this document, or an inline expression
    /// (see [`crate::grammar::looks_like_expression`]).
    pub fn resolve(&self, tag_value: &str) -> Result<Schedule, ResolveError> {
        let _ = tag_value;
        todo!("grammar helper")
    }
}
