//! Scale limits on paper: Lambda concurrency and run time at 10,000 accounts × 20 regions.
//!
//! A pure computation, no servers. It reads the state machine definition (the account Map's
//! concurrency, `ACCOUNT_CONCURRENCY` at its default through `MaxConcurrencyPath`, one
//! `ScheduleAccount` task per account with its regions at once inside it (ADR 0014), the Tasks'
//! `TimeoutSeconds`, the parent's one `WaitForStarts`) and prints, per deployment, the peak
//! Lambda concurrency of the fan-out and the minimum wall time of a run under the request-rate
//! quotas below. The opt-in is read from the account registry (ADR 0013): one object. `docs/cost-model.md` ("Scale limits")
//! states each quota's source and which figures are assumptions.
//!
//! It asserts only structural facts: peak concurrency within the default 1,000 concurrent
//! executions, the run within the Standard execution limit of one year, each child (at the
//! assumed latencies, 25 instances per account-region) within the Express limit of 5 minutes.
//!
//! Run with `cargo test -p uptime-e2e --test scale -- --nocapture` to see the table.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::Value;

/// Lambda: default concurrent executions per account and region.
const LAMBDA_CONCURRENCY_QUOTA: u64 = 1_000;
/// Step Functions: Standard execution maximum duration (1 year), Express (5 minutes).
const STANDARD_MAX_SECONDS: f64 = 365.0 * 24.0 * 3_600.0;
const EXPRESS_MAX_SECONDS: f64 = 300.0;
/// ASSUMPTION: list-accounts reads the account registry (one S3 object, about 2 MB at 10,000
/// accounts) and writes the account list: seconds, whatever the Organization's size.
const REGISTRY_READ_SECONDS: f64 = 2.0;
/// STS AssumeRole requests per second from the hub account (../shared/notes/aws-quotas.md: about
/// 600 per account per region).
const STS_ASSUME_ROLE_RPS: f64 = 600.0;
/// EC2 non-mutating (DescribeInstances, DescribeRegions) bucket and refill, per account per region.
const EC2_DESCRIBE_BUCKET: f64 = 100.0;
const EC2_DESCRIBE_REFILL: f64 = 20.0;
/// ASSUMPTION: EC2 StopInstances/StartInstances bucket and refill, per account per region.
const EC2_MUTATING_BUCKET: f64 = 200.0;
const EC2_MUTATING_REFILL: f64 = 5.0;
/// ASSUMPTION: latencies of one API call and of each function's invocation on AWS.
const PREPARE_ACCOUNT_SECONDS: f64 = 1.0;
const SCHEDULE_REGION_SECONDS: f64 = 2.0;
const VERIFY_STARTS_SECONDS: f64 = 1.0;
/// ASSUMPTION: summarize-run's first call in a start run reads the account Map's results from
/// S3 and writes the verification items (as long as a summary).
const PLAN_VERIFICATION_SECONDS: f64 = SUMMARIZE_RUN_SECONDS;
const SUMMARIZE_RUN_SECONDS: f64 = 5.0;
/// ASSUMPTION: instances per account-region (the reference deployments name no fleet size).
const INSTANCES_PER_REGION: u64 = 25;
const DESCRIBE_PAGE: u64 = 1_000;
const STOP_BATCH: u64 = uptime_core::engine::DEFAULT_BATCH_SIZE as u64;

struct Definition {
    accounts_in_flight: u64,
    wait_for_starts: f64,
    account_timeout: f64,
    verify_timeout: f64,
    list_timeout: f64,
}

fn number(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number"))
}

fn definition() -> Definition {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/uptime-scheduler.asl.json"
    );
    let text = std::fs::read_to_string(path).expect("read the state machine definition");
    let asl: Value = serde_json::from_str(&text).expect("parse the state machine definition");
    let states = &asl["States"];
    let accounts = &states["ForEachAccount"];
    assert_eq!(accounts["Type"], "Map");
    // The model prices each account's child as an Express execution of a Distributed Map.
    assert_eq!(
        accounts["ItemProcessor"]["ProcessorConfig"],
        serde_json::json!({"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"})
    );
    let child = &accounts["ItemProcessor"]["States"];
    // ACCOUNT_CONCURRENCY, handed over by list-accounts: the deployment's default here.
    assert_eq!(accounts["MaxConcurrencyPath"], "$.concurrency.accounts");
    let verify = &states["VerifyEachAccount"];
    assert_eq!(
        verify["MaxConcurrencyPath"],
        "$.verify.concurrency.accounts"
    );
    let verify_task = &verify["ItemProcessor"]["States"]["VerifyAccount"];
    // One task per account: its regions run inside the invocation, not in a region Map.
    let account_task = &child["ScheduleAccount"];
    assert_eq!(account_task["Type"], "Task");
    assert!(child.get("ForEachRegion").is_none());
    Definition {
        accounts_in_flight: uptime_model::events::DEFAULT_ACCOUNT_CONCURRENCY,
        wait_for_starts: number(&states["WaitForStarts"]["Seconds"], "WaitForStarts Seconds"),
        account_timeout: number(&account_task["TimeoutSeconds"], "ScheduleAccount timeout"),
        verify_timeout: number(&verify_task["TimeoutSeconds"], "VerifyAccount timeout"),
        list_timeout: number(
            &states["ListAccounts"]["TimeoutSeconds"],
            "ListAccounts timeout",
        ),
    }
}

