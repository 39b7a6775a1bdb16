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
}
