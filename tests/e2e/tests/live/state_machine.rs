//! The state machine definition file, executed by aws-local-stepfunctions with the real Lambda
//! binaries behind cargo lambda's emulator, against moto. Each scenario asserts the instance
//! states moto reports afterwards and the execution's output.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::{json, Value};
use uptime_e2e::{scenario_org, states_of, Stack};

fn office_hours(i: &Value) -> bool {
    i["tags"]["Schedule"] == "office-hours" && !i["tags"]["aws:autoscaling:groupName"].is_string()
}

fn running_office_hours_in(region: &'static str) -> impl Fn(&Value) -> bool {
    move |i| office_hours(i) && i["region"] == region && i["state"] == "running"
}

fn all(states: &[String], want: &str) -> bool {
    !states.is_empty() && states.iter().all(|s| s == want)
}

/// Every instance that must never be touched by an office-hours stop of this organization.
fn never_touched(stack: &Stack) -> Vec<String> {
    let mut ids = Vec::new();
    ids.extend(stack.instances("dev", |i| {
        i["tags"]["Schedule"] != "office-hours"
            || i["tags"]["aws:autoscaling:groupName"].is_string()
    }));
    ids.extend(stack.instances("staging", |i| i["region"] == "us-east-1"));
    ids.extend(stack.instances("prod", |_| true));
    ids.extend(stack.instances("sandbox", |_| true));
    ids
}

fn summary_of(execution: &uptime_testkit::LocalExecution) -> Value {
    execution.summary().unwrap_or_else(|| {
        panic!(
            "no run summary in the execution: {}",
            serde_json::to_string_pretty(&execution.raw).unwrap()
        )
    })
}

/// A queue behind an EventBridge rule for the run digest (source `uptime-scheduler`) on the
/// default bus of the functions' region, and a topic with a queue (tests/harness/digest_sink.py).
fn digest_queues(stack: &Stack) -> Value {
    stack.moto.script(
        "digest_sink.py",
        &["setup"],
        &json!({"region": "us-east-1"}),
    )
}

