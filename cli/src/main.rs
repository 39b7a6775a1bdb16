//! `uptime-scheduler`: the scheduling core run in-process, for operators' previews and tests.
//!
//! Exit codes: 0 every target succeeded; 1 the run finished with failures (listed in the
//! summary); 2 invalid input or configuration (nothing was contacted).

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use uptime_aws::{sdk, AwsConnect, AwsDirectory, TokioPause};
use uptime_cli::{explain, table};
use uptime_core::config::{Config, Environment, Flags};
use uptime_core::{
    run_organization, verify_organization_starts, Concurrency, Progress, RegionTask, RunOptions,
};
use uptime_model::ids::session_name;
use uptime_model::report::RunStatus;
use uptime_model::savings::{PriceList, Pricing, SavingsBuilder};

use uptime_model::{Action, InstanceRecord, RunRequest};
use uptime_schedule::document::ResolveError;
use uptime_schedule::ScheduleDocument;

/// Where `report` takes its prices from (`--prices`).
#[derive(Debug)]
enum PriceSource {
    PriceListApi,
    File(PriceList),
    None,
}

#[derive(Debug, Parser)]
#[command(
    name = "uptime-scheduler",
    version,
    about = "Stop and start opted-in EC2 instances across an AWS Organization"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an execution input in-process (use "dry_run": true in the input for a preview).
    Run(RunArgs),
    /// Validate an execution input and print it normalised; contacts nothing.
    Validate {
        /// The execution input file, or - for standard input.
        #[arg(long)]
        input: PathBuf,
    },
    /// Schedules: preview and check (contacts nothing).
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// What the schedules save over a range: the hours they keep the selected accounts'
    /// tagged instances stopped and the on-demand money (prices from the AWS Price List API
    /// or a file). Reads the Organization as a run would (opt-in, regions, member role);
    /// changes nothing.
    Report(ReportArgs),
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Start of the range: a date (midnight UTC) or an RFC 3339 instant [default: today,
    /// midnight UTC].
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// End of the range (excluded), as --from [default: 30 days after --from].
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Only these accounts (still subject to opt-in), e.g. 111111111111,222222222222.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    accounts: Vec<String>,
    /// Leave these accounts out.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    exclude_accounts: Vec<String>,
    /// Only accounts under these organizational units (recursively).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    ous: Vec<String>,
    /// Only instances whose schedule tag names this schedule.
    #[arg(long, value_name = "NAME")]
    schedule: Option<String>,
    /// The schedules document (JSON) that the instances' schedule names resolve in; inline
    /// expressions need none.
    #[arg(long, value_name = "FILE")]
    schedules: Option<PathBuf>,
    /// Where the on-demand prices come from: `aws` reads them from the AWS Price List API
    /// (pricing:GetProducts; hours only, saying why, if it cannot be read), `none` reports
    /// hours only, anything else is a price file (JSON: currency, source, read_at, prices by
    /// region or "*" and instance type).
    #[arg(long, value_name = "aws|none|FILE", default_value = "aws")]
    prices: String,
    /// The member-account role name [env: MEMBER_ROLE_NAME; default UptimeSchedulerMember].
    #[arg(long)]
    member_role: Option<String>,
    /// Regions to read in accounts whose regions tag names none, e.g. eu-west-1,us-east-1
    /// [env: DEFAULT_REGIONS; default: AWS_REGION].
    #[arg(long)]
    regions: Option<String>,
    /// Accounts read at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// The longest any one AWS call may take, the SDK's retries included.
    #[arg(long, default_value_t = 20, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=900))]
    call_timeout: u64,
    /// table (by schedule) for people, json for the whole report, csv for its lines (one per
    /// account, region, schedule and instance type).
    #[arg(long, value_enum, default_value_t = ReportOutput::Table)]
    output: ReportOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportOutput {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    /// Print a schedule's transitions over a range in its own time zone, its running hours per
    /// week and the share of hours saved compared with always-on.
    Explain {
        /// A schedule name from --schedules, or an inline expression such as
        /// "mon-fri 08:00-18:00 Europe/London" (one that begins with a dash, such as
        /// "-19:00 Europe/London", is taken as written).
        #[arg(allow_hyphen_values = true)]
        schedule: String,
        /// The schedules document (JSON) that names and calendars come from.
        #[arg(long, value_name = "FILE")]
        schedules: Option<PathBuf>,
        /// Start of the range (RFC 3339) [default: now].
        #[arg(long, value_name = "TIMESTAMP")]
        from: Option<String>,
        /// Length of the range in days.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// table for people, json for tools.
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Convert AWS Instance Scheduler's periods and schedules into a schedules document
    /// (printed on standard output); what cannot be carried over is listed per schedule on
    /// standard error.
    Import {
        /// Instance Scheduler's configuration: `scheduler-cli describe-periods` and
        /// `describe-schedules` output, `aws dynamodb scan` output of its config table, or a
        /// DynamoDB export (JSON lines, unzipped); several files are merged; - for standard
        /// input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The zone of schedules that name none, when the input has no config item with a
        /// default_timezone.
        #[arg(long, value_name = "ZONE", default_value = "UTC")]
        default_timezone: String,
    },
    /// Validate a schedules document and list the schedules it defines.
    Check {
        /// The schedules document (JSON), or - for standard input.
        schedules: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The execution input file (JSON, as for the state machine), or - for standard input.
    #[arg(long)]
    input: PathBuf,
    /// The member-account role name [env: MEMBER_ROLE_NAME; default UptimeSchedulerMember].
    #[arg(long)]
    member_role: Option<String>,
    /// Regions to schedule when the input names none, e.g. eu-west-1,us-east-1
    /// [env: DEFAULT_REGIONS; default: AWS_REGION].
    #[arg(long)]
    regions: Option<String>,
    /// table for people, json for the run summary.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Accounts scheduled at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// After a start run, wait this many seconds and check that the started instances reached
    /// running (a start EC2 cannot complete, e.g. for a volume's KMS key, falls back to stopped
    /// and is reported failed). 0 skips the check.
    #[arg(long, default_value_t = 45, value_name = "SECONDS")]
    verify_after: u64,
    /// Reconcile: the schedules document, as deployed (the input's `schedules` is laid over
    /// it).
    #[arg(long, value_name = "FILE")]
    schedules: Option<PathBuf>,
    /// The longest any one AWS call may take, the SDK's retries included; a call without an
    /// answer by then fails its account or region as timed out, and the others go on.
    #[arg(long, default_value_t = 20, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=900))]
    call_timeout: u64,
    /// Log progress, every change, failure and skip that needs attention, and a summary line
    /// per region to standard error; twice (`-vv`) also every other decision.
    #[arg(long, short, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Table,
    Json,
}

/// What the messages call an input: its path, or `standard input` for `-`.
fn input_name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Writes `text` to standard output. A reader that has gone away (`| head`) is not an error:
/// the rest is dropped quietly. Other write errors are reported on standard error.
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("uptime-scheduler: writing standard output: {e}"),
    }
}

/// Reads a JSON document the way the state machine would receive it: at most 256 KiB (checked
/// before anything is parsed), a duplicate key at any depth refused by its path.
fn read_input(path: &PathBuf) -> Result<serde_json::Value, String> {
    let name = input_name(path);
    let limit = uptime_model::json::MAX_PAYLOAD_BYTES;
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| format!("reading {name}: {e}"))?)
    };
    let mut bytes = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading {name}: {e}"))?;
    if bytes.len() > limit {
        return Err(format!(
            "{name} is larger than {limit} bytes (256 KiB, the most Step Functions accepts as an \
             execution input); nothing was parsed"
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8 text"))?;
    uptime_model::json::parse(&text, &name).map_err(|e| {
        if e.field == "$" {
            e.message
        } else {
            format!("{name}: {e}")
        }
    })
}

/// The deployment's configuration from the flags that set a setting of it, by its variable,
/// and the environment: the same rules as the Lambdas', an error naming the flag.
fn config_from(member_role: &Option<String>, regions: &Option<String>) -> Result<Config, String> {
    let flags = [
        ("MEMBER_ROLE_NAME", "--member-role", member_role.clone()),
        ("DEFAULT_REGIONS", "--regions", regions.clone()),
    ];
    let source = Flags {
        flags: &flags,
        environment: Environment(|k: &str| std::env::var(k).ok()),
    };
    Config::from_source(&source).map_err(|e| e.to_string())
}

/// Prints `message` (escaped: it may quote input keys, tag values, AWS messages) and exits 2.
fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!(
        "uptime-scheduler: {}",
        uptime_model::text::escape(&message.to_string())
    );
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { input } => {
            let raw = match read_input(&input) {
                Ok(v) => v,
                Err(e) => return usage_error(e),
            };
            let clock = jiff::Timestamp::now();
            // The same checks as the state machine's first task, the clock's included.
            match RunRequest::from_json(&raw, clock).and_then(|r| r.check_clock(clock).map(|()| r))
            {
                Ok(req) => {
                    print_out(&format!(
                        "{}\n",
                        serde_json::to_string_pretty(&req).unwrap_or_default()
                    ));
                    ExitCode::SUCCESS
                }
                Err(e) => usage_error(e),
            }
        }
        Command::Run(args) => run(args).await,
        Command::Report(args) => report(args).await,
        Command::Schedule(c) => schedule_command(c),
    }
}

