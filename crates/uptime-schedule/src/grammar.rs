//! The inline expression grammar: a schedule written in an instance's schedule tag.
//!
//! The user reference, with more examples, is `docs/schedules.md`.
//!
//! ```text
//! mon-fri 08:00-18:00 Europe/London
//! mon-thu 08:00-18:00 and fri 08:00-16:00 America/New_York holidays=us-2026
//! 21:00-07:00 UTC                         (overnight, every day)
//! mon-fri 07:00- Europe/Paris             (start only)
//! -19:00 UTC                              (stop only, every day)
//! last-fri 22:00-02:00 UTC enforced       (the last Friday of each month, overnight)
//! days=1-7 months=jan+jul 09:00-17:00 Europe/Berlin
//! ```
//!
//! # Characters
//!
//! Only characters every AWS tag value accepts: letters, digits, space and `+ - = . _ : / @`;
//! at most [`MAX_EXPRESSION_CHARS`] characters. Tokens are separated by spaces (runs of spaces
//! count as one). Words are case-insensitive, except holiday calendar names, which are written
//! as the schedules document spells them.
//!
//! # Periods
//!
//! The word `and` separates periods. Each period has exactly one **time** token and, optionally,
//! one token of each kind of **day rule**; a day must satisfy all of a period's rules.
//!
//! | Token | Meaning |
//! | --- | --- |
//! | `08:00-18:00` | a window from 08:00 to 18:00 (`H:MM` or `HH:MM`, 24-hour, `00:00`–`23:59`) |
//! | `21:00-07:00` | begin after end: an overnight window, ending the next day |
//! | `18:00-00:00` | a window that ends at midnight (`24:00` is refused) |
//! | `07:00-` | start only: start at 07:00, never stop |
//! | `-19:00` | stop only: stop at 19:00, never start |
//! | `all-day` | the whole day, midnight to midnight (`sat+sun all-day`) |
//! | `mon`, `monday` | a weekday (`mon tue wed thu fri sat sun`, or full names) |
//! | `mon-fri`, `fri-mon` | a range of weekdays; `fri-mon` wraps over the weekend |
//! | `1st-mon` … `5th-mon` | the nth such weekday of the month |
//! | `last-fri` | the last such weekday of the month |
//! | `mon+wed+fri`, `mon-thu+last-fri` | any of several weekday items, joined with `+` |
//! | `days=1-7`, `days=1+15+L`, `days=25-L` | days of the month; `L` = the last day; `25-L` = `25-31` |
//! | `days=15W` | the weekday nearest to the 15th, within the month |
//! | `days=1-31/2`, `days=1/2`, `mon-fri/2`, `months=jan-dec/3` | steps: every other day, Monday/Wednesday/Friday, every third month |
//! | `months=jan-mar`, `months=dec+jan`, `months=11-12`, `months=nov-feb` | months (names or 1–12; ranges wrap) |
//!
//! No weekday, day or month token means every day. The day rules select the day a window
//! **begins**: `fri 22:00-02:00` runs from Friday 22:00 to Saturday 02:00.
//!
//! # Schedule-wide tokens
//!
//! Anywhere in the expression, at most once each:
//!
//! | Token | Meaning |
//! | --- | --- |
//! | `Europe/London`, `UTC` | the IANA time zone (a token with `/`, `UTC`, or another name the database knows such as `GMT`); default: the document's `default_timezone` |
//! | `holidays=uk-2026`, `holidays=uk-2026+2026-08-14` | holiday calendars of the schedules document and/or dates (`YYYY-MM-DD`), joined with `+`: stopped on those days |
//! | `holidays-as-usual` | holidays are ignored (the periods apply as on any other day) |
//! | `enforced` | re-assert the desired state on every run |
//! | `retain-running` | an instance started by hand before a window began keeps running after it ends |
//! | `hibernate` | stop by hibernating where the instance supports it |
//! | `keep-new-running` | an instance never acted on, found running outside its window, is left running until the next stop (default: stopped at once) |
//!
//! # Errors
//!
//! A [`GrammarError`] names the 1-based character position of the offending token, the token
//! and what is wrong, for example:
//!
//! ```text
//! at character 9 (`08:00-25:00`): `25:00` is not a time; use HH:MM from 00:00 to 23:59
//! at character 1 (`mon-fri`): a period needs a time such as 08:00-18:00
//! ```
//!
//! # Printing
//!
//! [`describe`] prints a schedule back as a canonical expression; parsing it gives the same
//! schedule (holidays are printed as dates, as the schedule no longer knows its calendars).

use crate::model::{
    Calendars, HolidayState, MonthDays, Months, Period, Schedule, ScheduleOptions, WeekdayKey,
    WeekdayRule, Weekdays, Zone,
};
use jiff::civil::{Date, Time};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The longest expression: the longest AWS tag value.
pub const MAX_EXPRESSION_CHARS: usize = 256;

/// What an expression needs from its surroundings: the zone used when it names none, and the
/// holiday calendars it may name.
#[derive(Debug, Clone)]
pub struct ParseContext<'a> {
    pub default_zone: &'a Zone,
    pub calendars: &'a Calendars,
}

/// A malformed expression: where (1-based character position of the token) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {position} (`{token}`): {message}")]
pub struct GrammarError {
    pub position: usize,
    pub token: String,
    pub message: String,
}

/// Whether a tag value is meant as an inline expression rather than a schedule name: it
/// contains a space or a time (`:`). Names in the document may contain neither.
pub fn looks_like_expression(value: &str) -> bool {
    value.contains(' ') || value.contains(':')
}

/// Whether `c` is accepted in every AWS tag value (and so in an expression).
pub fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, ' ' | '+' | '-' | '=' | '.' | '_' | ':' | '/' | '@')
}

const UNKNOWN_WORD: &str = "expected a weekday such as mon-fri, a time such as 08:00-18:00, \
     days=…, months=…, a time zone, holidays=…, or an option such as enforced, retain-running, \
     hibernate, holidays-as-usual";

/// A token and its 1-based character position.
#[derive(Debug, Clone, Copy)]
struct Token<'s> {
    text: &'s str,
    position: usize,
}

impl Token<'_> {
    fn error(&self, message: impl Into<String>) -> GrammarError {
        GrammarError {
            position: self.position,
            token: self.text.to_owned(),
            message: message.into(),
        }
    }
}

/// The period being read, between two `and`s.
#[derive(Debug, Default)]
struct PeriodBuilder<'s> {
    first: Option<Token<'s>>,
    time: Option<(Option<Time>, Option<Time>)>,
    weekdays: Option<Weekdays>,
    month_days: Option<MonthDays>,
    months: Option<Months>,
}

impl<'s> PeriodBuilder<'s> {
    fn note(&mut self, token: Token<'s>) {
        self.first.get_or_insert(token);
    }

    fn finish(self) -> Result<Period, GrammarError> {
        let Some(first) = self.first else {
            // Callers only finish a period that has a token.
            return Err(GrammarError {
                position: 1,
                token: String::new(),
                message: "a period needs a time such as 08:00-18:00".into(),
            });
        };
        let Some((begin, end)) = self.time else {
            return Err(first.error("a period needs a time such as 08:00-18:00"));
        };
        Ok(Period {
            begin,
            end,
            weekdays: self.weekdays.unwrap_or_default(),
            month_days: self.month_days.unwrap_or_default(),
            months: self.months.unwrap_or_default(),
        })
    }
}

