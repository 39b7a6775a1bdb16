//! Evaluation at the edges: DST gaps and overlaps in both hemispheres (London, Berlin, New
//! York, Chicago, Sydney, Melbourne, Auckland; São Paulo and Kolkata without DST), leap
//! days, month ends, nth and last weekdays, months, holidays, overnight, touching windows,
//! one-sided schedules and schedules without events. Every instant is injected; the expected
//! instants are written out in UTC.
//!
//! Schedules are built from the model directly, not parsed, so that these tests do not depend
//! on the grammar.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::{date, time, Date, Weekday};
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use uptime_schedule::eval::LOOKBACK_DAYS;
use uptime_schedule::model::WeekdayKey;
use uptime_schedule::{
    Desired, HolidayState, Period, Schedule, ScheduleOptions, StateCause, Transition,
    TransitionCause, WeekdayRule, Weekdays, Zone,
};

// ---------------------------------------------------------------------------------------------
// Helpers

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hm(s: &str) -> Option<jiff::civil::Time> {
    (!s.is_empty()).then(|| s.parse().unwrap())
}

/// A period from `"08:00"`, `"18:00"` (either may be empty), every day.
fn period(begin: &str, end: &str) -> Period {
    Period {
        begin: hm(begin),
        end: hm(end),
        ..Period::default()
    }
}

fn on(mut p: Period, days: &[Weekday]) -> Period {
    p.weekdays = Weekdays(
        days.iter()
            .map(|d| WeekdayRule::Every(WeekdayKey::new(*d)))
            .collect(),
    );
    p
}

fn rule(mut p: Period, r: WeekdayRule) -> Period {
    p.weekdays = Weekdays([r].into());
    p
}

/// Days of the month; 0 stands for `L`, the last day.
fn days(mut p: Period, days: &[u8]) -> Period {
    for &d in days {
        if d == 0 {
            p.month_days.last = true;
        } else {
            p.month_days.days |= 1 << d;
        }
    }
    p
}

fn months(mut p: Period, months: &[u8]) -> Period {
    for &m in months {
        p.months.0 |= 1 << m;
    }
    p
}

/// A period selecting one date only (its day of the month, in its month).
fn only_on(p: Period, d: Date) -> Period {
    months(days(p, &[d.day() as u8]), &[d.month() as u8])
}

fn schedule(zone: &str, periods: Vec<Period>) -> Schedule {
    Schedule {
        name: None,
        zone: Zone::parse(zone).unwrap(),
        periods,
        holidays: BTreeSet::new(),
        holiday_state: HolidayState::Stopped,
        options: ScheduleOptions::default(),
    }
}

fn with_holidays(mut s: Schedule, holidays: &[Date]) -> Schedule {
    s.holidays = holidays.iter().copied().collect();
    s
}

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

const NS: SignedDuration = SignedDuration::from_nanos(1);

/// The transitions as `(UTC instant, to)`, for compact comparisons.
fn brief(ts: &[Transition]) -> Vec<(String, Desired)> {
    ts.iter().map(|t| (t.at.to_string(), t.to)).collect()
}

fn desired(s: &Schedule, at: Timestamp) -> Option<Desired> {
    s.state_at(at).desired
}

use Desired::{Running, Stopped};

// ---------------------------------------------------------------------------------------------
// DST: one table per change, each window selected on the day of the change only

struct DstCase {
    what: &'static str,
    zone: &'static str,
    /// The date the window begins on.
    date: Date,
    begin: &'static str,
    end: &'static str,
    start_utc: &'static str,
    stop_utc: &'static str,
}

