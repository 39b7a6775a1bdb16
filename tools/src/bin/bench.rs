//! `uptime-bench`: API calls, wall time, Lambda cold start and memory, and the scheduler's own
//! AWS bill, at growing fleet sizes. `scripts/bench` is the front door.
//!
//! For each size (accounts, regions, instances per account-region) it starts moto and seeds the
//! fleet (running, on-demand; the first account-region with `separate_calls`, one reservation per
//! instance, so DescribeInstances can page). Three kinds of run, each through the CLI and (on a
//! freshly seeded moto) through the local state machine with the real Lambda binaries:
//!
//! - **stop**: every instance `Schedule=office-hours`, an action run `stop`;
//! - **reconcile transition**: every instance tagged with the inline schedule
//!   [`INLINE_SCHEDULE`], a reconcile run at 18:05 London on a Thursday: every instance stops and
//!   gets its last-action tag;
//! - **reconcile steady state**: the next tick, 5 minutes later, on the same fleet: nothing to do.
//!
//! Each run's outcome is **verified** (exactly the seeded instances stopped and tagged, once
//! each, with the right value, nothing else touched; no mutating call at all in steady state)
//! and moto's API call counts are recorded against the floor with the wall times. It then
//! measures each Lambda binary (init, per-invocation time, peak RSS, zip size; schedule-account
//! also on a reconcile transition and a steady-state tick) and prints the cost model of
//! `docs/cost-model.md` from the figures. Writes `results.json` and `results.md` to `--out`.
//!
//! Benchmarks print figures; they are not timed tests. A wrong outcome exits 1.

use clap::{Parser, ValueEnum};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use uptime_testkit::local::{binary_dir, lambda_env, FUNCTIONS, REGISTRY_FUNCTION};
use uptime_testkit::moto::{repo_root, Moto};
use uptime_testkit::{run_state_machine, FaultProxy, LambdaEmulator};

/// Regions in the order sizes take them.
const REGIONS: [&str; 4] = ["eu-west-1", "us-east-1", "us-west-2", "eu-central-1"];
const MANAGEMENT: &str = "123456789012";
/// The start/stop batch (BATCH_SIZE's default).
const BATCH: u64 = uptime_core::engine::DEFAULT_BATCH_SIZE as u64;
/// DescribeInstances: at most 1,000 results a page.
const DESCRIBE_PAGE: u64 = 1000;
/// ListAccounts: at most 20 accounts a page on AWS.
const LIST_ACCOUNTS_PAGE: u64 = 20;
/// Lambda processes per function behind the emulator.
const COPIES: usize = 2;
/// The reconcile fleet's `Schedule` tag: an inline expression (no schedules document needed).
const INLINE_SCHEDULE: &str = "mon-fri 08:00-18:00 Europe/London";
/// Thursday 2026-11-26 18:05 in London (GMT, so UTC): 5 minutes after the stop transition.
const TRANSITION_NOW: &str = "2026-11-26T18:05:00Z";
/// The next tick.
const STEADY_NOW: &str = "2026-11-26T18:10:00Z";
const LAST_ACTION_KEY: &str = "uptime-scheduler:last-action";
/// What the transition tick must write on every instance.
const LAST_ACTION: &str = "stop@2026-11-26T18:00Z";
/// The day before's stop: an instance running with this tag is back before the transition
/// (used to replay the transition for the Lambda measurement).
const LAST_ACTION_BEFORE: &str = "stop@2026-11-25T18:00Z";

/// What a run does, which decides its floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKind {
    Stop,
    Transition,
    Steady,
}

impl RunKind {
    const ALL: [RunKind; 3] = [RunKind::Stop, RunKind::Transition, RunKind::Steady];
    fn label(self) -> &'static str {
        match self {
            RunKind::Stop => "stop",
            RunKind::Transition => "reconcile transition",
            RunKind::Steady => "reconcile steady state",
        }
    }
    /// Where the run is in a size's results.
    fn pointer(self, runner: &str) -> String {
        match self {
            RunKind::Stop => format!("/{runner}"),
            RunKind::Transition => format!("/reconcile/{runner}/transition"),
            RunKind::Steady => format!("/reconcile/{runner}/steady"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Sizes {
    Smoke,
    Default,
    All,
    /// 500 accounts × 2 regions × 4 instances: the most accounts this machine's moto holds in
    /// reasonable time (issue 13's large local run); not part of `all`.
    Large,
}

#[derive(Debug, Parser)]
#[command(
    name = "uptime-bench",
    about = "Benchmark the Uptime Scheduler: API calls, wall time, Lambda init/RSS/zip, cost"
)]
struct Args {
    #[arg(long, value_enum, default_value_t = Sizes::Default)]
    sizes: Sizes,
    /// Where results.json and results.md go [default: .cache/bench under the repository].
    #[arg(long)]
    out: Option<PathBuf>,
    /// A `cargo lambda build --release` target directory (with
    /// x86_64-unknown-linux-gnu/release/<name> and lambda/<name>/bootstrap.zip); without it the
    /// Lambda figures are of the debug binaries, labelled so.
    #[arg(long)]
    release_dir: Option<PathBuf>,
    /// The architecture the --release-dir binaries were built for (`cargo lambda build
    /// --arm64` for arm64). arm64 binaries run under qemu-aarch64-static on another host: they
    /// are checked to answer, but their times and RSS are the emulator's, labelled so.
    #[arg(long, value_enum, default_value_t = Arch::X86_64)]
    arch: Arch,
    /// The state machine runs go through tests/harness/fault_proxy.py enforcing EC2's default
    /// token buckets per account and region, as AWS documents them (`AWS_BUCKETS`): every
    /// throttle must be absorbed, every outcome is still verified.
    #[arg(long)]
    aws_buckets: bool,
}

/// EC2's default token buckets per account and region (issue 13's table, from the EC2
/// Developer Guide's "Request throttling for the Amazon EC2 API"): a request bucket per action
/// (capacity, refill per second) and, for StartInstances and StopInstances, a resource bucket
/// counting instances (1,000; refill 2 and 20 a second).
const AWS_BUCKETS: [(&str, &str, f64, f64, &str); 7] = [
    (
        "describe-instances",
        "DescribeInstances",
        100.0,
        20.0,
        "request",
    ),
    (
        "describe-regions",
        "DescribeRegions",
        100.0,
        20.0,
        "request",
    ),
    ("start", "StartInstances", 5.0, 2.0, "request"),
    (
        "start-instances",
        "StartInstances",
        1000.0,
        2.0,
        "instances",
    ),
    ("stop", "StopInstances", 50.0, 5.0, "request"),
    ("stop-instances", "StopInstances", 1000.0, 20.0, "instances"),
    ("create-tags", "CreateTags", 100.0, 10.0, "request"),
];

/// Whether the state machine runs go through the bucket-enforcing proxy, set once.
static BUCKETS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Arch {
    #[value(name = "x86_64")]
    X86_64,
    Arm64,
}

impl Arch {
    /// The target triple cargo lambda builds for.
    fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// The emulator the binaries run under on this host, if they need one.
    fn runner(self) -> Option<&'static str> {
        match (self, std::env::consts::ARCH) {
            (Arch::Arm64, host) if host != "aarch64" => Some("qemu-aarch64-static"),
            _ => None,
        }
    }
}

/// The architecture of the measured release binaries, set once from the command line.
static ARCH: std::sync::OnceLock<Arch> = std::sync::OnceLock::new();

fn arch() -> Arch {
    ARCH.get().copied().unwrap_or(Arch::X86_64)
}

#[derive(Debug, Clone, Copy)]
struct Size {
    accounts: u64,
    regions: u64,
    per_region: u64,
}

