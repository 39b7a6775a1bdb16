//! Previews of a schedule: what `uptime-scheduler schedule explain` prints.
//!
//! TODO(eval helper): implement.

use crate::eval::Transition;
use crate::model::Schedule;
use jiff::Timestamp;

/// A schedule's preview over `[from, from + days)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The transitions in the range, in order.
    pub transitions: Vec<Transition>,
    /// Hours the schedule wants the instance running, averaged to one week
    /// (running hours in the range × 7 / days), measured in real elapsed time (a DST day
    /// counts 23 or 25 hours).
    pub running_hours_per_week: f64,
    /// 1 − running hours ÷ all hours in the range: the share of instance hours saved compared
    /// with always-on. Hours with no opinion count as running.
    pub saved_share: f64,
}

/// Previews `schedule` from `from` over `days` days.
pub fn explain(schedule: &Schedule, from: Timestamp, days: u32) -> Explanation {
    let _ = (schedule, from, days);
    todo!("eval helper")
}
