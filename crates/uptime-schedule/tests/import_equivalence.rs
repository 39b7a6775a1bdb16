//! The import gives the same states as AWS Instance Scheduler: arbitrary Instance Scheduler
//! schedules (windows and all-day periods with weekday, month-day and month sets, in zones with
//! and without DST) are imported, and the imported schedule's state is compared with a small
//! reference model of Instance Scheduler's evaluation (its `running_period.py` and set
//! builders: each period checks the local date's sets, then `begintime <= t < endtime`; the
//! schedule runs when any period does) at instants over 2026, every DST change day included.
//!
//! Two differences are documented in `docs/migrating-from-instance-scheduler.md` and left out
//! of the comparison: instants whose local time occurs twice (Instance Scheduler reads the wall
//! clock, so a window in the repeated hour runs twice; here a time happens at its first
//! occurrence), and a schedule with no window in the last year, which has no opinion here where
//! Instance Scheduler says stopped. The minute between windows one minute apart is running on
//! both sides (the reference bridges it as the import's users expect).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use serde_json::{json, Value};
use uptime_schedule::import::import_instance_scheduler;
use uptime_schedule::{Desired, ScheduleDocument, Zone};

const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "Asia/Kolkata",
];

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// An Instance Scheduler period: `begintime`/`endtime` (none: all day), sets of strings.
#[derive(Debug, Clone)]
struct IsPeriod {
    times: Option<(u32, u32)>, // minutes of the day, begin < end
    weekdays: Vec<String>,
    monthdays: Vec<String>,
    months: Vec<String>,
}

fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn minute() -> impl Strategy<Value = u32> {
    prop_oneof![
        (0..96u32).prop_map(|q| q * 15),
        0..1440u32,
        // Around DST changes (01:00–03:00) and midnight.
        prop::sample::select(vec![0, 1, 60, 90, 120, 121, 150, 180, 1380, 1438, 1439]),
    ]
}

fn weekday_item() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..7usize).prop_map(|d| DAYS[d].to_owned()),
        (0..7usize).prop_map(|d| d.to_string()),
        (0..7usize, 0..7usize).prop_map(|(a, b)| format!("{}-{}", DAYS[a], DAYS[b])),
        (0..7usize, 1..=5u8).prop_map(|(d, n)| format!("{}#{n}", DAYS[d])),
        (0..7usize).prop_map(|d| format!("{}L", DAYS[d])),
    ]
}

fn monthday_item() -> impl Strategy<Value = String> {
    prop_oneof![
        (1..=31u32).prop_map(|d| d.to_string()),
        (1..=30u32, 1..=10u32).prop_map(|(a, n)| format!("{a}-{}", (a + n).min(31))),
        Just("L".to_owned()),
        prop::sample::select(vec![1u32, 15, 28]).prop_map(|d| format!("{d}W")),
    ]
}

fn month_item() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..12usize).prop_map(|m| MONTHS[m].to_owned()),
        (0..11usize, 1..6usize).prop_map(|(a, n)| format!(
            "{}-{}",
            MONTHS[a],
            MONTHS[(a + n).min(11)]
        )),
    ]
}

fn is_period() -> impl Strategy<Value = IsPeriod> {
    let times = prop_oneof![
        4 => (minute(), minute())
            .prop_filter("begin < end", |(b, e)| b < e)
            .prop_map(Some),
        1 => Just(None),
    ];
    (
        times,
        prop::collection::vec(weekday_item(), 0..3),
        prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec(monthday_item(), 1..3)],
        prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec(month_item(), 1..3)],
    )
        .prop_map(|(times, weekdays, monthdays, months)| IsPeriod {
            times,
            weekdays,
            monthdays,
            months,
        })
}

fn day_index(s: &str) -> usize {
    s.parse::<usize>()
        .unwrap_or_else(|_| DAYS.iter().position(|d| *d == s).unwrap())
}

/// Instance Scheduler's weekday set (wrapping ranges, `#n`, `L`) on a date.
fn weekday_matches(item: &str, date: Date) -> bool {
    let wd = date.weekday().to_monday_zero_offset() as usize;
    let day = date.day() as i32;
    if let Some((d, n)) = item.split_once('#') {
        return wd == day_index(d) && (day - 1) / 7 + 1 == n.parse::<i32>().unwrap();
    }
    if let Some(d) = item.strip_suffix('L') {
        return wd == day_index(d) && day + 7 > i32::from(date.days_in_month());
    }
    match item.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (day_index(a), day_index(b));
            let mut d = a;
            loop {
                if d == wd {
                    return true;
                }
                if d == b {
                    return false;
                }
                d = (d + 1) % 7;
            }
        }
        None => wd == day_index(item),
    }
}

/// Instance Scheduler's month-day set (`N`, `N-M`, `L`, `NW`) on a date.
fn monthday_matches(item: &str, date: Date) -> bool {
    let day = i32::from(date.day());
    let last = i32::from(date.days_in_month());
    if item == "L" {
        return day == last;
    }
    if let Some(n) = item.strip_suffix('W') {
        let n: i32 = n.parse().unwrap();
        if n > last {
            return false;
        }
        let first = date.first_of_month().weekday().to_monday_zero_offset() as i32;
        let weekday = ((n % 7) + first - 1).rem_euclid(7);
        let target = match weekday {
            5 if n > 1 => n - 1,
            5 => n + 2,
            6 if n < last => n + 1,
            6 => n - 2,
            _ => n,
        };
        return day == target;
    }
    match item.split_once('-') {
        Some((a, b)) => (a.parse().unwrap()..=b.parse().unwrap()).contains(&day),
        None => day == item.parse::<i32>().unwrap(),
    }
}

