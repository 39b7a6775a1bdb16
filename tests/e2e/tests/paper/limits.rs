//! Step Functions limits at the largest scale the design supports: 10,000 accounts × 20 regions.
//!
//! A pure computation, no servers. It reads the state machine definition and follows it:
//!
//! 1. **Payloads.** Every state's input and output, as Step Functions passes them (InputPath,
//!    Parameters / ItemSelector, ResultPath, OutputPath, Catch), with the Lambda results built
//!    from the real contract types in their worst case and serialised with serde_json. Each must
//!    stay within 262,144 bytes; the payloads of one account's child execution that do not carry
//!    its region results within 64 KiB (they do not grow with the number of accounts).
//! 2. **History events.** The events each execution appends to its history, counted per state
//!    type by walking the definition, for the happy path and for the worst case (every retrier
//!    used up on every Task). Each must stay under 25,000.
//!
//! Run with `cargo test -p uptime-e2e --test limits -- --nocapture` to see the tables.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use jiff::Timestamp;
use lambda_runtime::Diagnostic;
use serde_json::{json, to_value, Map, Value};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use uptime_lambda::events::{
    account_list_key, decode, verification_key, AccountList, ListAccountsEvent,
    ListAccountsResponse, ScheduleAccountEvent, ScheduledAccount, SelectionCounts,
    SummarizeRunEvent, SummarizeRunResponse, VerificationItem, VerificationPlan, VerifyStartsEvent,
    MAX_LISTED_FAILED_ACCOUNTS,
};
use uptime_lambda::LambdaError;
use uptime_model::accounts::opt_in;
use uptime_model::ids::KNOWN_REGIONS;
use uptime_model::report::{
    clip, RegionSkipReason, SkippedAccount, SkippedRegion, MAX_LISTED_INSTANCE_FAILURES,
    MAX_LISTED_TARGET_FAILURES, MAX_MESSAGE_CHARS, MAX_SUMMARY_BYTES,
};
use uptime_model::{
    AccountId, AccountReport, AccountTarget, Counts, ErrorName, FailReason, InstanceId,
    InstanceRecord, Note, Outcome, Region, RegionReport, RunHeader, RunRequest, SkipReason,
    Summarizer, TagConfig, TargetError,
};

// ---------------------------------------------------------------------------------------------
// The limits and the scale

/// Accounts in the largest organization-wide run.
const ACCOUNTS: usize = 10_000;
/// Regions per account.
const REGIONS: usize = 20;
/// Step Functions quotas (Standard and Express alike): "Maximum input or output size for a
/// task, state, or execution: 262,144 bytes of data as a UTF-8 encoded string".
const PAYLOAD_LIMIT: usize = 262_144;
/// Step Functions API reference, `ExecutionFailedEventDetails.cause`: "Maximum length of
/// 32768". A Fail state's cause becomes the execution's.
const CAUSE_LIMIT: usize = 32_768;
/// Step Functions quotas for Standard workflows: "Maximum execution history size: 25,000
/// events. If the execution history reaches this quota, the execution will fail."
const HISTORY_LIMIT: usize = 25_000;
/// A child execution's payloads that do not carry its region results: they depend on one
/// account only, never on how many accounts the run has.
const PER_CHILD_LIMIT: usize = 64 * 1024;

fn definition() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/uptime-scheduler.asl.json"
    );
    let mut d: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fill_schedules_document(&mut d, &schedules_document(32_768));
    d
}

/// Terraform fills `${schedules_document}` with the deployed document as a JSON string: here
/// the largest one the module accepts.
fn fill_schedules_document(v: &mut Value, doc: &Value) {
    match v {
        Value::String(s) if s == "${schedules_document}" => *s = doc.to_string(),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| fill_schedules_document(i, doc)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|i| fill_schedules_document(i, doc)),
        _ => {}
    }
}

/// A valid schedules document of at most `max` bytes of compact JSON, padded with holiday
/// dates (quotes: the most escaping when it travels as a string).
fn schedules_document(max: usize) -> Value {
    let start = jiff::civil::date(2000, 1, 1);
    let mut dates: Vec<String> = Vec::new();
    let doc = |dates: &[String]| {
        json!({
            "default_timezone": "Europe/London",
            "calendars": {"bank-holidays": dates},
            "schedules": {"office-hours": "mon-fri 08:00-18:00 Europe/London holidays=bank-holidays"},
        })
    };
    loop {
        let next = start
            .checked_add(jiff::Span::new().days(dates.len() as i64))
            .unwrap()
            .to_string();
        dates.push(next);
        if bytes(&doc(&dates)) > max {
            dates.pop();
            let d = doc(&dates);
            uptime_schedule::ScheduleDocument::from_json(&d).expect("a valid document");
            return d;
        }
    }
}

fn bytes(v: &Value) -> usize {
    serde_json::to_string(v).unwrap().len()
}

// ---------------------------------------------------------------------------------------------
// Worst-case values, from the real types

/// The `REGIONS` longest region names: the worst case for every list of regions.
fn regions() -> Vec<Region> {
    by_length().into_iter().take(REGIONS).collect()
}

/// Every other known region (an account's skipped regions).
fn other_regions() -> Vec<Region> {
    by_length().into_iter().skip(REGIONS).collect()
}

fn by_length() -> Vec<Region> {
    let mut names = KNOWN_REGIONS.to_vec();
    names.sort_by_key(|r| Reverse(r.len()));
    names.iter().map(|r| Region::parse(r).unwrap()).collect()
}

fn account(n: usize) -> AccountId {
    AccountId::parse(&format!("{:012}", 100_000_000_000 + n)).unwrap()
}