impl Size {
    fn label(&self) -> String {
        format!("{}×{}×{}", self.accounts, self.regions, self.per_region)
    }
    fn instances(&self) -> u64 {
        self.accounts * self.regions * self.per_region
    }
    fn regions(&self) -> Vec<&'static str> {
        REGIONS[..self.regions as usize].to_vec()
    }
    /// Every instance tagged `Schedule=<schedule>`.
    fn spec(&self, schedule: &str) -> Value {
        let accounts: Vec<Value> = (0..self.accounts)
            .map(|a| {
                let regions: Map<String, Value> = self
                    .regions()
                    .iter()
                    .enumerate()
                    .map(|(r, region)| {
                        let mut group = json!({"count": self.per_region, "tags": {"Schedule": schedule}});
                        if a == 0 && r == 0 {
                            group["separate_calls"] = json!(true);
                        }
                        ((*region).to_owned(), json!([group]))
                    })
                    .collect();
                json!({"name": format!("bench-{a:03}"), "tags": {"uptime-scheduler:enabled": "true"}, "regions": regions})
            })
            .collect();
        json!({"accounts": accounts})
    }
    /// The fewest calls a run can make (see docs/cost-model.md for how they are counted).
    /// `assume_per_account`: AssumeRole calls per account (the CLI and the state machine's
    /// schedule-account: 1; a start run's verify-starts one more). A stop adds one StopInstances per 50
    /// instances per account-region; a reconcile transition the same plus one CreateTags per 50
    /// (one last-action value per account-region); a steady-state tick only discovers.
    fn floor(&self, assume_per_account: u64, kind: RunKind) -> BTreeMap<String, u64> {
        let listed = self.accounts + 1; // the management account is listed too
        let per_region_pages = self.per_region.div_ceil(DESCRIBE_PAGE);
        let per_region_batches = self.per_region.div_ceil(BATCH);
        let ar = self.accounts * self.regions;
        let mut floor = BTreeMap::from([
            (
                "organizations:ListAccounts".to_owned(),
                listed.div_ceil(LIST_ACCOUNTS_PAGE),
            ),
            ("organizations:ListTagsForResource".to_owned(), listed),
            (
                "sts:AssumeRole".to_owned(),
                self.accounts * assume_per_account,
            ),
            ("ec2:DescribeRegions".to_owned(), self.accounts),
            ("ec2:DescribeInstances".to_owned(), ar * per_region_pages),
        ]);
        if kind != RunKind::Steady {
            floor.insert("ec2:StopInstances".to_owned(), ar * per_region_batches);
        }
        if kind == RunKind::Transition {
            floor.insert("ec2:CreateTags".to_owned(), ar * per_region_batches);
        }
        floor
    }
    /// A state machine run's: `floor` with its fixed calls of the hub's results bucket: the
    /// account list list-accounts writes and the account Map's ItemReader reads (ADR 0012), the
    /// Map's ResultWriter's result file and manifest that summarize-run reads back; and the run
    /// digest, except on a steady-state tick (nothing to say).
    ///
    /// No Organizations call: list-accounts reads the account registry instead (one more
    /// s3:GetObject, ADR 0013).
    fn state_machine_floor(&self, assume_per_account: u64, kind: RunKind) -> BTreeMap<String, u64> {
        let mut floor = self.floor(assume_per_account, kind);
        floor.retain(|action, _| !action.starts_with("organizations:"));
        floor.insert("s3:PutObject".to_owned(), 3);
        floor.insert("s3:GetObject".to_owned(), 4);
        if kind != RunKind::Steady {
            floor.insert("events:PutEvents".to_owned(), 1);
        }
        floor
    }
    /// A start run through the state machine (ADR 0012): as a stop's, with StartInstances for
    /// StopInstances, every region described twice (to schedule, then to verify after the
    /// run's one wait), and one more AssumeRole per account (verify-starts' container).
    fn start_floor(&self) -> BTreeMap<String, u64> {
        let mut floor = self.state_machine_floor(2, RunKind::Stop);
        // Its verification items (summarize-run writes them, the ItemReader reads them), the
        // verification Map's result file and manifest (written, read back), and the account
        // Map's, which summarize-run's first call reads too.
        *floor.entry("s3:PutObject".to_owned()).or_default() += 3;
        *floor.entry("s3:GetObject".to_owned()).or_default() += 5;
        let stops = floor.remove("ec2:StopInstances").unwrap_or_default();
        floor.insert("ec2:StartInstances".to_owned(), stops);
        if let Some(d) = floor.get_mut("ec2:DescribeInstances") {
            *d *= 2;
        }
        floor
    }
}

fn sizes(which: Sizes) -> Vec<Size> {
    let s = |accounts, regions, per_region| Size {
        accounts,
        regions,
        per_region,
    };
    match which {
        Sizes::Smoke => vec![s(1, 1, 50)],
        Sizes::Default => vec![s(1, 1, 50), s(1, 4, 250), s(10, 4, 100)],
        Sizes::All => vec![s(1, 1, 50), s(1, 4, 250), s(10, 4, 100), s(50, 4, 40)],
        Sizes::Large => vec![s(500, 2, 4)],
    }
}

fn progress(message: impl AsRef<str>) {
    eprintln!("bench: {}", message.as_ref());
}

fn main() -> ExitCode {
    let args = Args::parse();
    let _ = ARCH.set(args.arch);
    let _ = BUCKETS.set(args.aws_buckets);
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uptime-bench: FAILED: {e}");
            ExitCode::from(1)
        }
    }
}

fn bench(args: &Args) -> Result<(), String> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| repo_root().join(".cache/bench"));
    std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let load_before = load_average();
    let mut runs = Vec::new();
    let mut lambdas = Value::Null;
    for (i, size) in sizes(args.sizes).into_iter().enumerate() {
        let measure = (i == 0).then_some(args.release_dir.as_deref());
        let (run, figures) = run_size(size, measure)?;
        if i == 0 {
            lambdas = figures;
        }
        runs.push(run);
    }
    let results = json!({
        "sizes": runs,
        "lambdas": lambdas,
        "notes": {
            "floor": "ListAccounts: ceil((members + management)/20) pages; ListTagsForResource: one per listed account (management included), the CLI only (the state machine reads the account registry: one s3:GetObject, ADR 0013); AssumeRole: one per member account (the CLI; the state machine's schedule-account, ADR 0014), one more per account in a state machine start run (verify-starts); DescribeRegions: one per account; DescribeInstances: one page per 1,000 instances per account-region; StopInstances: one per 1,000 instances per account-region (BATCH_SIZE's default)",
        },
    });
    let mut results = results;
    results["cost"] = cost_model(&results);
    // Other work on the machine slows moto and the processes down: the wall times are read
    // with the load next to them.
    results["load_average"] = json!({"before": load_before, "after": load_average()});
    let mut md = format!(
        "Load average (1, 5, 15 min) before the run: {}; after: {}. The machine's cores: {}.\n\n",
        load_before,
        load_average(),
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    md.push_str(&markdown(&results));
    md.push_str("\nEach Lambda binary (a Runtime API served by the bench, realistic events from the first size's run, against moto):\n\n");
    md.push_str(&lambda_markdown(&results["lambdas"]));
    md.push_str(&cost_markdown(&results["cost"]));
    print!("{md}");
    write(
        &out.join("results.json"),
        &serde_json::to_string_pretty(&results).unwrap_or_default(),
    )?;
    write(&out.join("results.md"), &md)?;
    progress(format!(
        "wrote results.json and results.md to {}",
        out.display()
    ));
    Ok(())
}

/// The first three fields of /proc/loadavg.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The seeded member accounts and instance ids.
fn seeded(inventory: &Value) -> (Vec<String>, BTreeSet<String>) {
    let mut accounts = Vec::new();
    let mut ids = BTreeSet::new();
    for a in inventory["accounts"].as_array().into_iter().flatten() {
        if let Some(id) = a["id"].as_str() {
            accounts.push(id.to_owned());
        }
        for i in a["instances"].as_array().into_iter().flatten() {
            if let Some(id) = i["id"].as_str() {
                ids.insert(id.to_owned());
            }
        }
    }
    (accounts, ids)
}

/// The seeded instances grouped by (account, region).
fn placed(inventory: &Value) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for a in inventory["accounts"].as_array().into_iter().flatten() {
        let account = a["id"].as_str().unwrap_or_default().to_owned();
        for i in a["instances"].as_array().into_iter().flatten() {
            let region = i["region"].as_str().unwrap_or_default().to_owned();
            if let Some(id) = i["id"].as_str() {
                out.entry((account.clone(), region))
                    .or_default()
                    .push(id.to_owned());
            }
        }
    }
    out
}

/// The recorded mutating calls are exactly `actions`, each touching every seeded instance once
/// (no action: no mutating call at all).
fn check_mutations(
    what: &str,
    recorded: &Value,
    ids: &BTreeSet<String>,
    actions: &[&str],
) -> Result<(), String> {
    let mut touched: BTreeMap<(&str, String), u64> = BTreeMap::new();
    for m in recorded["mutating"].as_array().into_iter().flatten() {
        let action = m["action"].as_str().unwrap_or_default();
        let Some(action) = actions
            .iter()
            .find(|a| m["service"] == "ec2" && **a == action)
        else {
            return Err(format!("{what}: unexpected mutating call {m}"));
        };
        for id in m["instance_ids"].as_array().into_iter().flatten() {
            let id = id.as_str().unwrap_or_default().to_owned();
            if !ids.contains(&id) {
                return Err(format!("{what}: {action} on {id}, which was not seeded"));
            }
            *touched.entry((action, id)).or_default() += 1;
        }
    }
    for action in actions {
        for id in ids {
            match touched.get(&(*action, id.clone())) {
                Some(1) => {}
                Some(n) => return Err(format!("{what}: {action} on {id} {n} times")),
                None => return Err(format!("{what}: no {action} on {id}")),
            }
        }
    }
    Ok(())
}

/// The seeded accounts (the management account last) and instance ids, checked against the
/// size that was seeded.
fn seeded_of_size(
    what: &str,
    inventory: &Value,
    size: &Size,
) -> Result<(Vec<String>, BTreeSet<String>), String> {
    let (mut accounts, ids) = seeded(inventory);
    if ids.len() as u64 != size.instances() {
        return Err(format!(
            "{what}: seeded {} instances, expected {}",
            ids.len(),
            size.instances()
        ));
    }
    accounts.push(MANAGEMENT.to_owned());
    Ok((accounts, ids))
}