/// Parses an inline expression. The result has `name: None`.
pub fn parse_expression(input: &str, cx: &ParseContext<'_>) -> Result<Schedule, GrammarError> {
    let length = input.chars().count();
    if length > MAX_EXPRESSION_CHARS {
        return Err(GrammarError {
            position: MAX_EXPRESSION_CHARS + 1,
            token: input.chars().skip(MAX_EXPRESSION_CHARS).take(16).collect(),
            message: format!(
                "the expression is {length} characters long; a tag value holds at most \
                 {MAX_EXPRESSION_CHARS}"
            ),
        });
    }
    if let Some((i, c)) = input.chars().enumerate().find(|&(_, c)| !is_tag_char(c)) {
        return Err(GrammarError {
            position: i + 1,
            token: c.to_string(),
            message: format!(
                "`{}` cannot appear in a tag value; use letters, digits, spaces and + - = . _ : / @",
                c.escape_debug()
            ),
        });
    }
    let tokens = tokenize(input);
    let Some(&first_token) = tokens.first() else {
        return Err(GrammarError {
            position: 1,
            token: String::new(),
            message: "empty expression; write a schedule such as `mon-fri 08:00-18:00 UTC`".into(),
        });
    };

    let mut zone: Option<(Zone, Token<'_>)> = None;
    let mut holidays: Option<BTreeSet<Date>> = None;
    let mut flags: [Option<Token<'_>>; 5] = [None; 5];
    let mut periods = Vec::new();
    let mut current = PeriodBuilder::default();
    let mut last_and: Option<Token<'_>> = None;

    for token in tokens {
        let lower = token.text.to_ascii_lowercase();
        if lower == "and" {
            if current.first.is_none() {
                return Err(token.error(AND_BETWEEN_PERIODS));
            }
            periods.push(std::mem::take(&mut current).finish()?);
            last_and = Some(token);
            continue;
        }
        if let Some((key, value)) = token.text.split_once('=') {
            match key.to_ascii_lowercase().as_str() {
                "days" => {
                    if current.month_days.is_some() {
                        return Err(token.error(
                            "two days= in one period; join days with + (days=1+15+L), or \
                             separate periods with `and`",
                        ));
                    }
                    current.note(token);
                    current.month_days = Some(parse_month_days(value).map_err(|m| token.error(m))?);
                }
                "months" => {
                    if current.months.is_some() {
                        return Err(token.error(
                            "two months= in one period; join months with + (months=dec+jan), \
                             or separate periods with `and`",
                        ));
                    }
                    current.note(token);
                    current.months = Some(parse_months(value).map_err(|m| token.error(m))?);
                }
                "holidays" => {
                    if holidays.is_some() {
                        return Err(token.error(
                            "holidays= given twice; name several calendars in one, joined with + \
                             (holidays=uk-2026+uk-2027)",
                        ));
                    }
                    holidays =
                        Some(parse_holidays(value, cx.calendars).map_err(|m| token.error(m))?);
                }
                other => {
                    let hint = match other {
                        "weekdays" | "weekday" | "day" => {
                            "; weekdays are written on their own, as in mon-fri"
                        }
                        "tz" | "zone" | "timezone" | "time_zone" | "time-zone" => {
                            "; the time zone is written on its own, as in Europe/London"
                        }
                        "begin" | "end" | "start" | "stop" | "time" => {
                            "; times are written on their own, as in 08:00-18:00"
                        }
                        _ => "",
                    };
                    return Err(token.error(format!(
                        "unknown setting `{key}=`; expected days=…, months=… or holidays=…{hint}"
                    )));
                }
            }
            continue;
        }
        if let Some(i) = FLAGS.iter().position(|f| *f == lower) {
            if let Some(earlier) = flags[i] {
                return Err(token.error(format!(
                    "`{}` given twice (first at character {})",
                    FLAGS[i], earlier.position
                )));
            }
            flags[i] = Some(token);
            continue;
        }
        if lower == "all-day" {
            if current.time.is_some() {
                return Err(token.error("two times in one period; separate periods with `and`"));
            }
            current.note(token);
            current.time = Some((Some(Time::midnight()), Some(Time::midnight())));
            continue;
        }
        if looks_like_weekdays(&lower) {
            if current.weekdays.is_some() {
                return Err(token.error(
                    "two weekday tokens in one period; join weekdays with + (mon-fri+sat), or \
                     separate periods with `and`",
                ));
            }
            current.note(token);
            current.weekdays = Some(parse_weekdays(token.text).map_err(|m| token.error(m))?);
            continue;
        }
        if token.text.contains(':')
            || token
                .text
                .starts_with(|c: char| c.is_ascii_digit() || c == '-')
        {
            if current.time.is_some() {
                return Err(token.error("two times in one period; separate periods with `and`"));
            }
            current.note(token);
            current.time = Some(parse_time_range(token.text).map_err(|m| token.error(m))?);
            continue;
        }
        if token.text.contains('/') || lower == "utc" {
            let parsed = Zone::parse(token.text).map_err(|e| token.error(e.to_string()))?;
            set_zone(&mut zone, parsed, token)?;
            continue;
        }
        if let Ok(parsed) = Zone::parse(token.text) {
            // Zone names without a slash (`GMT`, `EST5EDT`, `Japan`): none of them is a word
            // of the grammar.
            set_zone(&mut zone, parsed, token)?;
            continue;
        }
        let hint = match lower.as_str() {
            "weekdays" | "weekday" | "workdays" | "workday" | "business-days" => {
                " (for Monday to Friday write mon-fri)"
            }
            "weekend" | "weekends" => " (for Saturday and Sunday write sat+sun)",
            "daily" | "everyday" | "every-day" | "always" => {
                " (a period without weekdays applies every day; all-day is the whole day)"
            }
            "allday" | "all" | "whole-day" | "full-day" | "24h" => {
                " (for the whole day write all-day)"
            }
            "to" | "from" | "until" | "till" | "at" => " (write a window as 08:00-18:00)",
            "am" | "pm" => " (times are 24-hour: 18:00, not 6:00 pm)",
            "holidays" | "holiday" => " (name calendars as holidays=<calendar>)",
            "or" | "," => " (separate periods with `and`)",
            _ => "",
        };
        return Err(token.error(format!(
            "unknown word `{}`; {UNKNOWN_WORD}{hint}",
            token.text
        )));
    }

    if current.first.is_some() {
        periods.push(current.finish()?);
    } else if let Some(and) = last_and {
        return Err(and.error(AND_BETWEEN_PERIODS));
    }
    if periods.is_empty() {
        return Err(
            first_token.error("no period; a schedule needs at least one time such as 08:00-18:00")
        );
    }

    let [enforced, retain_running, hibernate, as_usual, keep_new] = flags.map(|f| f.is_some());
    Ok(Schedule {
        name: None,
        zone: zone.map_or_else(|| cx.default_zone.clone(), |(z, _)| z),
        periods,
        holidays: holidays.unwrap_or_default(),
        holiday_state: if as_usual {
            HolidayState::AsUsual
        } else {
            HolidayState::Stopped
        },
        options: ScheduleOptions {
            enforced,
            retain_running,
            hibernate,
            stop_new_instances: !keep_new,
            override_status: None,
        },
    })
}

const AND_BETWEEN_PERIODS: &str =
    "`and` must stand between two periods, as in `mon-fri 08:00-18:00 and sat 10:00-14:00`";

/// The flags, in the order [`describe`] prints them.
const FLAGS: [&str; 5] = [
    "enforced",
    "retain-running",
    "hibernate",
    "holidays-as-usual",
    "keep-new-running",
];

fn tokenize(input: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (byte, char position)
    for (chars, (byte, c)) in input.char_indices().enumerate() {
        match (c == ' ', start) {
            (true, Some((b, p))) => {
                tokens.push(Token {
                    text: &input[b..byte],
                    position: p,
                });
                start = None;
            }
            (false, None) => start = Some((byte, chars + 1)),
            _ => {}
        }
    }
    if let Some((b, p)) = start {
        tokens.push(Token {
            text: &input[b..],
            position: p,
        });
    }
    tokens
}

fn set_zone<'s>(
    zone: &mut Option<(Zone, Token<'s>)>,
    parsed: Zone,
    token: Token<'s>,
) -> Result<(), GrammarError> {
    if let Some((_, earlier)) = zone {
        return Err(token.error(format!(
            "a second time zone; a schedule has one (`{}` at character {})",
            earlier.text, earlier.position
        )));
    }
    *zone = Some((parsed, token));
    Ok(())
}

const WEEKDAY_NAMES: [(&str, &str); 7] = [
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("wed", "wednesday"),
    ("thu", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
];

const MONTH_NAMES: [(&str, &str); 12] = [
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may", "may"),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
];

fn weekday(word: &str) -> Option<WeekdayKey> {
    let lower = word.to_ascii_lowercase();
    WEEKDAY_NAMES
        .iter()
        .position(|(short, long)| lower == *short || lower == *long)
        .map(|i| WeekdayKey(i as u8 + 1))
}

/// `1st` … `5th` as 1 … 5; `Some(Err)` for an ordinal-looking word that is not one of them.
fn ordinal(word: &str) -> Option<Result<u8, String>> {
    let lower = word.to_ascii_lowercase();
    let digits = lower.len() - lower.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (number, suffix) = lower.split_at(digits);
    if number.is_empty() || !matches!(suffix, "st" | "nd" | "rd" | "th") {
        return None;
    }
    let expected = |n: u64| match n {
        1 => "st",
        2 => "nd",
        3 => "rd",
        _ => "th",
    };
    Some(match number.parse::<u64>() {
        Ok(n @ 1..=5) if expected(n) == suffix => Ok(n as u8),
        Ok(n @ 1..=5) => Err(format!(
            "`{word}`: write {n}{}; the ordinals are 1st, 2nd, 3rd, 4th and 5th",
            expected(n)
        )),
        _ => Err(format!(
            "there is no {word} weekday in a month; use 1st to 5th, or last"
        )),
    })
}

/// Whether a (lowercase) token is meant as weekdays: its first item starts with a weekday name,
/// an ordinal (`1st`) or `last`.
fn looks_like_weekdays(lower: &str) -> bool {
    let head = lower.split(['+', '-', '/']).next().unwrap_or_default();
    weekday(head).is_some() || head == "last" || ordinal(head).is_some()
}

/// Parses weekdays (`mon-fri`, `sat+sun`, `fri-mon`, `2nd-tue`, `last-fri`, `mon-thu+last-fri`,
/// `mon-fri/2` every second day of the range, `mon/2` from Monday to Sunday), case-insensitive.
/// The error is a message for the user.
pub fn parse_weekdays(value: &str) -> Result<Weekdays, String> {
    if value.is_empty() {
        return Err("needs weekdays such as mon-fri, sat+sun or last-fri".into());
    }
    let not_a_weekday =
        |word: &str| format!("`{word}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun");
    let mut rules = BTreeSet::new();
    for item in value.split('+') {
        if item.is_empty() {
            return Err(format!(
                "`{value}` has an empty item; join weekdays with a single + (sat+sun)"
            ));
        }
        let (range, step) = split_step(item, "mon-fri/2 (Monday, Wednesday, Friday)")?;
        let parts: Vec<&str> = range.split('-').collect();
        if let Some(step) = step {
            // `mon-fri/2`, `mon/2` (to Sunday), `fri-mon/2` (wrapping).
            let (from, to) = match parts[..] {
                [day] => (day, "sun"),
                [from, to] if weekday(from).is_some() => (from, to),
                _ => {
                    return Err(format!(
                        "`{item}`: a step applies to a range of weekdays, as in mon-fri/2"
                    ))
                }
            };
            let from = weekday(from).ok_or_else(|| not_a_weekday(from))?;
            let to = weekday(to).ok_or_else(|| not_a_weekday(to))?;
            let mut d = from.0;
            let mut i = 0;
            loop {
                if i % step == 0 {
                    rules.insert(WeekdayRule::Every(WeekdayKey(d)));
                }
                if d == to.0 {
                    break;
                }
                d = d % 7 + 1;
                i += 1;
            }
            continue;
        }
        match parts[..] {
            [day] => {
                rules.insert(WeekdayRule::Every(
                    weekday(day).ok_or_else(|| not_a_weekday(day))?,
                ));
            }
            [head, day] => {
                let key = weekday(day).ok_or_else(|| not_a_weekday(day))?;
                if head.eq_ignore_ascii_case("last") {
                    rules.insert(WeekdayRule::Last(key));
                } else if let Some(n) = ordinal(head) {
                    rules.insert(WeekdayRule::Nth(key, n?));
                } else {
                    let from = weekday(head).ok_or_else(|| not_a_weekday(head))?;
                    if from == key {
                        return Err(format!(
                            "`{item}`: a range needs two different days; write {head}"
                        ));
                    }
                    let mut d = from.0;
                    loop {
                        rules.insert(WeekdayRule::Every(WeekdayKey(d)));
                        if d == key.0 {
                            break;
                        }
                        d = d % 7 + 1;
                    }
                }
            }
            _ => {
                return Err(format!(
                    "`{item}` is not a weekday item; write mon, mon-fri, 2nd-tue or last-fri"
                ))
            }
        }
    }
    Ok(Weekdays(rules))
}

fn day_number(word: &str) -> Result<u32, String> {
    match word.parse::<u32>() {
        Ok(n @ 1..=31) if word.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!(
            "`{word}` is not a day of the month; use 1 to 31, or L for the last day"
        )),
    }
}

/// Splits `item/step` into the item and its step (`None` without a `/`). `what` names the
/// items for the message, `example` is a step example.
fn split_step<'v>(item: &'v str, example: &str) -> Result<(&'v str, Option<u32>), String> {
    let Some((range, step)) = item.split_once('/') else {
        return Ok((item, None));
    };
    match step.parse::<u32>() {
        Ok(n @ 1..=31) if step.bytes().all(|b| b.is_ascii_digit()) => Ok((range, Some(n))),
        _ => Err(format!(
            "`{item}`: `{step}` is not a step; write a whole number from 1 to 31 after the /, \
             as in {example}"
        )),
    }
}

/// Parses days of the month (`1-7`, `L`, `25-L`, `1+15+L`, `15W`, `1-31/2`, `1/2`). `N-L` is
/// days N to 31 (in a shorter month: to its last day); `NW` is the weekday nearest to day N;
/// `/S` takes every S-th day of a range (`N/S` runs to 31). The error is a message for the
/// user.
pub fn parse_month_days(value: &str) -> Result<MonthDays, String> {
    if value.is_empty() {
        return Err("needs days of the month such as 1-7, L, 15W or 1+15+L".into());
    }
    let mut out = MonthDays::default();
    for item in value.split('+') {
        if item.is_empty() {
            return Err(format!(
                "`{value}` has an empty item; join days with a single + (1+15+L)"
            ));
        }
        let (range, step) = split_step(item, "1-31/2 (every other day)")?;
        if let Some(day) = range.strip_suffix(['W', 'w']) {
            if step.is_some() || day.contains('-') {
                return Err(format!(
                    "`{item}`: W follows a single day, as in 15W (the weekday nearest to the \
                     15th)"
                ));
            }
            if day.eq_ignore_ascii_case("l") {
                return Err(format!(
                    "`{item}`: W follows a day number, as in 15W (LW, the last weekday of the \
                     month, is not supported)"
                ));
            }
            out.nearest_weekday |= 1 << day_number(day)?;
            continue;
        }
        let (from_n, to_n) = match range.split_once('-') {
            None if range.eq_ignore_ascii_case("l") => {
                if step.is_some() {
                    return Err(format!(
                        "`{item}`: a step needs a range of days, as in 1-31/2"
                    ));
                }
                out.last = true;
                continue;
            }
            None if step.is_some() => (day_number(range)?, 31),
            None => {
                out.days |= 1 << day_number(range)?;
                continue;
            }
            Some((from, to)) => {
                let from_n = if from.eq_ignore_ascii_case("l") {
                    return Err(format!("`{item}`: a day range runs upward, as in 25-L"));
                } else {
                    day_number(from)?
                };
                let to_n = if to.eq_ignore_ascii_case("l") {
                    31
                } else {
                    day_number(to)?
                };
                if from_n == to_n {
                    return Err(format!(
                        "`{item}`: a range needs two different days; write {from}"
                    ));
                }
                if from_n > to_n {
                    return Err(format!(
                        "`{item}`: a day range runs upward; for days across the month's end \
                         write {from}-L+1-{to}"
                    ));
                }
                (from_n, to_n)
            }
        };
        for d in (from_n..=to_n).step_by(step.unwrap_or(1) as usize) {
            out.days |= 1 << d;
        }
    }
    Ok(out)
}

fn month(word: &str) -> Result<u32, String> {
    let lower = word.to_ascii_lowercase();
    if let Some(i) = MONTH_NAMES
        .iter()
        .position(|(short, long)| lower == *short || lower == *long)
    {
        return Ok(i as u32 + 1);
    }
    match lower.parse::<u32>() {
        Ok(n @ 1..=12) if lower.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!(
            "`{word}` is not a month; use jan, feb, … dec or 1 to 12"
        )),
    }
}