const DST_CASES: &[DstCase] = &[
    // Europe/London, spring forward 2026-03-29 01:00 UTC (01:00 GMT → 02:00 BST).
    DstCase {
        what: "London spring: begin in the gap",
        zone: "Europe/London",
        date: date(2026, 3, 29),
        begin: "01:30",
        end: "03:00",
        start_utc: "2026-03-29T01:00:00Z", // at the end of the gap: 02:00 BST
        stop_utc: "2026-03-29T02:00:00Z",
    },
    DstCase {
        what: "London spring: end in the gap",
        zone: "Europe/London",
        date: date(2026, 3, 29),
        begin: "00:30",
        end: "01:30",
        start_utc: "2026-03-29T00:30:00Z",
        stop_utc: "2026-03-29T01:00:00Z", // 02:00 BST
    },
    DstCase {
        what: "London spring: office hours, an hour earlier in UTC",
        zone: "Europe/London",
        date: date(2026, 3, 29),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-03-29T07:00:00Z",
        stop_utc: "2026-03-29T17:00:00Z",
    },
    DstCase {
        what: "London spring: overnight across the change (7 real hours)",
        zone: "Europe/London",
        date: date(2026, 3, 28),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-03-28T22:00:00Z",
        stop_utc: "2026-03-29T05:00:00Z",
    },
    // Europe/London, fall back 2026-10-25 01:00 UTC (02:00 BST → 01:00 GMT).
    DstCase {
        what: "London autumn: begin in the overlap (first occurrence)",
        zone: "Europe/London",
        date: date(2026, 10, 25),
        begin: "01:30",
        end: "03:00",
        start_utc: "2026-10-25T00:30:00Z",
        stop_utc: "2026-10-25T03:00:00Z",
    },
    DstCase {
        what: "London autumn: end in the overlap (first occurrence only)",
        zone: "Europe/London",
        date: date(2026, 10, 25),
        begin: "00:30",
        end: "01:30",
        start_utc: "2026-10-24T23:30:00Z",
        stop_utc: "2026-10-25T00:30:00Z",
    },
    DstCase {
        what: "London autumn: office hours, an hour later in UTC",
        zone: "Europe/London",
        date: date(2026, 10, 25),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-10-25T08:00:00Z",
        stop_utc: "2026-10-25T18:00:00Z",
    },
    DstCase {
        what: "London autumn: overnight across the change (9 real hours)",
        zone: "Europe/London",
        date: date(2026, 10, 24),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-10-24T21:00:00Z",
        stop_utc: "2026-10-25T06:00:00Z",
    },
    // America/New_York, spring forward 2026-03-08 07:00 UTC (02:00 EST → 03:00 EDT).
    DstCase {
        what: "New York spring: begin in the gap",
        zone: "America/New_York",
        date: date(2026, 3, 8),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-03-08T07:00:00Z", // 03:00 EDT, the end of the gap
        stop_utc: "2026-03-08T08:00:00Z",
    },
    DstCase {
        what: "New York spring: end in the gap",
        zone: "America/New_York",
        date: date(2026, 3, 8),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-03-08T06:00:00Z",
        stop_utc: "2026-03-08T07:00:00Z",
    },
    DstCase {
        what: "New York spring: office hours",
        zone: "America/New_York",
        date: date(2026, 3, 8),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-03-08T12:00:00Z",
        stop_utc: "2026-03-08T22:00:00Z",
    },
    DstCase {
        what: "New York spring: overnight across the change",
        zone: "America/New_York",
        date: date(2026, 3, 7),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-03-08T03:00:00Z",
        stop_utc: "2026-03-08T10:00:00Z",
    },
    // America/New_York, fall back 2026-11-01 06:00 UTC (02:00 EDT → 01:00 EST).
    DstCase {
        what: "New York autumn: begin in the overlap",
        zone: "America/New_York",
        date: date(2026, 11, 1),
        begin: "01:30",
        end: "03:00",
        start_utc: "2026-11-01T05:30:00Z",
        stop_utc: "2026-11-01T08:00:00Z",
    },
    DstCase {
        what: "New York autumn: end in the overlap",
        zone: "America/New_York",
        date: date(2026, 11, 1),
        begin: "00:30",
        end: "01:30",
        start_utc: "2026-11-01T04:30:00Z",
        stop_utc: "2026-11-01T05:30:00Z",
    },
    DstCase {
        what: "New York autumn: office hours",
        zone: "America/New_York",
        date: date(2026, 11, 1),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-11-01T13:00:00Z",
        stop_utc: "2026-11-01T23:00:00Z",
    },
    DstCase {
        what: "New York autumn: overnight across the change",
        zone: "America/New_York",
        date: date(2026, 10, 31),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-11-01T02:00:00Z",
        stop_utc: "2026-11-01T11:00:00Z",
    },
    // Australia/Sydney, fall back 2026-04-05 (03:00 AEDT → 02:00 AEST at 2026-04-04 16:00 UTC).
    DstCase {
        what: "Sydney autumn: begin in the overlap",
        zone: "Australia/Sydney",
        date: date(2026, 4, 5),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-04-04T15:30:00Z",
        stop_utc: "2026-04-04T18:00:00Z",
    },
    DstCase {
        what: "Sydney autumn: end in the overlap",
        zone: "Australia/Sydney",
        date: date(2026, 4, 5),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-04-04T14:00:00Z",
        stop_utc: "2026-04-04T15:30:00Z",
    },
    DstCase {
        what: "Sydney autumn: office hours",
        zone: "Australia/Sydney",
        date: date(2026, 4, 5),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-04-04T22:00:00Z",
        stop_utc: "2026-04-05T08:00:00Z",
    },
    DstCase {
        what: "Sydney autumn: overnight across the change",
        zone: "Australia/Sydney",
        date: date(2026, 4, 4),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-04-04T11:00:00Z",
        stop_utc: "2026-04-04T20:00:00Z",
    },
    // Australia/Sydney, spring forward 2026-10-04 (02:00 AEST → 03:00 AEDT at 2026-10-03 16:00
    // UTC).
    DstCase {
        what: "Sydney spring: begin in the gap",
        zone: "Australia/Sydney",
        date: date(2026, 10, 4),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-10-03T16:00:00Z", // 03:00 AEDT
        stop_utc: "2026-10-03T17:00:00Z",
    },
    DstCase {
        what: "Sydney spring: end in the gap",
        zone: "Australia/Sydney",
        date: date(2026, 10, 4),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-10-03T15:00:00Z",
        stop_utc: "2026-10-03T16:00:00Z",
    },
    DstCase {
        what: "Sydney spring: office hours",
        zone: "Australia/Sydney",
        date: date(2026, 10, 4),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-10-03T21:00:00Z",
        stop_utc: "2026-10-04T07:00:00Z",
    },
    DstCase {
        what: "Sydney spring: overnight across the change",
        zone: "Australia/Sydney",
        date: date(2026, 10, 3),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-10-03T12:00:00Z",
        stop_utc: "2026-10-03T19:00:00Z",
    }, // Europe/Berlin: spring forward 2026-03-29 01:00 UTC (02:00 CET → 03:00 CEST), fall back
    // 2026-10-25 01:00 UTC (03:00 CEST → 02:00 CET). America/Chicago: 2026-03-08 08:00 UTC
    // (02:00 CST → 03:00 CDT), 2026-11-01 07:00 UTC (02:00 CDT → 01:00 CST).
    // Australia/Melbourne: as Sydney. Pacific/Auckland: fall back 2026-04-05 (03:00 NZDT →
    // 02:00 NZST at 2026-04-04 14:00 UTC), spring forward 2026-09-27 (02:00 NZST → 03:00 NZDT
    // at 2026-09-26 14:00 UTC). America/Sao_Paulo has had no DST since 2019 (UTC−03:00 all
    // year; its changes used to be at midnight), Asia/Kolkata none at all (UTC+05:30).
    // The expected instants were computed independently (Python's zoneinfo, a time in a gap
    // taken at the end of the gap).
    DstCase {
        what: "Berlin spring: begin in the gap",
        zone: "Europe/Berlin",
        date: date(2026, 3, 29),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-03-29T01:00:00Z",
        stop_utc: "2026-03-29T02:00:00Z",
    },
    DstCase {
        what: "Berlin spring: end in the gap",
        zone: "Europe/Berlin",
        date: date(2026, 3, 29),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-03-29T00:00:00Z",
        stop_utc: "2026-03-29T01:00:00Z",
    },
    DstCase {
        what: "Berlin spring: office hours",
        zone: "Europe/Berlin",
        date: date(2026, 3, 29),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-03-29T06:00:00Z",
        stop_utc: "2026-03-29T16:00:00Z",
    },
    DstCase {
        what: "Berlin spring: overnight across the change",
        zone: "Europe/Berlin",
        date: date(2026, 3, 28),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-03-28T21:00:00Z",
        stop_utc: "2026-03-29T04:00:00Z",
    },
    DstCase {
        what: "Berlin autumn: begin in the overlap",
        zone: "Europe/Berlin",
        date: date(2026, 10, 25),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-10-25T00:30:00Z",
        stop_utc: "2026-10-25T03:00:00Z",
    },
    DstCase {
        what: "Berlin autumn: end in the overlap",
        zone: "Europe/Berlin",
        date: date(2026, 10, 25),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-10-24T23:00:00Z",
        stop_utc: "2026-10-25T00:30:00Z",
    },
    DstCase {
        what: "Berlin autumn: office hours",
        zone: "Europe/Berlin",
        date: date(2026, 10, 25),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-10-25T07:00:00Z",
        stop_utc: "2026-10-25T17:00:00Z",
    },
    DstCase {
        what: "Berlin autumn: overnight across the change",
        zone: "Europe/Berlin",
        date: date(2026, 10, 24),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-10-24T20:00:00Z",
        stop_utc: "2026-10-25T05:00:00Z",
    },
    DstCase {
        what: "Chicago spring: begin in the gap",
        zone: "America/Chicago",
        date: date(2026, 3, 8),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-03-08T08:00:00Z",
        stop_utc: "2026-03-08T09:00:00Z",
    },
    DstCase {
        what: "Chicago spring: end in the gap",
        zone: "America/Chicago",
        date: date(2026, 3, 8),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-03-08T07:00:00Z",
        stop_utc: "2026-03-08T08:00:00Z",
    },
    DstCase {
        what: "Chicago spring: office hours",
        zone: "America/Chicago",
        date: date(2026, 3, 8),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-03-08T13:00:00Z",
        stop_utc: "2026-03-08T23:00:00Z",
    },
    DstCase {
        what: "Chicago spring: overnight across the change",
        zone: "America/Chicago",
        date: date(2026, 3, 7),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-03-08T04:00:00Z",
        stop_utc: "2026-03-08T11:00:00Z",
    },
    DstCase {
        what: "Chicago autumn: begin in the overlap",
        zone: "America/Chicago",
        date: date(2026, 11, 1),
        begin: "01:30",
        end: "03:00",
        start_utc: "2026-11-01T06:30:00Z",
        stop_utc: "2026-11-01T09:00:00Z",
    },
    DstCase {
        what: "Chicago autumn: end in the overlap",
        zone: "America/Chicago",
        date: date(2026, 11, 1),
        begin: "00:30",
        end: "01:30",
        start_utc: "2026-11-01T05:30:00Z",
        stop_utc: "2026-11-01T06:30:00Z",
    },
    DstCase {
        what: "Chicago autumn: office hours",
        zone: "America/Chicago",
        date: date(2026, 11, 1),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-11-01T14:00:00Z",
        stop_utc: "2026-11-02T00:00:00Z",
    },
    DstCase {
        what: "Chicago autumn: overnight across the change",
        zone: "America/Chicago",
        date: date(2026, 10, 31),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-11-01T03:00:00Z",
        stop_utc: "2026-11-01T12:00:00Z",
    },
    DstCase {
        what: "Melbourne autumn: begin in the overlap",
        zone: "Australia/Melbourne",
        date: date(2026, 4, 5),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-04-04T15:30:00Z",
        stop_utc: "2026-04-04T18:00:00Z",
    },
    DstCase {
        what: "Melbourne autumn: end in the overlap",
        zone: "Australia/Melbourne",
        date: date(2026, 4, 5),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-04-04T14:00:00Z",
        stop_utc: "2026-04-04T15:30:00Z",
    },
    DstCase {
        what: "Melbourne autumn: office hours",
        zone: "Australia/Melbourne",
        date: date(2026, 4, 5),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-04-04T22:00:00Z",
        stop_utc: "2026-04-05T08:00:00Z",
    },
    DstCase {
        what: "Melbourne autumn: overnight across the change",
        zone: "Australia/Melbourne",
        date: date(2026, 4, 4),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-04-04T11:00:00Z",
        stop_utc: "2026-04-04T20:00:00Z",
    },
    DstCase {
        what: "Melbourne spring: begin in the gap",
        zone: "Australia/Melbourne",
        date: date(2026, 10, 4),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-10-03T16:00:00Z",
        stop_utc: "2026-10-03T17:00:00Z",
    },
    DstCase {
        what: "Melbourne spring: end in the gap",
        zone: "Australia/Melbourne",
        date: date(2026, 10, 4),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-10-03T15:00:00Z",
        stop_utc: "2026-10-03T16:00:00Z",
    },
    DstCase {
        what: "Melbourne spring: office hours",
        zone: "Australia/Melbourne",
        date: date(2026, 10, 4),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-10-03T21:00:00Z",
        stop_utc: "2026-10-04T07:00:00Z",
    },
    DstCase {
        what: "Melbourne spring: overnight across the change",
        zone: "Australia/Melbourne",
        date: date(2026, 10, 3),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-10-03T12:00:00Z",
        stop_utc: "2026-10-03T19:00:00Z",
    },
    DstCase {
        what: "Auckland autumn: begin in the overlap",
        zone: "Pacific/Auckland",
        date: date(2026, 4, 5),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-04-04T13:30:00Z",
        stop_utc: "2026-04-04T16:00:00Z",
    },
    DstCase {
        what: "Auckland autumn: end in the overlap",
        zone: "Pacific/Auckland",
        date: date(2026, 4, 5),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-04-04T12:00:00Z",
        stop_utc: "2026-04-04T13:30:00Z",
    },
    DstCase {
        what: "Auckland autumn: office hours",
        zone: "Pacific/Auckland",
        date: date(2026, 4, 5),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-04-04T20:00:00Z",
        stop_utc: "2026-04-05T06:00:00Z",
    },
    DstCase {
        what: "Auckland autumn: overnight across the change",
        zone: "Pacific/Auckland",
        date: date(2026, 4, 4),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-04-04T09:00:00Z",
        stop_utc: "2026-04-04T18:00:00Z",
    },
    DstCase {
        what: "Auckland spring: begin in the gap",
        zone: "Pacific/Auckland",
        date: date(2026, 9, 27),
        begin: "02:30",
        end: "04:00",
        start_utc: "2026-09-26T14:00:00Z",
        stop_utc: "2026-09-26T15:00:00Z",
    },
    DstCase {
        what: "Auckland spring: end in the gap",
        zone: "Pacific/Auckland",
        date: date(2026, 9, 27),
        begin: "01:00",
        end: "02:30",
        start_utc: "2026-09-26T13:00:00Z",
        stop_utc: "2026-09-26T14:00:00Z",
    },
    DstCase {
        what: "Auckland spring: office hours",
        zone: "Pacific/Auckland",
        date: date(2026, 9, 27),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-09-26T19:00:00Z",
        stop_utc: "2026-09-27T05:00:00Z",
    },
    DstCase {
        what: "Auckland spring: overnight across the change",
        zone: "Pacific/Auckland",
        date: date(2026, 9, 26),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-09-26T10:00:00Z",
        stop_utc: "2026-09-26T17:00:00Z",
    },
    DstCase {
        what: "Sao Paulo: no DST since 2019, office hours on the old November change day",
        zone: "America/Sao_Paulo",
        date: date(2026, 11, 1),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-11-01T11:00:00Z",
        stop_utc: "2026-11-01T21:00:00Z",
    },
    DstCase {
        what: "Sao Paulo: midnight exists (the old change was at 00:00)",
        zone: "America/Sao_Paulo",
        date: date(2026, 11, 1),
        begin: "00:00",
        end: "01:00",
        start_utc: "2026-11-01T03:00:00Z",
        stop_utc: "2026-11-01T04:00:00Z",
    },
    DstCase {
        what: "Sao Paulo: overnight on the old February change day",
        zone: "America/Sao_Paulo",
        date: date(2026, 2, 21),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-02-22T01:00:00Z",
        stop_utc: "2026-02-22T09:00:00Z",
    },
    DstCase {
        what: "Kolkata: no DST, UTC+05:30 office hours",
        zone: "Asia/Kolkata",
        date: date(2026, 3, 29),
        begin: "08:00",
        end: "18:00",
        start_utc: "2026-03-29T02:30:00Z",
        stop_utc: "2026-03-29T12:30:00Z",
    },
    DstCase {
        what: "Kolkata: overnight",
        zone: "Asia/Kolkata",
        date: date(2026, 10, 24),
        begin: "22:00",
        end: "06:00",
        start_utc: "2026-10-24T16:30:00Z",
        stop_utc: "2026-10-25T00:30:00Z",
    },
];

