//! Properties of evaluation over arbitrary schedules and instants (2024–2030), in zones with
//! one-hour, thirty-minute and midnight DST changes and in zones without DST:
//!
//! - evaluation is total (no panic) for `state_at`, `transitions`, `last_transition`, `explain`;
//! - transitions are strictly increasing, inside the range, and alternate unless a stretch
//!   without opinion lies between two of them;
//! - just after (at) a transition the state is its `to`, just before it is not;
//! - between transitions the state is constant (up to falling back to no opinion), and every
//!   change to a state with an opinion seen at sampled instants is a transition;
//! - transitions over a range are the transitions over its two halves;
//! - `last_transition(t)` is the last of the transitions in `(t − 8 days, t]` when there is one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp, ToSpan};
use proptest::prelude::*;
use std::collections::BTreeSet;
use uptime_schedule::model::WeekdayKey;
use uptime_schedule::{
    explain, HolidayState, MonthDays, Months, Period, Schedule, ScheduleOptions, WeekdayRule,
    Weekdays, Zone,
};

const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe", // 30-minute DST
    "Asia/Kathmandu",      // +05:45, no DST
    "America/Havana",      // DST changes at midnight
    "America/Santiago",    // falls back from 24:00 to 23:00
];

const NS: SignedDuration = SignedDuration::from_nanos(1);

/// Times of day: quarter hours, any minute, or times inside (or at the edges of) the DST gaps
/// and overlaps of the zones above.
fn time_of_day() -> impl Strategy<Value = Time> {
    let minutes = prop_oneof![
        (0..96i32).prop_map(|q| q * 15),
        0..1440i32,
        prop::sample::select(vec![
            0, 30, 60, 90, 120, 135, 150, 165, 180, 1380, 1410, 1439
        ]),
    ];
    minutes.prop_map(|m| Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).unwrap())
}

fn weekday_rule() -> impl Strategy<Value = WeekdayRule> {
    (1..=7u8, 0..=6u8).prop_map(|(day, kind)| {
        let key = WeekdayKey(day);
        match kind {
            0..=2 => WeekdayRule::Every(key),
            3 => WeekdayRule::Last(key),
            n => WeekdayRule::Nth(key, n - 3 + (day % 3)), // 1–5
        }
    })
}

fn period() -> impl Strategy<Value = Period> {
    let times = prop_oneof![
        4 => (time_of_day(), time_of_day()).prop_map(|(b, e)| (Some(b), Some(e))),
        1 => time_of_day().prop_map(|b| (Some(b), None)),
        1 => time_of_day().prop_map(|e| (None, Some(e))),
    ];
    let weekdays = prop_oneof![
        2 => Just(BTreeSet::new()),
        3 => prop::collection::btree_set(weekday_rule(), 1..4),
    ];
    let month_days = prop_oneof![
        4 => Just(MonthDays::default()),
        1 => (prop::collection::vec(1..=31u32, 1..6), any::<bool>()).prop_map(|(days, last)| {
            MonthDays {
                days: days.iter().fold(0, |bits, d| bits | 1 << d),
                last,
                nearest_weekday: 0,
            }
        }),
    ];
    let months = prop_oneof![
        4 => Just(Months::default()),
        1 => prop::collection::vec(1..=12u16, 1..5)
            .prop_map(|ms| Months(ms.iter().fold(0, |bits, m| bits | 1 << m))),
    ];
    (times, weekdays, month_days, months).prop_map(
        |((begin, end), weekdays, month_days, months)| Period {
            begin,
            end,
            weekdays: Weekdays(weekdays),
            month_days,
            months,
        },
    )
}

/// An instant in 2024–2030, on a whole minute half of the time (so that it often coincides
/// with events).
fn instant() -> impl Strategy<Value = Timestamp> {
    let first = Timestamp::from_second(1_704_067_200).unwrap(); // 2024-01-01T00:00:00Z
    let seconds = 7 * 365 * 86_400i64;
    (0..seconds, any::<bool>()).prop_map(move |(s, whole_minute)| {
        let s = if whole_minute { s - s % 60 } else { s };
        first + SignedDuration::from_secs(s)
    })
}

