//! A discrete-event simulation of one run of the state machine, at scale and on this machine.
//!
//! `scale.rs` multiplies assumed latencies in closed form; this walks a run event by event: a
//! priority queue of timed events, no threads, deterministic (an inline seeded PRNG jitters the
//! assumed AWS latencies). What it models:
//!
//! - **The definition**, read from `statemachine/uptime-scheduler.asl.json`: the parent's states
//!   in the order a run passes them (the Choices evaluated for a stop and for a start with
//!   starts), the account Map's `MaxConcurrencyPath` (`ACCOUNT_CONCURRENCY`, its default), its
//!   one `ScheduleAccount` task, the one `WaitForStarts`, the verification Map's `VerifyAccount`.
//!   Any other shape fails the test: a change of the definition must change the simulator.
//! - **Quotas** ([`QUOTAS`], each with its source) as token buckets per scope (EC2 per
//!   account-region and action, STS per hub, Lambda's scaling per function) and concurrency
//!   limits (Lambda per region, the Distributed Map's children), and **latencies**
//!   ([`AWS_LATENCIES`]) where AWS publishes none.
//! - **The work per account** as schedule-account does it (docs/lambda-contracts.md): one
//!   AssumeRole, one DescribeRegions, then every region at once, each its DescribeInstances
//!   pages and its Stop/StartInstances (and on a reconcile transition CreateTags) batches of
//!   1,000; verify-starts one AssumeRole and one DescribeInstances per region; the hub's S3
//!   objects (registry, account list, ItemReader, ResultWriter, verification items) and the
//!   digest.
//!
//! A throttled call waits for its bucket (reservation order, so a bucket is first come, first
//! served) and counts as a throttle absorbed; the resource whose waits add up to the most is the
//! run's binding quota.
//!
//! **Calibration.** The same simulator in a "local emulator" configuration (moto as one
//! server, 2 processes per function, no AWS quota, latencies from `calibration.json`, a
//! benchmark of this machine) must reproduce the benchmark's measured state machine wall times
//! within [`CALIBRATION_MARGIN`], and its API calls exactly. moto's costs per call are fitted
//! on the benchmark's *CLI* runs only (another runner, no Lambda, no Step Functions), so the
//! state machine runs are a prediction, not a fit.
//!
//! Run with `cargo test --workspace --offline --test simulate -- --nocapture` to see the tables;
//! `docs/cost-model.md` ("Scale simulator") has them with what is assumed.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

// ---------------------------------------------------------------------------------------------
// Quotas and prices, each with where it comes from

#[derive(Debug, Clone, Copy)]
enum Limit {
    /// A token bucket: its size, and tokens added per second.
    Bucket { burst: f64, refill: f64 },
    /// At most this many at once.
    Concurrent(f64),
    /// At most this many seconds.
    Seconds(f64),
}

#[derive(Debug)]
struct Quota {
    name: &'static str,
    /// Who shares it: "account-region" (each member account and region its own), "hub" (every
    /// call of the run from the hub account), "function" (each Lambda function its own), "run".
    scope: &'static str,
    limit: Limit,
    source: &'static str,
}

const EC2_THROTTLING: &str =
    "EC2 Developer Guide, Request throttling for the Amazon EC2 API (../shared/notes/aws-quotas.md §1.3)";

/// The quotas the simulation applies (looked up by name; a missing name fails the test).
const QUOTAS: &[Quota] = &[
    Quota {
        name: "Lambda concurrent executions",
        scope: "hub",
        limit: Limit::Concurrent(1_000.0),
        source: "Lambda DG, Lambda quotas: 1,000 per region by default (../shared/notes/aws-quotas.md §1.5)",
    },
    Quota {
        name: "Lambda scaling rate",
        scope: "function",
        // 1,000 new execution environments every 10 s, refilled continuously, never more than
        // 1,000 banked: a bucket of 1,000 refilled at 100 a second.
        limit: Limit::Bucket { burst: 1_000.0, refill: 100.0 },
        source: "Lambda DG, Lambda scaling behavior: \"for each function, your concurrency scaling rate is 1,000 execution environment instances every 10 seconds\", refilled continuously, unused rate not accumulated",
    },
    Quota {
        name: "STS AssumeRole",
        scope: "hub",
        // The rate is published; the burst is not: one second's worth assumed.
        limit: Limit::Bucket { burst: 600.0, refill: 600.0 },
        source: "IAM UG, IAM and AWS STS quotas: 600 requests/s per account per region, the calling (hub) account's (../shared/notes/aws-quotas.md §1.2); burst assumed",
    },
    Quota {
        name: "EC2 DescribeInstances",
        scope: "account-region",
        limit: Limit::Bucket { burst: 100.0, refill: 20.0 },
        source: EC2_THROTTLING,
    },
    Quota {
        name: "EC2 DescribeRegions",
        scope: "account-region",
        limit: Limit::Bucket { burst: 100.0, refill: 20.0 },
        source: EC2_THROTTLING,
    },
    Quota {
        name: "EC2 StartInstances requests",
        scope: "account-region",
        limit: Limit::Bucket { burst: 5.0, refill: 2.0 },
        source: EC2_THROTTLING,
    },
    Quota {
        name: "EC2 StartInstances instances",
        scope: "account-region",
        limit: Limit::Bucket { burst: 1_000.0, refill: 2.0 },
        source: EC2_THROTTLING,
    },
    Quota {
        name: "EC2 StopInstances requests",
        scope: "account-region",
        limit: Limit::Bucket { burst: 50.0, refill: 5.0 },
        source: EC2_THROTTLING,
    },
    Quota {
        name: "EC2 StopInstances instances",
        scope: "account-region",
        limit: Limit::Bucket { burst: 1_000.0, refill: 20.0 },
        source: EC2_THROTTLING,
    },
    Quota {
        name: "EC2 CreateTags",
        scope: "account-region",
        limit: Limit::Bucket { burst: 100.0, refill: 10.0 },
        source: EC2_THROTTLING,
    },
    Quota {
        name: "S3 GET",
        scope: "hub",
        // Not applied: a run makes at most 9 GETs and 6 PUTs.
        limit: Limit::Bucket { burst: 5_500.0, refill: 5_500.0 },
        source: "S3 UG, optimizing performance: 5,500 GET/HEAD per second per prefix (from memory; not binding at 9 a run)",
    },
    Quota {
        name: "S3 PUT",
        scope: "hub",
        limit: Limit::Bucket { burst: 3_500.0, refill: 3_500.0 },
        source: "S3 UG, optimizing performance: 3,500 PUT per second per prefix (from memory; not binding at 6 a run)",
    },
    Quota {
        name: "Distributed Map children",
        scope: "run",
        limit: Limit::Concurrent(10_000.0),
        source: "Step Functions DG, Distributed Map state: up to 10,000 parallel child executions",
    },
    Quota {
        name: "Express duration",
        scope: "run",
        limit: Limit::Seconds(300.0),
        source: "Step Functions DG, service quotas: Express maximum duration 5 minutes",
    },
    Quota {
        name: "Standard history",
        scope: "run",
        limit: Limit::Concurrent(25_000.0),
        source: "Step Functions DG, service quotas: 25,000 events in a Standard execution's history",
    },
];

fn quota(name: &str) -> &'static Quota {
    QUOTAS
        .iter()
        .find(|q| q.name == name)
        .unwrap_or_else(|| panic!("no quota `{name}` in the table"))
}

fn bucket(name: &str) -> Bucket {
    match quota(name).limit {
        Limit::Bucket { burst, refill } => Bucket::full(burst, refill),
        other => panic!("quota `{name}` is {other:?}, not a bucket"),
    }
}

fn concurrent(name: &str) -> f64 {
    match quota(name).limit {
        Limit::Concurrent(n) | Limit::Seconds(n) => n,
        Limit::Bucket { .. } => panic!("quota `{name}` is a bucket"),
    }
}

