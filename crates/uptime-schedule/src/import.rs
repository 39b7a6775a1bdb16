//! Import from AWS Instance Scheduler: its periods and schedules become a schedules document
//! that gives the same states, with a list, per schedule, of what could not be carried over.
//! `uptime-scheduler schedule import` prints the document; `docs/migrating-from-instance-scheduler.md`
//! is the user guide.
//!
//! # Input
//!
//! Instance Scheduler keeps its configuration in a DynamoDB table (items with a `type` of
//! `period`, `schedule` or `config`, and a `name`). Accepted, in one JSON value or several
//! (one per input file, merged):
//!
//! - what its CLI prints: `scheduler-cli describe-periods` (`{"Periods": [...]}`) and
//!   `describe-schedules` (`{"Schedules": [...]}`), keys in either case;
//! - the table itself, as `aws dynamodb scan` prints it (`{"Items": [...]}`) or as a DynamoDB
//!   export to S3 writes it (one `{"Item": {...}}` per line), with DynamoDB's typed values
//!   (`{"S": "09:00"}`, `{"SS": ["mon-fri"]}`, `{"BOOL": true}`); the `config` item supplies the
//!   default time zone.
//!
//! # Mapping
//!
//! | Instance Scheduler | here |
//! | --- | --- |
//! | period `begintime` + `endtime` | a window (`begin`, `end`) |
//! | only `begintime` / only `endtime` | a start-only / stop-only period |
//! | neither | `"all_day": true` |
//! | `weekdays` `mon-fri`, `0-4`, `sat#1`, `friL`, `mon-fri/2` | `mon-fri`, `mon-fri`, `1st-sat`, `last-fri`, `mon-fri/2` |
//! | `monthdays` `1-7`, `L`, `15W`, `1-31/2` | `days` with the same items |
//! | `months` `jan-mar`, `1-3`, `jan/3` | `months` with the same items |
//! | `*` or `?` in a set | the rule is left out (every day) |
//! | schedule `timezone` | `timezone` (default: the `config` item's `default_timezone`, else the import's default) |
//! | `enforced`, `retain_running`, `hibernate`, `stop_new_instances` | the same options |
//! | `override_status` (`running`/`stopped`), or the older `override` | `override_status` |
//! | `use_maintenance_window`, `ssm_maintenance_window` | not carried over (listed) |
//! | a period with an instance type (`office-hours@t3.large`) | the period without the resize (listed) |
//! | `description`, `configured_in_stack`, `metrics` | dropped (no behaviour) |
//!
//! A period whose begin equals its end (it never runs in Instance Scheduler), a set item that
//! cannot be read, or a schedule name that cannot be a tag-value name here (a space or `:`
//! makes a tag value an inline expression) is listed and left out.

use crate::document::ScheduleDocument;
use crate::grammar::parse_time;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A schedules document made from Instance Scheduler's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The schedules document (valid: [`ScheduleDocument::from_json`] accepts it).
    pub document: Value,
    /// Per Instance Scheduler schedule name: what was not carried over, for people.
    pub not_carried_over: BTreeMap<String, Vec<String>>,
}

/// Input that is not an Instance Scheduler configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ImportError(pub String);

#[derive(Debug, Default)]
struct Config {
    periods: BTreeMap<String, Map<String, Value>>,
    schedules: BTreeMap<String, Map<String, Value>>,
    default_timezone: Option<String>,
}