#[test]
fn windows_around_dst_changes_start_and_stop_exactly_once_at_the_expected_instants() {
    for case in DST_CASES {
        let what = case.what;
        let s = schedule(
            case.zone,
            vec![only_on(period(case.begin, case.end), case.date)],
        );
        let (start, stop) = (ts(case.start_utc), ts(case.stop_utc));
        let from = start - SignedDuration::from_hours(72);
        let to = stop + SignedDuration::from_hours(72);
        let got = s.transitions(from, to);
        assert_eq!(
            brief(&got),
            vec![
                (case.start_utc.to_owned(), Running),
                (case.stop_utc.to_owned(), Stopped)
            ],
            "{what}"
        );
        assert_eq!(got[0].cause, TransitionCause::PeriodBegin, "{what}");
        assert_eq!(got[1].cause, TransitionCause::PeriodEnd, "{what}");

        assert_eq!(
            desired(&s, start - NS),
            Some(Stopped),
            "{what}: before start"
        );
        assert_eq!(desired(&s, start), Some(Running), "{what}: at start");
        assert_eq!(desired(&s, stop - NS), Some(Running), "{what}: before stop");
        assert_eq!(desired(&s, stop), Some(Stopped), "{what}: at stop");
        // Hours later, in the second occurrence of a repeated hour, nothing happens again.
        assert_eq!(
            desired(&s, stop + SignedDuration::from_hours(1)),
            Some(Stopped),
            "{what}: an hour after stop"
        );
        assert_eq!(s.last_transition(stop).unwrap().at, stop, "{what}");
        assert_eq!(s.last_transition(stop - NS).unwrap().at, start, "{what}");
    }
}

