//! Strict JSON for everything that comes from outside: an execution input, a task event, a
//! schedules document.
//!
//! `serde_json` keeps the last of two equal keys in an object, other parsers keep the first,
//! and a reader of the text sees both: `{"dry_run": true, …, "dry_run": false}` would look
//! like a preview and stop instances. So a duplicate key at any depth is refused, named by its
//! JSON path (`dry_run`, `schedules.schedules.office.periods`). [`StrictValue`] records the
//! first duplicate while it is deserialised (the Lambda runtime deserialises the event before
//! the handler sees it), and [`StrictValue::into_value`] reports it; [`parse`] does both for a
//! text.
//!
//! Size is bounded too: Step Functions refuses a state input or output over
//! [`MAX_PAYLOAD_BYTES`], so nothing larger is ever a valid input, whichever way it arrives.

use crate::error::InputError;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;

/// Step Functions' limit on an execution input and on every state's input and output: 256 KiB.
pub const MAX_PAYLOAD_BYTES: usize = 262_144;

/// A JSON value as it was deserialised, with the path of the first duplicate key, if any.
/// Deserialise the untrusted payload into this type, then call [`StrictValue::into_value`].
#[derive(Debug, Clone, PartialEq)]
pub struct StrictValue {
    value: Value,
    duplicate: Option<String>,
}

impl From<Value> for StrictValue {
    /// A value built in memory has no duplicate keys (a `Map` cannot hold two).
    fn from(value: Value) -> Self {
        Self {
            value,
            duplicate: None,
        }
    }
}

impl StrictValue {
    /// The path of the first duplicate key, if the text had one.
    pub fn duplicate(&self) -> Option<&str> {
        self.duplicate.as_deref()
    }

    /// The value, unless it had a duplicate key or is larger than [`MAX_PAYLOAD_BYTES`] as
    /// compact JSON. `what` names the document in the message (`the execution input`).
    pub fn into_value(self, what: &str) -> Result<Value, InputError> {
        if let Some(path) = self.duplicate {
            return Err(duplicate_error(path, what));
        }
        let size = serde_json::to_string(&self.value).map_or(0, |t| t.len());
        check_size(size, what)?;
        Ok(self.value)
    }
}

fn duplicate_error(path: String, what: &str) -> InputError {
    InputError {
        field: path,
        message: format!(
            "appears twice in the same object of {what}; a key may be given once (JSON parsers \
             disagree on which copy wins)"
        ),
    }
}

/// Refuses a document of `size` bytes when it is over [`MAX_PAYLOAD_BYTES`].
pub fn check_size(size: usize, what: &str) -> Result<(), InputError> {
    if size > MAX_PAYLOAD_BYTES {
        return Err(InputError {
            field: "$".into(),
            message: format!(
                "{what} is {size} bytes; at most {MAX_PAYLOAD_BYTES} bytes (256 KiB, the Step \
                 Functions payload limit) are accepted"
            ),
        });
    }
    Ok(())
}

/// Parses `text` as JSON, refusing a text over [`MAX_PAYLOAD_BYTES`] (before parsing), a
/// syntax error (field `$`) and a duplicate key (field = its path).
pub fn parse(text: &str, what: &str) -> Result<Value, InputError> {
    check_size(text.len(), what)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let strict = StrictValue::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| InputError {
            field: "$".into(),
            message: format!("{what} is not JSON: {e}"),
        })?;
    strict.into_value(what)
}

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut duplicate = None;
        let value = Seed {
            path: String::new(),
            duplicate: &mut duplicate,
        }
        .deserialize(deserializer)?;
        Ok(Self { value, duplicate })
    }
}

/// Builds a `Value` at `path`, recording the first duplicate key below it.
struct Seed<'a> {
    path: String,
    duplicate: &'a mut Option<String>,
}

impl Seed<'_> {
    fn child(&mut self, step: &str) -> Seed<'_> {
        let path = if self.path.is_empty() {
            step.to_owned()
        } else if step.starts_with('[') {
            format!("{}{step}", self.path)
        } else {
            format!("{}.{step}", self.path)
        };
        Seed {
            path,
            duplicate: self.duplicate,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let step = format!("[{}]", items.len());
            match seq.next_element_seed(self.child(&step))? {
                Some(v) => items.push(v),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self.child(&key))?;
            if object.contains_key(&key) {
                if self.duplicate.is_none() {
                    let path = self.child(&key).path;
                    *self.duplicate = Some(path);
                }
            } else {
                object.insert(key, value);
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dup(text: &str) -> String {
        let e = parse(text, "the execution input").unwrap_err();
        assert!(e.message.contains("appears twice"), "{}", e.message);
        e.field
    }

    #[test]
    fn a_duplicate_key_is_refused_naming_its_path() {
        assert_eq!(
            dup(
                r#"{"dry_run": true, "action": "stop", "accounts": ["111111111111"], "dry_run": false}"#
            ),
            "dry_run"
        );
        assert_eq!(
            dup(
                r#"{"action": "reconcile", "schedules": {"schedules": {"office": {"periods": [], "periods": []}}}}"#
            ),
            "schedules.schedules.office.periods"
        );
        assert_eq!(dup(r#"[{"a": 1}, {"b": {"c": 1, "c": 2}}]"#), "[1].b.c");
    }

    #[test]
    fn the_first_duplicate_is_the_one_named() {
        assert_eq!(dup(r#"{"a": {"x": 1, "x": 2}, "b": 1, "b": 2}"#), "a.x");
    }

    #[test]
    fn equal_keys_in_different_objects_are_not_duplicates() {
        let v = parse(
            r#"{"a": {"x": 1}, "b": {"x": [1, 2.5, null, true, "s"]}}"#,
            "x",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": {"x": 1}, "b": {"x": [1, 2.5, null, true, "s"]}})
        );
    }

    #[test]
    fn a_strict_value_records_the_duplicate_during_deserialisation() {
        let s: StrictValue =
            serde_json::from_str(r#"{"input": {"accounts": [], "accounts": []}}"#).unwrap();
        assert_eq!(s.duplicate(), Some("input.accounts"));
        let e = s.into_value("the list-accounts event").unwrap_err();
        assert_eq!(e.field, "input.accounts");
        let s: StrictValue = serde_json::from_slice(br#"{"a": 1}"#).unwrap();
        assert_eq!(s.into_value("x").unwrap(), json!({"a": 1}));
    }

    #[test]
    fn a_document_over_256_kib_is_refused_before_parsing() {
        let big = format!(
            "{{\"action\": \"stop\", \"pad\": \"{}\"}}",
            "x".repeat(300_000)
        );
        let e = parse(&big, "the execution input").unwrap_err();
        assert_eq!(e.field, "$");
        assert!(e.message.contains("262144"), "{}", e.message);
        // Not even JSON: still the size that is reported, so nothing was parsed.
        let e = parse(&"{".repeat(MAX_PAYLOAD_BYTES + 1), "x").unwrap_err();
        assert!(e.message.contains("262144"), "{}", e.message);
        let e = StrictValue::from(json!({"pad": "x".repeat(300_000)}))
            .into_value("the event")
            .unwrap_err();
        assert!(e.message.contains("262144"), "{}", e.message);
    }

    #[test]
    fn syntax_errors_and_trailing_text_are_refused() {
        assert!(parse("{", "x").unwrap_err().message.contains("not JSON"));
        assert!(parse("{} {}", "x")
            .unwrap_err()
            .message
            .contains("not JSON"));
    }
}
