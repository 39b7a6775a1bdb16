//! Static checks of the definition file: both ASL validators, the error names it retries and
//! catches against the closed set the functions emit, the shape that lets the same file run on
//! AWS and locally, the deploy-time placeholders, and the picture in statemachine/README.md.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use uptime_model::ErrorName;
use uptime_testkit::local::{definition_path, node};
use uptime_testkit::moto::repo_root;

fn definition() -> Value {
    serde_json::from_str(&std::fs::read_to_string(definition_path()).unwrap()).unwrap()
}

/// Every state at any depth, with its name.
fn states(machine: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (name, state) in machine["States"].as_object().unwrap() {
        out.push((name.clone(), state.clone()));
        if let Some(body) = state.get("ItemProcessor").or_else(|| state.get("Iterator")) {
            out.extend(states(body));
        }
    }
    out
}

#[test]
fn both_validators_accept_the_definition() {
    let out = Command::new(node())
        .arg(repo_root().join("tests/sfn/validate.cjs"))
        .arg(definition_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The validators are not silent: a broken copy of the definition is rejected.
#[test]
fn the_validators_reject_a_broken_copy() {
    let mut broken = definition();
    broken["States"]["SummarizeRun"]["Next"] = Value::from("NoSuchState");
    let path = std::env::temp_dir().join(format!("uptime-broken-{}.asl.json", std::process::id()));
    std::fs::write(&path, serde_json::to_string_pretty(&broken).unwrap()).unwrap();
    let out = Command::new(node())
        .arg(repo_root().join("tests/sfn/validate.cjs"))
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("NoSuchState"));
}

#[test]
fn retries_and_catches_use_known_error_names_and_never_retry_what_cannot_succeed() {
    let retryable: BTreeSet<&str> = ["Throttled", "Transient"].into();
    for (name, state) in states(&definition()) {
        if state["Type"] != "Task" {
            continue;
        }
        let retried: BTreeSet<String> = state["Retry"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no Retry"))
            .iter()
            .flat_map(|r| r["ErrorEquals"].as_array().unwrap().iter())
            .map(|e| e.as_str().unwrap().to_owned())
            .collect();
        for error in &retried {
            match ErrorName::parse(error) {
                Some(ours) => assert!(
                    retryable.contains(ours.as_str()),
                    "{name} retries {error}, which cannot succeed on retry"
                ),
                None => assert!(
                    error.starts_with("Lambda.") && !error.contains(' '),
                    "{name} retries unknown error {error}"
                ),
            }
        }
        for error in &retryable {
            assert!(retried.contains(*error), "{name} does not retry {error}");
        }
        for catch in state["Catch"].as_array().into_iter().flatten() {
            for error in catch["ErrorEquals"].as_array().unwrap() {
                let error = error.as_str().unwrap();
                assert!(
                    error == "States.ALL" || ErrorName::parse(error).is_some(),
                    "{name} catches unknown error {error}"
                );
            }
        }
    }
}

#[test]
fn one_failed_account_or_region_never_stops_the_others() {
    let machine = definition();
    let all = states(&machine);
    let find = |n: &str| all.iter().find(|(name, _)| name == n).unwrap().1.clone();
    // A region's failure is its own report inside ScheduleAccount (ADR 0014); an account's
    // failure is caught into its report.
    for task in ["ScheduleAccount", "VerifyAccount"] {
        let catches = find(task)["Catch"].clone();
        assert_eq!(catches[0]["ErrorEquals"][0], "States.ALL", "{task}");
    }
    assert_eq!(
        find("ListAccounts")["Catch"][0]["ErrorEquals"],
        serde_json::json!(["InvalidInput"])
    );
    assert_eq!(find("InputRejected")["Error"], "InvalidInput");
}

/// What keeps the same file runnable on AWS (Distributed Maps, Express children, items from S3,
/// results to S3) and on the local interpreter (which runs a Distributed Map inline; the runner
/// reads an `ItemReader`'s S3 object itself, and only `s3:getObject` of JSON).
#[test]
fn the_account_maps_are_distributed_with_items_from_s3_and_one_task_per_account() {
    let machine = definition();
    let accounts = &machine["States"]["ForEachAccount"];
    assert_eq!(
        accounts["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "DISTRIBUTED"
    );
    assert_eq!(
        accounts["ItemProcessor"]["ProcessorConfig"]["ExecutionType"],
        "EXPRESS"
    );
    for (map, answer) in [
        ("ForEachAccount", "accounts"),
        ("VerifyEachAccount", "verify"),
    ] {
        let state = &machine["States"][map];
        assert!(
            state.get("ItemsPath").is_none(),
            "{map}: items from S3, not the state"
        );
        assert_eq!(
            state["ItemReader"],
            serde_json::json!({"Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket.$": format!("$.{answer}.bucket"), "Key.$": format!("$.{answer}.key")}}),
            "{map}: what the runner emulates"
        );
        assert!(
            state.get("ItemBatcher").is_none(),
            "{map}: ItemBatcher does not run locally"
        );
    }
    assert_eq!(
        accounts["ResultWriter"]["Resource"],
        "arn:aws:states:::s3:putObject"
    );
    // One invocation per account, its regions inside it (ADR 0014): no region Map.
    let child = accounts["ItemProcessor"]["States"].as_object().unwrap();
    let mut names: Vec<&String> = child.keys().collect();
    names.sort();
    assert_eq!(names, ["AccountFailed", "ScheduleAccount"]);
    assert_eq!(child["ScheduleAccount"]["Type"], "Task");
    // Its task timeout stays inside the Express child's 5 minutes, with the one retry (only
    // when the account could not be prepared, which fails within 40 s) and its backoff.
    let task = &child["ScheduleAccount"];
    assert!(task["TimeoutSeconds"].as_u64().unwrap() + 40 + 20 < 300);
    for (name, state) in states(&machine) {
        let distributed = state["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED";
        for field in [
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "ResultWriter",
        ] {
            assert!(
                distributed || state.get(field).is_none(),
                "{name}: {field} is only valid on a Distributed Map"
            );
        }
    }
}

#[test]
fn the_placeholders_are_the_deployment_variables() {
    let text = std::fs::read_to_string(definition_path()).unwrap();
    let mut found = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}').unwrap();
        found.insert(rest[start + 2..start + end].to_owned());
        rest = &rest[start + end..];
    }
    let want: BTreeSet<String> = [
        "list_accounts_arn",
        "schedule_account_arn",
        "summarize_run_arn",
        "verify_starts_arn",
        "results_bucket",
        "schedules_document",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(found, want);
}

/// The region tasks get the deployed schedules document as a JSON string that Terraform fills
/// (`"deployed_schedules": "${schedules_document}"`, the document encoded as a string body), so
/// the template is valid JSON before and after rendering, whatever the document holds.
#[test]
fn the_region_tasks_get_the_deployed_schedules_document_as_a_string() {
    let machine = definition();
    let all = states(&machine);
    let mut tasks = Vec::new();
    for (name, state) in &all {
        let Some(parameters) = state.get("Parameters").filter(|_| state["Type"] == "Task") else {
            continue;
        };
        if let Some(v) = parameters.get("deployed_schedules") {
            assert_eq!(v, "${schedules_document}", "{name}");
            assert!(
                parameters.get("deployed_schedules.$").is_none(),
                "{name}: a string, not a path"
            );
            tasks.push(name.as_str());
        }
    }
    tasks.sort();
    assert_eq!(tasks, ["ScheduleAccount", "VerifyAccount"]);

    // Rendered as the module renders it, the field holds the document.
    let doc =
        serde_json::json!({"schedules": {"office": "mon-fri 08:00-18:00 \"x\" Europe/London"}});
    let text = std::fs::read_to_string(definition_path()).unwrap().replace(
        "${schedules_document}",
        &uptime_testkit::local::schedules_document_var(&doc),
    );
    let rendered: Value = serde_json::from_str(&text).unwrap();
    for (name, state) in states(&rendered) {
        if let Some(v) = state["Parameters"].get("deployed_schedules") {
            let back: Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
            assert_eq!(back, doc, "{name}");
        }
    }
}

#[test]
fn the_readme_picture_is_the_definition() {
    let out = Command::new(node())
        .arg(repo_root().join("tests/sfn/mermaid.mjs"))
        .arg(definition_path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(repo_root().join("statemachine/README.md")).unwrap();
    let block = readme
        .split("```mermaid\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a mermaid block in statemachine/README.md");
    assert_eq!(
        block.trim_end(),
        generated.trim_end(),
        "statemachine/README.md is out of date: regenerate its mermaid block with \
         `tests/sfn/node_modules/.bin/node tests/sfn/mermaid.mjs statemachine/uptime-scheduler.asl.json`"
    );
}

/// Each function's Lambda timeout in the Terraform module stays below its Task's
/// `TimeoutSeconds`, so that Step Functions sees the function's own error, not States.Timeout.
#[test]
fn the_modules_lambda_timeouts_are_below_the_task_timeouts() {
    let variables =
        std::fs::read_to_string(repo_root().join("deploy/terraform/variables.tf")).unwrap();
    let block = variables
        .split("variable \"lambda_timeouts\"")
        .nth(1)
        .and_then(|b| b.split("object({").nth(1))
        .and_then(|b| b.split("})").next())
        .expect("a lambda_timeouts variable");
    let mut checked = 0;
    for (name, state) in states(&definition()) {
        if state["Type"] != "Task" {
            continue;
        }
        let placeholder = state["Resource"].as_str().unwrap();
        let function = placeholder
            .trim_start_matches("${")
            .trim_end_matches("_arn}");
        let line = block
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{function} ")))
            .unwrap_or_else(|| panic!("no lambda_timeouts entry for {function}"));
        let lambda: u64 = line
            .rsplit(',')
            .next()
            .and_then(|n| n.trim().trim_end_matches(')').trim().parse().ok())
            .unwrap_or_else(|| panic!("no default in `{line}`"));
        let task = state["TimeoutSeconds"].as_u64().unwrap();
        assert!(
            lambda < task,
            "{name}: Lambda timeout {lambda} s ≥ task timeout {task} s"
        );
        checked += 1;
    }
    // summarize-run serves two Tasks (SummarizeRun and SummarizeVerifiedRun).
    assert_eq!(checked, 5);
}