/// Instance ids of the long form (17 hex digits).
fn instance(n: usize) -> InstanceId {
    InstanceId::parse(&format!("i-{:017x}", 0x0123_4567_89ab_0000_u64 + n as u64)).unwrap()
}

/// An AWS-style error message longer than reports keep (they clip it to 300 characters). Its
/// quotes cost an extra byte each in JSON.
fn long_message(context: &str) -> String {
    let mut m = format!(
        "{context}: An error occurred (UnauthorizedOperation) when calling the StopInstances \
         operation: You are not authorized to perform this operation. User: \
         \"arn:aws:sts::111111111111:assumed-role/UptimeSchedulerMember/uptime-scheduler-run\" \
         is not authorized to perform: \"ec2:StopInstances\" on resource: \
         \"arn:aws:ec2:ap-southeast-1:111111111111:instance/i-0123456789abcdef0\". Encoded \
         authorization failure message: "
    );
    while m.chars().count() < 2 * MAX_MESSAGE_CHARS {
        m.push_str("Ab0Cd1Ef2Gh3Ij4Kl5Mn6");
    }
    m
}

const BIG: u64 = 999_999_999;

/// The instance failure reasons (each one adds about 25 bytes to a region report).
fn fail_reasons() -> Vec<FailReason> {
    FailReason::ALL.to_vec()
}

/// The instance skip reasons (by hand: keep in step with `SkipReason`).
fn skip_reasons() -> Vec<SkipReason> {
    SkipReason::ALL.to_vec()
}