/// Prices, us-east-1, as docs/cost-model.md states them (recorded 2026-11-25; Lambda and S3 from
/// memory there, to be checked).
const STANDARD_PER_TRANSITION: f64 = 0.025 / 1_000.0;
const EXPRESS_PER_REQUEST: f64 = 1.0 / 1_000_000.0;
const GB_SECOND: f64 = 0.000_016_666_7;
const EXPRESS_MEMORY_GB: f64 = 64.0 / 1024.0;
const LAMBDA_PER_REQUEST: f64 = 0.2 / 1_000_000.0;
const LAMBDA_MEMORY_GB: f64 = 128.0 / 1024.0;
const S3_PER_PUT: f64 = 0.005 / 1_000.0;
const S3_PER_GET: f64 = 0.0004 / 1_000.0;

// ---------------------------------------------------------------------------------------------
// Latencies: assumed on AWS, measured here

/// AWS latencies. **Assumed**: AWS publishes none (../shared/notes/aws-quotas.md §2 assumes
/// 0.1 s for STS, 0.25 s for EC2 from the hub). Each is jittered uniformly by ±[`JITTER`].
#[derive(Debug, Clone, Copy)]
struct Latencies {
    assume_role: f64,
    describe: f64,
    start_stop: f64,
    create_tags: f64,
    s3: f64,
    s3_bytes_per_s: f64,
    put_events: f64,
    /// A new execution environment's init (bench: 15–35 ms for these Rust binaries, debug;
    /// rounded up for Lambda's own environment creation).
    cold_start: f64,
    /// Step Functions' Invoke of a warm environment, round trip.
    warm_invoke: f64,
    /// A function's own work around its calls (event, decisions, response), per invocation.
    function_cpu: f64,
    /// JSON a 128 MB function parses or writes per second (its CPU share is ~1/14 vCPU).
    json_bytes_per_s: f64,
    /// A Distributed Map child's start (Step Functions publishes no dispatch rate).
    child_start: f64,
    /// Entering a state.
    transition: f64,
}

const AWS_LATENCIES: Latencies = Latencies {
    assume_role: 0.100,
    describe: 0.150,
    start_stop: 0.300,
    create_tags: 0.150,
    s3: 0.050,
    s3_bytes_per_s: 50e6,
    put_events: 0.050,
    cold_start: 0.100,
    warm_invoke: 0.010,
    function_cpu: 0.010,
    json_bytes_per_s: 20e6,
    child_start: 0.050,
    transition: 0.025,
};
const JITTER: f64 = 0.2;
const SEED: u64 = 13;

/// ASSUMPTION: bytes of the hub's objects. The registry ~200 per account (ADR 0013: about 2 MB at
/// 10,000), the account list 20 + 11 per region (ADR 0012: about 2.4 MB at 10,000 × 20), a region
/// report in the Map's result file ~300 and an account's envelope ~100 (JSON text in JSON).
const REGISTRY_BYTES_PER_ACCOUNT: u64 = 200;
fn account_list_bytes(regions: u64) -> u64 {
    20 + 11 * regions
}
fn report_bytes(regions: u64) -> u64 {
    100 + 300 * regions
}

/// ASSUMPTION: instances per account-region (as scale.rs and docs/cost-model.md).
const INSTANCES_PER_REGION: u64 = 25;
const DESCRIBE_PAGE: u64 = 1_000;
const BATCH: u64 = uptime_core::engine::DEFAULT_BATCH_SIZE as u64;

/// How far a local prediction may be from the measured wall time. Justified by the benchmark's
/// own noise: in the same benchmark the 10×4×100 state machine transition tick (8.28 s) ran
/// faster than the stop (9.74 s) though it makes 40 more calls, and the 1×4×250 CLI steady tick
/// (2.40 s) slower than the stop (2.20 s): single runs on 2 busy cores differ by 15–20% where
/// the work says they should not. Twice that, rounded: ±35%.
const CALIBRATION_MARGIN: f64 = 0.35;

// ---------------------------------------------------------------------------------------------
// The definition

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stop,
    Start,
    Transition,
    Steady,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Stop => "stop",
            Kind::Start => "start",
            Kind::Transition => "reconcile transition",
            Kind::Steady => "reconcile steady state",
        }
    }
}

/// What a parent state on a run's path does.
#[derive(Debug, Clone)]
enum Step {
    /// A Task invoking one of the hub's functions; `call` counts summarize-run's calls.
    Hub {
        function: String,
        call: u32,
    },
    /// A Distributed Map of one Task per account.
    Map {
        function: String,
        timeout: f64,
        retries: u64,
    },
    Wait(f64),
    /// Choice, Succeed: a transition and nothing else.
    Pass,
}

#[derive(Debug, Clone)]
struct State {
    name: String,
    kind: String,
    step: Step,
}

#[derive(Debug)]
struct Definition {
    account_concurrency: u64,
    stop_path: Vec<State>,
    start_path: Vec<State>,
}