#[test]
fn every_day_windows_start_and_stop_once_per_day_across_each_dst_change() {
    for case in DST_CASES {
        let what = case.what;
        // The same window every day, over the two days either side of the change.
        let s = schedule(case.zone, vec![period(case.begin, case.end)]);
        let local = |d: Date| d.to_zoned(s.zone.tz().clone()).unwrap().timestamp();
        let from = local(case.date.checked_sub(jiff::Span::new().days(2)).unwrap());
        let to = local(case.date.checked_add(jiff::Span::new().days(3)).unwrap());
        let got = s.transitions(from, to);
        for pair in got.windows(2) {
            assert_ne!(pair[0].to, pair[1].to, "{what}: alternates");
            assert!(pair[0].at < pair[1].at, "{what}: increases");
        }
        let starts = got.iter().filter(|t| t.to == Running).count();
        let stops = got.iter().filter(|t| t.to == Stopped).count();
        // Five dates' windows begin in the range (the overnight one from the day before the
        // range may end inside it).
        assert_eq!(starts, 5, "{what}: {:?}", brief(&got));
        assert!((5..=6).contains(&stops), "{what}: {:?}", brief(&got));
        assert!(got.iter().any(|t| t.at == ts(case.start_utc)), "{what}");
        assert!(got.iter().any(|t| t.at == ts(case.stop_utc)), "{what}");
    }
}

#[test]
fn a_time_in_a_dst_gap_happens_at_the_end_of_the_gap() {
    // Europe/Berlin springs forward on 2026-03-29 at 01:00 UTC (02:00 CET → 03:00 CEST).
    // 02:30–03:30 begins in the gap: it runs from 03:00 CEST (the end of the gap) to 03:30
    // CEST, 30 minutes. (Read at the offset before the gap it would vanish: 03:30–03:30.)
    let s = schedule(
        "Europe/Berlin",
        vec![only_on(period("02:30", "03:30"), date(2026, 3, 29))],
    );
    let got = s.transitions(ts("2026-03-28T00:00:00Z"), ts("2026-03-30T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-03-29T01:00:00Z".to_owned(), Running),
            ("2026-03-29T01:30:00Z".to_owned(), Stopped)
        ]
    );
    // 02:59–03:58 keeps 58 of its 59 minutes (03:00–03:58 CEST), not one.
    let s = schedule(
        "Europe/Berlin",
        vec![only_on(period("02:59", "03:58"), date(2026, 3, 29))],
    );
    let got = s.transitions(ts("2026-03-28T00:00:00Z"), ts("2026-03-30T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-03-29T01:00:00Z".to_owned(), Running),
            ("2026-03-29T01:58:00Z".to_owned(), Stopped)
        ]
    );
}

#[test]
fn a_window_entirely_inside_a_dst_gap_is_empty_but_still_stops() {
    // 01:15–01:45 on the London spring-forward day is entirely in the gap (01:00 GMT → 02:00
    // BST): both ends happen at 02:00 BST = 01:00 UTC, so the window never runs.
    for (begin, end) in [("01:15", "01:45"), ("01:30", "02:00")] {
        let s = schedule(
            "Europe/London",
            vec![only_on(period(begin, end), date(2026, 3, 29))],
        );
        let got = s.transitions(ts("2026-03-27T00:00:00Z"), ts("2026-03-31T00:00:00Z"));
        assert!(got.is_empty(), "{begin}-{end}: {:?}", brief(&got));
        for at in [
            "2026-03-29T00:59:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T01:30:00Z",
        ] {
            assert_eq!(desired(&s, ts(at)), Some(Stopped), "{begin}-{end} {at}");
        }
    }
    // With a lone start before it, the empty window's end still stops at the end of the gap.
    let s = schedule(
        "Europe/London",
        vec![
            only_on(period("00:10", ""), date(2026, 3, 29)),
            only_on(period("01:15", "01:45"), date(2026, 3, 29)),
        ],
    );
    let got = s.transitions(ts("2026-03-28T12:00:00Z"), ts("2026-03-30T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-03-29T00:10:00Z".to_owned(), Running),
            ("2026-03-29T01:00:00Z".to_owned(), Stopped)
        ]
    );
}

#[test]
fn lone_starts_and_stops_in_gaps_and_overlaps_happen_once() {
    // Start at 02:30 (in the New York gap on 2026-03-08), stop at 01:30 (in the overlap on
    // 2026-11-01), every day.
    let s = schedule(
        "America/New_York",
        vec![period("02:30", ""), period("", "01:30")],
    );
    let spring = s.transitions(ts("2026-03-07T12:00:00Z"), ts("2026-03-09T12:00:00Z"));
    assert_eq!(
        brief(&spring),
        vec![
            ("2026-03-08T06:30:00Z".to_owned(), Stopped), // 01:30 EST
            ("2026-03-08T07:00:00Z".to_owned(), Running), // 03:00 EDT, the end of the gap
            ("2026-03-09T05:30:00Z".to_owned(), Stopped), // 01:30 EDT
            ("2026-03-09T06:30:00Z".to_owned(), Running),
        ]
    );
    let autumn = s.transitions(ts("2026-10-31T12:00:00Z"), ts("2026-11-02T12:00:00Z"));
    assert_eq!(
        brief(&autumn),
        vec![
            ("2026-11-01T05:30:00Z".to_owned(), Stopped), // first 01:30 (EDT)
            ("2026-11-01T07:30:00Z".to_owned(), Running), // 02:30 EST
            ("2026-11-02T06:30:00Z".to_owned(), Stopped),
            ("2026-11-02T07:30:00Z".to_owned(), Running),
        ]
    );
    // The second 01:30 (EST, 06:30 UTC) stops nothing.
    assert_eq!(desired(&s, ts("2026-11-01T06:30:00Z")), Some(Stopped));
}