/// Every instance moto describes (id → `{state, …}`) was seeded and is stopped (or stopping)
/// after `run`, passes `check`, and every seeded one is described.
fn every_seeded_stopped(
    what: &str,
    run: &str,
    ids: &BTreeSet<String>,
    described: &Value,
    check: impl Fn(&str, &Value) -> Result<(), String>,
) -> Result<(), String> {
    every_seeded_in(what, run, &["stopped", "stopping"], ids, described, check)
}

/// Every instance moto describes was seeded and is in one of `states` after `run`, passes
/// `check`, and every seeded one is described.
fn every_seeded_in(
    what: &str,
    run: &str,
    states: &[&str],
    ids: &BTreeSet<String>,
    described: &Value,
    check: impl Fn(&str, &Value) -> Result<(), String>,
) -> Result<(), String> {
    let mut seen = 0;
    for (id, v) in described.as_object().into_iter().flatten() {
        let state = v["state"].as_str().unwrap_or("?");
        if !ids.contains(id) {
            return Err(format!("{what}: an instance nobody seeded: {id} ({state})"));
        }
        seen += 1;
        if !states.contains(&state) {
            return Err(format!("{what}: {id} is {state} after {run}"));
        }
        check(id, v)?;
    }
    if seen != ids.len() {
        return Err(format!(
            "{what}: moto reports {seen} of {} seeded instances",
            ids.len()
        ));
    }
    Ok(())
}

/// What a verified run was: a stop run, or a reconcile tick that stops and tags.
#[derive(Debug, Clone, Copy)]
enum Verified {
    /// Every seeded instance stopped, by exactly one StopInstances each, and no other
    /// mutating call.
    Stop,
    /// Every seeded instance stopped once and tagged once (the mutating calls), and in moto
    /// stopped with exactly its seeded tags plus the last-action tag.
    Transition,
    /// After a stop: every seeded instance started by exactly one StartInstances each, and no
    /// other mutating call; running (or pending) in moto.
    Start,
}

/// Checks a run that should have stopped every seeded instance (see [`Verified`]).
fn verify(
    what: &str,
    moto: &Moto,
    inventory: &Value,
    size: &Size,
    recorded: &Value,
    run: Verified,
) -> Result<(), String> {
    let (accounts, ids) = seeded_of_size(what, inventory, size)?;
    match run {
        Verified::Stop => {
            check_mutations(what, recorded, &ids, &["StopInstances"])?;
            let snapshot = moto.snapshot(&accounts, &REGIONS);
            every_seeded_stopped(what, "the stop run", &ids, &snapshot, |_, _| Ok(()))
        }
        Verified::Start => {
            check_mutations(what, recorded, &ids, &["StartInstances"])?;
            let snapshot = moto.snapshot(&accounts, &REGIONS);
            let running = ["running", "pending"];
            every_seeded_in(what, "the start run", &running, &ids, &snapshot, |_, _| {
                Ok(())
            })
        }
        Verified::Transition => {
            check_mutations(what, recorded, &ids, &["StopInstances", "CreateTags"])?;
            let described = moto.script(
                "act.py",
                &[],
                &json!({"describe": {"accounts": accounts, "regions": REGIONS}}),
            );
            let want_tags = json!({"Schedule": INLINE_SCHEDULE, LAST_ACTION_KEY: LAST_ACTION});
            every_seeded_stopped(
                what,
                "the transition",
                &ids,
                &described["instances"],
                |id, v| {
                    if v["tags"] == want_tags {
                        Ok(())
                    } else {
                        Err(format!(
                            "{what}: {id} has tags {} (want {want_tags})",
                            v["tags"]
                        ))
                    }
                },
            )
        }
    }
}

