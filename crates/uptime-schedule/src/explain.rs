//! Previews of a schedule: what `uptime-scheduler schedule explain` prints.
//!
//! The range is `days` calendar days in the schedule's zone from `from` (so a week that contains
//! a spring-forward change is 167 real hours long), and every figure is in real elapsed time.

use crate::eval::Transition;
use crate::model::{Desired, Schedule};
use jiff::{Timestamp, ToSpan};

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

/// Previews `schedule` from `from` over `days` days (calendar days in the schedule's zone).
/// With `days == 0` the range is empty: no transitions, no running hours, nothing saved.
pub fn explain(schedule: &Schedule, from: Timestamp, days: u32) -> Explanation {
    let to = from
        .to_zoned(schedule.zone.tz().clone())
        .checked_add(i64::from(days).days())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX);
    if days == 0 || to <= from {
        return Explanation {
            transitions: Vec::new(),
            running_hours_per_week: 0.0,
            saved_share: 0.0,
        };
    }
    // A permanent override: no transitions, always (or never) running.
    if let Some(state) = schedule.options.override_status {
        let running = state == Desired::Running;
        return Explanation {
            transitions: Vec::new(),
            running_hours_per_week: if running { 168.0 } else { 0.0 },
            saved_share: if running { 0.0 } else { 1.0 },
        };
    }
    // `[from, to)` as the `(from − 1 ns, to − 1 ns]` that `transitions` takes.
    let nano = jiff::SignedDuration::from_nanos(1);
    let (before_from, before_to) = (
        from.checked_sub(nano).unwrap_or(from),
        to.checked_sub(nano).unwrap_or(to),
    );
    let transitions = schedule.transitions(before_from, before_to);
    let running = schedule.time_not_stopped(from, to).as_secs_f64() / 3600.0;
    let all = to.duration_since(from).as_secs_f64() / 3600.0;
    Explanation {
        transitions,
        running_hours_per_week: running * 7.0 / f64::from(days),
        saved_share: 1.0 - running / all,
    }
}

/// Real hours in `[from, to)` during which `schedule` wants the instance stopped (what a
/// savings report counts): the whole range for a permanent `override_status: stopped`, none for
/// `running`; hours with no opinion are not stopped. Zero for an empty or reversed range.
pub fn stopped_hours(schedule: &Schedule, from: Timestamp, to: Timestamp) -> f64 {
    if to <= from {
        return 0.0;
    }
    let all = to.duration_since(from).as_secs_f64() / 3600.0;
    match schedule.options.override_status {
        Some(Desired::Running) => 0.0,
        Some(Desired::Stopped) => all,
        None => all - schedule.time_not_stopped(from, to).as_secs_f64() / 3600.0,
    }
}

/// One local hour of a [`Week`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hour {
    /// Running (or, for a schedule with no opinion, left alone) the whole hour.
    Running,
    /// Stopped the whole hour.
    Stopped,
    /// Running part of the hour (a transition inside it, or a repeated hour of a DST change).
    Partly,
    /// No opinion the whole hour: the instance is left as it is (counted as running).
    NoOpinion,
    /// The hour does not exist that day (the clock skips it at a DST change).
    Skipped,
}

impl Hour {
    /// The character the terminal picture draws.
    pub fn symbol(self) -> char {
        match self {
            Hour::Running => '█',
            Hour::Stopped => '·',
            Hour::Partly => '▒',
            Hour::NoOpinion => '?',
            Hour::Skipped => ' ',
        }
    }
}

/// One local day of a [`Week`]: its date in the schedule's zone and its 24 wall-clock hours.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Day {
    pub date: jiff::civil::Date,
    pub hours: [Hour; 24],
}

/// Seven local days, from the local date of `from`, hour by hour in the schedule's zone: the
/// picture `schedule explain` draws. An hour counts as the schedule counts it in
/// [`Explanation`] (no opinion as running), in real elapsed time.
pub type Week = Vec<Day>;

/// The week of `schedule` that starts on the local date of `from`.
pub fn week(schedule: &Schedule, from: Timestamp) -> Week {
    let tz = schedule.zone.tz().clone();
    let first = from.to_zoned(tz.clone()).date();
    let at = |date: jiff::civil::Date, hour: i8| -> Option<Timestamp> {
        // The first instant at or after the wall-clock time (a skipped time maps to the
        // instant the clock jumps to).
        date.at(hour, 0, 0, 0)
            .to_zoned(tz.clone())
            .ok()
            .map(|z| z.timestamp())
    };
    let mut days = Vec::with_capacity(7);
    for offset in 0..7 {
        let Some(date) = first.checked_add(jiff::Span::new().days(offset)).ok() else {
            break;
        };
        let mut hours = [Hour::Skipped; 24];
        for (h, cell) in hours.iter_mut().enumerate() {
            let start = at(date, h as i8);
            let end = if h == 23 {
                date.tomorrow().ok().and_then(|d| at(d, 0))
            } else {
                at(date, h as i8 + 1)
            };
            let (Some(start), Some(end)) = (start, end) else {
                continue;
            };
            // An hour the clock skips starts where the next one does.
            if end <= start || start.to_zoned(tz.clone()).hour() != h as i8 {
                continue;
            }
            *cell = hour(schedule, start, end);
        }
        days.push(Day { date, hours });
    }
    days
}

