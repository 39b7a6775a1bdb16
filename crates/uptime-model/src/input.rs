//! The execution input: the public contract of manual and scheduled runs
//! (`statemachine/execution-input.schema.json` states the same rules as a JSON Schema).
//!
//! Validation walks the raw JSON object by hand rather than through `serde(deny_unknown_fields)`
//! so that every error names the exact field (`accounts[2]`) and says what is wrong with it.
//! The JSON Schema is then applied as well ([`crate::schema`]), so an input the published
//! schema rejects is never run, whatever the hand-written rules say. `null` is not a value of
//! any field: leave an optional field out instead.

use crate::error::{bad, InputError};
use crate::ids::{AccountId, OuId, Region, ScheduleName};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// What a run does to the instances it selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Stop,
    Start,
    /// Per-instance schedules: each instance follows the schedule its tag names.
    Reconcile,
}

impl Action {
    /// The contract spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Stop => "stop",
            Action::Start => "start",
            Action::Reconcile => "reconcile",
        }
    }
}

/// A validated execution input. Construct it with [`RunRequest::from_json`] at the edge (the
/// CLI, the first task), which checks every rule of the contract and fills in `now`. The
/// normalised request it returns travels with every later task, which deserialises it as a
/// typed value (`now` required, unknown fields refused, ids and the schedules document parsed)
/// instead of validating the input again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleName>,
    #[serde(default)]
    pub dry_run: bool,
    /// Only these accounts (still subject to opt-in). Empty = no restriction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_accounts: Vec<AccountId>,
    /// Only accounts under these OUs (recursively). Empty = the whole organization.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organizational_units: Vec<OuId>,
    /// Only these regions. Empty = each account's configured regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
    /// The instant the run acts for; defaults to the execution start time. Always present in
    /// a normalised request: a task event without it is `InvalidInput`.
    pub now: Timestamp,
    /// `now` is a past instant on purpose (a replay): a run that changes instances is otherwise
    /// refused when its `now` is more than [`CLOCK_TOLERANCE`] from the real clock (see
    /// [`RunRequest::check_clock`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replay: bool,
    /// Reconcile: a schedules document laid over the deployed one (previews and tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedules: Option<InputSchedules>,
}

/// The `schedules` document of an execution input: parsed once, where the input is validated
/// (or the normalised request deserialised), and kept with the JSON it came from so that it
/// travels with the run unchanged.
#[derive(Debug, Clone)]
pub struct InputSchedules {
    json: Value,
    document: std::sync::Arc<uptime_schedule::ScheduleDocument>,
}

impl InputSchedules {
    /// Parses a document, naming the field at fault from `schedules` down
    /// (`schedules.schedules.office.periods`).
    pub fn parse(json: &Value) -> Result<Self, InputError> {
        let document = uptime_schedule::ScheduleDocument::from_json(json).map_err(|e| {
            let at = match e.path.as_str() {
                "$" | "" => "schedules".to_owned(),
                path => format!("schedules.{path}"),
            };
            bad(at, e.message)
        })?;
        Ok(Self {
            json: json.clone(),
            document: std::sync::Arc::new(document),
        })
    }

    /// The parsed document.
    pub fn document(&self) -> &uptime_schedule::ScheduleDocument {
        &self.document
    }

    /// The document as the input gave it.
    pub fn json(&self) -> &Value {
        &self.json
    }
}