/// Calls compared with the floor.
fn compare(recorded: &Value, floor: &BTreeMap<String, u64>, instances: u64) -> Value {
    let by_action = recorded["by_action"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let total = recorded["total"].as_u64().unwrap_or_default();
    let floor_total: u64 = floor.values().sum();
    let mut rows = Map::new();
    let mut actions: BTreeSet<String> = by_action.keys().cloned().collect();
    actions.extend(floor.keys().cloned());
    let mut per_instance = Vec::new();
    for a in actions {
        let n = by_action
            .get(&a)
            .and_then(Value::as_u64)
            .unwrap_or_default();
        let f = floor.get(&a).copied().unwrap_or_default();
        // A call made once per instance (or more) at a size with more instances than any
        // other count the floor knows.
        if instances >= 50 && n >= instances {
            per_instance.push(a.clone());
        }
        rows.insert(a, json!({"calls": n, "floor": f}));
    }
    json!({
        "total": total,
        "floor": floor_total,
        "ratio": if floor_total > 0 { total as f64 / floor_total as f64 } else { 0.0 },
        "mutating": recorded["mutating"].as_array().map(Vec::len).unwrap_or_default(),
        "per_instance_calls": per_instance,
        "by_action": rows,
    })
}

/// One CLI run with `input` on stdin, moto's recorder around it: (wall seconds, recorded calls).
fn run_cli(moto: &Moto, regions: &str, input: &Value) -> Result<(f64, Value), String> {
    moto.calls("start");
    let env = lambda_env(moto.endpoint(), regions);
    let t = Instant::now();
    let mut child = Command::new(binary_dir().join("uptime-scheduler"))
        .args([
            "run",
            "--input",
            "-",
            "--regions",
            regions,
            "--output",
            "json",
            // One moto server answers every account and region (on AWS each account-region is
            // its own endpoint): the CLI's 64 concurrent calls queue there for longer than the
            // default 20 s a call may take.
            "--call-timeout",
            "300",
        ])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning the CLI (cargo build --workspace --bins first): {e}"))?;
    child
        .stdin
        .take()
        .map(|mut s| s.write_all(input.to_string().as_bytes()))
        .transpose()
        .map_err(|e| format!("CLI input: {e}"))?;
    let output = child.wait_with_output().map_err(|e| format!("CLI: {e}"))?;
    let wall = t.elapsed().as_secs_f64();
    moto.calls("stop");
    let calls = moto.calls("dump");
    if !output.status.success() {
        // The summary on stdout says what failed (a run with failures exits 1 and writes
        // nothing to stderr).
        let summary: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        return Err(format!(
            "the CLI run ({input}) failed: {}{}",
            String::from_utf8_lossy(&output.stderr),
            serde_json::to_string(&summary["failures"]).unwrap_or_default()
        ));
    }
    Ok((wall, calls))
}

/// The states whose task inputs and outputs a state machine run keeps (for the Lambda events).
const CAPTURE: [&str; 3] = ["ListAccounts", "ScheduleAccount", "SummarizeRun"];

/// One local state machine run with moto's recorder around it.
struct SfnRun {
    wall: f64,
    calls: Value,
    execution: uptime_testkit::LocalExecution,
    log_bytes: u64,
}

impl SfnRun {
    fn figures(&self, floor: &BTreeMap<String, u64>, instances: u64) -> Value {
        let invocations: Map<String, Value> = FUNCTIONS
            .iter()
            .map(|f| ((*f).to_owned(), json!(self.execution.invocations(f))))
            .collect();
        json!({
            "wall_s": self.wall,
            "calls": compare(&self.calls, floor, instances),
            "transitions": self.execution.transitions(),
            "invocations": invocations,
            "log_bytes": self.log_bytes,
        })
    }
    fn captured(&self) -> Value {
        Value::Object(
            CAPTURE
                .iter()
                .map(|s| ((*s).to_owned(), json!(self.execution.captured(s))))
                .collect(),
        )
    }
}

fn run_sfn(
    moto: &Moto,
    lambdas: &LambdaEmulator,
    name: &str,
    input: &Value,
) -> Result<SfnRun, String> {
    let before = log_bytes(lambdas);
    moto.calls("start");
    let t = Instant::now();
    let execution = run_state_machine(lambdas, name, input, &CAPTURE);
    let wall = t.elapsed().as_secs_f64();
    moto.calls("stop");
    let calls = moto.calls("dump");
    let log_bytes = log_bytes(lambdas).saturating_sub(before);
    if execution.status() != "SUCCEEDED" {
        return Err(format!(
            "the state machine run {name} ended {}: {}\n{}",
            execution.status(),
            execution.raw,
            lambdas.log_tails()
        ));
    }
    Ok(SfnRun {
        wall,
        calls,
        execution,
        log_bytes,
    })
}

fn reconcile_input(now: &str) -> Value {
    // A fixed past instant, on purpose: the measured runs change instances.
    json!({"action": "reconcile", "now": now, "replay": true})
}

/// Starts the emulator with the functions against `moto` and lets every function reach its
/// first poll before any clock starts.
/// The functions log JSON, as Lambda's JSON log format asks them to (one line per decision), so
/// the log bytes measured are the ones CloudWatch Logs would ingest from the functions.
///
/// As the Terraform module deploys it, list-accounts reads the account registry (ADR 0013):
/// refresh-accounts writes it once here, before any clock starts, as its schedule would have
/// in a deployment. Its calls are not a run's.
///
/// With `--aws-buckets` the functions talk to moto through the fault proxy enforcing
/// [`AWS_BUCKETS`]; the local runner's ItemReader and ResultWriter go to moto directly, as Step
/// Functions reads and writes S3 itself.
fn emulator(moto: &Moto, regions: &str) -> (LambdaEmulator, Option<FaultProxy>) {
    let proxy = BUCKETS.get().copied().unwrap_or(false).then(|| {
        let proxy = FaultProxy::start(&moto.endpoint());
        let rules: Vec<Value> = AWS_BUCKETS
            .iter()
            .map(|(name, action, capacity, refill, cost)| {
                json!({"name": name, "service": "ec2", "action": action, "fault": "bucket",
                       "capacity": capacity, "refill": refill, "cost": cost})
            })
            .collect();
        proxy.set_rules(&Value::Array(rules));
        proxy
    });
    let endpoint = proxy
        .as_ref()
        .map_or_else(|| moto.endpoint(), FaultProxy::endpoint);
    let mut env = registry_env(lambda_env(endpoint, regions));
    env.push(("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()));
    let mut lambdas = LambdaEmulator::start(&env, COPIES);
    lambdas.s3_endpoint = Some(moto.endpoint());
    std::thread::sleep(Duration::from_millis(500));
    if let Err(e) = lambdas.invoke(REGISTRY_FUNCTION, &json!({"action": "refresh"})) {
        panic!(
            "refresh-accounts could not write the account registry: {e}\n{}",
            lambdas.log_tails()
        );
    }
    (lambdas, proxy)
}

/// With `--aws-buckets`: per size, the requests each bucket saw and the throttles absorbed, for
/// the stop and start runs and for the reconcile ticks.
fn buckets_markdown(sizes: &[&Value]) -> String {
    let mut md = String::new();
    for size in sizes {
        for (runs, stats) in [
            ("stop and start", &size["aws_buckets"]),
            (
                "reconcile ticks",
                &size["reconcile"]["state_machine"]["aws_buckets"],
            ),
        ] {
            let Some(rules) = stats.as_object() else {
                continue;
            };
            if md.is_empty() {
                md.push_str("\nState machine runs behind EC2's default token buckets (`--aws-buckets`, enforced per account and region by tests/harness/fault_proxy.py; requests / throttled and absorbed):\n\n| size | runs | buckets |\n| --- | --- | --- |\n");
            }
            let cells: Vec<String> = rules
                .iter()
                .map(|(name, r)| format!("{name} {} / {}", r["matched"], r["throttled"]))
                .collect();
            md.push_str(&format!(
                "| {} | {runs} | {} |\n",
                size["size"].as_str().unwrap_or("?"),
                cells.join(", ")
            ));
        }
    }
    md
}

/// What the bucket-enforcing proxy saw, per rule: requests matched and throttled (absorbed by
/// the retries: the runs' outcomes are verified).
fn bucket_stats(proxy: Option<&FaultProxy>) -> Value {
    let Some(proxy) = proxy else {
        return Value::Null;
    };
    let stats = proxy.stats();
    let rules: Map<String, Value> = stats["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or("?").to_owned(),
                json!({"matched": r["matched"], "throttled": r["fired"]}),
            )
        })
        .collect();
    Value::Object(rules)
}

/// The results bucket tests/harness/seed.py creates (the deployment's `results_bucket`).
const RESULTS_BUCKET: &str = "uptime-scheduler-results";

/// Accounts the Maps run at once in the bench: the local emulator serves each function with
/// [`COPIES`] processes, so the deployed default (half the Lambda quota, 500, ADR 0014) would
/// queue hundreds of invocations behind them until their tasks time out, which AWS, with an
/// environment per invocation, never does. 50 keeps the queue within the task timeouts at
/// 500 accounts.
const LOCAL_ACCOUNT_CONCURRENCY: u64 = 50;

/// The functions' environment with the account registry in the seeded results bucket, and the
/// local account concurrency.
fn registry_env(mut env: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    env.push(("ACCOUNT_REGISTRY_BUCKET", RESULTS_BUCKET.to_owned()));
    env.push(("ACCOUNT_CONCURRENCY", LOCAL_ACCOUNT_CONCURRENCY.to_string()));
    env
}

/// One size: stop, reconcile transition and reconcile steady state, each through the CLI and
/// the state machine; the CLI and the state machine each on a freshly seeded moto.
fn run_size(size: Size, lambda_figures: Option<Option<&Path>>) -> Result<(Value, Value), String> {
    let regions = size.regions().join(",");
    let n = size.instances();
    let input = json!({"action": "stop", "schedule": "office-hours"});

    // --- stop: the CLI ---
    let moto = Moto::start();
    let t = Instant::now();
    let inventory = moto.seed(&size.spec("office-hours"));
    progress(format!(
        "{}: seeded {n} instances in {:.1} s; CLI stop…",
        size.label(),
        t.elapsed().as_secs_f64()
    ));
    let (cli_wall, cli_calls) = run_cli(&moto, &regions, &input)?;
    verify(
        "CLI stop",
        &moto,
        &inventory,
        &size,
        &cli_calls,
        Verified::Stop,
    )?;
    drop(moto);

    // --- stop: the state machine ---
    let moto = Moto::start();
    let inventory = moto.seed(&size.spec("office-hours"));
    let (lambdas, proxy) = emulator(&moto, &regions);
    progress(format!(
        "{}: CLI {cli_wall:.2} s; state machine stop…",
        size.label()
    ));
    let sfn = run_sfn(&moto, &lambdas, &format!("bench-{}", size.label()), &input)?;
    verify(
        "state machine stop",
        &moto,
        &inventory,
        &size,
        &sfn.calls,
        Verified::Stop,
    )?;
    progress(format!(
        "{}: state machine {:.2} s; outcome verified; state machine start…",
        size.label(),
        sfn.wall
    ));
    // --- start: the state machine, on the fleet it just stopped (one wait, then verification)
    let start_input = json!({"action": "start", "schedule": "office-hours"});
    let start = run_sfn(
        &moto,
        &lambdas,
        &format!("bench-start-{}", size.label()),
        &start_input,
    )?;
    verify(
        "state machine start",
        &moto,
        &inventory,
        &size,
        &start.calls,
        Verified::Start,
    )?;
    progress(format!(
        "{}: state machine start {:.2} s; outcome verified",
        size.label(),
        start.wall
    ));
    let buckets = bucket_stats(proxy.as_ref());
    drop(lambdas);
    drop(proxy);
    let mut lambda_figures = lambda_figures.map(|release_dir| {
        (
            release_dir,
            measure_lambdas(release_dir, moto.endpoint(), &regions, &sfn.captured()),
        )
    });
    drop(moto);

    let reconcile = reconcile_size(&size, &regions, lambda_figures.as_mut())?;

    let run = json!({
        "size": size.label(),
        "accounts": size.accounts,
        "regions": size.regions,
        "instances_per_region": size.per_region,
        "instances": n,
        "cli": {"wall_s": cli_wall, "calls": compare(&cli_calls, &size.floor(1, RunKind::Stop), n)},
        "state_machine": sfn.figures(&size.state_machine_floor(1, RunKind::Stop), n),
        "state_machine_start": start.figures(&size.start_floor(), n),
        "reconcile": reconcile,
        "aws_buckets": buckets,
    });
    Ok((run, lambda_figures.map(|(_, f)| f).unwrap_or(Value::Null)))
}

/// Reconcile at one size: a transition tick and a steady-state tick through the CLI, then on a
/// freshly seeded moto through the state machine. With `measure`, schedule-account is also
/// measured on a steady-state tick and on a replayed transition (added to the figures).
fn reconcile_size(
    size: &Size,
    regions: &str,
    measure: Option<&mut (Option<&Path>, Value)>,
) -> Result<Value, String> {
    let n = size.instances();
    let spec = size.spec(INLINE_SCHEDULE);

    // --- the CLI ---
    let moto = Moto::start();
    let inventory = moto.seed(&spec);
    progress(format!("{}: CLI reconcile transition tick…", size.label()));
    let (t_wall, t_calls) = run_cli(&moto, regions, &reconcile_input(TRANSITION_NOW))?;
    verify(
        "CLI reconcile transition",
        &moto,
        &inventory,
        size,
        &t_calls,
        Verified::Transition,
    )?;
    let (s_wall, s_calls) = run_cli(&moto, regions, &reconcile_input(STEADY_NOW))?;
    check_mutations(
        "CLI reconcile steady state",
        &s_calls,
        &seeded(&inventory).1,
        &[],
    )?;
    progress(format!(
        "{}: CLI reconcile {t_wall:.2} s / {s_wall:.2} s; state machine reconcile…",
        size.label()
    ));
    let cli = json!({
        "transition": {"wall_s": t_wall, "calls": compare(&t_calls, &size.floor(1, RunKind::Transition), n)},
        "steady": {"wall_s": s_wall, "calls": compare(&s_calls, &size.floor(1, RunKind::Steady), n)},
    });
    drop(moto);

    // --- the state machine ---
    let moto = Moto::start();
    let inventory = moto.seed(&spec);
    let (lambdas, proxy) = emulator(&moto, regions);
    let label = size.label();
    let transition = run_sfn(
        &moto,
        &lambdas,
        &format!("bench-reconcile-transition-{label}"),
        &reconcile_input(TRANSITION_NOW),
    )?;
    verify(
        "state machine reconcile transition",
        &moto,
        &inventory,
        size,
        &transition.calls,
        Verified::Transition,
    )?;
    let steady = run_sfn(
        &moto,
        &lambdas,
        &format!("bench-reconcile-steady-{label}"),
        &reconcile_input(STEADY_NOW),
    )?;
    check_mutations(
        "state machine reconcile steady state",
        &steady.calls,
        &seeded(&inventory).1,
        &[],
    )?;
    progress(format!(
        "{label}: state machine reconcile {:.2} s / {:.2} s; outcomes verified",
        transition.wall, steady.wall
    ));
    let buckets = bucket_stats(proxy.as_ref());
    drop(lambdas);
    drop(proxy);
    let sfn = json!({
        "transition": transition.figures(&size.state_machine_floor(1, RunKind::Transition), n),
        "steady": steady.figures(&size.state_machine_floor(1, RunKind::Steady), n),
        "aws_buckets": buckets,
    });

    if let Some((release_dir, figures)) = measure {
        let event = transition.execution.captured("ScheduleAccount")[0]["input"].clone();
        // Steady state first (moto is in it now), then the transition replayed: every instance
        // running again with the day before's last-action tag.
        let steady_fig = measure_reconcile(*release_dir, &moto, regions, &event);
        let ops: Vec<Value> = placed(&inventory)
            .into_iter()
            .flat_map(|((account, region), instances)| {
                [
                    json!({"op": "start", "account": account, "region": region, "instances": instances}),
                    json!({"op": "tag", "account": account, "region": region, "instances": instances,
                           "tags": {LAST_ACTION_KEY: LAST_ACTION_BEFORE}}),
                ]
            })
            .collect();
        moto.script("act.py", &[], &json!({"ops": ops}));
        let transition_fig = measure_reconcile(*release_dir, &moto, regions, &event);
        if let Some(f) = figures.as_object_mut() {
            f.insert(RECONCILE_STEADY.to_owned(), steady_fig);
            f.insert(RECONCILE_TRANSITION.to_owned(), transition_fig);
        }
    }
    Ok(json!({"cli": cli, "state_machine": sfn}))
}

/// schedule-account measured on a reconcile event (one account, all its regions): the first
/// invocation is whatever tick moto's fleet calls for, the following ones are steady state.
fn measure_reconcile(
    release_dir: Option<&Path>,
    moto: &Moto,
    regions: &str,
    event: &Value,
) -> Value {
    let (bin, build) = lambda_binary(release_dir, "schedule-account");
    let mut m = measure_binary(
        &bin,
        "schedule-account",
        &lambda_env(moto.endpoint(), regions),
        event,
    );
    m["build"] = json!(build);
    with_targets(m, release_dir, "schedule-account")
}

/// The figures' keys for schedule-account on reconcile ticks.
const RECONCILE_TRANSITION: &str = "schedule-account (reconcile transition)";
const RECONCILE_STEADY: &str = "schedule-account (reconcile steady state)";

/// Bytes the function processes have logged so far (the emulator's own log excluded).
fn log_bytes(lambdas: &LambdaEmulator) -> u64 {
    lambdas
        .logs
        .iter()
        .skip(1)
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

fn markdown(results: &Value) -> String {
    let sizes: Vec<&Value> = results["sizes"].as_array().into_iter().flatten().collect();
    let mut md = String::new();
    md.push_str("| size (accounts×regions×instances) | instances | run | runner | wall time | API calls | floor | ratio | mutating calls | per-instance calls |\n");
    md.push_str("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for s in &sizes {
        for kind in RunKind::ALL {
            for (runner, key) in [("CLI", "cli"), ("state machine", "state_machine")] {
                let r = &s
                    .pointer(&kind.pointer(key))
                    .cloned()
                    .unwrap_or(Value::Null);
                let c = &r["calls"];
                let per: Vec<&str> = c["per_instance_calls"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                md.push_str(&format!(
                    "| {} | {} | {} | {runner} | {:.2} s | {} | {} | {:.2} | {} | {} |\n",
                    s["size"].as_str().unwrap_or("?"),
                    s["instances"],
                    kind.label(),
                    r["wall_s"].as_f64().unwrap_or_default(),
                    c["total"],
                    c["floor"],
                    c["ratio"].as_f64().unwrap_or_default(),
                    c["mutating"],
                    if per.is_empty() {
                        "none".to_owned()
                    } else {
                        per.join(", ")
                    },
                ));
            }
        }
    }
    let per_instance: usize = sizes
        .iter()
        .flat_map(|s| {
            RunKind::ALL.into_iter().flat_map(move |k| {
                ["cli", "state_machine"].map(|r| {
                    s.pointer(&format!("{}/calls/per_instance_calls", k.pointer(r)))
                        .and_then(Value::as_array)
                        .map(Vec::len)
                        .unwrap_or_default()
                })
            })
        })
        .sum();
    md.push_str(&format!(
        "\nCalls per instance anywhere (an action called at least once per instance at any size, run or runner): {}. The floor column is the CLI's (one AssumeRole per account); the state machine's is the same (one schedule-account invocation per account, ADR 0014), has no Organizations call (list-accounts reads the account registry, which refresh-accounts wrote before the runs, ADR 0013), and counts the run's fixed calls of the hub: its results bucket (the registry list-accounts reads; the account list it writes and the ItemReader reads; the ResultWriter's result file and manifest, which summarize-run reads back: 3 s3:PutObject, 4 s3:GetObject) and the run digest (events:PutEvents; none on a steady-state tick).\n",
        if per_instance == 0 { "none" } else { "SOME (see the last column)" }
    ));

    md.push_str(&start_markdown(&sizes));
    md.push_str(&buckets_markdown(&sizes));
    md.push_str(&growth_markdown(&sizes));

    for (title, kinds) in [
        ("stop", &[RunKind::Stop][..]),
        (
            "reconcile (transition tick ‖ steady-state tick)",
            &[RunKind::Transition, RunKind::Steady][..],
        ),
    ] {
        md.push_str(&format!(
            "\nCalls by action, {title} (CLI / state machine / floor):\n\n"
        ));
        let mut actions = BTreeSet::new();
        for s in &sizes {
            for kind in kinds {
                for key in ["cli", "state_machine"] {
                    if let Some(m) = s
                        .pointer(&format!("{}/calls/by_action", kind.pointer(key)))
                        .and_then(Value::as_object)
                    {
                        actions.extend(m.keys().cloned());
                    }
                }
            }
        }
        md.push_str("| action |");
        for s in &sizes {
            md.push_str(&format!(" {} |", s["size"].as_str().unwrap_or("?")));
        }
        md.push_str("\n| --- |");
        for _ in &sizes {
            md.push_str(" ---: |");
        }
        md.push('\n');
        for a in &actions {
            md.push_str(&format!("| {a} |"));
            for s in &sizes {
                let cells: Vec<String> = kinds
                    .iter()
                    .map(|kind| {
                        let n = |key: &str, field: &str| {
                            s.pointer(&format!("{}/calls/by_action", kind.pointer(key)))
                                .map(|m| m[a.as_str()][field].as_u64().unwrap_or_default())
                                .unwrap_or_default()
                        };
                        format!(
                            "{} / {} / {}",
                            n("cli", "calls"),
                            n("state_machine", "calls"),
                            n("cli", "floor")
                        )
                    })
                    .collect();
                md.push_str(&format!(" {} |", cells.join(" ‖ ")));
            }
            md.push('\n');
        }
    }
    md
}

/// How wall time grows with the size: per size and runner, seconds per account, per
/// account-region and per 1,000 instances, and the growth from the previous size. A run that
/// grows with the slowest account keeps its wall time flat as accounts are added; one that grows
/// with the sum keeps its time per instance flat instead.
/// The state machine's start runs: one wait for the whole run, then one verification child per
/// account with starts (ADR 0012; the local runner's `--wait-ms 0` makes the wait instant).
fn start_markdown(sizes: &[&Value]) -> String {
    let mut md = String::from(
        "\nStart runs through the state machine, on the fleet the stop run just stopped (one wait for the whole run, instant locally, then one verification per account with starts; the floor: a stop's with StartInstances, every region described twice and one more AssumeRole per account):\n\n\
         | size | wall time | API calls | floor | ratio | StartInstances | DescribeInstances | summarize-run / verify-starts invocations | states entered (children included) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n",
    );
    for s in sizes {
        let r = &s["state_machine_start"];
        let c = &r["calls"];
        let action = |a: &str| c["by_action"][a]["calls"].as_u64().unwrap_or(0);
        md.push_str(&format!(
            "| {} | {:.2} s | {} | {} | {:.2} | {} | {} | {} / {} | {} |\n",
            s["size"].as_str().unwrap_or("?"),
            r["wall_s"].as_f64().unwrap_or_default(),
            c["total"],
            c["floor"],
            c["ratio"].as_f64().unwrap_or_default(),
            action("ec2:StartInstances"),
            action("ec2:DescribeInstances"),
            r["invocations"]["summarize-run"],
            r["invocations"]["verify-starts"],
            r["transitions"],
        ));
    }
    md
}

fn growth_markdown(sizes: &[&Value]) -> String {
    let mut md = String::from(
        "\nHow wall time grows (derived from the table above): seconds per account, per account-region and per 1,000 instances, and the growth from the previous size (instances ×, accounts ×, wall time ×).\n\n| run | runner | size | wall | s / account | s / account-region | s / 1,000 instances | vs previous size: instances × / accounts × / wall × |\n| --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n",
    );
    for kind in RunKind::ALL {
        for (runner, key) in [("CLI", "cli"), ("state machine", "state_machine")] {
            let mut previous: Option<(f64, f64, f64)> = None;
            for s in sizes {
                let wall = s
                    .pointer(&format!("{}/wall_s", kind.pointer(key)))
                    .and_then(Value::as_f64)
                    .unwrap_or_default();
                let accounts = s["accounts"].as_f64().unwrap_or(1.0).max(1.0);
                let ar = accounts * s["regions"].as_f64().unwrap_or(1.0).max(1.0);
                let instances = s["instances"].as_f64().unwrap_or(1.0).max(1.0);
                let vs = match previous {
                    Some((i, a, w)) if w > 0.0 => format!(
                        "×{:.1} / ×{:.1} / ×{:.1}",
                        instances / i,
                        accounts / a,
                        wall / w
                    ),
                    _ => "–".to_owned(),
                };
                md.push_str(&format!(
                    "| {} | {runner} | {} | {wall:.2} s | {:.3} | {:.3} | {:.2} | {vs} |\n",
                    kind.label(),
                    s["size"].as_str().unwrap_or("?"),
                    wall / accounts,
                    wall / ar,
                    wall / instances * 1000.0,
                ));
                previous = Some((instances, accounts, wall));
            }
        }
    }
    md
}

// ---- each Lambda binary: init, per-invocation time, peak RSS, zip size ----------------------

const INIT_TARGET_MS: f64 = 30.0;
const RSS_TARGET_MIB: f64 = 16.0;
const ZIP_TARGET_MB: f64 = 6.0;
/// Invocations served per binary (the first one includes the SDK clients' first connections).
const INVOCATIONS: usize = 5;

#[derive(Debug, Default)]
struct RuntimeState {
    first_next: Option<Instant>,
    served: usize,
    sent_at: Vec<Instant>,
    durations: Vec<f64>,
    errors: Vec<String>,
    init_error: Option<String>,
}

/// One HTTP/1.1 request: (method, path, body).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, String)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, String::from_utf8_lossy(&body).into_owned()))
}

/// Serves the Lambda Runtime API on one connection (the runtime keeps connections alive).
fn serve_runtime(
    stream: TcpStream,
    name: &str,
    event: &str,
    state: &std::sync::Mutex<RuntimeState>,
) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some((method, path, body)) = read_request(&mut reader) {
        let now = Instant::now();
        let reply = if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let index = {
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.first_next.get_or_insert(now);
                if s.served >= INVOCATIONS {
                    None
                } else {
                    s.served += 1;
                    s.sent_at.push(Instant::now());
                    Some(s.served)
                }
            };
            let Some(i) = index else {
                // No more events: hold the poll until the bench kills the process.
                std::thread::sleep(Duration::from_secs(600));
                return;
            };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() + 60_000)
                .unwrap_or_default();
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: bench-{i}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:{MANAGEMENT}:function:{name}\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\nContent-Length: {}\r\n\r\n{event}",
                event.len()
            )
        } else {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            if path.ends_with("/response") || path.ends_with("/error") {
                if let Some(sent) = s.sent_at.last().copied() {
                    s.durations
                        .push(now.duration_since(sent).as_secs_f64() * 1000.0);
                }
                if path.ends_with("/error") {
                    s.errors.push(body.chars().take(300).collect());
                }
            } else if path.ends_with("/init/error") {
                s.init_error = Some(body.chars().take(300).collect());
            }
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                .to_owned()
        };
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Peak resident set (VmHWM) of a running process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Runs one Lambda binary against a Runtime API served here, with `event` `INVOCATIONS` times.
fn measure_binary(bin: &Path, name: &str, env: &[(&str, String)], event: &Value) -> Value {
    let Ok(listener) = TcpListener::bind(("127.0.0.1", 0)) else {
        return json!({"error": "no loopback port"});
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let state = std::sync::Arc::new(std::sync::Mutex::new(RuntimeState::default()));
    {
        let state = state.clone();
        let name = name.to_owned();
        let event = event.to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (state, name, event) = (state.clone(), name.clone(), event.clone());
                std::thread::spawn(move || serve_runtime(stream, &name, &event, &state));
            }
        });
    }
    let started = Instant::now();
    let mut command = match (arch().runner(), bin.starts_with(binary_dir())) {
        (Some(qemu), false) => {
            // The binaries are dynamically linked against glibc: qemu finds the arm64 loader
            // and libraries under QEMU_LD_PREFIX (Debian's libc6-arm64-cross by default).
            let prefix = std::env::var("QEMU_LD_PREFIX")
                .unwrap_or_else(|_| "/usr/aarch64-linux-gnu".to_owned());
            let mut c = Command::new(qemu);
            c.arg(bin).env("QEMU_LD_PREFIX", prefix);
            c
        }
        _ => Command::new(bin),
    };
    let child = command
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return json!({"error": format!("spawning {}: {e}", bin.display())}),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut exited = None;
    loop {
        let done = {
            let s = state.lock().unwrap_or_else(|e| e.into_inner());
            s.durations.len() >= INVOCATIONS || s.init_error.is_some()
        };
        if done || Instant::now() > deadline {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            exited = Some(status.to_string());
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let hwm = vm_hwm_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let s = state.lock().unwrap_or_else(|e| e.into_inner());
    let init_ms = s
        .first_next
        .map(|t| t.duration_since(started).as_secs_f64() * 1000.0);
    let mut warm: Vec<f64> = s.durations.iter().skip(1).copied().collect();
    warm.sort_by(f64::total_cmp);
    json!({
        "init_ms": init_ms,
        "first_invocation_ms": s.durations.first(),
        "warm_invocation_ms_median": warm.get(warm.len() / 2),
        "invocations": s.durations.len(),
        "errors": s.errors,
        "init_error": s.init_error,
        "exited": exited,
        "peak_rss_mib": hwm.map(|k| k as f64 / 1024.0),
    })
}

/// A realistic event per function, from the state machine run's captured task inputs.
fn lambda_events(captured: &Value) -> BTreeMap<&'static str, Value> {
    let first = |state: &str| captured[state][0]["input"].clone();
    let mut events = BTreeMap::from([
        // The captures are state inputs: the Task's Parameters applied here.
        (
            "list-accounts",
            json!({"input": first("ListAccounts"), "execution_start": jiff::Timestamp::now().to_string(),
                   "execution": "bench-lambda", "results_bucket": RESULTS_BUCKET}),
        ),
        ("schedule-account", first("ScheduleAccount")),
        // A scheduled refresh: the walk and every account's tags (the bench's sizes are under
        // one refresh's 3,000 reads).
        (REGISTRY_FUNCTION, json!({"action": "refresh"})),
        ("summarize-run", {
            let input = first("SummarizeRun");
            let keys = [
                "request",
                "results",
                "failed_accounts",
                "skipped_accounts",
                "counts",
            ];
            Value::Object(
                keys.iter()
                    .map(|k| ((*k).to_owned(), input[*k].clone()))
                    .collect(),
            )
        }),
    ]);
    // verify-starts runs after a start: the region reports of a start of the same account.
    let account = first("ScheduleAccount");
    let mut request = account["request"].clone();
    request["action"] = json!("start");
    let reports = captured["ScheduleAccount"][0]["output"]["regions"].clone();
    events.insert(
        "verify-starts",
        json!({"request": request, "account": account["account"], "execution": account["execution"], "reports": reports}),
    );
    events
}