fn hour(schedule: &Schedule, start: Timestamp, end: Timestamp) -> Hour {
    if let Some(state) = schedule.options.override_status {
        return match state {
            Desired::Running => Hour::Running,
            Desired::Stopped => Hour::Stopped,
        };
    }
    let running = schedule.time_not_stopped(start, end);
    let all = end.duration_since(start);
    if running.is_zero() {
        Hour::Stopped
    } else if running < all {
        Hour::Partly
    } else if schedule.state_at(start).desired.is_none() {
        Hour::NoOpinion
    } else {
        Hour::Running
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::TransitionCause;
    use crate::model::{
        HolidayState, Period, ScheduleOptions, WeekdayKey, WeekdayRule, Weekdays, Zone,
    };
    use jiff::civil::{date, time, Weekday};
    use std::collections::BTreeSet;

    fn schedule(zone: &str, periods: Vec<Period>, holidays: &[jiff::civil::Date]) -> Schedule {
        Schedule {
            name: None,
            zone: Zone::parse(zone).unwrap(),
            periods,
            holidays: holidays.iter().copied().collect::<BTreeSet<_>>(),
            holiday_state: HolidayState::Stopped,
            options: ScheduleOptions::default(),
        }
    }

    fn weekdays(days: &[Weekday]) -> Weekdays {
        Weekdays(
            days.iter()
                .map(|d| WeekdayRule::Every(WeekdayKey::new(*d)))
                .collect(),
        )
    }

    fn mon_fri_8_to_18() -> Period {
        use Weekday::*;
        Period {
            begin: Some(time(8, 0, 0, 0)),
            end: Some(time(18, 0, 0, 0)),
            weekdays: weekdays(&[Monday, Tuesday, Wednesday, Thursday, Friday]),
            ..Period::default()
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn office_hours_in_utc_run_fifty_hours_a_week() {
        let s = schedule("UTC", vec![mon_fri_8_to_18()], &[]);
        let e = explain(&s, ts("2026-06-01T00:00:00Z"), 7);
        assert!((e.running_hours_per_week - 50.0).abs() < 1e-9);
        assert!((e.saved_share - (1.0 - 50.0 / 168.0)).abs() < 1e-9);
        assert_eq!(e.transitions.len(), 10);
        assert_eq!(e.transitions[0].at, ts("2026-06-01T08:00:00Z"));
        assert_eq!(e.transitions[0].to, Desired::Running);
        assert_eq!(e.transitions[0].cause, TransitionCause::PeriodBegin);
        assert_eq!(e.transitions[9].at, ts("2026-06-05T18:00:00Z"));
    }

    #[test]
    fn stopped_hours_are_the_range_less_the_running_hours() {
        let s = schedule("UTC", vec![mon_fri_8_to_18()], &[]);
        let (mon, next_mon) = (ts("2026-06-01T00:00:00Z"), ts("2026-06-08T00:00:00Z"));
        assert!((stopped_hours(&s, mon, next_mon) - 118.0).abs() < 1e-9);
        // Part of a day: Monday 17:00 to 20:00 is one hour running, two stopped.
        let (five, eight) = (ts("2026-06-01T17:00:00Z"), ts("2026-06-01T20:00:00Z"));
        assert!((stopped_hours(&s, five, eight) - 2.0).abs() < 1e-9);
        assert_eq!(stopped_hours(&s, next_mon, mon), 0.0);
        let mut off = s.clone();
        off.options.override_status = Some(Desired::Stopped);
        assert!((stopped_hours(&off, mon, next_mon) - 168.0).abs() < 1e-9);
        off.options.override_status = Some(Desired::Running);
        assert_eq!(stopped_hours(&off, mon, next_mon), 0.0);
    }

    #[test]
    fn a_week_with_a_spring_forward_change_is_measured_in_real_hours() {
        // Saturday 22:00 to Sunday 06:00 across 2026-03-29 01:00 UTC: 7 real hours, in a
        // week of 167.
        let s = schedule(
            "Europe/London",
            vec![Period {
                begin: Some(time(22, 0, 0, 0)),
                end: Some(time(6, 0, 0, 0)),
                weekdays: weekdays(&[Weekday::Saturday]),
                ..Period::default()
            }],
            &[],
        );
        let from = ts("2026-03-23T00:00:00Z"); // Monday midnight, GMT
        let e = explain(&s, from, 7);
        assert!((e.running_hours_per_week - 7.0).abs() < 1e-9);
        assert!((e.saved_share - (1.0 - 7.0 / 167.0)).abs() < 1e-9);
        // Office hours in the same week: still 50 real hours.
        let s = schedule("Europe/London", vec![mon_fri_8_to_18()], &[]);
        let e = explain(&s, from, 7);
        assert!((e.running_hours_per_week - 50.0).abs() < 1e-9);
        assert!((e.saved_share - (1.0 - 50.0 / 167.0)).abs() < 1e-9);
    }

    #[test]
    fn a_holiday_reduces_running_hours() {
        let s = schedule("UTC", vec![mon_fri_8_to_18()], &[date(2026, 6, 3)]);
        let e = explain(&s, ts("2026-06-01T00:00:00Z"), 7);
        assert!((e.running_hours_per_week - 40.0).abs() < 1e-9);
        assert_eq!(e.transitions.len(), 8);
    }

    #[test]
    fn hours_with_no_opinion_count_as_running() {
        // Day 31 of February never comes: no events, no opinion, nothing saved.
        let s = schedule(
            "UTC",
            vec![Period {
                end: Some(time(18, 0, 0, 0)),
                month_days: crate::model::MonthDays {
                    days: 1 << 31,
                    last: false,
                    nearest_weekday: 0,
                },
                months: crate::model::Months(1 << 2),
                ..Period::default()
            }],
            &[],
        );
        let e = explain(&s, ts("2026-06-01T00:00:00Z"), 14);
        assert!(e.transitions.is_empty());
        assert!((e.running_hours_per_week - 168.0).abs() < 1e-9);
        assert!(e.saved_share.abs() < 1e-9);
    }

    #[test]
    fn a_permanent_override_has_no_transitions() {
        let mut s = schedule("UTC", vec![mon_fri_8_to_18()], &[]);
        s.options.override_status = Some(Desired::Stopped);
        let e = explain(&s, ts("2026-06-01T00:00:00Z"), 7);
        assert!(e.transitions.is_empty());
        assert_eq!(e.running_hours_per_week, 0.0);
        assert_eq!(e.saved_share, 1.0);
        s.options.override_status = Some(Desired::Running);
        let e = explain(&s, ts("2026-06-01T00:00:00Z"), 7);
        assert_eq!(e.running_hours_per_week, 168.0);
    }

    #[test]
    fn an_empty_range_explains_nothing() {
        let s = schedule("UTC", vec![mon_fri_8_to_18()], &[]);
        let e = explain(&s, ts("2026-06-01T00:00:00Z"), 0);
        assert!(e.transitions.is_empty());
        assert_eq!(e.running_hours_per_week, 0.0);
    }

    #[test]
    fn the_week_picture_shows_office_hours_hour_by_hour() {
        let s = schedule("UTC", vec![mon_fri_8_to_18()], &[date(2026, 6, 3)]);
        let w = week(&s, ts("2026-06-01T05:00:00Z"));
        assert_eq!(w.len(), 7);
        assert_eq!(w[0].date, date(2026, 6, 1));
        let row = |d: &Day| d.hours.iter().map(|h| h.symbol()).collect::<String>();
        assert_eq!(row(&w[0]), "········██████████······");
        assert_eq!(row(&w[2]), "························", "the holiday");
        assert_eq!(row(&w[5]), "························", "Saturday");
    }

    #[test]
    fn the_week_picture_marks_part_hours_and_the_hour_a_dst_change_skips() {
        let half = Period {
            begin: Some(time(8, 30, 0, 0)),
            end: Some(time(18, 0, 0, 0)),
            ..mon_fri_8_to_18()
        };
        let s = schedule("Europe/London", vec![half], &[]);
        // Sunday 2026-03-29: 01:00 GMT becomes 02:00 BST.
        let w = week(&s, ts("2026-03-29T00:00:00Z"));
        assert_eq!(w[0].hours[1], Hour::Skipped);
        assert_eq!(w[0].hours[0], Hour::Stopped);
        assert_eq!(
            w[1].hours[8],
            Hour::Partly,
            "Monday 08:00-09:00 runs from 08:30"
        );
        assert_eq!(w[1].hours[9], Hour::Running);
        // A schedule with no events has no opinion.
        let mut none = schedule("UTC", vec![], &[]);
        assert_eq!(
            week(&none, ts("2026-06-01T00:00:00Z"))[0].hours[0],
            Hour::NoOpinion
        );
        none.options.override_status = Some(Desired::Stopped);
        assert_eq!(
            week(&none, ts("2026-06-01T00:00:00Z"))[0].hours[12],
            Hour::Stopped
        );
    }
}