/// Converts Instance Scheduler configurations (see the module documentation) into one
/// schedules document. `default_timezone` is used when neither a schedule nor the `config`
/// item names a zone.
pub fn import_instance_scheduler(
    inputs: &[Value],
    default_timezone: &str,
) -> Result<Imported, ImportError> {
    let mut config = Config::default();
    for input in inputs {
        collect(input, &mut config)?;
    }
    if config.schedules.is_empty() {
        return Err(ImportError(
            "no Instance Scheduler schedules found; give the output of `scheduler-cli \
             describe-schedules` and `describe-periods`, or a scan or export of its config table"
                .into(),
        ));
    }
    let zone = config
        .default_timezone
        .clone()
        .unwrap_or_else(|| default_timezone.to_owned());
    let mut schedules = Map::new();
    let mut not_carried_over: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, fields) in &config.schedules {
        let mut notes = Vec::new();
        match schedule(name, fields, &config.periods, &mut notes) {
            Some(object) => {
                // Each schedule must stand on its own in the document: check it alone, so
                // that one bad schedule is listed rather than failing the whole import.
                let alone = json!({"default_timezone": zone, "schedules": {name: object}});
                match ScheduleDocument::from_json(&alone) {
                    Ok(_) => {
                        schedules.insert(name.clone(), object);
                    }
                    Err(e) => notes.push(format!("left out: {e}")),
                }
            }
            None => notes.push("left out: nothing of it could be carried over".into()),
        }
        if !notes.is_empty() {
            not_carried_over.insert(name.clone(), notes);
        }
    }
    let document = json!({"default_timezone": zone, "schedules": schedules});
    ScheduleDocument::from_json(&document).map_err(|e| ImportError(e.to_string()))?;
    Ok(Imported {
        document,
        not_carried_over,
    })
}

/// Gathers periods, schedules and the default zone from one input value.
fn collect(input: &Value, config: &mut Config) -> Result<(), ImportError> {
    let Some(obj) = input.as_object() else {
        if let Some(items) = input.as_array() {
            for item in items {
                collect(item, config)?;
            }
            return Ok(());
        }
        return Err(ImportError(
            "expected a JSON object: Instance Scheduler's `{\"Periods\": …}`, \
             `{\"Schedules\": …}`, `{\"Items\": …}` or `{\"Item\": …}`"
                .into(),
        ));
    };
    let get = |key: &str| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    };
    let mut found = false;
    for (key, kind) in [("periods", "period"), ("schedules", "schedule")] {
        if let Some(list) = get(key).and_then(Value::as_array) {
            found = true;
            for item in list {
                add(untyped(item), Some(kind), config)?;
            }
        }
    }
    for key in ["items", "item"] {
        match get(key) {
            Some(Value::Array(items)) => {
                found = true;
                for item in items {
                    add(untyped(item), None, config)?;
                }
            }
            Some(item @ Value::Object(_)) => {
                found = true;
                add(untyped(item), None, config)?;
            }
            _ => {}
        }
    }
    // A bare item, as in a file of items.
    if !found && get("type").is_some() && get("name").is_some() {
        add(untyped(input), None, config)?;
        found = true;
    }
    if found {
        Ok(())
    } else {
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        Err(ImportError(format!(
            "not an Instance Scheduler configuration (keys: {}); expected Periods, Schedules, \
             Items or Item",
            keys.join(", ")
        )))
    }
}

/// One period, schedule or config item (plain values).
fn add(item: Value, kind: Option<&str>, config: &mut Config) -> Result<(), ImportError> {
    let Value::Object(fields) = item else {
        return Err(ImportError("an item is not a JSON object".into()));
    };
    let fields: Map<String, Value> = fields.into_iter().map(|(k, v)| (snake(&k), v)).collect();
    let field = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
    let kind = field("type")
        .or(kind.map(str::to_owned))
        .unwrap_or_default();
    match kind.as_str() {
        "config" => {
            if let Some(zone) = field("default_timezone") {
                config.default_timezone = Some(zone);
            }
            Ok(())
        }
        "period" | "schedule" => {
            let Some(name) = field("name") else {
                return Err(ImportError(format!("a {kind} item has no name")));
            };
            let target = if kind == "period" {
                &mut config.periods
            } else {
                &mut config.schedules
            };
            target.insert(name, fields);
            Ok(())
        }
        // Other item types of the table (state rows of older versions, …) are not
        // configuration.
        _ => Ok(()),
    }
}