/// A JSON file, or a file of JSON values one per line (a DynamoDB export).
fn read_json_or_lines(path: &PathBuf) -> Result<Vec<serde_json::Value>, String> {
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("reading standard input: {e}"))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?
    };
    if let Ok(v) = serde_json::from_str(&text) {
        return Ok(vec![v]);
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                format!(
                    "{} is neither JSON nor JSON lines: line {}: {e}",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect()
}

fn read_schedules(path: &PathBuf) -> Result<ScheduleDocument, String> {
    let raw = read_input(path)?;
    ScheduleDocument::from_json(&raw).map_err(|e| format!("{}: {e}", path.display()))
}

fn schedule_command(command: ScheduleCommand) -> ExitCode {
    match command {
        ScheduleCommand::Explain {
            schedule,
            schedules,
            from,
            days,
            output,
        } => {
            let doc = match schedules.as_ref().map(read_schedules).transpose() {
                Ok(d) => d.unwrap_or_else(ScheduleDocument::empty),
                Err(e) => return usage_error(e),
            };
            let from = match from {
                None => jiff::Timestamp::now()
                    .round(jiff::Unit::Minute)
                    .unwrap_or_else(|_| jiff::Timestamp::now()),
                Some(s) => match uptime_model::input::parse_instant(&s) {
                    Ok(t) => t,
                    Err(e) => return usage_error(format!("--from: {e}")),
                },
            };
            let resolved = match doc.resolve(schedule.trim()) {
                Ok(s) => s,
                Err(ResolveError::Unknown(name)) => {
                    let known: Vec<&str> = doc.schedules.keys().map(String::as_str).collect();
                    return usage_error(format!(
                        "no schedule named `{name}`{}; an inline expression needs a time, such as \"mon-fri 08:00-18:00 Europe/London\"",
                        if known.is_empty() {
                            " (no --schedules document given)".to_owned()
                        } else {
                            format!(" in the document (it has: {})", known.join(", "))
                        }
                    ));
                }
                Err(e) => return usage_error(e),
            };
            let v = explain::view(&resolved, from, days);
            match output {
                Output::Json => print_out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                )),
                Output::Table => print_out(&explain::render(&v)),
            }
            ExitCode::SUCCESS
        }
        ScheduleCommand::Import {
            files,
            default_timezone,
        } => {
            let mut inputs = Vec::new();
            for path in &files {
                match read_json_or_lines(path) {
                    Ok(values) => inputs.extend(values),
                    Err(e) => return usage_error(e),
                }
            }
            let imported = match uptime_schedule::import::import_instance_scheduler(
                &inputs,
                &default_timezone,
            ) {
                Ok(i) => i,
                Err(e) => return usage_error(e),
            };
            for (name, notes) in &imported.not_carried_over {
                for note in notes {
                    eprintln!("uptime-scheduler: schedule {name}: {note}");
                }
            }
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&imported.document).unwrap_or_default()
            ));
            ExitCode::SUCCESS
        }
        ScheduleCommand::Check { schedules } => match read_schedules(&schedules) {
            Ok(doc) => {
                let mut out = format!(
                    "{}: {} schedule(s), {} calendar(s), default time zone {}\n",
                    schedules.display(),
                    doc.schedules.len(),
                    doc.calendars.len(),
                    doc.default_zone.name()
                );
                for (name, s) in &doc.schedules {
                    let status = match s.options.override_status {
                        Some(uptime_schedule::Desired::Running) => " (override_status: running)",
                        Some(uptime_schedule::Desired::Stopped) => " (override_status: stopped)",
                        None => "",
                    };
                    out.push_str(&format!(
                        "  {name}: {}{status}\n",
                        uptime_schedule::grammar::describe(s)
                    ));
                    for hint in uptime_schedule::hints::hints(s) {
                        out.push_str(&format!("    hint: {}\n", hint.message));
                    }
                }
                print_out(&out);
                ExitCode::SUCCESS
            }
            Err(e) => usage_error(e),
        },
    }
}