/// The binary to measure: the release build under `release_dir` if there is one, else debug.
fn lambda_binary(release_dir: Option<&Path>, name: &str) -> (PathBuf, &'static str) {
    let release_bin = release_dir.map(|d| d.join(arch().triple()).join("release").join(name));
    match (release_bin.filter(|b| b.is_file()), arch().runner()) {
        (Some(b), None) => (b, "release"),
        (Some(b), Some(_)) => (
            b,
            "release arm64 (under qemu: times and RSS are the emulator's)",
        ),
        (None, _) => (binary_dir().join(name), "debug"),
    }
}

/// The zip size (MB) and the targets met or not, added to one binary's figures.
fn with_targets(mut m: Value, release_dir: Option<&Path>, name: &str) -> Value {
    let zip = release_dir
        .map(|d| d.join("lambda").join(name).join("bootstrap.zip"))
        .and_then(|z| std::fs::metadata(z).ok())
        .map(|m| m.len() as f64 / 1_000_000.0);
    m["zip_mb"] = json!(zip);
    let met = |v: Option<f64>, target: f64| match v {
        Some(v) if v < target => json!("met"),
        Some(_) => json!("not met"),
        None => json!("not measured"),
    };
    m["init_target"] = met(m["init_ms"].as_f64(), INIT_TARGET_MS);
    m["rss_target"] = met(m["peak_rss_mib"].as_f64(), RSS_TARGET_MIB);
    m["zip_target"] = met(zip, ZIP_TARGET_MB);
    m
}

