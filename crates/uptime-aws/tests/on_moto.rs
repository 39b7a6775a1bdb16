//! The real AWS adapter against moto_server (Organizations + STS + EC2, several member
//! accounts, two regions). Each test starts its own server on a free loopback port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use uptime_aws::{sdk, AwsConnect, AwsDirectory, TokioPause};
use uptime_core::{run_organization, OrgRun, RunOptions, Settings};
use uptime_model::report::RunStatus;
use uptime_model::{AccountId, InstanceId, Region, RoleName, RunRequest};
use uptime_testkit::contract::{
    check_ports, ContractFleet, CONTRACT_SCHEDULE, CONTRACT_SCHEDULE_PADDED, OTHER_SCHEDULE,
};
use uptime_testkit::moto::{seeded_account, Moto};

const SESSION: &str = "uptime-scheduler-test";

async fn adapters(moto: &Moto, page_size: Option<i32>) -> (AwsDirectory, AwsConnect) {
    let config = sdk::for_emulator(&moto.endpoint(), "us-east-1").await;
    let role = RoleName::parse("UptimeSchedulerMember").unwrap();
    let mut connect = AwsConnect::new(&config, role, "aws");
    if let Some(n) = page_size {
        connect = connect.with_page_size(n);
    }
    (AwsDirectory::new(&config), connect)
}

fn settings() -> Settings {
    Settings::new(
        Region::parse("us-east-1").unwrap(),
        vec![
            Region::parse("eu-west-1").unwrap(),
            Region::parse("us-east-1").unwrap(),
        ],
    )
}

async fn run(moto: &Moto, input: Value, page_size: Option<i32>) -> OrgRun {
    run_at(
        moto,
        input,
        "2026-11-24T19:00:00Z".parse().unwrap(),
        page_size,
    )
    .await
}

/// [`run`] with moto's call recorder on: the run and the calls it made.
async fn recorded(moto: &Moto, input: Value, page_size: Option<i32>) -> (OrgRun, Value) {
    moto.calls("start");
    let out = run(moto, input, page_size).await;
    moto.calls("stop");
    (out, moto.calls("dump"))
}

/// A run whose input's `now` defaults to `now`.
async fn run_at(moto: &Moto, input: Value, now: jiff::Timestamp, page_size: Option<i32>) -> OrgRun {
    let (dir, connect) = adapters(moto, page_size).await;
    let req = RunRequest::from_json(&input, now).unwrap();
    run_organization(
        &dir,
        &connect,
        &TokioPause,
        &req,
        &settings(),
        RunOptions::quiet(SESSION),
    )
    .await
    .expect("run")
}

