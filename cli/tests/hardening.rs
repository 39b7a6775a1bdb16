//! The `uptime-scheduler` binary against endpoints that misbehave: one that never answers, and
//! one account whose calls take 90 s (the fault proxy in front of moto).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::net::TcpListener;
use std::process::Output;
use std::time::{Duration, Instant};
use uptime_testkit::moto::Moto;
use uptime_testkit::FaultProxy;

mod common;

/// Runs the binary with `input` on standard input. A run still going after `guard` is killed
/// and the test fails: that is the defect under test, not a timing assertion.
fn cli_with_guard(args: &[&str], input: &Value, env: &[(&str, String)], guard: Duration) -> Output {
    let mut child = uptime_testkit::spawn_fed(
        &mut common::command(args, env),
        input.to_string().as_bytes(),
    );
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > guard {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {guard:?}; stderr so far:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// An endpoint that accepts every connection and never answers (held open until the test
/// ends).
fn silent_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[test]
fn an_endpoint_that_never_answers_fails_the_run_after_the_call_timeout_with_progress_shown() {
    let env = common::at(silent_endpoint());
    let out = cli_with_guard(
        &["run", "--input", "-", "--call-timeout", "2", "-v"],
        &json!({"action": "stop"}),
        &env,
        Duration::from_secs(120),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("listing the Organization's accounts"),
        "-v says what the run is doing: {err}"
    );
    assert!(
        err.contains("the run failed before scheduling any account") && err.contains("timeout"),
        "the failure names the timeout: {err}"
    );
}

#[test]
fn one_account_whose_calls_hang_is_reported_timed_out_while_the_others_finish() {
    let moto = Moto::start();
    let region = |n| json!({"eu-west-1": [{"count": n, "tags": {"Schedule": "office-hours"}}]});
    let inv = moto.seed(&json!({"accounts": [
        {"name": "fine", "tags": {"uptime-scheduler:enabled": "true"}, "regions": region(2)},
        {"name": "slow", "tags": {"uptime-scheduler:enabled": "true"}, "regions": region(3)}
    ]}));
    let id = |name: &str| uptime_testkit::moto::seeded_account(&inv, name);
    let (fine, slow) = (id("fine"), id("slow"));
    let proxy = FaultProxy::start(&moto.endpoint());
    // Every EC2 call in the slow account takes 90 s to answer.
    proxy.set_rules(&json!([{
        "service": "ec2", "action": "DescribeInstances", "account": slow,
        "fault": "delay", "delay_ms": 90000
    }]));
    let env = common::at(proxy.endpoint());
    let out = cli_with_guard(
        &[
            "run",
            "--input",
            "-",
            "--regions",
            "eu-west-1",
            "--output",
            "json",
            "--call-timeout",
            "3",
        ],
        &json!({"action": "stop"}),
        &env,
        Duration::from_secs(80),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "failures exit 1: {err}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["instances"]["stopped"], 2, "{summary:#}");
    let failures = summary["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{summary:#}");
    assert_eq!(failures[0]["account"], slow.as_str());
    assert_eq!(failures[0]["error"], "Transient");
    assert!(
        failures[0]["message"].as_str().unwrap().contains("timeout"),
        "{summary:#}"
    );
    let states = moto.snapshot(&[fine, slow.clone()], &["eu-west-1"]);
    let stopped_in = |account: &str| {
        states
            .as_object()
            .unwrap()
            .values()
            .filter(|v| v["account"] == account && v["state"] == "stopped")
            .count()
    };
    assert_eq!(
        stopped_in(&slow),
        0,
        "nothing in the slow account was touched"
    );
}
