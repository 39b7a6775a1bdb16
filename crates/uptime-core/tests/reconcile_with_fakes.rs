//! Reconcile runs in memory against the stateful fakes: schedules resolved from the document
//! and from inline tags, last-action tags written in batches after the change, faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::sync::Arc;
use uptime_core::{ErrorKind, OrgRun, Settings};
use uptime_model::{InstanceState, Note, Region, RunRequest};
use uptime_schedule::ScheduleDocument;
use uptime_testkit::{FakeCloud, Launch, Op, RecordingPause};

const LAST: &str = "uptime-scheduler:last-action";

fn settings() -> Settings {
    let mut s = Settings::new(
        Region::parse("us-east-1").unwrap(),
        vec![Region::parse("eu-west-1").unwrap()],
    );
    s.schedules = Arc::new(
        ScheduleDocument::from_json(&json!({
            "default_timezone": "Europe/London",
            "calendars": {"uk": ["2026-12-25"]},
            "schedules": {
                "office-hours": {
                    "periods": [{"begin": "08:00", "end": "18:00", "weekdays": "mon-fri"}],
                    "holidays": ["uk"]
                }
            }
        }))
        .unwrap(),
    );
    s
}

async fn reconcile_at(cloud: &FakeCloud, now: &str, extra: Value) -> OrgRun {
    let mut input = json!({"action": "reconcile", "now": now});
    if let (Some(i), Some(e)) = (input.as_object_mut(), extra.as_object()) {
        i.extend(e.clone());
    }
    let req = RunRequest::from_json(&input, jiff::Timestamp::UNIX_EPOCH).unwrap();
    cloud
        .run(&req, &settings())
        .await
        .expect("listing succeeds")
}

fn reasons(run: &OrgRun) -> Value {
    json!(run.summary.instances.decided_by_reason)
}

#[tokio::test]
async fn a_start_transition_starts_and_tags_with_one_call_per_value() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let named: Vec<_> = (0..3)
        .map(|_| cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours")))
        .collect();
    let inline = cloud.launch(
        &a,
        "eu-west-1",
        Launch::stopped().schedule("mon-fri 08:00-18:00 Europe/London"),
    );
    let untagged = cloud.launch(&a, "eu-west-1", Launch::stopped());
    let asg = cloud.launch(
        &a,
        "eu-west-1",
        Launch::stopped()
            .schedule("office-hours")
            .tag("aws:autoscaling:groupName", "web"),
    );
    // Thursday 2026-11-26, 08:05 London (GMT).
    let run = reconcile_at(&cloud, "2026-11-26T08:05:00Z", json!({})).await;
    for id in named.iter().chain([&inline]) {
        assert_eq!(cloud.state(id), Some(InstanceState::Running));
        assert_eq!(
            cloud.tag_value(id, LAST).as_deref(),
            Some("start@2026-11-26T08:00Z")
        );
    }
    assert_eq!(cloud.state(&untagged), Some(InstanceState::Stopped));
    assert_eq!(cloud.state(&asg), Some(InstanceState::Stopped));
    assert_eq!(cloud.tag_value(&asg, LAST), None);
    // Four instances, one transition instant: one StartInstances, one CreateTags.
    assert_eq!(cloud.count(Op::StartInstances), 1);
    assert_eq!(cloud.count(Op::CreateTags), 1);
    assert_eq!(run.summary.instances.started, 4);
    assert_eq!(reasons(&run)["in-window"], 4);

    // The next tick changes nothing and writes nothing.
    let before = cloud.mutating_calls().len();
    let again = reconcile_at(&cloud, "2026-11-26T08:10:00Z", json!({})).await;
    assert_eq!(cloud.mutating_calls().len(), before);
    assert_eq!(again.summary.instances.already, 4);
}

#[tokio::test]
async fn unknown_names_and_bad_expressions_skip_only_their_instance_with_the_reason() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let unknown = cloud.launch(&a, "eu-west-1", Launch::running().schedule("nightly"));
    let bad = cloud.launch(
        &a,
        "eu-west-1",
        Launch::running().schedule("mon-fri 08:00-25:00 Europe/London"),
    );
    let good = cloud.launch(&a, "eu-west-1", Launch::running().schedule("office-hours"));
    let run = reconcile_at(&cloud, "2026-11-26T18:05:00Z", json!({})).await;
    assert_eq!(cloud.state(&unknown), Some(InstanceState::Running));
    assert_eq!(cloud.state(&bad), Some(InstanceState::Running));
    assert_eq!(cloud.state(&good), Some(InstanceState::Stopped));
    let skipped = &run.summary.instances.skipped_by_reason;
    assert_eq!(skipped.get("unknown-schedule"), Some(&1));
    assert_eq!(skipped.get("invalid-schedule"), Some(&1));
    assert_eq!(run.summary.instances.stopped, 1);
}