/// The largest region report one region of schedule-account returns: every counter large, every reason
/// present, the most failures it lists (20, messages clipped to 300 characters), the rest
/// counted.
fn worst_region_report(account: AccountId, region: Region) -> RegionReport {
    let reasons = fail_reasons();
    let records: Vec<InstanceRecord> = (0..MAX_LISTED_INSTANCE_FAILURES + 5)
        .map(|n| InstanceRecord {
            instance: instance(n),
            outcome: Outcome::Failed(reasons[n % reasons.len()]),
            message: Some(long_message("StopInstances")),
            reason: None,
            note: None,
        })
        .collect();
    // The real bounding: at most 20 listed, each message clipped.
    let mut report = RegionReport::from_records(account, region, &records);
    assert_eq!(report.failures.len(), MAX_LISTED_INSTANCE_FAILURES);
    report.counts = Counts {
        started: BIG,
        stopped: BIG,
        hibernated: BIG,
        already: BIG,
        would_start: BIG,
        would_stop: BIG,
        skipped: BIG,
        failed: BIG,
        skipped_by_reason: skip_reasons()
            .into_iter()
            .map(|r| (r.as_str().to_owned(), BIG))
            .collect(),
        failed_by_reason: reasons
            .into_iter()
            .map(|r| (r.as_str().to_owned(), BIG))
            .collect(),
        // Reconcile: every reason kind a decision can have, and every note.
        decided_by_reason: [
            "in-window",
            "outside-window",
            "holiday",
            "enforced",
            "override",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain(skip_reasons().into_iter().map(|r| r.as_str().to_owned()))
        .map(|r| (r, BIG))
        .collect(),
        notes: Note::ALL
            .into_iter()
            .map(|n| (n.as_str().to_owned(), BIG))
            .collect(),
        minutes_avoided: BIG,
        throttles_retried: BIG,
    };
    report.failures_not_listed = BIG;
    report
}

/// The largest realistic execution input: a reconcile run with the largest schedules document
/// an input may carry (8 KiB), a long schedule name (256 characters, the most a tag value
/// holds), 20 regions, 50 excluded accounts, a `now` with nanoseconds and an offset.
fn execution_input() -> Value {
    let schedule: String = "office-hours:eu/".repeat(20).chars().take(256).collect();
    let input = json!({
        "action": "reconcile",
        "schedules": schedules_document(uptime_model::input::MAX_INPUT_SCHEDULES_BYTES),
        "schedule": schedule,
        "dry_run": true,
        "exclude_accounts": (0..50).map(|n| account(90_000 + n)).collect::<Vec<_>>(),
        "regions": regions(),
        "now": "2026-11-24T19:00:00.123456789+01:00",
    });
    RunRequest::from_json(&input, Timestamp::UNIX_EPOCH).expect("a valid execution input");
    input
}

/// The context object (`$$`): the longest execution name (80 characters, the quota), and the
/// longest execution ARN (a GovCloud region, an 80-character state machine name).
fn context() -> Value {
    let name = format!("nightly-stop-2026-11-24-{}", "x".repeat(80 - 24));
    json!({
        "Execution": {
            "Id": format!(
                "arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:{}:{name}",
                "m".repeat(80)
            ),
            "Name": name,
            "StartTime": "2026-11-24T18:00:00.123Z",
        }
    })
}

/// An account whose regions tag is malformed (a typo in a 20-region list): list-accounts
/// always reports it, with the real detail.
fn invalid_regions_tag(id: AccountId) -> SkippedAccount {
    let config = TagConfig::default();
    let names = regions();
    let list: Vec<&str> = names.iter().map(Region::as_str).collect();
    let tag = format!("{},ap-southeast-l", list.join(","));
    let tags: BTreeMap<String, String> = [
        (config.account_enabled_key.clone(), "true".to_owned()),
        (config.account_regions_key.clone(), tag),
    ]
    .into_iter()
    .collect();
    let (reason, detail) = opt_in(&id, &tags, &config).unwrap_err();
    SkippedAccount {
        account: id,
        reason,
        detail,
    }
}

/// A caught error (`{"Error", "Cause"}`) as a Catch's ResultPath receives it. A Lambda's
/// cause is the function's error as JSON, which the runtime writes from `Diagnostic`.
fn caught(catch: &Value, cause: &Cause) -> Value {
    let error = catch["ErrorEquals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|e| *e != "States.ALL")
        .unwrap_or("AccessDenied");
    let cause = match cause {
        Cause::Ours => {
            let name = ErrorName::parse(error).unwrap_or(ErrorName::Internal);
            let error = LambdaError::from(TargetError::new(name, long_message("assuming")));
            serde_json::to_string(&Diagnostic::from(error)).unwrap()
        }
        Cause::Chars(n) => "x".repeat(*n),
    };
    json!({"Error": error, "Cause": cause})
}

/// The cause of every caught error in a walk.
#[derive(Debug, Clone, Copy)]
enum Cause {
    /// The longest our functions return: an error name and a clipped (300-character) message.
    Ours,
    /// A cause of this many characters (Step Functions keeps up to 32,768).
    Chars(usize),
}

// ---------------------------------------------------------------------------------------------
// The Lambdas' results, worst case, from the events the definition builds

/// The result of the Task state `name` for its (Parameters) input. Each event is decoded with
/// the real contract first, so the definition's Parameters must match what the function takes.
fn task_result(name: &str, event: &Value, run: &mut RunFacts) -> Value {
    match name {
        "ListAccounts" => list_accounts(event, run),
        "ScheduleAccount" => schedule_account(event),
        "VerifyAccount" => verify_starts(event),
        "SummarizeVerifiedRun" => summarize_run(event, run),
        "SummarizeRun" => summarize_run(event, run),
        other => panic!("no model of the result of the Task `{other}`: add one to limits.rs"),
    }
}

/// What the walk learns on its way, for the report.
#[derive(Debug, Default)]
struct RunFacts {
    failures_listed: usize,
    failures_not_listed: u64,
    skipped_listed: usize,
    skipped_not_listed: u64,
    /// The largest item each ItemReader reads, by its `Key.$` path: what ListAccounts and
    /// SummarizeRun wrote.
    items: BTreeMap<&'static str, Value>,
}

/// 10,000 selected accounts, each tagged with 20 regions, written to S3 (the largest, an
/// account with the 20 longest region names, is what the account Map's ItemReader hands a
/// child); the most failed accounts it lists (100, messages clipped); 100 accounts with a
/// malformed regions tag.
fn list_accounts(event: &Value, run: &mut RunFacts) -> Value {
    let event: ListAccountsEvent = decode(event.clone(), "list-accounts").unwrap();
    let request = RunRequest::from_json(&event.input, event.execution_start).unwrap();
    let largest = AccountTarget {
        id: account(0),
        regions: Some(regions()),
        regions_deferred: false,
    };
    run.items
        .insert("$.accounts.key", to_value(largest).unwrap());
    let failed_accounts: Vec<AccountReport> = (0..MAX_LISTED_FAILED_ACCOUNTS)
        .map(|n| AccountReport {
            account: account(20_000 + n),
            regions: Vec::new(),
            skipped_regions: Vec::new(),
            error: Some(TargetError::new(
                ErrorName::Throttled,
                long_message("reading the account's tags"),
            )),
        })
        .collect();
    let skipped_accounts: Vec<SkippedAccount> = (0..100)
        .map(|n| invalid_regions_tag(account(30_000 + n)))
        .collect();
    let counts = SelectionCounts {
        listed: 12_000,
        selected: ACCOUNTS as u64,
        not_opted_in: 1_500,
        inactive: 100,
        excluded: 50,
        failed: 350,
        not_yet_read: 0,
    };
    let response = ListAccountsResponse {
        request,
        accounts: AccountList {
            bucket: "b".repeat(63),
            key: account_list_key(&event.execution),
            count: ACCOUNTS as u64,
        },
        skipped_accounts,
        failed_accounts,
        counts,
        concurrency: Default::default(),
    };
    to_value(response).unwrap()
}

/// 20 regions scheduled, each with the largest report a region run can produce, and
/// every other known region skipped: more than one input can produce (a run naming 20 regions
/// leaves at most 20 between the two lists), a bound.
fn schedule_account(event: &Value) -> Value {
    let event: ScheduleAccountEvent = decode(event.clone(), "schedule-account").unwrap();
    let id = event.account.id;
    to_value(ScheduledAccount {
        account: id.clone(),
        regions: regions()
            .into_iter()
            .map(|r| worst_region_report(id.clone(), r))
            .collect(),
        skipped_regions: other_regions()
            .into_iter()
            .map(|region| SkippedRegion {
                region,
                reason: RegionSkipReason::NotInAccountRegions,
            })
            .collect(),
    })
    .unwrap()
}

/// verify-starts returns the region results it is given, in order, with starts that did not
/// hold moved to failed: still at most 20 listed failures a region, and the worst-case reports
/// already carry every reason.
fn verify_starts(event: &Value) -> Value {
    let mut fields: Vec<&str> = event
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "account",
            "deployed_schedules",
            "execution",
            "reports",
            "request"
        ]
    );
    // Typed, not through `decode`: some events here are what-ifs past the 256 KiB limit.
    let typed: VerifyStartsEvent = serde_json::from_value(event.clone()).unwrap();
    uptime_lambda::events::schedules(typed.deployed_schedules.as_deref(), &typed.request).unwrap();
    let results = event["reports"].as_array().unwrap();
    let verified: Vec<Value> = results
        .iter()
        .map(
            |item| match serde_json::from_value::<RegionReport>(item.clone()) {
                Ok(report) => to_value(report).unwrap(),
                // A caught region failure is passed through.
                Err(_) => item.clone(),
            },
        )
        .collect();
    Value::Array(verified)
}

