//! Evaluation: the desired state of a schedule at an instant, and its transitions.
//!
//! Semantics (the tests in `tests/dst.rs` and `tests/eval_props.rs` hold them to this):
//!
//! - Each period, on each local date its day rules select, yields events in the schedule's
//!   zone: a window `[begin, end)` (overnight and `all-day` windows end on the next date), or
//!   a lone start
//!   (begin only) or stop (end only). The day rules select the date a window **begins** on (for
//!   a lone stop, the date of the stop). A local time in a DST gap happens when the wall clock
//!   first reaches it, at the end of the gap (02:30 on a New York spring-forward day = 03:00
//!   new time, the instant of the change, as cron does), and a time in a DST overlap happens at
//!   its first occurrence. So every event happens exactly once per selected day: no start is
//!   skipped and no stop happens twice.
//!   A window whose end instant is not after its begin instant (possible only when a DST gap
//!   swallows a window, such as 01:15–01:45 on a London spring-forward day, whose ends both
//!   happen at 02:00 BST) is empty: it never contains an instant, but its end still counts as a
//!   stop in step 3.
//! - The state at an instant `t`:
//!   1. if the local date of `t` is a holiday (and holidays stop the schedule): `Stopped`
//!      (`StateCause::Holiday`). A holiday thus runs from the first instant of its local date
//!      (local midnight, `date.to_zoned(tz)`) to the first instant of the next date;
//!   2. else if a window that begins on a non-holiday date contains `t`, or `t` lies in a gap
//!      of at most [`BRIDGE`] (one minute) between the end of such a window and the begin of
//!      another (`22:00-23:59` and `00:00-07:00`, `05:00-10:00` and `10:01-15:00`): `Running`
//!      (`StateCause::InWindow`);
//!   3. else the latest one-sided event or window end at or before `t` that is not a start on a
//!      holiday decides: start → `Running` (`InWindow`), stop → `Stopped` (`OutsideWindow`). A
//!      holiday removes starts, never stops: a lone start on a holiday and the opening of a
//!      window that begins on a holiday do not happen, but a lone stop on a holiday and the end
//!      of such a window still count as stops. When a start and a stop happen at the same
//!      instant, the start wins (as two windows that touch make one running stretch);
//!   4. no such event within [`LOOKBACK_DAYS`] (events at instants in `[t − LOOKBACK_DAYS × 24
//!      h, t]`): no opinion (`desired: None`, `StateCause::NoEvents`).
//!
//!   With only windows (the usual case), step 3 always finds a window end, so outside every
//!   window the state is `Stopped`. After a holiday, a start-only or stop-only stretch resumes at
//!   the next local midnight with whatever the latest non-holiday start or any stop says.
//! - Transitions are the instants where that state changes to a state with an opinion: a
//!   transition at `c` is emitted when the state at `c` is `Some(x)` and the state just before
//!   `c` is anything else (another state, or no opinion). Candidates are the window begins and
//!   ends, the one-sided events, the first instants of the dates where holidays begin or end,
//!   and the zone's own offset changes (which is where a local date can begin when a DST gap
//!   swallows midnight); the state is constant between them except for falling back to no
//!   opinion when the deciding event leaves the lookback, which is not a transition (it has no
//!   target state). So consecutive transitions alternate, unless a stretch without opinion lies
//!   between them; two windows that touch, overlap or are at most a minute apart make one
//!   running stretch.
//! - The cause of a transition: to `Stopped` because of a holiday → `HolidayBegin`; out of a
//!   holiday (to `Running`) → `HolidayEnd`, even when a window begins at that same midnight;
//!   otherwise `PeriodBegin` (to `Running`) or `PeriodEnd` (to `Stopped`).
//!
//! Evaluation is total: it never panics, whatever the schedule and instant; local times that
//! cannot be represented (at the very ends of jiff's range) yield no event.

use crate::model::{Desired, Schedule};
use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::collections::HashMap;

/// How far back evaluation looks for the event that decides the state (a year and a day, so
/// that yearly patterns such as `months=dec` work).
pub const LOOKBACK_DAYS: i64 = 367;

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

/// One day of a schedule's events: what the periods that select a local date yield.
#[derive(Debug, Default)]
struct Day {
    /// Windows that begin on the date (only when the date is not a holiday), as `[begin, end)`
    /// instants; possibly empty (`end <= begin`).
    windows: Vec<(Timestamp, Timestamp)>,
    /// The events of step 3: lone starts (not on a holiday), lone stops, window ends.
    marks: Vec<Mark>,
    /// The lone starts (not on a holiday) and lone stops alone, for enforced schedules.
    lone: Vec<Mark>,
}