/// Every Lambda binary measured against `aws_endpoint` (a seeded moto).
fn measure_lambdas(
    release_dir: Option<&Path>,
    aws_endpoint: String,
    regions: &str,
    captured: &Value,
) -> Value {
    let env = registry_env(lambda_env(aws_endpoint, regions));
    let events = lambda_events(captured);
    let mut out = Map::new();
    for name in FUNCTIONS.into_iter().chain([REGISTRY_FUNCTION]) {
        let (bin, build) = lambda_binary(release_dir, name);
        let event = events.get(name).cloned().unwrap_or(Value::Null);
        progress(format!("measuring {name} ({build})…"));
        let mut m = measure_binary(&bin, name, &env, &event);
        m["build"] = json!(build);
        if name == "schedule-account" {
            // How many regions the measured invocation scheduled (the cost model scales by it).
            let regions = captured["ScheduleAccount"][0]["output"]["regions"]
                .as_array()
                .map_or(1, Vec::len);
            m["regions"] = json!(regions);
        }
        out.insert(name.to_owned(), with_targets(m, release_dir, name));
    }
    Value::Object(out)
}

fn lambda_markdown(lambdas: &Value) -> String {
    let mut md = String::new();
    md.push_str(&format!("| function | build | init (target < {INIT_TARGET_MS} ms) | first invocation | warm invocation (median) | peak RSS (target < {RSS_TARGET_MIB} MiB) | zip (target < {ZIP_TARGET_MB} MB) |\n"));
    md.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (name, m) in lambdas.as_object().into_iter().flatten() {
        let num = |k: &str, unit: &str, digits: usize| match m[k].as_f64() {
            Some(v) => format!("{v:.digits$} {unit}"),
            None => "missing".to_owned(),
        };
        let errors = m["errors"].as_array().map(Vec::len).unwrap_or_default();
        md.push_str(&format!(
            "| {name}{} | {} | {} ({}) | {} | {} | {} ({}) | {} ({}) |\n",
            if errors > 0 {
                format!(" ({errors} invocations answered with an error)")
            } else {
                String::new()
            },
            m["build"].as_str().unwrap_or("?"),
            num("init_ms", "ms", 1),
            m["init_target"].as_str().unwrap_or("?"),
            num("first_invocation_ms", "ms", 1),
            num("warm_invocation_ms_median", "ms", 1),
            num("peak_rss_mib", "MiB", 1),
            m["rss_target"].as_str().unwrap_or("?"),
            num("zip_mb", "MB", 2),
            m["zip_target"].as_str().unwrap_or("?"),
        ));
    }
    if lambdas
        .as_object()
        .into_iter()
        .flatten()
        .any(|(_, m)| m["build"] == "debug")
    {
        md.push_str("\nRelease figures missing: these are the **debug** binaries (pass `--release-dir` with a `cargo lambda build --release` target directory); debug init, RSS and time are not what Lambda runs, and there is no zip.\n");
    }
    md
}

