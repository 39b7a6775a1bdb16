//! Whole engine runs in memory against the stateful fakes, with faults injected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use uptime_core::{
    run_organization, schedule_region, select_accounts, Concurrency, ErrorKind, OrgRun, RegionTask,
    RunOptions, Settings,
};
use uptime_model::report::{AccountSkipReason, RegionSkipReason, RunHeader, RunStatus};
use uptime_model::{
    AccountStatus, Action, ErrorName, FailReason, InstanceState, Outcome, Region, RunRequest,
};
use uptime_testkit::{FakeCloud, Launch, Op, RecordingPause};

fn settings() -> Settings {
    Settings::new(
        Region::parse("us-east-1").unwrap(),
        vec![Region::parse("eu-west-1").unwrap()],
    )
}

fn request(v: serde_json::Value) -> RunRequest {
    RunRequest::from_json(&v, "2026-11-24T19:00:00Z".parse().unwrap()).unwrap()
}

async fn run(cloud: &FakeCloud, input: serde_json::Value) -> OrgRun {
    run_with(cloud, input, &settings()).await
}

async fn run_with(cloud: &FakeCloud, input: serde_json::Value, settings: &Settings) -> OrgRun {
    cloud
        .run(&request(input), settings)
        .await
        .expect("listing succeeds")
}

#[tokio::test]
async fn stop_changes_exactly_the_tagged_running_on_demand_instances() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let run1 = cloud.launch(&a, "eu-west-1", Launch::running().schedule("office-hours"));
    let run2 = cloud.launch(&a, "eu-west-1", Launch::running().schedule("nightly"));
    let stopped = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    let untagged = cloud.launch(&a, "eu-west-1", Launch::running());
    let ignored = cloud.launch(&a, "eu-west-1", Launch::running().schedule("ignore"));
    let asg = cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("office-hours")
            .tag("aws:autoscaling:groupName", "web"),
    );
    let spot = cloud.launch(
        &a,
        "eu-west-1",
        Launch::running().schedule("office-hours").spot(),
    );

    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&run1), Some(InstanceState::Stopped));
    assert_eq!(cloud.state(&run2), Some(InstanceState::Stopped));
    for id in [&untagged, &ignored, &asg, &spot] {
        assert_eq!(
            cloud.state(id),
            Some(InstanceState::Running),
            "{id} untouched"
        );
    }
    assert_eq!(cloud.state(&stopped), Some(InstanceState::Stopped));
    let touched: Vec<_> = cloud
        .mutating_calls()
        .into_iter()
        .flat_map(|c| c.ids)
        .collect();
    assert_eq!(touched.len(), 2);
    let i = &out.summary.instances;
    assert_eq!((i.stopped, i.already, i.skipped, i.failed), (2, 1, 3, 0));
    assert_eq!(i.skipped_by_reason["autoscaling-member"], 1);
    assert_eq!(i.skipped_by_reason["spot"], 1);
    assert_eq!(i.skipped_by_reason["opted-out"], 1);
    assert_eq!(out.summary.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn a_named_schedule_limits_the_run_to_its_instances() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let office = cloud.launch(&a, "eu-west-1", Launch::running().schedule("office-hours"));
    let nightly = cloud.launch(&a, "eu-west-1", Launch::running().schedule("nightly"));
    run(
        &cloud,
        json!({"action": "stop", "schedule": "office-hours"}),
    )
    .await;
    assert_eq!(cloud.state(&office), Some(InstanceState::Stopped));
    assert_eq!(cloud.state(&nightly), Some(InstanceState::Running));
}