/// The months from `from` to `to` (wrapping over the new year), every `step`-th one.
fn stepped_months(from: u32, to: u32, step: Option<u32>) -> u16 {
    let step = step.unwrap_or(1);
    let (mut bits, mut m, mut i) = (0u16, from, 0);
    loop {
        if i % step == 0 {
            bits |= 1 << m;
        }
        if m == to {
            return bits;
        }
        m = m % 12 + 1;
        i += 1;
    }
}

/// Parses months (`jan-mar`, `dec+jan`, `11-12`, `nov-feb` wraps over the new year,
/// `jan-dec/3` every third month, `1/2` every other month from January), case-insensitive.
/// The error is a message for the user.
pub fn parse_months(value: &str) -> Result<Months, String> {
    if value.is_empty() {
        return Err("needs months such as jan-mar or dec+jan".into());
    }
    let mut bits = 0u16;
    for item in value.split('+') {
        if item.is_empty() {
            return Err(format!(
                "`{value}` has an empty item; join months with a single + (dec+jan)"
            ));
        }
        let (range, step) = split_step(item, "jan-dec/3 (January, April, July, October)")?;
        let parts: Vec<&str> = range.split('-').collect();
        match parts[..] {
            [m] if step.is_none() => bits |= 1 << month(m)?,
            [m] => bits |= stepped_months(month(m)?, 12, step),
            [from, to] => {
                let (from_n, to_n) = (month(from)?, month(to)?);
                if from_n == to_n {
                    return Err(format!(
                        "`{item}`: a range needs two different months; write {from}"
                    ));
                }
                bits |= stepped_months(from_n, to_n, step);
            }
            _ => {
                return Err(format!(
                    "`{item}` is not a month item; write jan, jan-mar or 11-12"
                ))
            }
        }
    }
    Ok(Months(bits))
}