/// summarize-run's fold (as in `lambdas/summarize-run/src/handler.rs`) over results with more
/// failed regions than the summary lists (messages clipped), large counts, the listed failed
/// and skipped accounts of ListAccounts; then `fit` and the failure cause.
fn summarize_run(event: &Value, run: &mut RunFacts) -> Value {
    let event: SummarizeRunEvent = decode(event.clone(), "summarize-run").unwrap();
    let mut summary = Summarizer::new(RunHeader::of(&event.request));
    // The Map's results, read from S3 by the function: two failures per account.
    let names = regions();
    for n in 0..MAX_LISTED_TARGET_FAILURES {
        let id = account(40_000 + n);
        let failed = TargetError::new(ErrorName::Throttled, long_message("DescribeInstances"));
        summary.add(&AccountReport {
            account: id.clone(),
            regions: vec![
                RegionReport::failed(id.clone(), names[0].clone(), failed),
                worst_region_report(id, names[1].clone()),
            ],
            skipped_regions: Vec::new(),
            error: None,
        });
    }
    event.add_failed_accounts(&mut summary);
    let mut summary = summary.finish(event.skipped_accounts.clone());
    summary.fit(MAX_SUMMARY_BYTES);
    run.failures_listed = summary.failures.len();
    run.failures_not_listed = summary.failures_not_listed;
    run.skipped_listed = summary.skipped_accounts.len();
    run.skipped_not_listed = summary.skipped_accounts_not_listed;
    let mut answer = to_value(SummarizeRunResponse::new(summary)).unwrap();
    if event.verification.is_none() {
        // The first call's other answer, in a start run with starts: the plan, with the
        // longest bucket name (63 characters) and key (the execution name at its 80-character
        // quota), carrying the run for the second call. Both answers at once: an upper bound
        // for every state after it (the Choice walks both ways). The plan's largest item, an
        // account with every region started and a worst-case report, is what the
        // verification Map's ItemReader hands a child.
        let id = account(0);
        let item = VerificationItem {
            account: id.clone(),
            reports: regions()
                .into_iter()
                .map(|r| worst_region_report(id.clone(), r))
                .collect(),
        };
        run.items.insert("$.verify.key", to_value(item).unwrap());
        let name = event
            .execution
            .as_ref()
            .map(|e| e.name().to_owned())
            .unwrap();
        let plan = VerificationPlan {
            accounts: ACCOUNTS as u64,
            regions: (ACCOUNTS * REGIONS) as u64,
            bucket: "b".repeat(63),
            key: verification_key(&name),
            concurrency: event.concurrency.unwrap_or_default(),
            run: Box::new(event),
        };
        answer["verify"] = to_value(plan).unwrap();
    }
    answer
}

// ---------------------------------------------------------------------------------------------
// Payloads: the definition's data flow, applied

/// One state's payload sizes in bytes, the largest over every path that reaches it.
#[derive(Debug, Default, Clone)]
struct Sizes {
    /// Nesting: 0 the parent execution, 1 an account's child, 2 a region iteration.
    depth: usize,
    /// The state's input as it enters.
    input: usize,
    /// What the Task is invoked with, or an iteration/child starts with (after Parameters or
    /// ItemSelector).
    effective: Option<usize>,
    /// The Task's result, or the Map's results.
    result: Option<usize>,
    /// The state's output (for a Fail state: its cause, in characters).
    output: usize,
    /// The payload carries the region results of an inline Map (it grows with the regions).
    carries_results: bool,
}

impl Sizes {
    fn largest(&self) -> usize {
        self.largest_with_what().0
    }

    /// The largest of the four, and which it is.
    fn largest_with_what(&self) -> (usize, &'static str) {
        [
            (self.input, "input"),
            (self.effective.unwrap_or(0), "task/item input"),
            (self.result.unwrap_or(0), "result"),
            (self.output, "output"),
        ]
        .into_iter()
        .max_by_key(|(n, _)| *n)
        .unwrap()
    }
}

/// Walks a definition with worst-case values, recording every state's payloads.
struct Walker {
    ctx: Value,
    cause: Cause,
    depth: usize,
    rows: Vec<(String, Sizes)>,
    fail_causes: Vec<(String, usize)>,
    /// The account Map's item processor and its largest child input.
    child: Option<(Value, Value)>,
    run: RunFacts,
}

impl Walker {
    fn new(cause: Cause) -> Self {
        Self {
            ctx: context(),
            cause,
            depth: 0,
            rows: Vec::new(),
            fail_causes: Vec::new(),
            child: None,
            run: RunFacts::default(),
        }
    }

    fn record(&mut self, name: &str, sizes: Sizes) {
        let sizes = Sizes {
            depth: self.depth,
            ..sizes
        };
        match self.rows.iter_mut().find(|(n, _)| n == name) {
            None => self.rows.push((name.to_owned(), sizes)),
            Some((_, s)) => {
                s.input = s.input.max(sizes.input);
                s.effective = s.effective.max(sizes.effective);
                s.result = s.result.max(sizes.result);
                s.output = s.output.max(sizes.output);
                s.carries_results |= sizes.carries_results;
            }
        }
    }

    fn row(&self, name: &str) -> &Sizes {
        &self.rows.iter().find(|(n, _)| n == name).unwrap().1
    }

