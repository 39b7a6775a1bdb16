//! Event → region run → its log (`uptime_core::log_region`), compact report.

use uptime_core::{schedule_region, Connect, Pause, RegionTask};
use uptime_lambda::events::{decode, schedules, ScheduleRegionEvent};
use uptime_lambda::{Config, LambdaError};
use uptime_model::ids::session_name;
use uptime_model::json::StrictValue;
use uptime_model::report::RunHeader;
use uptime_model::RegionReport;

pub async fn handle(
    connect: &impl Connect,
    pause: &impl Pause,
    config: &Config,
    event: impl Into<StrictValue>,
) -> Result<RegionReport, LambdaError> {
    let event: ScheduleRegionEvent = decode(event, "schedule-region")?;
    let request = &event.request;
    let schedules = schedules(event.deployed_schedules.as_deref(), request)?;
    let task = RegionTask {
        account: event.account.id.clone(),
        region: event.region.clone(),
        header: RunHeader::of(request),
        schedules,
    };
    let span = tracing::info_span!(
        "schedule_region",
        account = %task.account,
        region = %task.region,
        execution = %event.execution
    );
    let _guard = span.enter();
    let run = schedule_region(
        connect,
        pause,
        &task,
        &config.settings,
        &session_name(&event.execution),
    )
    .await?;
    uptime_core::log_region(&run.records, request.dry_run);
    // EMF: each object alone on its line of the function's log.
    let at = jiff::Timestamp::now().as_millisecond();
    for line in uptime_model::emf::avoided_metrics(&run.avoided, at) {
        println!("{line}");
    }
    Ok(run.report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::Value;
    use uptime_model::{ErrorName, InstanceState};
    use uptime_testkit::{FakeCloud, Launch, Op, RecordingPause};

    fn config() -> Config {
        Config::from_lookup(|k| (k == "AWS_REGION").then(|| "us-east-1".to_owned())).unwrap()
    }

    fn event(extra: Value) -> Value {
        let mut e = json!({
            "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"},
            "account": "111111111111", "region": "eu-west-1", "execution": "nightly-stop"
        });
        e["request"]
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        e
    }

    #[tokio::test]
    async fn the_report_is_compact_and_shaped_as_the_state_machine_expects() {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
        cloud.launch(&a, "eu-west-1", Launch::running().schedule("s").spot());
        let report = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
            event(json!({})),
        )
        .await
        .unwrap();
        assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(v["account"], "111111111111");
        assert_eq!(v["region"], "eu-west-1");
        assert_eq!(v["stopped"], 1);
        assert_eq!(v["skipped_by_reason"], json!({"spot": 1}));
        assert!(v.get("error").is_none());
        assert!(
            !v.to_string().contains(id.as_str()),
            "no per-instance ids for successes"
        );
    }

    #[tokio::test]
    async fn dry_run_flows_through_and_touches_nothing() {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
        let report = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
            event(json!({"dry_run": true})),
        )
        .await
        .unwrap();
        assert_eq!(report.counts.would_stop, 1);
        assert!(cloud.mutating_calls().is_empty());
    }

    #[tokio::test]
    async fn a_denied_role_fails_the_task_as_access_denied() {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        cloud.deny_role(&a);
        let e = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
            event(json!({})),
        )
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::AccessDenied);
        assert!(uptime_lambda::TASK_ERRORS.contains(&e.name));
        assert_eq!(cloud.count(Op::DescribeInstances), 0);
    }
}
