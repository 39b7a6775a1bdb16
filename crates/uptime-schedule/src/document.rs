//! The schedules document: named schedules and holiday calendars, supplied at deploy time
//! (and, for previews and tests, in an execution input). Its JSON Schema is
//! `schedules/schedules.schema.json`; the user reference is `docs/schedules.md`.
//!
//! ```json
//! {
//!   "default_timezone": "Europe/London",
//!   "calendars": { "uk-2026": ["2026-12-25", "2026-12-28"] },
//!   "schedules": {
//!     "office-hours": {
//!       "timezone": "Europe/London",
//!       "periods": [ { "begin": "08:00", "end": "18:00", "weekdays": "mon-fri" } ],
//!       "holidays": ["uk-2026"],
//!       "holiday_state": "stopped",
//!       "enforced": false, "retain_running": false, "hibernate": false
//!     },
//!     "late-shift": "mon-fri 14:00-23:00 America/New_York"
//!   }
//! }
//! ```
//!
//! - `default_timezone` (default `UTC`): the zone of schedules that name none.
//! - `calendars`: name → dates (`YYYY-MM-DD`, no duplicates). A calendar name starts with a
//!   letter and has up to 64 letters, digits and `. _ -`, so that an expression can name it.
//! - `schedules`: name → schedule object, or inline expression string (parsed with
//!   the document's default zone and calendars). A name is 1–256 characters of a tag value
//!   without space or `:` (so it cannot be taken for an expression).
//! - A schedule object: `periods` (required, at least one: `begin`/`end` `HH:MM`, at least one
//!   of them and not equal, or `"all_day": true`; `weekdays`, `days`, `months` in the grammar's
//!   spellings),
//!   `timezone`, `holidays` (calendar names), `holiday_state` (`stopped` | `as-usual`),
//!   `enforced`, `retain_running`, `hibernate` (default `false`), `stop_new_instances` (default
//!   `true`), `override_status` (`running` | `stopped`: a permanent override of the schedule).
//! - Unknown fields are refused; the compact JSON may have at most [`MAX_DOCUMENT_BYTES`].
//!
//! [`ScheduleDocument::from_json`] checks each field by hand first (an error names the JSON
//! path, such as `schedules.office-hours.periods[0].begin`, or `$` for the whole document),
//! then the JSON Schema, so the published schema can never be more permissive than the code.

use crate::grammar::{
    is_tag_char, looks_like_expression, parse_date, parse_expression, parse_month_days,
    parse_months, parse_time, parse_weekdays, GrammarError, ParseContext,
};
use crate::json_schema::BundledSchema;
use crate::model::{Calendars, Desired, HolidayState, Period, Schedule, ScheduleOptions, Zone};
use jiff::civil::{Date, Time};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The schema text, as published in the repository.
pub const SCHEDULES_SCHEMA: &str = include_str!("../../../schedules/schedules.schema.json");

/// The largest document, in bytes of compact JSON: documents travel inside state machine
/// payloads (256 KiB in all, shared with everything else in them).
pub const MAX_DOCUMENT_BYTES: usize = 32_768;

/// A bad schedules document: the JSON path at fault and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedules document: `{path}`: {message}")]
pub struct DocumentError {
    pub path: String,
    pub message: String,
}

/// A validated schedules document. `{}` is one (no schedules: only inline expressions work).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleDocument {
    pub default_zone: Zone,
    pub calendars: Calendars,
    pub schedules: BTreeMap<String, Schedule>,
}

/// Why a schedule tag value does not resolve to a schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A name that the document does not define.
    #[error("no schedule named `{0}`")]
    Unknown(String),
    /// An inline expression that does not parse.
    #[error("inline schedule: {0}")]
    Invalid(GrammarError),
}

impl ScheduleDocument {
    /// An empty document with `UTC` as the default zone.
    pub fn empty() -> Self {
        Self {
            default_zone: Zone::utc(),
            calendars: Calendars::new(),
            schedules: BTreeMap::new(),
        }
    }

    /// Validates a document (the JSON Schema, then the meaning of each field).
    pub fn from_json(value: &Value) -> Result<Self, DocumentError> {
        let size = serde_json::to_vec(value).map_or(0, |v| v.len());
        if size > MAX_DOCUMENT_BYTES {
            return Err(bad(
                "$",
                format!(
                    "is {size} bytes of compact JSON; a schedules document may have at most \
                     {MAX_DOCUMENT_BYTES} (it travels inside state machine payloads)"
                ),
            ));
        }
        let Some(obj) = value.as_object() else {
            return Err(bad(
                "$",
                "must be an object (with `schedules`, `calendars`, `default_timezone`)",
            ));
        };
        only_fields(
            obj,
            "",
            &["$schema", "default_timezone", "calendars", "schedules"],
        )?;
        if let Some(v) = obj.get("$schema") {
            if !v.is_string() {
                return Err(bad("$schema", "must be a string"));
            }
        }
        let default_zone = match obj.get("default_timezone") {
            None => Zone::utc(),
            Some(v) => zone("default_timezone", v)?,
        };
        let calendars = match obj.get("calendars") {
            None => Calendars::new(),
            Some(v) => calendars(v)?,
        };
        let empty = Map::new();
        let entries = match obj.get("schedules") {
            None => &empty,
            Some(Value::Object(entries)) => entries,
            Some(_) => {
                return Err(bad(
                    "schedules",
                    "must be an object: schedule name → schedule",
                ))
            }
        };
        let mut schedules = BTreeMap::new();
        for (name, v) in entries {
            let path = format!("schedules.{name}");
            check_schedule_name(&path, name)?;
            let mut schedule = match v {
                Value::String(expression) => parse_expression(
                    expression,
                    &ParseContext {
                        default_zone: &default_zone,
                        calendars: &calendars,
                    },
                )
                .map_err(|e| bad(&path, format!("inline expression {e}")))?,
                Value::Object(fields) => schedule_object(&path, fields, &default_zone, &calendars)?,
                _ => {
                    return Err(bad(
                        &path,
                        "must be a schedule object or an inline expression string",
                    ))
                }
            };
            schedule.name = Some(name.clone());
            schedules.insert(name.clone(), schedule);
        }
        check_schema(value)?;
        Ok(Self {
            default_zone,
            calendars,
            schedules,
        })
    }