/// One rule for a padded schedule tag, whether the run names the schedule or not: the value is
/// read trimmed, so `" office-hours"` is `office-hours` in both (the filtered discovery used to
/// ask EC2 for the exact value and lose it without a word).
#[tokio::test]
async fn a_padded_schedule_tag_is_the_same_schedule_with_or_without_a_schedule_filter() {
    for input in [
        json!({"action": "stop"}),
        json!({"action": "stop", "schedule": "office-hours"}),
    ] {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        let padded = cloud.launch(&a, "eu-west-1", Launch::running().schedule(" office-hours"));
        let trailing = cloud.launch(
            &a,
            "eu-west-1",
            Launch::running().schedule("office-hours  "),
        );
        let longer = cloud.launch(
            &a,
            "eu-west-1",
            Launch::running().schedule("office-hours-eu"),
        );
        let out = run(&cloud, input.clone()).await;
        assert_eq!(
            cloud.state(&padded),
            Some(InstanceState::Stopped),
            "{input}"
        );
        assert_eq!(
            cloud.state(&trailing),
            Some(InstanceState::Stopped),
            "{input}"
        );
        let filtered = input.get("schedule").is_some();
        assert_eq!(
            cloud.state(&longer),
            Some(if filtered {
                InstanceState::Running
            } else {
                InstanceState::Stopped
            }),
            "{input}"
        );
        assert_eq!(
            out.summary.instances.stopped,
            if filtered { 2 } else { 3 },
            "{input}"
        );
        assert_eq!(out.summary.instances.skipped, 0, "{input}");
    }
}

#[tokio::test]
async fn a_failing_batch_isolates_the_bad_instance() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let ids: Vec<_> = (0..10)
        .map(|_| cloud.launch(&a, "eu-west-1", Launch::running().schedule("s")))
        .collect();
    cloud.poison(&ids[6], ErrorKind::InvalidState, "IncorrectInstanceState");
    let out = run(&cloud, json!({"action": "stop"})).await;
    for (n, id) in ids.iter().enumerate() {
        let want = if n == 6 {
            InstanceState::Running
        } else {
            InstanceState::Stopped
        };
        assert_eq!(cloud.state(id), Some(want), "instance {n}");
    }
    let i = &out.summary.instances;
    assert_eq!((i.stopped, i.failed), (9, 1));
    let region = &out.accounts[0].regions[0];
    assert_eq!(region.failures[0].instance, ids[6]);
    assert_eq!(region.failures[0].reason, FailReason::InvalidState);
    assert_eq!(out.summary.status, RunStatus::CompletedWithFailures);
    // One whole-batch call, then bisecting: far fewer calls than one per instance.
    assert!(
        cloud.count(Op::StopInstances) <= 9,
        "{} calls",
        cloud.count(Op::StopInstances)
    );
}

#[tokio::test]
async fn batches_respect_the_configured_size() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    for _ in 0..120 {
        cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    }
    let mut fifty = settings();
    fifty.batch_size = 50;
    let out = run_with(&cloud, json!({"action": "stop"}), &fifty).await;
    assert_eq!(out.summary.instances.stopped, 120);
    let sizes: Vec<_> = cloud.mutating_calls().iter().map(|c| c.ids.len()).collect();
    assert_eq!(sizes, vec![50, 50, 20]);
}

/// The default batch is the instance-count bucket's 1,000: 125 instances to start are one
/// StartInstances call (3 at the former default of 50, of a request bucket that holds 5), and
/// 2,500 are three.
#[tokio::test]
async fn the_default_batch_sends_a_regions_starts_in_as_few_calls_as_ec2_can_grant() {
    assert_eq!(uptime_core::engine::DEFAULT_BATCH_SIZE, 1000);
    for (instances, calls) in [(125, vec![125]), (2_500, vec![1000, 1000, 500])] {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        for _ in 0..instances {
            cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("s"));
        }
        let out = run(&cloud, json!({"action": "start"})).await;
        assert_eq!(out.summary.instances.started, instances as u64);
        let sizes: Vec<_> = cloud.mutating_calls().iter().map(|c| c.ids.len()).collect();
        assert_eq!(sizes, calls, "{instances} instances");
    }
}

