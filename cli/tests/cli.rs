//! The `uptime-scheduler` binary: exit codes, validation before contact, a real run on moto.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use uptime_testkit::moto::Moto;

fn cli(args: &[&str], input: &Value, env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_uptime-scheduler"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// An endpoint nothing listens on: any AWS call would fail, so success proves no contact.
fn dead_endpoint() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn invalid_input_exits_2_naming_the_field_and_contacts_nothing() {
    let env = [
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL", dead_endpoint()),
    ];
    let out = cli(
        &["run", "--input", "-"],
        &json!({"action": "stop", "regions": ["eu-west-1", "atlantis-1"]}),
        &env,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("regions[1]"), "{err}");
    assert!(
        !err.contains("dispatch failure"),
        "nothing was contacted: {err}"
    );
}

#[test]
fn missing_region_configuration_exits_2() {
    let out = cli(&["run", "--input", "-"], &json!({"action": "stop"}), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AWS_REGION"));
}

#[test]
fn a_bad_regions_flag_exits_2_naming_the_flag() {
    let out = cli(
        &["run", "--input", "-", "--regions", "eu-west-1,nope"],
        &json!({"action": "stop"}),
        &[("AWS_REGION", "us-east-1".into())],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--regions"));
}

#[test]
fn validate_prints_the_normalised_input() {
    let out = cli(
        &["validate", "--input", "-"],
        &json!({"action": "start", "now": "2026-11-24T07:00:00Z"}),
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["action"], "start");
    assert_eq!(v["now"], "2026-11-24T07:00:00Z");
}

#[test]
fn a_run_on_the_emulator_reports_in_json_and_as_a_table() {
    let moto = Moto::start();
    let inv = moto.seed(&json!({"accounts": [{
        "name": "dev", "tags": {"uptime-scheduler:enabled": "true"},
        "regions": {"eu-west-1": [{"count": 2, "tags": {"Schedule": "office-hours"}}, {"count": 1, "tags": {"Schedule": "ignore"}}]}
    }]}));
    let account = inv["accounts"][0]["id"].as_str().unwrap().to_owned();
    let env = [
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint()),
    ];

    // One `run` on eu-west-1 with `output` and extra flags; exits 0 or the test fails.
    let run = |output: &str, extra: &[&str], input: Value| {
        let mut args = vec![
            "run",
            "--input",
            "-",
            "--regions",
            "eu-west-1",
            "--output",
            output,
        ];
        args.extend_from_slice(extra);
        let out = cli(&args, &input, &env);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };

    let dry = run("table", &[], json!({"action": "stop", "dry_run": true}));
    let table = String::from_utf8_lossy(&dry.stdout);
    assert!(
        table.contains("DRY RUN") && table.contains("would stop") && table.contains(&account),
        "{table}"
    );
    assert!(table.contains("1 opted-out"), "{table}");

    let real = run("json", &[], json!({"action": "stop"}));
    let summary: Value = serde_json::from_slice(&real.stdout).unwrap();
    assert_eq!(summary["status"], "succeeded");
    assert_eq!(summary["instances"]["stopped"], 2);
    let states = moto.snapshot(&[account], &["eu-west-1"]);
    let stopped = states
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v["state"] == "stopped")
        .count();
    assert_eq!(stopped, 2);

    // Start them again; the starts are verified after the wait (moto's starts hold).
    let start = run("json", &["--verify-after", "1"], json!({"action": "start"}));
    let summary: Value = serde_json::from_slice(&start.stdout).unwrap();
    assert_eq!(summary["instances"]["started"], 2);
    assert_eq!(summary["instances"]["failed"], 0);
    assert!(String::from_utf8_lossy(&start.stderr).contains("verifying in 1 s"));
}