/// A field name as the table spells it: `StopNewInstances` and `Begintime` (as some CLI
/// versions print them) are `stop_new_instances` and `begintime`.
fn snake(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// DynamoDB's typed JSON (`{"S": …}`, `{"SS": […]}`, `{"BOOL": …}`, `{"N": …}`, `{"L": …}`,
/// `{"M": …}`, `{"NULL": true}`) as plain JSON; plain JSON is left as it is.
fn untyped(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let (k, inner) = m
                .iter()
                .next()
                .map(|(k, v)| (k.as_str(), v))
                .unwrap_or(("", v));
            match (k, inner) {
                ("S", Value::String(_)) | ("BOOL", Value::Bool(_)) => inner.clone(),
                ("N", Value::String(s)) => s.parse::<f64>().map_or(Value::Null, |n| json!(n)),
                ("NULL", _) => Value::Null,
                ("SS" | "NS", Value::Array(items)) => Value::Array(items.clone()),
                ("L", Value::Array(items)) => Value::Array(items.iter().map(untyped).collect()),
                ("M", Value::Object(fields)) => Value::Object(
                    fields
                        .iter()
                        .map(|(k, v)| (k.clone(), untyped(v)))
                        .collect(),
                ),
                _ => Value::Object(m.iter().map(|(k, v)| (k.clone(), untyped(v))).collect()),
            }
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), untyped(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(untyped).collect()),
        other => other.clone(),
    }
}