#[tokio::test]
async fn throttling_on_the_first_calls_is_retried_then_succeeds() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    cloud.fail_next(Op::ListAccounts, None, None, ErrorKind::Throttled, 2);
    cloud.fail_next(Op::DescribeInstances, None, None, ErrorKind::Throttled, 1);
    cloud.fail_next(Op::StopInstances, None, None, ErrorKind::Throttled, 2);
    let pause = RecordingPause::default();
    let out = run_organization(
        &cloud,
        &cloud,
        &pause,
        &request(json!({"action": "stop"})),
        &settings(),
        RunOptions::quiet("t"),
    )
    .await
    .unwrap();
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
    assert_eq!(out.summary.status, RunStatus::Succeeded);
    assert_eq!(cloud.count(Op::ListAccounts), 3);
    assert_eq!(cloud.count(Op::StopInstances), 3);
    assert_eq!(pause.pauses().len(), 5, "one back-off per retry");
}

/// As schedule-account retries a throttled region (and the state machine its task), an
/// in-process run runs a throttled region or account again (2 s, 4 s, … at most 20 s), so a
/// burst that outlasts the calls' own retries is absorbed in the CLI too; one that outlasts
/// those as well fails the region, and the other regions go on.
#[tokio::test]
async fn a_throttled_region_or_account_is_run_again_as_the_state_machine_retries_its_task() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    // 6 throttled describes: more than one region run's 4 attempts, fewer than two runs' 8.
    cloud.fail_next(Op::DescribeInstances, None, None, ErrorKind::Throttled, 6);
    cloud.fail_next(Op::AssumeRole, None, None, ErrorKind::Throttled, 5);
    let pause = RecordingPause::default();
    let out = run_organization(
        &cloud,
        &cloud,
        &pause,
        &request(json!({"action": "stop"})),
        &settings(),
        RunOptions::quiet("t"),
    )
    .await
    .unwrap();
    assert_eq!(
        out.summary.status,
        RunStatus::Succeeded,
        "{:?}",
        out.summary
    );
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
    let task_pauses: Vec<u64> = pause
        .pauses()
        .iter()
        .filter(|d| d.as_secs() >= 2)
        .map(|d| d.as_secs())
        .collect();
    assert_eq!(
        task_pauses,
        [2, 2],
        "one task-level retry of the account, one of the region"
    );

    // A burst that outlasts five region runs fails the region, named, and nothing else.
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    cloud.fail_next(Op::DescribeInstances, None, None, ErrorKind::Throttled, 100);
    let pause = RecordingPause::default();
    let out = run_organization(
        &cloud,
        &cloud,
        &pause,
        &request(json!({"action": "stop"})),
        &settings(),
        RunOptions::quiet("t"),
    )
    .await
    .unwrap();
    assert_eq!(cloud.state(&id), Some(InstanceState::Running));
    assert_eq!(out.summary.regions.failed, 1);
    assert_eq!(out.summary.failures[0].error, "Throttled");
    assert_eq!(
        cloud.count(Op::DescribeInstances),
        20,
        "5 region runs of 4 attempts"
    );
    let task_pauses: Vec<u64> = pause
        .pauses()
        .iter()
        .filter(|d| d.as_secs() >= 2)
        .map(|d| d.as_secs())
        .collect();
    assert_eq!(task_pauses, [2, 4, 8, 16]);
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_fails_the_instances_not_the_run() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    cloud.fail_next(Op::StopInstances, None, None, ErrorKind::Throttled, 100);
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Running));
    assert_eq!(out.summary.instances.failed_by_reason["throttled"], 1);
    assert_eq!(cloud.count(Op::StopInstances), 4, "attempts are bounded");
}

#[tokio::test]
async fn discovery_that_keeps_failing_fails_only_that_region() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let eu = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    let us = cloud.launch(&a, "us-east-1", Launch::running().schedule("s"));
    cloud.fail_next(
        Op::DescribeInstances,
        None,
        Some("eu-west-1"),
        ErrorKind::Transient,
        100,
    );
    let out = run(
        &cloud,
        json!({"action": "stop", "regions": ["eu-west-1", "us-east-1"]}),
    )
    .await;
    assert_eq!(cloud.state(&eu), Some(InstanceState::Running));
    assert_eq!(cloud.state(&us), Some(InstanceState::Stopped));
    assert_eq!(
        (out.summary.regions.failed, out.summary.regions.succeeded),
        (1, 1)
    );
    assert_eq!(out.summary.failures[0].error, "Transient");
    assert_eq!(
        out.summary.failures[0].region.as_ref().unwrap().as_str(),
        "eu-west-1"
    );
}