/// The one digest event the run `execution` published, checked against that run's summary:
/// the same header, counts and failures, and a link to the execution.
fn the_runs_digest(stack: &Stack, queues: &Value, summary: &Value, execution: &str) -> Value {
    let got = stack.moto.script("digest_sink.py", &["drain"], queues);
    let events = got["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "one digest per run: {got}");
    assert_eq!(got["sns"], json!([]), "no topic configured: {got}");
    let event = &events[0];
    assert_eq!(event["source"], "uptime-scheduler");
    assert_eq!(event["detail-type"], "Uptime Scheduler Run Digest");
    let d = &event["detail"];
    for field in [
        "action", "dry_run", "schedule", "now", "status", "accounts", "regions",
    ] {
        assert_eq!(d[field], summary[field], "{field}: {d}");
    }
    for n in [
        "started",
        "stopped",
        "hibernated",
        "already",
        "would_start",
        "would_stop",
        "skipped",
        "failed",
    ] {
        assert_eq!(d["totals"][n], summary["instances"][n], "totals.{n}");
    }
    assert_eq!(
        d["failures"],
        summary.get("failures").cloned().unwrap_or(json!([])),
        "the summary's failures"
    );
    let arn = d["execution"]["arn"].as_str().unwrap();
    assert!(
        arn.ends_with(&format!(":execution:uptime-scheduler:{execution}")),
        "$$.Execution.Id reached summarize-run: {arn}"
    );
    assert_eq!(event["resources"], json!([arn]));
    assert!(d["execution"]["console_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("#/v2/executions/details/{arn}")));
    let changed: u64 = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["stopped"].as_u64().unwrap() + c["would_stop"].as_u64().unwrap())
        .sum();
    assert_eq!(
        changed,
        d["totals"]["stopped"].as_u64().unwrap() + d["totals"]["would_stop"].as_u64().unwrap(),
        "the change lines add up"
    );
    d.clone()
}

#[test]
fn org_wide_stop_then_an_identical_run_changes_nothing() {
    let stack = Stack::start(&scenario_org(), false);
    let before = stack.states();
    let untouched = never_touched(&stack);
    let untouched_before = states_of(&before, &untouched);
    let to_stop: Vec<String> = ["dev", "staging", "qa"]
        .iter()
        .flat_map(|a| stack.instances(a, running_office_hours_in("eu-west-1")))
        .chain(stack.instances("dev", running_office_hours_in("us-east-1")))
        .collect();
    assert_eq!(to_stop.len(), 9);
    let queues = digest_queues(&stack);

    stack.record();
    let first = stack.run(
        "nightly-stop",
        json!({"action": "stop", "schedule": "office-hours"}),
    );
    let calls = stack.recorded();
    assert_eq!(first.status(), "SUCCEEDED", "{}", first.raw);
    let after = stack.states();
    assert!(all(&states_of(&after, &to_stop), "stopped"), "{after}");
    assert_eq!(states_of(&after, &untouched), untouched_before);

    let summary = summary_of(&first);
    assert_eq!(summary["status"], "succeeded");
    assert_eq!(
        summary["accounts"],
        json!({"total": 3, "succeeded": 3, "failed": 0})
    );
    // dev: 2 regions, staging: 1 (its tag), qa: 2.
    assert_eq!(summary["regions"]["total"], 5);
    assert_eq!(summary["instances"]["stopped"], 9);
    assert_eq!(summary["instances"]["already"], 1);
    assert_eq!(
        summary["instances"]["skipped_by_reason"]["autoscaling-member"],
        2
    );
    // Only StopInstances mutated, and only the opted-in instances.
    let stopped: Vec<String> = calls["mutating"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|c| assert_eq!(c["action"], "StopInstances", "{c}"))
        .flat_map(|c| c["instance_ids"].as_array().unwrap().iter())
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    let (mut got, mut want) = (stopped.clone(), to_stop.clone());
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(first.invocations("list-accounts"), 1);
    // One invocation per account, its regions inside it (ADR 0014).
    assert_eq!(first.invocations("schedule-account"), 3);
    assert_eq!(first.invocations("summarize-run"), 1);
    // One digest, sent once (and not counted as a change to the fleet).
    assert_eq!(calls["by_action"]["events:PutEvents"], 1, "{calls}");
    let digest = the_runs_digest(&stack, &queues, &summary, "nightly-stop");
    assert_eq!(
        digest["text"],
        "stop office-hours: 9 instances stopped in 3 accounts"
    );
    assert_eq!(digest["accounts_changed"], 3);
    assert_eq!(digest["changes"].as_array().unwrap().len(), 4, "{digest}");
    eprintln!(
        "org-wide stop: {} state transitions, events {}",
        first.transitions(),
        first.raw["events"]
    );

    // The same run again: nothing left to do, nothing called that changes anything.
    stack.record();
    let second = stack.run(
        "nightly-stop-again",
        json!({"action": "stop", "schedule": "office-hours"}),
    );
    let calls = stack.recorded();
    assert_eq!(second.status(), "SUCCEEDED", "{}", second.raw);
    assert!(calls["mutating"].as_array().unwrap().is_empty(), "{calls}");
    let summary = summary_of(&second);
    assert_eq!(summary["instances"]["stopped"], 0);
    assert_eq!(summary["instances"]["already"], 10);
    // A scheduled stop that found nothing to do still says so.
    let digest = the_runs_digest(&stack, &queues, &summary, "nightly-stop-again");
    assert_eq!(digest["text"], "stop office-hours: nothing changed");
    assert_eq!(digest["changes"], json!([]));
    assert_eq!(stack.states(), after);
}

#[test]
fn a_manual_run_narrowed_to_an_account_a_region_and_a_schedule() {
    let stack = Stack::start(&scenario_org(), false);
    let dev = stack.account("dev");
    let before = stack.states();
    let target = stack.instances("dev", running_office_hours_in("us-east-1"));
    let execution = stack.run(
        "manual-dev-us",
        json!({"action": "stop", "schedule": "office-hours", "accounts": [dev], "regions": ["us-east-1"]}),
    );
    assert_eq!(execution.status(), "SUCCEEDED", "{}", execution.raw);
    let after = stack.states();
    assert!(all(&states_of(&after, &target), "stopped"));
    // Everything else is as it was.
    let others: Vec<&String> = before
        .as_object()
        .unwrap()
        .keys()
        .filter(|id| !target.contains(id))
        .collect();
    for id in others {
        assert_eq!(after[id], before[id], "{id} changed");
    }
    let summary = summary_of(&execution);
    assert_eq!(summary["accounts"]["total"], 1);
    assert_eq!(summary["regions"]["total"], 1);
    assert_eq!(summary["instances"]["stopped"], 2);
    assert_eq!(execution.invocations("schedule-account"), 1);
}

#[test]
fn a_dry_run_reports_and_touches_nothing() {
    let stack = Stack::start(&scenario_org(), false);
    let before = stack.states();
    let queues = digest_queues(&stack);
    stack.record();
    let execution = stack.run(
        "dry-run",
        json!({"action": "stop", "schedule": "office-hours", "dry_run": true}),
    );
    let calls = stack.recorded();
    assert_eq!(execution.status(), "SUCCEEDED", "{}", execution.raw);
    assert!(calls["mutating"].as_array().unwrap().is_empty(), "{calls}");
    assert_eq!(stack.states(), before);
    let summary = summary_of(&execution);
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["instances"]["would_stop"], 9);
    assert_eq!(summary["instances"]["stopped"], 0);
    // dry_run reached every task.
    for call in execution.captured("SummarizeRun") {
        assert_eq!(call["input"]["request"]["dry_run"], true);
    }
    // The digest of what would change.
    let digest = the_runs_digest(&stack, &queues, &summary, "dry-run");
    assert_eq!(digest["dry_run"], true);
    assert_eq!(
        digest["text"],
        "stop office-hours (dry run): 9 instances would stop in 3 accounts"
    );
}

#[test]
fn malformed_inputs_fail_with_invalid_input_before_anything_is_contacted() {
    let stack = Stack::start(&scenario_org(), false);
    let cases = [
        (json!({"action": "reboot"}), "action"),
        (
            json!({"action": "stop", "accounts": ["12345"]}),
            "accounts[0]",
        ),
        (
            json!({"action": "stop", "regions": ["eu-west-9"]}),
            "regions[0]",
        ),
        (json!({"action": "stop", "dryrun": true}), "dryrun"),
        (json!({"action": "stop", "now": "tonight"}), "now"),
        (
            json!({"action": "stop", "accounts": ["111111111111"], "exclude_accounts": ["111111111111"]}),
            "exclude_accounts",
        ),
        (json!(["stop"]), "$"),
        // A run that changes instances acts for the present: a stale `now` needs `replay`,
        // and a future one is refused even with it.
        (
            json!({"action": "stop", "now": "2026-11-24T19:00:00Z"}),
            "now",
        ),
        (
            json!({"action": "reconcile", "now": "2099-01-01T00:00:00Z", "replay": true}),
            "now",
        ),
        (json!({"action": "stop", "replay": true}), "replay"),
        (
            json!({"action": "stop", "dry_run": true, "now": "2026-11-24T19:00:00+25:59"}),
            "now",
        ),
    ];
    stack.record();
    for (n, (input, field)) in cases.iter().enumerate() {
        let execution = stack.run(&format!("bad-input-{n}"), input.clone());
        assert_eq!(execution.status(), "FAILED", "{input}: {}", execution.raw);
        assert_eq!(execution.error(), Some("InvalidInput"), "{input}");
        let cause = execution.cause().unwrap_or_default();
        assert!(
            cause.contains(&format!("`{field}`")),
            "{input}: cause {cause}"
        );
        assert_eq!(execution.invocations("list-accounts"), 1);
        assert_eq!(execution.invocations("schedule-account"), 0);
        assert_eq!(execution.invocations("summarize-run"), 0);
    }
    let calls = stack.recorded();
    assert_eq!(calls["total"], 0, "nothing was contacted: {calls}");
}

#[test]
fn an_account_whose_role_cannot_be_assumed_is_reported_and_the_others_finish() {
    let stack = Stack::start(&scenario_org(), true);
    let qa = stack.account("qa");
    let proxy = stack.proxy.as_ref().unwrap();
    proxy.set_rules(&json!([{
        "name": "qa-role-denied", "service": "sts", "action": "AssumeRole", "body_contains": format!(":{qa}:role/"),
        "fault": "error", "status": 403, "code": "AccessDenied",
        "message": format!("User is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{qa}:role/UptimeSchedulerMember")
    }]));
    let qa_instances = stack.instances("qa", |_| true);
    let others: Vec<String> = ["dev", "staging"]
        .iter()
        .flat_map(|a| stack.instances(a, running_office_hours_in("eu-west-1")))
        .collect();
    let execution = stack.run(
        "stop-with-a-denied-account",
        json!({"action": "stop", "schedule": "office-hours"}),
    );
    assert_eq!(execution.status(), "FAILED", "{}", execution.raw);
    assert_eq!(execution.error(), Some("RunCompletedWithFailures"));
    let after = stack.states();
    assert!(all(&states_of(&after, &qa_instances), "running"));
    assert!(all(&states_of(&after, &others), "stopped"));
    let summary = summary_of(&execution);
    assert_eq!(summary["status"], "completed-with-failures");
    assert_eq!(
        summary["accounts"],
        json!({"total": 3, "succeeded": 2, "failed": 1})
    );
    let failures = summary["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{summary}");
    assert_eq!(failures[0]["account"], qa.as_str());
    assert_eq!(failures[0]["error"], "AccessDenied");
    assert!(failures[0]["message"]
        .as_str()
        .unwrap()
        .contains("AssumeRole"));
    // AccessDenied is not retried.
    assert_eq!(execution.invocations("schedule-account"), 3);
}

#[test]
fn a_burst_of_throttling_is_absorbed_by_the_retries() {
    let stack = Stack::start(&scenario_org(), true);
    let dev = stack.account("dev");
    let proxy = stack.proxy.as_ref().unwrap();
    // Enough throttles on dev's DescribeInstances to outlast the SDK's and the calls' own
    // retries (3 x 4 attempts), so the region's next attempt inside schedule-account must take
    // over (what the state machine's Retry of ScheduleRegion did before ADR 0014); plus
    // throttled Organizations and STS calls that the in-function retries absorb.
    proxy.set_rules(&json!([
        {"name": "describe", "service": "ec2", "action": "DescribeInstances", "account": dev, "region": "eu-west-1", "fault": "throttle", "times": 14},
        {"name": "list", "service": "organizations", "action": "ListAccounts", "fault": "throttle", "times": 2},
        {"name": "assume", "service": "sts", "action": "AssumeRole", "fault": "throttle", "times": 2}
    ]));
    let to_stop: Vec<String> = ["dev", "staging", "qa"]
        .iter()
        .flat_map(|a| stack.instances(a, running_office_hours_in("eu-west-1")))
        .chain(stack.instances("dev", running_office_hours_in("us-east-1")))
        .collect();
    let execution = stack.run(
        "stop-under-throttling",
        json!({"action": "stop", "schedule": "office-hours"}),
    );
    assert_eq!(execution.status(), "SUCCEEDED", "{}", execution.raw);
    assert!(all(&states_of(&stack.states(), &to_stop), "stopped"));
    let summary = summary_of(&execution);
    assert_eq!(summary["instances"]["stopped"], 9);
    assert_eq!(summary["accounts"]["failed"], 0);
    let stats = proxy.stats();
    let fired = |name: &str| {
        stats["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["fired"].as_u64().unwrap())
            .unwrap()
    };
    assert_eq!(fired("describe"), 14, "{stats}");
    assert_eq!(fired("list"), 2);
    assert_eq!(fired("assume"), 2);
    // Absorbed inside each account's one invocation: no task was retried.
    assert_eq!(execution.invocations("schedule-account"), 3);
    assert_eq!(execution.retries(), 0, "{}", execution.raw["events"]);
    assert!(
        stack.lambdas.log_tails().contains("region retried"),
        "dev's eu-west-1 took a second attempt"
    );
}

/// EC2's token buckets, per account and region and per API as AWS applies them (a request
/// bucket per action, a resource bucket counting instances for Start/StopInstances), enforced by
/// the fault proxy and set far tighter than AWS's defaults (DescribeInstances 1 token, refill
/// one every 2 s, where AWS allows 100 and 20/s) so that they bind at this size: a stop and a
/// start of the whole organization, whose start describes every region twice (to schedule and
/// to verify), are throttled and absorbed by the retries. Every instance is stopped and started
/// exactly once, nothing fails, and no throttle reaches the summary as a failure.
#[test]
fn ec2s_token_buckets_are_absorbed_and_every_target_is_handled_once() {
    let stack = Stack::start(&scenario_org(), true);
    let proxy = stack.proxy.as_ref().unwrap();
    let bucket = |name: &str, action: &str, capacity: f64, refill: f64, cost: &str| {
        json!({"name": name, "service": "ec2", "action": action, "fault": "bucket",
               "capacity": capacity, "refill": refill, "cost": cost})
    };
    proxy.set_rules(&json!([
        bucket("describe", "DescribeInstances", 1.0, 0.5, "request"),
        bucket("start", "StartInstances", 1.0, 0.5, "request"),
        bucket("start-instances", "StartInstances", 10.0, 2.0, "instances"),
        bucket("stop", "StopInstances", 2.0, 1.0, "request"),
        bucket("stop-instances", "StopInstances", 10.0, 5.0, "instances"),
    ]));
    let targets: Vec<String> = ["dev", "staging", "qa"]
        .iter()
        .flat_map(|a| stack.instances(a, running_office_hours_in("eu-west-1")))
        .chain(stack.instances("dev", running_office_hours_in("us-east-1")))
        .collect();
    let untouched = never_touched(&stack);
    let before = stack.states();
    let evening = stack.run(
        "evening-buckets",
        json!({"action": "stop", "schedule": "office-hours"}),
    );
    assert_eq!(evening.status(), "SUCCEEDED", "{}", evening.raw);
    assert!(all(&states_of(&stack.states(), &targets), "stopped"));
    let morning = stack.run(
        "morning-buckets",
        json!({"action": "start", "schedule": "office-hours"}),
    );
    assert_eq!(morning.status(), "SUCCEEDED", "{}", morning.raw);
    assert!(all(&states_of(&stack.states(), &targets), "running"));
    assert_eq!(
        states_of(&stack.states(), &untouched),
        states_of(&before, &untouched),
        "nothing else was touched"
    );
    // The morning also starts dev's office-hours instance that was seeded stopped.
    for (run, field, n) in [
        (&evening, "stopped", targets.len()),
        (&morning, "started", targets.len() + 1),
    ] {
        let summary = summary_of(run);
        assert_eq!(summary["instances"][field], n, "{summary}");
        assert_eq!(summary["instances"]["failed"], 0, "{summary}");
        assert_eq!(summary["status"], "succeeded", "{summary}");
    }
    let stats = proxy.stats();
    let rule = |name: &str, what: &str| {
        stats["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r[what].as_u64().unwrap())
            .unwrap()
    };
    for name in [
        "describe",
        "start",
        "start-instances",
        "stop",
        "stop-instances",
    ] {
        eprintln!(
            "bucket {name}: {} requests, {} throttled",
            rule(name, "matched"),
            rule(name, "fired")
        );
    }
    assert!(rule("describe", "fired") >= 1, "the buckets bound: {stats}");
    // Handled once: one StopInstances and one StartInstances per account-region with targets
    // got through (4 hold them: dev, staging and qa in eu-west-1, dev in us-east-1).
    let forwarded = |action: &str| {
        stats["actions"][format!("ec2:{action}")]["forwarded"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(forwarded("StopInstances"), 4, "{stats}");
    assert_eq!(forwarded("StartInstances"), 4, "{stats}");
}

/// A start whose instance EC2 puts back to `stopped` (a volume's KMS key the role may not use):
/// the fault proxy rewrites that instance's DescribeInstances answer as EC2 shows such a start;
/// the state machine waits once for the run, verifies each account with starts, and reports it
/// failed with `kms-access`.
#[test]
fn a_start_that_falls_back_to_stopped_is_reported_as_kms_access() {
    let stack = Stack::start(&scenario_org(), true);
    let dev_eu = stack.instances("dev", running_office_hours_in("eu-west-1"));
    let blocked = dev_eu[0].clone();
    // Evening first: stop everything (no faults), then the morning start with one blocked.
    let evening = stack.run(
        "evening",
        json!({"action": "stop", "schedule": "office-hours"}),
    );
    assert_eq!(evening.status(), "SUCCEEDED", "{}", evening.raw);
    let proxy = stack.proxy.as_ref().unwrap();
    proxy.set_rules(&json!([{
        "name": "kms", "service": "ec2", "action": "DescribeInstances", "fault": "rewrite",
        "instances": [blocked]
    }]));
    let morning = stack.run(
        "morning",
        json!({"action": "start", "schedule": "office-hours"}),
    );
    assert_eq!(morning.status(), "FAILED", "{}", morning.raw);
    assert_eq!(morning.error(), Some("RunCompletedWithFailures"));
    // One verification per account with starts, after the run's one wait, its items read back
    // from the results bucket by the ItemReader; summarize-run wrote them, then summarized.
    assert_eq!(
        morning.invocations("verify-starts"),
        3,
        "one per account: {}",
        morning.raw
    );
    assert_eq!(morning.invocations("summarize-run"), 2);
    assert_eq!(evening.invocations("summarize-run"), 1);
    let summary = summary_of(&morning);
    assert_eq!(summary["instances"]["started"], 9);
    assert_eq!(summary["instances"]["failed"], 1);
    assert_eq!(
        summary["instances"]["failed_by_reason"],
        json!({"kms-access": 1})
    );
    let failures = summary["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{summary}");
    assert_eq!(failures[0]["account"], stack.account("dev").as_str());
    assert_eq!(failures[0]["region"], "eu-west-1");
    assert_eq!(failures[0]["error"], "InstanceFailures");
    // The others are running (moto's own view, not through the proxy).
    let after = stack.states();
    let others: Vec<String> = dev_eu[1..].to_vec();
    assert!(all(&states_of(&after, &others), "running"));
    // A stop run never waits or verifies.
    assert_eq!(evening.invocations("verify-starts"), 0);
}

/// An Organizations event as CloudTrail delivers it on EventBridge (us-east-1).
fn organizations_event(name: &str, request: Value) -> Value {
    json!({"version": "0", "id": "7", "detail-type": "AWS API Call via CloudTrail",
           "source": "aws.organizations", "account": "123456789012", "region": "us-east-1",
           "time": "2026-12-04T10:00:00Z", "resources": [],
           "detail": {"eventSource": "organizations.amazonaws.com", "eventName": name,
                      "requestParameters": request}})
}

/// EventBridge's scheduled event, as the registry's refresh rule sends it.
fn scheduled_event() -> Value {
    json!({"version": "0", "id": "8", "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "123456789012", "region": "us-east-1", "time": "2026-12-04T10:00:00Z",
           "resources": ["arn:aws:events:us-east-1:123456789012:rule/uptime-scheduler-refresh-accounts"],
           "detail": {}})
}

/// The opt-in bound (ADR 0013) end to end, with the account registry: the run reads one
/// object and calls Organizations not at all; an account that opts out (its untag event) is
/// not touched by the next run, one that opts in (its tag event) is; and an opt-in the
/// registry last confirmed longer ago than OPT_IN_MAX_AGE_MINUTES is never acted on, even if
/// it still says "opted in" (the event path broke), until a refresh reads it again.
#[test]
fn the_account_registry_bounds_how_long_an_opt_out_can_be_missed() {
    let stack = Stack::start_with_registry(&scenario_org());
    let (qa, sandbox) = (stack.account("qa"), stack.account("sandbox"));
    let input = json!({"action": "stop", "schedule": "office-hours"});

    // A new deployment before its first refresh: the run fails at once, nothing contacted.
    stack.record();
    let early = stack.run("before-the-first-refresh", input.clone());
    let calls = stack.recorded();
    assert_eq!(early.status(), "FAILED", "{}", early.raw);
    assert_eq!(early.error(), Some("Misconfigured"));
    assert!(early
        .cause()
        .unwrap_or_default()
        .contains("does not exist yet"));
    assert_eq!(calls["mutating"], json!([]), "{calls}");
    assert_eq!(early.invocations("schedule-account"), 0);

    // The first scheduled refresh walks the Organization and reads every account's tags.
    let first = stack
        .refresh(&scheduled_event())
        .expect("the refresh succeeds");
    assert_eq!(first["walked"], true, "{first}");
    assert_eq!(
        first["accounts"], 6,
        "5 seeded and the management account: {first}"
    );
    assert_eq!(
        (first["tags_read"].as_u64(), first["never_read"].as_u64()),
        (Some(6), Some(0))
    );

    stack.record();
    let run = stack.run("nightly-stop", input.clone());
    let calls = stack.recorded();
    assert_eq!(run.status(), "SUCCEEDED", "{}", run.raw);
    let by_action = calls["by_action"].as_object().unwrap();
    assert!(
        !by_action.keys().any(|a| a.starts_with("organizations:")),
        "the run read the registry, not Organizations: {calls}"
    );
    let summary = summary_of(&run);
    assert_eq!(
        summary["accounts"]["total"], 3,
        "dev, staging, qa: {summary}"
    );
    assert_eq!(summary["instances"]["stopped"], 9);

    // qa opts out and sandbox opts in; their events reach the registry. Someone starts qa's
    // instances by hand: a stop that still took qa for opted in would stop them again.
    let qa_instances = stack.instances("qa", |_| true);
    stack.act(&json!([
        {"op": "start", "account": qa, "region": "eu-west-1", "instances": qa_instances},
        {"op": "untag-account", "account": qa, "keys": ["uptime-scheduler:enabled"]},
        {"op": "tag-account", "account": sandbox, "tags": {"uptime-scheduler:enabled": "true"}},
    ]));
    let untag = organizations_event(
        "UntagResource",
        json!({"resourceId": qa, "tagKeys": ["uptime-scheduler:enabled"]}),
    );
    let r = stack.refresh(&untag).expect("the untag event is applied");
    assert_eq!(
        (r["walked"].as_bool(), r["tags_read"].as_u64()),
        (Some(false), Some(1)),
        "{r}"
    );
    let tag = organizations_event(
        "TagResource",
        json!({"resourceId": sandbox, "tags": [{"key": "uptime-scheduler:enabled", "value": "true"}]}),
    );
    stack.refresh(&tag).expect("the tag event is applied");

    stack.record();
    let run = stack.run("after-the-events", input.clone());
    let calls = stack.recorded();
    assert_eq!(run.status(), "SUCCEEDED", "{}", run.raw);
    let states = stack.states();
    assert!(
        all(&states_of(&states, &qa_instances), "running"),
        "qa untouched: {states}"
    );
    let sandbox_instances = stack.instances("sandbox", |_| true);
    assert!(
        all(&states_of(&states, &sandbox_instances), "stopped"),
        "{states}"
    );
    let stopped: Vec<&str> = calls["mutating"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["instance_ids"].as_array().unwrap().iter())
        .map(|i| i.as_str().unwrap())
        .collect();
    assert_eq!(stopped, [sandbox_instances[0].as_str()], "{calls}");

    // The event path broke: the registry still says qa opted in, from a read 61 minutes ago
    // (the default bound is 60); every other account read now, none opted in. The run leaves
    // qa alone and reports why.
    let now = jiff::Timestamp::now();
    let mut registry = uptime_model::registry::Registry::default();
    let accounts: Vec<uptime_model::registry::Walked> = stack.inventory["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| uptime_model::registry::Walked {
            account: uptime_model::OrgAccount {
                id: uptime_model::AccountId::parse(a["id"].as_str().unwrap()).unwrap(),
                name: a["name"].as_str().unwrap().to_owned(),
                status: uptime_model::AccountStatus::Active,
            },
            path: Vec::new(),
        })
        .collect();
    registry.apply_walk(accounts, now);
    let on = [("uptime-scheduler:enabled".to_owned(), "true".to_owned())].into();
    let keys = ["uptime-scheduler:enabled"];
    let none = std::collections::BTreeMap::new();
    let ids: Vec<uptime_model::AccountId> = registry.accounts.keys().cloned().collect();
    for id in ids {
        if id.as_str() == qa {
            registry.record_tags(&id, &on, &keys, now - jiff::SignedDuration::from_mins(61));
        } else {
            registry.record_tags(&id, &none, &keys, now);
        }
    }
    stack.act(
        &json!([{"op": "put-object", "bucket": uptime_e2e::RESULTS_BUCKET,
        "key": uptime_model::registry::REGISTRY_KEY,
        "body": serde_json::from_slice::<Value>(&registry.to_json()).unwrap()}]),
    );
    stack.record();
    let run = stack.run("with-a-stale-opt-in", input.clone());
    let calls = stack.recorded();
    assert_eq!(run.status(), "FAILED", "{}", run.raw);
    assert_eq!(run.error(), Some("RunCompletedWithFailures"));
    assert_eq!(calls["mutating"], json!([]), "{calls}");
    let summary = summary_of(&run);
    assert_eq!(
        summary["accounts"],
        json!({"total": 1, "succeeded": 0, "failed": 1}),
        "{summary}"
    );
    let text = summary.to_string();
    assert!(
        text.contains(&qa) && text.contains("opt-in unconfirmed"),
        "{summary}"
    );

    // The next scheduled refresh reads qa's tags again: opted out, no longer a failure.
    let r = stack
        .refresh(&scheduled_event())
        .expect("the refresh succeeds");
    assert_eq!(r["never_read"], 0, "{r}");
    let run = stack.run("after-the-refresh", input);
    assert_eq!(run.status(), "SUCCEEDED", "{}", run.raw);
    let summary = summary_of(&run);
    assert_eq!(summary["accounts"]["failed"], 0, "{summary}");
    assert!(all(&states_of(&stack.states(), &qa_instances), "running"));
}
