//! Decoding the task events at the Lambda boundary. The events and responses themselves are
//! defined, with the examples of `docs/lambda-contracts.md` as their tests, in
//! [`uptime_model::events`] (re-exported here); this module adds what a Lambda does with them:
//! strict decoding into `InvalidInput`, and the deployed schedules document.

use serde::Deserialize;
use uptime_model::json::StrictValue;
use uptime_model::RunRequest;

pub use uptime_model::events::*;

use crate::LambdaError;

/// Decodes a task event, naming what is wrong as `InvalidInput`: a duplicate key anywhere in
/// it (the Lambda runtime deserialises the payload into a [`StrictValue`], which records the
/// first), more than 256 KiB of JSON, a missing or malformed field (a `request` without `now`
/// among them: the normalised request always has it).
pub fn decode<T: for<'de> Deserialize<'de>>(
    event: impl Into<StrictValue>,
    what: &str,
) -> Result<T, LambdaError> {
    let event = event.into().into_value(&format!("the {what} event"))?;
    serde_json::from_value(event).map_err(|e| LambdaError::invalid(format!("{what} event: {e}")))
}

/// The schedules a region task uses: the deployed document, which the state machine passes
/// with each task as a JSON string, with the request's own `schedules` laid over it. A
/// deployed document that does not parse fails the task as `InvalidInput` (not retried; the
/// state machine reports the region failed with the message); the request's was parsed with
/// the request.
pub fn schedules(
    deployed: Option<&str>,
    request: &RunRequest,
) -> Result<std::sync::Arc<uptime_schedule::ScheduleDocument>, LambdaError> {
    let deployed = match deployed.map(str::trim) {
        None | Some("") | Some("{}") => uptime_schedule::ScheduleDocument::empty(),
        Some(text) => {
            let value = uptime_model::json::parse(
                text,
                "the deployed schedules document (deployed_schedules)",
            )?;
            uptime_schedule::ScheduleDocument::from_json(&value)
                .map_err(|e| LambdaError::invalid(format!("deployed {e}")))?
        }
    };
    Ok(uptime_core::engine::schedules_for(&deployed, request))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uptime_model::ErrorName;

    #[test]
    fn the_deployed_schedules_document_is_parsed_and_the_requests_laid_over_it() {
        let req: RunRequest = decode(
            json!({
                "action": "reconcile", "now": "2026-11-26T08:05:00Z",
                "schedules": {"schedules": {"b": "mon-fri 06:00-20:00 UTC"}}
            }),
            "request",
        )
        .unwrap();
        let deployed = r#"{"schedules": {"a": "mon-fri 08:00-18:00 Europe/London", "b": "sat 10:00-12:00 UTC"}}"#;
        let doc = schedules(Some(deployed), &req).unwrap();
        assert_eq!(doc.schedules.len(), 2);
        assert_eq!(
            doc.schedules["b"].periods[0].begin,
            Some(jiff::civil::time(6, 0, 0, 0)),
            "the request's `b` wins"
        );
        assert!(schedules(Some("{}"), &req)
            .unwrap()
            .schedules
            .contains_key("b"));
        assert!(schedules(None, &req).is_ok());
        let e = schedules(Some("{\"schedules\": {\"a\": \"25:00-\"}}"), &req).unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("schedules.a"), "{}", e.message);
        let e = schedules(Some("not json"), &req).unwrap_err();
        assert!(e.message.contains("deployed_schedules"), "{}", e.message);
        let e = schedules(
            Some(r#"{"schedules": {"a": "sat 10:00-12:00 UTC", "a": "mon-fri 00:00-23:59 UTC"}}"#),
            &req,
        )
        .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("`schedules.a`"), "{}", e.message);
        assert!(e.message.contains("appears twice"), "{}", e.message);
    }

    #[test]
    fn well_formed_events_decode() {
        let _: ListAccountsEvent = decode(
            json!({"input": {"action": "stop", "schedule": "office-hours"}, "execution_start": "2026-11-24T19:00:00Z",
                   "execution": "nightly", "results_bucket": "results"}),
            "list-accounts",
        )
        .unwrap();
        let p: ScheduleAccountEvent = decode(
            json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "111111111111:eu-west-1", "execution": "nightly-stop-2026-11-24"}),
            "schedule-account",
        )
        .unwrap();
        assert_eq!(p.account.regions.unwrap().len(), 1);
    }

    /// The runtime hands the handler what `StrictValue`'s `Deserialize` built from the payload
    /// bytes: a duplicate key anywhere, or an event over 256 KiB, is `InvalidInput`.
    #[test]
    fn a_duplicate_key_or_an_oversized_event_is_invalid_input() {
        let payload = br#"{"input": {"action": "stop", "dry_run": true, "dry_run": false}, "execution_start": "2026-11-24T19:00:00Z"}"#;
        let event: StrictValue = serde_json::from_slice(payload).unwrap();
        let e = decode::<ListAccountsEvent>(event, "list-accounts").unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("`input.dry_run`"), "{}", e.message);
        let huge = json!({"request": {"action": "stop", "pad": "x".repeat(270_000)}, "account": "111111111111", "execution": "x"});
        let e = decode::<ScheduleAccountEvent>(huge, "schedule-account").unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("262144"), "{}", e.message);
    }

    /// A task whose request has no `now` used to run as of 1970 (the request was validated
    /// again with the epoch as the default); it is refused before anything is contacted.
    #[test]
    fn a_task_whose_request_has_no_now_is_invalid_input() {
        let e = decode::<ScheduleAccountEvent>(
            json!({"request": {"action": "stop"}, "account": "111111111111", "execution": "x"}),
            "schedule-account",
        )
        .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("missing field `now`"), "{}", e.message);
    }

    #[test]
    fn unknown_fields_and_bad_ids_are_invalid_input() {
        let e = decode::<ScheduleAccountEvent>(
            json!({"request": {}, "account": "1", "execution": "x"}),
            "schedule-account",
        )
        .unwrap_err();
        assert_eq!(e.name, uptime_model::ErrorName::InvalidInput);
        let e = decode::<ScheduleAccountEvent>(
            json!({"request": {}, "account": "111111111111", "execution": "x", "extra": 1}),
            "schedule-account",
        )
        .unwrap_err();
        assert!(e.message.contains("extra"));
    }
}
