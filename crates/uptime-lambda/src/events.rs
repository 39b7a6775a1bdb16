//! The task event and response contracts between the state machine and the Lambdas.
//! `docs/lambda-contracts.md` documents them with examples; the tests here pin those examples.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uptime_core::engine::{PreparedAccount, SelectionCounts};
use uptime_model::json::StrictValue;
use uptime_model::report::{RunStatus, SkippedAccount};
use uptime_model::{AccountReport, AccountTarget, ErrorName, Region, RunRequest, RunSummary};

use crate::LambdaError;

/// Decodes a task event, naming what is wrong as `InvalidInput`: a duplicate key anywhere in
/// it (the Lambda runtime deserialises the payload into a [`StrictValue`], which records the
/// first), more than 256 KiB of JSON, a missing or malformed field.
pub fn decode<T: for<'de> Deserialize<'de>>(
    event: impl Into<StrictValue>,
    what: &str,
) -> Result<T, LambdaError> {
    let event = event.into().into_value(&format!("the {what} event"))?;
    serde_json::from_value(event).map_err(|e| LambdaError::invalid(format!("{what} event: {e}")))
}

/// Re-validates the normalised request every task receives (the same rules as the input).
pub fn request(raw: &Value) -> Result<RunRequest, LambdaError> {
    // `now` is always present in a normalised request; the fallback is never used for it.
    Ok(RunRequest::from_json(raw, Timestamp::UNIX_EPOCH)?)
}

/// `list-accounts` event: the raw execution input and when the execution started.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListAccountsEvent {
    pub input: Value,
    /// `$$.Execution.StartTime`; the default for the input's `now`.
    pub execution_start: Timestamp,
}

/// `list-accounts` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListAccountsResponse {
    /// The validated input, with `now` filled in. Every later task receives it.
    pub request: RunRequest,
    /// Selected accounts, compact (`"id"` or `"id:region,region"`).
    pub accounts: Vec<AccountTarget>,
    #[serde(default)]
    pub skipped_accounts: Vec<SkippedAccount>,
    /// Accounts whose opt-in could not be read, already as failed account reports.
    #[serde(default)]
    pub failed_accounts: Vec<AccountReport>,
    pub counts: SelectionCounts,
}

impl ListAccountsResponse {
    /// Keeps the response (the state every account's child execution starts from) within
    /// `budget` bytes of JSON, under the Step Functions payload limit of 256 KiB: the accounts'
    /// own region lists are left out, longest first (`"id:*"`; prepare-account reads the tag
    /// again). If the bare ids still do not fit, the run is refused with a message saying how to
    /// narrow it. Returns how many region lists were left out.
    pub fn fit(&mut self, budget: usize) -> Result<usize, LambdaError> {
        let size = |r: &Self| serde_json::to_string(r).map(|t| t.len()).unwrap_or(0);
        let mut over = size(self).saturating_sub(budget);
        let mut longest: Vec<usize> = (0..self.accounts.len())
            .filter(|&i| self.accounts[i].regions.is_some())
            .collect();
        longest.sort_by_key(|&i| std::cmp::Reverse(self.accounts[i].to_string().len()));
        let mut deferred = 0;
        for i in longest {
            if over == 0 {
                break;
            }
            over = over.saturating_sub(self.accounts[i].defer_regions());
            deferred += 1;
        }
        let total = size(self);
        if total > budget {
            return Err(LambdaError::new(
                ErrorName::Internal,
                format!(
                    "{} selected accounts need {total} bytes, more than one execution can carry \
                     ({budget}); split the run with `organizational_units`",
                    self.accounts.len()
                ),
            ));
        }
        Ok(deferred)
    }
}

/// `prepare-account` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepareAccountEvent {
    pub request: Value,
    pub account: AccountTarget,
    /// `$$.Execution.Name`: names the STS session, so CloudTrail shows the run.
    pub execution: String,
}

/// `prepare-account` response.
pub type PrepareAccountResponse = PreparedAccount;

/// `schedule-region` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRegionEvent {
    pub request: Value,
    pub account: AccountTarget,
    pub region: Region,
    pub execution: String,
    /// The deployed schedules document, as a JSON string (the state machine's definition holds
    /// it; see [`schedules`]).
    #[serde(default)]
    pub deployed_schedules: Option<String>,
}