fn month_matches(item: &str, date: Date) -> bool {
    let m = date.month() as usize - 1;
    let index = |s: &str| MONTHS.iter().position(|x| *x == s).unwrap();
    match item.split_once('-') {
        Some((a, b)) => (index(a)..=index(b)).contains(&m),
        None => m == index(item),
    }
}

/// Instance Scheduler's desired state at a local wall-clock time.
fn is_running(periods: &[IsPeriod], local: DateTime) -> bool {
    let date = local.date();
    let minutes = local.hour() as u32 * 60 + local.minute() as u32;
    periods.iter().any(|p| {
        let sets = (p.weekdays.is_empty() || p.weekdays.iter().any(|w| weekday_matches(w, date)))
            && (p.monthdays.is_empty() || p.monthdays.iter().any(|d| monthday_matches(d, date)))
            && (p.months.is_empty() || p.months.iter().any(|m| month_matches(m, date)));
        sets && p.times.is_none_or(|(b, e)| b <= minutes && minutes < e)
    })
}

/// The reference at an instant: Instance Scheduler's state, with a gap of at most a minute
/// between two running stretches bridged.
fn reference(periods: &[IsPeriod], tz: &TimeZone, at: Timestamp) -> Desired {
    let running = |t: Timestamp| is_running(periods, tz.to_datetime(t));
    let minute = SignedDuration::from_mins(1);
    if running(at) || (running(at - minute) && running(at + minute)) {
        Desired::Running
    } else {
        Desired::Stopped
    }
}

/// Whether the local time of `at` occurs twice (a fall-back overlap).
fn in_overlap(tz: &TimeZone, at: Timestamp) -> bool {
    tz.to_ambiguous_timestamp(tz.to_datetime(at)).is_ambiguous()
}

/// Instants to compare: every 20 minutes of each DST change day of 2026 (and the day after),
/// plus `random` ones over the year.
fn instants(tz: &TimeZone, random: &[u32]) -> Vec<Timestamp> {
    let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let end: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    let mut out: Vec<Timestamp> = random
        .iter()
        .map(|m| start + SignedDuration::from_mins(i64::from(*m)))
        .collect();
    for change in tz.following(start).take_while(|t| t.timestamp() < end) {
        let day = change.timestamp() - SignedDuration::from_hours(12);
        for i in 0..(36 * 3) {
            out.push(day + SignedDuration::from_mins(20 * i));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn imported_schedules_want_what_instance_scheduler_wants(
        zone in prop::sample::select(ZONES),
        periods in prop::collection::vec(is_period(), 1..4),
        random in prop::collection::vec(0..(365 * 24 * 60u32), 150),
    ) {
        let is_periods: Vec<Value> = periods
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut v = json!({"type": "period", "name": format!("p{i}")});
                if let Some((b, e)) = p.times {
                    v["begintime"] = json!(hhmm(b));
                    v["endtime"] = json!(hhmm(e));
                }
                for (key, set) in [("weekdays", &p.weekdays), ("monthdays", &p.monthdays), ("months", &p.months)] {
                    if !set.is_empty() {
                        v[key] = json!(set);
                    }
                }
                v
            })
            .collect();
        let names: Vec<String> = (0..periods.len()).map(|i| format!("p{i}")).collect();
        let input = [
            json!({"Periods": is_periods}),
            json!({"Schedules": [{"type": "schedule", "name": "s", "timezone": zone, "periods": names}]}),
        ];
        let imported = import_instance_scheduler(&input, "UTC").unwrap();
        prop_assert!(imported.not_carried_over.is_empty(), "{:?}", imported.not_carried_over);
        let doc = ScheduleDocument::from_json(&imported.document).unwrap();
        let schedule = &doc.schedules["s"];
        let tz = Zone::parse(zone).unwrap().tz().clone();
        for at in instants(&tz, &random) {
            if in_overlap(&tz, at)
                || in_overlap(&tz, at - SignedDuration::from_mins(1))
                || in_overlap(&tz, at + SignedDuration::from_mins(1))
            {
                continue;
            }
            let want = reference(&periods, &tz, at);
            let got = schedule.state_at(at).desired;
            prop_assert!(
                got == Some(want) || (got.is_none() && want == Desired::Stopped),
                "{zone} at {at} ({}): Instance Scheduler {want:?}, imported {got:?}\n{}",
                tz.to_datetime(at),
                imported.document
            );
        }
    }
}

#[test]
fn the_reference_bridges_a_minute_and_reads_the_wall_clock() {
    let night = [
        IsPeriod {
            times: Some((1320, 1439)),
            weekdays: vec![],
            monthdays: vec![],
            months: vec![],
        },
        IsPeriod {
            times: Some((0, 420)),
            weekdays: vec![],
            monthdays: vec![],
            months: vec![],
        },
    ];
    let tz = TimeZone::UTC;
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    assert_eq!(
        reference(&night, &tz, at("2026-06-01T23:59:30Z")),
        Desired::Running
    );
    assert_eq!(
        reference(&night, &tz, at("2026-06-01T07:00:30Z")),
        Desired::Stopped
    );
}