/// An event that decides the state outside windows.
#[derive(Debug, Clone, Copy)]
struct Mark {
    at: Timestamp,
    to: Desired,
}

impl Mark {
    fn state(&self) -> StateAt {
        match self.to {
            Desired::Running => StateAt {
                desired: Some(Desired::Running),
                cause: StateCause::InWindow,
            },
            Desired::Stopped => StateAt {
                desired: Some(Desired::Stopped),
                cause: StateCause::OutsideWindow,
            },
        }
    }

    /// Orders marks by instant, a start after a stop at the same instant (the start wins).
    fn key(&self) -> (Timestamp, bool) {
        (self.at, self.to == Desired::Running)
    }
}

const DAY: SignedDuration = SignedDuration::from_hours(24);
const LOOKBACK: SignedDuration = SignedDuration::from_hours(24 * LOOKBACK_DAYS);
const NANO: SignedDuration = SignedDuration::from_nanos(1);

/// The longest gap between two windows that still makes one running stretch: Instance
/// Scheduler's users write `22:00-23:59` plus `00:00-07:00` (it refuses overnight periods), and
/// `05:00-10:00` plus `10:01-15:00`; evaluated literally, the instance would be stopped for a
/// minute.
pub const BRIDGE: SignedDuration = SignedDuration::from_mins(1);

/// How many days before an instant's local date an event that happens at or after that instant
/// can have been selected: an overnight window ends the next day, a DST gap can push a time
/// past midnight, and a zone may move its clock back across midnight.
const DATES_BEFORE: i32 = 3;
/// Likewise after: an event selected on a later date cannot happen before the instant.
const DATES_AFTER: i32 = 1;

fn minus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.saturating_sub(d).unwrap_or(Timestamp::MIN)
}

fn plus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.saturating_add(d).unwrap_or(Timestamp::MAX)
}

/// The local dates whose events can happen in `[from, to]`.
fn dates_around(tz: &TimeZone, from: Timestamp, to: Timestamp) -> impl Iterator<Item = Date> {
    let first = tz
        .to_datetime(from)
        .date()
        .saturating_sub(DATES_BEFORE.days());
    let last = tz.to_datetime(to).date().saturating_add(DATES_AFTER.days());
    let mut next = Some(first);
    std::iter::from_fn(move || {
        let date = next.filter(|d| *d <= last)?;
        next = date.tomorrow().ok();
        Some(date)
    })
}

/// A local date and time as an instant; `None` only at the ends of jiff's range.
///
/// - A time in a DST overlap happens at its first occurrence (the offset before the change).
/// - A time in a DST gap happens when the wall clock first reaches it, which is the instant of
///   the change, the end of the gap: 02:30 on a spring-forward day whose clocks jump from 02:00
///   to 03:00 happens at 03:00 new time, as cron does with a skipped hour. (jiff's `compatible`
///   would shift it by the gap's length, to 03:30, which makes a window `02:30-03:30` vanish.)
fn instant(tz: &TimeZone, date: Date, time: Time) -> Option<Timestamp> {
    let ambiguous = tz.to_ambiguous_timestamp(date.to_datetime(time));
    match ambiguous.offset() {
        AmbiguousOffset::Gap { before, .. } => {
            // At the offset before the gap the time is at or after the change, less than a
            // gap's length later; the latest change at or before it is the one we want.
            let late = date
                .to_datetime(time)
                .to_zoned(TimeZone::fixed(before))
                .ok()?;
            let change = tz.preceding(plus(late.timestamp(), NANO)).next()?;
            Some(change.timestamp())
        }
        _ => ambiguous.earlier().ok(),
    }
}

/// The first instant of a local date.
fn start_of(tz: &TimeZone, date: Date) -> Option<Timestamp> {
    instant(tz, date, Time::midnight())
}

/// Evaluates one schedule, remembering each date's events so that the many nearby instants a
/// transitions search looks at share the work.
struct Evaluator<'a> {
    schedule: &'a Schedule,
    tz: &'a TimeZone,
    days: HashMap<Date, Day>,
}

impl<'a> Evaluator<'a> {
    fn new(schedule: &'a Schedule) -> Self {
        Self {
            schedule,
            tz: schedule.zone.tz(),
            days: HashMap::new(),
        }
    }

