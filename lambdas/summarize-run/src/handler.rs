//! Event → run summary (+ its EMF metrics line).

use jiff::Timestamp;
use serde_json::Value;
use uptime_core::ResultStore;
use uptime_lambda::events::{decode, SummarizeRunEvent};
use uptime_lambda::results::fold_results;
use uptime_lambda::LambdaError;
use uptime_model::emf::run_metrics;
use uptime_model::json::StrictValue;
use uptime_model::report::{RunHeader, MAX_SUMMARY_BYTES};
use uptime_model::{RunSummary, Summarizer};

/// Returns the summary and the EMF object to print. `now` stamps the metrics; `store` is read
/// only when the account Map wrote its results to S3.
pub async fn handle(
    store: &impl ResultStore,
    event: impl Into<StrictValue>,
    now: Timestamp,
) -> Result<(RunSummary, Value), LambdaError> {
    let mut event: SummarizeRunEvent = decode(event, "summarize-run")?;
    let mut summary = Summarizer::new(RunHeader::of(&event.request));
    let results = std::mem::take(&mut event.results);
    let folded = fold_results(results, store, &mut summary).await?;
    event.add_failed_accounts(&mut summary);
    let mut summary = summary.finish(event.skipped_accounts);
    summary.fit(MAX_SUMMARY_BYTES);
    tracing::info!(
        status = ?summary.status,
        accounts = summary.accounts.total,
        accounts_folded = folded,
        accounts_failed = summary.accounts.failed,
        regions_failed = summary.regions.failed,
        instances_changed = summary.instances.changed(),
        instances_failed = summary.instances.failed,
        "run summarized"
    );
    // One line per listed failure (at most 100 a run), so that the accounts with failures,
    // account- and region-level ones included, can be counted in Logs Insights.
    for f in &summary.failures {
        tracing::info!(
            account = f.account.as_str(),
            region = f.region.as_ref().map(|r| r.as_str()).unwrap_or(""),
            error = f.error.as_str(),
            detail = f.message.as_str(),
            "failure"
        );
    }
    let emf = run_metrics(&summary, now.as_millisecond());
    Ok((summary, emf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uptime_lambda::events::SummarizeRunResponse;
    use uptime_model::ErrorName;
    use uptime_testkit::FakeObjects;

    fn at() -> Timestamp {
        "2026-11-24T19:05:00Z".parse().unwrap()
    }

    fn region(account: &str, region: &str, stopped: u64) -> Value {
        json!({"account": account, "region": region, "started": 0, "stopped": stopped, "hibernated": 0,
               "already": 1, "would_start": 0, "would_stop": 0, "skipped": 1, "failed": 0,
               "skipped_by_reason": {"spot": 1}})
    }

    /// The child outputs as the local interpreter hands them over: an account report with a
    /// region report and a caught region failure, and a caught account failure.
    fn inline_results() -> Value {
        json!([
            {"account": "111111111111", "skipped_regions": [], "regions": [
                region("111111111111", "eu-west-1", 3),
                {"account": "111111111111", "region": "us-east-1",
                 "caught": {"Error": "Throttled", "Cause": "{\"errorType\":\"Throttled\",\"errorMessage\":\"DescribeInstances: Rate exceeded\"}"}}
            ]},
            {"account": "222222222222:eu-west-1",
             "caught": {"Error": "AccessDenied", "Cause": "{\"errorType\":\"AccessDenied\",\"errorMessage\":\"assuming the member role: denied\"}"}}
        ])
    }

    /// The examples of docs/lambda-contracts.md's summarize-run section: its event folds into
    /// exactly its response's summary.
    #[tokio::test]
    async fn the_documented_event_folds_into_the_documented_summary() {
        let doc = include_str!("../../../docs/lambda-contracts.md");
        let section = &doc[doc.find("\n## summarize-run\n").expect("the section")..];
        let mut blocks = section.split("```json\n").skip(1).map(|b| {
            let text = &b[..b.find("```").expect("a closed block")];
            serde_json::from_str::<Value>(text).expect("an example is JSON")
        });
        let (event, response) = (blocks.next().unwrap(), blocks.next().unwrap());
        let (summary, _) = handle(&FakeObjects::default(), event, at()).await.unwrap();
        assert_eq!(
            serde_json::to_value(&summary).unwrap(),
            response["summary"],
            "the documented summary is what the documented event folds into"
        );
        let cause = serde_json::to_value(SummarizeRunResponse::new(summary)).unwrap();
        assert!(cause["failure_cause"].is_string());
    }

    #[tokio::test]
    async fn folds_inline_results_and_caught_failures() {
        let (summary, emf) = handle(
            &FakeObjects::default(),
            json!({
                "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"},
                "results": inline_results(),
                "failed_accounts": [],
                "skipped_accounts": [{"account": "333333333333", "reason": "not-opted-in"}],
                "counts": {"listed": 3, "selected": 2, "not_opted_in": 1, "inactive": 0, "excluded": 0, "failed": 0}
            }),
            at(),
        )
        .await
        .unwrap();
        let v = serde_json::to_value(&summary).unwrap();
        assert_eq!(v["status"], "completed-with-failures");
        assert_eq!(v["instances"]["stopped"], 3);
        assert_eq!(
            v["accounts"],
            json!({"total": 2, "succeeded": 0, "failed": 2})
        );
        assert_eq!(
            v["regions"],
            json!({"total": 2, "succeeded": 1, "failed": 1})
        );
        let failures = v["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0]["region"], "us-east-1");
        assert_eq!(failures[0]["error"], "Throttled");
        assert_eq!(failures[0]["message"], "DescribeInstances: Rate exceeded");
        assert_eq!(failures[1]["account"], "222222222222");
        assert_eq!(failures[1]["error"], "AccessDenied");
        assert_eq!(v["skipped_accounts"][0]["reason"], "not-opted-in");
        assert_eq!(emf["InstancesStopped"], 3);
        assert_eq!(emf["AccountsFailed"], 2);
    }

    #[tokio::test]
    async fn step_functions_errors_map_to_our_names() {
        let (summary, _) = handle(
            &FakeObjects::default(),
            json!({
                "request": {"action": "start", "now": "2026-11-24T07:00:00Z"},
                "results": [
                    {"account": "111111111111", "caught": {"Error": "States.Timeout"}},
                    {"account": "222222222222", "caught": {"Error": "Runtime.ExitError", "Cause": "exit status 101"}}
                ]
            }),
            at(),
        )
        .await
        .unwrap();
        assert_eq!(summary.failures[0].error, "Transient");
        assert_eq!(
            summary.failures[0].message,
            "States.Timeout: no cause given"
        );
        assert_eq!(summary.failures[1].error, "Internal");
        assert_eq!(
            summary.failures[1].message,
            "Runtime.ExitError: exit status 101"
        );
    }

    /// The ResultWriter layout on S3: a manifest, and result files whose entries carry the
    /// child's input and output as JSON text; a failed child is reported by its input's account.
    #[tokio::test]
    async fn reads_results_the_distributed_map_wrote_to_s3() {
        let store = FakeObjects::default();
        let ok = json!({"account": "111111111111", "regions": [region("111111111111", "eu-west-1", 2)], "skipped_regions": []});
        store.put(
            "results-bucket",
            "map-runs/run-1/SUCCEEDED_0.json",
            json!([{"ExecutionArn": "arn:aws:states:us-east-1:123456789012:express:x:1", "Status": "SUCCEEDED",
                    "Input": json!({"account": "111111111111"}).to_string(), "Output": ok.to_string()}]),
        );
        store.put(
            "results-bucket",
            "map-runs/run-1/FAILED_0.json",
            json!([{"Status": "FAILED", "Error": "States.Timeout", "Cause": "the execution ran longer than 5 minutes",
                    "Input": json!({"request": {}, "account": "222222222222:eu-west-1", "execution": "e"}).to_string()}]),
        );
        store.put(
            "results-bucket",
            "map-runs/run-1/manifest.json",
            json!({"DestinationBucket": "results-bucket", "MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/Accounts:1",
                   "ResultFiles": {"FAILED": [{"Key": "map-runs/run-1/FAILED_0.json", "Size": 1}], "PENDING": [],
                                   "SUCCEEDED": [{"Key": "map-runs/run-1/SUCCEEDED_0.json", "Size": 1}]}}),
        );
        let (summary, _) = handle(
            &store,
            json!({
                "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"},
                "results": {"MapRunArn": "arn", "ResultWriterDetails": {"Bucket": "results-bucket", "Key": "map-runs/run-1/manifest.json"}},
                "failed_accounts": [{"account": "333333333333", "error": {"error": "Throttled", "message": "reading the account's tags"}}],
                "counts": {"listed": 200, "selected": 2, "not_opted_in": 0, "inactive": 0, "excluded": 0, "failed": 150}
            }),
            at(),
        )
        .await
        .unwrap();
        assert_eq!(summary.instances.stopped, 2);
        // 2 from the Map, 1 listed failure, 149 failures only counted.
        assert_eq!(summary.accounts.total, 152);
        assert_eq!(summary.accounts.failed, 151);
        assert_eq!(summary.failures.len(), 2);
        assert_eq!(summary.failures[0].account.as_str(), "222222222222");
        assert!(summary.failures[0].message.contains("ended FAILED"));
        assert_eq!(summary.failures_not_listed, 149);
        assert_eq!(store.reads(), 3);
    }

    #[tokio::test]
    async fn an_unreadable_manifest_is_reported_with_its_kind() {
        let e = handle(
            &FakeObjects::default(),
            json!({
                "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"},
                "results": {"ResultWriterDetails": {"Bucket": "b", "Key": "missing.json"}}
            }),
            at(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::Internal);
        assert!(e.message.contains("reading the results manifest"), "{e}");
    }

    #[tokio::test]
    async fn a_malformed_event_is_invalid_input() {
        for event in [
            json!({"request": {"action": "stop"}, "results": "x"}),
            json!({"request": {"action": "stop"}, "results": [{"account": "1"}]}),
            json!({"request": {"action": "stop"}, "accounts": []}),
        ] {
            let e = handle(
                &FakeObjects::default(),
                event.clone(),
                Timestamp::UNIX_EPOCH,
            )
            .await
            .unwrap_err();
            assert_eq!(e.name, ErrorName::InvalidInput, "{event}");
        }
    }
}
