//! Event → the account's region results, with starts that did not reach `running` moved to
//! failed (with EC2's reason).

use serde::Deserialize;
use serde_json::Value;
use uptime_core::{verify_starts, Connect, Pause, RegionTask};
use uptime_lambda::events::{decode, request, schedules};
use uptime_lambda::{Config, LambdaError};
use uptime_model::ids::session_name;
use uptime_model::json::StrictValue;
use uptime_model::report::RunHeader;
use uptime_model::{AccountTarget, RegionReport};

/// `verify-starts` event: the child execution's region results (`$.reports`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyStartsEvent {
    request: Value,
    account: AccountTarget,
    execution: String,
    /// Region reports, or caught region failures (passed through unchanged).
    reports: Vec<Value>,
    /// The deployed schedules document, as a JSON string.
    #[serde(default)]
    deployed_schedules: Option<String>,
}

/// Returns the region results in the same order, verified.
pub async fn handle(
    connect: &impl Connect,
    pause: &impl Pause,
    config: &Config,
    event: impl Into<StrictValue>,
) -> Result<Vec<Value>, LambdaError> {
    let event: VerifyStartsEvent = decode(event, "verify-starts")?;
    let request = request(&event.request)?;
    let session = session_name(&event.execution);
    let schedules = schedules(event.deployed_schedules.as_deref(), &request)?;
    let mut out = Vec::with_capacity(event.reports.len());
    for item in event.reports {
        // A caught region failure has no report to verify.
        let Ok(report) = serde_json::from_value::<RegionReport>(item.clone()) else {
            out.push(item);
            continue;
        };
        let task = RegionTask {
            account: event.account.id.clone(),
            region: report.region.clone(),
            header: RunHeader {
                action: request.action,
                dry_run: request.dry_run,
                schedule: request.schedule.clone(),
                now: request.now,
            },
            schedules: schedules.clone(),
        };
        let failed_before = report.counts.failed;
        let verified =
            verify_starts(connect, pause, &task, report, &config.settings, &session).await?;
        let did_not_start = verified.counts.failed - failed_before;
        tracing::info!(
            account = %task.account,
            region = %task.region,
            execution = %event.execution,
            started = verified.counts.started,
            did_not_start,
            "starts verified"
        );
        for f in verified.failures.iter().rev().take(did_not_start as usize) {
            tracing::warn!(instance = %f.instance, reason = f.reason.as_str(), message = %f.message, "start did not hold");
        }
        out.push(serde_json::to_value(&verified).map_err(|e| LambdaError::invalid(e.to_string()))?);
    }
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
        let out = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
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
        let out = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
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

    #[tokio::test]
    async fn a_malformed_event_is_invalid_input() {
        let cloud = FakeCloud::new();
        let e = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
            json!({"request": {}, "account": "1"}),
        )
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
    }
}