/// How far a CLI run has got, for the `-v` heartbeat.
#[derive(Debug, Default)]
struct RunCounts {
    selected: AtomicUsize,
    accounts_prepared: AtomicUsize,
    regions_done: AtomicUsize,
}

/// Every 10 s while a run is under way, one `-v` line saying how far it has got, so that a
/// run waiting on a slow account is visibly alive (and which part it waits on).
async fn heartbeat(counts: Arc<RunCounts>) {
    let start = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
    tick.tick().await;
    loop {
        tick.tick().await;
        tracing::info!(
            elapsed_s = start.elapsed().as_secs(),
            accounts_selected = counts.selected.load(Ordering::Relaxed),
            accounts_prepared = counts.accounts_prepared.load(Ordering::Relaxed),
            regions_done = counts.regions_done.load(Ordering::Relaxed),
            "run under way"
        );
    }
}

async fn run(args: RunArgs) -> ExitCode {
    let filter = match args.verbose {
        0 => "warn",
        1 => "info",
        _ => {
            "debug,aws=info,aws_smithy_runtime=info,aws_config=info,hyper=info,h2=info,rustls=info"
        }
    };
    // Colour only for a person at a terminal (https://no-color.org: NO_COLOR set and not empty
    // turns it off there too); a redirected log gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()),
        )
        .init();
    // Validate everything before any AWS call: input, then configuration.
    let raw = match read_input(&args.input) {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let now = jiff::Timestamp::now();
    let started = now.round(jiff::Unit::Second).unwrap_or(now);
    let request =
        match RunRequest::from_json(&raw, started).and_then(|r| r.check_clock(now).map(|()| r)) {
            Ok(r) => r,
            Err(e) => return usage_error(e),
        };
    let mut config = match config_from(&args.member_role, &args.regions) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    if let Some(path) = &args.schedules {
        match read_schedules(path) {
            Ok(doc) => config.settings.schedules = std::sync::Arc::new(doc),
            Err(e) => return usage_error(format!("--schedules: {e}")),
        }
    }
    let timeouts =
        sdk::CallTimeouts::for_operation(std::time::Duration::from_secs(args.call_timeout));
    let sdk = sdk::load_with(timeouts).await;
    let directory = AwsDirectory::new(&sdk);
    let connect = AwsConnect::for_deployment(&sdk, &config);
    let session = session_name(&format!("cli-{}", started.strftime("%Y%m%dT%H%M%SZ")));
    let counts = Arc::new(RunCounts::default());
    let observe = |task: &RegionTask, records: &[InstanceRecord]| {
        counts.regions_done.fetch_add(1, Ordering::Relaxed);
        // Identity on the span, as in the schedule-account Lambda; the line is the same one.
        let span =
            tracing::info_span!("schedule_region", account = %task.account, region = %task.region);
        let _entered = span.enter();
        uptime_core::log_region(records, task.header.dry_run);
    };
    let concurrency = Concurrency {
        accounts: usize::from(args.concurrency),
        ..Concurrency::default()
    };
    let progress = |p: Progress<'_>| match p {
        Progress::Selected { selected, listed } => {
            counts.selected.store(selected, Ordering::Relaxed);
            tracing::info!(selected, listed, "accounts selected; scheduling them now");
        }
        Progress::Account {
            account,
            regions,
            error,
        } => {
            counts.accounts_prepared.fetch_add(1, Ordering::Relaxed);
            match error {
                None => tracing::info!(%account, regions, "account prepared"),
                Some(e) => tracing::info!(
                    %account,
                    error = e.error.as_str(),
                    message = %e.message,
                    "account failed"
                ),
            }
        }
    };
    tracing::info!(
        action = request.action.as_str(),
        dry_run = request.dry_run,
        call_timeout_s = args.call_timeout,
        "listing the Organization's accounts"
    );
    let heartbeat = tokio::spawn(heartbeat(counts.clone()));
    let result = run_organization(
        &directory,
        &connect,
        &TokioPause,
        &request,
        &config.settings,
        RunOptions {
            session: &session,
            concurrency,
            observe: &observe,
            progress: &progress,
        },
    )
    .await;
    heartbeat.abort();
    let mut out = match result {
        Ok(out) => out,
        Err(e) => {
            eprintln!(
                "uptime-scheduler: the run failed before scheduling any account: {}: {}",
                e.error,
                uptime_model::text::escape(&e.message)
            );
            return ExitCode::from(1);
        }
    };
    if matches!(request.action, Action::Start | Action::Reconcile)
        && !request.dry_run
        && out.summary.instances.started > 0
        && args.verify_after > 0
    {
        eprintln!(
            "uptime-scheduler: {} instance(s) started; verifying in {} s that they reached running \
             (--verify-after 0 skips this)",
            out.summary.instances.started, args.verify_after
        );
        tokio::time::sleep(std::time::Duration::from_secs(args.verify_after)).await;
        verify_organization_starts(
            &connect,
            &TokioPause,
            &mut out,
            &request,
            &config.settings,
            &session,
            concurrency,
        )
        .await;
    }
    match args.output {
        Output::Json => print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&out.summary).unwrap_or_default()
        )),
        Output::Table => print_out(&table::render(&out)),
    }
    match out.summary.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::CompletedWithFailures => ExitCode::from(1),
    }
}

