//! The execution input's JSON Schema (`statemachine/execution-input.schema.json`), compiled once
//! and applied by [`crate::RunRequest::from_json`] after its own field-by-field checks.
//!
//! The hand-written checks give the precise messages; the schema is the published contract
//! (docs, editors, other tools). Applying both means the two cannot silently disagree in the
//! permissive direction, and the tests below walk a corpus through both.

use crate::error::{bad, InputError};
use serde_json::Value;
use uptime_schedule::json_schema::BundledSchema;

/// The schema text, as published in the repository.
pub const EXECUTION_INPUT_SCHEMA: &str =
    include_str!("../../../statemachine/execution-input.schema.json");

/// The published schema ([`EXECUTION_INPUT_SCHEMA`]), compiled on first use.
static SCHEMA: BundledSchema = BundledSchema::new("execution input", EXECUTION_INPUT_SCHEMA);

/// Checks `input` against the schema; the error names the field (`accounts[1]`, or `$` for the
/// whole object) like the hand-written checks do.
pub fn check_execution_input(input: &Value) -> Result<(), InputError> {
    SCHEMA.check(input).map_err(|v| bad(v.path, v.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::KNOWN_REGIONS;
    use crate::RunRequest;
    use jiff::Timestamp;
    use serde_json::json;

    fn schema() -> Value {
        serde_json::from_str(EXECUTION_INPUT_SCHEMA).unwrap()
    }

    #[test]
    fn the_schema_lists_exactly_the_known_regions() {
        let listed: Vec<String> = schema()["properties"]["regions"]["items"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed, KNOWN_REGIONS);
    }

    #[test]
    fn the_schema_examples_are_valid_inputs() {
        for example in schema()["examples"].as_array().unwrap() {
            RunRequest::from_json(example, Timestamp::UNIX_EPOCH)
                .unwrap_or_else(|e| panic!("{example}: {e}"));
        }
    }

    /// Every input of the corpus gets the same verdict from the schema alone and from the
    /// hand-written rules (except the rule a schema cannot state, checked separately).
    #[test]
    fn schema_and_hand_written_rules_agree() {
        let good = [
            json!({"action": "stop"}),
            json!({"action": "start", "schedule": "office-hours", "dry_run": true}),
            json!({"action": "stop", "schedule": "büro zeiten:eu/1"}),
            json!({"action": "stop", "accounts": ["111111111111"], "exclude_accounts": ["222222222222"]}),
            json!({"action": "stop", "organizational_units": ["ou-ab12-abcdefgh", "r-ab12"]}),
            json!({"action": "stop", "regions": ["eu-west-1", "us-gov-west-1"], "now": "2026-11-24T19:00:00Z"}),
            json!({"action": "stop", "now": "2026-11-24T19:00:00.123+01:00"}),
            json!({"action": "stop", "accounts": []}),
            json!({"action": "reconcile"}),
            json!({"action": "reconcile", "schedules": {"schedules": {}}, "dry_run": true}),
            json!({"action": "stop", "now": "2026-11-24T19:00:59+18:00", "replay": true}),
            json!({"action": "stop", "now": "2026-11-24T19:00:00-17:59", "replay": false}),
        ];
        let bad = [
            json!("stop"),
            json!([]),
            json!({}),
            json!({"action": "reboot"}),
            json!({"action": 1}),
            json!({"action": "stop", "schedules": {}}),
            json!({"action": "reconcile", "schedules": []}),
            json!({"action": "reconcile", "schedules": null}),
            json!({"action": "stop", "extra": 1}),
            json!({"action": "stop", "schedule": ""}),
            json!({"action": "stop", "schedule": " office"}),
            json!({"action": "stop", "schedule": "office!"}),
            json!({"action": "stop", "schedule": "x".repeat(257)}),
            json!({"action": "stop", "schedule": null}),
            json!({"action": "stop", "dry_run": "yes"}),
            json!({"action": "stop", "dry_run": null}),
            json!({"action": "stop", "accounts": ["1"]}),
            json!({"action": "stop", "accounts": "111111111111"}),
            json!({"action": "stop", "accounts": ["111111111111", "111111111111"]}),
            json!({"action": "stop", "accounts": [111111111111u64]}),
            json!({"action": "stop", "exclude_accounts": ["abc"]}),
            json!({"action": "stop", "organizational_units": ["ou-1"]}),
            json!({"action": "stop", "regions": ["eu-west-9"]}),
            json!({"action": "stop", "regions": ["eu-west-1", "eu-west-1"]}),
            json!({"action": "stop", "regions": null}),
            json!({"action": "stop", "now": "yesterday"}),
            json!({"action": "stop", "now": 1764010800}),
            json!({"action": "stop", "now": "2026-11-24 19:00:00"}),
            json!({"action": "stop", "now": "2026-11-24T19:00:00+18:01"}),
            json!({"action": "stop", "now": "2026-11-24T19:00:00-25:59"}),
            json!({"action": "stop", "now": "2026-12-31T23:59:60Z"}),
            json!({"action": "stop", "replay": true}),
            json!({"action": "stop", "now": "2026-11-24T19:00:00Z", "replay": "yes"}),
        ];
        let v = SCHEMA.validator();
        for input in good {
            assert!(v.is_valid(&input), "schema rejects {input}");
            RunRequest::from_json(&input, Timestamp::UNIX_EPOCH)
                .unwrap_or_else(|e| panic!("rules reject {input}: {e}"));
        }
        for input in bad {
            assert!(!v.is_valid(&input), "schema accepts {input}");
            assert!(
                RunRequest::from_json(&input, Timestamp::UNIX_EPOCH).is_err(),
                "rules accept {input}"
            );
        }
        // What only the hand-written rules can say.
        let both = json!({"action": "stop", "accounts": ["111111111111"], "exclude_accounts": ["111111111111"]});
        assert!(v.is_valid(&both));
        assert_eq!(
            RunRequest::from_json(&both, Timestamp::UNIX_EPOCH)
                .unwrap_err()
                .field,
            "exclude_accounts"
        );
    }

    #[test]
    fn schema_errors_name_the_field() {
        let e =
            check_execution_input(&json!({"action": "stop", "accounts": ["111111111111", "1"]}))
                .unwrap_err();
        assert_eq!(e.field, "accounts[1]");
        let e = check_execution_input(&json!({"action": "stop", "extra": 1})).unwrap_err();
        assert_eq!(e.field, "$");
        assert!(e.message.contains("extra"), "{}", e.message);
    }
}