impl PartialEq for InputSchedules {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

impl Eq for InputSchedules {}

impl Serialize for InputSchedules {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for InputSchedules {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Value::deserialize(deserializer)?;
        Self::parse(&json).map_err(serde::de::Error::custom)
    }
}

/// The largest `schedules` document an execution input may carry, as compact JSON. It travels
/// in every task's input, beside up to 240,000 bytes of account list (Step Functions allows
/// 262,144 per state).
pub const MAX_INPUT_SCHEDULES_BYTES: usize = 8_192;

/// How far a run's `now` may be from the real clock (either way) in a run that changes
/// instances, without `replay`: a few minutes for clock skew and an execution's first task
/// starting late.
pub const CLOCK_TOLERANCE: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

const FIELDS: &[&str] = &[
    "action",
    "schedule",
    "dry_run",
    "accounts",
    "exclude_accounts",
    "organizational_units",
    "regions",
    "now",
    "replay",
    "schedules",
];

impl RunRequest {
    /// Validates an execution input. `default_now` is used when the input has no `now`
    /// (the execution start time, or the clock for the CLI).
    pub fn from_json(input: &Value, default_now: Timestamp) -> Result<Self, InputError> {
        let obj = input
            .as_object()
            .ok_or_else(|| bad("$", "the execution input must be a JSON object"))?;
        if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(bad(
                unknown.clone(),
                format!("unknown field; allowed fields are {}", FIELDS.join(", ")),
            ));
        }
        let action = match obj.get("action") {
            None => return Err(bad("action", "is required (stop, start or reconcile)")),
            Some(Value::String(s)) => match s.as_str() {
                "stop" => Action::Stop,
                "start" => Action::Start,
                "reconcile" => Action::Reconcile,
                other => {
                    return Err(bad(
                        "action",
                        format!("`{other}` is not one of stop, start, reconcile"),
                    ))
                }
            },
            Some(_) => return Err(bad("action", "must be a string (stop, start or reconcile)")),
        };
        let schedule = match obj.get("schedule") {
            None => None,
            Some(Value::String(s)) => {
                Some(ScheduleName::parse(s).map_err(|e| bad("schedule", e.to_string()))?)
            }
            Some(_) => return Err(bad("schedule", "must be a string")),
        };
        let dry_run = match obj.get("dry_run") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad("dry_run", "must be true or false")),
        };
        let accounts = list(obj, "accounts", AccountId::parse)?;
        let exclude_accounts = list(obj, "exclude_accounts", AccountId::parse)?;
        let organizational_units = list(obj, "organizational_units", OuId::parse)?;
        let regions = list(obj, "regions", Region::parse)?;
        if let Some(a) = accounts.iter().find(|a| exclude_accounts.contains(a)) {
            return Err(bad(
                "exclude_accounts",
                format!("account {a} is both requested and excluded"),
            ));
        }
        let now = match obj.get("now") {
            None => default_now,
            Some(Value::String(s)) => parse_instant(s).map_err(|m| bad("now", m))?,
            Some(_) => return Err(bad("now", "must be an RFC 3339 timestamp string")),
        };
        let replay = match obj.get("replay") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad("replay", "must be true or false")),
        };
        if obj.contains_key("replay") && !obj.contains_key("now") {
            return Err(bad(
                "replay",
                "says that `now` is a past instant on purpose, so the input must give `now`",
            ));
        }
        let schedules = match obj.get("schedules") {
            None => None,
            Some(v @ Value::Object(_)) => {
                let size = v.to_string().len();
                if size > MAX_INPUT_SCHEDULES_BYTES {
                    return Err(bad(
                        "schedules",
                        format!(
                            "is {size} bytes of JSON; an execution input may carry at most \
                             {MAX_INPUT_SCHEDULES_BYTES} (it travels with every task); deploy \
                             larger documents with the Terraform variable `schedules`"
                        ),
                    ));
                }
                if action != Action::Reconcile {
                    return Err(bad(
                        "schedules",
                        "is only used by `reconcile` runs; stop and start select by `schedule`",
                    ));
                }
                Some(InputSchedules::parse(v)?)
            }
            Some(_) => return Err(bad("schedules", "must be a schedules document (an object)")),
        };
        crate::schema::check_execution_input(input)?;
        Ok(RunRequest {
            action,
            schedule,
            dry_run,
            accounts,
            exclude_accounts,
            organizational_units,
            regions,
            now,
            replay,
            schedules,
        })
    }

    /// Refuses a run that changes instances (not `dry_run`) for an instant more than
    /// [`CLOCK_TOLERANCE`] from `clock`, the real time read at the edge (the CLI, the first
    /// task): after the future it would write last-action tags dated ahead that mask every
    /// later run's decision, and in the past it would act on yesterday's schedule. A past `now`
    /// is accepted with `"replay": true`; a future one never is.
    pub fn check_clock(&self, clock: Timestamp) -> Result<(), InputError> {
        if self.dry_run {
            return Ok(());
        }
        let ahead = self.now.duration_since(clock);
        let minutes = |d: jiff::SignedDuration| d.as_secs().unsigned_abs().div_ceil(60);
        if ahead > CLOCK_TOLERANCE {
            return Err(bad(
                "now",
                format!(
                    "{} is {} minute(s) after the clock ({clock}); a run that changes instances \
                     may not act for the future (more than {} minutes ahead); preview it with \
                     \"dry_run\": true",
                    self.now,
                    minutes(ahead),
                    CLOCK_TOLERANCE.as_mins()
                ),
            ));
        }
        if -ahead > CLOCK_TOLERANCE && !self.replay {
            return Err(bad(
                "now",
                format!(
                    "{} is {} minute(s) before the clock ({clock}); a run that changes instances \
                     acts for the present (within {} minutes): leave `now` out, preview with \
                     \"dry_run\": true, or add \"replay\": true to act for that past instant \
                     on purpose",
                    self.now,
                    minutes(ahead),
                    CLOCK_TOLERANCE.as_mins()
                ),
            ));
        }
        Ok(())
    }
}