    /// A path (`$`, `$.a.b`, `$$.Execution.Name`) against the input or the context object.
    fn path(&self, path: &str, input: &Value) -> Value {
        let (root, rest) = match path.strip_prefix("$$") {
            Some(rest) => (&self.ctx, rest),
            None => (input, path.strip_prefix('$').expect("a JSONPath")),
        };
        let mut at = root;
        for key in rest.split('.').skip(1) {
            at = at
                .get(key)
                .unwrap_or_else(|| panic!("`{path}` selects nothing (States.Runtime)"));
        }
        at.clone()
    }

    /// A Parameters / ItemSelector / ResultSelector template applied: `"key.$"` fields are
    /// paths, the rest is copied. Intrinsic functions are not modelled.
    fn template(&self, template: &Value, input: &Value) -> Value {
        match template {
            Value::Object(fields) => {
                let mut out = Map::new();
                for (key, value) in fields {
                    match key.strip_suffix(".$") {
                        Some(key) => {
                            out.insert(key.into(), self.path(value.as_str().unwrap(), input))
                        }
                        None => out.insert(key.clone(), self.template(value, input)),
                    };
                }
                Value::Object(out)
            }
            Value::Array(items) => items.iter().map(|v| self.template(v, input)).collect(),
            other => other.clone(),
        }
    }

    /// InputPath, then Parameters (a Map applies its ItemSelector to each item instead).
    fn effective_input(&self, state: &Value, input: &Value) -> Value {
        let input = self.path(state["InputPath"].as_str().unwrap_or("$"), input);
        match state.get("Parameters") {
            Some(p) if state["Type"] != "Map" => self.template(p, &input),
            _ => input,
        }
    }

    /// ResultSelector, ResultPath, OutputPath.
    fn output(&self, state: &Value, input: &Value, result: Value) -> Value {
        let result = match state.get("ResultSelector") {
            Some(s) => self.template(s, &result),
            None => result,
        };
        let merged = result_path(state.get("ResultPath"), input, result);
        self.path(state["OutputPath"].as_str().unwrap_or("$"), &merged)
    }

    /// The block's largest final output (None when every path ends in a Fail state).
    fn walk_block(&mut self, block: &Value, input: Value, carries: bool) -> Option<Value> {
        let start = block["StartAt"].as_str().unwrap();
        self.walk_state(block, start, input, carries)
    }

    fn next(&mut self, block: &Value, state: &Value, output: Value, c: bool) -> Option<Value> {
        match state["Next"].as_str() {
            Some(next) => self.walk_state(block, next, output, c),
            None => Some(output),
        }
    }

    /// Walks from state `name` with `input`; `c` says the payload carries region results.
    fn walk_state(&mut self, block: &Value, name: &str, input: Value, c: bool) -> Option<Value> {
        let state = &block["States"][name];
        assert!(state.is_object(), "no state `{name}`");
        let sizes = |input: &Value, output: &Value| Sizes {
            input: bytes(input),
            output: bytes(output),
            carries_results: c,
            ..Sizes::default()
        };
        match state["Type"].as_str().unwrap() {
            "Task" => {
                let effective = self.effective_input(state, &input);
                let result = task_result(name, &effective, &mut self.run);
                // An account report (schedule-account's, ADR 0014) carries its region results
                // from here on, as an inline region Map's output did before.
                let c = c || result.get("regions").is_some_and(Value::is_array);
                let output = self.output(state, &input, result.clone());
                let row = Sizes {
                    effective: Some(bytes(&effective)),
                    result: Some(bytes(&result)),
                    carries_results: c,
                    ..sizes(&input, &output)
                };
                self.record(name, row);
                let mut ends = vec![self.next(block, state, output, c)];
                // A Catch: the input, with the caught error at the Catch's ResultPath.
                for catch in state["Catch"].as_array().into_iter().flatten() {
                    let error = caught(catch, &self.cause);
                    let output = result_path(catch.get("ResultPath"), &input, error);
                    self.record(&format!("{name} (caught)"), sizes(&input, &output));
                    let next = catch["Next"].as_str().unwrap();
                    ends.push(self.walk_state(block, next, output, c));
                }
                largest(ends)
            }
            "Pass" => {
                let effective = self.effective_input(state, &input);
                let result = state.get("Result").cloned().unwrap_or(effective);
                let output = self.output(state, &input, result);
                self.record(name, sizes(&input, &output));
                self.next(block, state, output, c)
            }
            "Wait" => {
                let output = self.output(state, &input, input.clone());
                self.record(name, sizes(&input, &output));
                self.next(block, state, output, c)
            }
            // Every branch is walked whatever its rule says (a stop run still takes the
            // start-verification path here): the worst case over all inputs.
            "Choice" => {
                self.record(name, sizes(&input, &input));
                let choices = state["Choices"].as_array().unwrap().iter();
                let targets: Vec<&str> = choices
                    .map(|choice| choice["Next"].as_str().unwrap())
                    .chain(state["Default"].as_str())
                    .collect();
                let ends = targets
                    .into_iter()
                    .map(|t| self.walk_state(block, t, input.clone(), c))
                    .collect();
                largest(ends)
            }
            "Succeed" => {
                let output = self.output(state, &input, input.clone());
                self.record(name, sizes(&input, &output));
                Some(output)
            }
            "Fail" => {
                let cause = match state["CausePath"].as_str() {
                    Some(path) => self.path(path, &input).as_str().unwrap().to_owned(),
                    None => state["Cause"].as_str().unwrap_or("").to_owned(),
                };
                let chars = cause.chars().count();
                self.record(
                    name,
                    Sizes {
                        input: bytes(&input),
                        output: chars,
                        carries_results: c,
                        ..Sizes::default()
                    },
                );
                self.fail_causes.push((name.to_owned(), chars));
                None
            }
            "Map" => self.walk_map(block, name, input, c),
            other => panic!("the `{other}` state `{name}` is not modelled: add it to limits.rs"),
        }
    }