    fn local_date(&self, at: Timestamp) -> Date {
        self.tz.to_datetime(at).date()
    }

    fn day(&mut self, date: Date) -> &Day {
        let (schedule, tz) = (self.schedule, self.tz);
        self.days.entry(date).or_insert_with(|| {
            let holiday = schedule.is_holiday(date);
            let mut day = Day::default();
            for period in schedule.periods.iter().filter(|p| p.matches(date)) {
                match (period.begin, period.end) {
                    (Some(begin), Some(end)) => {
                        let end_date = if period.ends_next_day() {
                            date.tomorrow().ok()
                        } else {
                            Some(date)
                        };
                        let Some(end) = end_date.and_then(|d| instant(tz, d, end)) else {
                            continue;
                        };
                        day.marks.push(Mark {
                            at: end,
                            to: Desired::Stopped,
                        });
                        if !holiday {
                            if let Some(begin) = instant(tz, date, begin) {
                                day.windows.push((begin, end));
                            }
                        }
                    }
                    (Some(begin), None) if !holiday => {
                        if let Some(at) = instant(tz, date, begin) {
                            let mark = Mark {
                                at,
                                to: Desired::Running,
                            };
                            day.marks.push(mark);
                            day.lone.push(mark);
                        }
                    }
                    (None, Some(end)) => {
                        if let Some(at) = instant(tz, date, end) {
                            let mark = Mark {
                                at,
                                to: Desired::Stopped,
                            };
                            day.marks.push(mark);
                            day.lone.push(mark);
                        }
                    }
                    _ => {}
                }
            }
            day
        })
    }

    /// What both readings start with: a holiday stops, a window (or bridged gap) runs.
    fn holiday_or_window(&mut self, at: Timestamp) -> Option<StateAt> {
        if self.schedule.is_holiday(self.local_date(at)) {
            return Some(StateAt {
                desired: Some(Desired::Stopped),
                cause: StateCause::Holiday,
            });
        }
        self.in_window(at).then_some(StateAt {
            desired: Some(Desired::Running),
            cause: StateCause::InWindow,
        })
    }

    fn state_at(&mut self, at: Timestamp) -> StateAt {
        if let Some(state) = self.holiday_or_window(at) {
            return state;
        }
        match self.latest_mark(at) {
            Some(mark) => mark.state(),
            None => StateAt {
                desired: None,
                cause: StateCause::NoEvents,
            },
        }
    }

    /// The state an enforced schedule asserts at `at`. Without one-sided periods, the state at
    /// `at`. With them (Instance Scheduler's rule), a one-sided period asserts its state from
    /// its time until the end of that local day, and has no opinion before its time:
    /// holiday → `Stopped`; in a window (or a bridged gap) → `Running`; else the latest lone
    /// start or stop of `at`'s local date at or before `at` (a start wins a tie); else
    /// `Stopped` if the schedule has windows; else no opinion.
    fn enforced_state_at(&mut self, at: Timestamp) -> StateAt {
        let one_sided = |p: &crate::model::Period| p.begin.is_none() || p.end.is_none();
        if !self.schedule.periods.iter().any(one_sided) {
            return self.state_at(at);
        }
        if let Some(state) = self.holiday_or_window(at) {
            return state;
        }
        let date = self.local_date(at);
        let today = self
            .day(date)
            .lone
            .iter()
            .filter(|m| m.at <= at)
            .max_by_key(|m| m.key())
            .copied();
        if let Some(mark) = today {
            return mark.state();
        }
        if self.schedule.periods.iter().any(|p| !one_sided(p)) {
            return StateAt {
                desired: Some(Desired::Stopped),
                cause: StateCause::OutsideWindow,
            };
        }
        StateAt {
            desired: None,
            cause: StateCause::NoEvents,
        }
    }

    /// Whether a window contains `at`, or `at` lies in a bridged gap.
    fn in_window(&mut self, at: Timestamp) -> bool {
        // In a window, or in a gap of at most `BRIDGE` between the end of one (non-empty)
        // window and the begin of another.
        let (mut ends, mut begins) = (Vec::new(), Vec::new());
        let soon = plus(at, BRIDGE);
        for date in dates_around(self.tz, at, soon) {
            for &(begin, end) in &self.day(date).windows {
                if begin <= at && at < end {
                    return true;
                }
                if begin < end && end <= at && at < plus(end, BRIDGE) {
                    ends.push(end);
                }
                if begin < end && at < begin && begin <= soon {
                    begins.push(begin);
                }
            }
        }
        ends.iter()
            .any(|&e| begins.iter().any(|&b| b <= plus(e, BRIDGE)))
    }