    /// `self` with the schedules and calendars of `other` added; `other` wins on a name clash.
    /// Used to lay an execution input's schedules over the deployed ones.
    pub fn overlay(&self, other: &ScheduleDocument) -> ScheduleDocument {
        let mut out = self.clone();
        out.calendars
            .extend(other.calendars.iter().map(|(k, v)| (k.clone(), v.clone())));
        out.schedules
            .extend(other.schedules.iter().map(|(k, v)| (k.clone(), v.clone())));
        out
    }

    /// The schedule a tag value means: a name in this document, or an inline expression
    /// (see [`crate::grammar::looks_like_expression`]).
    pub fn resolve(&self, tag_value: &str) -> Result<Schedule, ResolveError> {
        if looks_like_expression(tag_value) {
            return parse_expression(
                tag_value,
                &ParseContext {
                    default_zone: &self.default_zone,
                    calendars: &self.calendars,
                },
            )
            .map_err(ResolveError::Invalid);
        }
        self.schedules
            .get(tag_value)
            .cloned()
            .ok_or_else(|| ResolveError::Unknown(tag_value.to_owned()))
    }
}

fn bad(path: impl Into<String>, message: impl Into<String>) -> DocumentError {
    DocumentError {
        path: path.into(),
        message: message.into(),
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Refuses a field of `obj` not in `known`, naming its path.
fn only_fields(obj: &Map<String, Value>, path: &str, known: &[&str]) -> Result<(), DocumentError> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(bad(
            join(path, k),
            format!("unknown field; expected one of: {}", known.join(", ")),
        )),
    }
}

fn zone(path: &str, v: &Value) -> Result<Zone, DocumentError> {
    match v {
        Value::String(name) => Zone::parse(name).map_err(|e| bad(path, e.to_string())),
        _ => Err(bad(
            path,
            "must be a string: an IANA time zone name such as Europe/London",
        )),
    }
}

fn boolean(path: String, v: Option<&Value>) -> Result<bool, DocumentError> {
    match v {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad(path, "must be true or false")),
    }
}

fn string<'v>(path: &str, v: &'v Value, what: &str) -> Result<&'v str, DocumentError> {
    v.as_str()
        .ok_or_else(|| bad(path, format!("must be a string: {what}")))
}

/// Whether `name` can be a calendar name: it must be nameable in an expression's `holidays=`
/// (no `+`), and never be taken for a date there (it starts with a letter).
fn is_calendar_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn calendars(v: &Value) -> Result<Calendars, DocumentError> {
    let Some(entries) = v.as_object() else {
        return Err(bad("calendars", "must be an object: calendar name → dates"));
    };
    let mut out = Calendars::new();
    for (name, dates) in entries {
        let path = format!("calendars.{name}");
        if !is_calendar_name(name) {
            return Err(bad(
                path,
                "a calendar name starts with a letter and has up to 64 letters, digits and . _ -",
            ));
        }
        let Some(items) = dates.as_array() else {
            return Err(bad(path, "must be an array of dates (YYYY-MM-DD)"));
        };
        let mut set: BTreeMap<Date, usize> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let text = string(&item_path, item, "a date (YYYY-MM-DD)")?;
            let date = parse_date(text).map_err(|m| bad(&item_path, m))?;
            if let Some(earlier) = set.insert(date, i) {
                return Err(bad(
                    item_path,
                    format!("`{text}` is listed twice (also at [{earlier}])"),
                ));
            }
        }
        out.insert(name.clone(), set.into_keys().collect());
    }
    Ok(out)
}

fn check_schedule_name(path: &str, name: &str) -> Result<(), DocumentError> {
    let length = name.chars().count();
    if (1..=256).contains(&length) && name.chars().all(|c| is_tag_char(c) && c != ' ' && c != ':') {
        return Ok(());
    }
    Err(bad(
        path,
        "a schedule name is 1 to 256 letters, digits and + - = . _ / @ (no space and no `:`, \
         which mark an inline expression)",
    ))
}