#[tokio::test]
async fn an_account_whose_role_cannot_be_assumed_fails_alone() {
    let cloud = FakeCloud::new();
    let good = cloud.add_enabled_account("111111111111");
    let bad = cloud.add_enabled_account("222222222222");
    let other = cloud.add_enabled_account("333333333333");
    let ids = [good.clone(), bad.clone(), other.clone()]
        .map(|acct| cloud.launch(&acct, "eu-west-1", Launch::running().schedule("s")));
    cloud.deny_role(&bad);
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&ids[0]), Some(InstanceState::Stopped));
    assert_eq!(cloud.state(&ids[1]), Some(InstanceState::Running));
    assert_eq!(cloud.state(&ids[2]), Some(InstanceState::Stopped));
    assert_eq!(out.summary.status, RunStatus::CompletedWithFailures);
    assert_eq!(
        (out.summary.accounts.succeeded, out.summary.accounts.failed),
        (2, 1)
    );
    assert_eq!(out.summary.failures.len(), 1);
    assert_eq!(out.summary.failures[0].account, bad);
    assert_eq!(
        out.summary.failures[0].error,
        ErrorName::AccessDenied.as_str()
    );
    assert!(out.summary.failures[0]
        .message
        .contains("assuming the member role"));
}

#[tokio::test]
async fn dry_run_makes_zero_mutating_calls_and_reports_what_it_would_do() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let r = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("s"));
    cloud.launch(&a, "eu-west-1", Launch::running().schedule("s").spot());
    let out = run(&cloud, json!({"action": "stop", "dry_run": true})).await;
    assert!(cloud.mutating_calls().is_empty());
    assert_eq!(cloud.state(&r), Some(InstanceState::Running));
    let i = &out.summary.instances;
    assert_eq!(
        (i.would_stop, i.already, i.skipped, i.stopped),
        (1, 1, 1, 0)
    );
    assert!(out.summary.dry_run);
}

#[tokio::test]
async fn a_second_identical_run_changes_nothing() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    for _ in 0..3 {
        cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    }
    run(&cloud, json!({"action": "stop"})).await;
    let before = cloud.mutating_calls().len();
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.mutating_calls().len(), before);
    assert_eq!(
        (out.summary.instances.already, out.summary.instances.stopped),
        (3, 0)
    );
}

#[tokio::test]
async fn start_brings_stopped_instances_up_and_never_revives_terminated_ones() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let s = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("s"));
    let t = cloud.launch(
        &a,
        "eu-west-1",
        Launch::new(InstanceState::Terminated).schedule("s"),
    );
    let out = run(&cloud, json!({"action": "start"})).await;
    assert_eq!(cloud.state(&s), Some(InstanceState::Running));
    assert_eq!(cloud.state(&t), Some(InstanceState::Terminated));
    assert_eq!(out.summary.instances.started, 1);
    assert!(cloud.mutating_calls().iter().all(|c| !c.ids.contains(&t)));
}

#[tokio::test]
async fn hibernation_is_used_when_asked_and_refusals_fall_back_to_a_plain_stop() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let ok = cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("s")
            .tag("uptime-scheduler:hibernate", "true")
            .hibernation(),
    );
    let refused = cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("s")
            .tag("uptime-scheduler:hibernate", "true")
            .hibernation(),
    );
    cloud.poison(
        &refused,
        ErrorKind::HibernationRefused,
        "UnsupportedHibernationConfiguration",
    );
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&ok), Some(InstanceState::Stopped));
    // The refusal is poisoned for every call, so its plain-stop fallback fails too: reported.
    assert_eq!(out.summary.instances.hibernated, 1);
    assert_eq!(out.summary.instances.failed, 1);
    let hib_calls = cloud
        .calls()
        .into_iter()
        .filter(|c| c.op == Op::StopInstances && c.hibernate)
        .count();
    assert!(hib_calls >= 2);
    assert!(cloud
        .calls()
        .iter()
        .any(|c| c.op == Op::StopInstances && !c.hibernate && c.ids == vec![refused.clone()]));
}

