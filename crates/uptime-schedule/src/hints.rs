//! Hints: schedules that work as written but say it in a roundabout way, with the shorter form.
//! `uptime-scheduler schedule check` prints them.
//!
//! Today one kind: two windows that evaluation bridges into one running stretch (at most a
//! minute apart, see [`crate::eval::BRIDGE`]) and that one period says better, such as AWS
//! Instance Scheduler's `22:00-23:59` plus `00:00-07:00` for the overnight `22:00-07:00` (it
//! refuses overnight periods), or `05:00-10:00` plus `10:01-15:00` for `05:00-15:00`.

use crate::grammar::describe_period;
use crate::model::{Period, Schedule, WeekdayKey, WeekdayRule, Weekdays};
use jiff::civil::Time;
use jiff::ToSpan;

/// A hint about a schedule, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The 0-based indices of the periods it is about.
    pub periods: Vec<usize>,
    /// What to write instead (one period, as in an expression).
    pub instead: String,
    pub message: String,
}

/// The hints for `schedule`, in the order of its periods.
pub fn hints(schedule: &Schedule) -> Vec<Hint> {
    let mut out = Vec::new();
    let periods = &schedule.periods;
    for (i, first) in periods.iter().enumerate() {
        for (j, second) in periods.iter().enumerate() {
            if i == j {
                continue;
            }
            let Some(merged) = merge(first, second) else {
                continue;
            };
            let instead = describe_period(&merged);
            out.push(Hint {
                periods: vec![i, j],
                message: format!(
                    "periods {} and {} (`{}` and `{}`) run as one stretch (windows at most a \
                     minute apart are bridged); `{instead}` says it in one period",
                    i + 1,
                    j + 1,
                    describe_period(first),
                    describe_period(second),
                ),
                instead,
            });
        }
    }
    out
}

/// The one period that `first` followed a minute later by `second` make, when there is one.
fn merge(first: &Period, second: &Period) -> Option<Period> {
    let (Some(begin), Some(end)) = (first.begin, first.end) else {
        return None;
    };
    let (Some(next_begin), Some(next_end)) = (second.begin, second.end) else {
        return None;
    };
    if first.ends_next_day() || second.ends_next_day() {
        return None;
    }
    let merged = |weekdays: Weekdays| Period {
        begin: Some(begin),
        end: Some(next_end),
        weekdays,
        month_days: first.month_days,
        months: first.months,
    };
    let same_rules = first.weekdays == second.weekdays
        && first.month_days == second.month_days
        && first.months == second.months;
    // Same day: `05:00-10:00` and `10:01-15:00`.
    if end.checked_add(1.minute()).ok() == Some(next_begin) && end < next_begin {
        return (same_rules && next_end > begin).then(|| merged(first.weekdays.clone()));
    }
    // Over midnight: `22:00-23:59` and `00:00-07:00` on the next day.
    let last_minute = Time::constant(23, 59, 0, 0);
    if end != last_minute || next_begin != Time::midnight() || next_end >= begin {
        return None;
    }
    let plain = |p: &Period| p.month_days.is_empty() && p.months.0 == 0;
    if !plain(first) || !plain(second) {
        return None;
    }
    (shifted(&first.weekdays)? == second.weekdays).then(|| merged(first.weekdays.clone()))
}

/// Weekdays moved one day later (`mon-fri` → `tue-sat`); `None` for nth or last weekdays,
/// which do not move by a day.
fn shifted(weekdays: &Weekdays) -> Option<Weekdays> {
    weekdays
        .0
        .iter()
        .map(|rule| match *rule {
            WeekdayRule::Every(w) => Some(WeekdayRule::Every(WeekdayKey(w.0 % 7 + 1))),
            _ => None,
        })
        .collect::<Option<_>>()
        .map(Weekdays)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::{parse_expression, ParseContext};
    use crate::model::{Calendars, Zone};

    fn instead(expression: &str) -> Vec<String> {
        let zone = Zone::utc();
        let calendars = Calendars::new();
        let cx = ParseContext {
            default_zone: &zone,
            calendars: &calendars,
        };
        let schedule = parse_expression(expression, &cx).unwrap();
        hints(&schedule).into_iter().map(|h| h.instead).collect()
    }

    #[test]
    fn an_overnight_window_split_at_midnight_is_pointed_out() {
        assert_eq!(instead("22:00-23:59 and 00:00-07:00"), ["22:00-07:00"]);
        assert_eq!(instead("00:00-07:00 and 22:00-23:59"), ["22:00-07:00"]);
        assert_eq!(
            instead("mon-fri 22:00-23:59 and tue-sat 00:00-07:00"),
            ["mon-fri 22:00-07:00"]
        );
        assert_eq!(
            instead("sun 22:00-23:59 and mon 00:00-07:00"),
            ["sun 22:00-07:00"]
        );
    }

    #[test]
    fn windows_a_minute_apart_on_the_same_days_are_pointed_out() {
        assert_eq!(
            instead("mon-fri 05:00-10:00 and mon-fri 10:01-15:00"),
            ["mon-fri 05:00-15:00"]
        );
    }

    #[test]
    fn other_schedules_get_no_hint() {
        for expression in [
            "mon-fri 08:00-18:00",
            "05:00-10:00 and 10:02-15:00",
            "mon 05:00-10:00 and tue 10:01-15:00",
            "mon-fri 22:00-23:59 and mon-fri 00:00-07:00",
            "last-fri 22:00-23:59 and sat 00:00-07:00",
            "22:00-23:59 and 00:00-23:00",
            "07:00- and -19:00",
            "22:00-07:00",
        ] {
            assert_eq!(instead(expression), Vec::<String>::new(), "{expression}");
        }
    }
}