fn schedule_object(
    path: &str,
    fields: &Map<String, Value>,
    default_zone: &Zone,
    calendars: &Calendars,
) -> Result<Schedule, DocumentError> {
    only_fields(
        fields,
        path,
        &[
            "timezone",
            "periods",
            "holidays",
            "holiday_state",
            "enforced",
            "retain_running",
            "hibernate",
            "stop_new_instances",
            "override_status",
        ],
    )?;
    let zone = match fields.get("timezone") {
        None => default_zone.clone(),
        Some(v) => zone(&join(path, "timezone"), v)?,
    };
    let periods_path = join(path, "periods");
    let items = match fields.get("periods") {
        None => {
            return Err(bad(
                periods_path,
                "is missing; a schedule needs at least one period",
            ))
        }
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(bad(
                periods_path,
                "is empty; a schedule needs at least one period",
            ))
        }
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad(periods_path, "must be an array of periods")),
    };
    let periods = items
        .iter()
        .enumerate()
        .map(|(i, v)| period(&format!("{periods_path}[{i}]"), v))
        .collect::<Result<Vec<_>, _>>()?;

    let mut holidays = BTreeSet::new();
    if let Some(v) = fields.get("holidays") {
        let holidays_path = join(path, "holidays");
        let Some(names) = v.as_array() else {
            return Err(bad(holidays_path, "must be an array of calendar names"));
        };
        let mut seen = BTreeSet::new();
        for (i, name) in names.iter().enumerate() {
            let item_path = format!("{holidays_path}[{i}]");
            let name = string(&item_path, name, "a calendar name")?;
            if !seen.insert(name) {
                return Err(bad(item_path, format!("`{name}` is listed twice")));
            }
            let Some(dates) = calendars.get(name) else {
                let known = if calendars.is_empty() {
                    "the document defines no calendars".to_owned()
                } else {
                    let names: Vec<&str> = calendars.keys().map(String::as_str).collect();
                    format!("known calendars: {}", names.join(", "))
                };
                return Err(bad(
                    item_path,
                    format!("unknown calendar `{name}`; {known}"),
                ));
            };
            holidays.extend(dates.iter().copied());
        }
    }
    let holiday_state = match fields.get("holiday_state") {
        None => HolidayState::Stopped,
        Some(Value::String(s)) if s == "stopped" => HolidayState::Stopped,
        Some(Value::String(s)) if s == "as-usual" => HolidayState::AsUsual,
        Some(_) => {
            return Err(bad(
                join(path, "holiday_state"),
                "must be \"stopped\" or \"as-usual\"",
            ))
        }
    };
    let override_status = match fields.get("override_status") {
        None => None,
        Some(Value::String(s)) if s == "running" => Some(Desired::Running),
        Some(Value::String(s)) if s == "stopped" => Some(Desired::Stopped),
        Some(_) => {
            return Err(bad(
                join(path, "override_status"),
                "must be \"running\" or \"stopped\" (or left out: the periods apply)",
            ))
        }
    };
    Ok(Schedule {
        name: None,
        zone,
        periods,
        holidays,
        holiday_state,
        options: ScheduleOptions {
            override_status,
            enforced: boolean(join(path, "enforced"), fields.get("enforced"))?,
            retain_running: boolean(join(path, "retain_running"), fields.get("retain_running"))?,
            hibernate: boolean(join(path, "hibernate"), fields.get("hibernate"))?,
            stop_new_instances: match fields.get("stop_new_instances") {
                None => true,
                v => boolean(join(path, "stop_new_instances"), v)?,
            },
        },
    })
}

fn period(path: &str, v: &Value) -> Result<Period, DocumentError> {
    let Some(fields) = v.as_object() else {
        return Err(bad(path, "must be an object with begin and/or end"));
    };
    only_fields(
        fields,
        path,
        &["begin", "end", "all_day", "weekdays", "days", "months"],
    )?;
    let time = |field: &str| -> Result<_, DocumentError> {
        let p = join(path, field);
        fields
            .get(field)
            .map(|v| parse_time(string(&p, v, "a time HH:MM")?).map_err(|m| bad(&p, m)))
            .transpose()
    };
    let (mut begin, mut end) = (time("begin")?, time("end")?);
    let all_day = boolean(join(path, "all_day"), fields.get("all_day"))?;
    match (begin, end) {
        _ if all_day && fields.contains_key("begin") => {
            return Err(bad(
                join(path, "begin"),
                "an all_day period has no begin or end: it runs from midnight to midnight",
            ))
        }
        _ if all_day && fields.contains_key("end") => {
            return Err(bad(
                join(path, "end"),
                "an all_day period has no begin or end: it runs from midnight to midnight",
            ))
        }
        _ if all_day => (begin, end) = (Some(Time::midnight()), Some(Time::midnight())),
        (None, None) => {
            return Err(bad(
                path,
                "a period needs a begin, an end or both (\"begin\": \"08:00\", \"end\": \"18:00\"), or \"all_day\": true",
            ))
        }
        (Some(b), Some(e)) if b == e => {
            return Err(bad(
                join(path, "end"),
                "begin and end are equal; for the whole day write \"all_day\": true",
            ))
        }
        _ => {}
    }
    let rule = |field: &str, what: &str| -> Result<Option<&str>, DocumentError> {
        fields
            .get(field)
            .map(|v| string(&join(path, field), v, what))
            .transpose()
    };
    let mut out = Period {
        begin,
        end,
        ..Period::default()
    };
    if let Some(s) = rule("weekdays", "weekdays such as mon-fri")? {
        out.weekdays = parse_weekdays(s).map_err(|m| bad(join(path, "weekdays"), m))?;
    }
    if let Some(s) = rule("days", "days of the month such as 1-7 or L")? {
        out.month_days = parse_month_days(s).map_err(|m| bad(join(path, "days"), m))?;
    }
    if let Some(s) = rule("months", "months such as jan-mar")? {
        out.months = parse_months(s).map_err(|m| bad(join(path, "months"), m))?;
    }
    Ok(out)
}