/// The schedules a region task uses: the deployed document, which the state machine passes
/// with each task as a JSON string, with the request's own `schedules` laid over it. A
/// deployed document that does not parse fails the task as `InvalidInput` (not retried; the
/// state machine reports the region failed with the message); the request's was validated when
/// the execution began.
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
    uptime_core::engine::schedules_for(&deployed, request)
        .map_err(|e| LambdaError::new(e.error, e.message))
}

/// `summarize-run` event: the state machine's ListAccounts output fields plus the account
/// Map's `results` (see [`crate::results`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummarizeRunEvent {
    pub request: Value,
    /// The child outputs inline, or the ResultWriter pointer to them in S3.
    pub results: Value,
    /// Accounts whose opt-in could not be read (at most [`MAX_LISTED_FAILED_ACCOUNTS`]).
    #[serde(default)]
    pub failed_accounts: Vec<AccountReport>,
    #[serde(default)]
    pub skipped_accounts: Vec<SkippedAccount>,
    /// The selection counts; `failed` beyond the listed `failed_accounts` still count.
    #[serde(default)]
    pub counts: Option<SelectionCounts>,
}

/// `summarize-run` response: the run summary, and when anything failed, the same summary as
/// JSON text for the failed execution's cause (a Fail state's `CausePath` needs a string).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummarizeRunResponse {
    pub summary: RunSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_cause: Option<String>,
}

impl SummarizeRunResponse {
    pub fn new(summary: RunSummary) -> Self {
        let failure_cause = (summary.status != RunStatus::Succeeded)
            .then(|| serde_json::to_string(&summary).unwrap_or_default());
        Self {
            summary,
            failure_cause,
        }
    }
}

/// At most this many skipped accounts are listed in the ListAccounts response (the rest are
/// counted), for the same reason.
pub const MAX_LISTED_SKIPPED_ACCOUNTS: usize = 100;

/// The largest ListAccounts response, as JSON text: Step Functions' payload limit is 256 KiB
/// (262,144 bytes) per state input or output; the margin covers the execution's own fields.
pub const ACCOUNTS_PAYLOAD_BUDGET: usize = 240_000;

/// At most this many accounts whose opt-in could not be read are listed in the ListAccounts
/// response (the rest are counted), so that its payload stays bounded at 10,000 accounts.
pub const MAX_LISTED_FAILED_ACCOUNTS: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_deployed_schedules_document_is_parsed_and_the_requests_laid_over_it() {
        let req = request(&json!({
            "action": "reconcile", "now": "2026-11-26T08:05:00Z",
            "schedules": {"schedules": {"b": "mon-fri 06:00-20:00 UTC"}}
        }))
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
    fn documented_examples_decode() {
        let _: ListAccountsEvent = decode(
            json!({"input": {"action": "stop", "schedule": "office-hours"}, "execution_start": "2026-11-24T19:00:00Z"}),
            "list-accounts",
        )
        .unwrap();
        let p: PrepareAccountEvent = decode(
            json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "111111111111:eu-west-1", "execution": "nightly-stop-2026-11-24"}),
            "prepare-account",
        )
        .unwrap();
        assert_eq!(p.account.regions.unwrap().len(), 1);
        let _: ScheduleRegionEvent = decode(
            json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "111111111111", "region": "eu-west-1", "execution": "x"}),
            "schedule-region",
        )
        .unwrap();
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
        let e = decode::<PrepareAccountEvent>(huge, "prepare-account").unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("262144"), "{}", e.message);
    }

    #[test]
    fn unknown_fields_and_bad_ids_are_invalid_input() {
        let e = decode::<PrepareAccountEvent>(
            json!({"request": {}, "account": "1", "execution": "x"}),
            "prepare-account",
        )
        .unwrap_err();
        assert_eq!(e.name, uptime_model::ErrorName::InvalidInput);
        let e = decode::<ScheduleRegionEvent>(
            json!({"request": {}, "account": "111111111111", "region": "eu-west-1", "execution": "x", "extra": 1}),
            "schedule-region",
        )
        .unwrap_err();
        assert!(e.message.contains("extra"));
    }
}