/// Instance ids of an inventory account, by (region, group index).
fn group(inv: &Value, account: &str, region: &str, group: u64) -> Vec<InstanceId> {
    inv["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == account)
        .unwrap()["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["region"] == region && i["group"] == group)
        .map(|i| InstanceId::parse(i["id"].as_str().unwrap()).unwrap())
        .collect()
}

fn states(moto: &Moto, inv: &Value, regions: &[&str]) -> BTreeMap<String, String> {
    let mut accounts: Vec<String> = inv["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    accounts.sort();
    accounts.dedup();
    moto.snapshot(&accounts, regions)
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, v)| (id.clone(), v["state"].as_str().unwrap().to_owned()))
        .collect()
}

fn changed(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    after
        .iter()
        .filter(|(id, s)| before.get(*id) != Some(s))
        .map(|(id, _)| id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_holds_for_the_aws_adapter_on_moto() {
    let moto = Moto::start();
    let tagged = |state: &str, extra: Value| {
        let mut g = json!({"count": 1, "tags": {"Schedule": CONTRACT_SCHEDULE}, "state": state});
        g.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        g
    };
    let inv = moto.seed(&json!({"accounts": [{
        "name": "contract",
        "tags": {"uptime-scheduler:enabled": "true"},
        "regions": {"eu-west-1": [
            {"count": 2, "tags": {"Schedule": CONTRACT_SCHEDULE}},
            {"count": 1, "tags": {"Schedule": CONTRACT_SCHEDULE_PADDED}, "state": "stopped"},
            tagged("running", json!({"spot": true})),
            {"count": 1, "tags": {"Schedule": OTHER_SCHEDULE}},
            {"count": 1, "tags": {}},
            tagged("terminated", json!({})),
        ]}
    }]}));
    let g = |n| group(&inv, "contract", "eu-west-1", n);
    let fleet = ContractFleet {
        account: AccountId::parse(&seeded_account(&inv, "contract")).unwrap(),
        region: Region::parse("eu-west-1").unwrap(),
        running: g(0),
        stopped: g(1),
        spot: g(2),
        other: g(3),
        untagged: g(4),
        terminated: g(5),
    };
    let (dir, connect) = adapters(&moto, None).await;
    check_ports(&dir, &connect, &fleet).await;
}

/// Groups per region of the main fleet, by index.
const RUNNING: u64 = 0;
const STOPPED: u64 = 1;
const NIGHTLY: u64 = 2;
const IGNORE: u64 = 3;
const UNTAGGED: u64 = 4;
const TERMINATED: u64 = 5;
const SPOT: u64 = 6;
const ASG: u64 = 7;
const HIBERNATE: u64 = 8;

fn every_kind(prefix: &str) -> Value {
    let office = json!({"Schedule": "office-hours"});
    json!([
        {"count": 3, "tags": office},
        {"count": 1, "tags": office, "state": "stopped"},
        {"count": 2, "tags": {"Schedule": "nightly"}},
        {"count": 1, "tags": {"Schedule": "ignore"}},
        {"count": 1, "tags": {"Name": format!("{prefix}-untagged")}},
        {"count": 1, "tags": office, "state": "terminated"},
        {"count": 1, "tags": office, "spot": true},
        {"count": 2, "tags": office, "asg": format!("{prefix}-web")},
        {"count": 1, "tags": {"Schedule": "office-hours", "uptime-scheduler:hibernate": "true"}, "hibernation": true}
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_stop_changes_exactly_the_right_instances_and_a_rerun_changes_nothing() {
    let moto = Moto::start();
    let enabled = json!({"uptime-scheduler:enabled": "true"});
    let inv = moto.seed(&json!({"accounts": [
        {"name": "dev-a", "tags": enabled, "regions": {"eu-west-1": every_kind("a-eu"), "us-east-1": every_kind("a-us")}},
        {"name": "dev-b", "tags": {"uptime-scheduler:enabled": "true", "uptime-scheduler:regions": "eu-west-1"},
         "regions": {"eu-west-1": [{"count": 2, "tags": {"Schedule": "office-hours"}}],
                     "us-east-1": [{"count": 1, "tags": {"Schedule": "office-hours"}}]}},
        {"name": "prod", "regions": {"eu-west-1": [{"count": 2, "tags": {"Schedule": "office-hours"}}]}},
        {"name": "sandbox", "tags": {"uptime-scheduler:enabled": "false"},
         "regions": {"eu-west-1": [{"count": 1, "tags": {"Schedule": "office-hours"}}]}}
    ]}));
    let regions = ["eu-west-1", "us-east-1"];
    let before = states(&moto, &inv, &regions);

    let (out, calls) = recorded(
        &moto,
        json!({"action": "stop", "schedule": "office-hours"}),
        None,
    )
    .await;
    let after = states(&moto, &inv, &regions);

    // Exactly: dev-a's running office-hours instances (plain and hibernating) in both regions,
    // and dev-b's in eu-west-1 (its regions tag excludes us-east-1).
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for r in regions {
        for g in [RUNNING, HIBERNATE] {
            expected.extend(group(&inv, "dev-a", r, g).into_iter().map(String::from));
        }
    }
    expected.extend(
        group(&inv, "dev-b", "eu-west-1", 0)
            .into_iter()
            .map(String::from),
    );
    assert_eq!(
        changed(&before, &after),
        expected,
        "exactly the right instances changed"
    );
    for id in &expected {
        assert_eq!(after[id], "stopped", "{id}");
    }
    // Untouched kinds, named explicitly: never in any mutating call.
    let touched: BTreeSet<String> = calls["mutating"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["instance_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_owned())
        })
        .collect();
    for r in regions {
        for g in [STOPPED, NIGHTLY, IGNORE, UNTAGGED, TERMINATED, SPOT, ASG] {
            for id in group(&inv, "dev-a", r, g) {
                assert!(
                    !touched.contains(id.as_str()),
                    "{id} (group {g}, {r}) was in a mutating call"
                );
            }
        }
    }
    for name in ["prod", "sandbox"] {
        for id in group(&inv, name, "eu-west-1", 0) {
            assert!(
                !touched.contains(id.as_str()),
                "{id} of opted-out {name} was touched"
            );
        }
    }
    assert_eq!(touched, expected);

    let s = &out.summary;
    assert_eq!(s.status, RunStatus::Succeeded);
    assert_eq!((s.accounts.total, s.regions.total), (2, 3));
    assert_eq!(
        (s.instances.stopped, s.instances.hibernated),
        (3 * 2 + 2, 2)
    );
    assert_eq!(
        s.instances.already, 2,
        "the stopped office-hours instance in each dev-a region"
    );
    // moto reports the ASG members' tags, so both are skipped as autoscaling members.
    assert_eq!(
        s.instances.skipped_by_reason.get("autoscaling-member"),
        Some(&4)
    );
    assert_eq!(s.instances.skipped_by_reason.get("spot"), Some(&2));
    eprintln!(
        "API calls for one stop run: {}",
        serde_json::to_string_pretty(&calls["by_action"]).unwrap()
    );
    let by = |a: &str| calls["by_action"][a].as_u64().unwrap_or(0);
    assert_eq!(by("sts:AssumeRole"), 2, "one AssumeRole per account");
    assert_eq!(
        by("ec2:DescribeInstances"),
        3,
        "one page per account-region"
    );
    assert_eq!(
        by("ec2:StopInstances"),
        3 + 2,
        "one call per operation per region"
    );
    assert_eq!(by("ec2:StartInstances"), 0);

    // The same run again changes nothing and says so.
    let (again, calls) = recorded(
        &moto,
        json!({"action": "stop", "schedule": "office-hours"}),
        None,
    )
    .await;
    assert!(
        calls["mutating"].as_array().unwrap().is_empty(),
        "second run made mutating calls: {calls}"
    );
    assert_eq!(again.summary.instances.changed(), 0);
    assert_eq!(again.summary.instances.already, 2 + 3 * 2 + 2 + 2);
    assert_eq!(states(&moto, &inv, &regions), after);

    // A dry-run start reports what it would start and touches nothing.
    let (dry, calls) = recorded(&moto, json!({"action": "start", "dry_run": true}), None).await;
    assert!(
        calls["mutating"].as_array().unwrap().is_empty(),
        "dry run made mutating calls: {calls}"
    );
    assert_eq!(states(&moto, &inv, &regions), after);
    // dev-a: 3 stopped + 1 already-stopped + 1 hibernated per region; dev-b: 2 in eu-west-1.
    assert_eq!(dry.summary.instances.would_start, 2 * (3 + 1 + 1) + 2);
    assert!(dry.summary.dry_run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_with_more_instances_than_one_page_is_handled_completely() {
    let moto = Moto::start();
    let inv = moto.seed(&json!({"accounts": [{
        "name": "big", "tags": {"uptime-scheduler:enabled": "true"},
        "regions": {"eu-west-1": [{"count": 60, "tags": {"Schedule": "office-hours"}, "separate_calls": true}]}
    }]}));
    let (out, calls) = recorded(
        &moto,
        json!({"action": "stop", "regions": ["eu-west-1"]}),
        Some(10),
    )
    .await;
    assert_eq!(out.summary.instances.stopped, 60);
    let after = states(&moto, &inv, &["eu-west-1"]);
    assert_eq!(after.values().filter(|s| *s == "stopped").count(), 60);
    assert!(
        calls["by_action"]["ec2:DescribeInstances"]
            .as_u64()
            .unwrap()
            >= 6,
        "{calls}"
    );
    assert_eq!(
        calls["by_action"]["ec2:StopInstances"].as_u64().unwrap(),
        1,
        "the 60 in one call: the default batch is EC2's 1,000"
    );
}

/// The results store reads what was written to S3 (path-style against the emulator), and a
/// missing object is a NotFound, not a transient fault.
#[tokio::test]
async fn the_result_store_reads_objects_from_s3() {
    use aws_sdk_s3::primitives::ByteStream;
    use uptime_aws::AwsResultStore;
    use uptime_core::{ErrorKind, ResultStore};
    let moto = Moto::start();
    let config = sdk::for_emulator(&moto.endpoint(), "us-east-1").await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("results").send().await.unwrap();
    let manifest = json!({"ResultFiles": {"SUCCEEDED": [], "FAILED": [], "PENDING": []}});
    s3.put_object()
        .bucket("results")
        .key("map-runs/run-1/manifest.json")
        .body(ByteStream::from(manifest.to_string().into_bytes()))
        .send()
        .await
        .unwrap();
    let store = AwsResultStore::new(&config);
    let bytes = store
        .get_object("results", "map-runs/run-1/manifest.json")
        .await
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), manifest);
    let missing = store.get_object("results", "nope.json").await.unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound, "{missing:?}");
    // The account registry's read-modify-write (ADR 0013): S3's If-None-Match and If-Match,
    // as the fake store honours them.
    uptime_testkit::contract::check_conditional_writes(
        &store,
        "results",
        "account-registry/accounts.json",
    )
    .await;
}

/// EC2's state transition reason after a stop (`User initiated (… UTC)` on the emulator, GMT on
/// AWS) is read as the stop instant, and a start three hours later counts three hours avoided
/// per instance.
#[tokio::test]
async fn a_start_counts_the_hours_since_the_stop_ec2_reports() {
    let moto = Moto::start();
    moto.seed(&json!({"accounts": [{
        "name": "dev", "tags": {"uptime-scheduler:enabled": "true"},
        "regions": {"eu-west-1": [{"count": 2, "type": "m5.large", "tags": {"Schedule": "office-hours"}}]}
    }]}));
    let at = |offset_s: i64| {
        let now = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(offset_s);
        now.round(jiff::Unit::Second).unwrap()
    };
    let mut counts = Vec::new();
    for (action, now) in [("stop", at(0)), ("start", at(3 * 3600))] {
        let input = json!({"action": action, "regions": ["eu-west-1"], "now": now.to_string(), "replay": true});
        let out = run_at(&moto, input, now, None).await;
        assert_eq!(
            out.summary.status,
            RunStatus::Succeeded,
            "{:?}",
            out.summary
        );
        counts.push(out.summary.instances);
    }
    assert_eq!((counts[0].stopped, counts[1].started), (2, 2));
    assert_eq!(counts[0].minutes_avoided, 0, "a stop avoids nothing yet");
    let m = counts[1].minutes_avoided;
    assert!((2 * 179..=2 * 180).contains(&m), "two instances × 3 h: {m}");
}

/// An account's regions asked for at once (verify-starts verifies them concurrently) assume the
/// member role once, not once per region: the first caller's credentials serve the others.
#[tokio::test]
async fn concurrent_regions_of_one_account_assume_the_role_once() {
    use uptime_core::Connect;
    let moto = Moto::start();
    let inv = moto.seed(
        &json!({"accounts": [{"name": "dev", "tags": {"uptime-scheduler:enabled": "true"}}]}),
    );
    let account = AccountId::parse(&seeded_account(&inv, "dev")).unwrap();
    let (_, connect) = adapters(&moto, None).await;
    let regions: Vec<Region> = ["eu-west-1", "us-east-1", "eu-north-1", "ap-southeast-2"]
        .iter()
        .map(|r| Region::parse(r).unwrap())
        .collect();
    moto.calls("start");
    let computes = futures::future::join_all(
        regions
            .iter()
            .map(|r| connect.compute(&account, r, SESSION)),
    )
    .await;
    moto.calls("stop");
    assert!(computes.iter().all(Result::is_ok));
    let calls = moto.calls("dump");
    assert_eq!(calls["by_action"]["sts:AssumeRole"], 1, "{calls}");
}
