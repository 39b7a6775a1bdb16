//! Every documented `schedule explain` / `schedule check` example works as written, run through
//! the real binary: the command lines in the code blocks of `README.md` and `docs/`, and every
//! expression of the schedule example tables (the first thing a user copies). Also: output
//! piped into a reader that goes away (`| head`) ends quietly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_uptime-scheduler")
}

/// The markdown files with examples: README.md and everything under docs/.
fn documents() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md")];
    let mut dirs = vec![root().join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The `uptime-scheduler schedule …` command lines inside fenced code blocks, continuation
/// lines (`\`) joined, with the file they come from.
fn command_lines() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for path in documents() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.strip_prefix(root()).unwrap().display().to_string();
        let mut in_code = false;
        let mut pending = String::new();
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if !in_code {
                continue;
            }
            let line = line.trim();
            if !pending.is_empty() || line.starts_with("uptime-scheduler schedule ") {
                match line.strip_suffix('\\') {
                    Some(part) => pending.push_str(part),
                    None => {
                        pending.push_str(line);
                        out.push((name.clone(), std::mem::take(&mut pending)));
                    }
                }
            }
        }
    }
    out
}

/// The first backticked item of each row of the table under `heading` in `file`.
fn table_expressions(file: &str, heading: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let start = text.find(heading).expect(heading) + heading.len();
    let rest = &text[start..];
    let section = &rest[..rest.find("\n#").unwrap_or(rest.len())];
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|cell| cell[..cell.find('`').unwrap()].to_owned())
        .collect()
}

/// Runs a documented command line in `dir`, which holds links to the repository's files, so
/// that what a command writes (`> imported.json`) stays out of the repository.
fn sh_in(dir: &Path, command: &str) -> Output {
    let bin = Path::new(binary()).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn every_documented_schedule_command_runs_as_written() {
    let lines = command_lines();
    for command in ["schedule explain", "schedule check", "schedule import"] {
        assert!(
            lines.iter().any(|(_, l)| l.contains(command)),
            "{command}: {lines:?}"
        );
    }
    // Each document's commands run in order in one directory (an import, then a check of what
    // it wrote).
    let mut dirs: std::collections::BTreeMap<String, tempfile::TempDir> = Default::default();
    for (file, line) in &lines {
        let dir = dirs.entry(file.clone()).or_insert_with(|| {
            let dir = tempfile::tempdir().unwrap();
            for entry in std::fs::read_dir(root()).unwrap() {
                let entry = entry.unwrap();
                std::os::unix::fs::symlink(entry.path(), dir.path().join(entry.file_name()))
                    .unwrap();
            }
            dir
        });
        let out = sh_in(dir.path(), line);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{file}: `{line}` exited {:?}: {stderr}",
            out.status.code()
        );
        if !line.contains('>') {
            assert!(
                !stdout.trim().is_empty(),
                "{file}: `{line}` printed nothing"
            );
        }
    }
}

/// The example document, with the calendars the docs' examples name.
fn examples_document() -> tempfile::NamedTempFile {
    let text = std::fs::read_to_string(root().join("examples/schedules.json")).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc.as_object_mut().unwrap().remove("$schema");
    let calendars = doc["calendars"].as_object_mut().unwrap();
    for name in ["uk-2026", "uk-2027", "us-2026"] {
        calendars.insert(name.into(), serde_json::json!(["2026-12-25"]));
    }
    temp_file(&serde_json::to_string(&doc).unwrap())
}

fn temp_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    file
}