// ---- the scheduler's own AWS bill (docs/cost-model.md) --------------------------------------

/// us-east-1 public list prices. Step Functions' were read on 2026-11-25 from copies of
/// https://aws.amazon.com/step-functions/pricing/ found by search (Standard per transition;
/// Express per request and per GB-second, duration rounded up to 100 ms, memory in 64 MB
/// steps); Lambda's, CloudWatch Logs' and S3's are from memory: check them before quoting.
mod price {
    pub const DATE: &str = "2026-11-25 (us-east-1 list prices; Step Functions read from copies of aws.amazon.com/step-functions/pricing/ that day; Lambda, CloudWatch Logs and S3 from memory, check https://aws.amazon.com/lambda/pricing/, /cloudwatch/pricing/, /s3/pricing/)";
    /// Lambda, x86_64, per GB-second and per request.
    pub const LAMBDA_GB_S: f64 = 0.000_016_666_7;
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// Step Functions Standard, per state transition.
    pub const SFN_TRANSITION: f64 = 0.025 / 1000.0;
    /// Step Functions Express, per request and per GB-second ($0.06 per GB-hour, the first
    /// 1,000 GB-hours a month); duration rounded up to 100 ms, memory billed in 64 MB steps.
    pub const EXPRESS_REQUEST: f64 = 1.00 / 1e6;
    pub const EXPRESS_GB_S: f64 = 0.06 / 3600.0;
    /// CloudWatch Logs ingestion (standard class), per GB.
    pub const LOGS_GB: f64 = 0.50;
    /// S3 PUT (ResultWriter) and GET (summarize-run), per request.
    pub const S3_PUT: f64 = 0.005 / 1000.0;
    pub const S3_GET: f64 = 0.0004 / 1000.0;
}

/// Instances per account-region assumed for the reference deployments (they name no fleet).
const REFERENCE_INSTANCES_PER_REGION: f64 = 25.0;
const LAMBDA_GB: f64 = 0.125; // 128 MB
const EXPRESS_GB: f64 = 0.0625; // 64 MB, the smallest Express billing step
/// The parent (Standard) execution's transitions: ListAccounts, ForEachAccount, SummarizeRun,
/// RunFinished, Succeeded. The children are Express executions, billed per request and
/// duration, not per transition.
const PARENT_TRANSITIONS: f64 = 5.0;
/// A start run with starts goes on from RunFinished: WaitForStarts (once for the run; a Wait
/// is not billed by the second), VerifyEachAccount, SummarizeVerifiedRun, VerifiedRunFinished,
/// then Succeeded: 9 transitions.
const PARENT_TRANSITIONS_START: f64 = 9.0;

const DAYS: f64 = 30.0;
/// Lambda's own START, END and REPORT lines per invocation: an estimate (about 300 bytes in
/// text format), not measured, because the local emulator does not write them.
const PLATFORM_LOG_BYTES_PER_INVOCATION: f64 = 300.0;

/// The run kinds a deployment is billed for.
#[derive(Debug, Clone, Copy)]
enum Billed {
    Stop,
    Start,
    Transition,
    Steady,
}

impl Billed {
    fn label(self) -> &'static str {
        match self {
            Billed::Stop => "stop",
            Billed::Start => "start",
            Billed::Transition => "reconcile transition",
            Billed::Steady => "reconcile steady state",
        }
    }
}

