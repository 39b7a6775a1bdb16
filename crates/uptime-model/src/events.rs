//! The task events and responses between the state machine and the Lambdas: every one of
//! them, in one place. `docs/lambda-contracts.md` documents them with examples, and the tests
//! here read those examples from the document itself: each event decodes, each response
//! decodes and serialises back to exactly the JSON the document shows.
//!
//! Every event refuses unknown fields. `request` is the normalised [`RunRequest`] that
//! `list-accounts` returns: the later tasks deserialise it (typed, `now` required) rather than
//! validate the execution input again.

use crate::report::{RunStatus, SkippedAccount, SkippedRegion};
use crate::{
    AccountId, AccountReport, AccountTarget, Region, RegionReport, RunRequest, RunSummary,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `list-accounts` event: the raw execution input, when the execution started, its name and
/// the results bucket (where the selected accounts go).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListAccountsEvent {
    /// The execution input as the user gave it; validated by the function.
    pub input: Value,
    /// `$$.Execution.StartTime`; the default for the input's `now`.
    pub execution_start: Timestamp,
    /// `$$.Execution.Name`: names the account list object.
    pub execution: String,
    /// The results bucket.
    pub results_bucket: String,
}

/// Where the selected accounts are: `s3://bucket/key`, a JSON array of compact account targets
/// (`"id"` or `"id:region,region"`), which the account Map reads with its `ItemReader`; so the
/// number of accounts is bounded by no payload limit (ADR 0012).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountList {
    pub bucket: String,
    pub key: String,
    /// How many (the same as `counts.selected`).
    pub count: u64,
}

/// The key of a run's account list in the results bucket.
pub fn account_list_key(execution: &str) -> String {
    format!("account-lists/{execution}.json")
}

/// Counts of the accounts a selection left out, by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionCounts {
    pub listed: u64,
    pub selected: u64,
    pub not_opted_in: u64,
    pub inactive: u64,
    pub excluded: u64,
    pub failed: u64,
    /// Accounts the account registry has not read the tags of yet (ADR 0013), left alone.
    #[serde(default)]
    pub not_yet_read: u64,
}

/// `list-accounts` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListAccountsResponse {
    /// The validated input, with `now` filled in. Every later task receives it.
    pub request: RunRequest,
    /// Where the selected accounts are (in S3, not in the state).
    pub accounts: AccountList,
    #[serde(default)]
    pub skipped_accounts: Vec<SkippedAccount>,
    /// Accounts whose opt-in could not be read, already as failed account reports.
    #[serde(default)]
    pub failed_accounts: Vec<AccountReport>,
    pub counts: SelectionCounts,
    /// The deployment's concurrency, read by the Maps' `MaxConcurrencyPath`.
    #[serde(default)]
    pub concurrency: Concurrency,
}

/// How many accounts the account Map and the verification Map run at once: a deployment
/// setting (`ACCOUNT_CONCURRENCY`), which the state machine reads from the ListAccounts output
/// (`$.concurrency.accounts`) since a definition cannot hold a placeholder where a number goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concurrency {
    pub accounts: u64,
}

impl Default for Concurrency {
    fn default() -> Self {
        Self {
            accounts: DEFAULT_ACCOUNT_CONCURRENCY,
        }
    }
}

/// Accounts at once by default: half of Lambda's default 1,000 concurrent executions per
/// region, at one schedule-account invocation per account (ADR 0014; it was 50 while each
/// account ran up to 10 region tasks at once, ADR 0012). The other half is left to the run's
/// other functions and to whatever else the hub account runs.
pub const DEFAULT_ACCOUNT_CONCURRENCY: u64 = 500;

/// The most accounts at once: a Distributed Map runs at most 10,000 child executions at once.
pub const MAX_ACCOUNT_CONCURRENCY: u64 = 10_000;

/// At most this many skipped accounts are listed in the ListAccounts response (the rest are
/// counted), for the same reason.
pub const MAX_LISTED_SKIPPED_ACCOUNTS: usize = 100;