#[tokio::test]
async fn hibernation_refused_by_ec2_falls_back_to_stop() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    // Tagged for hibernation and reported as configured, but EC2 refuses (fake: not configured on its side).
    let id = cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("s")
            .tag("uptime-scheduler:hibernate", "true")
            .hibernation(),
    );
    cloud.fail_next(
        Op::StopInstances,
        None,
        None,
        ErrorKind::HibernationRefused,
        1,
    );
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
    assert_eq!(out.summary.instances.stopped, 1);
    assert_eq!(out.summary.instances.failed, 0);
}

#[tokio::test]
async fn account_selection_honours_opt_in_filters_status_and_units() {
    let cloud = FakeCloud::new();
    let on = cloud.add_enabled_account("111111111111");
    let off = cloud.add_account(
        "222222222222",
        "off",
        &[("uptime-scheduler:enabled", "false")],
    );
    let untagged = cloud.add_account("333333333333", "untagged", &[]);
    let suspended = cloud.add_enabled_account("444444444444");
    cloud.set_status(&suspended, AccountStatus::Inactive);
    let nested = cloud.add_enabled_account("555555555555");
    let dev = cloud.add_unit("ou-fake-11111111", None);
    let team = cloud.add_unit("ou-fake-22222222", Some(&dev));
    cloud.move_account(&nested, &team);
    let s = settings();
    let pause = RecordingPause::default();

    let all = select_accounts(&cloud, &pause, &request(json!({"action": "stop"})), &s)
        .await
        .unwrap();
    let ids: Vec<_> = all.accounts.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids, vec![on.clone(), nested.clone()]);
    assert_eq!(
        (
            all.counts.listed,
            all.counts.not_opted_in,
            all.counts.inactive
        ),
        (5, 2, 1)
    );
    assert!(
        all.skipped.is_empty(),
        "only accounts named by the run are listed as skipped"
    );

    let named = select_accounts(
        &cloud,
        &pause,
        &request(json!({"action": "stop", "accounts": ["111111111111", "222222222222", "444444444444", "999999999999"]})),
        &s,
    )
    .await
    .unwrap();
    assert_eq!(named.accounts.len(), 1);
    let reasons: Vec<_> = named
        .skipped
        .iter()
        .map(|k| (k.account.as_str().to_owned(), k.reason))
        .collect();
    assert!(reasons.contains(&(off.to_string(), AccountSkipReason::NotOptedIn)));
    assert!(reasons.contains(&(suspended.to_string(), AccountSkipReason::NotActive)));
    assert!(reasons.contains(&("999999999999".into(), AccountSkipReason::NotInOrganization)));
    let _ = untagged;

    let excluded = select_accounts(
        &cloud,
        &pause,
        &request(json!({"action": "stop", "exclude_accounts": ["111111111111"]})),
        &s,
    )
    .await
    .unwrap();
    assert_eq!(
        excluded
            .accounts
            .iter()
            .map(|t| t.id.clone())
            .collect::<Vec<_>>(),
        vec![nested.clone()]
    );

    let by_unit = select_accounts(
        &cloud,
        &pause,
        &request(json!({"action": "stop", "organizational_units": ["ou-fake-11111111"]})),
        &s,
    )
    .await
    .unwrap();
    assert_eq!(
        by_unit
            .accounts
            .iter()
            .map(|t| t.id.clone())
            .collect::<Vec<_>>(),
        vec![nested],
        "OUs are walked recursively"
    );
}

#[tokio::test]
async fn an_unreadable_account_tag_fails_that_account_only() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let b = cloud.add_enabled_account("222222222222");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    cloud.fail_next(Op::AccountTags, Some(&b), None, ErrorKind::AccessDenied, 1);
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
    assert_eq!(out.summary.accounts.failed, 1);
    assert_eq!(out.summary.failures[0].account, b);
}