const NOT_A_TIME: &str = "is not a time; use HH:MM from 00:00 to 23:59";

/// Parses a time of day, `HH:MM` (or `H:MM`) from `00:00` to `23:59`. The error is a message
/// for the user.
pub fn parse_time(value: &str) -> Result<Time, String> {
    let bad = || format!("`{value}` {NOT_A_TIME}");
    let (h, m) = value.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || !digits(m) || m.len() != 2 {
        return Err(bad());
    }
    let (hour, minute): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if hour == 24 && minute == 0 {
        return Err(format!(
            "`{value}` is not a time; a window that ends at midnight ends at 00:00 \
             (18:00-00:00)"
        ));
    }
    if hour > 23 || minute > 59 {
        return Err(bad());
    }
    Time::new(hour, minute, 0, 0).map_err(|_| bad())
}

/// Parses a period's time token: `08:00-18:00`, `21:00-07:00`, `07:00-` or `-19:00`, as
/// (begin, end). Begin and end may not be equal. The error is a message for the user.
pub fn parse_time_range(value: &str) -> Result<(Option<Time>, Option<Time>), String> {
    let shapes = "use 08:00-18:00 for a window, 08:00- for a start only or -18:00 for a stop only";
    let Some((begin, end)) = value.split_once('-') else {
        return match parse_time(value) {
            Ok(_) => Err(format!("`{value}` alone is not a period time; {shapes}")),
            Err(e) => Err(e),
        };
    };
    if end.contains('-') || (begin.is_empty() && end.is_empty()) {
        return Err(format!("`{value}` is not a period time; {shapes}"));
    }
    let begin = (!begin.is_empty()).then(|| parse_time(begin)).transpose()?;
    let end = (!end.is_empty()).then(|| parse_time(end)).transpose()?;
    if begin.is_some() && begin == end {
        return Err(format!(
            "`{value}`: begin and end are equal; for the whole day write all-day"
        ));
    }
    Ok((begin, end))
}

/// Parses a date written `YYYY-MM-DD` (exactly). The error is a message for the user.
pub fn parse_date(value: &str) -> Result<Date, String> {
    let bad = || format!("`{value}` is not a date; write YYYY-MM-DD");
    let b = value.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(bad());
    }
    let number = |r: std::ops::Range<usize>| value[r].parse::<i16>().map_err(|_| bad());
    Date::new(number(0..4)?, number(5..7)? as i8, number(8..10)? as i8).map_err(|_| bad())
}

/// `holidays=` items: calendar names of the document, or dates.
fn parse_holidays(value: &str, calendars: &Calendars) -> Result<BTreeSet<Date>, String> {
    if value.is_empty() {
        return Err("needs a holiday calendar, as in holidays=uk-2026".into());
    }
    let mut dates = BTreeSet::new();
    for item in value.split('+') {
        if item.is_empty() {
            return Err(format!(
                "`{value}` has an empty item; join calendars with a single + (holidays=uk-2026+uk-2027)"
            ));
        }
        if item.starts_with(|c: char| c.is_ascii_digit()) {
            dates.insert(parse_date(item)?);
            continue;
        }
        let Some(calendar) = calendars.get(item) else {
            let known = if calendars.is_empty() {
                "the schedules document defines no calendars".to_owned()
            } else {
                let names: Vec<&str> = calendars.keys().map(String::as_str).collect();
                format!("known calendars: {}", names.join(", "))
            };
            return Err(format!("unknown holiday calendar `{item}`; {known}"));
        };
        dates.extend(calendar.iter().copied());
    }
    Ok(dates)
}