/// A `--from`/`--to` value: a date (midnight UTC) or an RFC 3339 instant.
fn range_bound(flag: &str, value: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(date) = value.parse::<jiff::civil::Date>() {
        if value.len() == 10 {
            return date
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .map_err(|e| format!("{flag}: {e}"));
        }
    }
    uptime_model::input::parse_instant(value)
        .map_err(|e| format!("{flag}: {e}; or a date such as 2026-12-01"))
}

/// The report's selection as a run request, checked by the execution input's own rules; an
/// error names the flag.
fn report_request(args: &ReportArgs, from: jiff::Timestamp) -> Result<RunRequest, String> {
    let mut input = serde_json::json!({"action": "reconcile", "dry_run": true});
    let lists = [
        ("accounts", &args.accounts),
        ("exclude_accounts", &args.exclude_accounts),
        ("organizational_units", &args.ous),
    ];
    for (field, values) in lists {
        if !values.is_empty() {
            input[field] = serde_json::json!(values);
        }
    }
    if let Some(s) = &args.schedule {
        input["schedule"] = serde_json::json!(s);
    }
    RunRequest::from_json(&input, from).map_err(|e| {
        let top = e.field.split(['[', '.']).next().unwrap_or("");
        let flag = match top {
            "accounts" => "--accounts",
            "exclude_accounts" => "--exclude-accounts",
            "organizational_units" => "--ous",
            "schedule" => "--schedule",
            _ => return e.to_string(),
        };
        let item = e
            .field
            .strip_prefix(top)
            .and_then(|rest| rest.strip_prefix('['))
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
            .map(|i| format!(" (value {})", i + 1))
            .unwrap_or_default();
        format!("{flag}{item}: {}", e.message)
    })
}