/// A schedule and an instant, with holidays within a fortnight of the instant.
fn case() -> impl Strategy<Value = (Schedule, Timestamp)> {
    (
        prop::sample::select(ZONES),
        prop::collection::vec(period(), 1..=3),
        prop::collection::vec(-14..=14i32, 0..4),
        prop_oneof![4 => Just(HolidayState::Stopped), 1 => Just(HolidayState::AsUsual)],
        instant(),
    )
        .prop_map(|(zone, periods, holiday_offsets, holiday_state, at)| {
            let zone = Zone::parse(zone).unwrap();
            let today: Date = at.to_zoned(zone.tz().clone()).date();
            let holidays = holiday_offsets
                .iter()
                .map(|d| today.checked_add(d.days()).unwrap())
                .collect();
            let schedule = Schedule {
                name: None,
                zone,
                periods,
                holidays,
                holiday_state,
                options: ScheduleOptions::default(),
            };
            (schedule, at)
        })
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn transitions_are_the_changes_of_state((s, at) in case(), samples in prop::collection::vec(0..(8 * 86_400i64), 48)) {
        let from = at - days(8);
        let got = s.transitions(from, at);

        for t in &got {
            prop_assert!(from < t.at && t.at <= at, "outside the range: {t:?}");
            prop_assert_eq!(s.state_at(t.at).desired, Some(t.to), "at {:?}", t);
            prop_assert_ne!(s.state_at(t.at - NS).desired, Some(t.to), "before {:?}", t);
        }
        for pair in got.windows(2) {
            prop_assert!(pair[0].at < pair[1].at, "not increasing: {pair:?}");
            if pair[0].to == pair[1].to {
                prop_assert_eq!(
                    s.state_at(pair[1].at - NS).desired, None,
                    "same state twice without a stretch of no opinion: {:?}", pair
                );
            }
        }

        // Sampled instants, in order, with the transitions: between two transitions the state
        // is the earlier one's, or no opinion, and once no opinion, it stays so.
        let mut points: Vec<Timestamp> = samples
            .iter()
            .map(|s| from + SignedDuration::from_secs(*s) + NS)
            .collect();
        points.extend(got.iter().map(|t| t.at));
        points.extend(got.iter().map(|t| t.at - NS));
        points.push(at);
        points.retain(|p| from < *p && *p <= at);
        points.sort();
        points.dedup();
        let mut previous: Option<(Timestamp, Option<uptime_schedule::Desired>)> = None;
        for p in points {
            let state = s.state_at(p).desired;
            let last = got.iter().rev().find(|t| t.at <= p);
            if let Some(last) = last {
                prop_assert!(
                    state == Some(last.to) || state.is_none(),
                    "at {p}: {state:?} after {last:?}"
                );
            }
            if let Some((q, before)) = previous {
                if state != before {
                    if let Some(x) = state {
                        // A change to a state with an opinion: a transition in (q, p].
                        prop_assert!(
                            got.iter().any(|t| q < t.at && t.at <= p && t.to == x),
                            "missed a change to {x:?} between {q} and {p}: {got:?}"
                        );
                    }
                }
            }
            previous = Some((p, state));
        }
    }

    #[test]
    fn last_transition_is_the_last_of_the_recent_transitions((s, at) in case()) {
        let recent = s.transitions(at - days(8), at);
        let last = s.last_transition(at);
        match recent.last() {
            Some(t) => prop_assert_eq!(last, Some(*t)),
            None => prop_assert!(
                last.is_none_or(|l| l.at <= at - days(8)),
                "{last:?} should have been among the recent transitions"
            ),
        }
    }

    #[test]
    fn transitions_over_a_range_are_those_over_its_halves((s, at) in case(), split in 1..(10 * 86_400i64)) {
        let (from, to) = (at - days(10), at);
        let middle = from + SignedDuration::from_secs(split);
        let mut halves = s.transitions(from, middle);
        halves.extend(s.transitions(middle, to));
        prop_assert_eq!(s.transitions(from, to), halves);
    }

    #[test]
    fn explain_is_total_and_its_shares_are_shares((s, at) in case(), span in 0..15u32) {
        let e = explain(&s, at, span);
        prop_assert!(e.saved_share >= -1e-9 && e.saved_share <= 1.0 + 1e-9, "{e:?}");
        prop_assert!(e.running_hours_per_week >= 0.0 && e.running_hours_per_week <= 168.0 * 25.0 / 24.0, "{e:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Evaluation never panics, even at the very ends of jiff's range.
    #[test]
    fn evaluation_is_total_at_the_ends_of_time((s, _) in case(), at_end in any::<bool>()) {
        let at = if at_end { Timestamp::MAX } else { Timestamp::MIN };
        let _ = s.state_at(at);
        let _ = s.transitions(Timestamp::MIN, Timestamp::MIN + days(3));
        let _ = s.transitions(Timestamp::MAX - days(3), Timestamp::MAX);
        let _ = s.last_transition(at);
        let _ = explain(&s, at, 7);
    }
}
