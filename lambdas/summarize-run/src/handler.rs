//! Event → run summary (+ its EMF metrics line).

use jiff::Timestamp;
use serde_json::Value;
use uptime_lambda::events::{decode, request, SummarizeRunEvent};
use uptime_lambda::LambdaError;
use uptime_model::emf::run_metrics;
use uptime_model::report::{summarize, RunHeader};
use uptime_model::RunSummary;

/// Returns the summary and the EMF object to print. `now` stamps the metrics.
pub fn handle(event: Value, now: Timestamp) -> Result<(RunSummary, Value), LambdaError> {
    let event: SummarizeRunEvent = decode(event, "summarize-run")?;
    let request = request(&event.request)?;
    let header = RunHeader {
        action: request.action,
        dry_run: request.dry_run,
        schedule: request.schedule,
        now: request.now,
    };
    let mut accounts = event.accounts;
    accounts.extend(event.failed_accounts);
    accounts.sort_by(|a, b| a.account.cmp(&b.account));
    let summary = summarize(header, &accounts, event.skipped_accounts);
    tracing::info!(
        status = ?summary.status,
        accounts = summary.accounts.total,
        accounts_failed = summary.accounts.failed,
        regions_failed = summary.regions.failed,
        instances_changed = summary.instances.changed(),
        instances_failed = summary.instances.failed,
        "run summarized"
    );
    let emf = run_metrics(&summary, now.as_millisecond());
    Ok((summary, emf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uptime_model::ErrorName;

    #[test]
    fn folds_region_reports_and_caught_account_failures() {
        let (summary, emf) = handle(
            json!({
                "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"},
                "accounts": [
                    {"account": "111111111111", "regions": [
                        {"account": "111111111111", "region": "eu-west-1", "started": 0, "stopped": 3, "hibernated": 0, "already": 1,
                         "would_start": 0, "would_stop": 0, "skipped": 1, "failed": 0, "skipped_by_reason": {"spot": 1}}
                    ]},
                    {"account": "222222222222", "error": {"error": "AccessDenied", "message": "assuming the member role: denied"}}
                ],
                "failed_accounts": [],
                "skipped_accounts": [{"account": "333333333333", "reason": "not-opted-in"}]
            }),
            "2026-11-24T19:05:00Z".parse().unwrap(),
        )
        .unwrap();
        let v = serde_json::to_value(&summary).unwrap();
        assert_eq!(v["status"], "completed-with-failures");
        assert_eq!(v["instances"]["stopped"], 3);
        assert_eq!(
            v["accounts"],
            json!({"total": 2, "succeeded": 1, "failed": 1})
        );
        assert_eq!(v["failures"][0]["account"], "222222222222");
        assert_eq!(v["failures"][0]["error"], "AccessDenied");
        assert_eq!(v["skipped_accounts"][0]["reason"], "not-opted-in");
        assert_eq!(emf["InstancesStopped"], 3);
        assert_eq!(emf["AccountsFailed"], 1);
    }

    #[test]
    fn a_malformed_event_is_invalid_input() {
        let e = handle(
            json!({"request": {"action": "stop"}, "accounts": "x"}),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
    }
}