async fn report(args: ReportArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    // Everything is checked before any AWS call: range, selection, files, configuration.
    let from = match &args.from {
        Some(v) => match range_bound("--from", v) {
            Ok(t) => t,
            Err(e) => return usage_error(e),
        },
        None => jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .start_of_day()
            .map(|z| z.timestamp())
            .unwrap_or_else(|_| jiff::Timestamp::now()),
    };
    let to = match &args.to {
        Some(v) => match range_bound("--to", v) {
            Ok(t) => t,
            Err(e) => return usage_error(e),
        },
        None => from
            .checked_add(jiff::SignedDuration::from_hours(30 * 24))
            .unwrap_or(jiff::Timestamp::MAX),
    };
    if to <= from {
        return usage_error(format!("--to ({to}) must be later than --from ({from})"));
    }
    if to.duration_since(from) > jiff::SignedDuration::from_hours(366 * 24) {
        return usage_error(format!(
            "the range from {from} to {to} is longer than 366 days; report a year at a time"
        ));
    }
    let request = match report_request(&args, from) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let schedules = match args.schedules.as_ref().map(read_schedules).transpose() {
        Ok(d) => d.unwrap_or_else(ScheduleDocument::empty),
        Err(e) => return usage_error(format!("--schedules: {e}")),
    };
    let prices = match args.prices.as_str() {
        "aws" => PriceSource::PriceListApi,
        "none" => PriceSource::None,
        file => {
            let path = PathBuf::from(file);
            match read_input(&path).and_then(|v| {
                PriceList::from_json(&v).map_err(|e| format!("{}: {e}", input_name(&path)))
            }) {
                Ok(p) => PriceSource::File(p),
                Err(e) => return usage_error(format!("--prices: {e}")),
            }
        }
    };
    let config = match config_from(&args.member_role, &args.regions) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let timeouts =
        sdk::CallTimeouts::for_operation(std::time::Duration::from_secs(args.call_timeout));
    let sdk = sdk::load_with(timeouts).await;
    let directory = AwsDirectory::new(&sdk);
    let connect = AwsConnect::for_deployment(&sdk, &config);
    let now = jiff::Timestamp::now();
    let session = session_name(&format!("report-{}", now.strftime("%Y%m%dT%H%M%SZ")));
    let settings = &config.settings;
    let mut builder = SavingsBuilder::new(
        from,
        to,
        &schedules,
        &settings.tags,
        request.schedule.as_ref(),
    );
    let failure = |account: &uptime_model::AccountId,
                   region: Option<&uptime_model::Region>,
                   e: &uptime_model::TargetError| {
        uptime_model::report::TargetFailure {
            account: account.clone(),
            region: region.cloned(),
            error: e.error.as_str().to_owned(),
            message: e.message.clone(),
        }
    };
    let concurrency = Concurrency {
        accounts: usize::from(args.concurrency),
        ..Concurrency::default()
    };
    let selection = uptime_core::inventory_organization(
        &directory,
        &connect,
        &TokioPause,
        &request,
        settings,
        (&session, concurrency),
        |found| match found {
            uptime_core::Found::Account { account, error } => {
                builder.add_failure(failure(&account, None, &error))
            }
            uptime_core::Found::Region {
                account,
                region,
                found,
            } => match found {
                Ok(d) => {
                    builder.add_region(&account, &region, &d.instances);
                    builder.add_unreadable(d.unreadable.len() as u64);
                }
                Err(e) => builder.add_failure(failure(&account, Some(&region), &e)),
            },
        },
    )
    .await;
    let selection = match selection {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "uptime-scheduler: the report failed before reading any account: {}: {}",
                e.error,
                uptime_model::text::escape(&e.message)
            );
            return ExitCode::from(1);
        }
    };
    for failed in &selection.failed {
        if let Some(e) = &failed.error {
            builder.add_failure(failure(&failed.account, None, e));
        }
    }
    let c = &selection.counts;
    for (reason, n) in [
        ("not-opted-in", c.not_opted_in),
        ("not-active", c.inactive),
        ("excluded", c.excluded),
    ] {
        builder.add_skipped_accounts(reason, n);
    }
    // Priced once the inventory says which regions and types to price.
    let read;
    let pricing = match &prices {
        PriceSource::File(p) => Pricing::List(p),
        PriceSource::None => Pricing::None,
        PriceSource::PriceListApi => {
            read = uptime_aws::pricing::AwsPriceList::new(&sdk)
                .read(
                    &builder.priced_pairs(),
                    &now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                )
                .await;
            match &read {
                Ok(p) => Pricing::List(p),
                Err(e) => Pricing::NotRead(format!(
                    "the AWS Price List API could not be read: {}",
                    e.message
                )),
            }
        }
    };
    let report = builder.finish(pricing);
    match args.output {
        ReportOutput::Json => print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        )),
        ReportOutput::Table => print_out(&uptime_cli::report::render(&report)),
        ReportOutput::Csv => match uptime_cli::report::csv(&report) {
            Ok(text) => print_out(&text),
            Err(e) => return usage_error(e),
        },
    }
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