#[tokio::test]
async fn the_runs_own_schedules_are_laid_over_the_deployed_ones() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("office-hours"));
    // Redefined by the run: 06:00–20:00, so 18:05 is still in the window.
    let run = reconcile_at(
        &cloud,
        "2026-11-26T18:05:00Z",
        json!({"schedules": {"schedules": {"office-hours": "mon-fri 06:00-20:00 Europe/London"}}}),
    )
    .await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Running));
    assert_eq!(run.summary.instances.already, 1);
}

#[tokio::test]
async fn a_dry_run_decides_but_neither_changes_nor_tags() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("office-hours"));
    let run = reconcile_at(&cloud, "2026-11-26T18:05:00Z", json!({"dry_run": true})).await;
    assert!(cloud.mutating_calls().is_empty());
    assert_eq!(cloud.state(&id), Some(InstanceState::Running));
    assert_eq!(cloud.tag_value(&id, LAST), None);
    assert_eq!(run.summary.instances.would_stop, 1);
    assert_eq!(reasons(&run)["outside-window"], 1);
}

#[tokio::test]
async fn a_failed_tag_write_is_noted_and_the_next_run_writes_it_without_acting_again() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("office-hours"));
    cloud.fail_next(Op::CreateTags, None, None, ErrorKind::AccessDenied, 1);
    let run = reconcile_at(&cloud, "2026-11-26T18:05:00Z", json!({})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
    assert_eq!(cloud.tag_value(&id, LAST), None);
    assert_eq!(
        run.summary
            .instances
            .notes
            .get(Note::LastActionNotWritten.as_str()),
        Some(&1)
    );
    assert_eq!(run.summary.instances.stopped, 1, "the stop itself happened");

    let next = reconcile_at(&cloud, "2026-11-26T18:10:00Z", json!({})).await;
    assert_eq!(cloud.count(Op::StopInstances), 1, "not stopped twice");
    assert_eq!(
        cloud.tag_value(&id, LAST).as_deref(),
        Some("stop@2026-11-26T18:00Z")
    );
    assert_eq!(next.summary.instances.already, 1);
}

#[tokio::test]
async fn a_throttled_stop_is_applied_by_the_next_run_within_the_catch_up_window() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("office-hours"));
    // As many throttles as the engine's attempts: the stop fails and no tag is written.
    let attempts = settings().retry.attempts;
    cloud.fail_next(
        Op::StopInstances,
        None,
        None,
        ErrorKind::Throttled,
        attempts,
    );
    let run = reconcile_at(&cloud, "2026-11-26T18:05:00Z", json!({})).await;
    assert_eq!(run.summary.instances.failed, 1);
    assert_eq!(cloud.tag_value(&id, LAST), None);
    let late = reconcile_at(&cloud, "2026-11-26T18:50:00Z", json!({})).await;
    assert_eq!(late.summary.instances.stopped, 1, "{:?}", late.summary);
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
}

#[tokio::test]
async fn manual_changes_are_respected_until_the_next_transition() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    reconcile_at(&cloud, "2026-11-26T08:05:00Z", json!({})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Running));
    // Stopped by hand at 10:00; the 10:05 run leaves it stopped.
    cloud.set_state(&id, InstanceState::Stopped);
    let run = reconcile_at(&cloud, "2026-11-26T10:05:00Z", json!({})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
    assert_eq!(
        run.summary
            .instances
            .skipped_by_reason
            .get("manual-change-respected"),
        Some(&1)
    );
    // Started by hand at 20:00 after the 18:00 stop was recorded: left running at 20:05.
    reconcile_at(&cloud, "2026-11-26T18:05:00Z", json!({})).await;
    cloud.set_state(&id, InstanceState::Running);
    reconcile_at(&cloud, "2026-11-26T20:05:00Z", json!({})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Running));
    // The next stop transition (Friday 18:00) stops it.
    reconcile_at(&cloud, "2026-11-27T18:05:00Z", json!({})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
}