/// At most this many accounts whose opt-in could not be read are listed in the ListAccounts
/// response (the rest are counted), so that its payload stays bounded at 10,000 accounts.
pub const MAX_LISTED_FAILED_ACCOUNTS: usize = 100;

/// `schedule-account` event: one account of the account Map (ADR 0014).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleAccountEvent {
    pub request: RunRequest,
    pub account: AccountTarget,
    /// `$$.Execution.Name`: names the STS session, so CloudTrail shows the run.
    pub execution: String,
    /// The deployed schedules document, as a JSON string (the state machine's definition holds
    /// it; the function parses it and lays the request's own over it).
    #[serde(default)]
    pub deployed_schedules: Option<String>,
}

/// An account ready to schedule, access proven, regions decided (the first step of
/// `schedule-account`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreparedAccount {
    pub account: AccountId,
    pub regions: Vec<Region>,
    /// Always present (possibly empty).
    #[serde(default)]
    pub skipped_regions: Vec<SkippedRegion>,
}

/// `schedule-account` response: the account report as the account Map's child ends with it,
/// one region report per region (a region that failed as a whole carries its `error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledAccount {
    pub account: AccountId,
    pub regions: Vec<RegionReport>,
    #[serde(default)]
    pub skipped_regions: Vec<SkippedRegion>,
}

/// What `summarize-run` answers, the first time, in a start run some of whose accounts started
/// instances (`{"verify": …}`, ADR 0012): where it wrote the verification items (`s3://bucket/key`,
/// a JSON array of [`VerificationItem`]s, which the verification Map reads with `ItemReader`),
/// how many, the verification Map's concurrency, and the run it summarizes once they are verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationPlan {
    /// Accounts with starts to verify (the items).
    pub accounts: u64,
    /// Their regions with starts.
    pub regions: u64,
    pub bucket: String,
    pub key: String,
    pub concurrency: Concurrency,
    /// The first call's event, without `verification`: the second call's.
    pub run: Box<SummarizeRunEvent>,
}

/// One account whose starts the verification Map verifies: its region reports with starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationItem {
    pub account: AccountId,
    pub reports: Vec<crate::RegionReport>,
}

/// The key of a run's verification items in the results bucket.
pub fn verification_key(execution: &str) -> String {
    format!("verify-plans/{execution}.json")
}

/// `verify-starts` event: one account's region results with starts (a verification item).
/// Its response is the same array, in the same order, verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyStartsEvent {
    pub request: RunRequest,
    pub account: AccountTarget,
    pub execution: String,
    /// Region reports, or caught region failures (passed through unchanged).
    pub reports: Vec<Value>,
    /// The deployed schedules document, as a JSON string.
    #[serde(default)]
    pub deployed_schedules: Option<String>,
}

/// `summarize-run` event: the state machine's ListAccounts output fields plus the account
/// Map's `results` (the child outputs inline, or the ResultWriter pointer to them in S3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummarizeRunEvent {
    pub request: RunRequest,
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
    /// `$$.Execution.Id`: the execution's ARN, which the run digest links to.
    #[serde(default)]
    pub execution: Option<crate::ExecutionArn>,
    /// The results bucket, where a start run's verification items go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_bucket: Option<String>,
    /// The deployment's concurrency (from ListAccounts), for the verification Map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
    /// The second call of a start run (`SummarizeVerifiedRun`): the verification Map's results
    /// (inline, or its ResultWriter pointer), or `{"caught": {…}}` when the Map failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Value>,
}

impl SummarizeRunEvent {
    /// A start run that is not a dry run verifies its starts (reconcile runs do not: ADR 0006).
    pub fn verifies_starts(&self) -> bool {
        self.request.action == crate::Action::Start && !self.request.dry_run
    }
}

