//! A JSON Schema that is part of the code (`include_str!`), compiled once, whose first violation
//! names the JSON path at fault the way the hand-written checks do (`schedules.a.periods[0]`,
//! `$` for the whole value).
//!
//! The schedules document ([`crate::document`]) and the execution input (`uptime-model`, which
//! depends on this crate) both check a value by hand first and by their published schema after;
//! this is the one place that turns a schema violation into a path and a message.

use jsonschema::paths::LocationSegment;
use jsonschema::Validator;
use serde_json::Value;
use std::fmt;
use std::sync::OnceLock;

/// A schema bundled with the code, compiled on first use.
pub struct BundledSchema {
    /// What the schema describes, in messages: `schedules document`, `execution input`.
    what: &'static str,
    text: &'static str,
    validator: OnceLock<Validator>,
}

/// The first way a value fails a [`BundledSchema`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// The JSON path at fault: `a.b[2].c`, or `$` for the whole value.
    pub path: String,
    /// `does not match the <what> schema: <the validator's message>`.
    pub message: String,
}

impl BundledSchema {
    /// `text` is the schema; `what` names what it describes in messages.
    pub const fn new(what: &'static str, text: &'static str) -> Self {
        Self {
            what,
            text,
            validator: OnceLock::new(),
        }
    }

    /// The compiled schema.
    ///
    /// # Panics
    ///
    /// When the bundled text is not a valid schema: a build defect, which the tests of each
    /// schema catch (they compile it).
    pub fn validator(&self) -> &Validator {
        self.validator.get_or_init(|| {
            let what = self.what;
            let schema: Value = serde_json::from_str(self.text)
                .unwrap_or_else(|e| panic!("the bundled {what} schema is not JSON: {e}"));
            jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("the bundled {what} schema is invalid: {e}"))
        })
    }

    /// Checks `value` against the schema, naming the path of its first violation.
    pub fn check(&self, value: &Value) -> Result<(), SchemaViolation> {
        let Some(error) = self.validator().iter_errors(value).next() else {
            return Ok(());
        };
        let mut path = String::new();
        for segment in error.instance_path().iter() {
            match segment {
                LocationSegment::Property(name) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&name);
                }
                LocationSegment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        if path.is_empty() {
            path.push('$');
        }
        Err(SchemaViolation {
            path,
            message: format!("does not match the {} schema: {error}", self.what),
        })
    }
}

impl fmt::Debug for BundledSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundledSchema")
            .field("what", &self.what)
            .field("compiled", &self.validator.get().is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static LIST: BundledSchema = BundledSchema::new(
        "test list",
        r#"{
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}
                }}}
            }
        }"#,
    );

    #[test]
    fn a_valid_value_passes() {
        assert_eq!(LIST.check(&json!({"items": [{"name": "a"}]})), Ok(()));
    }

    #[test]
    fn a_violation_is_named_by_its_path_with_dots_and_indices() {
        let v = LIST
            .check(&json!({"items": [{"name": "a"}, {"name": 1}]}))
            .unwrap_err();
        assert_eq!(v.path, "items[1].name");
        assert!(
            v.message
                .starts_with("does not match the test list schema: "),
            "{}",
            v.message
        );
    }

    #[test]
    fn a_violation_of_the_whole_value_is_named_dollar() {
        let v = LIST.check(&json!({"extra": 1})).unwrap_err();
        assert_eq!(v.path, "$");
        assert!(v.message.contains("extra"), "{}", v.message);
        let v = LIST.check(&json!([])).unwrap_err();
        assert_eq!(v.path, "$");
    }

    #[test]
    #[should_panic(expected = "the bundled broken schema is not JSON")]
    fn a_bundled_text_that_is_not_json_is_a_build_defect() {
        BundledSchema::new("broken", "{").validator();
    }
}