    /// The latest mark in `[at − LOOKBACK, at]`, searching backwards in growing chunks so that
    /// the usual schedule (an event every day or so) looks at a few dates only.
    fn latest_mark(&mut self, at: Timestamp) -> Option<Mark> {
        let floor = minus(at, LOOKBACK);
        let mut span = DAY * 2;
        let mut high = at;
        loop {
            let low = minus(high, span).max(floor);
            let mut best: Option<Mark> = None;
            for date in dates_around(self.tz, low, high) {
                for mark in &self.day(date).marks {
                    if low <= mark.at && mark.at <= at && best.is_none_or(|b| mark.key() > b.key())
                    {
                        best = Some(*mark);
                    }
                }
            }
            if best.is_some() || low <= floor {
                return best;
            }
            high = low;
            span *= 4;
        }
    }

    /// The instants in `(from, to]` where the state can change to one with an opinion.
    fn candidates(&mut self, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let dates: Vec<Date> = dates_around(self.tz, from, to).collect();
        for &date in &dates {
            let holiday = self.schedule.is_holiday(date);
            let eve = date.yesterday().is_ok_and(|d| self.schedule.is_holiday(d));
            if holiday != eve {
                out.extend(start_of(self.tz, date));
            }
            let day = self.day(date);
            out.extend(day.windows.iter().map(|&(begin, _)| begin));
            out.extend(day.marks.iter().map(|m| m.at));
        }
        out.extend(
            self.tz
                .following(from)
                .map(|t| t.timestamp())
                .take_while(|t| *t <= to),
        );
        out.retain(|c| from < *c && *c <= to);
        out.sort();
        out.dedup();
        out
    }

    fn transitions(&mut self, from: Timestamp, to: Timestamp) -> Vec<Transition> {
        if to <= from {
            return Vec::new();
        }
        let mut out = Vec::new();
        for at in self.candidates(from, to) {
            let before = self.state_at(minus(at, NANO));
            let after = self.state_at(at);
            let Some(desired) = after.desired else {
                continue;
            };
            if before.desired == Some(desired) {
                continue;
            }
            let cause = if after.cause == StateCause::Holiday {
                TransitionCause::HolidayBegin
            } else if before.cause == StateCause::Holiday {
                TransitionCause::HolidayEnd
            } else if desired == Desired::Running {
                TransitionCause::PeriodBegin
            } else {
                TransitionCause::PeriodEnd
            };
            out.push(Transition {
                at,
                to: desired,
                cause,
            });
        }
        out
    }

    fn last_transition(&mut self, at: Timestamp) -> Option<Transition> {
        let floor = minus(at, LOOKBACK);
        let mut span = DAY * 2;
        let mut high = at;
        loop {
            let low = minus(high, span).max(floor);
            // The chunks are `(low, high]`; the last one also takes `floor` itself.
            let from = if low <= floor { minus(low, NANO) } else { low };
            if let Some(last) = self.transitions(from, high).pop() {
                return Some(last);
            }
            if low <= floor {
                return None;
            }
            high = low;
            span *= 4;
        }
    }

    /// Real time in `[from, to)` during which the schedule does not want the instance stopped
    /// (running, or no opinion). Unlike transitions, this needs the instants where the deciding
    /// event leaves the lookback, because a stop that expires turns into "no opinion".
    fn time_not_stopped(&mut self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        let mut points = self.candidates(from, to);
        let (old_from, old_to) = (minus(from, LOOKBACK + NANO), minus(to, LOOKBACK));
        for date in dates_around(self.tz, old_from, old_to).collect::<Vec<_>>() {
            let expiries = self
                .day(date)
                .marks
                .iter()
                .map(|m| plus(m.at, LOOKBACK + NANO));
            points.extend(
                expiries
                    .filter(|e| from < *e && *e < to)
                    .collect::<Vec<_>>(),
            );
        }
        points.retain(|p| *p < to);
        points.push(from);
        points.sort();
        points.dedup();
        let mut total = SignedDuration::ZERO;
        for (i, &start) in points.iter().enumerate() {
            let end = points.get(i + 1).copied().unwrap_or(to);
            if self.state_at(start).desired != Some(Desired::Stopped) {
                total += end.duration_since(start);
            }
        }
        total
    }
}