impl SummarizeRunEvent {
    /// Adds the accounts whose opt-in list-accounts could not read: the listed ones as failed
    /// account reports, and those `counts.failed` counts beyond them as failed accounts not
    /// listed.
    pub fn add_failed_accounts(&self, summary: &mut crate::Summarizer) {
        let listed = self.failed_accounts.len() as u64;
        for failed in &self.failed_accounts {
            summary.add(failed);
        }
        if let Some(counts) = &self.counts {
            summary.add_unlisted_failed_accounts(counts.failed.saturating_sub(listed));
        }
    }
}

/// `summarize-run`'s answer: the run's summary, or (the first call of a start run with starts)
/// where the starts to verify are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SummarizeRunAnswer {
    Verify { verify: Box<VerificationPlan> },
    Summary(Box<SummarizeRunResponse>),
}

/// `summarize-run` response: the run summary, and when anything failed, the same summary as
/// JSON text for the failed execution's cause (a Fail state's `CausePath` needs a string).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegionReport;
    use serde::de::DeserializeOwned;

    /// The contract document, read at compile time: a changed example is a changed test.
    const CONTRACTS: &str = include_str!("../../../docs/lambda-contracts.md");

    /// The JSON examples under the `## {section}` heading of the contract document, in order,
    /// each parsed strictly (a duplicate key in an example is an error too).
    fn examples(section: &str) -> Vec<Value> {
        let heading = format!("\n## {section}\n");
        let start = CONTRACTS
            .find(&heading)
            .unwrap_or_else(|| panic!("docs/lambda-contracts.md has no section `{section}`"));
        let body = &CONTRACTS[start + heading.len()..];
        let body = &body[..body.find("\n## ").unwrap_or(body.len())];
        body.split("```json\n")
            .skip(1)
            .map(|block| {
                let text = &block[..block.find("```").expect("a closed code block")];
                crate::json::parse(text, &format!("an example of `{section}`"))
                    .unwrap_or_else(|e| panic!("{e}:\n{text}"))
            })
            .collect()
    }

    fn decode<T: DeserializeOwned>(example: &Value, what: &str) -> T {
        serde_json::from_value(example.clone())
            .unwrap_or_else(|e| panic!("the documented {what} does not decode: {e}\n{example}"))
    }

    /// A response decodes and serialises back to exactly the documented JSON: the document
    /// shows every field the function writes, and nothing it does not.
    fn round_trips<T: DeserializeOwned + Serialize>(example: &Value, what: &str) -> T {
        let decoded: T = decode(example, what);
        assert_eq!(
            &serde_json::to_value(&decoded).unwrap(),
            example,
            "the documented {what} is not what the function writes"
        );
        decoded
    }

    fn now() -> Timestamp {
        "2026-11-24T19:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_documented_list_accounts_event_and_response_are_the_contract() {
        let [event, response] = &examples("list-accounts")[..] else {
            panic!("list-accounts documents one event and one response")
        };
        let e: ListAccountsEvent = decode(event, "list-accounts event");
        assert_eq!(e.execution_start, now());
        let request = RunRequest::from_json(&e.input, e.execution_start).unwrap();
        let r: ListAccountsResponse = round_trips(response, "list-accounts response");
        assert_eq!(
            r.request, request,
            "the response's request is the event's, normalised"
        );
        assert_eq!(r.accounts.count, r.counts.selected);
        assert_eq!(r.accounts.key, account_list_key(&e.execution));
        assert_eq!(r.accounts.bucket, e.results_bucket);
        assert_eq!(r.concurrency, Concurrency::default());
    }

    #[test]
    fn the_documented_schedule_account_event_and_response_are_the_contract() {
        let [event, response] = &examples("schedule-account")[..] else {
            panic!("schedule-account documents one event and one response")
        };
        let e: ScheduleAccountEvent = decode(event, "schedule-account event");
        assert_eq!(e.request.now, now());
        assert_eq!(
            e.request.schedule.as_ref().map(|s| s.as_str()),
            Some("office-hours")
        );
        assert!(e.deployed_schedules.is_some());
        let r: ScheduledAccount = round_trips(response, "schedule-account response");
        assert_eq!(r.account, e.account.id);
        assert_eq!(r.regions.len() + r.skipped_regions.len(), 3);
        let failed = r.regions.iter().filter(|r| r.error.is_some()).count();
        assert_eq!(
            failed, 1,
            "the example shows a region that failed as a whole"
        );
        for region in &r.regions {
            assert_eq!(region.account, r.account);
            assert_eq!(region.failures.len() as u64, region.counts.failed);
        }
    }

    #[test]
    fn the_documented_verify_starts_event_is_the_contract() {
        let [event] = &examples("verify-starts")[..] else {
            panic!("verify-starts documents one event (its response is the same array)")
        };
        let e: VerifyStartsEvent = decode(event, "verify-starts event");
        assert!(!e.reports.is_empty());
        for report in &e.reports {
            let _: RegionReport = round_trips(report, "region report in verify-starts");
        }
    }

    #[test]
    fn the_documented_start_run_answer_and_second_event_are_the_contract() {
        let [answer, second] = &examples("summarize-run (start runs)")[..] else {
            panic!("summarize-run (start runs) documents the first answer and the second event")
        };
        let SummarizeRunAnswer::Verify { verify } = decode(answer, "the first answer") else {
            panic!("the first answer is a plan")
        };
        assert!(verify.run.verifies_starts() && verify.run.verification.is_none());
        assert_eq!(verify.key, verification_key("morning-start"));
        let e: SummarizeRunEvent = decode(second, "the second event");
        assert!(e.verification.is_some());
    }

    #[test]
    fn the_documented_summarize_run_event_and_response_are_the_contract() {
        let [event, response] = &examples("summarize-run")[..] else {
            panic!("summarize-run documents one event and one response")
        };
        let e: SummarizeRunEvent = decode(event, "summarize-run event");
        assert_eq!(e.results.as_array().map(Vec::len), Some(2));
        assert!(e.counts.is_some());
        let r: SummarizeRunResponse = round_trips(response, "summarize-run response");
        assert_ne!(r.summary.status, RunStatus::Succeeded);
        assert!(r.failure_cause.is_some(), "a failed run carries its cause");
        assert_eq!(
            SummarizeRunResponse::new(r.summary.clone())
                .failure_cause
                .is_some(),
            r.failure_cause.is_some()
        );
    }

    #[test]
    fn a_task_event_without_now_or_with_an_unknown_request_field_is_refused() {
        let event = |request: Value| {
            serde_json::from_value::<ScheduleAccountEvent>(serde_json::json!({
                "request": request, "account": "111111111111", "execution": "x"
            }))
        };
        let e = event(serde_json::json!({"action": "stop"})).unwrap_err();
        assert!(e.to_string().contains("missing field `now`"), "{e}");
        let e =
            event(serde_json::json!({"action": "stop", "now": "2026-11-24T19:00:00Z", "extra": 1}))
                .unwrap_err();
        assert!(e.to_string().contains("extra"), "{e}");
        let ok =
            event(serde_json::json!({"action": "stop", "now": "2026-11-24T19:00:00Z"})).unwrap();
        assert_eq!(ok.request.now, now());
    }

    #[test]
    fn a_requests_schedules_document_is_parsed_when_the_request_is_decoded() {
        let event = |schedules: Value| {
            serde_json::from_value::<ScheduleAccountEvent>(serde_json::json!({
                "request": {"action": "reconcile", "now": "2026-11-24T19:00:00Z", "schedules": schedules},
                "account": "111111111111", "execution": "x"
            }))
        };
        let e = event(serde_json::json!({"schedules": {"office": "25:00-"}})).unwrap_err();
        assert!(
            e.to_string().contains("`schedules.schedules.office`"),
            "{e}"
        );
        let ok =
            event(serde_json::json!({"schedules": {"office": "mon-fri 08:00-18:00 UTC"}})).unwrap();
        let own = ok.request.schedules.expect("the request's schedules");
        assert!(own.document().schedules.contains_key("office"));
    }
}