/// The published schema ([`SCHEDULES_SCHEMA`]), applied after the hand-written checks.
static SCHEMA: BundledSchema = BundledSchema::new("schedules document", SCHEDULES_SCHEMA);

/// Checks `value` against the schema; the error names the path like the hand-written checks.
fn check_schema(value: &Value) -> Result<(), DocumentError> {
    SCHEMA.check(value).map_err(|v| bad(v.path, v.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MonthDays, WeekdayKey, WeekdayRule, Weekdays};
    use jiff::civil::{date, time};
    use serde_json::json;

    fn doc(v: Value) -> ScheduleDocument {
        ScheduleDocument::from_json(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    fn error(v: Value) -> DocumentError {
        match ScheduleDocument::from_json(&v) {
            Ok(_) => panic!("accepted {v}"),
            Err(e) => e,
        }
    }

    fn module_doc_example() -> Value {
        json!({
          "default_timezone": "Europe/London",
          "calendars": { "uk-2026": ["2026-12-25", "2026-12-28"] },
          "schedules": {
            "office-hours": {
              "timezone": "Europe/London",
              "periods": [ { "begin": "08:00", "end": "18:00", "weekdays": "mon-fri" } ],
              "holidays": ["uk-2026"],
              "holiday_state": "stopped",
              "enforced": false, "retain_running": false, "hibernate": false
            },
            "late-shift": "mon-fri 14:00-23:00 America/New_York"
          }
        })
    }

    #[test]
    fn the_module_doc_example_is_a_valid_document() {
        let d = doc(module_doc_example());
        assert_eq!(d.default_zone.name(), "Europe/London");
        let office = &d.schedules["office-hours"];
        assert_eq!(office.name.as_deref(), Some("office-hours"));
        assert_eq!(office.zone.name(), "Europe/London");
        assert_eq!(
            office.holidays,
            [date(2026, 12, 25), date(2026, 12, 28)].into()
        );
        assert_eq!(
            office.periods,
            vec![Period {
                begin: Some(time(8, 0, 0, 0)),
                end: Some(time(18, 0, 0, 0)),
                weekdays: crate::grammar::parse_weekdays("mon-fri").unwrap(),
                ..Period::default()
            }]
        );
        let late = &d.schedules["late-shift"];
        assert_eq!(late.name.as_deref(), Some("late-shift"));
        assert_eq!(late.zone.name(), "America/New_York");
    }

    #[test]
    fn the_example_document_is_valid() {
        let v: Value =
            serde_json::from_str(include_str!("../../../examples/schedules.json")).unwrap();
        assert!(SCHEMA.validator().is_valid(&v));
        let d = doc(v);
        assert_eq!(d.default_zone.name(), "Europe/London");
        assert_eq!(d.calendars["uk-bank-holidays-2026"].len(), 8);
        let s = |name: &str| &d.schedules[name];
        let office = s("uk-office-hours");
        assert_eq!(office.holidays.len(), 16);
        assert!(office.options.hibernate);
        assert_eq!(s("us-late-shift").zone.name(), "America/New_York");
        assert_eq!(s("us-late-shift").holidays.len(), 11);
        assert_eq!(s("apac-business-hours").zone.name(), "Australia/Sydney");
        assert!(s("overnight-batch").periods[0].is_overnight());
        assert_eq!(s("overnight-batch").holiday_state, HolidayState::AsUsual);
        assert_eq!(s("weekday-morning-start").periods[0].end, None);
        assert_eq!(s("evening-stop").periods[0].begin, None);
        assert_eq!(s("evening-stop").zone.name(), "Europe/London");
        assert_eq!(
            s("month-end-maintenance").periods[0].weekdays,
            Weekdays([WeekdayRule::Last(WeekdayKey(5))].into())
        );
        assert!(s("quarter-end-close").periods[0].month_days.days & (1 << 31) != 0);
        assert!(s("dev-workstations").options.retain_running);
        assert!(s("store-kiosks").options.enforced);
        assert_eq!(d.schedules.len(), 10);
    }

    #[test]
    fn object_and_string_forms_mean_the_same() {
        let d = doc(json!({
            "default_timezone": "Australia/Sydney",
            "calendars": {"au": ["2026-01-26"]},
            "schedules": {
                "a": {
                    "periods": [
                        {"begin": "08:00", "end": "18:00", "weekdays": "mon-thu+last-fri", "days": "1+15+L", "months": "jan-mar"},
                        {"begin": "07:00"},
                        {"end": "19:00", "weekdays": "sat+sun"}
                    ],
                    "holidays": ["au"],
                    "holiday_state": "as-usual",
                    "enforced": true, "retain_running": true, "hibernate": true,
                    "stop_new_instances": false
                },
                "b": "mon-thu+last-fri days=1+15+L months=jan-mar 08:00-18:00 and 07:00- and sat+sun -19:00 holidays=au holidays-as-usual enforced retain-running hibernate keep-new-running"
            }
        }));
        let (mut a, mut b) = (d.schedules["a"].clone(), d.schedules["b"].clone());
        assert_eq!(a.zone.name(), "Australia/Sydney");
        a.name = None;
        b.name = None;
        assert_eq!(a, b);
        assert_eq!(
            a.periods[0].weekdays,
            Weekdays(
                [1, 2, 3, 4]
                    .map(|d| WeekdayRule::Every(WeekdayKey(d)))
                    .into_iter()
                    .chain([WeekdayRule::Last(WeekdayKey(5))])
                    .collect()
            )
        );
        assert_eq!(
            a.periods[0].month_days,
            MonthDays {
                days: (1 << 1) | (1 << 15),
                last: true,
                nearest_weekday: 0,
            }
        );
    }

    #[test]
    fn nearest_weekdays_and_steps_pass_the_schema_as_in_an_expression() {
        let d = doc(json!({"schedules": {
            "a": {"periods": [{"begin": "08:00", "end": "18:00", "days": "15W+1-L/2", "weekdays": "mon-fri/2", "months": "jan-dec/3"}]},
            "b": "days=15W+1-L/2 mon-fri/2 months=jan-dec/3 08:00-18:00"
        }}));
        let (mut a, mut b) = (d.schedules["a"].clone(), d.schedules["b"].clone());
        (a.name, b.name) = (None, None);
        assert_eq!(a, b);
        assert_eq!(a.periods[0].month_days.nearest_weekday, 1 << 15);
        let e =
            error(json!({"schedules": {"a": {"periods": [{"begin": "08:00", "days": "1-5W"}]}}}));
        assert_eq!(e.path, "schedules.a.periods[0].days");
        assert!(e.message.contains("W follows a single day"), "{e}");
    }

    #[test]
    fn override_status_is_running_stopped_or_absent() {
        let d = doc(json!({"schedules": {
            "up": {"periods": [{"begin": "08:00", "end": "18:00"}], "override_status": "running"},
            "down": {"periods": [{"begin": "08:00", "end": "18:00"}], "override_status": "stopped"},
            "plain": {"periods": [{"begin": "08:00", "end": "18:00"}]}
        }}));
        let status = |name: &str| d.schedules[name].options.override_status;
        assert_eq!(status("up"), Some(Desired::Running));
        assert_eq!(status("down"), Some(Desired::Stopped));
        assert_eq!(status("plain"), None);
        let e = error(
            json!({"schedules": {"s": {"periods": [{"begin": "08:00"}], "override_status": "paused"}}}),
        );
        assert_eq!(e.path, "schedules.s.override_status");
        assert!(
            e.message.contains("must be \"running\" or \"stopped\""),
            "{e}"
        );
    }

    #[test]
    fn an_all_day_period_is_the_all_day_token() {
        let d = doc(json!({"schedules": {
            "a": {"periods": [{"all_day": true, "weekdays": "sat+sun"}]},
            "b": "sat+sun all-day"
        }}));
        let (mut a, mut b) = (d.schedules["a"].clone(), d.schedules["b"].clone());
        (a.name, b.name) = (None, None);
        assert_eq!(a, b);
        assert!(a.periods[0].is_all_day());
    }

    #[test]
    fn defaults() {
        let d = doc(json!({"schedules": {"x": {"periods": [{"begin": "08:00", "end": "18:00"}]}}}));
        assert_eq!(d.default_zone, Zone::utc());
        assert!(d.calendars.is_empty());
        let x = &d.schedules["x"];
        assert_eq!(x.zone, Zone::utc());
        assert_eq!(x.holiday_state, HolidayState::Stopped);
        assert_eq!(x.options, ScheduleOptions::default());
        assert!(x.options.stop_new_instances);
        assert!(x.holidays.is_empty());
        assert_eq!(doc(json!({"schedules": {}})).schedules.len(), 0);
        // The deployed document may be empty: then only inline expressions work.
        assert_eq!(doc(json!({})), ScheduleDocument::empty());
        doc(json!({"$schema": "../schedules/schedules.schema.json", "schedules": {}}));
    }

    #[test]
    fn names_may_use_every_tag_character_but_space_and_colon() {
        doc(
            json!({"schedules": {"team/dev@eu+1=a_b.c-d": "08:00-18:00", "Bürozeiten": "08:00-18:00"}}),
        );
        let e = error(json!({"schedules": {"office hours": "08:00-18:00"}}));
        assert_eq!(e.path, "schedules.office hours");
        assert!(e.message.contains("no space and no `:`"), "{e}");
        assert_eq!(
            error(json!({"schedules": {"a:b": "08:00-18:00"}})).path,
            "schedules.a:b"
        );
        assert_eq!(
            error(json!({"schedules": {"": "08:00-18:00"}})).path,
            "schedules."
        );
        let long = "x".repeat(257);
        assert_eq!(
            error(json!({"schedules": {long.clone(): "08:00-18:00"}})).path,
            format!("schedules.{long}")
        );
        doc(json!({"schedules": {"x".repeat(256): "08:00-18:00"}}));
    }

    /// (document, path, part of the message)
    fn errors() -> Vec<(Value, &'static str, &'static str)> {
        let p = |period: Value| json!({"schedules": {"s": {"periods": [{"begin": "08:00", "end": "18:00"}, period]}}});
        let s = |schedule: Value| json!({"calendars": {"uk": []}, "schedules": {"s": schedule}});
        vec![
            (json!([]), "$", "must be an object"),
            (json!({"schedules": []}), "schedules", "must be an object"),
            (
                json!({"schedules": {}, "extra": 1}),
                "extra",
                "unknown field; expected one of: $schema, default_timezone, calendars, schedules",
            ),
            (
                json!({"$schema": 1, "schedules": {}}),
                "$schema",
                "must be a string",
            ),
            (
                json!({"default_timezone": "Mars/Olympus", "schedules": {}}),
                "default_timezone",
                "is not an IANA time zone",
            ),
            (
                json!({"default_timezone": 1, "schedules": {}}),
                "default_timezone",
                "must be a string",
            ),
            (
                json!({"calendars": [], "schedules": {}}),
                "calendars",
                "must be an object",
            ),
            (
                json!({"calendars": {"uk": "2026-12-25"}, "schedules": {}}),
                "calendars.uk",
                "must be an array of dates",
            ),
            (
                json!({"calendars": {"2026": []}, "schedules": {}}),
                "calendars.2026",
                "starts with a letter",
            ),
            (
                json!({"calendars": {"uk+scotland": []}, "schedules": {}}),
                "calendars.uk+scotland",
                "starts with a letter",
            ),
            (
                json!({"calendars": {"uk": ["2026-12-25", 1]}, "schedules": {}}),
                "calendars.uk[1]",
                "must be a string",
            ),
            (
                json!({"calendars": {"uk": ["2026-12-25", "25/12/2026"]}, "schedules": {}}),
                "calendars.uk[1]",
                "`25/12/2026` is not a date; write YYYY-MM-DD",
            ),
            (
                json!({"calendars": {"uk": ["2026-02-29"]}, "schedules": {}}),
                "calendars.uk[0]",
                "`2026-02-29` is not a date",
            ),
            (
                json!({"calendars": {"uk": ["2026-12-25", "2026-12-28", "2026-12-25"]}, "schedules": {}}),
                "calendars.uk[2]",
                "`2026-12-25` is listed twice (also at [0])",
            ),
            (
                json!({"schedules": {"s": 1}}),
                "schedules.s",
                "must be a schedule object or an inline expression string",
            ),
            (
                json!({"schedules": {"s": "mon-fri 08:00-25:00"}}),
                "schedules.s",
                "inline expression at character 9 (`08:00-25:00`): `25:00` is not a time",
            ),
            (
                json!({"schedules": {"s": "08:00-18:00 holidays=fr"}}),
                "schedules.s",
                "unknown holiday calendar `fr`; the schedules document defines no calendars",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "colour": "red"})),
                "schedules.s.colour",
                "unknown field; expected one of: timezone, periods",
            ),
            (s(json!({})), "schedules.s.periods", "is missing"),
            (s(json!({"periods": []})), "schedules.s.periods", "is empty"),
            (
                s(json!({"periods": {}})),
                "schedules.s.periods",
                "must be an array",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "timezone": "Europe/Londres"})),
                "schedules.s.timezone",
                "`Europe/Londres` is not an IANA time zone",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "holidays": "uk"})),
                "schedules.s.holidays",
                "must be an array",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "holidays": ["fr"]})),
                "schedules.s.holidays[0]",
                "unknown calendar `fr`; known calendars: uk",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "holidays": ["uk", "uk"]})),
                "schedules.s.holidays[1]",
                "`uk` is listed twice",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "holidays": [1]})),
                "schedules.s.holidays[0]",
                "must be a string",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "holiday_state": "running"})),
                "schedules.s.holiday_state",
                "must be \"stopped\" or \"as-usual\"",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "enforced": "yes"})),
                "schedules.s.enforced",
                "must be true or false",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "retain_running": 1})),
                "schedules.s.retain_running",
                "must be true or false",
            ),
            (
                s(json!({"periods": [{"begin": "08:00"}], "hibernate": null})),
                "schedules.s.hibernate",
                "must be true or false",
            ),
            (
                p(json!("08:00-18:00")),
                "schedules.s.periods[1]",
                "must be an object",
            ),
            (
                p(json!({})),
                "schedules.s.periods[1]",
                "a period needs a begin, an end or both",
            ),
            (
                p(json!({"weekdays": "mon-fri"})),
                "schedules.s.periods[1]",
                "a period needs a begin, an end or both",
            ),
            (
                p(json!({"begin": "08:00", "until": "18:00"})),
                "schedules.s.periods[1].until",
                "unknown field; expected one of: begin, end, all_day, weekdays, days, months",
            ),
            (
                p(json!({"begin": "25:00"})),
                "schedules.s.periods[1].begin",
                "`25:00` is not a time; use HH:MM from 00:00 to 23:59",
            ),
            (
                p(json!({"begin": 8})),
                "schedules.s.periods[1].begin",
                "must be a string",
            ),
            (
                p(json!({"end": "24:00"})),
                "schedules.s.periods[1].end",
                "ends at 00:00",
            ),
            (
                p(json!({"begin": "08:00", "end": "08:00"})),
                "schedules.s.periods[1].end",
                "begin and end are equal; for the whole day write \"all_day\": true",
            ),
            (
                p(json!({"all_day": true, "begin": "08:00"})),
                "schedules.s.periods[1].begin",
                "an all_day period has no begin or end",
            ),
            (
                p(json!({"all_day": true, "end": "18:00"})),
                "schedules.s.periods[1].end",
                "an all_day period has no begin or end",
            ),
            (
                p(json!({"all_day": false})),
                "schedules.s.periods[1]",
                "or \"all_day\": true",
            ),
            (
                p(json!({"all_day": "yes"})),
                "schedules.s.periods[1].all_day",
                "must be true or false",
            ),
            (
                p(json!({"begin": "08:00", "weekdays": "weekdays"})),
                "schedules.s.periods[1].weekdays",
                "`weekdays` is not a weekday",
            ),
            (
                p(json!({"begin": "08:00", "weekdays": ["mon"]})),
                "schedules.s.periods[1].weekdays",
                "must be a string",
            ),
            (
                p(json!({"begin": "08:00", "days": "32"})),
                "schedules.s.periods[1].days",
                "`32` is not a day of the month",
            ),
            (
                p(json!({"begin": "08:00", "days": "25-5"})),
                "schedules.s.periods[1].days",
                "a day range runs upward",
            ),
            (
                p(json!({"begin": "08:00", "months": "smarch"})),
                "schedules.s.periods[1].months",
                "`smarch` is not a month",
            ),
            (
                p(json!({"begin": "08:00", "months": ""})),
                "schedules.s.periods[1].months",
                "needs months",
            ),
        ]
    }

    #[test]
    fn every_error_names_the_path() {
        for (v, path, message) in errors() {
            let e = error(v.clone());
            assert_eq!(e.path, path, "{v}: {e}");
            assert!(e.message.contains(message), "{v}: {e}");
        }
    }

    #[test]
    fn the_office_hours_path_of_the_module_doc() {
        let mut v = module_doc_example();
        v["schedules"]["office-hours"]["periods"][0]["begin"] = json!("8am");
        let e = error(v);
        assert_eq!(e.path, "schedules.office-hours.periods[0].begin");
        assert_eq!(
            e.to_string(),
            "schedules document: `schedules.office-hours.periods[0].begin`: `8am` is not a time; use HH:MM from 00:00 to 23:59"
        );
    }

    #[test]
    fn documents_over_32_kib_are_refused_as_a_whole() {
        let dates: Vec<String> = (0..3000)
            .map(|i| (date(2000, 1, 1) + jiff::Span::new().days(i)).to_string())
            .collect();
        let v = json!({"calendars": {"long": dates}, "schedules": {}});
        let e = error(v);
        assert_eq!(e.path, "$");
        assert!(e.message.contains("at most 32768"), "{e}");
        // Up to the limit is fine: each date adds 13 bytes (`"2000-01-01",`).
        let empty = json!({"calendars": {"long": []}, "schedules": {}});
        let room = (MAX_DOCUMENT_BYTES - serde_json::to_vec(&empty).unwrap().len() + 1) / 13;
        let dates: Vec<String> = (0..room as i64)
            .map(|i| (date(2000, 1, 1) + jiff::Span::new().days(i)).to_string())
            .collect();
        let v = json!({"calendars": {"long": dates}, "schedules": {}});
        let size = serde_json::to_vec(&v).unwrap().len();
        assert!(
            size <= MAX_DOCUMENT_BYTES && size + 13 > MAX_DOCUMENT_BYTES,
            "{size}"
        );
        doc(v);
    }

    #[test]
    fn resolve_tells_names_from_inline_expressions() {
        let d = doc(module_doc_example());
        assert_eq!(
            d.resolve("office-hours").unwrap(),
            d.schedules["office-hours"]
        );
        assert_eq!(
            d.resolve("nobody"),
            Err(ResolveError::Unknown("nobody".into()))
        );
        let inline = d.resolve("sat 10:00-14:00 holidays=uk-2026").unwrap();
        assert_eq!(inline.name, None);
        assert_eq!(
            inline.zone.name(),
            "Europe/London",
            "the document's default zone"
        );
        assert_eq!(inline.holidays.len(), 2, "the document's calendars");
        match d.resolve("sat 10:00-25:00") {
            Err(ResolveError::Invalid(e)) => assert_eq!(e.position, 5),
            other => panic!("{other:?}"),
        }
        assert!(matches!(d.resolve("08:00"), Err(ResolveError::Invalid(_))));
        assert_eq!(
            ScheduleDocument::empty().resolve("office-hours"),
            Err(ResolveError::Unknown("office-hours".into()))
        );
    }

    #[test]
    fn the_schema_is_a_valid_draft_2020_12_schema() {
        let schema: Value = serde_json::from_str(SCHEDULES_SCHEMA).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        jsonschema::draft202012::meta::validate(&schema).unwrap();
        SCHEMA.validator();
    }

    /// Every document of the corpus gets the same verdict from the schema alone and from the
    /// hand-written rules, except what a schema cannot say (checked separately).
    #[test]
    fn schema_and_hand_written_rules_agree() {
        let good = vec![
            module_doc_example(),
            json!({}),
            json!({"schedules": {}}),
            json!({"$schema": "x", "default_timezone": "UTC", "calendars": {}, "schedules": {"a": "08:00-18:00"}}),
            json!({"schedules": {"a": {"periods": [{"begin": "8:00"}, {"end": "23:59", "days": "25-L+l", "months": "Nov-Feb"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "08:00", "end": "00:00", "weekdays": "mon-thu+last-fri+2nd-tue"}], "holiday_state": "as-usual"}}}),
        ];
        let periods = json!([{"begin": "08:00"}]);
        let bad_structure = vec![
            json!([]),
            json!({"schedules": {}, "extra": 1}),
            json!({"default_timezone": 1, "schedules": {}}),
            json!({"calendars": {"2026": []}, "schedules": {}}),
            json!({"calendars": {"uk": ["26-12-25"]}, "schedules": {}}),
            json!({"calendars": {"uk": ["2026-12-25", "2026-12-25"]}, "schedules": {}}),
            json!({"schedules": {"a b": "08:00-18:00"}}),
            json!({"schedules": {"": "08:00-18:00"}}),
            json!({"schedules": {"a": 1}}),
            json!({"schedules": {"a": ""}}),
            json!({"schedules": {"a": "08:00-18:00\tUTC"}}),
            json!({"schedules": {"a": format!("08:00-18:00 {}", " ".repeat(250))}}),
            json!({"schedules": {"a": {}}}),
            json!({"schedules": {"a": {"periods": []}}}),
            json!({"schedules": {"a": {"periods": periods, "x": 1}}}),
            json!({"schedules": {"a": {"periods": [{}]}}}),
            json!({"schedules": {"a": {"periods": [{"weekdays": "mon"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "24:00"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "0800"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "08:00", "weekdays": "mon fri"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "08:00", "days": "x"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "08:00", "months": "jan-feb-mar"}]}}}),
            json!({"schedules": {"a": {"periods": periods, "holidays": ["uk", "uk"]}}}),
            json!({"schedules": {"a": {"periods": periods, "holiday_state": "off"}}}),
            json!({"schedules": {"a": {"periods": periods, "enforced": "true"}}}),
        ];
        // What only the hand-written rules can say.
        let bad_meaning = vec![
            json!({"default_timezone": "Mars/Olympus", "schedules": {}}),
            json!({"calendars": {"uk": ["2026-02-30"]}, "schedules": {}}),
            json!({"schedules": {"a": "weekdays 08:00-18:00"}}),
            json!({"schedules": {"a": {"periods": [{"begin": "08:00", "end": "08:00"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "08:00", "weekdays": "mon-fry"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "08:00", "days": "32"}]}}}),
            json!({"schedules": {"a": {"periods": [{"begin": "08:00", "months": "13"}]}}}),
            json!({"schedules": {"a": {"periods": periods, "holidays": ["nope"]}}}),
            json!({"schedules": {"a": {"periods": periods, "timezone": "Nowhere/Town"}}}),
        ];
        let v = SCHEMA.validator();
        for d in good {
            assert!(v.is_valid(&d), "schema rejects {d}");
            doc(d);
        }
        for d in bad_structure {
            assert!(!v.is_valid(&d), "schema accepts {d}");
            error(d);
        }
        for d in bad_meaning {
            assert!(
                v.is_valid(&d),
                "schema rejects {d}; move it to bad_structure"
            );
            error(d);
        }
    }

    #[test]
    fn schema_errors_name_the_path() {
        let e =
            check_schema(&json!({"schedules": {"a": {"periods": [{"begin": "8"}]}}})).unwrap_err();
        assert!(e.path.starts_with("schedules.a"), "{e}");
        let e = check_schema(&json!({"schedules": {}, "extra": 1})).unwrap_err();
        assert_eq!(e.path, "$");
        assert!(e.message.contains("extra"), "{}", e.message);
    }

    #[test]
    fn overlay_lets_the_input_win() {
        let base = doc(module_doc_example());
        let over = doc(
            json!({"calendars": {"uk-2026": []}, "schedules": {"office-hours": "sat 10:00-12:00"}}),
        );
        let both = base.overlay(&over);
        assert!(both.calendars["uk-2026"].is_empty());
        assert_eq!(both.schedules["office-hours"].zone, Zone::utc());
        assert!(both.schedules.contains_key("late-shift"));
    }
}