#[test]
fn every_example_expression_of_the_docs_explains_through_the_binary() {
    let doc = examples_document();
    let mut expressions = table_expressions("docs/schedules.md", "### Examples");
    expressions.extend(table_expressions("README.md", "| tag value | meaning |"));
    assert!(expressions.len() >= 30, "{expressions:?}");
    assert!(expressions.iter().any(|e| e.starts_with('-')));
    for expression in &expressions {
        let out = Command::new(binary())
            .args(["schedule", "explain", expression, "--schedules"])
            .arg(doc.path())
            .args(["--from", "2026-03-23T00:00:00Z", "--days", "14"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{expression}`: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("Running"), "`{expression}`: {stdout}");
    }
}

#[test]
fn a_stop_only_expression_is_not_taken_for_an_option() {
    let out = Command::new(binary())
        .args(["schedule", "explain", "-19:00 Europe/London"])
        .args(["--from", "2026-11-23T00:00:00Z", "--days", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Inline schedule: -19:00 Europe/London"),
        "{stdout}"
    );
}

#[test]
fn output_into_a_reader_that_goes_away_ends_quietly() {
    let doc = examples_document();
    for args in [
        vec![
            "schedule",
            "explain",
            "mon-fri 08:00-18:00 Europe/London",
            "--days",
            "366",
            "--output",
            "json",
        ],
        vec!["schedule", "check"],
    ] {
        let mut cmd = Command::new(binary());
        cmd.args(&args);
        if args[1] == "check" {
            cmd.arg(doc.path());
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end at once, as `head` does once it has its lines.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn a_schedules_override_status_shows_in_check_and_explain() {
    let doc = temp_file(
        r#"{"schedules": {"frozen": {"periods": [{"begin": "08:00", "end": "18:00"}],
            "override_status": "stopped"}}}"#,
    );
    let check = Command::new(binary())
        .args(["schedule", "check"])
        .arg(doc.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("frozen: 08:00-18:00 UTC (override_status: stopped)"),
        "{stdout}"
    );
    let explain = Command::new(binary())
        .args(["schedule", "explain", "frozen", "--schedules"])
        .arg(doc.path())
        .args(["--from", "2026-06-01T12:00:00Z", "--output", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&explain.stdout).unwrap();
    assert_eq!(v["state_now"], "stopped");
    assert_eq!(v["state_now_reason"], "override-status");
    assert_eq!(v["transitions"], serde_json::json!([]));
}

#[test]
fn schedule_import_writes_a_document_check_accepts_and_lists_what_it_left() {
    let periods = temp_file(
        r#"{"Periods": [{"type": "period", "name": "office-hours", "begintime": "09:00",
            "endtime": "17:00", "weekdays": ["mon-fri"]}]}"#,
    );
    let schedules = temp_file(
        r#"{"Schedules": [{"type": "schedule", "name": "seattle-office-hours",
            "timezone": "US/Pacific", "periods": ["office-hours@t3.large"],
            "ssm_maintenance_window": ["patching"]}]}"#,
    );
    let out = Command::new(binary())
        .args(["schedule", "import"])
        .arg(periods.path())
        .arg(schedules.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "schedule seattle-office-hours: period `office-hours@t3.large`: instance type resizing"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("SSM maintenance windows (patching)"),
        "{stderr}"
    );
    let document = temp_file(&String::from_utf8_lossy(&out.stdout));
    let check = Command::new(binary())
        .args(["schedule", "check"])
        .arg(document.path())
        .output()
        .unwrap();
    assert!(check.status.success());
    assert!(
        String::from_utf8_lossy(&check.stdout)
            .contains("seattle-office-hours: mon-fri 09:00-17:00 US/Pacific"),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // A DynamoDB export: one item per line.
    let export = temp_file(concat!(
        r#"{"Item": {"type": {"S": "period"}, "name": {"S": "p"}, "begintime": {"S": "08:00"}}}"#,
        "
",
        r#"{"Item": {"type": {"S": "schedule"}, "name": {"S": "s"}, "periods": {"SS": ["p"]}}}"#,
        "
"
    ));
    let out = Command::new(binary())
        .args(["schedule", "import", "--default-timezone", "Europe/Paris"])
        .arg(export.path())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["default_timezone"], "Europe/Paris");
    assert_eq!(
        v["schedules"]["s"]["periods"],
        serde_json::json!([{"begin": "08:00"}])
    );
}

#[test]
fn schedule_check_suggests_the_overnight_form_of_a_window_split_at_midnight() {
    let doc = temp_file(
        r#"{"schedules": {"night": {"periods": [
            {"begin": "22:00", "end": "23:59"}, {"begin": "00:00", "end": "07:00"}
        ]}}}"#,
    );
    let out = Command::new(binary())
        .args(["schedule", "check"])
        .arg(doc.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("night: 22:00-23:59 and 00:00-07:00 UTC"),
        "{stdout}"
    );
    assert!(
        stdout.contains("`22:00-07:00` says it in one period"),
        "{stdout}"
    );
}

/// The README shows what `schedule explain` prints, week picture included, exactly.
#[test]
fn the_readmes_explain_output_is_what_the_command_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("```text\nInline schedule: mon-fri 08:00-18:00 Europe/London\n")
        .expect("the README shows the output of its first explain example")
        + "```text\n".len();
    let shown = &readme[start..start + readme[start..].find("```").unwrap()];
    let out = Command::new(binary())
        .args([
            "schedule",
            "explain",
            "mon-fri 08:00-18:00 Europe/London",
            "--from",
            "2026-10-23T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), shown);
}
