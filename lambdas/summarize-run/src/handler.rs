//! Event → run summary (+ its EMF metrics line), and the run's one digest published; or, the
//! first time in a start run with starts, the verification items written and where they are.

use jiff::Timestamp;
use serde_json::{json, Value};
use uptime_core::config::DigestConfig;
use uptime_core::{engine::target_error, DigestSink, ResultStore};
use uptime_lambda::events::{decode, verification_key, SummarizeRunEvent, VerificationPlan};
use uptime_lambda::results::{fold_results, verification_items};
use uptime_lambda::LambdaError;
use uptime_model::digest::{should_publish, Digest};
use uptime_model::emf::run_metrics;
use uptime_model::json::StrictValue;
use uptime_model::report::{RunHeader, MAX_SUMMARY_BYTES};
use uptime_model::{RunSummary, Summarizer};

/// What the function answers.
#[derive(Debug)]
pub enum Answer {
    /// A start run whose starts are to be verified first (ADR 0012): the state machine waits
    /// once, verifies each account in the plan, and calls again with `verification`.
    Verify(Box<VerificationPlan>),
    /// The summary and the EMF object to print.
    Summary(Box<RunSummary>, Value),
}

/// The first call of a start run that is not a dry run, when some account started instances:
/// writes the verification items (one per account with starts) and answers with the plan. A
/// plan that cannot be written does not fail the run unseen: the run is summarized with every
/// account with starts failed, "verifying the starts: writing the verification items: …".
/// Otherwise (any other run, a start run with nothing started, or the second call) the summary:
/// `now` stamps the metrics; `store` is read only when a Map wrote its results to S3. The
/// digest goes to `digests` unless `config` turns it off or the run has nothing to say
/// ([`should_publish`]); a digest that cannot be published is logged and counted
/// (`DigestsFailed`), and the summary is returned all the same: the run's result never depends
/// on its notification.
pub async fn answer(
    store: &impl ResultStore,
    digests: &impl DigestSink,
    config: &DigestConfig,
    event: impl Into<StrictValue>,
    now: Timestamp,
) -> Result<Answer, LambdaError> {
    let mut event: SummarizeRunEvent = decode(event, "summarize-run")?;
    if event.verifies_starts() && event.verification.is_none() {
        let items = Box::pin(verification_items(event.results.clone(), store)).await?;
        if !items.is_empty() {
            match write_plan(store, &event, &items).await {
                Ok(plan) => return Ok(Answer::Verify(Box::new(plan))),
                Err(e) => {
                    tracing::error!(error = e.error.as_str(), reason = %e.message, "verification items not written");
                    event.verification = Some(json!({"caught": {
                        "Error": e.error.as_str(),
                        "Cause": format!("writing the verification items: {}", e.message),
                    }}));
                }
            }
        }
    }
    let (summary, emf) = summarize(store, digests, config, event, now).await?;
    Ok(Answer::Summary(Box::new(summary), emf))
}

async fn write_plan(
    store: &impl ResultStore,
    event: &SummarizeRunEvent,
    items: &[uptime_model::events::VerificationItem],
) -> Result<VerificationPlan, uptime_model::TargetError> {
    let bucket = event.results_bucket.clone().ok_or_else(|| {
        uptime_model::TargetError::new(
            uptime_model::ErrorName::InvalidInput,
            "the event names no results_bucket",
        )
    })?;
    let name = event.execution.as_ref().map_or("run", |e| e.name());
    let key = verification_key(name);
    let body = serde_json::to_vec(items).unwrap_or_default();
    let bytes = body.len();
    store
        .put_object(&bucket, &key, body)
        .await
        .map_err(|e| target_error("writing the verification items", &e))?;
    let regions = items.iter().map(|i| i.reports.len() as u64).sum();
    tracing::info!(
        accounts = items.len(),
        regions,
        bytes,
        key = key.as_str(),
        "starts to verify"
    );
    let mut run = event.clone();
    run.verification = None;
    Ok(VerificationPlan {
        accounts: items.len() as u64,
        regions,
        bucket,
        key,
        concurrency: event.concurrency.unwrap_or_default(),
        run: Box::new(run),
    })
}