    fn walk_map(&mut self, block: &Value, name: &str, input: Value, c: bool) -> Option<Value> {
        let state = &block["States"][name];
        let effective = self.effective_input(state, &input);
        let items = if let Some(reader) = state.get("ItemReader") {
            // The items are an S3 object: the largest item the Task that wrote it can write
            // stands for all of them.
            let key = reader["Parameters"]["Key.$"].as_str().unwrap();
            let item = self.run.items.get(key).cloned();
            vec![item.unwrap_or_else(|| panic!("{name}: nothing wrote the items at `{key}`"))]
        } else {
            let items_path = state["ItemsPath"].as_str().unwrap_or("$");
            self.path(items_path, &effective)
                .as_array()
                .unwrap()
                .clone()
        };
        let processor = &state["ItemProcessor"];
        let distributed = processor["ProcessorConfig"]["Mode"] == "DISTRIBUTED";
        let result = if distributed {
            // A child execution's payloads depend on its own item only: the largest item is
            // the worst child, whatever the number of accounts.
            let (index, item) = items
                .iter()
                .enumerate()
                .max_by_key(|(_, item)| bytes(item))
                .unwrap();
            let child_input = self.item_input(state, &effective, index, item);
            // The account Map's child (the first Distributed Map), for the what-ifs below.
            if self.child.is_none() {
                self.child = Some((processor.clone(), child_input.clone()));
            }
            // The verification Map's items are region reports: its children carry them.
            let carries = name == "VerifyEachAccount";
            self.depth += 1;
            self.walk_block(processor, child_input, carries);
            self.depth -= 1;
            assert!(
                state.get("ResultWriter").is_some(),
                "without a ResultWriter the {} child outputs would come back inline",
                items.len()
            );
            result_writer_pointer(state)
        } else {
            let mut results = Vec::new();
            self.depth += 1;
            for (index, item) in items.iter().enumerate() {
                let iteration_input = self.item_input(state, &effective, index, item);
                let output = self.walk_block(processor, iteration_input, false);
                results.push(output.expect("an iteration that cannot succeed is not modelled"));
            }
            self.depth -= 1;
            Value::Array(results)
        };
        // After an inline Map the state carries its results, which grow with the items.
        let c = c || !distributed;
        let output = self.output(state, &input, result.clone());
        let row = Sizes {
            input: bytes(&input),
            result: Some(bytes(&result)),
            output: bytes(&output),
            carries_results: c,
            ..Sizes::default()
        };
        self.record(name, row);
        self.next(block, state, output, c)
    }

    /// An item's input: the ItemSelector with `$$.Map.Item`, or the item itself.
    fn item_input(&mut self, state: &Value, input: &Value, index: usize, item: &Value) -> Value {
        self.ctx["Map"] = json!({"Item": {"Index": index, "Value": item}});
        let out = match state.get("ItemSelector") {
            Some(selector) => self.template(selector, input),
            None => item.clone(),
        };
        self.ctx.as_object_mut().unwrap().remove("Map");
        out
    }
}

/// ResultPath: absent or `$` replaces the input, `null` keeps it, `$.a.b` sets that field.
fn result_path(path: Option<&Value>, input: &Value, result: Value) -> Value {
    let path = match path {
        None => return result,
        Some(Value::Null) => return input.clone(),
        Some(p) => p.as_str().unwrap(),
    };
    if path == "$" {
        return result;
    }
    let mut merged = input.clone();
    let keys: Vec<&str> = path
        .strip_prefix("$.")
        .expect("a ResultPath")
        .split('.')
        .collect();
    let (last, parents) = keys.split_last().unwrap();
    let mut at = &mut merged;
    for key in parents {
        at = &mut at[*key];
    }
    at[*last] = result;
    merged
}

fn largest(ends: Vec<Option<Value>>) -> Option<Value> {
    ends.into_iter().flatten().max_by_key(bytes)
}

/// A Distributed Map with a ResultWriter outputs a pointer to its results in S3. The longest
/// one: state machine names up to 80 characters, bucket names up to 63.
fn result_writer_pointer(state: &Value) -> Value {
    let label = state["Label"].as_str().unwrap_or("");
    let prefix = state["ResultWriter"]["Parameters"]["Prefix"]
        .as_str()
        .unwrap_or("");
    let id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    let machine = "u".repeat(80);
    json!({
        "MapRunArn": format!(
            "arn:aws-us-gov:states:us-gov-west-1:123456789012:mapRun:{machine}/{label}:{id}"
        ),
        "ResultWriterDetails": {
            "Bucket": "b".repeat(63),
            "Key": format!("{prefix}/{id}/manifest.json"),
        },
    })
}

fn print_payloads(walk: &Walker, execution_input: usize) {
    let cell = |n: Option<usize>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    println!(
        "\nPayloads at {ACCOUNTS} accounts × {REGIONS} regions (bytes of JSON; limit {PAYLOAD_LIMIT})"
    );
    println!(
        "{:<38} {:>9} {:>11} {:>9} {:>9}",
        "state", "input", "task/item", "result", "output"
    );
    println!("{:<38} {:>9}", "(execution input)", execution_input);
    for (name, s) in &walk.rows {
        let label = format!("{}{name}", "  ".repeat(s.depth));
        let output = if walk.fail_causes.iter().any(|(n, _)| n == name) {
            format!("{}ch", s.output)
        } else {
            s.output.to_string()
        };
        println!(
            "{:<38} {:>9} {:>11} {:>9} {:>9}",
            label,
            s.input,
            cell(s.effective),
            cell(s.result),
            output
        );
    }
}

