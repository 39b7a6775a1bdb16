//! Evaluation: the desired state of a schedule at an instant, and its transitions.
//!
//! TODO(eval helper): implement. Semantics (keep these doc comments true):
//!
//! - Each period, on each local date its day rules select, yields events in the schedule's
//!   zone: a window `[begin, end)` (overnight windows end on the next date), or a lone start
//!   (begin only) or stop (end only). Local times are turned into instants with jiff's
//!   `compatible` disambiguation: a time in a DST gap happens at the same offset before the gap
//!   (02:30 on a spring-forward day = 03:30 new time), a time in a DST overlap happens at its
//!   first occurrence. So every event happens exactly once per selected day.
//! - The state at an instant `t`:
//!   1. if the local date of `t` is a holiday (and holidays stop the schedule): `Stopped`
//!      (`StateCause::Holiday`);
//!   2. else if a window that begins on a non-holiday date contains `t`: `Running`
//!      (`StateCause::InWindow`);
//!   3. else the latest one-sided event or window end at or before `t` that is not a start on a
//!      holiday decides: start → `Running` (`InWindow`), stop → `Stopped` (`OutsideWindow`);
//!   4. no such event within [`LOOKBACK_DAYS`]: no opinion (`desired: None`,
//!      `StateCause::NoEvents`).
//!   With only windows (the usual case), step 3 always finds a window end, so outside every
//!   window the state is `Stopped`.
//! - Transitions are the instants where that state changes, so they alternate by construction;
//!   two windows that touch or overlap make one running stretch.

use crate::model::Schedule;
use jiff::Timestamp;

/// How far back evaluation looks for the event that decides the state (a year and a day, so
/// that yearly patterns such as `months=dec` work).
pub const LOOKBACK_DAYS: i64 = 367;

/// The state a schedule wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Desired {
    Running,
    Stopped,
}

/// Why a schedule wants what it wants at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateCause {
    InWindow,
    OutsideWindow,
    Holiday,
    /// No event within the lookback: the schedule has no opinion.
    NoEvents,
}

impl StateCause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InWindow => "in-window",
            Self::OutsideWindow => "outside-window",
            Self::Holiday => "holiday",
            Self::NoEvents => "no-events",
        }
    }
}

/// The desired state at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateAt {
    pub desired: Option<Desired>,
    pub cause: StateCause,
}

/// What made a transition happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransitionCause {
    /// A period began (start).
    PeriodBegin,
    /// A period ended (stop).
    PeriodEnd,
    /// A holiday began (stop) at local midnight.
    HolidayBegin,
    /// A holiday ended (start again) at local midnight.
    HolidayEnd,
}

/// A change of the desired state at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub at: Timestamp,
    pub to: Desired,
    pub cause: TransitionCause,
}

impl Schedule {
    /// The desired state at `at`.
    pub fn state_at(&self, at: Timestamp) -> StateAt {
        let _ = at;
        todo!("eval helper")
    }

    /// The transitions in `(from, to]`, in order. Consecutive transitions alternate.
    pub fn transitions(&self, from: Timestamp, to: Timestamp) -> Vec<Transition> {
        let _ = (from, to);
        todo!("eval helper")
    }

    /// The latest transition at or before `at`, looking back at most `LOOKBACK_DAYS`.
    pub fn last_transition(&self, at: Timestamp) -> Option<Transition> {
        let _ = at;
        todo!("eval helper")
    }
}