#[test]
fn thirty_minute_and_quarter_hour_zones() {
    // Lord Howe moves its clocks by 30 minutes: 02:00 → 02:30 on 2026-10-04 (15:30 UTC the day
    // before), so 02:15 is in the gap and happens at 02:30 new time, the end of the gap.
    let s = schedule(
        "Australia/Lord_Howe",
        vec![only_on(period("02:15", "04:00"), date(2026, 10, 4))],
    );
    let got = s.transitions(ts("2026-10-01T00:00:00Z"), ts("2026-10-06T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-10-03T15:30:00Z".to_owned(), Running),
            ("2026-10-03T17:00:00Z".to_owned(), Stopped)
        ]
    );
    let s = schedule(
        "Asia/Kathmandu",
        vec![only_on(period("08:00", "18:00"), date(2026, 6, 1))],
    );
    let got = s.transitions(ts("2026-05-30T00:00:00Z"), ts("2026-06-03T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-01T02:15:00Z".to_owned(), Running),
            ("2026-06-01T12:15:00Z".to_owned(), Stopped)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Day rules

/// The dates (UTC) on which a UTC schedule's transitions to `Running` happen in a range.
fn start_dates(s: &Schedule, from: &str, to: &str) -> Vec<Date> {
    s.transitions(ts(from), ts(to))
        .iter()
        .filter(|t| t.to == Running)
        .map(|t| t.at.to_zoned(jiff::tz::TimeZone::UTC).date())
        .collect()
}

#[test]
fn the_last_day_of_february_is_the_29th_in_a_leap_year() {
    let s = schedule(
        "UTC",
        vec![months(days(period("08:00", "18:00"), &[0]), &[2])],
    );
    assert_eq!(
        start_dates(&s, "2027-01-01T00:00:00Z", "2029-01-01T00:00:00Z"),
        vec![date(2027, 2, 28), date(2028, 2, 29)]
    );
    assert_eq!(desired(&s, ts("2028-02-29T12:00:00Z")), Some(Running));
    assert_eq!(desired(&s, ts("2028-02-28T12:00:00Z")), Some(Stopped));
}

#[test]
fn the_29th_of_february_only_comes_in_leap_years() {
    let s = schedule(
        "UTC",
        vec![months(days(period("08:00", "18:00"), &[29]), &[2])],
    );
    assert_eq!(
        start_dates(&s, "2024-01-01T00:00:00Z", "2029-01-01T00:00:00Z"),
        vec![date(2024, 2, 29), date(2028, 2, 29)]
    );
    // In 2027 the last 29 February is more than a year back: no opinion.
    let state = s.state_at(ts("2027-02-28T12:00:00Z"));
    assert_eq!(state.desired, None);
    assert_eq!(state.cause, StateCause::NoEvents);
    assert_eq!(s.last_transition(ts("2027-02-28T12:00:00Z")), None);
    // Within a year of it, the window's end still decides.
    assert_eq!(desired(&s, ts("2025-01-01T00:00:00Z")), Some(Stopped));
}

#[test]
fn day_31_skips_thirty_day_months_and_l_takes_each_months_last_day() {
    let d31 = schedule("UTC", vec![days(period("08:00", "18:00"), &[31])]);
    assert_eq!(
        start_dates(&d31, "2026-03-01T00:00:00Z", "2026-08-01T00:00:00Z"),
        vec![date(2026, 3, 31), date(2026, 5, 31), date(2026, 7, 31)]
    );
    let last = schedule("UTC", vec![days(period("08:00", "18:00"), &[0])]);
    assert_eq!(
        start_dates(&last, "2026-03-01T00:00:00Z", "2026-08-01T00:00:00Z"),
        vec![
            date(2026, 3, 31),
            date(2026, 4, 30),
            date(2026, 5, 31),
            date(2026, 6, 30),
            date(2026, 7, 31)
        ]
    );
}

#[test]
fn last_and_nth_weekdays_of_months_with_four_and_five_fridays() {
    let fri = WeekdayKey::new(Weekday::Friday);
    // January 2026 has five Fridays (2 … 30), February four (6 … 27).
    let last_fri = schedule(
        "UTC",
        vec![rule(period("08:00", "18:00"), WeekdayRule::Last(fri))],
    );
    assert_eq!(
        start_dates(&last_fri, "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"),
        vec![date(2026, 1, 30), date(2026, 2, 27)]
    );
    let fifth_fri = schedule(
        "UTC",
        vec![rule(period("08:00", "18:00"), WeekdayRule::Nth(fri, 5))],
    );
    assert_eq!(
        start_dates(&fifth_fri, "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"),
        vec![date(2026, 1, 30)]
    );
    let second_fri = schedule(
        "UTC",
        vec![rule(period("08:00", "18:00"), WeekdayRule::Nth(fri, 2))],
    );
    assert_eq!(
        start_dates(&second_fri, "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"),
        vec![date(2026, 1, 9), date(2026, 2, 13)]
    );
}

#[test]
fn a_months_filter_selects_whole_months() {
    let s = schedule(
        "UTC",
        vec![months(days(period("08:00", "18:00"), &[1]), &[6, 12])],
    );
    assert_eq!(
        start_dates(&s, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        vec![date(2026, 6, 1), date(2026, 12, 1)]
    );
    // A yearly window is found half a year back.
    let last = s.last_transition(ts("2026-11-30T00:00:00Z")).unwrap();
    assert_eq!(last.at, ts("2026-06-01T18:00:00Z"));
    assert_eq!(last.to, Stopped);
}

// ---------------------------------------------------------------------------------------------
// Holidays

#[test]
fn a_window_on_a_holiday_does_not_open() {
    let s = with_holidays(
        schedule("UTC", vec![on(period("08:00", "18:00"), &WEEKDAYS)]),
        &[date(2026, 6, 3)],
    );
    assert_eq!(
        start_dates(&s, "2026-06-01T00:00:00Z", "2026-06-06T00:00:00Z"),
        vec![
            date(2026, 6, 1),
            date(2026, 6, 2),
            date(2026, 6, 4),
            date(2026, 6, 5)
        ]
    );
    let noon = s.state_at(ts("2026-06-03T12:00:00Z"));
    assert_eq!(noon.desired, Some(Stopped));
    assert_eq!(noon.cause, StateCause::Holiday);
    // Already stopped at midnight: the holiday causes no transition.
    assert!(s
        .transitions(ts("2026-06-02T18:00:00Z"), ts("2026-06-04T08:00:00Z") - NS)
        .is_empty());
}

#[test]
fn holidays_as_usual_are_ignored() {
    let mut s = with_holidays(
        schedule("UTC", vec![on(period("08:00", "18:00"), &WEEKDAYS)]),
        &[date(2026, 6, 3)],
    );
    s.holiday_state = HolidayState::AsUsual;
    let noon = s.state_at(ts("2026-06-03T12:00:00Z"));
    assert_eq!(noon.desired, Some(Running));
    assert_eq!(noon.cause, StateCause::InWindow);
    assert_eq!(
        start_dates(&s, "2026-06-01T00:00:00Z", "2026-06-06T00:00:00Z").len(),
        5
    );
}

#[test]
fn a_holiday_in_a_start_stop_stretch_stops_at_local_midnight_and_resumes_at_the_next() {
    // Start Monday 08:00, stop Friday 18:00, London (BST in June); Wednesday 2026-06-03 off.
    let s = with_holidays(
        schedule(
            "Europe/London",
            vec![
                on(period("08:00", ""), &[Weekday::Monday]),
                on(period("", "18:00"), &[Weekday::Friday]),
            ],
        ),
        &[date(2026, 6, 3)],
    );
    let got = s.transitions(ts("2026-05-31T00:00:00Z"), ts("2026-06-07T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-01T07:00:00Z".to_owned(), Running),
            ("2026-06-02T23:00:00Z".to_owned(), Stopped),
            ("2026-06-03T23:00:00Z".to_owned(), Running),
            ("2026-06-05T17:00:00Z".to_owned(), Stopped),
        ]
    );
    let causes: Vec<_> = got.iter().map(|t| t.cause).collect();
    assert_eq!(
        causes,
        vec![
            TransitionCause::PeriodBegin,
            TransitionCause::HolidayBegin,
            TransitionCause::HolidayEnd,
            TransitionCause::PeriodEnd
        ]
    );
    let thursday = s.state_at(ts("2026-06-04T12:00:00Z"));
    assert_eq!(thursday.desired, Some(Running));
    assert_eq!(thursday.cause, StateCause::InWindow);
}

#[test]
fn a_holiday_begins_at_midnight_in_the_schedules_zone_not_in_utc() {
    // Start every day at 06:00 and never stop: running all the time, except on Christmas Day
    // in Sydney, which is 2026-12-24 13:00 UTC to 2026-12-25 13:00 UTC (AEDT, +11).
    let s = with_holidays(
        schedule("Australia/Sydney", vec![period("06:00", "")]),
        &[date(2026, 12, 25)],
    );
    let got = s.transitions(ts("2026-12-23T00:00:00Z"), ts("2026-12-27T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-12-24T13:00:00Z".to_owned(), Stopped),
            ("2026-12-25T13:00:00Z".to_owned(), Running),
        ]
    );
    assert_eq!(desired(&s, ts("2026-12-24T13:00:00Z") - NS), Some(Running));
    // On 25 December UTC, after midnight in Sydney has passed again, it runs.
    assert_eq!(desired(&s, ts("2026-12-25T18:00:00Z")), Some(Running));
    assert_eq!(
        s.last_transition(ts("2026-12-25T00:00:00Z")).unwrap().cause,
        TransitionCause::HolidayBegin
    );
}

