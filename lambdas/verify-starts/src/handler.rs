//! Event (one verification item: an account's region results with starts, after the run's one
//! wait, ADR 0012) → the same results, with starts that did not reach `running` moved to failed
//! (with EC2's reason).

use serde_json::Value;
use uptime_core::{verify_starts, Connect, Pause, RegionTask};
use uptime_lambda::events::{decode, schedules, VerifyStartsEvent};
use uptime_lambda::{Config, LambdaError};
use uptime_model::ids::session_name;
use uptime_model::json::StrictValue;
use uptime_model::report::RunHeader;
use uptime_model::{RegionReport, TargetError};

/// Returns the region results in the same order, verified.
pub async fn handle(
    connect: &impl Connect,
    pause: &impl Pause,
    config: &Config,
    event: impl Into<StrictValue>,
) -> Result<Vec<Value>, LambdaError> {
    let event: VerifyStartsEvent = decode(event, "verify-starts")?;
    let request = &event.request;
    let session = session_name(&event.execution);
    let schedules = schedules(event.deployed_schedules.as_deref(), request)?;
    let header = RunHeader::of(request);
    // The regions are verified at once, each on its own: one that cannot be verified (a call
    // that timed out, say) keeps its counts and carries the error, as in the CLI, and does
    // not hold up or fail the account's other regions.
    let verified = event.reports.into_iter().map(|item| {
        let task_header = header.clone();
        let schedules = schedules.clone();
        let account = event.account.id.clone();
        let execution = &event.execution;
        let session = &session;
        async move {
            // A caught region failure has no report to verify.
            let Ok(report) = serde_json::from_value::<RegionReport>(item.clone()) else {
                return Ok(item);
            };
            let task = RegionTask {
                account,
                region: report.region.clone(),
                header: task_header,
                schedules,
            };
            let failed_before = report.counts.failed;
            // The failures listed before verification; those listed after and not here are
            // the starts that did not hold (by instance, not by position: the list is capped).
            let listed_before: std::collections::BTreeSet<_> =
                report.failures.iter().map(|f| f.instance.clone()).collect();
            let verified = match verify_starts(
                connect,
                pause,
                &task,
                report.clone(),
                &config.settings,
                session,
            )
            .await
            {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(
                        account = %task.account,
                        region = %task.region,
                        execution = %execution,
                        error = e.error.as_str(),
                        message = %e.message,
                        "starts not verified"
                    );
                    let mut kept = report;
                    kept.error = Some(TargetError::new(
                        e.error,
                        format!("verifying the starts: {}", e.message),
                    ));
                    kept
                }
            };
            let did_not_start = verified.counts.failed - failed_before;
            tracing::info!(
                account = %task.account,
                region = %task.region,
                execution = %execution,
                started = verified.counts.started,
                did_not_start,
                "starts verified"
            );
            for f in verified
                .failures
                .iter()
                .filter(|f| !listed_before.contains(&f.instance))
            {
                tracing::warn!(instance = %f.instance, reason = f.reason.as_str(), message = %f.message, "start did not hold");
            }
            serde_json::to_value(&verified).map_err(|e| LambdaError::invalid(e.to_string()))
        }
    });
    let out = futures::future::join_all(verified)
        .await
        .into_iter()
        .collect::<Result<Vec<Value>, LambdaError>>()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uptime_model::{ErrorName, InstanceState};
    use uptime_testkit::{FakeCloud, Launch, RecordingPause};

    fn config() -> Config {
        Config::from_lookup(|k| (k == "AWS_REGION").then(|| "us-east-1".to_owned())).unwrap()
    }

    /// The handler with the default pause and configuration.
    async fn verify(cloud: &FakeCloud, event: Value) -> Result<Vec<Value>, LambdaError> {
        handle(cloud, &RecordingPause::default(), &config(), event).await
    }

    /// Three instances were started; one fell back to stopped because of its volume's KMS key.
    #[tokio::test]
    async fn a_start_that_fell_back_to_stopped_is_a_kms_access_failure() {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        let ids: Vec<_> = (0..3)
            .map(|_| cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours")))
            .collect();
        cloud.block_start_with_kms(&ids[1]);
        use uptime_core::{Compute, Connect};
        let compute = cloud
            .compute(&a, &uptime_model::Region::parse("eu-west-1").unwrap(), "s")
            .await
            .unwrap();
        compute.start(&ids).await.unwrap();
        assert_eq!(cloud.state(&ids[1]), Some(InstanceState::Stopped));
        let reported = json!({"account": "111111111111", "region": "eu-west-1", "started": 3, "stopped": 0,
            "hibernated": 0, "already": 0, "would_start": 0, "would_stop": 0, "skipped": 0, "failed": 0});
        let caught = json!({"account": "111111111111", "region": "us-east-1", "caught": {"Error": "Throttled", "Cause": "x"}});
        let out = handle(&cloud, &RecordingPause::default(), &config(), json!({
            "request": {"action": "start", "schedule": "office-hours", "now": "2026-11-25T07:00:00Z"},
            "account": "111111111111", "execution": "morning", "reports": [reported, caught.clone()]
        }))
        .await
        .unwrap();
        assert_eq!(out[0]["started"], 2);
        assert_eq!(out[0]["failed"], 1);
        assert_eq!(out[0]["failed_by_reason"], json!({"kms-access": 1}));
        assert_eq!(out[0]["failures"][0]["instance"], ids[1].as_str());
        let message = out[0]["failures"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("Client.InvalidKMSKey.InvalidState"),
            "{message}"
        );
        assert!(message.contains("kms:CreateGrant"), "{message}");
        assert_eq!(out[1], caught, "a caught failure passes through");
    }

    /// An instance whose StartInstances call was refused is already counted as failed; it is
    /// still stopped (with the reason of the stop before it) and must not be counted again.
    #[tokio::test]
    async fn a_start_refused_outright_is_not_counted_twice() {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        let started = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
        let refused = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
        use uptime_core::{Compute, Connect};
        let compute = cloud
            .compute(&a, &uptime_model::Region::parse("eu-west-1").unwrap(), "s")
            .await
            .unwrap();
        compute.start(std::slice::from_ref(&started)).await.unwrap();
        let reported = json!({"account": "111111111111", "region": "eu-west-1", "started": 1, "stopped": 0,
            "hibernated": 0, "already": 0, "would_start": 0, "would_stop": 0, "skipped": 0, "failed": 1,
            "failed_by_reason": {"insufficient-capacity": 1},
            "failures": [{"instance": refused.as_str(), "reason": "insufficient-capacity", "message": "InsufficientInstanceCapacity"}]});
        let out = verify(
            &cloud,
            json!({
                "request": {"action": "start", "now": "2026-11-25T07:00:00Z"},
                "account": "111111111111", "execution": "morning", "reports": [reported.clone()]
            }),
        )
        .await
        .unwrap();
        assert_eq!(out[0], reported);
    }

    #[tokio::test]
    async fn nothing_started_means_nothing_is_described() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let report = json!({"account": "111111111111", "region": "eu-west-1", "started": 0, "stopped": 0,
            "hibernated": 0, "already": 4, "would_start": 0, "would_stop": 0, "skipped": 0, "failed": 0});
        let out = verify(
            &cloud,
            json!({
                "request": {"action": "start", "now": "2026-11-25T07:00:00Z"},
                "account": "111111111111", "execution": "morning", "reports": [report.clone()]
            }),
        )
        .await
        .unwrap();
        assert_eq!(out[0], report);
        assert!(cloud.calls().is_empty());
    }

    /// One region whose verification fails (its discovery times out) keeps its counts and
    /// carries the error; the account's other region is still verified, and the task succeeds.
    #[tokio::test]
    async fn a_region_that_cannot_be_verified_carries_its_error_and_the_others_are_verified() {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        let ids: Vec<_> = ["eu-west-1", "us-east-1"]
            .iter()
            .map(|r| cloud.launch(&a, r, Launch::stopped().schedule("office-hours")))
            .collect();
        cloud.block_start_with_kms(&ids[1]);
        use uptime_core::{Compute, Connect, ErrorKind};
        for (id, r) in ids.iter().zip(["eu-west-1", "us-east-1"]) {
            let compute = cloud
                .compute(&a, &uptime_model::Region::parse(r).unwrap(), "s")
                .await
                .unwrap();
            compute.start(std::slice::from_ref(id)).await.unwrap();
        }
        cloud.fail_next(
            uptime_testkit::Op::DescribeInstances,
            None,
            Some("eu-west-1"),
            ErrorKind::TimedOut,
            100,
        );
        let report = |region: &str| {
            json!({"account": "111111111111", "region": region, "started": 1, "stopped": 0,
            "hibernated": 0, "already": 0, "would_start": 0, "would_stop": 0, "skipped": 0, "failed": 0})
        };
        let out = verify(
            &cloud,
            json!({
                "request": {"action": "start", "now": "2026-11-25T07:00:00Z"},
                "account": "111111111111", "execution": "morning",
                "reports": [report("eu-west-1"), report("us-east-1")]
            }),
        )
        .await
        .expect("one region's failure does not fail the task");
        assert_eq!(out[0]["started"], 1, "counts kept: {}", out[0]);
        assert_eq!(out[0]["error"]["error"], "Transient", "{}", out[0]);
        assert!(out[0]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("verifying the starts: "));
        assert_eq!(
            out[1]["failed_by_reason"],
            json!({"kms-access": 1}),
            "{}",
            out[1]
        );
    }

    #[tokio::test]
    async fn a_malformed_event_is_invalid_input() {
        let cloud = FakeCloud::new();
        let e = verify(&cloud, json!({"request": {}, "account": "1"}))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
    }
}