#[test]
fn every_payload_stays_under_256_kib_at_10000_accounts_by_20_regions() {
    let definition = definition();
    let input = execution_input();
    let mut walk = Walker::new(Cause::Ours);
    let output = walk
        .walk_block(&definition, input.clone(), false)
        .expect("a run that can succeed");
    walk.record(
        "(execution output)",
        Sizes {
            input: 0,
            output: bytes(&output),
            ..Sizes::default()
        },
    );
    print_payloads(&walk, bytes(&input));

    let list = walk.row("ListAccounts");
    println!(
        "\nListAccounts: {ACCOUNTS} accounts with {REGIONS} regions each in S3, not in the \
         state: its output is {} bytes",
        list.output
    );
    assert!(
        list.output < PER_CHILD_LIMIT,
        "the account list stays out of the state"
    );
    println!(
        "SummarizeRun: {} failures listed, {} not listed; {} skipped accounts listed, {} not",
        walk.run.failures_listed,
        walk.run.failures_not_listed,
        walk.run.skipped_listed,
        walk.run.skipped_not_listed
    );

    // Every state's input and output.
    assert!(bytes(&input) <= PAYLOAD_LIMIT);
    for (name, s) in &walk.rows {
        assert!(s.largest() <= PAYLOAD_LIMIT, "{name}: {s:?}");
    }
    let (largest_name, largest) = walk.rows.iter().max_by_key(|(_, s)| s.largest()).unwrap();
    let (size, what) = largest.largest_with_what();
    println!(
        "Largest payload: {size} bytes ({largest_name} {what}), {} bytes under the limit",
        PAYLOAD_LIMIT - size
    );

    // A Fail state's cause becomes the execution's.
    assert!(!walk.fail_causes.is_empty());
    for (name, chars) in &walk.fail_causes {
        assert!(
            *chars <= CAUSE_LIMIT,
            "{name}: a cause of {chars} characters"
        );
    }

    // The child's payloads that do not carry its region results are small.
    for (name, s) in walk.rows.iter().filter(|(_, s)| s.depth > 0) {
        if !s.carries_results {
            assert!(s.largest() < PER_CHILD_LIMIT, "{name}: {s:?}");
        }
    }
    let (child_name, child) = walk
        .rows
        .iter()
        .filter(|(_, s)| s.depth == 1)
        .max_by_key(|(_, s)| s.largest())
        .unwrap();
    let (size, what) = child.largest_with_what();
    let headroom = PAYLOAD_LIMIT - size;
    println!(
        "Largest per-child payload: {size} bytes ({child_name} {what}, {REGIONS} worst-case \
         region reports); {headroom} bytes to spare, e.g. about {} more account ids named in \
         the input (the request travels in every child state)",
        headroom / r#""123456789012","#.len()
    );
    // Messages are clipped to 300 characters, not bytes: how many bytes may one take as JSON?
    let listed = REGIONS * MAX_LISTED_INSTANCE_FAILURES;
    let message = to_value(clip(&long_message("StopInstances"))).unwrap();
    println!(
        "The {listed} listed instance failure messages take {} bytes each as JSON here; they \
         may average up to {} before the largest child state reaches the limit",
        bytes(&message),
        bytes(&message) + headroom / listed
    );

    // A caught error with the longest cause Step Functions keeps, once per child: small.
    let (processor, child_input) = walk.child.clone().unwrap();
    let mut long = Walker::new(Cause::Chars(CAUSE_LIMIT));
    long.walk_block(&processor, child_input.clone(), false);
    // (A region's failure is no longer a caught Step Functions error with a cause of up to
    // 32,768 characters: schedule-account reports it itself, with its own bounded message, in
    // the region report, ADR 0014.)
    let size = long.row("AccountFailed").output;
    println!("AccountFailed with a {CAUSE_LIMIT}-character cause: {size} bytes");
    assert!(size < PER_CHILD_LIMIT, "AccountFailed: {size}");
}

// ---------------------------------------------------------------------------------------------
// History events
//
// The events each state appends to a Standard execution's history, per the Step Functions API
// reference (`HistoryEvent.type`) and developer guide. A modelled rule per state type:
//
// - Execution: ExecutionStarted, then ExecutionSucceeded or ExecutionFailed.
// - Task with a Lambda function: TaskStateEntered, then per attempt LambdaFunctionScheduled,
//   LambdaFunctionStarted and LambdaFunctionSucceeded / Failed / TimedOut, then TaskStateExited.
//   A service integration (`arn:aws:states:::…`) counts TaskScheduled, TaskStarted,
//   TaskSubmitted and TaskSucceeded / Failed: one more, as a bound.
// - Retry: each retrier counts its own attempts up to its MaxAttempts (default 3, States
//   Language specification), so errors that alternate between retriers can use them all: the
//   worst case is 1 + the sum of MaxAttempts attempts.
// - Pass, Choice, Wait, Succeed: …StateEntered and …StateExited. Fail: FailStateEntered (the
//   ExecutionFailed that follows is the execution's).
// - Map, Inline mode: MapStateEntered, MapStateStarted, per iteration MapIterationStarted,
//   the iteration's states, MapIterationSucceeded; then MapStateSucceeded, MapStateExited
//   ("Step Functions adds the execution history of these iterations to the parent workflow's
//   execution history").
// - Map, Distributed mode: MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded,
//   MapStateSucceeded, MapStateExited, whatever the number of items: "each child workflow
//   execution has its own, separate execution history from that of the parent workflow".
//
// The children here are EXPRESS executions: they have no Step Functions event history at all
// (quotas for Express workflows: "Maximum execution history size: Unlimited"; their events go
// to CloudWatch Logs when logging is on). They are bounded here as if they were Standard.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// Every Task succeeds at once.
    Happy,
    /// Every retrier used up on every Task, and every Catch taken where that is longer.
    Worst,
}