#[test]
fn a_holiday_cuts_an_overnight_window_at_midnight_and_its_own_window_does_not_open() {
    // 22:00–06:00 every night, UTC; Wednesday 2026-06-03 is a holiday.
    let s = with_holidays(
        schedule("UTC", vec![period("22:00", "06:00")]),
        &[date(2026, 6, 3)],
    );
    let got = s.transitions(ts("2026-06-02T12:00:00Z"), ts("2026-06-05T12:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-02T22:00:00Z".to_owned(), Running),
            ("2026-06-03T00:00:00Z".to_owned(), Stopped), // the holiday begins
            ("2026-06-04T22:00:00Z".to_owned(), Running), // Wednesday's window never opened
            ("2026-06-05T06:00:00Z".to_owned(), Stopped),
        ]
    );
    assert_eq!(got[1].cause, TransitionCause::HolidayBegin);
    assert_eq!(desired(&s, ts("2026-06-04T03:00:00Z")), Some(Stopped));
}

#[test]
fn a_holiday_on_a_midnight_dst_gap_begins_when_the_date_does() {
    // Cuba springs forward at midnight (00:00 → 01:00), so 2026-03-08 begins at 01:00 local.
    let tz = Zone::parse("America/Havana").unwrap();
    let start = date(2026, 3, 8).to_zoned(tz.tz().clone()).unwrap();
    assert_eq!(start.time(), time(1, 0, 0, 0));
    let s = with_holidays(
        schedule("America/Havana", vec![period("06:00", "")]),
        &[date(2026, 3, 8)],
    );
    let got = s.transitions(ts("2026-03-06T00:00:00Z"), ts("2026-03-10T00:00:00Z"));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].at, start.timestamp());
    assert_eq!(got[0].to, Stopped);
    assert_eq!(desired(&s, start.timestamp() - NS), Some(Running));
}

// ---------------------------------------------------------------------------------------------
// Windows

#[test]
fn an_overnight_window_selected_on_friday_ends_on_saturday_morning() {
    let s = schedule(
        "UTC",
        vec![on(period("22:00", "06:00"), &[Weekday::Friday])],
    );
    // 2026-06-05 is a Friday.
    let got = s.transitions(ts("2026-06-01T00:00:00Z"), ts("2026-06-12T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-05T22:00:00Z".to_owned(), Running),
            ("2026-06-06T06:00:00Z".to_owned(), Stopped),
        ]
    );
    assert_eq!(desired(&s, ts("2026-06-06T05:59:59Z")), Some(Running));
    assert_eq!(desired(&s, ts("2026-06-06T22:00:00Z")), Some(Stopped));
}

#[test]
fn a_window_ending_at_midnight_ends_at_the_next_days_midnight() {
    let s = schedule(
        "UTC",
        vec![on(period("18:00", "00:00"), &[Weekday::Friday])],
    );
    let got = s.transitions(ts("2026-06-01T00:00:00Z"), ts("2026-06-08T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-05T18:00:00Z".to_owned(), Running),
            ("2026-06-06T00:00:00Z".to_owned(), Stopped),
        ]
    );
}

#[test]
fn touching_and_overlapping_windows_make_one_running_stretch() {
    for (what, periods) in [
        (
            "touching",
            vec![period("08:00", "12:00"), period("12:00", "18:00")],
        ),
        (
            "overlapping",
            vec![period("08:00", "13:00"), period("12:00", "18:00")],
        ),
        (
            "nested",
            vec![period("08:00", "18:00"), period("10:00", "12:00")],
        ),
    ] {
        let s = schedule("Europe/London", periods);
        let got = s.transitions(ts("2026-06-01T00:00:00Z"), ts("2026-06-02T00:00:00Z"));
        assert_eq!(
            brief(&got),
            vec![
                ("2026-06-01T07:00:00Z".to_owned(), Running),
                ("2026-06-01T17:00:00Z".to_owned(), Stopped),
            ],
            "{what}"
        );
        assert_eq!(
            desired(&s, ts("2026-06-01T11:00:00Z")),
            Some(Running),
            "{what}"
        );
    }
}