async fn summarize(
    store: &impl ResultStore,
    digests: &impl DigestSink,
    config: &DigestConfig,
    mut event: SummarizeRunEvent,
    now: Timestamp,
) -> Result<(RunSummary, Value), LambdaError> {
    let mut summary = Summarizer::new(RunHeader::of(&event.request));
    let results = std::mem::take(&mut event.results);
    let verification = event.verification.take();
    let folded = fold_results(results, verification, store, &mut summary).await?;
    event.add_failed_accounts(&mut summary);
    let (mut summary, changes) = summary.finish_with_changes(event.skipped_accounts);
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
    let mut digests_failed = 0;
    if config.is_off() {
        tracing::debug!("digest off (DIGEST_EVENT_BUS=off, no DIGEST_SNS_TOPIC_ARN)");
    } else if !should_publish(&summary) {
        tracing::info!("no digest: a reconcile tick that changed and failed nothing");
    } else {
        let digest = Digest::build(&summary, &changes, event.execution.as_ref());
        match digests.publish(&digest).await {
            Ok(()) => tracing::info!(
                text = digest.text.as_str(),
                bytes = digest.to_json().len(),
                "digest published"
            ),
            Err(e) => {
                digests_failed = 1;
                tracing::error!(
                    error = ?e.kind,
                    reason = uptime_model::text::escape(&e.message).as_ref(),
                    "digest not published"
                );
            }
        }
    }
    let emf = run_metrics(&summary, digests_failed, now.as_millisecond());
    Ok((summary, emf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uptime_lambda::events::SummarizeRunResponse;
    use uptime_model::ErrorName;
    use uptime_testkit::{Captured, FakeDigests, FakeObjects};

    /// [`handle`] with an empty store, no digest sink, the digest on, at [`at`].
    async fn summarize(event: Value) -> Result<(RunSummary, Value), LambdaError> {
        handle(
            &FakeObjects::default(),
            &FakeDigests::default(),
            &on(),
            event,
            at(),
        )
        .await
    }

    /// The summary the function answers with (panics on a verification plan).
    async fn handle(
        store: &FakeObjects,
        digests: &impl DigestSink,
        config: &DigestConfig,
        event: Value,
        now: Timestamp,
    ) -> Result<(RunSummary, Value), LambdaError> {
        match answer(store, digests, config, event, now).await? {
            Answer::Summary(summary, emf) => Ok((*summary, emf)),
            Answer::Verify(plan) => panic!("a verification plan, not a summary: {plan:?}"),
        }
    }

    fn at() -> Timestamp {
        "2026-11-24T19:05:00Z".parse().unwrap()
    }

    /// The default: the digest goes to the default bus.
    fn on() -> DigestConfig {
        DigestConfig::from_lookup(|_| None).unwrap()
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
        let (summary, _) = summarize(event).await.unwrap();
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
            &FakeDigests::default(),
            &on(),
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
            &FakeDigests::default(),
            &on(),
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
            &FakeDigests::default(),
            &on(),
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

    /// A start run's account reports, as the account Map handed them over: two accounts with
    /// starts, one with nothing started.
    fn start_results() -> Value {
        let started = |account: &str, region: &str, n: u64| {
            json!({"account": account, "region": region, "started": n, "stopped": 0, "hibernated": 0,
                   "already": 0, "would_start": 0, "would_stop": 0, "skipped": 0, "failed": 0})
        };
        json!([
            {"account": "111111111111", "skipped_regions": [], "regions": [
                started("111111111111", "eu-west-1", 3), started("111111111111", "us-east-1", 2)]},
            {"account": "222222222222", "skipped_regions": [], "regions": [started("222222222222", "eu-west-1", 4)]},
            {"account": "333333333333", "skipped_regions": [], "regions": [started("333333333333", "eu-west-1", 0)]}
        ])
    }

    fn start_event() -> Value {
        json!({"request": {"action": "start", "now": "2026-11-25T07:00:00Z"}, "results": start_results(),
               "execution": "arn:aws:states:eu-west-1:123456789012:execution:uptime-scheduler:morning",
               "results_bucket": "results", "concurrency": {"accounts": 80}})
    }

    /// The second call, with the verification Map's results (or its caught failure).
    async fn summarize_verified(store: &FakeObjects, verification: Value) -> RunSummary {
        let mut event = start_event();
        event["verification"] = verification;
        handle(store, &FakeDigests::default(), &on(), event, at())
            .await
            .unwrap()
            .0
    }

    /// The first call of a start run with starts: the items are the accounts with starts and
    /// their regions with starts, written where the verification Map reads them; the answer
    /// carries the run for the second call. No digest, no metrics yet.
    #[tokio::test]
    async fn a_start_run_with_starts_writes_the_verification_items_first() {
        let store = FakeObjects::default();
        let digests = FakeDigests::default();
        let first = answer(&store, &digests, &on(), start_event(), at())
            .await
            .unwrap();
        let Answer::Verify(plan) = first else {
            panic!("a plan: {first:?}")
        };
        assert_eq!((plan.accounts, plan.regions), (2, 3));
        assert_eq!(
            (plan.bucket.as_str(), plan.key.as_str()),
            ("results", "verify-plans/morning.json")
        );
        assert_eq!(plan.concurrency.accounts, 80);
        assert!(plan.run.verification.is_none());
        assert_eq!(
            serde_json::to_value(&plan.run).unwrap()["results"],
            start_results()
        );
        let items = store.get("results", "verify-plans/morning.json").unwrap();
        let accounts: Vec<&str> = items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["account"].as_str().unwrap())
            .collect();
        assert_eq!(accounts, ["111111111111", "222222222222"]);
        assert_eq!(items[0]["reports"], start_results()[0]["regions"]);
        assert!(
            digests.published().is_empty(),
            "no digest before the verification"
        );
        // A dry run, a stop, and a start that started nothing are summarized at once.
        for event in [
            json!({"request": {"action": "start", "dry_run": true, "now": "2026-11-25T07:00:00Z"}, "results": start_results(), "results_bucket": "results"}),
            json!({"request": {"action": "stop", "now": "2026-11-25T07:00:00Z"}, "results": start_results(), "results_bucket": "results"}),
            json!({"request": {"action": "start", "now": "2026-11-25T07:00:00Z"}, "results": [start_results()[2]], "results_bucket": "results"}),
        ] {
            let a = answer(
                &FakeObjects::default(),
                &digests,
                &on(),
                event.clone(),
                at(),
            )
            .await
            .unwrap();
            assert!(matches!(a, Answer::Summary(..)), "{event}: {a:?}");
        }
    }

    /// Items that cannot be written do not hide the starts: the run is summarized with every
    /// account with starts failed, with why.
    #[tokio::test]
    async fn verification_items_that_cannot_be_written_fail_the_accounts_with_starts() {
        let mut event = start_event();
        event.as_object_mut().unwrap().remove("results_bucket");
        let (summary, _) = summarize(event).await.unwrap();
        assert_eq!(summary.accounts.failed, 2, "{summary:?}");
        assert_eq!(summary.instances.started, 9, "the counts are kept");
        assert!(summary.failures.iter().all(|f| f
            .message
            .starts_with("verifying the starts: writing the verification items: ")));
    }

    /// The verification Map's reports replace the same regions of the account Map's: one start
    /// did not hold in 111…'s eu-west-1; 222…'s verification child timed out, so its starts are
    /// reported not verified with the counts kept; 333… started nothing and was not verified.
    /// From S3 as on AWS (the verification ResultWriter's layout), and inline as locally.
    #[tokio::test]
    async fn verified_starts_replace_the_reported_ones() {
        let verified = json!({"account": "111111111111", "regions": [
            {"account": "111111111111", "region": "eu-west-1", "started": 2, "stopped": 0, "hibernated": 0,
             "already": 0, "would_start": 0, "would_stop": 0, "skipped": 0, "failed": 1,
             "failed_by_reason": {"kms-access": 1},
             "failures": [{"instance": "i-0123456789abcdef0", "reason": "kms-access", "message": "Client.InvalidKMSKey.InvalidState"}]},
            {"account": "111111111111", "region": "us-east-1", "started": 2, "stopped": 0, "hibernated": 0,
             "already": 0, "would_start": 0, "would_stop": 0, "skipped": 0, "failed": 0}]});
        let store = FakeObjects::default();
        store.put("results", "verify-runs/v/SUCCEEDED_0.json", json!([
            {"Status": "SUCCEEDED", "Input": json!({"account": "111111111111"}).to_string(), "Output": verified.to_string()}]));
        store.put("results", "verify-runs/v/FAILED_0.json", json!([
            {"Status": "TIMED_OUT", "Error": "States.Timeout", "Cause": "over 5 minutes",
             "Input": json!({"request": {}, "account": "222222222222", "reports": [], "execution": "e"}).to_string()}]));
        store.put(
            "results",
            "verify-runs/v/manifest.json",
            json!({"ResultFiles": {
            "SUCCEEDED": [{"Key": "verify-runs/v/SUCCEEDED_0.json", "Size": 1}],
            "FAILED": [{"Key": "verify-runs/v/FAILED_0.json", "Size": 1}], "PENDING": []}}),
        );
        let pointer = json!({"MapRunArn": "arn", "ResultWriterDetails": {"Bucket": "results", "Key": "verify-runs/v/manifest.json"}});
        let summary = summarize_verified(&store, pointer).await;
        assert_eq!(summary.instances.started, 2 + 2 + 4, "{summary:?}");
        assert_eq!(summary.instances.failed, 1);
        assert_eq!(summary.accounts.failed, 2);
        let failed: Vec<(&str, Option<&str>, &str)> = summary
            .failures
            .iter()
            .map(|f| {
                (
                    f.account.as_str(),
                    f.region.as_ref().map(|r| r.as_str()),
                    f.error.as_str(),
                )
            })
            .collect();
        assert_eq!(
            failed,
            [
                ("111111111111", Some("eu-west-1"), "InstanceFailures"),
                ("222222222222", None, "Transient")
            ]
        );
        assert!(
            summary.failures[1]
                .message
                .starts_with("verifying the starts: States.Timeout: "),
            "{}",
            summary.failures[1].message
        );
        // Inline, as the local interpreter hands the verification Map's outputs over.
        let summary = summarize_verified(&store, json!([verified])).await;
        assert_eq!(summary.instances.started, 8);
        assert_eq!(summary.instances.failed, 1);
        assert_eq!(summary.accounts.failed, 1);
    }

    /// A verification Map that failed as a whole fails every account with starts, with why;
    /// not one that started nothing.
    #[tokio::test]
    async fn a_verification_that_could_not_run_fails_the_accounts_with_starts() {
        let store = FakeObjects::default();
        let caught = json!({"caught": {"Error": "States.ItemReaderFailed", "Cause": "s3://results/verify-plans/e.json: 403"}});
        let summary = summarize_verified(&store, caught).await;
        assert_eq!(summary.accounts.failed, 2, "{summary:?}");
        assert_eq!(summary.instances.started, 9, "the counts are kept");
        assert!(summary.failures.iter().all(|f| f
            .message
            .starts_with("verifying the starts: States.ItemReaderFailed: ")));
        let mut event = start_event();
        event["verification"] = json!({"caught": "not an error"});
        let e = handle(&store, &FakeDigests::default(), &on(), event, at())
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("`verification.caught`"), "{e}");
    }

    #[tokio::test]
    async fn an_unreadable_manifest_is_reported_with_its_kind() {
        let e = handle(
            &FakeObjects::default(),
            &FakeDigests::default(),
            &on(),
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
                &FakeDigests::default(),
                &on(),
                event.clone(),
                Timestamp::UNIX_EPOCH,
            )
            .await
            .unwrap_err();
            assert_eq!(e.name, ErrorName::InvalidInput, "{event}");
        }
    }

    /// The documented summarize-run event (which carries its execution's ARN) publishes one
    /// digest, exactly the `detail` of the event docs/digest.md shows.
    #[tokio::test]
    async fn the_documented_event_publishes_the_documented_digest() {
        let contracts = include_str!("../../../docs/lambda-contracts.md");
        let section = &contracts[contracts.find("\n## summarize-run\n").unwrap()..];
        let event = section.split("```json\n").nth(1).unwrap();
        let event: Value = serde_json::from_str(&event[..event.find("```").unwrap()]).unwrap();
        let doc = include_str!("../../../docs/digest.md");
        let example = doc.split("```json\n").nth(1).unwrap();
        let example: Value =
            serde_json::from_str(&example[..example.find("```").unwrap()]).unwrap();

        let digests = FakeDigests::default();
        let (summary, emf) = handle(&FakeObjects::default(), &digests, &on(), event, at())
            .await
            .unwrap();
        let published = digests.published();
        assert_eq!(published.len(), 1, "one digest per run");
        assert_eq!(
            serde_json::to_value(&published[0]).unwrap(),
            example["detail"],
            "docs/digest.md shows the digest of the documented run"
        );
        let typed: Digest = serde_json::from_value(example["detail"].clone())
            .expect("the documented detail is a digest (no unknown field)");
        assert_eq!(typed.failures, summary.failures);
        assert_eq!(example["source"], uptime_model::digest::DIGEST_SOURCE);
        assert_eq!(
            example["detail-type"],
            uptime_model::digest::DIGEST_DETAIL_TYPE
        );
        assert_eq!(
            example["resources"][0], example["detail"]["execution"]["arn"],
            "the event's resources name the execution"
        );
        assert_eq!(emf["DigestsFailed"], 0);
    }

    /// 300 accounts whose role cannot be assumed: one digest, far under the 256 KB of an
    /// EventBridge entry, every failure counted.
    #[tokio::test]
    async fn a_run_with_300_failures_publishes_one_digest() {
        let results: Vec<Value> = (0..300)
            .map(|n| json!({"account": format!("{n:012}"),
                "caught": {"Error": "AccessDenied", "Cause": json!({"errorType": "AccessDenied", "errorMessage": "x".repeat(500)}).to_string()}}))
            .collect();
        let digests = FakeDigests::default();
        let (summary, _) = handle(
            &FakeObjects::default(),
            &digests,
            &on(),
            json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "results": results}),
            at(),
        )
        .await
        .unwrap();
        assert_eq!(summary.accounts.failed, 300);
        let published = digests.published();
        assert_eq!(published.len(), 1);
        let d = &published[0];
        assert!(d.to_json().len() < 256 * 1024 / 4, "{}", d.to_json().len());
        assert_eq!(d.failures.len() as u64 + d.failures_not_listed, 300);
        assert_eq!(
            d.failures_by_reason["AccessDenied"],
            summary.failures.len() as u64,
            "whole-account failures by name: those the summary lists"
        );
        assert!(d.text.starts_with("stop: nothing changed, "), "{}", d.text);
    }

    #[tokio::test]
    async fn a_steady_reconcile_tick_or_a_digest_turned_off_publishes_nothing() {
        let steady = json!({"request": {"action": "reconcile", "now": "2026-11-24T19:00:00Z"},
                            "results": [{"account": "111111111111", "skipped_regions": [], "regions": [region("111111111111", "eu-west-1", 0)]}]});
        let digests = FakeDigests::default();
        let (summary, emf) = handle(&FakeObjects::default(), &digests, &on(), steady, at())
            .await
            .unwrap();
        assert_eq!(summary.instances.already, 1);
        assert!(digests.published().is_empty(), "a quiet tick stays quiet");
        assert_eq!(emf["DigestsFailed"], 0);

        let off =
            DigestConfig::from_lookup(|k| (k == "DIGEST_EVENT_BUS").then(|| "off".into())).unwrap();
        let stop = json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "results": inline_results()});
        handle(&FakeObjects::default(), &digests, &off, stop.clone(), at())
            .await
            .unwrap();
        assert!(digests.published().is_empty(), "off is off");
        handle(&FakeObjects::default(), &digests, &on(), stop, at())
            .await
            .unwrap();
        assert_eq!(
            digests.published().len(),
            1,
            "the same run, with the digest on"
        );
    }

    /// The bus refuses: the run's summary is returned all the same, the failure is one error
    /// line with its reason, and the metrics count it.
    #[tokio::test]
    async fn a_digest_that_cannot_be_published_is_logged_and_counted_and_the_summary_returned() {
        use tracing_subscriber::util::SubscriberInitExt;
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .without_time()
            .json()
            .flatten_event(true)
            .with_writer(move || writer.clone())
            .finish();
        let refusing = FakeDigests::refusing(
            uptime_core::ErrorKind::AccessDenied,
            "events:PutEvents: AccessDeniedException: not authorized\nforged line",
        );
        let result = {
            let _guard = subscriber.set_default();
            handle(
                &FakeObjects::default(),
                &refusing,
                &on(),
                json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "results": inline_results(),
                       "execution": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1"}),
                at(),
            )
            .await
        };
        let (summary, emf) = result.expect("the run summary, whatever the digest");
        assert_eq!(summary.instances.stopped, 3);
        assert_eq!(emf["DigestsFailed"], 1);
        let lines: Vec<Value> = out
            .text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|l: &Value| l["message"] == "digest not published")
            .collect();
        assert_eq!(lines.len(), 1, "{}", out.text());
        assert_eq!(lines[0]["level"], "ERROR");
        assert_eq!(lines[0]["error"], "AccessDenied");
        assert_eq!(
            lines[0]["reason"],
            "events:PutEvents: AccessDeniedException: not authorized\\nforged line",
            "one line: the message is escaped"
        );
    }

    #[tokio::test]
    async fn an_execution_that_is_not_an_execution_arn_is_invalid_input() {
        let e = handle(
            &FakeObjects::default(),
            &FakeDigests::default(),
            &on(),
            json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "results": [], "execution": "nightly-stop"}),
            at(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(
            e.message
                .contains("`nightly-stop` is not an ARN of the form arn:<partition>:states:"),
            "{e}"
        );
    }

    /// The real adapter against moto: an EventBridge rule on the default bus (source
    /// `uptime-scheduler`) feeds a queue, and a queue is subscribed to the SNS topic; both are
    /// set up and read back with boto3 (tests/harness/digest_sink.py). One run gives exactly
    /// one event and one SNS message, each exactly the digest the model builds from the run.
    #[tokio::test]
    async fn on_moto_one_run_puts_one_event_and_publishes_one_sns_message() {
        let moto = uptime_testkit::moto::Moto::start();
        let sinks = moto.script(
            "digest_sink.py",
            &["setup"],
            &json!({"region": "us-east-1"}),
        );
        let config = DigestConfig::from_lookup(|k| match k {
            "DIGEST_SNS_TOPIC_ARN" => sinks["topic_arn"].as_str().map(str::to_owned),
            _ => None,
        })
        .unwrap();
        let sdk = uptime_aws::sdk::for_emulator(&moto.endpoint(), "us-east-1").await;
        let sink = uptime_aws::AwsDigestSink::new(&sdk, &config);
        let arn = "arn:aws:states:us-east-1:123456789012:execution:uptime-scheduler:nightly-stop";
        let event = json!({"request": {"action": "stop", "schedule": "office-hours", "now": "2026-11-24T19:00:00Z"},
                           "results": inline_results(), "execution": arn});

        // What the model builds from the same run, through the fake sink.
        let fake = FakeDigests::default();
        let (expected_summary, _) =
            handle(&FakeObjects::default(), &fake, &on(), event.clone(), at())
                .await
                .unwrap();
        let expected = serde_json::to_value(&fake.published()[0]).unwrap();

        let (summary, emf) = handle(&FakeObjects::default(), &sink, &config, event, at())
            .await
            .unwrap();
        assert_eq!(summary, expected_summary);
        assert_eq!(emf["DigestsFailed"], 0);
        let got = moto.script("digest_sink.py", &["drain"], &sinks);
        let events = got["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "exactly one event per run: {got}");
        assert_eq!(events[0]["source"], "uptime-scheduler");
        assert_eq!(events[0]["detail-type"], "Uptime Scheduler Run Digest");
        assert_eq!(events[0]["resources"], json!([arn]));
        assert_eq!(
            events[0]["detail"], expected,
            "the event's detail is the model's digest"
        );
        let sns = got["sns"].as_array().unwrap();
        assert_eq!(sns.len(), 1, "exactly one SNS message per run: {got}");
        assert_eq!(
            sns[0]["Subject"],
            "Uptime Scheduler stop office-hours: completed with failures"
        );
        let message: Value = serde_json::from_str(sns[0]["Message"].as_str().unwrap()).unwrap();
        assert_eq!(message, expected, "the SNS message is the model's digest");

        // A steady reconcile tick: nothing arrives anywhere.
        let steady = json!({"request": {"action": "reconcile", "now": "2026-11-24T19:00:00Z"},
                            "results": [{"account": "111111111111", "skipped_regions": [], "regions": [region("111111111111", "eu-west-1", 0)]}]});
        handle(&FakeObjects::default(), &sink, &config, steady, at())
            .await
            .unwrap();
        let got = moto.script("digest_sink.py", &["drain"], &sinks);
        assert_eq!(got, json!({"events": [], "sns": []}));
    }

    /// moto refuses both destinations (a bus and a topic that do not exist): the run summary is
    /// returned, the metrics count the failed digest, and the error names both calls.
    #[tokio::test]
    async fn on_moto_a_digest_whose_destinations_refuse_it_does_not_fail_the_run() {
        let moto = uptime_testkit::moto::Moto::start();
        let config = DigestConfig::from_lookup(|k| match k {
            "DIGEST_EVENT_BUS" => Some("no-such-bus".into()),
            "DIGEST_SNS_TOPIC_ARN" => {
                Some("arn:aws:sns:us-east-1:123456789012:no-such-topic".into())
            }
            _ => None,
        })
        .unwrap();
        let sdk = uptime_aws::sdk::for_emulator(&moto.endpoint(), "us-east-1").await;
        let sink = uptime_aws::AwsDigestSink::new(&sdk, &config);
        let digest = Digest::build(
            &uptime_model::report::summarize(
                RunHeader::of(
                    &uptime_model::RunRequest::from_json(&json!({"action": "stop"}), at()).unwrap(),
                ),
                &[],
                vec![],
            ),
            &Default::default(),
            None,
        );
        let e = sink.publish(&digest).await.unwrap_err();
        assert!(
            e.message
                .contains("events:PutEvents: ResourceNotFoundException"),
            "{e}"
        );
        assert!(
            e.message.contains(
                "sns:Publish to arn:aws:sns:us-east-1:123456789012:no-such-topic: NotFound"
            ),
            "{e}"
        );
        let (summary, emf) = handle(
            &FakeObjects::default(),
            &sink,
            &config,
            json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "results": inline_results()}),
            at(),
        )
        .await
        .expect("the run summary, whatever the digest");
        assert_eq!(summary.instances.stopped, 3);
        assert_eq!(emf["DigestsFailed"], 1);
    }
}