/// Cost per run and per month of the reference deployments, from the measured figures.
fn cost_model(results: &Value) -> Value {
    let l = &results["lambdas"];
    let f64_of = |m: &Value, k: &str| m[k].as_f64();
    // Billed ms of an action-mode invocation: a cold start every time (runs hours apart) plus
    // the measured warm invocation; never below 1 ms.
    let ms = |f: &str| {
        let m = &l[f];
        (f64_of(m, "init_ms").unwrap_or(0.0)
            + f64_of(m, "warm_invocation_ms_median")
                .or(f64_of(m, "first_invocation_ms"))
                .unwrap_or(0.0))
        .max(1.0)
    };
    // schedule-account on a reconcile tick: cold start plus the first invocation on a fleet in
    // that state (runs 5-15 minutes apart may find a warm container; cold is the upper bound).
    let reconcile_ms = |key: &str| {
        let m = &l[key];
        match (f64_of(m, "init_ms"), f64_of(m, "first_invocation_ms")) {
            (Some(i), Some(f)) if m["errors"].as_array().is_none_or(Vec::is_empty) => {
                (i + f).max(1.0)
            }
            _ => ms("schedule-account"),
        }
    };
    // The regions of the measured schedule-account event (one account of the largest size):
    // an account of more regions is billed for proportionally more, as if the regions beyond
    // those measured at once ran one after another (an upper bound: they run at once).
    let measured_regions = l["schedule-account"]["regions"]
        .as_f64()
        .unwrap_or(1.0)
        .max(1.0);
    let account_ms = |region_ms: f64, r: f64| region_ms * (r / measured_regions).max(1.0);
    // Log bytes per instance by run kind, from the largest size's state machine runs.
    let largest = results["sizes"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .max_by_key(|s| s["instances"].as_u64().unwrap_or(0))
        })
        .cloned()
        .unwrap_or(Value::Null);
    let instances = largest["instances"].as_f64().unwrap_or(1.0).max(1.0);
    let log_per_instance = |pointer: &str| {
        largest
            .pointer(pointer)
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
            / instances
    };
    let logs = BTreeMap::from([
        ("stop", log_per_instance("/state_machine/log_bytes")),
        (
            "transition",
            log_per_instance("/reconcile/state_machine/transition/log_bytes"),
        ),
        (
            "steady",
            log_per_instance("/reconcile/state_machine/steady/log_bytes"),
        ),
    ]);

    let run = |kind: Billed, a: f64, r: f64| -> Value {
        let (region_ms, log_key) = match kind {
            Billed::Stop | Billed::Start => (ms("schedule-account"), "stop"),
            Billed::Transition => (reconcile_ms(RECONCILE_TRANSITION), "transition"),
            Billed::Steady => (reconcile_ms(RECONCILE_STEADY), "steady"),
        };
        let start = matches!(kind, Billed::Start);
        // A start run: summarize-run twice (the verification items, then the summary), and
        // verify-starts once per account (every account starts something at the reference
        // fleet), each in its own Express child.
        let verify = if start { a } else { 0.0 };
        let summarize = if start { 2.0 } else { 1.0 };
        // One schedule-account invocation per account, its regions inside (ADR 0014).
        let child_ms = account_ms(region_ms, r);
        let invocations = 1.0 + summarize + a + verify;
        let lambda_ms = ms("list-accounts")
            + summarize * ms("summarize-run")
            + a * child_ms
            + verify * ms("verify-starts");
        let lambda_gb_s = lambda_ms / 1000.0 * LAMBDA_GB;
        let lambda = lambda_gb_s * price::LAMBDA_GB_S + invocations * price::LAMBDA_REQUEST;
        let transitions = if start {
            PARENT_TRANSITIONS_START
        } else {
            PARENT_TRANSITIONS
        };
        let standard = transitions * price::SFN_TRANSITION;
        // One Express child per account: its one schedule-account task; on a start run one
        // more per account, its verification (the parent waits once, not the children); each
        // rounded up to 100 ms.
        let child_s = (child_ms / 100.0).ceil() / 10.0;
        let verify_child_s = (ms("verify-starts") / 100.0).ceil() / 10.0;
        let (children, children_s) = if start {
            (2.0 * a, a * (child_s + verify_child_s))
        } else {
            (a, a * child_s)
        };
        let express_gb_s = children_s * EXPRESS_GB;
        let express = children * price::EXPRESS_REQUEST + express_gb_s * price::EXPRESS_GB_S;
        let fleet = a * r * REFERENCE_INSTANCES_PER_REGION;
        let log_bytes = logs[log_key] * fleet + invocations * PLATFORM_LOG_BYTES_PER_INVOCATION;
        let cloudwatch = log_bytes / 1e9 * price::LOGS_GB;
        // The account Map's ResultWriter (manifest and a result file) read back by
        // summarize-run; a start run adds the verification items (the results read, the
        // items written), the ItemReader's read and the verification Map's ResultWriter,
        // read back too.
        // And the account registry list-accounts reads (ADR 0013), the account list it writes
        // and the account Map's ItemReader reads.
        let s3 = if start {
            6.0 * price::S3_PUT + 9.0 * price::S3_GET
        } else {
            3.0 * price::S3_PUT + 4.0 * price::S3_GET
        };
        // The free API calls at the floor (state machine: no Organizations call, the account
        // registry is read instead; one AssumeRole per account, two in a start run).
        let batches = a * r * (REFERENCE_INSTANCES_PER_REGION / BATCH as f64).ceil();
        let changes = if matches!(kind, Billed::Steady) {
            0.0
        } else {
            batches
        };
        let create_tags = if matches!(kind, Billed::Transition) {
            batches
        } else {
            0.0
        };
        let api_calls = if start { 2.0 * a } else { a }
            + a
            + a * r * (REFERENCE_INSTANCES_PER_REGION / DESCRIBE_PAGE as f64).ceil()
            + changes
            + create_tags;
        json!({
            "kind": kind.label(),
            "lambda_requests": invocations, "lambda_gb_s": lambda_gb_s,
            "standard_transitions": transitions, "express_requests": children,
            "express_billed_s_per_child": child_s, "express_gb_s": express_gb_s,
            "log_bytes": log_bytes,
            "free_api_calls": api_calls, "create_tags_calls": create_tags,
            "cost": {"lambda": lambda, "step_functions_standard": standard, "step_functions_express": express,
                     "cloudwatch_logs": cloudwatch, "s3": s3, "ec2_sts_organizations_calls": 0.0},
            "per_run_usd": lambda + standard + express + cloudwatch + s3,
        })
    };

    // (name, accounts, regions, [(run kind, runs a month)]).
    let every = |minutes: f64| DAYS * 24.0 * 60.0 / minutes;
    let transitions = 2.0 * DAYS;
    let deployments = [
        (
            "2 accounts × 2 regions, reconcile every 5 min",
            2.0,
            2.0,
            vec![
                (Billed::Steady, every(5.0) - transitions),
                (Billed::Transition, transitions),
            ],
        ),
        (
            "100 accounts × 4 regions, 2 action runs a day",
            100.0,
            4.0,
            vec![(Billed::Stop, DAYS), (Billed::Start, DAYS)],
        ),
        (
            "1,000 accounts × 10 regions, reconcile every 15 min",
            1000.0,
            10.0,
            vec![
                (Billed::Steady, every(15.0) - transitions),
                (Billed::Transition, transitions),
            ],
        ),
    ];
    let rows: Vec<Value> = deployments
        .iter()
        .map(|(name, a, r, kinds)| {
            let runs: Vec<Value> = kinds
                .iter()
                .map(|(kind, n)| {
                    let mut v = run(*kind, *a, *r);
                    v["runs_per_month"] = json!(n);
                    v["per_month_usd"] = json!(v["per_run_usd"].as_f64().unwrap_or(0.0) * n);
                    v
                })
                .collect();
            let month: f64 = runs
                .iter()
                .filter_map(|v| v["per_month_usd"].as_f64())
                .sum();
            let count: f64 = kinds.iter().map(|(_, n)| n).sum();
            json!({"deployment": name, "accounts": a, "regions": r, "runs_per_month": count,
                   "runs": runs, "per_month_usd": month})
        })
        .collect();
    json!({
        "prices_as_of": price::DATE,
        "assumptions": {
            "lambda_memory_mb": 128, "express_billed_mb": 64,
            "parent_standard_transitions": PARENT_TRANSITIONS,
            "parent_standard_transitions_start": PARENT_TRANSITIONS_START,
            "instances_per_account_region": REFERENCE_INSTANCES_PER_REGION,
            "transition_ticks_per_day": 2,
            "platform_log_bytes_per_invocation": PLATFORM_LOG_BYTES_PER_INVOCATION,
            "log_bytes_per_instance": logs,
            "billed_ms": FUNCTIONS.iter().map(|f| ((*f).to_owned(), json!(ms(f))))
                .chain([RECONCILE_TRANSITION, RECONCILE_STEADY].map(|k| (k.to_owned(), json!(reconcile_ms(k)))))
                .collect::<Map<String, Value>>(),
        },
        "deployments": rows,
    })
}

fn cost_markdown(cost: &Value) -> String {
    let a = &cost["assumptions"];
    let logs = &a["log_bytes_per_instance"];
    let mut md = format!(
        "\nThe scheduler's own bill (docs/cost-model.md), prices as of {}. {:.0} instances per account-region assumed; log bytes per instance measured from the functions' logs in the largest size's state machine runs: stop {:.0}, reconcile transition {:.0}, reconcile steady state {:.0}, plus an estimated {:.0} bytes of Lambda's START/END/REPORT lines per invocation. Billed ms per invocation (cold start + invocation): {}. The parent execution is billed {:.0} Standard transitions a run ({:.0} a start run, which waits once and verifies each account in an Express child of its own); each account's child execution as Express (a request, duration rounded up to 100 ms, 64 MB). Reconcile deployments: 2 transition ticks a day (the stop and the start), every other tick steady state. EC2, STS and Organizations API calls (CreateTags included) cost nothing; their count per run at the floor is shown.\n\n",
        cost["prices_as_of"].as_str().unwrap_or("?"),
        a["instances_per_account_region"].as_f64().unwrap_or_default(),
        logs["stop"].as_f64().unwrap_or_default(),
        logs["transition"].as_f64().unwrap_or_default(),
        logs["steady"].as_f64().unwrap_or_default(),
        a["platform_log_bytes_per_invocation"].as_f64().unwrap_or_default(),
        a["billed_ms"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k} {:.1}", v.as_f64().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", "),
        a["parent_standard_transitions"].as_f64().unwrap_or_default(),
        a["parent_standard_transitions_start"].as_f64().unwrap_or_default(),
    );
    md.push_str("| deployment | run | runs/month | Lambda | SFN standard | SFN express | logs (bytes) | free API calls (CreateTags) | per run | per month |\n");
    md.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    let usd = |v: &Value| format!("${:.6}", v.as_f64().unwrap_or_default());
    for d in cost["deployments"].as_array().into_iter().flatten() {
        for r in d["runs"].as_array().into_iter().flatten() {
            let c = &r["cost"];
            md.push_str(&format!(
                "| {} | {} | {:.0} | {} | {} | {} | {} ({:.0}) | {:.0} ({:.0}) | {} | ${:.4} |\n",
                d["deployment"].as_str().unwrap_or("?"),
                r["kind"].as_str().unwrap_or("?"),
                r["runs_per_month"].as_f64().unwrap_or_default(),
                usd(&c["lambda"]),
                usd(&c["step_functions_standard"]),
                usd(&c["step_functions_express"]),
                usd(&c["cloudwatch_logs"]),
                r["log_bytes"].as_f64().unwrap_or_default(),
                r["free_api_calls"].as_f64().unwrap_or_default(),
                r["create_tags_calls"].as_f64().unwrap_or_default(),
                usd(&r["per_run_usd"]),
                r["per_month_usd"].as_f64().unwrap_or_default(),
            ));
        }
        md.push_str(&format!(
            "| **{}** | **all** | {:.0} | | | | | | | **${:.2}** |\n",
            d["deployment"].as_str().unwrap_or("?"),
            d["runs_per_month"].as_f64().unwrap_or_default(),
            d["per_month_usd"].as_f64().unwrap_or_default(),
        ));
    }
    md
}