/// A canonical expression for `schedule`: periods joined with `and` (each: weekdays, days,
/// months, time), then the zone, the holidays (as dates) and the options.
///
/// For a schedule that [`parse_expression`] returned, parsing the description gives the same
/// schedule, as long as the description fits in [`MAX_EXPRESSION_CHARS`] (a long holiday
/// calendar printed as dates may not). Seconds of a time are not printed.
pub fn describe(schedule: &Schedule) -> String {
    let mut out = String::new();
    for (i, period) in schedule.periods.iter().enumerate() {
        if i > 0 {
            out.push_str(" and ");
        }
        out.push_str(&describe_period(period));
    }
    let _ = write!(out, " {}", schedule.zone.name());
    if !schedule.holidays.is_empty() {
        let dates: Vec<String> = schedule.holidays.iter().map(|d| d.to_string()).collect();
        let _ = write!(out, " holidays={}", dates.join("+"));
    }
    let set = [
        schedule.options.enforced,
        schedule.options.retain_running,
        schedule.options.hibernate,
        schedule.holiday_state == HolidayState::AsUsual,
        !schedule.options.stop_new_instances,
    ];
    for (flag, on) in FLAGS.iter().zip(set) {
        if on {
            let _ = write!(out, " {flag}");
        }
    }
    out
}

/// One period as in an expression: weekdays, days, months, then the time
/// (`mon-fri 08:00-18:00`, `sat+sun all-day`).
pub fn describe_period(period: &Period) -> String {
    let mut words: Vec<String> = Vec::new();
    if !period.weekdays.0.is_empty() {
        words.push(describe_weekdays(&period.weekdays));
    }
    if !period.month_days.is_empty() {
        words.push(format!("days={}", describe_month_days(period.month_days)));
    }
    if period.months.0 != 0 {
        words.push(format!("months={}", describe_months(period.months)));
    }
    if period.is_all_day() {
        words.push("all-day".into());
    } else {
        let time = |t: Option<Time>| {
            t.map(|t| format!("{:02}:{:02}", t.hour(), t.minute()))
                .unwrap_or_default()
        };
        words.push(format!("{}-{}", time(period.begin), time(period.end)));
    }
    words.join(" ")
}

/// Runs of consecutive numbers in `values` (sorted ascending), as `(first, last)`.
fn runs(values: impl IntoIterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == v => *last = v,
            _ => out.push((v, v)),
        }
    }
    out
}

/// `a`, `a+b` or `a-c`, by the run's length.
fn push_runs(items: &mut Vec<String>, runs: Vec<(u32, u32)>, name: impl Fn(u32) -> String) {
    for (a, b) in runs {
        match b - a {
            0 => items.push(name(a)),
            1 => {
                items.push(name(a));
                items.push(name(b));
            }
            _ => items.push(format!("{}-{}", name(a), name(b))),
        }
    }
}

fn describe_weekdays(weekdays: &Weekdays) -> String {
    let short = |d: u32| {
        WEEKDAY_NAMES
            .get(d.wrapping_sub(1) as usize)
            .map_or("?", |(s, _)| *s)
            .to_owned()
    };
    let mut items = Vec::new();
    let every = weekdays.0.iter().filter_map(|r| match r {
        WeekdayRule::Every(k) => Some(u32::from(k.0)),
        _ => None,
    });
    push_runs(&mut items, runs(every), short);
    for rule in &weekdays.0 {
        match *rule {
            WeekdayRule::Every(_) => {}
            WeekdayRule::Nth(k, n) => {
                let suffix = match n {
                    1 => "st",
                    2 => "nd",
                    3 => "rd",
                    _ => "th",
                };
                items.push(format!("{n}{suffix}-{}", short(u32::from(k.0))));
            }
            WeekdayRule::Last(k) => items.push(format!("last-{}", short(u32::from(k.0)))),
        }
    }
    items.join("+")
}

fn describe_month_days(days: MonthDays) -> String {
    let mut items = Vec::new();
    let set: Vec<u32> = (1..=31).filter(|d| days.days & (1 << d) != 0).collect();
    // Every S-th day (`1-31/2`): at least three days, evenly spaced, more than one apart.
    let step = match set[..] {
        [a, b, c, ..] if b - a > 1 && c - b == b - a => {
            let s = b - a;
            set.windows(2).all(|w| w[1] - w[0] == s).then_some(s)
        }
        _ => None,
    };
    if let (Some(s), Some(first), Some(last)) = (step, set.first(), set.last()) {
        let to = if last + s > 31 {
            "L".to_owned()
        } else {
            last.to_string()
        };
        items.push(format!("{first}-{to}/{s}"));
    }
    for (a, b) in runs(set.iter().copied().filter(|_| step.is_none())) {
        match b - a {
            0 => items.push(a.to_string()),
            1 => {
                items.push(a.to_string());
                items.push(b.to_string());
            }
            _ if b == 31 => items.push(format!("{a}-L")),
            _ => items.push(format!("{a}-{b}")),
        }
    }
    if days.last {
        items.push("L".into());
    }
    items.extend(
        (1..=31)
            .filter(|d| days.nearest_weekday & (1 << d) != 0)
            .map(|d| format!("{d}W")),
    );
    items.join("+")
}

