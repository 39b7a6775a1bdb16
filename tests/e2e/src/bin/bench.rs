//! `uptime-bench`: API calls, wall time, Lambda cold start and memory, and the scheduler's own
//! AWS bill, at growing fleet sizes. `scripts/bench` is the front door.
//!
//! For each size (accounts, regions, instances per account-region) it starts moto, seeds the
//! fleet (every instance `Schedule=office-hours`, running, on-demand; the first account-region
//! with `separate_calls`, one reservation per instance, so DescribeInstances can page), stops it
//! once through the CLI and once (on a freshly seeded moto) through the local state machine
//! with the real Lambda binaries, **verifies** that exactly the seeded instances were stopped,
//! once each, and nothing else was touched, and records moto's API call counts against the
//! floor and the wall times. It then measures each Lambda binary (init, per-invocation time,
//! peak RSS, zip size) and prints the cost model of `docs/cost-model.md` from the figures.
//! Writes `results.json` and `results.md` to `--out`.
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
use uptime_testkit::local::{binary_dir, lambda_env, FUNCTIONS};
use uptime_testkit::moto::{repo_root, Moto};
use uptime_testkit::{run_state_machine, LambdaEmulator};

/// Regions in the order sizes take them.
const REGIONS: [&str; 4] = ["eu-west-1", "us-east-1", "us-west-2", "eu-central-1"];
const MANAGEMENT: &str = "123456789012";
/// The start/stop batch (BATCH_SIZE's default).
const BATCH: u64 = 50;
/// DescribeInstances: at most 1,000 results a page.
const DESCRIBE_PAGE: u64 = 1000;
/// ListAccounts: at most 20 accounts a page on AWS.
const LIST_ACCOUNTS_PAGE: u64 = 20;
/// Lambda processes per function behind the emulator.
const COPIES: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Sizes {
    Smoke,
    Default,
    All,
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
    fn spec(&self) -> Value {
        let accounts: Vec<Value> = (0..self.accounts)
            .map(|a| {
                let regions: Map<String, Value> = self
                    .regions()
                    .iter()
                    .enumerate()
                    .map(|(r, region)| {
                        let mut group = json!({"count": self.per_region, "tags": {"Schedule": "office-hours"}});
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
    /// The fewest calls a stop run can make (see docs/cost-model.md for how they are counted).
    /// `assume_per_account`: AssumeRole calls per account (the CLI: 1; the state machine: one
    /// per function container that touches the account).
    fn floor(&self, assume_per_account: u64) -> BTreeMap<String, u64> {
        let listed = self.accounts + 1; // the management account is listed too
        let per_region_pages = self.per_region.div_ceil(DESCRIBE_PAGE);
        let per_region_batches = self.per_region.div_ceil(BATCH);
        let ar = self.accounts * self.regions;
        BTreeMap::from([
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
            ("ec2:StopInstances".to_owned(), ar * per_region_batches),
        ])
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
    }
}

fn progress(message: impl AsRef<str>) {
    eprintln!("bench: {}", message.as_ref());
}

fn main() -> ExitCode {
    let args = Args::parse();
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
            "floor": "ListAccounts: ceil((members + management)/20) pages; ListTagsForResource: one per listed account (management included); AssumeRole: one per member account for the CLI, one per Lambda function (prepare-account, schedule-region) per account for the state machine; DescribeRegions: one per account; DescribeInstances: one page per 1,000 instances per account-region; StopInstances: one per 50 instances per account-region",
        },
    });
    let mut results = results;
    results["cost"] = cost_model(&results);
    let mut md = markdown(&results);
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

/// Every seeded instance stopped, by exactly one StopInstances each, and no other mutating call.
fn verify(
    what: &str,
    moto: &Moto,
    inventory: &Value,
    size: &Size,
    recorded: &Value,
) -> Result<(), String> {
    let (mut accounts, ids) = seeded(inventory);
    if ids.len() as u64 != size.instances() {
        return Err(format!(
            "{what}: seeded {} instances, expected {}",
            ids.len(),
            size.instances()
        ));
    }
    let mut stopped: BTreeMap<String, u64> = BTreeMap::new();
    for m in recorded["mutating"].as_array().into_iter().flatten() {
        if m["service"] != "ec2" || m["action"] != "StopInstances" {
            return Err(format!("{what}: unexpected mutating call {m}"));
        }
        for id in m["instance_ids"].as_array().into_iter().flatten() {
            let id = id.as_str().unwrap_or_default().to_owned();
            if !ids.contains(&id) {
                return Err(format!(
                    "{what}: stopped {id}, which was not seeded to be stopped"
                ));
            }
            *stopped.entry(id).or_default() += 1;
        }
    }
    if let Some((id, n)) = stopped.iter().find(|(_, n)| **n != 1) {
        return Err(format!("{what}: {id} was stopped {n} times"));
    }
    if stopped.len() != ids.len() {
        return Err(format!(
            "{what}: {} of {} instances stopped",
            stopped.len(),
            ids.len()
        ));
    }
    accounts.push(MANAGEMENT.to_owned());
    let snapshot = moto.snapshot(&accounts, &REGIONS);
    let mut seen = 0;
    for (id, v) in snapshot.as_object().into_iter().flatten() {
        let state = v["state"].as_str().unwrap_or("?");
        if !ids.contains(id) {
            return Err(format!("{what}: an instance nobody seeded: {id} ({state})"));
        }
        seen += 1;
        if !matches!(state, "stopped" | "stopping") {
            return Err(format!("{what}: {id} is {state} after the stop run"));
        }
    }
    if seen != ids.len() {
        return Err(format!(
            "{what}: moto reports {seen} of {} seeded instances",
            ids.len()
        ));
    }
    Ok(())
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
        "per_instance_calls": per_instance,
        "by_action": rows,
    })
}

/// One size: a CLI stop and a state machine stop, each on a freshly seeded moto.
fn run_size(size: Size, lambda_figures: Option<Option<&Path>>) -> Result<(Value, Value), String> {
    let regions = size.regions().join(",");
    let input = json!({"action": "stop", "schedule": "office-hours"});

    // --- the CLI ---
    let moto = Moto::start();
    let t = Instant::now();
    let inventory = moto.seed(&size.spec());
    progress(format!(
        "{}: seeded {} instances in {:.1} s; CLI stop…",
        size.label(),
        size.instances(),
        t.elapsed().as_secs_f64()
    ));
    moto.calls("start");
    let env = lambda_env(moto.endpoint(), &regions);
    let t = Instant::now();
    let mut child = Command::new(binary_dir().join("uptime-scheduler"))
        .args([
            "run",
            "--input",
            "-",
            "--regions",
            &regions,
            "--output",
            "json",
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
    let cli_wall = t.elapsed().as_secs_f64();
    moto.calls("stop");
    let cli_calls = moto.calls("dump");
    if !output.status.success() {
        return Err(format!(
            "the CLI run failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    verify("CLI", &moto, &inventory, &size, &cli_calls)?;
    drop(moto);

    // --- the state machine ---
    let moto = Moto::start();
    let inventory = moto.seed(&size.spec());
    let lambdas = LambdaEmulator::start(&lambda_env(moto.endpoint(), &regions), COPIES);
    // Let every function reach its first poll before the clock starts.
    std::thread::sleep(Duration::from_millis(500));
    progress(format!(
        "{}: CLI {cli_wall:.2} s; state machine stop…",
        size.label()
    ));
    let log_bytes_before = log_bytes(&lambdas);
    moto.calls("start");
    let t = Instant::now();
    let capture = [
        "ListAccounts",
        "PrepareAccount",
        "ScheduleRegion",
        "SummarizeRun",
    ];
    let execution = run_state_machine(
        &lambdas.endpoint(),
        &format!("bench-{}", size.label()),
        &input,
        &capture,
    );
    let sfn_wall = t.elapsed().as_secs_f64();
    moto.calls("stop");
    let sfn_calls = moto.calls("dump");
    let log_bytes = log_bytes(&lambdas).saturating_sub(log_bytes_before);
    if execution.status() != "SUCCEEDED" {
        return Err(format!(
            "the state machine run ended {}: {}\n{}",
            execution.status(),
            execution.raw,
            lambdas.log_tails()
        ));
    }
    verify("state machine", &moto, &inventory, &size, &sfn_calls)?;
    let invocations: Map<String, Value> = FUNCTIONS
        .iter()
        .map(|f| ((*f).to_owned(), json!(execution.invocations(f))))
        .collect();
    let captured: Map<String, Value> = capture
        .iter()
        .map(|s| ((*s).to_owned(), json!(execution.captured(s))))
        .collect();
    progress(format!(
        "{}: state machine {sfn_wall:.2} s; outcome verified",
        size.label()
    ));
    drop(lambdas);
    let lambda_figures = lambda_figures.map(|release_dir| {
        measure_lambdas(
            release_dir,
            moto.endpoint(),
            &regions,
            &Value::Object(captured.clone()),
        )
    });
    let run = json!({
        "size": size.label(),
        "accounts": size.accounts,
        "regions": size.regions,
        "instances_per_region": size.per_region,
        "instances": size.instances(),
        "cli": {"wall_s": cli_wall, "calls": compare(&cli_calls, &size.floor(1), size.instances())},
        "state_machine": {
            "wall_s": sfn_wall,
            "calls": compare(&sfn_calls, &size.floor(2), size.instances()),
            "transitions": execution.transitions(),
            "invocations": invocations,
            "log_bytes": log_bytes,
        },
    });
    Ok((run, lambda_figures.unwrap_or(Value::Null)))
}

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
    let mut md = String::new();
    md.push_str("| size (accounts×regions×instances) | instances | runner | wall time | API calls | floor | ratio | per-instance calls |\n");
    md.push_str("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |\n");
    for s in results["sizes"].as_array().into_iter().flatten() {
        for (runner, key) in [("CLI", "cli"), ("state machine", "state_machine")] {
            let r = &s[key];
            let c = &r["calls"];
            let per: Vec<&str> = c["per_instance_calls"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            md.push_str(&format!(
                "| {} | {} | {runner} | {:.2} s | {} | {} | {:.2} | {} |\n",
                s["size"].as_str().unwrap_or("?"),
                s["instances"],
                r["wall_s"].as_f64().unwrap_or_default(),
                c["total"],
                c["floor"],
                c["ratio"].as_f64().unwrap_or_default(),
                if per.is_empty() {
                    "none".to_owned()
                } else {
                    per.join(", ")
                },
            ));
        }
    }
    md.push_str("\nCalls by action (CLI / state machine / floor):\n\n");
    let mut actions = BTreeSet::new();
    for s in results["sizes"].as_array().into_iter().flatten() {
        for key in ["cli", "state_machine"] {
            if let Some(m) = s[key]["calls"]["by_action"].as_object() {
                actions.extend(m.keys().cloned());
            }
        }
    }
    md.push_str("| action |");
    for s in results["sizes"].as_array().into_iter().flatten() {
        md.push_str(&format!(" {} |", s["size"].as_str().unwrap_or("?")));
    }
    md.push_str("\n| --- |");
    for _ in results["sizes"].as_array().into_iter().flatten() {
        md.push_str(" ---: |");
    }
    md.push('\n');
    for a in &actions {
        md.push_str(&format!("| {a} |"));
        for s in results["sizes"].as_array().into_iter().flatten() {
            let n = |key: &str, field: &str| {
                s[key]["calls"]["by_action"][a][field]
                    .as_u64()
                    .unwrap_or_default()
            };
            md.push_str(&format!(
                " {} / {} / {} |",
                n("cli", "calls"),
                n("state_machine", "calls"),
                n("cli", "floor")
            ));
        }
        md.push('\n');
    }
    md
}

// ---- each Lambda binary: init, per-invocation time, peak RSS, zip size ----------------------

const INIT_TARGET_MS: f64 = 30.0;
const RSS_TARGET_MIB: f64 = 32.0;
const ZIP_TARGET_MB: f64 = 8.0;
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
    let child = Command::new(bin)
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
            json!({"input": first("ListAccounts"), "execution_start": jiff::Timestamp::now().to_string()}),
        ),
        ("prepare-account", first("PrepareAccount")),
        ("schedule-region", first("ScheduleRegion")),
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
    // verify-starts runs after a start: the region reports of a start of the same region.
    let region = first("ScheduleRegion");
    let mut request = region["request"].clone();
    request["action"] = json!("start");
    let report = captured["ScheduleRegion"][0]["output"].clone();
    events.insert(
        "verify-starts",
        json!({"request": request, "account": region["account"], "execution": region["execution"], "reports": [report]}),
    );
    events
}

/// Every Lambda binary measured against `aws_endpoint` (a seeded moto).
fn measure_lambdas(
    release_dir: Option<&Path>,
    aws_endpoint: String,
    regions: &str,
    captured: &Value,
) -> Value {
    let env = lambda_env(aws_endpoint, regions);
    let events = lambda_events(captured);
    let mut out = Map::new();
    for name in FUNCTIONS {
        let release_bin =
            release_dir.map(|d| d.join("x86_64-unknown-linux-gnu/release").join(name));
        let (bin, build) = match release_bin.filter(|b| b.is_file()) {
            Some(b) => (b, "release"),
            None => (binary_dir().join(name), "debug"),
        };
        let zip = release_dir
            .map(|d| d.join("lambda").join(name).join("bootstrap.zip"))
            .and_then(|z| std::fs::metadata(z).ok())
            .map(|m| m.len() as f64 / 1_000_000.0);
        let event = events.get(name).cloned().unwrap_or(Value::Null);
        progress(format!("measuring {name} ({build})…"));
        let mut m = measure_binary(&bin, name, &env, &event);
        m["build"] = json!(build);
        m["zip_mb"] = json!(zip);
        let met = |v: Option<f64>, target: f64| match v {
            Some(v) if v < target => json!("met"),
            Some(_) => json!("not met"),
            None => json!("not measured"),
        };
        m["init_target"] = met(m["init_ms"].as_f64(), INIT_TARGET_MS);
        m["rss_target"] = met(m["peak_rss_mib"].as_f64(), RSS_TARGET_MIB);
        m["zip_target"] = met(zip, ZIP_TARGET_MB);
        out.insert(name.to_owned(), m);
    }
    Value::Object(out)
}

fn lambda_markdown(lambdas: &Value) -> String {
    let mut md = String::new();
    md.push_str("| function | build | init (target < 30 ms) | first invocation | warm invocation (median) | peak RSS (target < 32 MiB) | zip (target < 8 MB) |\n");
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

/// us-east-1 public list prices as stated for 2026-11; check them before relying on the figures.
mod price {
    pub const DATE: &str = "2026-11 (us-east-1 list prices; check https://aws.amazon.com/lambda/pricing/, /step-functions/pricing/, /cloudwatch/pricing/)";
    /// Lambda, x86_64, per GB-second and per request.
    pub const LAMBDA_GB_S: f64 = 0.000_016_666_7;
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// Step Functions Standard, per state transition.
    pub const SFN_TRANSITION: f64 = 0.025 / 1000.0;
    /// Step Functions Express, per request and per GB-second (first tier; billed in 64 MB steps).
    pub const EXPRESS_REQUEST: f64 = 1.00 / 1e6;
    pub const EXPRESS_GB_S: f64 = 0.000_016_67;
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

/// Cost per run and per month of the reference deployments, from the measured figures.
fn cost_model(results: &Value) -> Value {
    let l = &results["lambdas"];
    // Billed ms per invocation: a cold start every time (runs minutes apart) plus the measured
    // warm invocation; never below 1 ms.
    let ms = |f: &str| {
        let m = &l[f];
        (m["init_ms"].as_f64().unwrap_or(0.0)
            + m["warm_invocation_ms_median"]
                .as_f64()
                .unwrap_or(m["first_invocation_ms"].as_f64().unwrap_or(0.0)))
        .max(1.0)
    };
    // Log bytes per instance and per account-region, from the largest measured size.
    let largest = results["sizes"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .max_by_key(|s| s["instances"].as_u64().unwrap_or(0))
        })
        .cloned()
        .unwrap_or(Value::Null);
    let log_bytes = largest["state_machine"]["log_bytes"]
        .as_f64()
        .unwrap_or(0.0);
    let instances = largest["instances"].as_f64().unwrap_or(1.0).max(1.0);
    let log_per_instance = log_bytes / instances;
    let deployments = [
        (
            "2 accounts × 2 regions, reconcile every 5 min",
            2.0,
            2.0,
            30.0 * 24.0 * 12.0,
        ),
        (
            "100 accounts × 4 regions, 2 action runs a day",
            100.0,
            4.0,
            60.0,
        ),
        (
            "1,000 accounts × 10 regions, every 15 min",
            1000.0,
            10.0,
            30.0 * 24.0 * 4.0,
        ),
    ];
    let rows: Vec<Value> = deployments
        .iter()
        .map(|(name, a, r, runs)| {
            let invocations = 2.0 + a + a * r; // list, summarize; prepare per account; region per account-region
            let lambda_ms = ms("list-accounts") + ms("summarize-run") + a * ms("prepare-account") + a * r * ms("schedule-region");
            let lambda = lambda_ms / 1000.0 * LAMBDA_GB * price::LAMBDA_GB_S + invocations * price::LAMBDA_REQUEST;
            // Parent: ListAccounts, ForEachAccount, SummarizeRun, RunFinished, Succeeded, plus
            // one transition per child started (assumed; Distributed Map bills item starts).
            let transitions = 5.0 + a;
            let standard = transitions * price::SFN_TRANSITION;
            // Children: one Express request per account, duration = prepare + the region Map
            // (10 at a time) of schedule-region invocations.
            let child_s = (ms("prepare-account") + (r / 10.0).ceil() * ms("schedule-region")) / 1000.0;
            let express = a * price::EXPRESS_REQUEST + a * child_s * EXPRESS_GB * price::EXPRESS_GB_S;
            let log_gb = (log_per_instance * a * r * REFERENCE_INSTANCES_PER_REGION) / 1e9;
            let logs = log_gb * price::LOGS_GB;
            let s3 = 2.0 * price::S3_PUT + 2.0 * price::S3_GET;
            let per_run = lambda + standard + express + logs + s3;
            json!({
                "deployment": name, "runs_per_month": runs,
                "lambda_requests": invocations, "lambda_gb_s": lambda_ms / 1000.0 * LAMBDA_GB,
                "standard_transitions": transitions, "express_requests": a, "express_gb_s": a * child_s * EXPRESS_GB,
                "log_bytes": log_gb * 1e9,
                "cost": {"lambda": lambda, "step_functions_standard": standard, "step_functions_express": express,
                         "cloudwatch_logs": logs, "s3": s3, "ec2_sts_organizations_calls": 0.0},
                "per_run_usd": per_run, "per_month_usd": per_run * runs,
            })
        })
        .collect();
    json!({
        "prices_as_of": price::DATE,
        "assumptions": {
            "lambda_memory_mb": 128, "express_billed_mb": 64,
            "instances_per_account_region": REFERENCE_INSTANCES_PER_REGION,
            "log_bytes_per_instance": log_per_instance,
            "billed_ms": FUNCTIONS.iter().map(|f| ((*f).to_owned(), json!(ms(f)))).collect::<Map<String, Value>>(),
        },
        "deployments": rows,
    })
}

fn cost_markdown(cost: &Value) -> String {
    let mut md = format!(
        "\nThe scheduler's own bill (docs/cost-model.md), prices as of {}; {:.0} instances per account-region assumed, {:.0} log bytes per instance measured. EC2, STS and Organizations API calls cost nothing.\n\n",
        cost["prices_as_of"].as_str().unwrap_or("?"),
        cost["assumptions"]["instances_per_account_region"].as_f64().unwrap_or_default(),
        cost["assumptions"]["log_bytes_per_instance"].as_f64().unwrap_or_default(),
    );
    md.push_str("| deployment | runs/month | Lambda | SFN standard | SFN express | logs | per run | per month |\n");
    md.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for d in cost["deployments"].as_array().into_iter().flatten() {
        let c = &d["cost"];
        let usd = |v: &Value| format!("${:.6}", v.as_f64().unwrap_or_default());
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | ${:.2} |\n",
            d["deployment"].as_str().unwrap_or("?"),
            d["runs_per_month"],
            usd(&c["lambda"]),
            usd(&c["step_functions_standard"]),
            usd(&c["step_functions_express"]),
            usd(&c["cloudwatch_logs"]),
            usd(&d["per_run_usd"]),
            d["per_month_usd"].as_f64().unwrap_or_default(),
        ));
    }
    md
}