impl Schedule {
    /// The desired state at `at`.
    pub fn state_at(&self, at: Timestamp) -> StateAt {
        Evaluator::new(self).state_at(at)
    }

    /// The state an enforced schedule asserts at `at`: as [`Schedule::state_at`], except that
    /// a one-sided period asserts its state only from its time until the end of that local day
    /// (no opinion before its time), so that an enforced `-19:00` stops instances started by
    /// hand in the evening but not in the daytime.
    pub fn enforced_state_at(&self, at: Timestamp) -> StateAt {
        Evaluator::new(self).enforced_state_at(at)
    }

    /// The transitions in `(from, to]`, in order. Consecutive transitions alternate (unless a
    /// stretch without opinion lies between them, see the module documentation). The cost grows
    /// with the length of the range (every local date in it is evaluated): meant for ranges of
    /// days to weeks, such as a reconcile interval or a preview.
    pub fn transitions(&self, from: Timestamp, to: Timestamp) -> Vec<Transition> {
        Evaluator::new(self).transitions(from, to)
    }

    /// The latest transition at or before `at`, looking back at most `LOOKBACK_DAYS` (a
    /// transition at exactly `at − LOOKBACK_DAYS × 24 h` included). Searches backwards in
    /// growing chunks (2, 8, 32, 128 days, then the rest), so a schedule with daily events costs
    /// a few days of evaluation.
    pub fn last_transition(&self, at: Timestamp) -> Option<Transition> {
        Evaluator::new(self).last_transition(at)
    }

    /// Real time in `[from, to)` during which the schedule does not want the instance stopped.
    pub(crate) fn time_not_stopped(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        Evaluator::new(self).time_not_stopped(from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HolidayState, Period, ScheduleOptions, Zone};
    use jiff::civil::time;

    fn every_day(begin: Option<Time>, end: Option<Time>) -> Schedule {
        Schedule {
            name: None,
            zone: Zone::utc(),
            periods: vec![Period {
                begin,
                end,
                ..Period::default()
            }],
            holidays: Default::default(),
            holiday_state: HolidayState::Stopped,
            options: ScheduleOptions::default(),
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn last_transition_of_a_daily_schedule_looks_at_a_few_dates_only() {
        let s = every_day(Some(time(8, 0, 0, 0)), Some(time(18, 0, 0, 0)));
        let mut evaluator = Evaluator::new(&s);
        let last = evaluator.last_transition(ts("2026-06-01T12:00:00Z"));
        assert_eq!(last.map(|t| t.at), Some(ts("2026-06-01T08:00:00Z")));
        assert!(evaluator.days.len() <= 10, "{}", evaluator.days.len());
    }

    #[test]
    fn without_events_the_search_stops_at_the_lookback() {
        let mut s = every_day(None, Some(time(18, 0, 0, 0)));
        s.periods[0].months = crate::model::Months(1 << 2);
        s.periods[0].month_days.days = 1 << 30;
        let mut evaluator = Evaluator::new(&s);
        assert_eq!(evaluator.last_transition(ts("2026-06-01T12:00:00Z")), None);
        let dates = evaluator.days.len() as i64;
        assert!(dates <= LOOKBACK_DAYS + 10, "{dates}");
    }

    #[test]
    fn a_start_and_a_stop_at_the_same_instant_leave_the_schedule_running() {
        let mut s = every_day(Some(time(12, 0, 0, 0)), None);
        s.periods.push(Period {
            end: Some(time(12, 0, 0, 0)),
            ..Period::default()
        });
        let state = s.state_at(ts("2026-06-01T13:00:00Z"));
        assert_eq!(state.desired, Some(Desired::Running));
        assert_eq!(state.cause, StateCause::InWindow);
    }

    #[test]
    fn a_window_with_equal_begin_and_end_runs_a_whole_day() {
        // Only on 2026-06-01 (a Monday): 12:00 to 12:00 on Tuesday.
        let mut s = every_day(Some(time(12, 0, 0, 0)), Some(time(12, 0, 0, 0)));
        s.periods[0].month_days.days = 1 << 1;
        s.periods[0].months = crate::model::Months(1 << 6);
        assert_eq!(
            s.state_at(ts("2026-06-02T11:59:00Z")).desired,
            Some(Desired::Running)
        );
        let got = s.transitions(ts("2026-06-01T00:00:00Z"), ts("2026-06-03T00:00:00Z"));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].at, ts("2026-06-01T12:00:00Z"));
        assert_eq!(got[1].at, ts("2026-06-02T12:00:00Z"));
    }
}