fn describe_months(months: Months) -> String {
    let name = |m: u32| {
        MONTH_NAMES
            .get(m.wrapping_sub(1) as usize)
            .map_or("?", |(s, _)| *s)
            .to_owned()
    };
    let mut items = Vec::new();
    push_runs(
        &mut items,
        runs((1..=12).filter(|m| months.0 & (1 << m) != 0)),
        name,
    );
    items.join("+")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn calendars() -> Calendars {
        let mut c = Calendars::new();
        c.insert(
            "uk-2026".into(),
            [date(2026, 12, 25), date(2026, 12, 28)].into(),
        );
        c.insert(
            "us-2026".into(),
            [date(2026, 12, 25), date(2026, 11, 26)].into(),
        );
        c
    }

    fn parse(input: &str) -> Result<Schedule, GrammarError> {
        let zone = Zone::utc();
        let calendars = calendars();
        parse_expression(
            input,
            &ParseContext {
                default_zone: &zone,
                calendars: &calendars,
            },
        )
    }

    fn ok(input: &str) -> Schedule {
        parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    fn every(days: &[u8]) -> Weekdays {
        Weekdays(
            days.iter()
                .map(|d| WeekdayRule::Every(WeekdayKey(*d)))
                .collect(),
        )
    }

    fn window(b: (i8, i8), e: (i8, i8)) -> Period {
        Period {
            begin: Some(time(b.0, b.1, 0, 0)),
            end: Some(time(e.0, e.1, 0, 0)),
            ..Period::default()
        }
    }

    #[test]
    fn weekday_working_hours_in_a_named_zone() {
        let s = ok("mon-fri 08:00-18:00 Europe/London");
        assert_eq!(s.name, None);
        assert_eq!(s.zone.name(), "Europe/London");
        assert_eq!(
            s.periods,
            vec![Period {
                weekdays: every(&[1, 2, 3, 4, 5]),
                ..window((8, 0), (18, 0))
            }]
        );
        assert!(s.holidays.is_empty());
        assert_eq!(s.holiday_state, HolidayState::Stopped);
        assert_eq!(s.options, ScheduleOptions::default());
    }

    #[test]
    fn the_default_zone_applies_when_none_is_named() {
        let zone = Zone::parse("Asia/Tokyo").unwrap();
        let calendars = Calendars::new();
        let s = parse_expression(
            "09:00-17:00",
            &ParseContext {
                default_zone: &zone,
                calendars: &calendars,
            },
        )
        .unwrap();
        assert_eq!(s.zone.name(), "Asia/Tokyo");
        assert_eq!(s.periods[0].weekdays, Weekdays::default());
    }

    #[test]
    fn zones_are_found_by_slash_utc_or_any_database_name() {
        assert_eq!(ok("08:00-18:00 utc").zone.name(), "UTC");
        assert_eq!(
            ok("08:00-18:00 america/new_york").zone.name(),
            "America/New_York"
        );
        assert_eq!(
            ok("08:00-18:00 America/Port-au-Prince").zone.name(),
            "America/Port-au-Prince"
        );
        assert_eq!(ok("08:00-18:00 GMT").zone.name(), "GMT");
        assert_eq!(ok("Etc/GMT+5 08:00-18:00").zone.name(), "Etc/GMT+5");
    }

    #[test]
    fn weekday_spellings() {
        let cases: &[(&str, Weekdays)] = &[
            ("mon", every(&[1])),
            ("Monday", every(&[1])),
            ("SUNDAY", every(&[7])),
            ("mon-fri", every(&[1, 2, 3, 4, 5])),
            ("fri-mon", every(&[5, 6, 7, 1])),
            ("sat+sun", every(&[6, 7])),
            ("mon+wed+fri", every(&[1, 3, 5])),
            ("mon-sun", every(&[1, 2, 3, 4, 5, 6, 7])),
            ("tuesday-thursday", every(&[2, 3, 4])),
            (
                "1st-mon+2nd-tue+3rd-wed+4th-thu+5th-fri",
                Weekdays(
                    [
                        WeekdayRule::Nth(WeekdayKey(1), 1),
                        WeekdayRule::Nth(WeekdayKey(2), 2),
                        WeekdayRule::Nth(WeekdayKey(3), 3),
                        WeekdayRule::Nth(WeekdayKey(4), 4),
                        WeekdayRule::Nth(WeekdayKey(5), 5),
                    ]
                    .into(),
                ),
            ),
            (
                "last-fri",
                Weekdays([WeekdayRule::Last(WeekdayKey(5))].into()),
            ),
            (
                "mon-thu+last-fri",
                Weekdays(
                    [
                        WeekdayRule::Every(WeekdayKey(1)),
                        WeekdayRule::Every(WeekdayKey(2)),
                        WeekdayRule::Every(WeekdayKey(3)),
                        WeekdayRule::Every(WeekdayKey(4)),
                        WeekdayRule::Last(WeekdayKey(5)),
                    ]
                    .into(),
                ),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&parse_weekdays(text).unwrap(), expected, "{text}");
            assert_eq!(
                &ok(&format!("{text} 08:00-18:00")).periods[0].weekdays,
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn time_shapes() {
        let t = |h, m| Some(time(h, m, 0, 0));
        let cases = [
            ("08:00-18:00", t(8, 0), t(18, 0)),
            ("8:30-17:45", t(8, 30), t(17, 45)),
            ("21:00-07:00", t(21, 0), t(7, 0)),
            ("18:00-00:00", t(18, 0), t(0, 0)),
            ("00:00-23:59", t(0, 0), t(23, 59)),
            ("07:00-", t(7, 0), None),
            ("-19:00", None, t(19, 0)),
        ];
        for (text, begin, end) in cases {
            let p = &ok(text).periods[0];
            assert_eq!((p.begin, p.end), (begin, end), "{text}");
        }
        assert!(ok("21:00-07:00").periods[0].is_overnight());
        assert!(ok("18:00-00:00").periods[0].is_overnight());
        let all_day = &ok("sat+sun ALL-DAY").periods[0];
        assert!(all_day.is_all_day() && all_day.ends_next_day());
        assert_eq!((all_day.begin, all_day.end), (t(0, 0), t(0, 0)));
        assert_eq!(all_day.weekdays, every(&[6, 7]));
        assert_eq!(describe(&ok("sat+sun all-day UTC")), "sat+sun all-day UTC");
    }

    #[test]
    fn month_days_and_months() {
        let p = &ok("days=1-7 08:00-18:00").periods[0];
        assert_eq!(
            p.month_days,
            MonthDays {
                days: 0b1111_1110,
                last: false,
                nearest_weekday: 0,
            }
        );
        let p = &ok("days=L 08:00-18:00").periods[0];
        assert_eq!(
            p.month_days,
            MonthDays {
                days: 0,
                last: true,
                nearest_weekday: 0,
            }
        );
        let p = &ok("days=25-L 08:00-18:00").periods[0];
        assert_eq!(p.month_days, parse_month_days("25-31").unwrap());
        let p = &ok("DAYS=1+15+l 08:00-18:00").periods[0];
        assert_eq!(
            p.month_days,
            MonthDays {
                days: (1 << 1) | (1 << 15),
                last: true,
                nearest_weekday: 0,
            }
        );
        let bits = |ms: &[u32]| Months(ms.iter().map(|m| 1u16 << m).sum());
        assert_eq!(
            ok("months=jan-mar 08:00-18:00").periods[0].months,
            bits(&[1, 2, 3])
        );
        assert_eq!(
            ok("months=dec+jan 08:00-18:00").periods[0].months,
            bits(&[12, 1])
        );
        assert_eq!(
            ok("months=11-12 08:00-18:00").periods[0].months,
            bits(&[11, 12])
        );
        assert_eq!(
            ok("months=nov-feb 08:00-18:00").periods[0].months,
            bits(&[11, 12, 1, 2])
        );
        assert_eq!(
            ok("months=September+3 08:00-18:00").periods[0].months,
            bits(&[9, 3])
        );
    }

    #[test]
    fn periods_are_separated_by_and_and_schedule_wide_tokens_go_anywhere() {
        let s = ok("enforced mon-thu 08:00-18:00 Europe/Berlin AND fri holidays=uk-2026 08:00-16:00 hibernate");
        assert_eq!(s.periods.len(), 2);
        assert_eq!(s.periods[0].weekdays, every(&[1, 2, 3, 4]));
        assert_eq!(s.periods[1].weekdays, every(&[5]));
        assert_eq!(s.periods[1].end, Some(time(16, 0, 0, 0)));
        assert_eq!(s.zone.name(), "Europe/Berlin");
        assert!(s.options.enforced && s.options.hibernate && !s.options.retain_running);
        assert_eq!(s.holidays, calendars()["uk-2026"]);
    }

    #[test]
    fn runs_of_spaces_count_as_one() {
        assert_eq!(ok("  mon-fri    08:00-18:00  "), ok("mon-fri 08:00-18:00"));
    }

    #[test]
    fn holidays_and_options() {
        let s = ok("mon-fri 08:00-18:00 holidays=uk-2026+us-2026+2026-08-14 retain-running holidays-as-usual");
        assert_eq!(
            s.holidays,
            [
                date(2026, 8, 14),
                date(2026, 11, 26),
                date(2026, 12, 25),
                date(2026, 12, 28)
            ]
            .into()
        );
        assert_eq!(s.holiday_state, HolidayState::AsUsual);
        assert!(s.options.retain_running);
        assert!(s.options.stop_new_instances, "on by default");
        let keep = ok("mon-fri 08:00-18:00 UTC Keep-New-Running");
        assert!(!keep.options.stop_new_instances);
        assert_eq!(describe(&keep), "mon-fri 08:00-18:00 UTC keep-new-running");
        assert_eq!(
            parse("08:00-18:00 keep-new-running keep-new-running")
                .unwrap_err()
                .message,
            "`keep-new-running` given twice (first at character 13)"
        );
    }

    #[test]
    fn nearest_weekdays_and_steps() {
        let days = |text: &str| ok(&format!("days={text} 08:00-18:00")).periods[0].month_days;
        assert_eq!(days("15W").nearest_weekday, 1 << 15);
        assert_eq!(days("1w+15W").nearest_weekday, (1 << 1) | (1 << 15));
        let odd: u32 = (1..=31).step_by(2).map(|d| 1u32 << d).sum();
        assert_eq!(days("1-31/2").days, odd);
        assert_eq!(days("1/2").days, odd);
        assert_eq!(days("1-L/2").days, odd);
        assert_eq!(days("10-20/5").days, (1 << 10) | (1 << 15) | (1 << 20));
        let weekdays = |text: &str| {
            ok(&format!("{text} 08:00-18:00")).periods[0]
                .weekdays
                .clone()
        };
        assert_eq!(weekdays("mon-fri/2"), every(&[1, 3, 5]));
        assert_eq!(weekdays("mon/2"), every(&[1, 3, 5, 7]));
        assert_eq!(weekdays("fri-tue/2"), every(&[5, 7, 2]));
        assert_eq!(weekdays("mon-sun/3+sat"), every(&[1, 4, 6, 7]));
        let months = |text: &str| ok(&format!("months={text} 08:00-18:00")).periods[0].months;
        assert_eq!(
            months("jan-dec/3"),
            Months((1 << 1) | (1 << 4) | (1 << 7) | (1 << 10))
        );
        assert_eq!(months("1/6"), Months((1 << 1) | (1 << 7)));
        assert_eq!(months("nov-mar/2"), Months((1 << 11) | (1 << 1) | (1 << 3)));
        // Printed back in the same terms.
        for (text, printed) in [
            ("days=15W 08:00-18:00 UTC", "days=15W 08:00-18:00 UTC"),
            ("days=1/2 08:00-18:00 UTC", "days=1-L/2 08:00-18:00 UTC"),
            ("days=1-15/7 08:00-18:00 UTC", "days=1-15/7 08:00-18:00 UTC"),
            ("mon-fri/2 08:00-18:00 UTC", "mon+wed+fri 08:00-18:00 UTC"),
        ] {
            let s = ok(text);
            assert_eq!(describe(&s), printed);
            assert_eq!(ok(&describe(&s)), s, "{text}");
        }
    }

    /// (input, position, token, part of the message)
    const ERRORS: &[(&str, usize, &str, &str)] = &[
        ("days=1-5W 08:00-18:00", 1, "days=1-5W", "`1-5W`: W follows a single day, as in 15W"),
        ("days=15W/2 08:00-18:00", 1, "days=15W/2", "W follows a single day"),
        ("days=32W 08:00-18:00", 1, "days=32W", "`32` is not a day of the month"),
        ("days=LW 08:00-18:00", 1, "days=LW", "W follows a day number"),
        ("days=1-31/0 08:00-18:00", 1, "days=1-31/0", "`1-31/0`: `0` is not a step; write a whole number from 1 to 31 after the /, as in 1-31/2"),
        ("days=1-31/x 08:00-18:00", 1, "days=1-31/x", "`x` is not a step"),
        ("days=L/2 08:00-18:00", 1, "days=L/2", "a step needs a range of days"),
        ("mon-fri/0 08:00-18:00", 1, "mon-fri/0", "`0` is not a step; write a whole number from 1 to 31 after the /, as in mon-fri/2"),
        ("last-fri/2 08:00-18:00", 1, "last-fri/2", "a step applies to a range of weekdays, as in mon-fri/2"),
        ("mon-fry/2 08:00-18:00", 1, "mon-fry/2", "`fry` is not a weekday"),
        ("months=jan-dec/13x 08:00-18:00", 1, "months=jan-dec/13x", "is not a step"),
        ("", 1, "", "empty expression"),
        ("   ", 1, "", "empty expression"),
        ("mon-fri 08:00-18:00\tUTC", 20, "\t", "cannot appear in a tag value"),
        ("mon-fri 08:00-18:00, sat", 20, ",", "`,` cannot appear"),
        ("mon-fri 08:00-25:00", 9, "08:00-25:00", "`25:00` is not a time; use HH:MM from 00:00 to 23:59"),
        ("mon-fri 08:60-18:00", 9, "08:60-18:00", "`08:60` is not a time"),
        ("mon-fri 0800-1800", 9, "0800-1800", "`0800` is not a time"),
        ("mon-fri 8.00-18:00", 9, "8.00-18:00", "`8.00` is not a time"),
        ("mon-fri 18:00-24:00", 9, "18:00-24:00", "ends at 00:00 (18:00-00:00)"),
        ("mon-fri 08:00", 9, "08:00", "`08:00` alone is not a period time"),
        ("mon-fri 08:00-18:00-20:00", 9, "08:00-18:00-20:00", "is not a period time"),
        ("mon-fri -", 9, "-", "is not a period time"),
        ("mon-fri", 1, "mon-fri", "a period needs a time such as 08:00-18:00"),
        ("UTC mon-fri Europe/London", 13, "Europe/London", "a second time zone"),
        ("mon-fri 08:00-18:00 and sat UTC", 25, "sat", "a period needs a time such as 08:00-18:00"),
        ("mon-fri 08:00-08:00", 9, "08:00-08:00", "`08:00-08:00`: begin and end are equal; for the whole day write all-day"),
        ("sat+sun 00:00-00:00", 9, "00:00-00:00", "for the whole day write all-day"),
        ("sat+sun all-day 08:00-18:00", 17, "08:00-18:00", "two times in one period"),
        ("sat+sun allday", 9, "allday", "(for the whole day write all-day)"),
        ("mon-fri 08:00-12:00 13:00-18:00", 21, "13:00-18:00", "two times in one period; separate periods with `and`"),
        ("weekdays 08:00-18:00", 1, "weekdays", "unknown word `weekdays`; expected a weekday such as mon-fri, a time such as 08:00-18:00, days=…, months=…, a time zone, holidays=…, or an option such as enforced"),
        ("weekdays 08:00-18:00", 1, "weekdays", "(for Monday to Friday write mon-fri)"),
        ("08:00-18:00 daily", 13, "daily", "applies every day"),
        ("08:00-18:00 Europe/Atlantis", 13, "Europe/Atlantis", "is not an IANA time zone"),
        ("08:00-18:00 UTC Europe/London", 17, "Europe/London", "a second time zone; a schedule has one (`UTC` at character 13)"),
        ("08:00-18:00 holidays=fr-2026", 13, "holidays=fr-2026", "unknown holiday calendar `fr-2026`; known calendars: uk-2026, us-2026"),
        ("08:00-18:00 holidays=UK-2026", 13, "holidays=UK-2026", "unknown holiday calendar `UK-2026`"),
        ("08:00-18:00 holidays=", 13, "holidays=", "needs a holiday calendar"),
        ("08:00-18:00 holidays=uk-2026++us-2026", 13, "holidays=uk-2026++us-2026", "empty item"),
        ("08:00-18:00 holidays=2026-02-30", 13, "holidays=2026-02-30", "`2026-02-30` is not a date; write YYYY-MM-DD"),
        ("08:00-18:00 holidays=uk-2026 holidays=us-2026", 30, "holidays=us-2026", "holidays= given twice"),
        ("08:00-18:00 enforced ENFORCED", 22, "ENFORCED", "`enforced` given twice (first at character 13)"),
        ("08:00-18:00 tz=UTC", 13, "tz=UTC", "unknown setting `tz=`; expected days=…, months=… or holidays=…; the time zone is written on its own"),
        ("mon-fry 08:00-18:00", 1, "mon-fry", "`fry` is not a weekday; use mon, tue, wed, thu, fri, sat or sun"),
        ("mon-mon 08:00-18:00", 1, "mon-mon", "a range needs two different days"),
        ("mon++fri 08:00-18:00", 1, "mon++fri", "empty item"),
        ("mon-wed-fri 08:00-18:00", 1, "mon-wed-fri", "is not a weekday item"),
        ("6th-mon 08:00-18:00", 1, "6th-mon", "there is no 6th weekday in a month; use 1st to 5th, or last"),
        ("1th-mon 08:00-18:00", 1, "1th-mon", "`1th`: write 1st"),
        ("last-day 08:00-18:00", 1, "last-day", "`day` is not a weekday"),
        ("mon-fri sat 08:00-18:00", 9, "sat", "two weekday tokens in one period"),
        ("days=0 08:00-18:00", 1, "days=0", "`0` is not a day of the month; use 1 to 31, or L"),
        ("days=32 08:00-18:00", 1, "days=32", "`32` is not a day of the month"),
        ("days=25-5 08:00-18:00", 1, "days=25-5", "a day range runs upward; for days across the month's end write 25-L+1-5"),
        ("days=L-5 08:00-18:00", 1, "days=L-5", "a day range runs upward"),
        ("days=5-5 08:00-18:00", 1, "days=5-5", "write 5"),
        ("days= 08:00-18:00", 1, "days=", "needs days of the month"),
        ("days=1 days=2 08:00-18:00", 8, "days=2", "two days= in one period"),
        ("months=foo 08:00-18:00", 1, "months=foo", "`foo` is not a month; use jan, feb, … dec or 1 to 12"),
        ("months=13 08:00-18:00", 1, "months=13", "`13` is not a month"),
        ("months=jan-jan 08:00-18:00", 1, "months=jan-jan", "two different months"),
        ("months=jan months=feb 08:00-18:00", 12, "months=feb", "two months= in one period"),
        ("and mon 08:00-18:00", 1, "and", "`and` must stand between two periods"),
        ("mon 08:00-18:00 and", 17, "and", "`and` must stand between two periods"),
        ("mon 08:00-18:00 and and sat 10:00-12:00", 21, "and", "`and` must stand between two periods"),
        ("mon 08:00-18:00 and UTC", 17, "and", "`and` must stand between two periods"),
        ("UTC enforced", 1, "UTC", "no period; a schedule needs at least one time"),
        ("mon-fri 6:00 pm", 9, "6:00", "alone is not a period time"),
        ("mon-fri 08:00-18:00 pm", 21, "pm", "times are 24-hour"),
    ];

    #[test]
    fn every_error_says_what_and_where() {
        for (input, position, token, message) in ERRORS {
            let e = parse(input).expect_err(input);
            assert_eq!(
                (e.position, e.token.as_str()),
                (*position, *token),
                "{input}: {e}"
            );
            assert!(e.message.contains(message), "{input}: {e}");
        }
    }

    #[test]
    fn too_long_is_refused_at_character_257() {
        let long = format!("mon-fri 08:00-18:00 {}", "x".repeat(240));
        let e = parse(&long).unwrap_err();
        assert_eq!(e.position, 257);
        assert!(e.message.contains("at most 256"), "{e}");
        // Exactly 256 characters is fine (as far as length goes).
        let fits = format!("mon-fri 08:00-18:00{}UTC", " ".repeat(256 - 22));
        assert_eq!(fits.chars().count(), 256);
        ok(&fits);
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let e = parse("mon-fri 08:00-18:00 Zürich").unwrap_err();
        assert!(e.message.contains("unknown word"), "{e}");
        let e = parse("Zürich 08:00-25:00").unwrap_err();
        assert_eq!(e.position, 1);
        let e = parse("ä 08:00-25:00").unwrap_err();
        assert_eq!((e.position, e.token.as_str()), (1, "ä"));
        let e = parse("mon ä 08:00").unwrap_err();
        assert_eq!(e.position, 5);
    }

    #[test]
    fn error_display_names_position_and_token() {
        assert_eq!(
            parse("mon-fri 08:00-25:00").unwrap_err().to_string(),
            "at character 9 (`08:00-25:00`): `25:00` is not a time; use HH:MM from 00:00 to 23:59"
        );
        assert_eq!(
            parse("mon-fri").unwrap_err().to_string(),
            "at character 1 (`mon-fri`): a period needs a time such as 08:00-18:00"
        );
    }

    #[test]
    fn the_module_doc_examples_parse() {
        for e in [
            "mon-fri 08:00-18:00 Europe/London",
            "mon-thu 08:00-18:00 and fri 08:00-16:00 America/New_York holidays=us-2026",
            "21:00-07:00 UTC",
            "mon-fri 07:00- Europe/Paris",
            "-19:00 UTC",
            "last-fri 22:00-02:00 UTC enforced",
            "days=1-7 months=jan+jul 09:00-17:00 Europe/Berlin",
        ] {
            ok(e);
        }
    }

    #[test]
    fn describe_prints_a_canonical_expression() {
        let cases = [
            ("Mon-Fri 8:00-18:00 europe/london", "mon-fri 08:00-18:00 Europe/London"),
            ("fri-mon 21:00-07:00", "mon+fri-sun 21:00-07:00 UTC"),
            ("sat+sun 10:00- and -19:00", "sat+sun 10:00- and -19:00 UTC"),
            ("mon-thu+last-fri+2nd-tue 08:00-18:00", "mon-thu+2nd-tue+last-fri 08:00-18:00 UTC"),
            ("days=1+2+3+15+25-L+L months=dec+jan+feb 08:00-18:00", "days=1-3+15+25-L+L months=jan+feb+dec 08:00-18:00 UTC"),
            ("days=30-31 months=6-7 08:00-18:00", "days=30+31 months=jun+jul 08:00-18:00 UTC"),
            ("hibernate holidays-as-usual enforced retain-running 08:00-18:00 holidays=uk-2026", "08:00-18:00 UTC holidays=2026-12-25+2026-12-28 enforced retain-running hibernate holidays-as-usual"),
        ];
        for (input, expected) in cases {
            let s = ok(input);
            assert_eq!(describe(&s), expected, "{input}");
            assert_eq!(ok(expected), s, "{expected}");
        }
    }

    #[test]
    fn describe_round_trips_every_example_of_this_module() {
        let mut inputs: Vec<&str> = vec![
            "mon-fri 08:00-18:00 Europe/London",
            "days=1-7 months=jan+jul 09:00-17:00 Europe/Berlin",
            "1st-mon+2nd-tue+3rd-wed+4th-thu+5th-fri 00:00-23:59",
        ];
        inputs.extend(
            ERRORS
                .iter()
                .filter_map(|(i, ..)| parse(i).ok().map(|_| *i)),
        );
        for input in inputs {
            let s = ok(input);
            assert_eq!(ok(&describe(&s)), s, "{input}");
        }
    }

    #[test]
    fn looks_like_expression_tells_names_from_expressions() {
        assert!(looks_like_expression("mon-fri 08:00-18:00"));
        assert!(looks_like_expression("08:00-18:00"));
        assert!(!looks_like_expression("office-hours"));
        assert!(!looks_like_expression("team/dev@eu"));
    }
}
