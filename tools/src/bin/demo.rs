//! `uptime-demo`: the whole scheduler on a laptop. Starts moto seeded with a demo organization,
//! the five Lambda binaries behind cargo lambda's emulator, runs the real state machine
//! definition once with the local Step Functions interpreter, and prints a report for people.
//!
//! `scripts/demo` is the front door: it checks the prerequisites, installs the Python and Node
//! tooling, builds the binaries and runs this. Run on its own, it needs all of that done.
//!
//! Instance states carry over between runs: after a run that changed something, the states moto
//! reports are saved in `.cache/demo/state.json` and the next run seeds them again, so a
//! `--action start` after a stop starts what the stop stopped. `--fresh` forgets them.

use clap::{Parser, ValueEnum};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use uptime_cli::table;
use uptime_lambda::results::account_report;
use uptime_model::report::RunSummary;
use uptime_model::{AccountId, AccountReport, Counts, RunRequest};
use uptime_testkit::local::{lambda_env, FUNCTIONS};
use uptime_testkit::moto::{repo_root, Moto};
use uptime_testkit::{run_state_machine, LambdaEmulator, LocalExecution};

const ENABLED_TAG: &str = "uptime-scheduler:enabled";
const REGIONS_TAG: &str = "uptime-scheduler:regions";
const SCHEDULE_TAG: &str = "Schedule";
const OPT_OUT: &str = "ignore";
/// The role seed.py creates instances through; moto lets any role be assumed.
const MEMBER_ACCESS_ROLE: &str = "OrganizationAccountAccessRole";
/// The Lambda processes per function (the region Map runs them concurrently).
const COPIES: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Action {
    Stop,
    Start,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Stop => "stop",
            Action::Start => "start",
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "uptime-demo",
    about = "Run the Uptime Scheduler's state machine locally (moto, the real Lambdas) on a demo organization and report what it did"
)]
struct Args {
    /// What the run does to the opted-in instances of the schedule.
    #[arg(long, value_enum, default_value_t = Action::Stop)]
    action: Action,
    /// Decide and report, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// After the report, keep moto and the Lambdas running (prints how to reach them) until
    /// Ctrl-C or end of standard input.
    #[arg(long)]
    keep: bool,
    /// Only instances whose Schedule tag names this schedule.
    #[arg(long, default_value = "office-hours")]
    schedule: String,
    /// The organization to seed (see tests/harness/README.md) [default: examples/demo-org.json].
    #[arg(long)]
    org: Option<PathBuf>,
    /// Seed the organization as the file says, forgetting the states earlier runs left.
    #[arg(long)]
    fresh: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match demo(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("uptime-demo: {e}");
            ExitCode::from(2)
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn progress(message: impl AsRef<str>) {
    eprintln!("demo: {}", message.as_ref());
}

/// The whole demo; `Err` only for problems before anything runs (bad arguments, bad files).
fn demo(args: &Args) -> Result<ExitCode, String> {
    let started = Instant::now();
    let root = repo_root().canonicalize().unwrap_or_else(|_| repo_root());
    let org_path = args
        .org
        .clone()
        .unwrap_or_else(|| root.join("examples/demo-org.json"));
    let org_text = std::fs::read_to_string(&org_path)
        .map_err(|e| format!("reading {}: {e}", org_path.display()))?;
    let org: Value = serde_json::from_str(&org_text)
        .map_err(|e| format!("{} is not JSON: {e}", org_path.display()))?;
    let input = json!({
        "action": args.action.as_str(),
        "schedule": args.schedule,
        "dry_run": args.dry_run,
    });
    // Refuse a bad input before starting anything (list-accounts would refuse it too).
    RunRequest::from_json(&input, jiff::Timestamp::now()).map_err(|e| e.to_string())?;
    let regions = spec_regions(&org);
    if regions.is_empty() {
        return Err(format!(
            "{} has no instances in any region",
            org_path.display()
        ));
    }

    let state_file = root.join(".cache/demo/state.json");
    if args.fresh {
        let _ = std::fs::remove_file(&state_file);
    }
    let carried = if args.fresh {
        None
    } else {
        load_state(&state_file, &org)
    };
    let layout = Layout::new(&org, carried.as_ref().map(|c| &c.states));

    let seed_started = Instant::now();
    let moto = Moto::start();
    progress(format!(
        "moto on {}; seeding {} ({} member accounts, {} instances in {})…",
        moto.endpoint(),
        display_path(&org_path, &root),
        layout.accounts,
        layout.instances,
        regions.join(", ")
    ));
    let inventory = moto.seed(&layout.spec);
    progress(format!("seeded in {}", secs(seed_started.elapsed())));
    let default_regions = regions.join(",");
    let env = lambda_env(moto.endpoint(), &default_regions);
    let lambdas = LambdaEmulator::start(&env, COPIES);
    progress(format!(
        "Lambda emulator (cargo lambda watch) on {} with {COPIES} processes of each of the {} Lambdas",
        lambdas.endpoint(),
        FUNCTIONS.len()
    ));
    let org_view = OrgView::new(&org, &inventory, &layout);

    let name = format!(
        "demo-{}{}-{}",
        if args.dry_run { "preview-" } else { "" },
        args.action.as_str(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    );
    progress(format!(
        "running the state machine: execution {name}, input {input}…"
    ));
    let execution = run_state_machine(&lambdas, &name, &input, &["SummarizeRun", "ListAccounts"]);
    let after = moto.snapshot(&org_view.account_ids(), &regions_ref(&regions));
    if !args.dry_run {
        save_state(&state_file, &org, &org_view, &after);
    }

    let report = Report {
        args,
        org_path: display_path(&org_path, &root),
        regions: &regions,
        org: &org_view,
        carried: carried.as_ref().map(|c| (c.saved_at, layout.changed)),
        execution: &execution,
        name: &name,
        after: &after,
        elapsed: started.elapsed(),
    };
    println!("{}", report.render());
    if !matches!(execution.status(), "SUCCEEDED" | "FAILED") {
        println!("Logs of the Lambda emulator and the functions:");
        println!("{}", lambdas.log_tails());
    }

    if args.keep {
        println!(
            "{}",
            keep_instructions(&moto, &lambdas, &org_view, &regions)
        );
        wait_for_stop();
        progress("stopping the Lambdas, cargo lambda watch and moto…");
        // Whatever was done by hand meanwhile carries over to the next run too.
        let now = moto.snapshot(&org_view.account_ids(), &regions_ref(&regions));
        if now != *report.after || !args.dry_run {
            save_state(&state_file, &org, &org_view, &now);
        }
    }
    drop(lambdas);
    drop(moto);
    if args.keep {
        progress("stopped");
    }
    Ok(match execution.status() {
        "SUCCEEDED" => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

fn regions_ref(regions: &[String]) -> Vec<&str> {
    regions.iter().map(String::as_str).collect()
}

fn display_path(path: &Path, root: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    path.strip_prefix(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

/// Blocks until Ctrl-C (scripts/demo closes standard input then) or a line or end of input.
fn wait_for_stop() {
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

/// Every region the spec puts instances in, sorted: the Lambdas' DEFAULT_REGIONS.
fn spec_regions(org: &Value) -> Vec<String> {
    let mut set = BTreeSet::new();
    for a in org["accounts"].as_array().into_iter().flatten() {
        if let Some(regions) = a["regions"].as_object() {
            set.extend(regions.keys().cloned());
        }
    }
    set.into_iter().collect()
}

fn text(v: &Value) -> Option<&str> {
    v.as_str()
}

// ---- instance states carried over between runs ----------------------------------------------

#[derive(Debug)]
struct Carried {
    states: Map<String, Value>,
    saved_at: u64,
}

/// The saved states if they were saved for this very organization spec.
fn load_state(path: &Path, org: &Value) -> Option<Carried> {
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    if saved["org"] != *org {
        return None;
    }
    Some(Carried {
        states: saved["states"].as_object()?.clone(),
        saved_at: saved["saved_at"].as_u64().unwrap_or_default(),
    })
}

fn save_state(path: &Path, org: &Value, view: &OrgView, snapshot: &Value) {
    let mut states = Map::new();
    for (id, key) in &view.keys {
        if let Some(state) = text(&snapshot[id]["state"]) {
            let state = match state {
                "pending" => "running",
                "stopping" => "stopped",
                s => s,
            };
            states.insert(key.clone(), json!(state));
        }
    }
    let saved_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let body = json!({"org": org, "saved_at": saved_at, "states": states});
    let written = path
        .parent()
        .map(std::fs::create_dir_all)
        .unwrap_or(Ok(()))
        .and_then(|()| std::fs::write(path, body.to_string()));
    if let Err(e) = written {
        progress(format!(
            "could not save the instance states to {}: {e}",
            path.display()
        ));
    }
}

/// An instance's place in the spec, stable across seedings: account, region, group, index.
fn state_key(account: &str, region: &str, group: usize, index: usize) -> String {
    format!("{account}/{region}/{group}/{index}")
}

/// The spec actually seeded: the org spec with carried-over states applied (a group whose
/// instances now differ in state is split into runs of equal state), and where each seeded
/// group comes from.
#[derive(Debug)]
struct Layout {
    spec: Value,
    /// (account name, region, seeded group) -> (spec group, index of its first instance).
    origin: HashMap<(String, String, usize), (usize, usize)>,
    accounts: usize,
    instances: usize,
    /// Instances seeded in another state than the spec says.
    changed: usize,
}

impl Layout {
    fn new(org: &Value, saved: Option<&Map<String, Value>>) -> Layout {
        let mut spec = org.clone();
        let mut origin = HashMap::new();
        let (mut accounts, mut instances, mut changed) = (0, 0, 0);
        for account in spec["accounts"].as_array_mut().into_iter().flatten() {
            accounts += 1;
            let name = text(&account["name"]).unwrap_or("management").to_owned();
            let Some(regions) = account["regions"].as_object_mut() else {
                continue;
            };
            for (region, groups) in regions.iter_mut() {
                let mut seeded = Vec::new();
                for (gi, group) in groups.as_array().into_iter().flatten().enumerate() {
                    let count = group["count"].as_u64().unwrap_or(0) as usize;
                    instances += count;
                    let spec_state = text(&group["state"]).unwrap_or("running");
                    // Auto Scaling members are never scheduled; terminated stays terminated.
                    let fixed = group["asg"].is_string() || spec_state == "terminated";
                    let states: Vec<&str> = (0..count)
                        .map(|i| {
                            saved
                                .filter(|_| !fixed)
                                .and_then(|s| s.get(&state_key(&name, region, gi, i)))
                                .and_then(Value::as_str)
                                .filter(|s| matches!(*s, "running" | "stopped"))
                                .unwrap_or(spec_state)
                        })
                        .collect();
                    changed += states.iter().filter(|s| **s != spec_state).count();
                    let mut start = 0;
                    while start < count {
                        let state = states[start];
                        let len = states[start..].iter().take_while(|s| **s == state).count();
                        let mut g = group.clone();
                        g["count"] = json!(len);
                        if state != spec_state {
                            g["state"] = json!(state);
                        }
                        origin.insert((name.clone(), region.clone(), seeded.len()), (gi, start));
                        seeded.push(g);
                        start += len;
                    }
                }
                *groups = Value::Array(seeded);
            }
        }
        Layout {
            spec,
            origin,
            accounts,
            instances,
            changed,
        }
    }
}

// ---- the organization as seeded -------------------------------------------------------------

#[derive(Debug)]
struct Account {
    name: String,
    id: String,
    tags: Map<String, Value>,
}

#[derive(Debug)]
struct Instance {
    account: String,
    region: String,
    state: String,
    tags: Map<String, Value>,
}

#[derive(Debug)]
struct OrgView {
    /// In spec order, the management account last unless the spec names it.
    accounts: Vec<Account>,
    instances: Vec<Instance>,
    /// Instance id -> state key.
    keys: BTreeMap<String, String>,
}

impl OrgView {
    fn new(org: &Value, inventory: &Value, layout: &Layout) -> OrgView {
        let spec_tags: HashMap<&str, Map<String, Value>> = org["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                // seed.py names an unnamed management account "management".
                let name = text(&a["name"]).unwrap_or("management");
                (name, a["tags"].as_object().cloned().unwrap_or_default())
            })
            .collect();
        let management = text(&inventory["management_account"])
            .unwrap_or("123456789012")
            .to_owned();
        let mut accounts = Vec::new();
        let mut instances = Vec::new();
        let mut keys = BTreeMap::new();
        for a in inventory["accounts"].as_array().into_iter().flatten() {
            let name = text(&a["name"]).unwrap_or_default().to_owned();
            let id = text(&a["id"]).unwrap_or_default().to_owned();
            let mut position: HashMap<(String, usize), usize> = HashMap::new();
            for i in a["instances"].as_array().into_iter().flatten() {
                let region = text(&i["region"]).unwrap_or_default().to_owned();
                let group = i["group"].as_u64().unwrap_or_default() as usize;
                let n = position.entry((region.clone(), group)).or_default();
                if let Some((spec_group, first)) =
                    layout.origin.get(&(name.clone(), region.clone(), group))
                {
                    keys.insert(
                        text(&i["id"]).unwrap_or_default().to_owned(),
                        state_key(&name, &region, *spec_group, first + *n),
                    );
                }
                *n += 1;
                instances.push(Instance {
                    account: id.clone(),
                    region,
                    state: text(&i["state"]).unwrap_or_default().to_owned(),
                    tags: i["tags"].as_object().cloned().unwrap_or_default(),
                });
            }
            accounts.push(Account {
                tags: spec_tags.get(name.as_str()).cloned().unwrap_or_default(),
                name,
                id,
            });
        }
        if !accounts.iter().any(|a| a.id == management) {
            accounts.push(Account {
                name: "management".into(),
                id: management,
                tags: Map::new(),
            });
        }
        OrgView {
            accounts,
            instances,
            keys,
        }
    }

    fn account_ids(&self) -> Vec<String> {
        self.accounts.iter().map(|a| a.id.clone()).collect()
    }

    fn label(&self, id: &str) -> String {
        match self.accounts.iter().find(|a| a.id == id) {
            Some(a) => format!("{} ({})", a.name, a.id),
            None => id.to_owned(),
        }
    }

    fn name(&self, id: &str) -> String {
        self.accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| id.to_owned())
    }
}

// ---- the report -----------------------------------------------------------------------------

#[derive(Debug)]
struct Report<'a> {
    args: &'a Args,
    org_path: String,
    regions: &'a [String],
    org: &'a OrgView,
    /// When the carried-over states were saved, and how many instances they changed.
    carried: Option<(u64, usize)>,
    execution: &'a LocalExecution,
    name: &'a str,
    after: &'a Value,
    elapsed: Duration,
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn by_reason(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = map.iter().map(|(k, v)| format!("{v} {k}")).collect();
    format!(" ({})", parts.join(", "))
}

impl Report<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        let x = self.execution;
        let summary: Option<RunSummary> = x.summary().and_then(|s| serde_json::from_value(s).ok());
        let listing = x
            .captured("ListAccounts")
            .into_iter()
            .next()
            .map(|c| c["output"].clone())
            .unwrap_or(Value::Null);
        let accounts = self.account_reports();

        let line = |out: &mut String, k: &str, v: String| {
            out.push_str(&format!("  {k:<12} {v}\n"));
        };
        out.push_str(
            "\nUptime Scheduler demo: statemachine/uptime-scheduler.asl.json run locally, \
             the real Lambdas behind cargo lambda's emulator, moto as AWS\n\n",
        );
        line(&mut out, "action", self.args.action.as_str().to_owned());
        line(
            &mut out,
            "dry run",
            if self.args.dry_run {
                "yes: decide and report, change nothing".into()
            } else {
                "no".into()
            },
        );
        line(&mut out, "schedule", self.args.schedule.clone());
        if let Some(s) = &summary {
            line(&mut out, "now", s.now.to_string());
        }
        let mut status = x.status().to_owned();
        if let Some(e) = x.error() {
            status.push_str(&format!(" ({e})"));
        }
        line(&mut out, "execution", format!("{status}, {}", self.name));
        let invocations: Vec<String> = FUNCTIONS
            .iter()
            .map(|f| format!("{f} {}", x.invocations(f)))
            .collect();
        line(
            &mut out,
            "transitions",
            format!(
                "{} state transitions, {}; Lambda invocations: {}",
                x.transitions(),
                plural(x.retries(), "retry", "retries"),
                invocations.join(", ")
            ),
        );
        let run_ms = x.raw["duration_ms"].as_f64().unwrap_or_default();
        line(
            &mut out,
            "wall time",
            format!(
                "{:.1} s for the execution; {} for the whole demo so far (moto, seeding, Lambdas, run)",
                run_ms / 1000.0,
                secs(self.elapsed)
            ),
        );
        let seeded = match self.carried {
            Some((saved_at, changed)) if changed > 0 => format!(
                "; {} seeded in the state the run of {} left them in (--fresh forgets it)",
                plural(changed as u64, "instance", "instances"),
                ago(saved_at)
            ),
            _ => String::new(),
        };
        line(
            &mut out,
            "organization",
            format!(
                "{}: {} (the management account and {} members), {} in {}{seeded}",
                self.org_path,
                plural(self.org.accounts.len() as u64, "account", "accounts"),
                self.org.accounts.len().saturating_sub(1),
                plural(self.org.instances.len() as u64, "instance", "instances"),
                self.regions.join(", "),
            ),
        );
        out.push('\n');

        let Some(summary) = summary else {
            out.push_str("The execution produced no run summary.\n");
            if let Some(cause) = x.cause() {
                out.push_str(&format!(
                    "  error: {}\n  cause: {cause}\n",
                    x.error().unwrap_or("?")
                ));
            }
            return out;
        };
        let label = |a: &AccountId| self.org.label(a.as_str());
        out.push_str(&format!("{}\n", table::table(&summary, &accounts, &label)));
        out.push('\n');
        self.accounts_section(&mut out, &listing, &summary, &accounts);
        self.reported_section(&mut out, &summary, &accounts);
        self.totals_section(&mut out, &summary, &accounts);
        out.push_str(&format!("status: {}\n", table::status(&summary)));
        out
    }

    /// Every account report the run produced: the account Map's results (inline locally) and
    /// the accounts whose listing failed.
    fn account_reports(&self) -> Vec<AccountReport> {
        let mut reports: Vec<AccountReport> = Vec::new();
        for call in self.execution.captured("SummarizeRun") {
            let input = &call["input"];
            for r in input["results"].as_array().into_iter().flatten() {
                match account_report(r.clone()) {
                    Ok(report) => reports.push(report),
                    Err(e) => progress(format!("an account result the demo cannot read: {e}")),
                }
            }
            for f in input["failed_accounts"].as_array().into_iter().flatten() {
                if let Ok(report) = serde_json::from_value::<AccountReport>(f.clone()) {
                    reports.push(report);
                }
            }
        }
        // In the order of the organization file, regions sorted (the Map finishes in any order).
        let position = |id: &AccountId| {
            self.org
                .accounts
                .iter()
                .position(|a| a.id == id.as_str())
                .unwrap_or(usize::MAX)
        };
        reports.sort_by_key(|r| position(&r.account));
        for r in &mut reports {
            r.regions
                .sort_by(|a, b| a.region.as_str().cmp(b.region.as_str()));
        }
        reports
    }

    fn accounts_section(
        &self,
        out: &mut String,
        listing: &Value,
        summary: &RunSummary,
        reports: &[AccountReport],
    ) {
        let c = &listing["counts"];
        let n = |k: &str| c[k].as_u64().unwrap_or_default();
        out.push_str(&format!(
            "Accounts not scheduled (ListAccounts: {} listed, {} selected, {} not opted in, {} inactive, {} excluded, {} failed)\n",
            n("listed"),
            n("selected"),
            n("not_opted_in"),
            n("inactive"),
            n("excluded"),
            n("failed")
        ));
        let selected: BTreeSet<&str> = listing["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str()?.split(':').next())
            .collect();
        let skipped: BTreeSet<&str> = listing["skipped_accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(listing["failed_accounts"].as_array().into_iter().flatten())
            .filter_map(|a| a["account"].as_str())
            .collect();
        let width = self
            .org
            .accounts
            .iter()
            .map(|a| self.org.label(&a.id).len())
            .max()
            .unwrap_or(0);
        let mut any = false;
        for a in &self.org.accounts {
            if selected.contains(a.id.as_str()) || skipped.contains(a.id.as_str()) {
                continue;
            }
            any = true;
            let why = match a.tags.get(ENABLED_TAG).and_then(Value::as_str) {
                None => format!("not opted in: no {ENABLED_TAG} tag"),
                Some("true") => "not selected".to_owned(),
                Some(v) => format!("not opted in: {ENABLED_TAG}={v}"),
            };
            out.push_str(&format!("  {:<width$}  {why}\n", self.org.label(&a.id)));
        }
        // Accounts the run itself reports as skipped (malformed regions tag, requested by id
        // but not opted in, …), and regions it skipped, as the CLI lists them.
        let label = |a: &AccountId| self.org.label(a.as_str());
        for l in table::skipped(summary, reports, &label).lines() {
            any = true;
            out.push_str(&format!("  {l}\n"));
        }
        if !any {
            out.push_str("  none\n");
        }
        // Accounts whose own regions tag narrows them.
        let mut narrowed = Vec::new();
        for r in reports {
            let Some(a) = self
                .org
                .accounts
                .iter()
                .find(|a| a.id == r.account.as_str())
            else {
                continue;
            };
            if let Some(tag) = a.tags.get(REGIONS_TAG).and_then(Value::as_str) {
                narrowed.push(format!(
                    "  {:<width$}  only {tag} (its {REGIONS_TAG} tag)\n",
                    self.org.label(&a.id)
                ));
            }
        }
        out.push_str(&format!(
            "Regions: {} (the Lambdas' DEFAULT_REGIONS) unless an account's own tag says otherwise\n",
            self.regions.join(", ")
        ));
        for l in narrowed {
            out.push_str(&l);
        }
        out.push('\n');
    }

    fn reported_section(&self, out: &mut String, s: &RunSummary, reports: &[AccountReport]) {
        let label = |a: &AccountId| self.org.label(a.as_str());
        let failures = table::failures(s, reports, &label);
        out.push_str("Failures\n");
        if failures.trim().is_empty() {
            out.push_str("  none: no account, region or instance failed\n");
        }
        for l in failures.lines() {
            out.push_str(&format!("  {l}\n"));
        }
        if s.failures_not_listed > 0 {
            out.push_str(&format!(
                "  … and {} more failures not listed\n",
                s.failures_not_listed
            ));
        }
        out.push('\n');
    }

    fn totals_section(&self, out: &mut String, s: &RunSummary, reports: &[AccountReport]) {
        let c: &Counts = &s.instances;
        out.push_str("Totals\n");
        let changes = if s.dry_run {
            format!("would stop {}, would start {}", c.would_stop, c.would_start)
        } else {
            format!(
                "stopped {}{}, started {}",
                c.stopped + c.hibernated,
                if c.hibernated > 0 {
                    format!(" ({} hibernated)", c.hibernated)
                } else {
                    String::new()
                },
                c.started
            )
        };
        out.push_str(&format!(
            "  instances  {changes}, already {}, skipped {}{}, failed {}{}\n",
            c.already,
            c.skipped,
            by_reason(&c.skipped_by_reason),
            c.failed,
            by_reason(&c.failed_by_reason)
        ));
        out.push_str(&format!(
            "  targets    {} ({} failed), {} ({} failed)\n",
            plural(s.accounts.total, "account", "accounts"),
            s.accounts.failed,
            plural(s.regions.total, "region", "regions"),
            s.regions.failed
        ));
        // What the run never looked at, from the seeded inventory.
        let scheduled: BTreeSet<(String, String)> = reports
            .iter()
            .flat_map(|a| {
                a.regions
                    .iter()
                    .map(|r| (a.account.as_str().to_owned(), r.region.as_str().to_owned()))
            })
            .collect();
        let selected: BTreeSet<&str> = reports.iter().map(|a| a.account.as_str()).collect();
        // In the order a person reads the rules: account, region, state, tag.
        let outside = |a: &str| format!("outside {}'s regions", self.org.name(a));
        let mut unseen: Vec<(String, u64)> = Vec::new();
        let mut seen = 0u64;
        for i in &self.org.instances {
            let tag = i.tags.get(SCHEDULE_TAG).and_then(Value::as_str);
            let why = if !selected.contains(i.account.as_str()) {
                "in accounts not scheduled".to_owned()
            } else if !scheduled.contains(&(i.account.clone(), i.region.clone())) {
                outside(&i.account)
            } else if i.state == "terminated" {
                "terminated".to_owned()
            } else if tag.is_none() {
                format!("without a {SCHEDULE_TAG} tag")
            } else if tag == Some(OPT_OUT) {
                format!("opted out ({SCHEDULE_TAG}={OPT_OUT})")
            } else if tag != Some(self.args.schedule.as_str()) {
                "on other schedules".to_owned()
            } else {
                seen += 1;
                continue;
            };
            match unseen.iter_mut().find(|(k, _)| *k == why) {
                Some((_, n)) => *n += 1,
                None => unseen.push((why, 1)),
            }
        }
        let rank = |k: &str| {
            [
                "in accounts",
                "outside",
                "terminated",
                "without",
                "opted out",
                "on other",
            ]
            .iter()
            .position(|p| k.starts_with(p))
            .unwrap_or(usize::MAX)
        };
        unseen.sort_by_key(|(k, _)| rank(k));
        let unseen_total: u64 = unseen.iter().map(|(_, n)| n).sum();
        out.push_str(&format!(
            "  inventory  {} instances seeded: {seen} on schedule {} in the scheduled regions (the table above), {unseen_total} never looked at:\n",
            self.org.instances.len(),
            self.args.schedule,
        ));
        for (why, n) in &unseen {
            out.push_str(&format!("             {n:>4} {why}\n"));
        }
        let mut states: BTreeMap<&str, u64> = BTreeMap::new();
        for v in self.after.as_object().into_iter().flat_map(|m| m.values()) {
            *states.entry(text(&v["state"]).unwrap_or("?")).or_default() += 1;
        }
        let parts: Vec<String> = states.iter().map(|(k, v)| format!("{v} {k}")).collect();
        out.push_str(&format!(
            "  moto now   {} (read back with boto3 after the run)\n",
            parts.join(", ")
        ));
    }
}

fn ago(saved_at: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let s = now.saturating_sub(saved_at);
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} min ago", s / 60),
        _ => format!("{} h ago", s / 3600),
    }
}

// ---- --keep ---------------------------------------------------------------------------------

fn keep_instructions(
    moto: &Moto,
    lambdas: &LambdaEmulator,
    org: &OrgView,
    regions: &[String],
) -> String {
    let e = moto.endpoint();
    let member = org
        .accounts
        .iter()
        .find(|a| a.tags.get(ENABLED_TAG).and_then(Value::as_str) == Some("true"))
        .or_else(|| org.accounts.first());
    let (member_name, member_id) = member
        .map(|a| (a.name.as_str(), a.id.as_str()))
        .unwrap_or(("member", "111111111111"));
    let region = if regions.iter().any(|r| r == "eu-west-1") {
        "eu-west-1"
    } else {
        regions.first().map(String::as_str).unwrap_or("us-east-1")
    };
    let ids: Vec<String> = org
        .accounts
        .iter()
        .map(|a| format!("{} {}", a.name, a.id))
        .collect();
    let log = std::env::temp_dir().join(format!("uptime-moto-{}.log", moto.port));
    format!(
        r#"
moto keeps running on {e} (log {log}); the Lambdas on {lambda}.
Accounts: {ids}. Regions: {regions}.
Poke at it from another terminal (dummy credentials; the static key belongs to the management account):

  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url {e} organizations list-accounts --query 'Accounts[].[Id,Name,Status]' --output text
  aws --endpoint-url {e} ec2 describe-instances --region {region}     # the management account's own EC2: empty

  # A member account: moto answers as the account that owns the access key, so take the keys of a role in it:
  read -r AK SK ST < <(aws --endpoint-url {e} sts assume-role --role-arn arn:aws:iam::{member_id}:role/{MEMBER_ACCESS_ROLE} --role-session-name poke --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
  AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_SESSION_TOKEN=$ST aws --endpoint-url {e} ec2 describe-instances --region {region} --query 'Reservations[].Instances[].[InstanceId,State.Name,Tags[?Key==`Name`]|[0].Value,Tags[?Key==`{SCHEDULE_TAG}`]|[0].Value]' --output text

  # boto3 (.venv/bin/python): moto's x-moto-account-id header picks the account ({member_name} here), no role needed:
  import boto3
  ec2 = boto3.client("ec2", endpoint_url="{e}", region_name="{region}", aws_access_key_id="testing", aws_secret_access_key="testing")
  ec2.meta.events.register("before-send", lambda request, **_: request.headers.__setitem__("x-moto-account-id", "{member_id}"))
  for r in ec2.describe_instances()["Reservations"]:
      for i in r["Instances"]: print(i["InstanceId"], i["State"]["Name"], {{t["Key"]: t["Value"] for t in i.get("Tags", [])}})

  # Another execution of the state machine against the same moto and Lambdas (from the repository root):
  echo '{{"action": "start", "schedule": "office-hours"}}' | tests/sfn/node_modules/.bin/node tests/sfn/run-execution.mjs --definition statemachine/uptime-scheduler.asl.json --lambda-endpoint {lambda} --input - --var results_bucket=uptime-scheduler-results --name poke-1

Press Ctrl-C to stop moto and the Lambdas."#,
        lambda = lambdas.endpoint(),
        log = log.display(),
        ids = ids.join(", "),
        regions = regions.join(", "),
    )
}