/// The largest UTC offset `now` may carry: real zones span -12:00 to +14:00, and ISO 8601
/// profiles (and most libraries) stop at ±18:00; RFC 3339's grammar would allow ±23:59, which
/// is never a real offset and most likely a typo.
const MAX_OFFSET_MINUTES: u32 = 18 * 60;

/// Parses an RFC 3339 instant (the input's `now`, the CLI's `--from`), refusing what the
/// parser would otherwise accept or rewrite silently: an offset beyond ±18:00 and a leap second
/// (`:60`, which would become `:59`).
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    let example = "such as 2026-11-24T19:00:00Z";
    let t = s
        .parse::<Timestamp>()
        .map_err(|e| format!("`{s}` is not an RFC 3339 timestamp {example} ({e})"))?;
    if s.get(16..17) == Some(":") && s.get(17..19) == Some("60") {
        return Err(format!(
            "`{s}` has second 60 (a leap second), which cannot be scheduled exactly; use :59 \
             or the next minute"
        ));
    }
    // The offset: what follows the last sign after the date.
    if let Some(at) = s.get(10..).and_then(|t| t.rfind(['+', '-'])) {
        let offset = &s[10 + at + 1..];
        let digits: String = offset.chars().filter(char::is_ascii_digit).collect();
        let hours = digits
            .get(0..2)
            .and_then(|h| h.parse::<u32>().ok())
            .unwrap_or(0);
        let mins = digits
            .get(2..4)
            .and_then(|m| m.parse::<u32>().ok())
            .unwrap_or(0);
        if hours * 60 + mins > MAX_OFFSET_MINUTES {
            return Err(format!(
                "`{s}` has the UTC offset {}{offset}, beyond ±18:00; give the instant in UTC \
                 (Z) or with its zone's real offset",
                &s[10 + at..10 + at + 1]
            ));
        }
    }
    Ok(t)
}