/// `${schedule_account_arn}` → `schedule-account`.
fn function_of(task: &Value, name: &str) -> String {
    let r = task["Resource"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no Resource"));
    let inner = r
        .strip_prefix("${")
        .and_then(|s| s.strip_suffix("_arn}"))
        .unwrap_or_else(|| panic!("{name}: Resource `{r}` is not a function placeholder"));
    inner.replace('_', "-")
}

fn child_task(map: &Value, name: &str, expected: &str) -> (String, f64, u64) {
    assert_eq!(map["Type"], "Map", "{name} is no longer a Map");
    let p = &map["ItemProcessor"];
    assert_eq!(
        p["ProcessorConfig"],
        serde_json::json!({"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}),
        "{name}: the simulator models a Distributed Map of Express children"
    );
    assert!(
        map.get("ItemReader").is_some(),
        "{name}: items from S3 expected"
    );
    assert!(
        map.get("ResultWriter").is_some(),
        "{name}: results to S3 expected"
    );
    assert_eq!(
        p["StartAt"], expected,
        "{name}: the child must start with {expected}"
    );
    let task = &p["States"][expected];
    assert_eq!(task["Type"], "Task", "{expected} is no longer a Task");
    // One Task per child, nothing after it on the happy path but an end.
    assert!(
        task["End"] == true || p["States"][task["Next"].as_str().unwrap_or("")]["Type"] == "Pass",
        "{expected}: the child is one Task (then at most a Pass)"
    );
    let timeout = task["TimeoutSeconds"]
        .as_f64()
        .unwrap_or_else(|| panic!("{expected}: no TimeoutSeconds"));
    let retries = task["Retry"]
        .as_array()
        .unwrap_or_else(|| panic!("{expected}: no Retry"))
        .iter()
        .map(|r| r["MaxAttempts"].as_u64().unwrap_or(3))
        .sum();
    (function_of(task, expected), timeout, retries)
}

/// The parent's states from StartAt to the end, the Choices decided by `verify` (summarize-run
/// answered `{"verify": …}`) and a succeeded summary.
fn path(states: &Value, start: &str, with_verify: bool) -> Vec<State> {
    let mut out = Vec::new();
    let mut name = start.to_owned();
    let mut summarize_calls = 0;
    let mut verify_pending = with_verify;
    loop {
        let s = &states[&name];
        let kind = s["Type"]
            .as_str()
            .unwrap_or_else(|| panic!("state `{name}` missing"))
            .to_owned();
        let step = match kind.as_str() {
            "Task" => {
                let function = function_of(s, &name);
                if function == "summarize-run" {
                    summarize_calls += 1;
                }
                Step::Hub {
                    function,
                    call: summarize_calls,
                }
            }
            "Map" => {
                let (expected, path) = match s["ItemProcessor"]["StartAt"].as_str() {
                    Some("ScheduleAccount") => ("ScheduleAccount", "$.concurrency.accounts"),
                    Some("VerifyAccount") => ("VerifyAccount", "$.verify.concurrency.accounts"),
                    other => panic!("{name}: a Map of {other:?} is not modelled"),
                };
                assert_eq!(
                    s["MaxConcurrencyPath"], path,
                    "{name}: ACCOUNT_CONCURRENCY must come through {path}"
                );
                let (function, timeout, retries) = child_task(s, &name, expected);
                Step::Map {
                    function,
                    timeout,
                    retries,
                }
            }
            "Wait" => Step::Wait(
                s["Seconds"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{name}: no Seconds")),
            ),
            "Choice" | "Succeed" => Step::Pass,
            other => panic!("{name}: a `{other}` state on the run's path is not modelled"),
        };
        out.push(State {
            name: name.clone(),
            kind: kind.clone(),
            step,
        });
        let next = match kind.as_str() {
            "Succeed" => return out,
            "Choice" => {
                let mut chosen = None;
                for c in s["Choices"].as_array().expect("Choices") {
                    let hit = match (
                        c["Variable"].as_str(),
                        c.get("IsPresent"),
                        c.get("StringEquals"),
                    ) {
                        (Some("$.verify"), Some(p), None) => p == true && verify_pending,
                        (Some("$.summary.status"), None, Some(v)) => {
                            v == "succeeded" && !verify_pending
                        }
                        _ => panic!("{name}: a Choice rule the simulator cannot decide: {c}"),
                    };
                    if hit {
                        chosen = c["Next"].as_str();
                        break;
                    }
                }
                if chosen == Some("WaitForStarts") {
                    verify_pending = false;
                }
                chosen.unwrap_or_else(|| panic!("{name}: the happy path takes no rule"))
            }
            _ => s["Next"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no Next")),
        };
        name = next.to_owned();
    }
}

fn definition() -> Definition {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/uptime-scheduler.asl.json"
    );
    let asl: Value = serde_json::from_str(&std::fs::read_to_string(file).expect("definition"))
        .expect("definition is JSON");
    let states = &asl["States"];
    let start = asl["StartAt"].as_str().expect("StartAt");
    let stop_path = path(states, start, false);
    let start_path = path(states, start, true);
    fn names(p: &[State]) -> Vec<&str> {
        p.iter().map(|s| s.name.as_str()).collect()
    }
    // The shape the simulation's work model is written for (ADR 0012, ADR 0014).
    assert_eq!(
        names(&stop_path),
        [
            "ListAccounts",
            "ForEachAccount",
            "SummarizeRun",
            "RunFinished",
            "Succeeded"
        ],
        "the stop run's path changed: update simulate.rs"
    );
    assert_eq!(
        names(&start_path),
        [
            "ListAccounts",
            "ForEachAccount",
            "SummarizeRun",
            "RunFinished",
            "WaitForStarts",
            "VerifyEachAccount",
            "SummarizeVerifiedRun",
            "VerifiedRunFinished",
            "Succeeded"
        ],
        "the start run's path changed: update simulate.rs"
    );
    let functions: Vec<String> = start_path
        .iter()
        .filter_map(|s| match &s.step {
            Step::Hub { function, .. } | Step::Map { function, .. } => Some(function.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        functions,
        [
            "list-accounts",
            "schedule-account",
            "summarize-run",
            "verify-starts",
            "summarize-run"
        ]
    );
    Definition {
        account_concurrency: uptime_model::events::DEFAULT_ACCOUNT_CONCURRENCY,
        stop_path,
        start_path,
    }
}

/// Events a Standard execution's history holds on this path (the rule of limits.rs: a Lambda
/// Task 5, a Distributed Map 6 whatever its children, Choice/Wait/Succeed 2, the execution 2).
fn history_events(path: &[State]) -> usize {
    2 + path
        .iter()
        .map(|s| match s.kind.as_str() {
            "Task" => 5,
            "Map" => 6,
            _ => 2,
        })
        .sum::<usize>()
}

// ---------------------------------------------------------------------------------------------
// The machinery: time, a PRNG, token buckets

/// Nanoseconds: integer time keeps the event order exact and the run deterministic.
type Ns = u64;
fn ns(seconds: f64) -> Ns {
    (seconds * 1e9).round() as Ns
}
fn secs(t: Ns) -> f64 {
    t as f64 / 1e9
}

/// splitmix64: enough for jitter, and the same numbers on every machine.
#[derive(Debug)]
struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    }
}

/// A token bucket that grants in the order of requests: a request that finds too few tokens
/// takes them ahead (the level goes below zero) and is granted when the refill has paid them
/// back, so a later request queues behind it, as throttled callers retrying would, on average.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    burst: f64,
    refill: f64,
    level: f64,
    at: Ns,
}
impl Bucket {
    fn full(burst: f64, refill: f64) -> Bucket {
        Bucket {
            burst,
            refill,
            level: burst,
            at: 0,
        }
    }
    /// When `cost` tokens requested at `t` are granted.
    fn take(&mut self, t: Ns, cost: f64) -> Ns {
        let t = t.max(self.at);
        self.level = (self.level + secs(t - self.at) * self.refill).min(self.burst);
        self.at = t;
        self.level -= cost;
        if self.level >= 0.0 {
            t
        } else {
            t + ns(-self.level / self.refill)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Configurations: AWS, and this machine's emulators

/// moto's cost per call on this machine: a base, per instance it describes, per instance it
/// changes (stop, start, tag). moto is one Python process: calls are served one at a time.
#[derive(Debug, Clone, Copy)]
struct Moto {
    per_call: f64,
    per_described: f64,
    per_changed: f64,
    /// Reservations a DescribeInstances page holds.
    page_reservations: u64,
}

#[derive(Debug, Clone)]
enum Platform {
    Aws(Latencies),
    Local(Local),
}

#[derive(Debug, Clone)]
struct Local {
    moto: Moto,
    processes: u32,
    /// A hub function's invocation (its S3 calls included), measured.
    hub_ms: BTreeMap<String, f64>,
    /// schedule-account's and verify-starts' own time per invocation beyond their moto calls.
    account_overhead: f64,
    /// The emulator's hop per invocation (ASSUMPTION: loopback HTTP through cargo lambda).
    hop: f64,
    runner_process: f64,
    runner_per_state: f64,
    runner_per_child: f64,
}

#[derive(Debug, Clone, Copy)]
struct Fleet {
    accounts: u64,
    regions: u64,
    per_region: u64,
}

// ---------------------------------------------------------------------------------------------
// One run

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Api {
    AssumeRole,
    DescribeRegions,
    DescribeInstances,
    StopInstances,
    StartInstances,
    CreateTags,
    GetObject,
    PutObject,
    PutEvents,
}
impl Api {
    fn name(self) -> &'static str {
        match self {
            Api::AssumeRole => "sts:AssumeRole",
            Api::DescribeRegions => "ec2:DescribeRegions",
            Api::DescribeInstances => "ec2:DescribeInstances",
            Api::StopInstances => "ec2:StopInstances",
            Api::StartInstances => "ec2:StartInstances",
            Api::CreateTags => "ec2:CreateTags",
            Api::GetObject => "s3:GetObject",
            Api::PutObject => "s3:PutObject",
            Api::PutEvents => "events:PutEvents",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Call {
    api: Api,
    /// Instances the call describes or changes.
    instances: u64,
    bytes: u64,
}
fn call(api: Api, instances: u64) -> Call {
    Call {
        api,
        instances,
        bytes: 0,
    }
}

/// One account-region's EC2 buckets (each action its own, per the EC2 guide).
#[derive(Debug, Clone, Copy)]
struct RegionBuckets {
    describe: Bucket,
    describe_regions: Bucket,
    start_req: Bucket,
    start_res: Bucket,
    stop_req: Bucket,
    stop_res: Bucket,
    tags: Bucket,
}
impl RegionBuckets {
    fn new() -> RegionBuckets {
        RegionBuckets {
            describe: bucket("EC2 DescribeInstances"),
            describe_regions: bucket("EC2 DescribeRegions"),
            start_req: bucket("EC2 StartInstances requests"),
            start_res: bucket("EC2 StartInstances instances"),
            stop_req: bucket("EC2 StopInstances requests"),
            stop_res: bucket("EC2 StopInstances instances"),
            tags: bucket("EC2 CreateTags"),
        }
    }
}

/// Calls made one after another (a region's, an account's preparation, a hub function's).
#[derive(Debug)]
struct Chain {
    job: usize,
    calls: Vec<Call>,
    pc: usize,
    t: Ns,
    buckets: Option<Box<RegionBuckets>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Parent(usize),
    Child(usize),
    /// Step Functions' S3 calls for a Map state: 0 its ItemReader, 1 its ResultWriter.
    MapIo(usize, u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Prepare,
    Regions,
    Done,
}

#[derive(Debug)]
struct Job {
    /// The Lambda function it runs in; None: Step Functions' own S3 calls.
    function: Option<&'static str>,
    owner: Owner,
    account: Option<u64>,
    verify: bool,
    phase: Phase,
    pending: usize,
    latest: Ns,
    invoked: Ns,
    cold: bool,
    hub_calls: Vec<Call>,
    hub_cpu: f64,
    child_started: Ns,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    Enter(usize),
    /// Step Functions' S3 calls of a Map state are done: 0 the ItemReader, 1 the ResultWriter.
    MapIo(usize, u8),
    ChildStart(usize),
    Begin(usize),
    Resume(usize),
    JobDone(usize),
}

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    t: Ns,
    seq: u64,
    ev: Ev,
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.t, o.seq).cmp(&(self.t, self.seq))
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

#[derive(Debug, Default)]
struct Pool {
    idle: u32,
    busy: u32,
    scaling: Option<Bucket>,
    waiting: VecDeque<(usize, Ns)>,
}

#[derive(Debug)]
struct MapRun {
    state: usize,
    function: &'static str,
    items: u64,
    next: u64,
    in_flight: u64,
    done: u64,
    started: Ns,
}

#[derive(Debug, Default)]
struct Outcome {
    wall: f64,
    /// (stage, seconds), in the order of the path.
    stages: Vec<(String, f64)>,
    calls: BTreeMap<&'static str, u64>,
    queued: BTreeMap<&'static str, f64>,
    throttles: u64,
    peak_lambda: u32,
    peak_children: u64,
    longest_child: f64,
    history: usize,
    transitions: usize,
    invocations: u64,
    lambda_gb_s: f64,
    express_requests: u64,
    express_gb_s: f64,
    summarize_bytes: u64,
}

impl Outcome {
    fn cost(&self) -> f64 {
        let s3 = self.calls.get("s3:PutObject").copied().unwrap_or(0) as f64 * S3_PER_PUT
            + self.calls.get("s3:GetObject").copied().unwrap_or(0) as f64 * S3_PER_GET;
        self.transitions as f64 * STANDARD_PER_TRANSITION
            + self.express_requests as f64 * EXPRESS_PER_REQUEST
            + self.express_gb_s * GB_SECOND
            + self.invocations as f64 * LAMBDA_PER_REQUEST
            + self.lambda_gb_s * GB_SECOND
            + s3
    }
    /// The two resources waited for the longest, the first the binding one.
    fn binding(&self) -> String {
        let mut q: Vec<(&str, f64)> = self
            .queued
            .iter()
            .filter(|(_, s)| **s >= 0.05)
            .map(|(n, s)| (*n, *s))
            .collect();
        q.sort_by(|a, b| b.1.total_cmp(&a.1));
        if q.is_empty() {
            return "none (latency only)".to_owned();
        }
        q.iter()
            .take(2)
            .map(|(n, s)| format!("{n} ({s:.0} s queued)"))
            .collect::<Vec<_>>()
            .join(", then ")
    }
}

struct Sim<'a> {
    platform: &'a Platform,
    path: &'a [State],
    fleet: Fleet,
    kind: Kind,
    account_concurrency: u64,
    now: Ns,
    seq: u64,
    heap: BinaryHeap<Entry>,
    rng: Rng,
    sts: Bucket,
    moto_free: Ns,
    lambda_quota: u32,
    pools: BTreeMap<&'static str, Pool>,
    busy_total: u32,
    jobs: Vec<Job>,
    chains: Vec<Chain>,
    free_chains: Vec<usize>,
    map: Option<MapRun>,
    entered: Vec<Ns>,
    out: Outcome,
}

const FUNCTIONS: [&str; 4] = [
    "list-accounts",
    "schedule-account",
    "summarize-run",
    "verify-starts",
];

impl<'a> Sim<'a> {
    fn new(
        platform: &'a Platform,
        def: &'a Definition,
        fleet: Fleet,
        kind: Kind,
        concurrency: u64,
    ) -> Self {
        let path = if kind == Kind::Start {
            &def.start_path
        } else {
            &def.stop_path
        };
        let local = matches!(platform, Platform::Local(_));
        let pools = FUNCTIONS
            .iter()
            .map(|f| {
                let pool = match platform {
                    // The emulator's processes are started and past init before the clock.
                    Platform::Local(l) => Pool {
                        idle: l.processes,
                        ..Pool::default()
                    },
                    Platform::Aws(_) => Pool {
                        scaling: Some(bucket("Lambda scaling rate")),
                        ..Pool::default()
                    },
                };
                (*f, pool)
            })
            .collect();
        Sim {
            platform,
            path,
            fleet,
            kind,
            account_concurrency: concurrency,
            now: 0,
            seq: 0,
            heap: BinaryHeap::new(),
            rng: Rng(SEED),
            sts: bucket("STS AssumeRole"),
            moto_free: 0,
            lambda_quota: if local {
                u32::MAX
            } else {
                concurrent("Lambda concurrent executions") as u32
            },
            pools,
            busy_total: 0,
            jobs: Vec::new(),
            chains: Vec::new(),
            free_chains: Vec::new(),
            map: None,
            entered: Vec::new(),
            out: Outcome::default(),
        }
    }

    fn at(&mut self, t: Ns, ev: Ev) {
        self.seq += 1;
        self.heap.push(Entry {
            t,
            seq: self.seq,
            ev,
        });
    }

    fn aws(&self) -> Option<&'a Latencies> {
        match self.platform {
            Platform::Aws(l) => Some(l),
            Platform::Local(_) => None,
        }
    }

    fn jitter(&mut self, seconds: f64) -> f64 {
        seconds * (1.0 - JITTER + 2.0 * JITTER * self.rng.unit())
    }

    fn transition(&self) -> Ns {
        match self.platform {
            Platform::Aws(l) => ns(l.transition),
            Platform::Local(l) => ns(l.runner_per_state),
        }
    }

    /// Time spent waiting for `name`; `throttle`: the wait is a throttled call absorbed.
    fn queue(&mut self, name: &'static str, from: Ns, to: Ns, throttle: bool) {
        if to > from {
            *self.out.queued.entry(name).or_default() += secs(to - from);
            if throttle {
                self.out.throttles += 1;
            }
        }
    }

    // ---- calls ------------------------------------------------------------------------------

    /// Calls on a resource other callers share must be made at their own time (an event);
    /// an account-region's EC2 buckets are its own, so its calls can be worked out ahead.
    fn shared(&self, c: Call) -> bool {
        match self.platform {
            Platform::Local(_) => true,
            Platform::Aws(_) => c.api == Api::AssumeRole,
        }
    }

    /// Makes `c` at `t`: when it ends.
    fn issue(&mut self, chain: usize, c: Call, t: Ns) -> Ns {
        *self.out.calls.entry(c.api.name()).or_default() += 1;
        match self.platform {
            Platform::Local(l) => {
                let changed = matches!(
                    c.api,
                    Api::StopInstances | Api::StartInstances | Api::CreateTags
                );
                let service = l.moto.per_call
                    + c.instances as f64
                        * if changed {
                            l.moto.per_changed
                        } else {
                            l.moto.per_described
                        };
                let start = t.max(self.moto_free);
                self.moto_free = start + ns(service);
                if start > t {
                    *self.out.queued.entry("moto (one server)").or_default() += secs(start - t);
                }
                self.moto_free
            }
            Platform::Aws(lat) => {
                let n = c.instances as f64;
                let (grant, latency) = match c.api {
                    Api::AssumeRole => {
                        let g = self.sts.take(t, 1.0);
                        self.queue("STS AssumeRole", t, g, true);
                        (g, lat.assume_role)
                    }
                    Api::GetObject | Api::PutObject => {
                        (t, lat.s3 + c.bytes as f64 / lat.s3_bytes_per_s)
                    }
                    Api::PutEvents => (t, lat.put_events),
                    ec2 => {
                        let b = self.chains[chain]
                            .buckets
                            .as_mut()
                            .expect("an EC2 call outside a region");
                        let (g, name, latency) = match ec2 {
                            Api::DescribeInstances => (
                                b.describe.take(t, 1.0),
                                "EC2 DescribeInstances",
                                lat.describe,
                            ),
                            Api::DescribeRegions => (
                                b.describe_regions.take(t, 1.0),
                                "EC2 DescribeRegions",
                                lat.describe,
                            ),
                            Api::StartInstances => (
                                b.start_req.take(t, 1.0).max(b.start_res.take(t, n)),
                                "EC2 StartInstances",
                                lat.start_stop,
                            ),
                            Api::StopInstances => (
                                b.stop_req.take(t, 1.0).max(b.stop_res.take(t, n)),
                                "EC2 StopInstances",
                                lat.start_stop,
                            ),
                            _ => (b.tags.take(t, 1.0), "EC2 CreateTags", lat.create_tags),
                        };
                        self.queue(name, t, g, true);
                        (g, latency)
                    }
                };
                let latency = self.jitter(latency);
                grant + ns(latency)
            }
        }
    }

    fn new_chain(&mut self, job: usize, calls: Vec<Call>, t: Ns, ec2: bool) -> usize {
        let buckets = (ec2 && self.aws().is_some()).then(|| Box::new(RegionBuckets::new()));
        let chain = Chain {
            job,
            calls,
            pc: 0,
            t,
            buckets,
        };
        if let Some(i) = self.free_chains.pop() {
            self.chains[i] = chain;
            i
        } else {
            self.chains.push(chain);
            self.chains.len() - 1
        }
    }

    /// Runs a chain as far as it can go now: its end if it finished.
    fn advance(&mut self, c: usize) -> Option<Ns> {
        loop {
            let (pc, t) = (self.chains[c].pc, self.chains[c].t);
            let Some(&next) = self.chains[c].calls.get(pc) else {
                self.free_chains.push(c);
                return Some(t);
            };
            if self.shared(next) && t > self.now {
                self.at(t, Ev::Resume(c));
                return None;
            }
            let end = self.issue(c, next, t);
            self.chains[c].t = end;
            self.chains[c].pc += 1;
        }
    }

    fn start_chains(&mut self, job: usize, chains: Vec<(Vec<Call>, bool)>, t: Ns) {
        self.jobs[job].pending = chains.len();
        self.jobs[job].latest = t;
        if chains.is_empty() {
            self.phase_done(job);
            return;
        }
        for (calls, ec2) in chains {
            let c = self.new_chain(job, calls, t, ec2);
            if let Some(end) = self.advance(c) {
                self.chain_done(job, end);
            }
        }
    }

    fn chain_done(&mut self, job: usize, end: Ns) {
        let j = &mut self.jobs[job];
        j.latest = j.latest.max(end);
        j.pending -= 1;
        if j.pending == 0 {
            self.phase_done(job);
        }
    }

    // ---- the work ---------------------------------------------------------------------------

    fn pages(&self, account: u64, region: u64) -> u64 {
        let n = self.fleet.per_region;
        match self.platform {
            // The bench seeds its first account-region one reservation per instance.
            Platform::Local(l) if account == 0 && region == 0 => {
                n.div_ceil(l.moto.page_reservations)
            }
            Platform::Local(_) => 1,
            Platform::Aws(_) => n.div_ceil(DESCRIBE_PAGE),
        }
    }

    /// One region's calls, as schedule-account (or verify-starts) makes them.
    fn region_calls(&self, account: u64, region: u64, verify: bool) -> Vec<Call> {
        let n = self.fleet.per_region;
        let pages = self.pages(account, region);
        // The instances spread over the pages, the last one taking the remainder.
        let per_page = n / pages;
        let mut calls: Vec<Call> = (0..pages)
            .map(|p| {
                let on_page = if p + 1 == pages {
                    n - per_page * (pages - 1)
                } else {
                    per_page
                };
                call(Api::DescribeInstances, on_page)
            })
            .collect();
        if verify {
            return calls;
        }
        let batches = n.div_ceil(BATCH);
        let per_batch = n.min(BATCH);
        let change = match self.kind {
            Kind::Stop | Kind::Transition => Some(Api::StopInstances),
            Kind::Start => Some(Api::StartInstances),
            Kind::Steady => None,
        };
        if let Some(api) = change {
            calls.extend((0..batches).map(|_| call(api, per_batch)));
        }
        if self.kind == Kind::Transition {
            calls.extend((0..batches).map(|_| call(Api::CreateTags, per_batch)));
        }
        calls
    }

    /// What a hub function call reads and writes, and the JSON it handles.
    fn hub_work(&self, function: &str, call_no: u32) -> (Vec<Call>, u64) {
        let f = self.fleet;
        let s3 = |api, bytes| Call {
            api,
            instances: 0,
            bytes,
        };
        let results = f.accounts * report_bytes(f.regions);
        let digest = self.kind != Kind::Steady;
        match (function, call_no) {
            ("list-accounts", _) => {
                let registry = f.accounts * REGISTRY_BYTES_PER_ACCOUNT;
                let list = f.accounts * account_list_bytes(f.regions);
                (
                    vec![s3(Api::GetObject, registry), s3(Api::PutObject, list)],
                    registry + list,
                )
            }
            // The account Map's manifest and result file; in a start run with starts, the
            // verification items instead of the digest.
            ("summarize-run", 1) if self.kind == Kind::Start => (
                vec![
                    s3(Api::GetObject, 1_000),
                    s3(Api::GetObject, results),
                    s3(Api::PutObject, results),
                ],
                2 * results,
            ),
            ("summarize-run", 1) => {
                let mut c = vec![s3(Api::GetObject, 1_000), s3(Api::GetObject, results)];
                if digest {
                    c.push(call(Api::PutEvents, 0));
                }
                (c, results)
            }
            // Both Maps' results, laid over each other, then the digest.
            ("summarize-run", _) => (
                vec![
                    s3(Api::GetObject, 1_000),
                    s3(Api::GetObject, results),
                    s3(Api::GetObject, 1_000),
                    s3(Api::GetObject, results),
                    call(Api::PutEvents, 0),
                ],
                2 * results,
            ),
            (other, _) => panic!("no work model for `{other}`"),
        }
    }

    // ---- Lambda -----------------------------------------------------------------------------

    fn invoke(&mut self, job: usize, t: Ns) {
        let f = self.jobs[job].function.expect("a Lambda job");
        if !self.try_start(job, f, t) {
            self.pools.get_mut(f).unwrap().waiting.push_back((job, t));
        }
    }

    fn try_start(&mut self, job: usize, f: &'static str, t: Ns) -> bool {
        let (start, cold) = {
            let quota_full = self.busy_total >= self.lambda_quota;
            let pool = self.pools.get_mut(f).unwrap();
            if pool.idle > 0 {
                pool.idle -= 1;
                (t, false)
            } else if quota_full {
                return false;
            } else if let Some(scaling) = pool.scaling.as_mut() {
                (scaling.take(t, 1.0), true)
            } else {
                return false; // the emulator's processes are all busy
            }
        };
        if cold {
            self.queue("Lambda scaling rate", t, start, true);
        }
        self.pools.get_mut(f).unwrap().busy += 1;
        self.busy_total += 1;
        self.out.peak_lambda = self.out.peak_lambda.max(self.busy_total);
        let ready = match self.platform {
            Platform::Aws(l) if cold => start + ns(l.cold_start),
            Platform::Aws(l) => start + ns(l.warm_invoke),
            Platform::Local(l) => start + ns(l.hop),
        };
        self.jobs[job].invoked = start;
        self.jobs[job].cold = cold;
        self.out.invocations += 1;
        self.at(ready, Ev::Begin(job));
        true
    }

    fn release(&mut self, f: &'static str, t: Ns) {
        let pool = self.pools.get_mut(f).unwrap();
        pool.busy -= 1;
        pool.idle += 1;
        self.busy_total -= 1;
        // A freed environment serves its own function's next waiter (warm), then a freed slot
        // of the regional quota the oldest waiter of any function.
        let mut order: Vec<&'static str> = vec![f];
        order.extend(FUNCTIONS.iter().copied().filter(|g| *g != f));
        for g in order {
            while let Some(&(job, since)) = self.pools[g].waiting.front() {
                if !self.try_start(job, g, t) {
                    break;
                }
                self.pools.get_mut(g).unwrap().waiting.pop_front();
                let aws = self.aws().is_some();
                let name = if aws {
                    "Lambda concurrent executions"
                } else {
                    "emulator processes"
                };
                // On AWS a TooManyRequestsException, retried by the Task's Retry; locally the
                // emulator holds the invocation.
                self.queue(name, since, t, aws);
            }
        }
    }

    // ---- jobs -------------------------------------------------------------------------------

    fn new_job(
        &mut self,
        function: Option<&'static str>,
        owner: Owner,
        account: Option<u64>,
    ) -> usize {
        self.jobs.push(Job {
            function,
            owner,
            account,
            verify: function == Some("verify-starts"),
            phase: Phase::Prepare,
            pending: 0,
            latest: 0,
            invoked: 0,
            cold: false,
            hub_calls: Vec::new(),
            hub_cpu: 0.0,
            child_started: 0,
        });
        self.jobs.len() - 1
    }

    /// The job's environment is ready at `now`: its work begins.
    fn begin(&mut self, job: usize) {
        let now = self.now;
        match self.jobs[job].account {
            Some(_) => {
                let mut prepare = vec![call(Api::AssumeRole, 0)];
                if !self.jobs[job].verify {
                    prepare.push(call(Api::DescribeRegions, 0));
                }
                self.start_chains(job, vec![(prepare, true)], now);
            }
            None => {
                let calls = std::mem::take(&mut self.jobs[job].hub_calls);
                if let Platform::Local(l) = self.platform {
                    // Measured as a whole, its S3 calls inside: counted, not timed again.
                    for c in &calls {
                        *self.out.calls.entry(c.api.name()).or_default() += 1;
                    }
                    let f = self.jobs[job].function.unwrap_or("");
                    let ms = l.hub_ms.get(f).copied().unwrap_or(0.0);
                    self.jobs[job].phase = Phase::Regions;
                    self.jobs[job].latest = now + ns(ms / 1000.0);
                    self.phase_done(job);
                } else {
                    self.jobs[job].phase = Phase::Regions;
                    let chains = calls.into_iter().map(|c| (vec![c], false)).collect();
                    // Step Functions' S3 calls and a function's calls go one after another.
                    self.start_sequential(job, chains, now);
                }
            }
        }
    }

    fn start_sequential(&mut self, job: usize, chains: Vec<(Vec<Call>, bool)>, t: Ns) {
        let calls: Vec<Call> = chains.into_iter().flat_map(|(c, _)| c).collect();
        self.start_chains(job, vec![(calls, false)], t);
    }

    fn phase_done(&mut self, job: usize) {
        let t = self.jobs[job].latest;
        match self.jobs[job].phase {
            Phase::Prepare => {
                // Every region at once.
                self.jobs[job].phase = Phase::Regions;
                let account = self.jobs[job].account.expect("an account job");
                let verify = self.jobs[job].verify;
                let chains: Vec<(Vec<Call>, bool)> = (0..self.fleet.regions)
                    .map(|r| (self.region_calls(account, r, verify), true))
                    .collect();
                self.start_chains(job, chains, t);
            }
            Phase::Regions => {
                self.jobs[job].phase = Phase::Done;
                let own = match self.platform {
                    _ if self.jobs[job].function.is_none() => 0.0,
                    Platform::Aws(l) => {
                        l.function_cpu + self.jobs[job].hub_cpu / l.json_bytes_per_s
                    }
                    Platform::Local(l) if self.jobs[job].account.is_some() => l.account_overhead,
                    Platform::Local(_) => 0.0,
                };
                let end = t + ns(own);
                self.at(end.max(self.now), Ev::JobDone(job));
            }
            Phase::Done => unreachable!("a job finishes once"),
        }
    }

    fn job_done(&mut self, job: usize) {
        let now = self.now;
        if let Some(f) = self.jobs[job].function {
            let init = match self.platform {
                Platform::Aws(l) if self.jobs[job].cold => l.cold_start,
                _ => 0.0,
            };
            // Billed: init (billed since August 2025) and the invocation.
            self.out.lambda_gb_s += (secs(now - self.jobs[job].invoked) + init) * LAMBDA_MEMORY_GB;
            self.release(f, now);
        }
        match self.jobs[job].owner {
            Owner::Parent(i) => {
                let t = now;
                self.at(t, Ev::Enter(i + 1));
            }
            Owner::Child(_) => self.child_done(job),
            Owner::MapIo(state, which) => self.at(now, Ev::MapIo(state, which)),
        }
    }

    // ---- the parent and the Maps ------------------------------------------------------------

    fn enter(&mut self, i: usize) {
        let now = self.now;
        self.entered.push(now);
        if i == self.path.len() {
            return;
        }
        self.out.transitions += 1;
        let t = now + self.transition();
        let path = self.path;
        match &path[i].step {
            Step::Hub { function, call } => {
                let f = FUNCTIONS
                    .iter()
                    .copied()
                    .find(|g| *g == function.as_str())
                    .expect("a known function");
                let (calls, bytes) = self.hub_work(f, *call);
                if f == "summarize-run" {
                    self.out.summarize_bytes += bytes;
                }
                let job = self.new_job(Some(f), Owner::Parent(i), None);
                self.jobs[job].hub_calls = calls;
                self.jobs[job].hub_cpu = bytes as f64;
                self.invoke(job, t);
            }
            Step::Map { function, .. } => {
                let f = FUNCTIONS
                    .iter()
                    .copied()
                    .find(|g| *g == function.as_str())
                    .expect("a known function");
                let bytes = if f == "schedule-account" {
                    self.fleet.accounts * account_list_bytes(self.fleet.regions)
                } else {
                    self.fleet.accounts * report_bytes(self.fleet.regions)
                };
                self.map = Some(MapRun {
                    state: i,
                    function: f,
                    items: self.fleet.accounts,
                    next: 0,
                    in_flight: 0,
                    done: 0,
                    started: t,
                });
                self.step_functions_io(
                    i,
                    0,
                    vec![Call {
                        api: Api::GetObject,
                        instances: 0,
                        bytes,
                    }],
                    t,
                );
            }
            Step::Wait(seconds) => {
                let wait = if self.aws().is_some() { *seconds } else { 0.0 };
                self.at(t + ns(wait), Ev::Enter(i + 1));
            }
            Step::Pass => self.at(t, Ev::Enter(i + 1)),
        }
    }

    /// Step Functions' own S3 calls (the ItemReader; the ResultWriter's file and manifest).
    fn step_functions_io(&mut self, state: usize, which: u8, calls: Vec<Call>, t: Ns) {
        let job = self.new_job(None, Owner::MapIo(state, which), None);
        self.jobs[job].phase = Phase::Regions;
        self.start_chains(job, vec![(calls, false)], t);
    }

    fn map_io(&mut self, state: usize, which: u8) {
        let now = self.now;
        if which == 1 {
            self.at(now, Ev::Enter(state + 1));
            return;
        }
        // The children wait for ACCOUNT_CONCURRENCY from here, once the items are read.
        let m = self.map.as_mut().expect("a Map");
        m.started = now;
        let items = m.items;
        if items == 0 {
            self.map_finished(now);
        } else {
            self.dispatch(now);
        }
    }

    /// Starts children while the Map has room: ACCOUNT_CONCURRENCY, and the Distributed Map's
    /// own ceiling.
    fn dispatch(&mut self, t: Ns) {
        let limit = self
            .account_concurrency
            .min(concurrent("Distributed Map children") as u64);
        let overhead = match self.platform {
            Platform::Aws(l) => ns(l.child_start),
            Platform::Local(l) => ns(l.runner_per_child),
        };
        loop {
            let m = self.map.as_mut().expect("a Map");
            if m.in_flight >= limit || m.next >= m.items {
                break;
            }
            let item = m.next;
            m.next += 1;
            m.in_flight += 1;
            let started = m.started;
            self.out.peak_children = self.out.peak_children.max(m.in_flight);
            self.queue("ACCOUNT_CONCURRENCY", started, t, false);
            self.at(t + overhead, Ev::ChildStart(item as usize));
        }
    }

    fn child_start(&mut self, item: usize) {
        let now = self.now;
        let f = self.map.as_ref().expect("a Map").function;
        let job = self.new_job(Some(f), Owner::Child(item), Some(item as u64));
        self.jobs[job].child_started = now;
        let t = now + self.transition();
        self.invoke(job, t);
    }

    fn child_done(&mut self, job: usize) {
        let end = self.now + self.transition();
        let duration = secs(end - self.jobs[job].child_started);
        // Express: a request, and the duration rounded up to 100 ms at 64 MB.
        self.out.express_requests += 1;
        self.out.express_gb_s += (duration * 10.0).ceil() / 10.0 * EXPRESS_MEMORY_GB;
        self.out.longest_child = self.out.longest_child.max(duration);
        let m = self.map.as_mut().expect("a Map");
        m.in_flight -= 1;
        m.done += 1;
        if m.done == m.items {
            self.map_finished(end);
        } else {
            self.dispatch(end);
        }
    }

    fn map_finished(&mut self, t: Ns) {
        let state = self.map.as_ref().expect("a Map").state;
        let results = self.fleet.accounts * report_bytes(self.fleet.regions);
        let put = |bytes| Call {
            api: Api::PutObject,
            instances: 0,
            bytes,
        };
        self.step_functions_io(state, 1, vec![put(results), put(1_000)], t);
    }

    fn run(mut self) -> Outcome {
        self.at(0, Ev::Enter(0));
        while let Some(e) = self.heap.pop() {
            self.now = e.t;
            match e.ev {
                Ev::Enter(i) => self.enter(i),
                Ev::MapIo(state, which) => self.map_io(state, which),
                Ev::ChildStart(item) => self.child_start(item),
                Ev::Begin(job) => self.begin(job),
                Ev::Resume(c) => {
                    if let Some(end) = self.advance(c) {
                        let job = self.chains[c].job;
                        self.chain_done(job, end);
                    }
                }
                Ev::JobDone(job) => self.job_done(job),
            }
        }
        assert_eq!(
            self.entered.len(),
            self.path.len() + 1,
            "the run did not reach its end"
        );
        let mut stages: Vec<(String, f64)> = Vec::new();
        for (i, s) in self.path.iter().enumerate() {
            let d = secs(self.entered[i + 1] - self.entered[i]);
            let stage = match (&s.step, s.name.as_str()) {
                (Step::Hub { function, .. }, _) if function == "list-accounts" => "list-accounts",
                (Step::Hub { .. }, _) => "summaries",
                (Step::Map { function, .. }, _) if function == "schedule-account" => "account Map",
                (Step::Map { .. }, _) => "verification",
                (Step::Wait(_), _) => "wait",
                (Step::Pass, _) => "choices",
            };
            match stages.iter_mut().find(|(n, _)| n == stage) {
                Some((_, total)) => *total += d,
                None => stages.push((stage.to_owned(), d)),
            }
        }
        let mut out = self.out;
        out.stages = stages;
        out.wall = secs(*self.entered.last().unwrap());
        if let Platform::Local(l) = self.platform {
            out.wall += l.runner_process;
        }
        out.history = history_events(self.path);
        out
    }
}

fn simulate(platform: &Platform, def: &Definition, fleet: Fleet, kind: Kind) -> Outcome {
    Sim::new(platform, def, fleet, kind, def.account_concurrency).run()
}

// ---------------------------------------------------------------------------------------------
// Calibration: moto fitted on the CLI runs, the state machine runs predicted

fn fixture() -> Value {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/paper/calibration.json");
    serde_json::from_str(&std::fs::read_to_string(file).expect("calibration.json"))
        .expect("calibration.json is JSON")
}

fn f64_at(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("calibration.json: no number at {pointer}"))
}

fn mean(v: &Value, pointer: &str) -> f64 {
    let a = v
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("calibration.json: no array at {pointer}"));
    a.iter().filter_map(Value::as_f64).sum::<f64>() / a.len() as f64
}

fn calls_of(run: &Value) -> BTreeMap<String, u64> {
    run["calls"]
        .as_object()
        .expect("calls")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("a count")))
        .collect()
}

/// Least squares on relative errors (each run weighs the same whatever its length), a
/// coefficient that comes out negative fixed at zero and the rest fitted again.
fn fit(rows: &[(Vec<f64>, f64)]) -> Vec<f64> {
    let k = rows[0].0.len();
    let mut active: Vec<bool> = vec![true; k];
    loop {
        let idx: Vec<usize> = (0..k).filter(|i| active[*i]).collect();
        let n = idx.len();
        let mut m = vec![vec![0.0; n + 1]; n];
        for (x, y) in rows {
            let w = 1.0 / (y * y);
            for (a, &i) in idx.iter().enumerate() {
                for (b, &j) in idx.iter().enumerate() {
                    m[a][b] += w * x[i] * x[j];
                }
                m[a][n] += w * x[i] * y;
            }
        }
        for c in 0..n {
            let p = (c..n)
                .max_by(|a, b| m[*a][c].abs().total_cmp(&m[*b][c].abs()))
                .unwrap();
            m.swap(c, p);
            let pivot = m[c].clone();
            for (r, row) in m.iter_mut().enumerate() {
                if r != c {
                    let f = row[c] / pivot[c];
                    for (cell, p) in row.iter_mut().zip(&pivot).take(n + 1) {
                        *cell -= f * p;
                    }
                }
            }
        }
        let mut coef = vec![0.0; k];
        for (a, &i) in idx.iter().enumerate() {
            coef[i] = m[a][n] / m[a][a];
        }
        match (0..k).find(|i| active[*i] && coef[*i] < 0.0) {
            Some(i) => active[i] = false,
            None => return coef,
        }
    }
}

const CLI_KINDS: [Kind; 3] = [Kind::Stop, Kind::Transition, Kind::Steady];
const SFN_KINDS: [Kind; 4] = [Kind::Stop, Kind::Start, Kind::Transition, Kind::Steady];

fn fleet_of(size: &Value) -> Fleet {
    Fleet {
        accounts: size["accounts"].as_u64().unwrap(),
        regions: size["regions"].as_u64().unwrap(),
        per_region: size["instances_per_region"].as_u64().unwrap(),
    }
}

/// moto's costs from the CLI runs: wall = fixed + per call × calls + per instance described +
/// per instance changed (stopped, tagged).
fn fit_moto(fx: &Value, page_reservations: u64) -> (Moto, f64, Vec<(String, f64, f64)>) {
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for size in fx["sizes"].as_array().unwrap() {
        let f = fleet_of(size);
        let n = (f.accounts * f.regions * f.per_region) as f64;
        for kind in CLI_KINDS {
            let run = &size["cli"][kind.label()];
            let calls: u64 = calls_of(run).values().sum();
            let changed = match kind {
                Kind::Steady => 0.0,
                Kind::Transition => 2.0 * n,
                _ => n,
            };
            rows.push((
                vec![1.0, calls as f64, n, changed],
                run["wall_s"].as_f64().unwrap(),
            ));
            labels.push(format!(
                "{} {}",
                size["size"].as_str().unwrap(),
                kind.label()
            ));
        }
    }
    let c = fit(&rows);
    let residuals = rows
        .iter()
        .zip(labels)
        .map(|((x, y), l)| (l, *y, x.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>()))
        .collect();
    let moto = Moto {
        per_call: c[1],
        per_described: c[2],
        per_changed: c[3],
        page_reservations,
    };
    (moto, c[0], residuals)
}

fn local_platform(fx: &Value) -> (Platform, Vec<String>) {
    let page = fx["benchmark"]["moto_page_reservations"]
        .as_u64()
        .expect("moto_page_reservations");
    let (moto, cli_fixed, residuals) = fit_moto(fx, page);
    let mut notes = vec![format!(
        "moto fitted on the 9 CLI runs: {:.2} ms a call, {:.3} ms per instance described, {:.3} ms per instance changed (CLI fixed {:.0} ms)",
        moto.per_call * 1e3,
        moto.per_described * 1e3,
        moto.per_changed * 1e3,
        cli_fixed * 1e3
    )];
    for (l, y, p) in &residuals {
        notes.push(format!(
            "  CLI {l}: measured {y:.2} s, fitted {p:.2} s ({:+.0}%)",
            (p / y - 1.0) * 100.0
        ));
    }
    let ms = |f: &str, k: &str| f64_at(fx, &format!("/lambdas/{f}/{k}"));
    // schedule-account's own time: its measured warm invocation (1 account × 1 region × 50
    // instances, already stopped: DescribeRegions and one DescribeInstances page, the role's
    // credentials cached in the process) less moto's share of it.
    let per_region = fx["sizes"][0]["instances_per_region"].as_f64().unwrap();
    let warm = ms("schedule-account", "warm_invocation_ms_median") / 1e3;
    let moto_share = 2.0 * moto.per_call + per_region * moto.per_described;
    let account_overhead = (warm - moto_share).max(0.0);
    notes.push(format!(
        "schedule-account: measured warm {:.1} ms, of which moto {:.1} ms: {:.1} ms its own per invocation (verify-starts assumed the same: its measurement verified nothing)",
        warm * 1e3,
        moto_share * 1e3,
        account_overhead * 1e3
    ));
    let runner_process = mean(fx, "/runner/process_s");
    let runner_per_state =
        ((mean(fx, "/runner/chain_201_states_s") - runner_process) / 200.0).max(0.0);
    let runner_per_child =
        ((mean(fx, "/runner/map_200_children_s") - runner_process) / 200.0).max(0.0);
    notes.push(format!(
        "runner: {:.0} ms a process, {:.2} ms a state, {:.2} ms a child (measured)",
        runner_process * 1e3,
        runner_per_state * 1e3,
        runner_per_child * 1e3
    ));
    // The hub functions' S3 calls are in their measured invocation (their first: the
    // emulator's processes serve few invocations each).
    let hub_ms = ["list-accounts", "summarize-run"]
        .iter()
        .map(|f| ((*f).to_owned(), ms(f, "first_invocation_ms")))
        .collect();
    let platform = Platform::Local(Local {
        moto,
        processes: fx["benchmark"]["processes_per_function"]
            .as_u64()
            .expect("processes_per_function") as u32,
        hub_ms,
        account_overhead,
        hop: 0.002,
        runner_process,
        runner_per_state,
        runner_per_child,
    });
    (platform, notes)
}

// ---------------------------------------------------------------------------------------------
// Printing

fn calls_line(o: &Outcome) -> String {
    o.calls
        .iter()
        .map(|(k, v)| format!("{} {v}", k.split(':').nth(1).unwrap_or(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn stages_line(o: &Outcome) -> String {
    o.stages
        .iter()
        .filter(|(n, _)| n != "choices")
        .map(|(n, s)| format!("{n} {s:.1}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn duration(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.1} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

/// issue 13's targets at 10,000 accounts × 20 regions.
const STOP_TARGET: f64 = 180.0;
const START_TARGET: f64 = 300.0;

#[test]
fn a_run_at_scale_event_by_event() {
    let def = definition();
    let aws = Platform::Aws(AWS_LATENCIES);
    println!(
        "\nScale simulator: ACCOUNT_CONCURRENCY {} (default), {} instances per account-region, AWS latencies assumed (±{:.0}% jitter, seed {SEED})\n",
        def.account_concurrency,
        INSTANCES_PER_REGION,
        JITTER * 100.0
    );
    println!("| accounts × regions | run | wall | stages (s): list / Map / summaries / wait / verification | binding (most queueing) | peak Lambda | API calls | throttles absorbed | history events | cost per run |");
    println!("| --- | --- | ---: | --- | --- | ---: | --- | ---: | ---: | ---: |");
    let express_max = concurrent("Express duration");
    for s in &def.start_path {
        if let Step::Map {
            function,
            timeout,
            retries,
        } = &s.step
        {
            println!(
                "{}: one {function} per account, TimeoutSeconds {timeout}, up to {retries} retries",
                s.name
            );
            assert!(
                *timeout < express_max,
                "{}: a task timeout past Express' limit",
                s.name
            );
        }
        if let Step::Wait(seconds) = s.step {
            println!("{}: {seconds} s, once per start run", s.name);
        }
    }
    println!();
    for (accounts, regions) in [(10, 4), (100, 4), (1_000, 10), (10_000, 20), (50_000, 20)] {
        let fleet = Fleet {
            accounts,
            regions,
            per_region: INSTANCES_PER_REGION,
        };
        for kind in [Kind::Stop, Kind::Start, Kind::Steady] {
            let o = simulate(&aws, &def, fleet, kind);
            println!(
                "| {accounts} × {regions} | {} | {} | {} | {} | {} | {} | {} | {} | ${:.4} |",
                kind.label(),
                duration(o.wall),
                stages_line(&o),
                o.binding(),
                o.peak_lambda,
                calls_line(&o),
                o.throttles,
                o.history,
                o.cost()
            );
            // Structural facts only.
            assert!(f64::from(o.peak_lambda) <= concurrent("Lambda concurrent executions"));
            assert!(o.peak_children <= def.account_concurrency);
            assert!(
                o.longest_child < express_max,
                "a child past Express' 5 minutes"
            );
            assert!((o.history as f64) < concurrent("Standard history"));
            let ar = accounts * regions;
            let describes = if kind == Kind::Start { 2 * ar } else { ar };
            assert_eq!(o.calls["ec2:DescribeInstances"], describes);
            let assume = if kind == Kind::Start {
                2 * accounts
            } else {
                accounts
            };
            assert_eq!(o.calls["sts:AssumeRole"], assume);
            if accounts == 10_000 {
                let target = if kind == Kind::Start {
                    START_TARGET
                } else {
                    STOP_TARGET
                };
                assert!(
                    o.wall < target,
                    "10,000 × 20 {}: {:.0} s, over issue 13's {target:.0} s",
                    kind.label(),
                    o.wall
                );
            }
        }
    }
    println!("\nQuotas applied:");
    for q in QUOTAS {
        println!("- {} ({}): {:?}. {}", q.name, q.scope, q.limit, q.source);
    }
}

#[test]
fn the_simulator_reproduces_the_local_benchmark() {
    let def = definition();
    let fx = fixture();
    let (local, notes) = local_platform(&fx);
    println!(
        "\nCalibration against {} ({}), {}:",
        fx["benchmark"]["command"].as_str().unwrap(),
        fx["benchmark"]["date"].as_str().unwrap(),
        fx["benchmark"]["build"].as_str().unwrap()
    );
    for n in &notes {
        println!("{n}");
    }
    println!(
        "\n| size | run | measured | predicted | error | binding (most queueing) | calls match |"
    );
    println!("| --- | --- | ---: | ---: | ---: | --- | --- |");
    let mut worst: f64 = 0.0;
    let mut failures = Vec::new();
    for size in fx["sizes"].as_array().unwrap() {
        let fleet = fleet_of(size);
        for kind in SFN_KINDS {
            let run = &size["state_machine"][kind.label()];
            let measured = run["wall_s"].as_f64().unwrap();
            let o = simulate(&local, &def, fleet, kind);
            let error = o.wall / measured - 1.0;
            worst = worst.max(error.abs());
            let simulated: BTreeMap<String, u64> =
                o.calls.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
            let same = simulated == calls_of(run);
            println!(
                "| {} | {} | {measured:.2} s | {:.2} s | {:+.0}% | {} | {} |",
                size["size"].as_str().unwrap(),
                kind.label(),
                o.wall,
                error * 100.0,
                o.binding(),
                if same { "yes" } else { "NO" }
            );
            assert_eq!(
                simulated,
                calls_of(run),
                "{} {}: the work model's calls differ from the measured ones",
                size["size"],
                kind.label()
            );
            if error.abs() > CALIBRATION_MARGIN {
                failures.push(format!("{} {}", size["size"], kind.label()));
            }
        }
    }
    println!(
        "\nWorst error {:.0}% (margin ±{:.0}%){}",
        worst * 100.0,
        CALIBRATION_MARGIN * 100.0,
        if failures.is_empty() {
            String::new()
        } else {
            format!(": NOT CALIBRATED for {}", failures.join(", "))
        }
    );
    assert!(
        failures.is_empty(),
        "outside ±{:.0}%: {failures:?}",
        CALIBRATION_MARGIN * 100.0
    );
}