struct Row {
    accounts: u64,
    regions: u64,
    peak_concurrency: u64,
    list_seconds: f64,
    child_stop: f64,
    child_start: f64,
    child_start_timeouts: f64,
    assume_roles: u64,
    assume_role_seconds: f64,
    ec2_region_seconds: f64,
    run_stop: f64,
    run_start: f64,
    dominant: &'static str,
}

/// Seconds to issue `calls` requests against a token bucket that starts full.
fn bucket_seconds(calls: f64, bucket: f64, refill: f64) -> f64 {
    if calls <= bucket {
        0.0
    } else {
        (calls - bucket) / refill
    }
}

fn model(d: &Definition, accounts: u64, regions: u64) -> Row {
    let accounts_in_flight = accounts.min(d.accounts_in_flight);
    // One schedule-account per account in flight, plus list-accounts or summarize-run.
    let peak_concurrency = accounts_in_flight + 2;

    // list-accounts: the registry, not Organizations.
    let list_seconds = REGISTRY_READ_SECONDS;

    // One account's invocation: prepare, then every region at once; per region DescribeInstances
    // pages and StopInstances batches; EC2 buckets are per account per region, so they never
    // add up across accounts or regions.
    let pages = INSTANCES_PER_REGION.div_ceil(DESCRIBE_PAGE) as f64;
    let batches = INSTANCES_PER_REGION.div_ceil(STOP_BATCH) as f64;
    let ec2_region_seconds = bucket_seconds(pages + 1.0, EC2_DESCRIBE_BUCKET, EC2_DESCRIBE_REFILL)
        .max(bucket_seconds(
            batches,
            EC2_MUTATING_BUCKET,
            EC2_MUTATING_REFILL,
        ));
    let child_stop = PREPARE_ACCOUNT_SECONDS + SCHEDULE_REGION_SECONDS + ec2_region_seconds;
    // The child does not wait for its starts: the parent waits once, then verifies each
    // account with starts in a child of its own (one verify-starts invocation).
    let child_start = child_stop;
    let child_start_timeouts = d.account_timeout;

    // AssumeRole: one per account (schedule-account; its regions share the credentials), and
    // one more per account in a start run (verify-starts).
    let assume_roles = accounts;
    let assume_role_seconds = assume_roles as f64 / STS_ASSUME_ROLE_RPS;

    let account_waves = accounts.div_ceil(d.accounts_in_flight) as f64;
    let children_stop = account_waves * child_stop;
    let children_start = account_waves * child_start;
    let verification = PLAN_VERIFICATION_SECONDS
        + d.wait_for_starts
        + (account_waves * VERIFY_STARTS_SECONDS).max(assume_role_seconds);
    let run_stop = list_seconds + children_stop.max(assume_role_seconds) + SUMMARIZE_RUN_SECONDS;
    let run_start = list_seconds
        + children_start.max(assume_role_seconds)
        + verification
        + SUMMARIZE_RUN_SECONDS;
    let dominant = if assume_role_seconds > children_stop {
        "STS AssumeRole rate"
    } else if account_waves > 1.0 {
        "ACCOUNT_CONCURRENCY (Lambda concurrency quota / 2)"
    } else {
        "latency of one account"
    };
    Row {
        accounts,
        regions,
        peak_concurrency,
        list_seconds,
        child_stop,
        child_start,
        child_start_timeouts,
        assume_roles,
        assume_role_seconds,
        ec2_region_seconds,
        run_stop,
        run_start,
        dominant,
    }
}

fn minutes(seconds: f64) -> String {
    format!("{:.1} min", seconds / 60.0)
}

#[test]
fn scale_limits_at_ten_thousand_accounts() {
    let d = definition();
    println!(
        "definition: ACCOUNT_CONCURRENCY {} (default), one ScheduleAccount per account (regions inside), \
         WaitForStarts {} s (once per run), timeouts ListAccounts {} s, ScheduleAccount {} s, VerifyAccount {} s",
        d.accounts_in_flight,
        d.wait_for_starts,
        d.list_timeout,
        d.account_timeout,
        d.verify_timeout
    );
    println!();
    println!(
        "| accounts × regions | peak Lambda concurrency (quota {LAMBDA_CONCURRENCY_QUOTA}) | list-accounts | \
         child stop / start (assumed latencies) | child start, all timeouts | AssumeRoles (time at {STS_ASSUME_ROLE_RPS}/s) | \
         EC2 throttle wait per region | run stop / start | dominant bound |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (accounts, regions) in [(2, 2), (100, 4), (1_000, 10), (10_000, 20), (50_000, 20)] {
        let r = model(&d, accounts, regions);
        println!(
            "| {} × {} | {} | {:.0} s{} | {:.0} s / {:.0} s | {:.0} s | {} ({:.0} s) | {:.0} s | {} / {} | {} |",
            r.accounts,
            r.regions,
            r.peak_concurrency,
            r.list_seconds,
            if r.list_seconds > d.list_timeout { " (over its timeout)" } else { "" },
            r.child_stop,
            r.child_start,
            r.child_start_timeouts,
            r.assume_roles,
            r.assume_role_seconds,
            r.ec2_region_seconds,
            minutes(r.run_stop),
            minutes(r.run_start),
            r.dominant
        );
        assert!(r.peak_concurrency <= LAMBDA_CONCURRENCY_QUOTA);
        assert!(r.run_start < STANDARD_MAX_SECONDS);
        assert!(r.child_start_timeouts < EXPRESS_MAX_SECONDS);
        assert!(d.verify_timeout < EXPRESS_MAX_SECONDS);
    }
}