#[test]
fn an_overnight_window_touching_a_morning_window_runs_through() {
    // 22:00–06:00 and 06:00–09:00 every day: one stretch from 22:00 to 09:00.
    let s = schedule(
        "UTC",
        vec![period("22:00", "06:00"), period("06:00", "09:00")],
    );
    let got = s.transitions(ts("2026-06-01T12:00:00Z"), ts("2026-06-02T12:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-01T22:00:00Z".to_owned(), Running),
            ("2026-06-02T09:00:00Z".to_owned(), Stopped),
        ]
    );
}

#[test]
fn a_start_at_the_instant_a_window_ends_keeps_running() {
    // 08:00–12:00 and a lone start at 12:00, every day: the start wins over the window's end
    // at the same instant, so the schedule runs all the time.
    let s = schedule("UTC", vec![period("08:00", "12:00"), period("12:00", "")]);
    assert_eq!(desired(&s, ts("2026-06-01T12:00:00Z")), Some(Running));
    assert_eq!(desired(&s, ts("2026-06-01T03:00:00Z")), Some(Running));
    let got = s.transitions(ts("2026-06-01T00:00:00Z"), ts("2026-06-03T00:00:00Z"));
    assert!(got.is_empty(), "{:?}", brief(&got));
}

// ---------------------------------------------------------------------------------------------
// One-sided schedules and schedules without events

#[test]
fn a_start_only_and_stop_only_schedule_holds_its_state_between_events() {
    let s = schedule(
        "UTC",
        vec![
            on(period("08:00", ""), &[Weekday::Monday]),
            on(period("", "18:00"), &[Weekday::Friday]),
        ],
    );
    let got = s.transitions(ts("2026-06-01T00:00:00Z"), ts("2026-06-15T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-01T08:00:00Z".to_owned(), Running),
            ("2026-06-05T18:00:00Z".to_owned(), Stopped),
            ("2026-06-08T08:00:00Z".to_owned(), Running),
            ("2026-06-12T18:00:00Z".to_owned(), Stopped),
        ]
    );
    let wednesday = s.state_at(ts("2026-06-03T03:00:00Z"));
    assert_eq!(wednesday.desired, Some(Running));
    assert_eq!(wednesday.cause, StateCause::InWindow);
    let sunday = s.state_at(ts("2026-06-07T03:00:00Z"));
    assert_eq!(sunday.desired, Some(Stopped));
    assert_eq!(sunday.cause, StateCause::OutsideWindow);
}

#[test]
fn a_stop_only_schedule_never_starts() {
    let s = schedule("UTC", vec![period("", "19:00")]);
    let got = s.transitions(ts("2026-06-01T00:00:00Z"), ts("2026-06-08T00:00:00Z"));
    assert!(got.is_empty());
    assert_eq!(desired(&s, ts("2026-06-03T12:00:00Z")), Some(Stopped));
    let last = s.last_transition(ts("2026-06-03T12:00:00Z"));
    assert_eq!(last, None, "stopped for longer than the lookback");
}

#[test]
fn a_schedule_whose_days_never_come_has_no_opinion() {
    // Day 31 of February.
    let s = schedule(
        "UTC",
        vec![months(days(period("08:00", "18:00"), &[31]), &[2])],
    );
    for at in [
        "2024-01-01T00:00:00Z",
        "2026-02-28T12:00:00Z",
        "2030-12-31T23:59:59Z",
    ] {
        let state = s.state_at(ts(at));
        assert_eq!(state.desired, None, "{at}");
        assert_eq!(state.cause, StateCause::NoEvents, "{at}");
        assert_eq!(s.last_transition(ts(at)), None, "{at}");
    }
    assert!(s
        .transitions(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"))
        .is_empty());
}

#[test]
fn a_lone_start_falls_back_to_no_opinion_after_the_lookback_and_counts_again() {
    // Start on 29 February only: 2024 and 2028.
    let s = schedule("UTC", vec![months(days(period("08:00", ""), &[29]), &[2])]);
    let start = ts("2024-02-29T08:00:00Z");
    let expiry = start + SignedDuration::from_hours(24 * LOOKBACK_DAYS);
    assert_eq!(desired(&s, expiry), Some(Running));
    assert_eq!(s.state_at(expiry + NS).cause, StateCause::NoEvents);
    let got = s.transitions(ts("2024-01-01T00:00:00Z"), ts("2029-01-01T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2024-02-29T08:00:00Z".to_owned(), Running),
            ("2028-02-29T08:00:00Z".to_owned(), Running),
        ]
    );
    assert_eq!(s.last_transition(expiry).unwrap().at, start);
    assert_eq!(s.last_transition(expiry + NS), None);
}

#[test]
fn last_transition_finds_the_nearest_change_in_daily_and_sparse_schedules() {
    let s = schedule(
        "Europe/London",
        vec![on(period("08:00", "18:00"), &WEEKDAYS)],
    );
    // Monday 2026-06-08 at 05:00 UTC: the last change was Friday's 18:00 BST stop.
    let last = s.last_transition(ts("2026-06-08T05:00:00Z")).unwrap();
    assert_eq!(last.at, ts("2026-06-05T17:00:00Z"));
    assert_eq!(last.to, Stopped);
    assert_eq!(last.cause, TransitionCause::PeriodEnd);
    // At the instant of a transition, that transition.
    let last = s.last_transition(ts("2026-06-08T07:00:00Z")).unwrap();
    assert_eq!(last.at, ts("2026-06-08T07:00:00Z"));
    assert_eq!(last.to, Running);
}

#[test]
fn windows_at_most_a_minute_apart_make_one_running_stretch() {
    for (what, periods, start, stop) in [
        (
            "22:00-23:59 and 00:00-07:00",
            vec![period("22:00", "23:59"), period("00:00", "07:00")],
            "2026-06-01T22:00:00Z",
            "2026-06-02T07:00:00Z",
        ),
        (
            "05:00-10:00 and 10:01-15:00",
            vec![period("05:00", "10:00"), period("10:01", "15:00")],
            "2026-06-02T05:00:00Z",
            "2026-06-02T15:00:00Z",
        ),
    ] {
        let s = schedule("UTC", periods);
        let got = s.transitions(ts("2026-06-01T16:00:00Z"), ts("2026-06-02T16:00:00Z"));
        assert_eq!(
            brief(&got),
            vec![(start.to_owned(), Running), (stop.to_owned(), Stopped)],
            "{what}"
        );
    }
    // Inside the bridged minute the schedule wants the instance running.
    let s = schedule(
        "UTC",
        vec![period("22:00", "23:59"), period("00:00", "07:00")],
    );
    for at in ["2026-06-01T23:59:00Z", "2026-06-01T23:59:59Z"] {
        let state = s.state_at(ts(at));
        assert_eq!(state.desired, Some(Running), "{at}");
        assert_eq!(state.cause, StateCause::InWindow, "{at}");
    }
    // Across days of the week: Friday night to Saturday morning.
    let s = schedule(
        "Europe/London",
        vec![
            on(period("22:00", "23:59"), &[Weekday::Friday]),
            on(period("00:00", "07:00"), &[Weekday::Saturday]),
        ],
    );
    let got = s.transitions(ts("2026-06-05T00:00:00Z"), ts("2026-06-07T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-05T21:00:00Z".to_owned(), Running),
            ("2026-06-06T06:00:00Z".to_owned(), Stopped),
        ]
    );
}