/// Reads an optional array of validated strings, rejecting duplicates.
fn list<T: Ord + Clone, E: std::fmt::Display>(
    obj: &Map<String, Value>,
    field: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, InputError> {
    let items = match obj.get(field) {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad(field, "must be an array of strings")),
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let s = item.as_str().ok_or_else(|| bad(&at, "must be a string"))?;
        let v = parse(s).map_err(|e| bad(&at, e.to_string()))?;
        if !seen.insert(v.clone()) {
            return Err(bad(at, format!("`{s}` is listed twice")));
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        "2026-11-24T19:00:00Z".parse().unwrap()
    }

    fn field_of(v: Value) -> String {
        RunRequest::from_json(&v, now()).unwrap_err().field
    }

    #[test]
    fn only_action_is_required() {
        let r = RunRequest::from_json(&json!({"action": "stop"}), now()).unwrap();
        assert_eq!(r.action, Action::Stop);
        assert!(
            !r.dry_run && r.accounts.is_empty() && r.regions.is_empty() && r.schedule.is_none()
        );
        assert_eq!(r.now, now());
    }

    #[test]
    fn the_full_contract_example_is_accepted() {
        let r = RunRequest::from_json(
            &json!({
                "action": "start", "schedule": "office-hours", "dry_run": true,
                "accounts": ["111111111111"], "exclude_accounts": [],
                "organizational_units": ["ou-abcd-12345678"],
                "regions": ["eu-west-1", "us-east-1"], "now": "2026-11-24T07:00:00Z"
            }),
            now(),
        )
        .unwrap();
        assert_eq!(r.action, Action::Start);
        assert_eq!(r.schedule.unwrap().as_str(), "office-hours");
        assert!(r.dry_run);
        assert_eq!(r.regions.len(), 2);
        assert_eq!(r.now.to_string(), "2026-11-24T07:00:00Z");
    }

    #[test]
    fn input_must_be_an_object() {
        assert_eq!(field_of(json!(["stop"])), "$");
    }

    #[test]
    fn missing_action_is_named() {
        assert_eq!(field_of(json!({"dry_run": true})), "action");
    }

    #[test]
    fn unknown_action_is_named() {
        assert_eq!(field_of(json!({"action": "reboot"})), "action");
        assert_eq!(field_of(json!({"action": 1})), "action");
    }

    #[test]
    fn reconcile_is_an_action() {
        let r = RunRequest::from_json(&json!({"action": "reconcile"}), now()).unwrap();
        assert_eq!(r.action, Action::Reconcile);
        assert!(r.schedules.is_none());
    }

    #[test]
    fn schedules_belong_to_reconcile_runs_only() {
        assert_eq!(
            field_of(json!({"action": "stop", "schedules": {"schedules": {}}})),
            "schedules"
        );
        assert_eq!(
            field_of(json!({"action": "reconcile", "schedules": []})),
            "schedules"
        );
    }

    #[test]
    fn an_input_schedules_document_is_bounded() {
        let calendar: Vec<String> = (0..1000)
            .map(|d| format!("2026-01-{:02}", d % 28 + 1))
            .collect();
        let e = RunRequest::from_json(
            &json!({"action": "reconcile", "schedules": {"calendars": {"big": calendar}}}),
            now(),
        )
        .unwrap_err();
        assert_eq!(e.field, "schedules");
        assert!(e.message.contains("at most 8192"), "{}", e.message);
    }

    #[test]
    fn unknown_fields_are_named() {
        let e =
            RunRequest::from_json(&json!({"action": "stop", "dryrun": true}), now()).unwrap_err();
        assert_eq!(e.field, "dryrun");
        assert!(e.message.contains("unknown field"));
    }

    #[test]
    fn malformed_account_ids_are_named_with_their_index() {
        assert_eq!(
            field_of(json!({"action": "stop", "accounts": ["111111111111", "12"]})),
            "accounts[1]"
        );
        assert_eq!(
            field_of(json!({"action": "stop", "exclude_accounts": [111111111111u64]})),
            "exclude_accounts[0]"
        );
        assert_eq!(
            field_of(json!({"action": "stop", "accounts": "111111111111"})),
            "accounts"
        );
    }

    #[test]
    fn duplicate_entries_are_rejected() {
        assert_eq!(
            field_of(json!({"action": "stop", "regions": ["eu-west-1", "eu-west-1"]})),
            "regions[1]"
        );
    }

    #[test]
    fn an_account_cannot_be_both_requested_and_excluded() {
        assert_eq!(
            field_of(
                json!({"action": "stop", "accounts": ["111111111111"], "exclude_accounts": ["111111111111"]})
            ),
            "exclude_accounts"
        );
    }

    #[test]
    fn unknown_regions_are_named() {
        assert_eq!(
            field_of(json!({"action": "stop", "regions": ["eu-west-1", "mars-north-1"]})),
            "regions[1]"
        );
    }

    #[test]
    fn malformed_ou_ids_are_named() {
        assert_eq!(
            field_of(json!({"action": "stop", "organizational_units": ["Workloads"]})),
            "organizational_units[0]"
        );
    }

    #[test]
    fn malformed_schedule_is_named() {
        assert_eq!(
            field_of(json!({"action": "stop", "schedule": ""})),
            "schedule"
        );
        assert_eq!(
            field_of(json!({"action": "stop", "schedule": 5})),
            "schedule"
        );
        assert_eq!(
            field_of(json!({"action": "stop", "schedule": "a;b"})),
            "schedule"
        );
    }

    #[test]
    fn dry_run_must_be_a_boolean() {
        assert_eq!(
            field_of(json!({"action": "stop", "dry_run": "yes"})),
            "dry_run"
        );
    }

    #[test]
    fn now_must_be_an_rfc3339_timestamp() {
        assert_eq!(
            field_of(json!({"action": "stop", "now": "tomorrow"})),
            "now"
        );
        assert_eq!(
            field_of(json!({"action": "stop", "now": 1764010800})),
            "now"
        );
        let r = RunRequest::from_json(
            &json!({"action": "stop", "now": "2026-11-24T20:00:00+01:00"}),
            now(),
        )
        .unwrap();
        assert_eq!(r.now, now());
    }

    #[test]
    fn now_refuses_offsets_beyond_18_hours_and_leap_seconds() {
        for (at, says) in [
            ("2026-11-24T19:00:00+25:59", "beyond ±18:00"),
            ("2026-11-24T19:00:00-18:01", "beyond ±18:00"),
            ("2016-12-31T23:59:60Z", "leap second"),
        ] {
            let e =
                RunRequest::from_json(&json!({"action": "stop", "now": at}), now()).unwrap_err();
            assert_eq!(e.field, "now");
            assert!(e.message.contains(says), "{at}: {}", e.message);
        }
        for ok in [
            "2026-11-24T19:00:00+18:00",
            "2026-11-24T19:00:00-12:00",
            "2026-11-24T19:00:59Z",
        ] {
            RunRequest::from_json(&json!({"action": "stop", "now": ok}), now())
                .unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    fn req(v: Value) -> RunRequest {
        RunRequest::from_json(&v, now()).unwrap()
    }

    #[test]
    fn a_run_that_changes_instances_acts_for_the_present_unless_it_says_replay() {
        let clock = now();
        let at = |mins: i64| (clock + jiff::SignedDuration::from_mins(mins)).to_string();
        // Within the tolerance either way: accepted.
        for m in [-5, 0, 5] {
            req(json!({"action": "stop", "now": at(m)}))
                .check_clock(clock)
                .unwrap();
        }
        // The past: refused unless a replay; the future: refused even then.
        let e = req(json!({"action": "stop", "now": at(-6)}))
            .check_clock(clock)
            .unwrap_err();
        assert_eq!(e.field, "now");
        assert!(e.message.contains("\"replay\": true"), "{}", e.message);
        req(json!({"action": "stop", "now": at(-6000), "replay": true}))
            .check_clock(clock)
            .unwrap();
        let e = req(json!({"action": "reconcile", "now": "2030-01-01T00:00:00Z", "replay": true}))
            .check_clock(clock)
            .unwrap_err();
        assert!(e.message.contains("future"), "{}", e.message);
        // A dry run may preview any instant.
        for m in [-6000, 6000] {
            req(json!({"action": "stop", "now": at(m), "dry_run": true}))
                .check_clock(clock)
                .unwrap();
        }
    }

    #[test]
    fn replay_needs_a_now_and_travels_with_the_request() {
        assert_eq!(
            field_of(json!({"action": "stop", "replay": true})),
            "replay"
        );
        assert_eq!(
            field_of(json!({"action": "stop", "now": "2026-11-24T19:00:00Z", "replay": 1})),
            "replay"
        );
        let r = req(json!({"action": "stop", "now": "2026-11-20T19:00:00Z", "replay": true}));
        assert!(r.replay);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["replay"], true);
        assert_eq!(RunRequest::from_json(&v, Timestamp::UNIX_EPOCH).unwrap(), r);
        let v = serde_json::to_value(req(json!({"action": "stop"}))).unwrap();
        assert!(v.get("replay").is_none(), "left out when false: {v}");
    }

    #[test]
    fn a_validated_request_round_trips_through_json() {
        let r = RunRequest::from_json(
            &json!({"action": "stop", "schedule": "s", "accounts": ["111111111111"], "regions": ["eu-west-1"]}),
            now(),
        )
        .unwrap();
        let back: RunRequest = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    /// Messages are sentences: a line continuation lost in the source shows as a run of
    /// spaces in the middle of one.
    #[test]
    fn clock_and_instant_messages_have_no_runs_of_spaces() {
        let at = |now: &str, replay: bool| {
            let mut input = json!({"action": "stop", "now": now});
            if replay {
                input["replay"] = json!(true);
            }
            RunRequest::from_json(&input, Timestamp::UNIX_EPOCH)
        };
        let clock: Timestamp = "2026-11-24T19:00:00Z".parse().unwrap();
        let messages = [
            at("2026-11-24T20:00:00Z", false)
                .unwrap()
                .check_clock(clock)
                .unwrap_err(),
            at("2026-11-24T18:00:00Z", false)
                .unwrap()
                .check_clock(clock)
                .unwrap_err(),
            at("2016-12-31T23:59:60Z", false).unwrap_err(),
            at("2026-11-24T19:00:00+25:59", false).unwrap_err(),
        ];
        for e in messages {
            assert!(!e.message.contains("  "), "{}", e.message);
        }
    }
}