#[tokio::test]
async fn regions_not_enabled_or_outside_the_account_list_are_skipped_not_failed() {
    let cloud = FakeCloud::new();
    let a = cloud.add_account(
        "111111111111",
        "a",
        &[
            ("uptime-scheduler:enabled", "true"),
            ("uptime-scheduler:regions", "eu-west-1,ap-south-1"),
        ],
    );
    cloud.set_enabled_regions(&a, &["us-east-1", "eu-west-1"]);
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
    let acct = &out.accounts[0];
    assert_eq!(acct.regions.len(), 1);
    assert_eq!(acct.skipped_regions.len(), 1);
    assert_eq!(acct.skipped_regions[0].region.as_str(), "ap-south-1");
    assert_eq!(acct.skipped_regions[0].reason, RegionSkipReason::NotEnabled);
    assert_eq!(out.summary.status, RunStatus::Succeeded);

    let out = run(
        &cloud,
        json!({"action": "stop", "regions": ["eu-west-1", "us-east-1"]}),
    )
    .await;
    let acct = &out.accounts[0];
    assert_eq!(acct.skipped_regions[0].region.as_str(), "us-east-1");
    assert_eq!(
        acct.skipped_regions[0].reason,
        RegionSkipReason::NotInAccountRegions
    );
}

#[tokio::test]
async fn a_malformed_account_regions_tag_skips_the_account_with_a_reason() {
    let cloud = FakeCloud::new();
    let a = cloud.add_account(
        "111111111111",
        "a",
        &[
            ("uptime-scheduler:enabled", "true"),
            ("uptime-scheduler:regions", "eu-west-1;us-east-1"),
        ],
    );
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Running));
    assert_eq!(
        out.summary.skipped_accounts[0].reason,
        AccountSkipReason::InvalidRegionsTag
    );
}

#[tokio::test]
async fn instances_in_transition_are_skipped() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let p = cloud.launch(
        &a,
        "eu-west-1",
        Launch::new(InstanceState::Pending).schedule("s"),
    );
    let task = RegionTask::new(
        a.clone(),
        Region::parse("eu-west-1").unwrap(),
        RunHeader {
            action: Action::Stop,
            dry_run: false,
            schedule: None,
            now: "2026-11-24T19:00:00Z".parse().unwrap(),
        },
    );
    let run = schedule_region(&cloud, &RecordingPause::default(), &task, &settings(), "t")
        .await
        .unwrap();
    assert_eq!(run.records[0].instance, p);
    assert_eq!(
        run.records[0].outcome,
        Outcome::Skipped(uptime_model::SkipReason::InTransition)
    );
    assert!(cloud.mutating_calls().is_empty());
}

/// The CLI's verification after a start: a start that fell back to stopped for its volume's
/// KMS key is moved to failed with `kms-access`, the others stay started.
#[tokio::test]
async fn verifying_an_organization_start_reports_starts_that_did_not_hold() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let ok = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    let blocked = cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office-hours"));
    cloud.block_start_with_kms(&blocked);
    let input = serde_json::json!({"action": "start", "schedule": "office-hours"});
    let mut out = run(&cloud, input.clone()).await;
    assert_eq!(
        out.summary.instances.started, 2,
        "StartInstances accepted both"
    );
    uptime_core::verify_organization_starts(
        &cloud,
        &RecordingPause::default(),
        &mut out,
        &request(input),
        &settings(),
        "test",
        uptime_core::Concurrency::default(),
    )
    .await;
    assert_eq!(out.summary.instances.started, 1);
    assert_eq!(out.summary.instances.failed, 1);
    assert_eq!(
        out.summary.instances.failed_by_reason.get("kms-access"),
        Some(&1)
    );
    let region = &out.accounts[0].regions[0];
    assert_eq!(region.failures[0].instance, blocked);
    assert_eq!(cloud.state(&ok), Some(uptime_model::InstanceState::Running));
    assert_eq!(
        out.summary.status,
        uptime_model::report::RunStatus::CompletedWithFailures
    );
}