/// A set field (`weekdays`, `monthdays`, `months`, `periods`) as its items: a list, a set, or
/// a comma-separated string.
fn items(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn flag(v: Option<&Value>) -> Option<bool> {
    match v {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// One schedule object, or `None` when nothing of it can be carried over.
fn schedule(
    name: &str,
    fields: &Map<String, Value>,
    periods: &BTreeMap<String, Map<String, Value>>,
    notes: &mut Vec<String>,
) -> Option<Value> {
    if name.contains(' ') || name.contains(':') {
        notes.push(format!(
            "the name `{name}` cannot be a schedule name here: a tag value with a space or `:` \
             is read as an inline expression; give the instances a new name"
        ));
        return None;
    }
    let mut out = Map::new();
    let mut converted = Vec::new();
    for reference in items(fields.get("periods")) {
        let (period_name, instance_type) = match reference.split_once('@') {
            Some((p, t)) => (p.to_owned(), Some(t.to_owned())),
            None => (reference.clone(), None),
        };
        if let Some(t) = instance_type {
            notes.push(format!(
                "period `{reference}`: instance type resizing (to {t}) is not carried over; the \
                 period's times are"
            ));
        }
        let Some(p) = periods.get(&period_name) else {
            notes.push(format!(
                "period `{period_name}` is not in the configuration"
            ));
            continue;
        };
        match period(p) {
            Ok(object) => converted.push(object),
            Err(why) => notes.push(format!("period `{period_name}` left out: {why}")),
        }
    }
    let override_status = match fields.get("override_status").and_then(Value::as_str) {
        Some(s @ ("running" | "stopped")) => Some(s.to_owned()),
        Some(other) => {
            notes.push(format!(
                "override_status `{other}` is not running or stopped"
            ));
            None
        }
        // The older boolean `override`: true = running, false = stopped.
        None => {
            flag(fields.get("override")).map(|b| if b { "running" } else { "stopped" }.to_owned())
        }
    };
    if converted.is_empty() {
        // Instance Scheduler allows an override without periods; the document needs one.
        override_status.as_ref()?;
        converted.push(json!({"all_day": true}));
    }
    if let Some(zone) = fields.get("timezone").and_then(Value::as_str) {
        out.insert("timezone".into(), json!(zone));
    }
    out.insert("periods".into(), Value::Array(converted));
    for key in [
        "enforced",
        "retain_running",
        "hibernate",
        "stop_new_instances",
    ] {
        if let Some(b) = flag(fields.get(key)) {
            out.insert(key.into(), json!(b));
        }
    }
    if let Some(s) = override_status {
        out.insert("override_status".into(), json!(s));
    }
    if flag(fields.get("use_maintenance_window")) == Some(true)
        || !items(fields.get("ssm_maintenance_window")).is_empty()
    {
        let windows = items(fields.get("ssm_maintenance_window"));
        notes.push(format!(
            "SSM maintenance windows{} are not carried over: instances will not be started for \
             them",
            if windows.is_empty() {
                String::new()
            } else {
                format!(" ({})", windows.join(", "))
            }
        ));
    }
    Some(Value::Object(out))
}

/// One period object, or why it cannot be carried over.
fn period(fields: &Map<String, Value>) -> Result<Value, String> {
    let time = |key: &str| -> Result<Option<String>, String> {
        match fields
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(s) => {
                let t = parse_time(s)?;
                Ok(Some(format!("{:02}:{:02}", t.hour(), t.minute())))
            }
        }
    };
    let (begin, end) = (time("begintime")?, time("endtime")?);
    let mut out = Map::new();
    match (begin, end) {
        (Some(b), Some(e)) if b == e => {
            return Err(format!(
                "begintime and endtime are both {b}: it never runs in Instance Scheduler"
            ))
        }
        (None, None) => {
            out.insert("all_day".into(), json!(true));
        }
        (b, e) => {
            if let Some(b) = b {
                out.insert("begin".into(), json!(b));
            }
            if let Some(e) = e {
                out.insert("end".into(), json!(e));
            }
        }
    }
    if let Some(w) = set(fields.get("weekdays"), weekday_item)? {
        out.insert("weekdays".into(), json!(w));
    }
    if let Some(d) = set(fields.get("monthdays"), monthday_item)? {
        out.insert("days".into(), json!(d));
    }
    if let Some(m) = set(fields.get("months"), month_item)? {
        out.insert("months".into(), json!(m));
    }
    Ok(Value::Object(out))
}

/// A set's items translated and joined with `+`; `None` when absent or a wildcard (`*`, `?`).
fn set(
    v: Option<&Value>,
    translate: fn(&str) -> Result<String, String>,
) -> Result<Option<String>, String> {
    let list = items(v);
    if list.is_empty() || list.iter().any(|i| i == "*" || i == "?") {
        return Ok(None);
    }
    let out = list
        .iter()
        .map(|i| translate(i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(out.join("+")))
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `mon`, `Monday`, `0` (Monday) … `6` as `mon` … `sun`.
fn day_name(s: &str) -> Result<&'static str, String> {
    let lower = s.to_ascii_lowercase();
    if let Ok(n) = lower.parse::<usize>() {
        return DAYS
            .get(n)
            .copied()
            .ok_or_else(|| format!("`{s}` is not a weekday (0 to 6, Monday is 0)"));
    }
    DAYS.iter()
        .find(|d| lower.len() >= 3 && lower.starts_with(*d))
        .copied()
        .ok_or_else(|| format!("`{s}` is not a weekday"))
}

/// One `weekdays` item of Instance Scheduler in this grammar.
fn weekday_item(item: &str) -> Result<String, String> {
    if let Some((day, n)) = item.split_once('#') {
        let n: u8 = n
            .parse()
            .ok()
            .filter(|n| (1..=5).contains(n))
            .ok_or_else(|| format!("`{item}`: the occurrence after # is 1 to 5"))?;
        let suffix = ["st", "nd", "rd", "th", "th"][usize::from(n - 1)];
        return Ok(format!("{n}{suffix}-{}", day_name(day)?));
    }
    if let Some(day) = item.strip_suffix(['L', 'l']).filter(|d| !d.is_empty()) {
        if day_name(day).is_ok() {
            return Ok(format!("last-{}", day_name(day)?));
        }
    }
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (item, None),
    };
    // A range of one day (`thu-thu`) is that day here.
    let range = match range.split_once('-') {
        Some((a, b)) if day_name(a)? == day_name(b)? => day_name(a)?.to_owned(),
        Some((a, b)) => format!("{}-{}", day_name(a)?, day_name(b)?),
        None => day_name(range)?.to_owned(),
    };
    Ok(match step {
        Some(s) => format!("{range}/{s}"),
        None => range,
    })
}

/// One `monthdays` item: the grammar of `days=` is Instance Scheduler's for these, except
/// that a range of one day (`5-5`) is written as the day.
fn monthday_item(item: &str) -> Result<String, String> {
    let item = match item.split_once('-') {
        Some((a, b)) if a == b => a,
        _ => item,
    };
    let parsed = crate::grammar::parse_month_days(item)?;
    if parsed.is_empty() {
        return Err(format!("`{item}` is not a day of the month"));
    }
    Ok(item.to_owned())
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_name(s: &str) -> Result<String, String> {
    let lower = s.to_ascii_lowercase();
    if lower.parse::<u32>().is_ok_and(|n| (1..=12).contains(&n)) {
        return Ok(lower);
    }
    MONTHS
        .iter()
        .find(|m| lower.len() >= 3 && lower.starts_with(*m))
        .map(|m| (*m).to_owned())
        .ok_or_else(|| format!("`{s}` is not a month"))
}

/// One `months` item.
fn month_item(item: &str) -> Result<String, String> {
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (item, None),
    };
    let range = match range.split_once('-') {
        Some((a, b)) if month_name(a)? == month_name(b)? => month_name(a)?,
        Some((a, b)) => format!("{}-{}", month_name(a)?, month_name(b)?),
        None => month_name(range)?,
    };
    let out = match step {
        Some(s) => format!("{range}/{s}"),
        None => range,
    };
    crate::grammar::parse_months(&out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Instance Scheduler's documented sample configuration, as its CLI describes it.
    fn cli_output() -> Vec<Value> {
        vec![
            json!({"Periods": [
                {"Type": "period", "Name": "office-hours", "Begintime": "9:00", "Endtime": "17:00", "Weekdays": ["mon-fri"]},
                {"type": "period", "name": "first-monday", "begintime": "09:00", "endtime": "17:00", "weekdays": ["mon#1"]},
                {"type": "period", "name": "weekends", "weekdays": ["sat-sun"]},
                {"type": "period", "name": "night-shift", "begintime": "22:00", "endtime": "23:59"},
                {"type": "period", "name": "early", "begintime": "00:00", "endtime": "07:00"},
                {"type": "period", "name": "start-only", "begintime": "07:00", "weekdays": ["0-4"]},
                {"type": "period", "name": "month-end", "begintime": "08:00", "endtime": "20:00", "monthdays": ["L"], "months": ["Jan/3"]},
                {"type": "period", "name": "never", "begintime": "10:00", "endtime": "10:00"}
            ]}),
            json!({"Schedules": [
                {"type": "schedule", "name": "seattle-office-hours", "timezone": "US/Pacific", "periods": ["office-hours"], "stop_new_instances": true},
                {"type": "schedule", "name": "uk-nights", "timezone": "Europe/London", "periods": ["night-shift", "early"], "enforced": true},
                {"type": "schedule", "name": "resize", "periods": ["office-hours@t3.large", "weekends"], "use_maintenance_window": true, "ssm_maintenance_window": ["patching"]},
                {"type": "schedule", "name": "frozen", "override_status": "stopped"},
                {"type": "schedule", "name": "mixed", "periods": ["first-monday", "start-only", "month-end", "never"], "retain_running": "true", "hibernate": false},
                {"type": "schedule", "name": "has space", "periods": ["office-hours"]}
            ]}),
        ]
    }

    #[test]
    fn the_cli_output_becomes_a_valid_document_with_what_was_left_listed() {
        let got = import_instance_scheduler(&cli_output(), "UTC").unwrap();
        let doc = ScheduleDocument::from_json(&got.document).unwrap();
        let s = |name: &str| &got.document["schedules"][name];
        assert_eq!(
            s("seattle-office-hours"),
            &json!({"timezone": "US/Pacific", "periods": [{"begin": "09:00", "end": "17:00", "weekdays": "mon-fri"}], "stop_new_instances": true})
        );
        assert_eq!(
            s("uk-nights")["periods"],
            json!([{"begin": "22:00", "end": "23:59"}, {"begin": "00:00", "end": "07:00"}])
        );
        assert!(doc.schedules["uk-nights"].options.enforced);
        assert_eq!(
            s("resize")["periods"][1],
            json!({"all_day": true, "weekdays": "sat-sun"})
        );
        assert_eq!(s("frozen")["override_status"], "stopped");
        assert_eq!(
            s("mixed")["periods"],
            json!([
                {"begin": "09:00", "end": "17:00", "weekdays": "1st-mon"},
                {"begin": "07:00", "weekdays": "mon-fri"},
                {"begin": "08:00", "end": "20:00", "days": "L", "months": "jan/3"}
            ])
        );
        assert_eq!(s("mixed")["retain_running"], true);
        assert!(got.document["schedules"].get("has space").is_none());
        let notes = &got.not_carried_over;
        assert!(notes["resize"]
            .iter()
            .any(|n| n.contains("instance type resizing (to t3.large)")));
        assert!(notes["resize"]
            .iter()
            .any(|n| n.contains("SSM maintenance windows (patching)")));
        assert!(notes["mixed"]
            .iter()
            .any(|n| n.contains("`never` left out") && n.contains("never runs")));
        assert!(notes["has space"]
            .iter()
            .any(|n| n.contains("inline expression")));
        assert!(!notes.contains_key("seattle-office-hours"));
    }

    #[test]
    fn a_dynamodb_scan_and_an_export_give_the_same_document_as_the_cli_output() {
        let scan = json!({"Items": [
            {"type": {"S": "config"}, "name": {"S": "scheduler"}, "default_timezone": {"S": "Europe/Berlin"}},
            {"type": {"S": "period"}, "name": {"S": "office-hours"}, "begintime": {"S": "09:00"}, "endtime": {"S": "17:00"}, "weekdays": {"SS": ["mon-fri"]}},
            {"type": {"S": "schedule"}, "name": {"S": "office"}, "periods": {"SS": ["office-hours"]}, "enforced": {"BOOL": true}}
        ], "Count": 3});
        let got = import_instance_scheduler(std::slice::from_ref(&scan), "UTC").unwrap();
        assert_eq!(got.document["default_timezone"], "Europe/Berlin");
        assert_eq!(
            got.document["schedules"]["office"],
            json!({"periods": [{"begin": "09:00", "end": "17:00", "weekdays": "mon-fri"}], "enforced": true})
        );
        // An S3 export: one {"Item": …} per line.
        let lines: Vec<Value> = scan["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| json!({"Item": item}))
            .collect();
        assert_eq!(import_instance_scheduler(&lines, "UTC").unwrap(), got);
    }

    #[test]
    fn weekday_items_translate_to_this_grammar() {
        for (is, here) in [
            ("mon-fri", "mon-fri"),
            ("Monday-Friday", "mon-fri"),
            ("0-4", "mon-fri"),
            ("6", "sun"),
            ("sat#1", "1st-sat"),
            ("tue#3", "3rd-tue"),
            ("friL", "last-fri"),
            ("mon-fri/2", "mon-fri/2"),
            ("fri-mon", "fri-mon"),
            ("thu-thu", "thu"),
        ] {
            assert_eq!(weekday_item(is).as_deref(), Ok(here), "{is}");
        }
        assert!(weekday_item("funday").is_err());
        assert!(weekday_item("mon#6").is_err());
    }

    #[test]
    fn input_that_is_not_a_configuration_says_what_is_expected() {
        let e = import_instance_scheduler(&[json!({"foo": 1})], "UTC").unwrap_err();
        assert!(
            e.0.contains("expected Periods, Schedules, Items or Item"),
            "{e}"
        );
        let e = import_instance_scheduler(&[json!({"Periods": []})], "UTC").unwrap_err();
        assert!(e.0.contains("no Instance Scheduler schedules found"), "{e}");
    }
}
