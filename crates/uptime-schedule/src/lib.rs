//! Schedules: when an instance should run.
//!
//! A [`Schedule`] has one or more [`Period`]s in an IANA time zone, optional holidays and a few
//! options. It comes either from the schedules document supplied at deploy time (or in an
//! execution input), looked up by name, or from an inline expression in the instance's schedule
//! tag (`mon-fri 08:00-18:00 Europe/London`).
//!
//! Everything here is a pure function of its inputs: the instant to evaluate is always passed
//! in. The time zone database is compiled into the binary, so evaluation does not depend on the
//! zoneinfo of the machine it runs on.
//!
//! # Layout
//!
//! - [`model`]: schedules, periods, day rules, options, time zones, holiday calendars, the
//!   desired state.
//! - [`grammar`]: the inline expression grammar (parse and print).
//! - [`document`]: the schedules document (named schedules and holiday calendars) and its JSON
//!   Schema.
//! - [`eval`]: the desired state at an instant and the transitions over a range, DST included.
//! - [`mod@explain`]: previews: next transitions, running hours per week, share of hours saved.
//! - [`hints`]: shorter ways to say what a schedule says (for `schedule check`).
//! - [`import`]: AWS Instance Scheduler's periods and schedules as a schedules document.
//! - [`json_schema`]: a bundled JSON Schema, compiled once, whose violations name the JSON path
//!   (the schedules document's here, the execution input's in `uptime-model`).
//!
//! The modules depend on each other in one direction only, with [`model`] at the bottom (it uses
//! none of the others): a type that two modules need lives in the lower one, as [`Desired`] and
//! [`Calendars`] live in [`model`].

pub mod document;
pub mod eval;
pub mod explain;
pub mod grammar;
pub mod hints;
pub mod import;
pub mod json_schema;
pub mod model;

pub use document::{DocumentError, ResolveError, ScheduleDocument};
pub use eval::{StateAt, StateCause, Transition, TransitionCause};
pub use explain::{explain, stopped_hours, week, Day, Explanation, Hour, Week};
pub use grammar::{looks_like_expression, parse_expression, GrammarError, ParseContext};
pub use model::{
    Calendars, Desired, HolidayState, MonthDays, Months, Period, Schedule, ScheduleOptions,
    WeekdayRule, Weekdays, Zone, ZoneError,
};