#[tokio::test]
async fn a_call_that_times_out_is_not_retried_and_ends_that_regions_calls_only() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let b = cloud.add_enabled_account("222222222222");
    // 120 instances: three StopInstances batches of at most 50 in the hung account.
    let hung: Vec<_> = (0..120)
        .map(|_| cloud.launch(&a, "eu-west-1", Launch::running().schedule("s")))
        .collect();
    let fine = cloud.launch(&b, "eu-west-1", Launch::running().schedule("s"));
    cloud.fail_next(Op::StopInstances, Some(&a), None, ErrorKind::TimedOut, 100);
    let mut fifty = settings();
    fifty.batch_size = 50;
    let out = run_with(&cloud, json!({"action": "stop"}), &fifty).await;
    assert_eq!(cloud.state(&fine), Some(InstanceState::Stopped));
    assert!(hung
        .iter()
        .all(|id| cloud.state(id) == Some(InstanceState::Running)));
    let calls_in_a = cloud
        .calls()
        .into_iter()
        .filter(|c| c.op == Op::StopInstances && c.account.as_ref() == Some(&a))
        .count();
    assert_eq!(
        calls_in_a, 1,
        "one timeout, then the region's other batches are not attempted"
    );
    assert_eq!(out.summary.instances.failed_by_reason["timed-out"], 120);
    assert_eq!(out.summary.instances.stopped, 1);
    assert_eq!(out.summary.status, RunStatus::CompletedWithFailures);
}

#[tokio::test]
async fn discovery_that_times_out_fails_its_region_as_transient_without_retrying() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    cloud.fail_next(Op::DescribeInstances, None, None, ErrorKind::TimedOut, 100);
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.count(Op::DescribeInstances), 1, "not retried");
    assert_eq!(out.summary.regions.failed, 1);
    assert_eq!(out.summary.failures[0].error, "Transient");
}

#[tokio::test]
async fn an_instance_whose_tags_cannot_be_read_is_skipped_and_the_region_goes_on() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let fine: Vec<_> = (0..3)
        .map(|_| cloud.launch(&a, "eu-west-1", Launch::running().schedule("s")))
        .collect();
    let poisoned = cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("s")
            .tag("Note", "bad\u{1}\u{1b}[31m"),
    );
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert!(fine
        .iter()
        .all(|id| cloud.state(id) == Some(InstanceState::Stopped)));
    assert_eq!(cloud.state(&poisoned), Some(InstanceState::Running));
    assert_eq!(out.summary.instances.stopped, 3);
    assert_eq!(out.summary.instances.skipped_by_reason["unreadable"], 1);
    assert_eq!(out.summary.regions.failed, 0, "the region is not failed");
}

/// The report's inventory: the selected accounts' tagged instances with their types, read
/// with the run's retries; an account that cannot be assumed is handed over as failed, one that
/// did not opt in is not read; nothing is changed or tagged.
#[tokio::test]
async fn an_inventory_reads_the_selected_accounts_instances_and_changes_nothing() {
    use uptime_core::{inventory_organization, Found};
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let b = cloud.add_enabled_account("222222222222");
    let c = cloud.add_account("333333333333", "not-opted-in", &[]);
    let big = cloud.launch(
        &a,
        "eu-west-1",
        Launch::running().schedule("s").instance_type("m5.large"),
    );
    cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("s"));
    cloud.launch(&a, "eu-west-1", Launch::running());
    cloud.launch(&c, "eu-west-1", Launch::running().schedule("s"));
    cloud.fail_next(
        Op::DescribeInstances,
        Some(&a),
        None,
        ErrorKind::Throttled,
        6,
    );
    cloud.fail_next(Op::AssumeRole, Some(&b), None, ErrorKind::AccessDenied, 100);
    let pause = RecordingPause::default();
    let mut found = Vec::new();
    let selection = inventory_organization(
        &cloud,
        &cloud,
        &pause,
        &request(json!({"action": "reconcile", "dry_run": true})),
        &settings(),
        ("t", Concurrency::default()),
        |f| found.push(f),
    )
    .await
    .unwrap();
    assert_eq!(selection.counts.not_opted_in, 1);
    assert_eq!(found.len(), 2, "{found:?}");
    let mut region = None;
    for f in &found {
        match f {
            Found::Account { account, error } => {
                assert_eq!(account, &b);
                assert_eq!(error.error, ErrorName::AccessDenied);
            }
            Found::Region {
                account,
                region: r,
                found,
            } => {
                assert_eq!((account, r.as_str()), (&a, "eu-west-1"));
                region = Some(found.as_ref().unwrap().instances.clone());
            }
        }
    }
    let instances = region.expect("account a's region");
    assert_eq!(instances.len(), 2, "only the tagged ones");
    let typed = instances.iter().find(|i| i.id == big).unwrap();
    assert_eq!(typed.instance_type.as_deref(), Some("m5.large"));
    for op in [Op::StopInstances, Op::StartInstances, Op::CreateTags] {
        assert_eq!(cloud.count(op), 0, "{op:?}");
    }
}

