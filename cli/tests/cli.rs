//! The `uptime-scheduler` binary: exit codes, validation before contact, a real run on moto.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpListener;
use std::process::Output;
use uptime_testkit::moto::Moto;

mod common;

fn cli(args: &[&str], input: &Value, env: &[(&str, String)]) -> Output {
    cli_raw(args, input.to_string().into_bytes(), env)
}

/// The binary with `input` as its standard input, written from a thread (the binary may stop
/// reading early, e.g. at the size limit; the broken pipe is then expected).
fn cli_raw(args: &[&str], input: Vec<u8>, env: &[(&str, String)]) -> Output {
    let mut cmd = common::command(args, env);
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
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
    let env = common::at(dead_endpoint());
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
        &json!({"action": "start", "now": "2026-11-24T07:00:00Z", "replay": true}),
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["action"], "start");
    assert_eq!(v["now"], "2026-11-24T07:00:00Z");
    assert_eq!(v["replay"], true);
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn no_contact_env() -> [(&'static str, String); 2] {
    [
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL", dead_endpoint()),
    ]
}

/// A file in a fresh temporary directory (removed when the guard drops).
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, content: &[u8]) -> Self {
        let dir = std::env::temp_dir().join(format!("uptime-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        Self(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

/// serde_json keeps the last of two equal keys: a second `dry_run` turned a preview into a
/// real stop, a second `accounts` widened the run to the Organization. Every command that
/// reads JSON refuses a duplicate key, naming its path, and contacts nothing.
#[test]
fn a_duplicate_key_is_refused_naming_its_path_by_every_command_that_reads_json() {
    let env = no_contact_env();
    let dry =
        br#"{"dry_run": true, "action": "stop", "accounts": ["111111111111"], "dry_run": false}"#;
    for args in [&["validate", "--input", "-"][..], &["run", "--input", "-"]] {
        let out = cli_raw(args, dry.to_vec(), &env);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("`dry_run`") && err.contains("appears twice"),
            "{err}"
        );
        assert!(!err.contains("dispatch failure"), "{err}");
    }
    let widened = br#"{"action": "stop", "accounts": ["111111111111"], "accounts": []}"#;
    let out = cli_raw(&["run", "--input", "-"], widened.to_vec(), &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`accounts`"), "{}", stderr(&out));

    let doc = br#"{"schedules": {"office": {"periods": [{"begin": "08:00"}], "periods": []}}}"#;
    let out = cli_raw(&["schedule", "check", "-"], doc.to_vec(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`schedules.office.periods`"),
        "{}",
        stderr(&out)
    );
    let file = TempFile::new("dup-schedules.json", doc);
    let out = cli(
        &["schedule", "explain", "office", "--schedules", file.path()],
        &json!(null),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`schedules.office.periods`"),
        "{}",
        stderr(&out)
    );
    let out = cli(
        &["run", "--input", "-", "--schedules", file.path()],
        &json!({"action": "reconcile", "dry_run": true}),
        &env,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`schedules.office.periods`"),
        "{}",
        stderr(&out)
    );
    let nested = br#"{"action": "reconcile", "dry_run": true, "schedules": {"schedules": {"office": {"periods": [], "periods": []}}}}"#;
    let out = cli_raw(&["validate", "--input", "-"], nested.to_vec(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`schedules.schedules.office.periods`"),
        "{}",
        stderr(&out)
    );
}

/// Step Functions refuses an execution input over 256 KiB; so does every input the CLI reads,
/// before parsing it (a 50 MB file was read and run).
#[test]
fn an_input_over_256_kib_is_refused_before_parsing() {
    let env = no_contact_env();
    let big = format!(
        "{{\"action\": \"stop\", \"dry_run\": true, \"pad\": \"{}\"}}",
        "x".repeat(50 * 1024 * 1024)
    )
    .into_bytes();
    let out = cli_raw(&["run", "--input", "-"], big.clone(), &env);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("262144 bytes") && err.contains("nothing was parsed"),
        "{err}"
    );
    let file = TempFile::new("big.json", &big[..300_000]);
    for args in [
        &["validate", "--input", file.path()][..],
        &["schedule", "check", file.path()],
        &["schedule", "explain", "x", "--schedules", file.path()],
    ] {
        let out = cli(args, &json!(null), &env);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("262144 bytes"), "{}", stderr(&out));
    }
    // Just under the limit is read (and then judged on its content).
    let mut fits = br#"{"action": "stop", "dry_run": true}"#.to_vec();
    fits.resize(262_144, b' ');
    let out = cli_raw(&["validate", "--input", "-"], fits, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A run that changes instances acts for the present: a `now` more than 5 minutes from the
/// clock is refused (exit 2, nothing contacted) unless the input says it replays the past; a
/// future one always; a dry run may preview any instant.
#[test]
fn a_real_run_for_another_time_is_refused_unless_it_says_replay() {
    let env = no_contact_env();
    for input in [
        json!({"action": "stop", "now": "2026-11-24T19:00:00Z"}),
        json!({"action": "reconcile", "now": "2030-01-01T00:00:00Z", "replay": true}),
    ] {
        for cmd in ["validate", "run"] {
            let out = cli(&[cmd, "--input", "-"], &input, &env);
            assert_eq!(out.status.code(), Some(2), "{cmd} {input}");
            let err = stderr(&out);
            assert!(err.contains("`now`") && err.contains("clock"), "{err}");
            assert!(!err.contains("dispatch failure"), "{err}");
        }
    }
    let err = stderr(&cli(
        &["run", "--input", "-"],
        &json!({"action": "stop", "now": "2026-11-24T19:00:00Z"}),
        &env,
    ));
    assert!(err.contains("\"replay\": true"), "says how: {err}");
    for input in [
        json!({"action": "stop", "now": "2026-11-24T19:00:00Z", "replay": true}),
        json!({"action": "stop", "now": "2030-01-01T00:00:00Z", "dry_run": true}),
        json!({"action": "stop", "now": jiff::Timestamp::now().to_string()}),
    ] {
        let out = cli(&["validate", "--input", "-"], &input, &[]);
        assert_eq!(out.status.code(), Some(0), "{input}: {}", stderr(&out));
    }
}

#[test]
fn now_with_an_offset_beyond_18_hours_or_a_leap_second_is_refused() {
    for (now, says) in [
        ("2026-11-24T19:00:00+25:59", "beyond ±18:00"),
        ("2016-12-31T23:59:60Z", "leap second"),
    ] {
        let out = cli(
            &["validate", "--input", "-"],
            &json!({"action": "stop", "dry_run": true, "now": now}),
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{now}");
        let err = stderr(&out);
        assert!(err.contains("`now`") && err.contains(says), "{err}");
    }
}

/// A malformed endpoint used to fail the first call, after retries, as `Transient` (exit 1).
#[test]
fn a_malformed_endpoint_url_exits_2_naming_the_variable() {
    for url in [
        "not a url",
        "http//127.0.0.1:5000",
        "http://127.0.0.1:99999",
    ] {
        let out = cli(
            &["run", "--input", "-"],
            &json!({"action": "stop", "dry_run": true}),
            &[
                ("AWS_REGION", "us-east-1".to_owned()),
                ("AWS_ENDPOINT_URL", url.to_owned()),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("AWS_ENDPOINT_URL") && err.contains("not an endpoint URL"),
            "{err}"
        );
    }
}

/// Input keys and values reach the error message escaped: no escape sequence, NUL or newline
/// gets to the terminal.
#[test]
fn untrusted_text_in_error_messages_is_escaped() {
    let out = cli(
        &["validate", "--input", "-"],
        &json!({"action": "stop", "\u{1b}[2J\nstatus: succeeded\u{0}": true}),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("\\u{1b}[2J\\nstatus: succeeded\\u{0}"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}') && !err.contains('\0'), "{err:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err:?}");
}

#[test]
fn a_run_on_the_emulator_reports_in_json_and_as_a_table() {
    let moto = Moto::start();
    let inv = moto.seed(&json!({"accounts": [{
        "name": "dev", "tags": {"uptime-scheduler:enabled": "true"},
        "regions": {"eu-west-1": [{"count": 2, "tags": {"Schedule": "office-hours"}}, {"count": 1, "tags": {"Schedule": "ignore"}}]}
    }]}));
    let account = inv["accounts"][0]["id"].as_str().unwrap().to_owned();
    let env = common::at(moto.endpoint());

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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn schedule_explain_prints_the_transitions_in_the_schedules_zone_across_a_dst_change() {
    // London leaves summer time on Sunday 2026-10-25: Friday's window is 07:00–17:00 UTC,
    // Monday's 08:00–18:00 UTC.
    let out = cli(
        &[
            "schedule",
            "explain",
            "mon-fri 08:00-18:00 Europe/London",
            "--from",
            "2026-10-23T00:00:00Z",
            "--days",
            "7",
            "--output",
            "json",
        ],
        &json!(null),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let at: Vec<(&str, &str)> = v["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["at"].as_str().unwrap(), t["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        &at[..4],
        [
            ("2026-10-23T07:00:00Z", "running"),
            ("2026-10-23T17:00:00Z", "stopped"),
            ("2026-10-26T08:00:00Z", "running"),
            ("2026-10-26T18:00:00Z", "stopped"),
        ]
    );
    assert_eq!(at.len(), 10, "five working days");
    assert_eq!(v["state_now"], "stopped");
    assert_eq!(v["running_hours_per_week"], 50.0);
    // The week has 169 real hours (the clocks go back): 1 − 50/169.
    let saved = v["saved_share"].as_f64().unwrap();
    assert!((saved - (1.0 - 50.0 / 169.0)).abs() < 1e-9, "{saved}");

    let table = cli(
        &[
            "schedule",
            "explain",
            "mon-fri 08:00-18:00 Europe/London",
            "--from",
            "2026-10-23T00:00:00Z",
        ],
        &json!(null),
        &[],
    );
    let text = stdout(&table);
    assert!(text.contains("Fri 2026-10-23 08:00 BST"), "{text}");
    assert!(text.contains("Mon 2026-10-26 08:00 GMT"), "{text}");
    assert!(text.contains("Running 50.0 h per week"), "{text}");
}

/// `--from` follows the input's rules for `now`: an impossible offset or a leap second is
/// refused, not silently rewritten.
#[test]
fn schedule_explain_refuses_the_instants_the_input_refuses() {
    for (from, wanted) in [
        ("2026-11-24T19:00:00+25:59", "beyond ±18:00"),
        ("2016-12-31T23:59:60Z", "leap second"),
        ("yesterday", "is not an RFC 3339 timestamp"),
    ] {
        let out = cli(
            &[
                "schedule",
                "explain",
                "mon-fri 08:00-18:00 UTC",
                "--from",
                from,
            ],
            &json!(null),
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{from}");
        let err = stderr(&out);
        assert!(
            err.contains("--from: ") && err.contains(wanted),
            "{from}: {err}"
        );
    }
}

#[test]
fn schedule_explain_resolves_names_from_the_document_and_names_what_is_wrong() {
    let doc = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/schedules.json");
    let out = cli(
        &[
            "schedule",
            "explain",
            "uk-office-hours",
            "--schedules",
            doc,
            "--from",
            "2026-12-24T00:00:00Z",
            "--days",
            "5",
            "--output",
            "json",
        ],
        &json!(null),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["name"], "uk-office-hours");
    // Thursday 24th works; the 25th and the 28th are bank holidays; the 26th–27th a weekend.
    let starts: Vec<&str> = v["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["to"] == "running")
        .map(|t| t["at"].as_str().unwrap())
        .collect();
    assert_eq!(starts, ["2026-12-24T08:00:00Z"]);

    let unknown = cli(
        &["schedule", "explain", "nosuch", "--schedules", doc],
        &json!(null),
        &[],
    );
    assert_eq!(unknown.status.code(), Some(2));
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("no schedule named `nosuch`"), "{err}");
    assert!(
        err.contains("uk-office-hours"),
        "lists the known names: {err}"
    );

    let bad = cli(
        &["schedule", "explain", "mon-fri 08:00-25:00 Europe/London"],
        &json!(null),
        &[],
    );
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("at character 9"), "{err}");
    assert!(err.contains("25:00"), "{err}");
}

#[test]
fn schedule_check_lists_a_documents_schedules_and_rejects_a_bad_one() {
    let doc = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/schedules.json");
    let out = cli(&["schedule", "check", doc], &json!(null), &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).contains("uk-office-hours: mon-fri 08:00-18:00 Europe/London"));

    let out = cli(
        &["schedule", "check", "-"],
        &json!({"schedules": {"x": {"periods": [{"begin": "8am"}]}}}),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("schedules.x.periods[0].begin"), "{err}");
}

#[test]
fn a_reconcile_run_with_a_bad_schedules_file_exits_2_and_contacts_nothing() {
    let dir = std::env::temp_dir().join(format!("uptime-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad-schedules.json");
    std::fs::write(
        &path,
        r#"{"schedules": {"a": "mon-fri 08:00-18:00 Mars/Olympus"}}"#,
    )
    .unwrap();
    let env = common::at(dead_endpoint());
    let out = cli(
        &["run", "--input", "-", "--schedules", path.to_str().unwrap()],
        &json!({"action": "reconcile"}),
        &env,
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Mars/Olympus"), "{err}");
    assert!(!err.contains("dispatch failure"), "{err}");
}

/// The preview of a whole Organization for any `now`: a reconcile dry run on moto decides with
/// the deployed document and inline tags, and touches nothing (not even the last-action tag).
#[test]
fn a_reconcile_dry_run_previews_the_organization_for_any_now_and_touches_nothing() {
    let moto = Moto::start();
    let inv = moto.seed(&json!({"accounts": [{
        "name": "dev", "tags": {"uptime-scheduler:enabled": "true"},
        "regions": {"eu-west-1": [
            {"count": 2, "tags": {"Schedule": "uk-office-hours"}},
            {"count": 1, "tags": {"Schedule": "mon-fri 09:00-17:00 America/New_York"}},
            {"count": 1, "tags": {"Schedule": "nosuch"}}
        ]}
    }]}));
    let account = inv["accounts"][0]["id"].as_str().unwrap().to_owned();
    let env = common::at(moto.endpoint());
    let doc = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/schedules.json");
    let before = moto.snapshot(std::slice::from_ref(&account), &["eu-west-1"]);
    // Thursday 2026-11-26 18:05 London = 13:05 New York: the UK instances' stop transition,
    // the New York one still in its window.
    let out = cli(
        &[
            "run",
            "--input",
            "-",
            "--regions",
            "eu-west-1",
            "--output",
            "json",
            "--schedules",
            doc,
        ],
        &json!({"action": "reconcile", "dry_run": true, "now": "2026-11-26T18:05:00Z"}),
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &summary["instances"];
    assert_eq!(c["would_stop"], 2, "{summary}");
    assert_eq!(c["already"], 1, "{summary}");
    assert_eq!(c["skipped_by_reason"]["unknown-schedule"], 1, "{summary}");
    assert_eq!(c["decided_by_reason"]["outside-window"], 2, "{summary}");
    assert_eq!(c["decided_by_reason"]["in-window"], 1, "{summary}");
    assert_eq!(
        moto.snapshot(&[account], &["eu-west-1"]),
        before,
        "nothing touched"
    );
}

/// An Organizations tag value with an escape sequence and a newline (the regions tag of the
/// `account skipped:` line) is printed escaped, on its own line, so it cannot forge a
/// `status:` line; and `-v` writes no colour codes into a redirected standard error.
#[test]
fn a_poisoned_account_tag_is_printed_escaped_and_a_redirected_log_has_no_colour() {
    let moto = Moto::start();
    let poison = "eu-west-1\u{1b}[32m\nstatus: succeeded\u{0}";
    moto.seed(&json!({"accounts": [
        {"name": "dev", "tags": {"uptime-scheduler:enabled": "true"},
         "regions": {"eu-west-1": [{"count": 1, "tags": {"Schedule": "office-hours"}}]}},
        {"name": "odd", "tags": {"uptime-scheduler:enabled": "true", "uptime-scheduler:regions": poison}}
    ]}));
    let env = common::at(moto.endpoint());
    let out = cli(
        &["run", "--input", "-", "--regions", "eu-west-1", "-v"],
        &json!({"action": "stop", "dry_run": true}),
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    let skipped: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("account skipped:"))
        .collect();
    assert_eq!(skipped.len(), 1, "{table}");
    assert!(
        skipped[0].contains("\\u{1b}[32m\\nstatus: succeeded\\u{0}"),
        "{table}"
    );
    assert!(
        !table.contains('\u{1b}') && !table.contains('\0'),
        "{table:?}"
    );
    assert_eq!(
        table.lines().filter(|l| l.starts_with("status:")).count(),
        1,
        "{table}"
    );
    let log = stderr(&out);
    assert!(log.contains("decision"), "-v logs the decisions: {log}");
    assert!(
        !log.contains('\u{1b}'),
        "no colour in a redirected log: {log:?}"
    );
}

/// Every example input passes `validate` as it is (the clock check included), as a user would
/// run it before `start-execution`.
#[test]
fn every_example_input_validates() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/inputs");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let out = cli(
            &["validate", "--input", path.to_str().unwrap()],
            &json!(null),
            &[],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            stderr(&out)
        );
        n += 1;
    }
    assert!(n >= 4, "{n} examples");
}