/// The number of items an inline Map iterates over, by its ItemsPath.
fn inline_items(items_path: &str) -> usize {
    match items_path {
        "$.prepared.regions" => REGIONS,
        other => panic!("no item count for the inline Map over `{other}`: add it to limits.rs"),
    }
}

fn attempts(state: &Value, case: Case) -> usize {
    let retriers = state["Retry"].as_array().into_iter().flatten();
    match case {
        Case::Happy => 1,
        Case::Worst => {
            1 + retriers
                .map(|r| r["MaxAttempts"].as_u64().unwrap_or(3) as usize)
                .sum::<usize>()
        }
    }
}

/// The events a state itself appends (without those of the states after it).
fn state_events(state: &Value, case: Case) -> usize {
    let own = match state["Type"].as_str().unwrap() {
        "Task" => {
            let resource = state["Resource"].as_str().unwrap_or("");
            let per_attempt = if resource.starts_with("arn:aws:states:::") {
                4
            } else {
                3
            };
            // Entered and exited; the attempts are counted below, with the retries.
            return 2 + attempts(state, case) * per_attempt;
        }
        "Pass" | "Choice" | "Wait" | "Succeed" => 2,
        "Fail" => 1,
        "Map" => {
            let processor = &state["ItemProcessor"];
            if processor["ProcessorConfig"]["Mode"] == "DISTRIBUTED" {
                6
            } else {
                let items = inline_items(state["ItemsPath"].as_str().unwrap_or("$"));
                4 + items * (2 + block_events(processor, case))
            }
        }
        other => panic!("history events of a `{other}` state are not modelled"),
    };
    // A retried Map (or Pass…) runs again as a whole.
    own * attempts(state, case)
}

/// The most events any path through a block of states appends.
fn block_events(block: &Value, case: Case) -> usize {
    path_events(
        block,
        block["StartAt"].as_str().unwrap(),
        case,
        &mut Vec::new(),
    )
}

fn path_events<'a>(
    block: &'a Value,
    name: &'a str,
    case: Case,
    on_path: &mut Vec<&'a str>,
) -> usize {
    assert!(
        !on_path.contains(&name),
        "a loop through `{name}`: bounding its history needs a loop count"
    );
    let state = &block["States"][name];
    let mut next: Vec<&str> = state["Next"].as_str().into_iter().collect();
    next.extend(state["Default"].as_str());
    for choice in state["Choices"].as_array().into_iter().flatten() {
        next.push(choice["Next"].as_str().unwrap());
    }
    if case == Case::Worst {
        for catch in state["Catch"].as_array().into_iter().flatten() {
            next.push(catch["Next"].as_str().unwrap());
        }
    }
    on_path.push(name);
    let after = next
        .into_iter()
        .map(|n| path_events(block, n, case, on_path))
        .max()
        .unwrap_or(0);
    on_path.pop();
    state_events(state, case) + after
}

/// ExecutionStarted and the closing event around the longest path.
fn execution_events(block: &Value, case: Case) -> usize {
    2 + block_events(block, case)
}

/// The item processors of the Distributed Maps in a block (each a child execution).
fn child_processors(block: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for (name, state) in block["States"].as_object().unwrap() {
        let processor = &state["ItemProcessor"];
        if processor["ProcessorConfig"]["Mode"] == "DISTRIBUTED" {
            found.push((name.clone(), processor.clone()));
        }
        if processor.is_object() {
            found.extend(child_processors(processor));
        }
    }
    found
}

#[test]
fn every_execution_history_stays_under_25000_events() {
    let definition = definition();
    println!("\nHistory events per state (happy path / worst case):");
    let mut blocks = vec![("parent".to_owned(), definition.clone())];
    blocks.extend(child_processors(&definition));
    for (block, states) in &blocks {
        for (name, state) in states["States"].as_object().unwrap() {
            println!(
                "  {block:<16} {name:<22} {:>5} / {:>5}",
                state_events(state, Case::Happy),
                state_events(state, Case::Worst)
            );
        }
    }

    let parent = (
        execution_events(&definition, Case::Happy),
        execution_events(&definition, Case::Worst),
    );
    println!(
        "\nParent execution: {} events happy path, {} worst case (any number of accounts)",
        parent.0, parent.1
    );
    assert!(parent.0 <= parent.1);
    assert!(parent.1 < HISTORY_LIMIT, "parent: {}", parent.1);

    let children = child_processors(&definition);
    assert!(!children.is_empty(), "one child execution per account");
    for (map, processor) in &children {
        let child = (
            execution_events(processor, Case::Happy),
            execution_events(processor, Case::Worst),
        );
        println!(
            "Child execution of {map} ({REGIONS} regions): {} events happy path, {} worst case \
             (EXPRESS: bounded as if Standard)",
            child.0, child.1
        );
        assert!(child.0 <= child.1);
        assert!(child.1 < HISTORY_LIMIT, "child of {map}: {}", child.1);
    }
}