/// A start counts, for each instance it started, the minutes since its stop on request (the
/// hours the schedule avoided), by schedule and instance type, up to the run summary; an
/// instance whose stop instant EC2 did not give counts none.
#[tokio::test]
async fn a_start_counts_the_hours_each_started_instance_had_been_stopped() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let friday = "2026-11-20T19:00:00Z"; // the run is Tuesday 2026-11-24 19:00
    cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("office")
            .instance_type("m5.large")
            .stopped_since(friday),
    );
    cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("office")
            .instance_type("t3.micro")
            .stopped_since("2026-11-24T07:00:00Z"),
    );
    cloud.launch(&a, "eu-west-1", Launch::stopped().schedule("office"));
    let out = run(&cloud, json!({"action": "start"})).await;
    let c = &out.summary.instances;
    assert_eq!(c.started, 3, "{c:?}");
    assert_eq!(c.minutes_avoided, 96 * 60 + 12 * 60, "{c:?}");
    assert_eq!(out.accounts[0].regions[0].counts.minutes_avoided, 108 * 60);

    // The region run's breakdown (schedule-account's metrics), on the same fleet stopped again.
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("office")
            .instance_type("m5.large")
            .stopped_since(friday),
    );
    cloud.launch(
        &a,
        "eu-west-1",
        Launch::running()
            .schedule("mon-fri 08:00-18:00 UTC")
            .instance_type("t3.micro")
            .stopped_since("2026-11-24T07:00:00Z"),
    );
    let task = RegionTask::new(
        a.clone(),
        Region::parse("eu-west-1").unwrap(),
        RunHeader::of(&request(json!({"action": "start"}))),
    );
    let run = schedule_region(&cloud, &RecordingPause::default(), &task, &settings(), "t")
        .await
        .unwrap();
    assert_eq!(run.report.counts.minutes_avoided, 108 * 60);
    assert_eq!(run.avoided.by_schedule["office"], 96 * 60);
    assert_eq!(
        run.avoided.by_schedule["inline"],
        12 * 60,
        "an expression is not a name"
    );
    assert_eq!(run.avoided.by_type["m5.large"], 96 * 60);
    assert_eq!(run.avoided.by_type["t3.micro"], 12 * 60);
}

/// Throttled calls a region run retried are counted in its report and the summary: absorbed
/// when nothing failed `throttled`.
#[tokio::test]
async fn throttled_calls_retried_are_counted_as_absorbed() {
    let cloud = FakeCloud::new();
    let a = cloud.add_enabled_account("111111111111");
    let id = cloud.launch(&a, "eu-west-1", Launch::running().schedule("s"));
    cloud.fail_next(Op::DescribeInstances, None, None, ErrorKind::Throttled, 2);
    cloud.fail_next(Op::StopInstances, None, None, ErrorKind::Throttled, 1);
    let out = run(&cloud, json!({"action": "stop"})).await;
    assert_eq!(cloud.state(&id), Some(InstanceState::Stopped));
    assert_eq!(
        out.summary.instances.throttles_retried, 3,
        "{:?}",
        out.summary.instances
    );
    assert_eq!(out.summary.instances.failed, 0);
    assert_eq!(out.accounts[0].regions[0].counts.throttles_retried, 3);
}