#[tokio::test]
async fn a_start_that_falls_back_to_stopped_is_found_by_verification_in_reconcile_mode() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let ok = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    let blocked = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    cloud.block_start_with_kms(&blocked);
    let input = json!({"action": "reconcile", "now": "2026-11-26T08:05:00Z"});
    let mut out = reconcile_at(&cloud, "2026-11-26T08:05:00Z", json!({})).await;
    assert_eq!(out.summary.instances.started, 2);
    uptime_core::verify_organization_starts(
        &cloud,
        &RecordingPause::default(),
        &mut out,
        &RunRequest::from_json(&input, jiff::Timestamp::UNIX_EPOCH).unwrap(),
        &settings(),
        "test",
        uptime_core::Concurrency::default(),
    )
    .await;
    assert_eq!(out.summary.instances.started, 1);
    assert_eq!(
        out.summary.instances.failed_by_reason.get("kms-access"),
        Some(&1)
    );
    assert_eq!(out.accounts[0].regions[0].failures[0].instance, blocked);
    assert_eq!(cloud.state(&ok), Some(InstanceState::Running));
}

#[tokio::test]
async fn the_next_run_reports_a_start_that_fell_back_to_stopped_not_a_manual_stop() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let ok = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    let blocked = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    let by_hand = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    cloud.block_start_with_kms(&blocked);
    let first = reconcile_at(&cloud, "2026-11-26T08:05:00Z", json!({})).await;
    assert_eq!(
        first.summary.instances.started, 3,
        "StartInstances accepted all"
    );
    // Someone stops one by hand (no KMS state reason); the blocked one fell back by itself.
    cloud.set_state(&by_hand, InstanceState::Stopped);
    let next = reconcile_at(&cloud, "2026-11-26T08:10:00Z", json!({})).await;
    let c = &next.summary.instances;
    assert_eq!(c.failed_by_reason.get("kms-access"), Some(&1), "{c:?}");
    assert_eq!(c.skipped_by_reason.get("manual-change-respected"), Some(&1));
    assert_eq!(c.already, 1);
    let failure = &next.accounts[0].regions[0].failures[0];
    assert_eq!(failure.instance, blocked);
    assert!(
        failure.message.contains("kms:CreateGrant"),
        "{}",
        failure.message
    );
    assert_eq!(cloud.state(&ok), Some(InstanceState::Running));
    assert_eq!(cloud.count(Op::StartInstances), 1, "no second start");
    assert_eq!(
        next.summary.status,
        uptime_model::report::RunStatus::CompletedWithFailures
    );
}

#[tokio::test]
async fn an_instance_that_cannot_take_the_tag_loses_only_its_own_tag() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let ids: Vec<_> = (0..8)
        .map(|_| cloud.launch(&a, "eu-west-1", Launch::running().schedule("office-hours")))
        .collect();
    // The fifth already carries EC2's 50 tags: CreateTags including it fails as a whole.
    let full = ids[4].clone();
    for n in 0..49 {
        cloud.set_tag(&full, &format!("team:{n}"), "x");
    }
    let run = reconcile_at(&cloud, "2026-11-26T18:05:00Z", json!({})).await;
    assert_eq!(run.summary.instances.stopped, 8, "every stop happened");
    for id in ids.iter().filter(|id| **id != full) {
        assert_eq!(
            cloud.tag_value(id, LAST).as_deref(),
            Some("stop@2026-11-26T18:00Z"),
            "{id} keeps its record although another instance could not take it"
        );
    }
    assert_eq!(cloud.tag_value(&full, LAST), None);
    assert_eq!(
        run.summary
            .instances
            .notes
            .get(Note::LastActionNotWritten.as_str()),
        Some(&1),
        "only the full instance is noted"
    );
    // One whole call, then the bisection down to the one at fault: a handful of calls, not
    // one per instance.
    let tag_calls = cloud.count(Op::CreateTags);
    assert!((2..=7).contains(&tag_calls), "{tag_calls} CreateTags calls");

    // The next tick does not undo the others' state, and leaves the full one as it is.
    cloud.set_state(&ids[0], InstanceState::Running);
    let next = reconcile_at(&cloud, "2026-11-26T18:10:00Z", json!({})).await;
    assert_eq!(cloud.state(&ids[0]), Some(InstanceState::Running));
    assert_eq!(next.summary.instances.stopped, 0);
}