#[test]
fn windows_two_minutes_apart_or_cut_by_a_holiday_are_not_bridged() {
    let s = schedule(
        "UTC",
        vec![period("05:00", "10:00"), period("10:02", "15:00")],
    );
    let got = s.transitions(ts("2026-06-02T00:00:00Z"), ts("2026-06-02T16:00:00Z"));
    assert_eq!(got.len(), 4, "{:?}", brief(&got));
    assert_eq!(desired(&s, ts("2026-06-02T10:01:00Z")), Some(Stopped));
    // The window after midnight is on a holiday: it does not open, so nothing is bridged.
    let s = with_holidays(
        schedule(
            "UTC",
            vec![period("22:00", "23:59"), period("00:00", "07:00")],
        ),
        &[date(2026, 6, 2)],
    );
    assert_eq!(desired(&s, ts("2026-06-01T23:59:30Z")), Some(Stopped));
    let got = s.transitions(ts("2026-06-01T12:00:00Z"), ts("2026-06-02T12:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-01T22:00:00Z".to_owned(), Running),
            ("2026-06-01T23:59:00Z".to_owned(), Stopped),
        ]
    );
}

#[test]
fn all_day_periods_run_from_midnight_to_midnight_and_consecutive_days_make_one_stretch() {
    // Saturday 2026-06-06 and Sunday 2026-06-07, London (BST): Friday 23:00 UTC to Sunday
    // 23:00 UTC.
    let all_day = Period::all_day();
    let s = schedule(
        "Europe/London",
        vec![on(all_day.clone(), &[Weekday::Saturday, Weekday::Sunday])],
    );
    let got = s.transitions(ts("2026-06-01T00:00:00Z"), ts("2026-06-10T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-06-05T23:00:00Z".to_owned(), Running),
            ("2026-06-07T23:00:00Z".to_owned(), Stopped),
        ]
    );
    // On the spring-forward day the whole day is 23 real hours.
    let s = schedule("Europe/London", vec![only_on(all_day, date(2026, 3, 29))]);
    let got = s.transitions(ts("2026-03-27T00:00:00Z"), ts("2026-03-31T00:00:00Z"));
    assert_eq!(
        brief(&got),
        vec![
            ("2026-03-29T00:00:00Z".to_owned(), Running),
            ("2026-03-29T23:00:00Z".to_owned(), Stopped),
        ]
    );
}

#[test]
fn an_enforced_one_sided_period_asserts_its_state_from_its_time_to_the_end_of_its_day() {
    let mut s = schedule(
        "Europe/London",
        vec![on(period("07:00", ""), &WEEKDAYS), period("", "19:00")],
    );
    s.options.enforced = true;
    let enforced = |at: &str| s.enforced_state_at(ts(at));
    // Monday 2026-06-01 (BST): no opinion before 07:00, running to 19:00, stopped to midnight.
    assert_eq!(enforced("2026-06-01T05:00:00Z").desired, None);
    assert_eq!(enforced("2026-06-01T05:00:00Z").cause, StateCause::NoEvents);
    assert_eq!(enforced("2026-06-01T06:00:00Z").desired, Some(Running));
    assert_eq!(enforced("2026-06-01T17:59:00Z").desired, Some(Running));
    assert_eq!(enforced("2026-06-01T18:00:00Z").desired, Some(Stopped));
    assert_eq!(enforced("2026-06-01T22:59:00Z").desired, Some(Stopped));
    // The transition semantics are unchanged: at 05:00 Monday the last event (Sunday 19:00's
    // stop) decides.
    assert_eq!(desired(&s, ts("2026-06-01T05:00:00Z")), Some(Stopped));
    // With a window too: it runs; outside it, with no one-sided event yet today, stopped.
    let mut s = s.clone();
    s.periods
        .push(on(period("09:00", "12:00"), &[Weekday::Saturday]));
    assert_eq!(
        s.enforced_state_at(ts("2026-06-06T09:00:00Z")).desired,
        Some(Running)
    );
    let outside = s.enforced_state_at(ts("2026-06-06T13:00:00Z"));
    assert_eq!(outside.desired, Some(Stopped));
    assert_eq!(outside.cause, StateCause::OutsideWindow);
    assert_eq!(
        s.enforced_state_at(ts("2026-06-01T05:00:00Z")).desired,
        Some(Stopped)
    );
    // A holiday stops everything.
    let s = with_holidays(s, &[date(2026, 6, 1)]);
    assert_eq!(
        s.enforced_state_at(ts("2026-06-01T12:00:00Z")).cause,
        StateCause::Holiday
    );
    // Without one-sided periods an enforced schedule asserts the ordinary state.
    let w = schedule("UTC", vec![on(period("08:00", "18:00"), &WEEKDAYS)]);
    for at in [
        "2026-06-01T03:00:00Z",
        "2026-06-01T09:00:00Z",
        "2026-06-06T12:00:00Z",
    ] {
        assert_eq!(w.enforced_state_at(ts(at)), w.state_at(ts(at)), "{at}");
    }
}

#[test]
fn the_weekday_nearest_the_15th_and_every_other_day() {
    let mut p = period("08:00", "18:00");
    p.month_days.nearest_weekday = 1 << 15;
    let s = schedule("UTC", vec![p]);
    // 15 August 2026 is a Saturday, 15 November a Sunday, 15 June a Monday.
    assert_eq!(
        start_dates(&s, "2026-06-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        vec![
            date(2026, 6, 15),
            date(2026, 7, 15),
            date(2026, 8, 14),
            date(2026, 9, 15),
            date(2026, 10, 15),
            date(2026, 11, 16)
        ]
    );
    // Every other day of the month (1, 3, …, 31): two odd days in a row over a month's end.
    let s = schedule(
        "UTC",
        vec![days(
            period("08:00", "18:00"),
            &[1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31],
        )],
    );
    let got = start_dates(&s, "2026-07-27T00:00:00Z", "2026-08-06T00:00:00Z");
    assert_eq!(
        got,
        vec![
            date(2026, 7, 27),
            date(2026, 7, 29),
            date(2026, 7, 31),
            date(2026, 8, 1),
            date(2026, 8, 3),
            date(2026, 8, 5)
        ]
    );
}
