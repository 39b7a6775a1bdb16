//! The deployment: the Terraform module in deploy/terraform (fmt, init + validate of the module
//! and its example against a local provider mirror, the placeholders it fills), its checkov scan,
//! and the member-account CloudFormation template (cfn-lint, and equal to iam/member*.json).
//!
//! Terraform and its provider mirror are not on every machine (no registry here serves them):
//! where either is missing the Terraform steps say so loudly on stderr and are skipped; the
//! rest always runs. Nothing is written into the repository: Terraform works on a copy in a
//! temporary directory, with its own CLI config and data directory.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root, from this crate's own manifest directory. (Not
/// `uptime_testkit::moto::repo_root()`: with a target directory shared by several checkouts,
/// the test kit's compiled-in path can be another checkout's.)
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const MODULE: &str = "deploy/terraform";
const EXAMPLE: &str = "deploy/terraform/examples/complete";
const MEMBER_TEMPLATE: &str = "deploy/member-role.cfn.yaml";

/// The functions the module deploys by default (the account registry on): the state machine's
/// four (one schedule-account per account, its regions inside it: ADR 0014) and
/// refresh-accounts, which keeps the registry (ADR 0013). Each is lambdas/<name>.
const FUNCTIONS: &[&str] = &[
    "list-accounts",
    "refresh-accounts",
    "schedule-account",
    "summarize-run",
    "verify-starts",
];

/// What the account registry adds to every function's environment, and only with it.
const REGISTRY_ENVIRONMENT: &[&str] = &[
    "ACCOUNT_REGISTRY_BUCKET",
    "OPT_IN_MAX_AGE_MINUTES",
    "REGISTRY_TAG_READS",
];

/// The Organizations events the registry's rule matches (deploy/terraform/registry.tf).
const ORGANIZATIONS_EVENT_NAMES: &[&str] = &[
    "TagResource",
    "UntagResource",
    "CreateAccountResult",
    "AcceptHandshake",
    "MoveAccount",
    "RemoveAccountFromOrganization",
    "LeaveOrganization",
    "CloseAccount",
];

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn venv_bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("UPTIME_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"));
    let bin = venv.join("bin").join(name);
    assert!(
        bin.exists(),
        "{} is missing: run scripts/bootstrap-venv.sh (tests/harness/requirements.txt pins it)",
        bin.display()
    );
    bin
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `${name}` placeholders of a template text.
fn placeholders(template: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}').unwrap();
        found.insert(rest[start + 2..start + end].to_owned());
        rest = &rest[start + end..];
    }
    found
}

/// Replaces every `${name}` by `values[name]`.
fn render(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    assert!(!out.contains("${"), "placeholder left in\n{out}");
    out
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!(
            "uptime-deploy-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        // Leftovers of someone's local terraform run never belong in the copy.
        if name_str.starts_with(".terraform") || name_str.contains(".tfstate") {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform: found on PATH, with the provider from a local mirror
// ---------------------------------------------------------------------------------------------

fn terraform_on_path() -> bool {
    Command::new("terraform")
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A folder holding `registry.terraform.io/hashicorp/aws`: `$UPTIME_TF_MIRROR`, Terraform's
/// implicit plugin folders, or any `registry.terraform.io` within three levels of `/`.
fn find_mirror() -> Option<PathBuf> {
    let holds_aws = |dir: &Path| dir.join("registry.terraform.io/hashicorp/aws").is_dir();
    if let Some(dir) = std::env::var_os("UPTIME_TF_MIRROR") {
        let dir = PathBuf::from(dir);
        if holds_aws(&dir) {
            return Some(dir);
        }
        eprintln!(
            "WARNING: UPTIME_TF_MIRROR={} holds no registry.terraform.io/hashicorp/aws; searching elsewhere",
            dir.display()
        );
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        candidates.push(home.join(".terraform.d/plugins"));
        candidates.push(home.join(".local/share/terraform/plugins"));
    }
    candidates.push("/usr/local/share/terraform/plugins".into());
    candidates.push("/usr/share/terraform/plugins".into());
    if let Some(dir) = candidates.into_iter().find(|d| holds_aws(d)) {
        return Some(dir);
    }
    // Like `find / -maxdepth 3 -type d -name registry.terraform.io`.
    fn walk(dir: &Path, depth: usize, found: &mut Option<PathBuf>) {
        if found.is_some() || depth == 0 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !entry.file_type().map(|t| t.is_dir()).unwrap_or(false)
                || ["/proc", "/sys", "/dev", "/run"].contains(&path.to_str().unwrap_or(""))
            {
                continue;
            }
            if entry.file_name() == "registry.terraform.io" && path.join("hashicorp/aws").is_dir() {
                *found = Some(dir.to_path_buf());
                return;
            }
            walk(&path, depth - 1, found);
        }
    }
    let mut found = None;
    walk(Path::new("/"), 3, &mut found);
    found
}

/// A copy of the parts of the repository the module reads, a CLI config naming the mirror
/// (from the committed deploy/terraform/cli.tfrc), and a data directory: all temporary.
#[derive(Debug)]
struct Terraform {
    root: PathBuf,
    cli_config: PathBuf,
}

impl Terraform {
    /// None (after a loud message) when terraform or the provider mirror is missing.
    fn prepare(tmp: &TempDir, what: &str) -> Option<Terraform> {
        if !terraform_on_path() {
            eprintln!(
                "\n*** SKIPPED {what}: `terraform` is not on PATH. Install Terraform >= 1.5 to run the deployment checks. ***\n"
            );
            return None;
        }
        let Some(mirror) = find_mirror() else {
            eprintln!(
                "\n*** SKIPPED {what}: no Terraform provider mirror (a folder holding registry.terraform.io/hashicorp/aws) was found. \
                 Set UPTIME_TF_MIRROR to one (see deploy/terraform/cli.tfrc). ***\n"
            );
            return None;
        };
        let root = tmp.0.join("repo");
        // examples/: the complete example reads examples/schedules.json.
        for part in ["deploy", "iam", "statemachine", "examples"] {
            let from = repo_root().join(part);
            if from.is_dir() {
                copy_tree(&from, &root.join(part));
            }
        }
        let template = std::fs::read_to_string(repo_root().join(MODULE).join("cli.tfrc")).unwrap();
        assert!(
            template.contains("@MIRROR@"),
            "cli.tfrc must name the mirror as @MIRROR@"
        );
        let cli_config = tmp.0.join("cli.tfrc");
        std::fs::write(
            &cli_config,
            template.replace("@MIRROR@", mirror.to_str().unwrap()),
        )
        .unwrap();
        Some(Terraform { root, cli_config })
    }

    fn run(&self, dir: &str, args: &[&str], stdin: Option<&str>) -> Output {
        use std::io::Write;
        let data_dir = self.root.join(format!(".tfdata-{}", dir.replace('/', "-")));
        let mut child = Command::new("terraform")
            .args(args)
            .current_dir(self.root.join(dir))
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_DATA_DIR", data_dir)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_LOG")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn terraform");
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).unwrap();
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    }

    fn ok(&self, dir: &str, args: &[&str]) -> String {
        let out = self.run(dir, args, None);
        assert!(
            out.status.success(),
            "terraform {} in {dir} failed:\n{}",
            args.join(" "),
            text(&out)
        );
        text(&out)
    }

    fn init_and_validate(&self, dir: &str) {
        self.ok(
            dir,
            &["init", "-backend=false", "-input=false", "-no-color"],
        );
        let out = self.ok(dir, &["validate", "-no-color"]);
        assert!(out.contains("The configuration is valid"), "{out}");
    }

    /// Evaluates one expression in the module with `terraform console` (no AWS: data sources
    /// and resources are unknown, names and templates are not), with these `-var name=value`
    /// settings. The results bucket is named, so that what names it (the functions'
    /// ACCOUNT_REGISTRY_BUCKET) is known without the account id.
    fn console_with(&self, dir: &str, vars: &[&str], expression: &str) -> String {
        let mut args = vec![
            "console",
            "-no-color",
            "-var",
            "organization_id=o-exampleorg1",
            "-var",
            "lambda_zip_dir=/nonexistent",
            "-var",
            "results_bucket_name=uptime-scheduler-results-console",
        ];
        for var in vars {
            args.extend(["-var", *var]);
        }
        let out = self.run(dir, &args, Some(&format!("{expression}\n")));
        assert!(
            out.status.success(),
            "terraform console `{expression}` ({vars:?}) failed:\n{}",
            text(&out)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// A console value that is `jsonencode(...)`d: the console prints it as an HCL string.
    fn console_json(&self, dir: &str, expression: &str) -> Value {
        self.console_json_with(dir, &[], expression)
    }

    fn console_json_with(&self, dir: &str, vars: &[&str], expression: &str) -> Value {
        let printed = self.console_with(dir, vars, &format!("jsonencode({expression})"));
        let inner: String = serde_json::from_str(&printed)
            .unwrap_or_else(|e| panic!("console printed {printed:?}: {e}"));
        serde_json::from_str(&inner).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform tests
// ---------------------------------------------------------------------------------------------

#[test]
fn terraform_files_are_formatted() {
    if !terraform_on_path() {
        eprintln!(
            "\n*** SKIPPED terraform fmt: `terraform` is not on PATH. Install Terraform >= 1.5 to run the deployment checks. ***\n"
        );
        return;
    }
    // fmt reads the files only (no provider, nothing written with -check).
    let out = Command::new("terraform")
        .args(["fmt", "-check", "-recursive", "-diff", "-no-color", MODULE])
        .current_dir(repo_root())
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "terraform fmt -check -recursive {MODULE} found unformatted files (run `terraform fmt -recursive {MODULE}`):\n{}",
        text(&out)
    );
}

#[test]
fn the_module_validates_and_fills_every_placeholder() {
    let tmp = TempDir::new("module");
    let Some(tf) = Terraform::prepare(&tmp, "terraform init/validate of the module") else {
        return;
    };
    tf.init_and_validate(MODULE);

    // The definition: the variables the module passes to templatefile cover every ${...}, and
    // the rendered definition is JSON with no placeholder left.
    let definition =
        std::fs::read_to_string(repo_root().join("statemachine/uptime-scheduler.asl.json"))
            .unwrap();
    let given: BTreeSet<String> =
        serde_json::from_value(tf.console_json(MODULE, "keys(local.definition_variables)"))
            .unwrap();
    let wanted = placeholders(&definition);
    let missing: Vec<_> = wanted.difference(&given).collect();
    assert!(
        missing.is_empty(),
        "the module does not fill these placeholders of the definition: {missing:?}"
    );
    let rendered = tf.console_json(
        MODULE,
        r#"jsondecode(templatefile(local.definition_file, { for k in keys(local.definition_variables) : k => "arn:aws:lambda:eu-west-1:123456789012:function:x" }))"#,
    );
    let rendered_text = rendered.to_string();
    assert!(!rendered_text.contains("${"), "{rendered_text}");
    assert_eq!(rendered["StartAt"], "ListAccounts");

    // The policy documents in iam/: the module's templatefile variables cover every placeholder.
    let iam_given: BTreeSet<String> =
        serde_json::from_value(tf.console_json(MODULE, "keys(local.iam_variables)")).unwrap();
    let iam_dir = repo_root().join("iam");
    if iam_dir.is_dir() {
        for file in iam_templates() {
            let text = std::fs::read_to_string(iam_dir.join(&file)).unwrap();
            let missing: Vec<_> = placeholders(&text)
                .difference(&iam_given)
                .cloned()
                .collect();
            assert!(
                missing.is_empty(),
                "iam/{file}: the module does not fill {missing:?}"
            );
        }
    } else {
        eprintln!("\n*** iam/ is missing: the policy placeholders were not checked. ***\n");
    }

    // The StackSet passes exactly the template's parameters.
    let passed: BTreeSet<String> =
        serde_json::from_value(tf.console_json(MODULE, "keys(local.member_stack_parameters)"))
            .unwrap();
    let template = member_template();
    let declared: BTreeSet<String> = template["Parameters"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(passed, declared);

    // Every function of the workspace has a Lambda in the module, named as iam/ expects.
    let functions: BTreeSet<String> =
        serde_json::from_value(tf.console_json(MODULE, "keys(local.functions)")).unwrap();
    assert_eq!(functions, set(FUNCTIONS), "the module's functions");
    assert_eq!(
        functions,
        workspace_lambdas(),
        "the module deploys exactly the workspace's lambdas/<name> crates"
    );
    // The state machine invokes the scheduler's functions only: no ${refresh_accounts_arn}.
    let machine: BTreeSet<String> =
        serde_json::from_value(tf.console_json(MODULE, "keys(local.state_machine_functions)"))
            .unwrap();
    assert_eq!(
        &functions - &machine,
        set(&["refresh-accounts"]),
        "only refresh-accounts is outside the state machine"
    );
    assert_eq!(
        (machine.len(), functions.len()),
        (4, 5),
        "the state machine's four functions and refresh-accounts: {functions:?}"
    );
    assert!(
        !given.contains("refresh_accounts_arn"),
        "the definition is given no refresh-accounts ARN: {given:?}"
    );
    let environment = tf.console_json(MODULE, "local.function_environment");
    for key in [
        "MEMBER_ROLE_NAME",
        "SCHEDULE_TAG_KEY",
        "OPT_OUT_VALUE",
        "ACCOUNT_ENABLED_TAG_KEY",
        "ACCOUNT_REGIONS_TAG_KEY",
        "BATCH_SIZE",
        "LAST_ACTION_TAG_KEY",
        "OVERRIDE_TAG_KEY",
        "CATCH_UP_MINUTES",
    ] {
        assert!(environment.get(key).is_some(), "no {key} in {environment}");
    }
    assert_eq!(environment["MEMBER_ROLE_NAME"], "UptimeSchedulerMember");
    // The account registry (ADR 0013), on by default: every function knows where it is and how
    // old its tags may be (one environment for all, main.tf).
    assert_eq!(
        environment["ACCOUNT_REGISTRY_BUCKET"],
        "uptime-scheduler-results-console"
    );
    assert_eq!(environment["OPT_IN_MAX_AGE_MINUTES"], "60");
    assert_eq!(environment["REGISTRY_TAG_READS"], "3000");
    let timeouts = tf.console_json(MODULE, "var.lambda_timeouts");
    assert_eq!(timeouts["refresh_accounts"], 900, "{timeouts}");
    // schedule-account's default leaves room for its own budget (190 s of region attempts).
    assert_eq!(timeouts["schedule_account"], 220, "{timeouts}");
    // One timeout per function the module deploys, named after it, and no other.
    let timeout_keys: BTreeSet<String> = timeouts
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.replace('_', "-"))
        .collect();
    assert_eq!(timeout_keys, set(FUNCTIONS), "lambda_timeouts' keys");
    let function_timeouts = tf.console_json(
        MODULE,
        "{ for name, f in local.functions : name => f.timeout }",
    );
    assert_eq!(
        function_timeouts["schedule-account"], 220,
        "{function_timeouts}"
    );
    assert_eq!(
        tf.console_json(MODULE, "local.registry_refresh_rate"),
        "rate(10 minutes)"
    );
    assert_eq!(
        tf.console_json_with(
            MODULE,
            &["registry_refresh_minutes=1"],
            "local.registry_refresh_rate"
        ),
        "rate(1 minute)",
        "EventBridge refuses rate(1 minutes)"
    );
    let tuned = tf.console_json_with(
        MODULE,
        &["opt_in_max_age_minutes=30", "registry_tag_reads=500"],
        "local.function_environment",
    );
    assert_eq!(
        (
            &tuned["OPT_IN_MAX_AGE_MINUTES"],
            &tuned["REGISTRY_TAG_READS"]
        ),
        (&json!("30"), &json!("500"))
    );
    // Without the registry: the state machine's four functions, none of its settings.
    let off = ["account_registry=false"];
    let without: BTreeSet<String> =
        serde_json::from_value(tf.console_json_with(MODULE, &off, "keys(local.functions)"))
            .unwrap();
    assert_eq!(without, machine, "no refresh-accounts without the registry");
    let plain = tf.console_json_with(MODULE, &off, "local.function_environment");
    for key in REGISTRY_ENVIRONMENT {
        assert!(
            plain.get(key).is_none(),
            "{key} without the registry: {plain}"
        );
    }
    // The run digest by default: the default bus, no topic (and so no topic policy).
    assert_eq!(
        tf.console_json(MODULE, "local.digest_environment"),
        json!({"DIGEST_EVENT_BUS": "default"})
    );
}

#[test]
fn the_example_validates() {
    let tmp = TempDir::new("example");
    let Some(tf) = Terraform::prepare(&tmp, "terraform init/validate of examples/complete") else {
        return;
    };
    tf.init_and_validate(EXAMPLE);
}

/// Validation rejects a bad schedule before anything reaches AWS.
#[test]
fn the_module_rejects_bad_schedules() {
    let tmp = TempDir::new("reject");
    let Some(tf) = Terraform::prepare(&tmp, "terraform validation of bad inputs") else {
        return;
    };
    let dir = "deploy/terraform/examples/reject";
    std::fs::create_dir_all(tf.root.join(dir)).unwrap();
    let call = |arguments: &str| {
        format!(
            r#"module "m" {{
  source          = "../.."
  organization_id = "o-exampleorg1"
  lambda_zip_dir  = "/nonexistent"
  {arguments}
}}
"#
        )
    };
    let schedules = |value: &str| format!("schedules = {value}");
    let too_big = format!(
        r#"schedules_document = {{ schedules = {{ office = "mon-fri 08:00-18:00 UTC" }}, padding = "{}" }}"#,
        "x".repeat(32_768)
    );
    let cases = [
        (
            schedules(
                r#"{ nightly = { schedule_expression = "0 19 * * *", input = { action = "stop" } } }"#,
            ),
            "schedule_expression must be cron",
        ),
        (
            schedules(
                r#"{ nightly = { schedule_expression = "cron(0 19 ? * MON-FRI *)", timezone = "London time", input = { action = "stop" } } }"#,
            ),
            "timezone must be an IANA",
        ),
        (
            schedules(
                r#"{ nightly = { schedule_expression = "cron(0 19 ? * MON-FRI *)", input = { action = "restart" } } }"#,
            ),
            "input.action must be",
        ),
        (
            schedules(
                r#"{ "bad name!" = { schedule_expression = "rate(1 hour)", input = { action = "stop" } } }"#,
            ),
            "Schedule names must be",
        ),
        (too_big, "schedules_document must be at most 32768 bytes"),
        (
            r#"schedules_document = "mon-fri 08:00-18:00 UTC""#.to_owned(),
            "schedules_document must be an object",
        ),
        (
            "catch_up_minutes = 0".to_owned(),
            "catch_up_minutes must be",
        ),
        (
            r#"last_action_tag_key = "aws:last""#.to_owned(),
            "last_action_tag_key must be a tag key",
        ),
        (
            r#"digest_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops.fifo""#.to_owned(),
            "digest_sns_topic_arn must be the ARN of a standard (not FIFO) SNS topic",
        ),
        (
            r#"digest_sns_topic_arn = "ops-digest""#.to_owned(),
            "digest_sns_topic_arn must be the ARN",
        ),
        (
            "registry_refresh_minutes = 0".to_owned(),
            "registry_refresh_minutes must be a whole number of minutes from 1 to 1440",
        ),
        (
            "registry_refresh_minutes = 2.5".to_owned(),
            "registry_refresh_minutes must be",
        ),
        (
            "opt_in_max_age_minutes = 4".to_owned(),
            "opt_in_max_age_minutes must be a whole number of minutes from 5 to 10080",
        ),
        (
            "opt_in_max_age_minutes = 10081".to_owned(),
            "opt_in_max_age_minutes must be",
        ),
        (
            "registry_tag_reads = 0".to_owned(),
            "registry_tag_reads must be a whole number from 1 to 100000",
        ),
        (
            "lambda_timeouts = { refresh_accounts = 901 }".to_owned(),
            "Every Lambda timeout must be",
        ),
        (
            "lambda_timeouts = { schedule_account = 2 }".to_owned(),
            "Every Lambda timeout must be",
        ),
    ];
    let main = tf.root.join(dir).join("main.tf");
    std::fs::write(&main, call(&schedules("{}"))).unwrap();
    tf.ok(
        dir,
        &["init", "-backend=false", "-input=false", "-no-color"],
    );
    for (arguments, message) in cases {
        std::fs::write(&main, call(&arguments)).unwrap();
        let out = tf.run(dir, &["validate", "-no-color"], None);
        let said = text(&out).split_whitespace().collect::<Vec<_>>().join(" ");
        let shown: String = arguments.chars().take(200).collect();
        assert!(
            !out.status.success() && said.contains(message),
            "{shown}: expected a validation error containing {message:?}, got:\n{said}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// checkov and cfn-lint
// ---------------------------------------------------------------------------------------------

#[test]
fn checkov_finds_nothing_and_every_skip_has_a_reason_listed_in_the_readme() {
    let out = Command::new(venv_bin("checkov"))
        .args([
            "-d",
            MODULE,
            "--framework",
            "terraform",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(out.status.success(), "checkov failed:\n{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Failed checks: 0"),
        "{}",
        text(&out)
    );

    let readme = std::fs::read_to_string(repo_root().join(MODULE).join("README.md")).unwrap();
    let mut skipped = BTreeSet::new();
    for file in tf_files(&repo_root().join(MODULE)) {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let Some((_, skip)) = line.split_once("#checkov:skip=") else {
                continue;
            };
            let (id, reason) = skip
                .split_once(':')
                .unwrap_or_else(|| panic!("{}: skip without a reason: {line}", file.display()));
            assert!(
                reason.trim().len() >= 20,
                "{}: {id} is skipped without a real reason: {line}",
                file.display()
            );
            skipped.insert(id.to_owned());
        }
    }
    for id in &skipped {
        assert!(
            readme.contains(id.as_str()),
            "{id} is skipped in the module but not listed in {MODULE}/README.md"
        );
    }
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !entry.file_name().to_string_lossy().starts_with('.') {
                out.extend(tf_files(&path));
            }
        } else if path.extension().is_some_and(|e| e == "tf") {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_member_role_template_passes_cfn_lint() {
    let out = Command::new(venv_bin("cfn-lint"))
        .arg(MEMBER_TEMPLATE)
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cfn-lint {MEMBER_TEMPLATE}:\n{}",
        text(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// The member-account template against iam/member*.json
// ---------------------------------------------------------------------------------------------

/// The template as JSON, parsed by cfn-lint's own YAML decoder (it knows the short-form tags).
fn member_template() -> Value {
    let script = "import json, sys\n\
                  from cfnlint.decode import decode\n\
                  template, matches = decode(sys.argv[1])\n\
                  assert template is not None and not matches, matches\n\
                  print(json.dumps(template))\n";
    let out = Command::new(venv_bin("python"))
        .args(["-c", script, MEMBER_TEMPLATE])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A small CloudFormation evaluator for what the template uses: Ref (parameters, pseudo
/// parameters), Fn::Sub (both forms), Fn::Join, Fn::If/Fn::Not/Fn::Equals and AWS::NoValue.
struct Cfn<'a> {
    parameters: &'a BTreeMap<String, Value>,
    conditions: Map<String, Value>,
}

const NO_VALUE: &str = "\u{0}NoValue";

impl Cfn<'_> {
    fn eval(&self, v: &Value) -> Value {
        match v {
            Value::Object(o) if o.len() == 1 => {
                let (k, arg) = o.iter().next().unwrap();
                match k.as_str() {
                    "Ref" => self.reference(arg.as_str().unwrap()),
                    "Fn::Sub" => self.sub(arg),
                    "Fn::Join" => {
                        let sep = arg[0].as_str().unwrap();
                        let parts = self.eval(&arg[1]);
                        let parts: Vec<String> = parts
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|p| p.as_str().unwrap().to_owned())
                            .collect();
                        Value::from(parts.join(sep))
                    }
                    "Fn::If" => {
                        let branch = if self.condition(arg[0].as_str().unwrap()) {
                            &arg[1]
                        } else {
                            &arg[2]
                        };
                        self.eval(branch)
                    }
                    "Fn::Not" => Value::from(!self.eval(&arg[0]).as_bool().unwrap()),
                    "Fn::Equals" => Value::from(self.eval(&arg[0]) == self.eval(&arg[1])),
                    "Condition" => Value::from(self.condition(arg.as_str().unwrap())),
                    _ => Value::Object(o.iter().map(|(k, v)| (k.clone(), self.eval(v))).collect()),
                }
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), self.eval(v)))
                    .filter(|(_, v)| v != NO_VALUE)
                    .collect(),
            ),
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|v| self.eval(v))
                    .filter(|v| v != NO_VALUE)
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn condition(&self, name: &str) -> bool {
        self.eval(&self.conditions[name]).as_bool().unwrap()
    }

    fn reference(&self, name: &str) -> Value {
        match name {
            "AWS::Partition" => Value::from("aws"),
            "AWS::NoValue" => Value::from(NO_VALUE),
            _ => self
                .parameters
                .get(name)
                .unwrap_or_else(|| panic!("Ref to unknown {name}"))
                .clone(),
        }
    }

    fn sub(&self, arg: &Value) -> Value {
        let (template, extra) = match arg {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Array(a) => (
                a[0].as_str().unwrap().to_owned(),
                a[1].as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), self.eval(v)))
                    .collect(),
            ),
            _ => panic!("bad Fn::Sub {arg}"),
        };
        let mut values = BTreeMap::new();
        for name in placeholders(&template) {
            let value = extra
                .get(&name)
                .cloned()
                .unwrap_or_else(|| self.reference(&name));
            let value = match value {
                Value::String(s) => s,
                other => panic!("Fn::Sub of a non-string {name} = {other}"),
            };
            values.insert(name, value);
        }
        Value::from(render(&template, &values))
    }
}

/// The policy documents in iam/ that are templates.
fn iam_templates() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join("iam"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.ends_with(".json") && (n.ends_with(".trust.json") || n.ends_with(".policy.json"))
        })
        .collect();
    files.sort();
    files
}

/// The Lambda crates of the workspace: lambdas/<name>.
fn workspace_lambdas() -> BTreeSet<String> {
    std::fs::read_dir(repo_root().join("lambdas"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn json_value(text: &str) -> Value {
    // The documents in the template are JSON text inside Fn::Sub; parse both sides the same way.
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn the_member_role_template_grants_exactly_the_iam_documents() {
    let iam = repo_root().join("iam");
    if !iam.join("member.policy.json").exists() {
        eprintln!("\n*** SKIPPED: iam/member*.json are not there yet. ***\n");
        return;
    }
    let template = member_template();
    let example: Value =
        serde_json::from_str(&std::fs::read_to_string(iam.join("example-values.json")).unwrap())
            .unwrap();
    let read = |file: &str| std::fs::read_to_string(iam.join(file)).unwrap();

    for kms_keys in [json!([]), example["kms_key_arns"].clone(), json!(["*"])] {
        // The same values on both sides: Terraform's templatefile variables and the StackSet's
        // parameters (module: main.tf iam_variables, member_role.tf member_stack_parameters).
        let mut values: BTreeMap<String, String> = example
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect();
        values.insert("kms_key_arns".into(), kms_keys.to_string());
        let keys: Vec<String> = serde_json::from_value(kms_keys.clone()).unwrap();
        let parameters: BTreeMap<String, Value> = [
            ("HubLambdaRoleArn", json!(values["hub_lambda_role_arn"])),
            ("OrganizationId", json!(values["organization_id"])),
            ("MemberRoleName", json!(values["member_role_name"])),
            ("ScheduleTagKey", json!(values["schedule_tag_key"])),
            ("OptOutValue", json!(values["opt_out_value"])),
            ("LastActionTagKey", json!(values["last_action_tag_key"])),
            // A CommaDelimitedList: "" is the one-element list [""].
            (
                "KmsKeyArns",
                if keys.is_empty() {
                    json!([""])
                } else {
                    json!(keys)
                },
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let cfn = Cfn {
            parameters: &parameters,
            conditions: template["Conditions"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        };
        let resources = template["Resources"].as_object().unwrap();
        // Resources whose Condition holds: the role, and the KMS policy only with keys.
        let present: BTreeMap<&String, &Value> = resources
            .iter()
            .filter(|(_, r)| r["Condition"].as_str().is_none_or(|c| cfn.condition(c)))
            .collect();
        let roles: Vec<&Value> = present
            .values()
            .copied()
            .filter(|r| r["Type"] == "AWS::IAM::Role")
            .collect();
        assert_eq!(roles.len(), 1, "one role in the template");
        let role_id = present
            .iter()
            .find(|(_, r)| r["Type"] == "AWS::IAM::Role")
            .unwrap()
            .0
            .to_string();
        let policies: Vec<&Value> = present
            .values()
            .copied()
            .filter(|r| r["Type"] == "AWS::IAM::Policy")
            .collect();
        assert_eq!(
            present.len(),
            1 + policies.len(),
            "nothing but the role and its policies in the template: {:?}",
            present.keys()
        );
        let role = cfn.eval(&roles[0]["Properties"]);
        assert_eq!(role["RoleName"], json!(values["member_role_name"]));

        let doc = |v: &Value| match v {
            Value::String(s) => json_value(s),
            other => other.clone(),
        };
        assert_eq!(
            doc(&role["AssumeRolePolicyDocument"]),
            json_value(&render(&read("member.trust.json"), &values)),
            "trust policy differs from iam/member.trust.json"
        );
        let mut want = vec![json_value(&render(&read("member.policy.json"), &values))];
        if !keys.is_empty() {
            want.push(json_value(&render(
                &read("member-kms.policy.json"),
                &values,
            )));
        }
        let mut got: Vec<Value> = role["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| doc(&p["PolicyDocument"]))
            .collect();
        for policy in policies {
            assert_eq!(
                policy["Properties"]["Roles"],
                json!([{ "Ref": role_id }]),
                "a policy in the template is not on the role"
            );
            got.push(doc(&cfn.eval(&policy["Properties"]["PolicyDocument"])));
        }
        assert_eq!(
            got, want,
            "inline policies differ from iam/member*.json with KmsKeyArns {kms_keys}"
        );
        assert!(
            role.get("ManagedPolicyArns").is_none(),
            "no managed policies beyond iam/"
        );
    }
}

/// The module README's tables name every input and output.
#[test]
fn the_readme_lists_every_input_and_output() {
    let module = repo_root().join(MODULE);
    let readme = std::fs::read_to_string(module.join("README.md")).unwrap();
    for (file, kind) in [("variables.tf", "variable"), ("outputs.tf", "output")] {
        let source = std::fs::read_to_string(module.join(file)).unwrap();
        let names: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{kind} \"")))
            .map(|l| l.split('"').next().unwrap())
            .collect();
        assert!(!names.is_empty(), "no {kind} in {file}");
        for name in names {
            assert!(
                readme.contains(&format!("| `{name}` |")),
                "{MODULE}/README.md does not list the {kind} {name}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// terraform apply of the example against moto
// ---------------------------------------------------------------------------------------------

/// A process this test started, stopped (by its PID) when dropped.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    fn start(program: &Path, args: &[String], log: &Path) -> Server {
        let port: u16 = args.last().unwrap().parse().unwrap();
        let child = Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "{} did not listen on {port} within 30 s",
                program.display()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Server { child, port }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// moto 5.2.5 lacks three Step Functions actions the AWS provider calls for
/// `aws_sfn_state_machine` (plan-time validation, versions, aliases): this forwards everything
/// else to moto and answers those three as an empty AWS would.
const SFN_SHIM: &str = r#"
import sys, urllib.request, urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
UPSTREAM = sys.argv[1]
CANNED = {
    "ValidateStateMachineDefinition": b'{"result":"OK","diagnostics":[]}',
    "ListStateMachineVersions": b'{"stateMachineVersions":[]}',
    "ListStateMachineAliases": b'{"stateMachineAliases":[]}',
}
class Shim(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        action = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        if action in CANNED:
            status, headers, data = 200, [("Content-Type", "application/x-amz-json-1.0")], CANNED[action]
        else:
            request = urllib.request.Request(UPSTREAM + self.path, data=body or None, method=self.command,
                headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")})
            try:
                response = urllib.request.urlopen(request)
            except urllib.error.HTTPError as error:
                response = error
            status, data = response.status, response.read()
            headers = [(k, v) for k, v in response.headers.items()
                       if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date")]
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        # One request per connection: the Go SDK never reuses a connection the shim may drop.
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = forward
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Shim).serve_forever()
"#;

/// An Organization in moto: the default account manages it; one member account in one OU.
const SEED_ORG: &str = r#"
import boto3, json, sys
kw = dict(endpoint_url=sys.argv[1], region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
org = boto3.client("organizations", **kw)
org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
root = org.list_roots()["Roots"][0]["Id"]
ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
account = org.create_account(Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]["AccountId"]
org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
print(json.dumps({"organization_id": org_id, "ou": ou, "account": account}))
"#;

/// Zips as `cargo lambda build` lays them out (the content never runs: moto needs Docker for
/// that, and this test only deploys).
const MAKE_ZIPS: &str = r#"
import os, sys, zipfile
for name in sys.argv[2:]:
    os.makedirs(os.path.join(sys.argv[1], name), exist_ok=True)
    with zipfile.ZipFile(os.path.join(sys.argv[1], name, "bootstrap.zip"), "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, '#!/bin/sh\nexit 1\n')
"#;

/// The member role as the member account sees it (through the role Organizations creates).
const MEMBER_ROLE_OF: &str = r#"
import boto3, json, sys
kw = dict(endpoint_url=sys.argv[1], region_name="eu-west-1")
creds = boto3.client("sts", aws_access_key_id="testing", aws_secret_access_key="testing", **kw).assume_role(
    RoleArn=f"arn:aws:iam::{sys.argv[2]}:role/OrganizationAccountAccessRole", RoleSessionName="deploy-test")["Credentials"]
iam = boto3.client("iam", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                   aws_session_token=creds["SessionToken"], **kw)
role = iam.get_role(RoleName="UptimeSchedulerMember")["Role"]
print(json.dumps({
    "trusted": role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
    "policies": sorted(iam.list_role_policies(RoleName="UptimeSchedulerMember")["PolicyNames"]),
}))
"#;

/// What AWS does on deleting the StackSet instance of an OU, and moto does not (see below).
const DELETE_OU_INSTANCES: &str = r#"
import boto3, sys
boto3.client("cloudformation", endpoint_url=sys.argv[1], region_name="eu-west-1", aws_access_key_id="testing",
             aws_secret_access_key="testing").delete_stack_instances(
    StackSetName="uptime-scheduler-member-role", Accounts=[sys.argv[2]], Regions=["eu-west-1"], RetainStacks=False)
"#;

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new(venv_bin("python"))
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The stretch goal of the deployment: `terraform apply` of examples/complete against moto
/// (every resource, the StackSet deploying the member role into the member account, the extra
/// stack in the hub), a second plan that changes nothing but what moto cannot report back,
/// and `terraform destroy`.
#[test]
fn the_example_applies_to_moto_plans_clean_and_destroys() {
    let tmp = TempDir::new("apply");
    let Some(tf) = Terraform::prepare(&tmp, "terraform apply of examples/complete against moto")
    else {
        return;
    };
    let moto_port = free_port();
    let moto = Server::start(
        &venv_bin("moto_server"),
        &[
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            moto_port.to_string(),
        ],
        &tmp.0.join("moto.log"),
    );
    let shim_file = tmp.0.join("sfn_shim.py");
    std::fs::write(&shim_file, SFN_SHIM).unwrap();
    let shim = Server::start(
        &venv_bin("python"),
        &[
            shim_file.to_str().unwrap().to_owned(),
            moto.endpoint(),
            free_port().to_string(),
        ],
        &tmp.0.join("shim.log"),
    );
    let org: Value = serde_json::from_str(&python(SEED_ORG, &[&moto.endpoint()])).unwrap();
    let zips = tmp.0.join("lambda");
    let functions = set(FUNCTIONS);
    let mut zip_args = vec![zips.to_str().unwrap()];
    zip_args.extend(functions.iter().map(String::as_str));
    python(MAKE_ZIPS, &zip_args);

    // Override files (merged into the example's provider and module blocks): every endpoint at
    // moto, Step Functions through the shim; the member role in the hub too, with KMS grants.
    let endpoints: String = [
        "cloudformation",
        "cloudwatch",
        "events",
        "iam",
        "lambda",
        "logs",
        "s3",
        "scheduler",
        "sts",
    ]
    .iter()
    .map(|s| format!("    {s} = \"{}\"\n", moto.endpoint()))
    .collect();
    let example = tf.root.join(EXAMPLE);
    std::fs::write(
        example.join("moto_override.tf"),
        format!(
            "provider \"aws\" {{\n  access_key = \"testing\"\n  secret_key = \"testing\"\n  \
             skip_credentials_validation = true\n  skip_requesting_account_id = true\n  \
             skip_metadata_api_check = true\n  s3_use_path_style = true\n  max_retries = 3\n  \
             endpoints {{\n{endpoints}    sfn = \"{}\"\n  }}\n}}\n",
            shim.endpoint()
        ),
    )
    .unwrap();
    std::fs::write(
        example.join("module_override.tf"),
        // moto implements no Logs Insights query definitions (PutQueryDefinition); the dashboard
        // (PutDashboard) it does.
        "module \"uptime_scheduler\" {\n  deploy_member_role_here = true\n  kms_key_arns = [\"*\"]\n  saved_queries = false\n  \
         digest_sns_topic_arn = \"arn:aws:sns:eu-west-1:123456789012:ops-digest\"\n}\n",
    )
    .unwrap();
    let vars = [
        "-var".to_owned(),
        format!(
            "organization_id={}",
            org["organization_id"].as_str().unwrap()
        ),
        "-var".to_owned(),
        format!("member_ou_ids=[\"{}\"]", org["ou"].as_str().unwrap()),
        "-var".to_owned(),
        format!("lambda_zip_dir={}", zips.display()),
    ];
    let with_vars = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|s| s.to_string())
            .chain(vars.iter().cloned())
            .collect()
    };
    let run = |args: Vec<String>| -> String {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        tf.ok(EXAMPLE, &refs)
    };

    tf.ok(
        EXAMPLE,
        &["init", "-backend=false", "-input=false", "-no-color"],
    );
    let applied = run(with_vars(&["apply", "-auto-approve", "-no-color"]));
    assert!(applied.contains("Apply complete!"), "{applied}");

    // What was created: the definition with every placeholder filled, the member role's stack in
    // the member account.
    let state: Value = serde_json::from_str(&tf.ok(EXAMPLE, &["show", "-json"])).unwrap();
    let resources: Vec<&Value> = state["values"]["root_module"]["child_modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["resources"].as_array().unwrap())
        .collect();
    let find = |address: &str| {
        *resources
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address} is not in the state"))
    };
    let definition = find("module.uptime_scheduler.aws_sfn_state_machine.this")["values"]
        ["definition"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!definition.contains("${"), "{definition}");
    let definition: Value = serde_json::from_str(&definition).unwrap();
    assert_eq!(
        definition["States"]["ListAccounts"]["Resource"],
        "arn:aws:lambda:eu-west-1:123456789012:function:uptime-scheduler-list-accounts"
    );
    let lambdas = resources
        .iter()
        .filter(|r| r["type"] == "aws_lambda_function")
        .count();
    assert_eq!(lambdas, functions.len());
    // The account registry in a hub outside us-east-1: the schedule and its permission, no
    // Organizations events rule.
    let refresh = find("module.uptime_scheduler.aws_cloudwatch_event_rule.registry_refresh[0]");
    assert_eq!(refresh["values"]["schedule_expression"], "rate(10 minutes)");
    let permission = find("module.uptime_scheduler.aws_lambda_permission.registry_refresh[0]");
    assert_eq!(permission["values"]["source_arn"], refresh["values"]["arn"]);
    assert_eq!(
        permission["values"]["function_name"],
        "uptime-scheduler-refresh-accounts"
    );
    assert!(
        resources.iter().all(|r| !r["address"]
            .as_str()
            .unwrap()
            .contains("organizations_events")),
        "no Organizations events rule in eu-west-1"
    );

    // Reconcile: the example's schedules document reaches both tasks that read instances'
    // schedules, intact, as a JSON string; a reconcile schedule every 5 minutes; the functions
    // know the reconcile settings.
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("examples/schedules.json")).unwrap(),
    )
    .unwrap();
    let account_states = &definition["States"]["ForEachAccount"]["ItemProcessor"]["States"];
    for (task, state) in [
        ("ScheduleAccount", &account_states["ScheduleAccount"]),
        (
            "VerifyAccount",
            &definition["States"]["VerifyEachAccount"]["ItemProcessor"]["States"]["VerifyAccount"],
        ),
    ] {
        let text = state["Parameters"]["deployed_schedules"]
            .as_str()
            .unwrap_or_else(|| panic!("{task}: deployed_schedules is not a string"));
        let deployed: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            deployed, document,
            "{task}: the deployed schedules document"
        );
    }
    let reconcile = find("module.uptime_scheduler.aws_scheduler_schedule.this[\"reconcile\"]");
    assert_eq!(
        reconcile["values"]["schedule_expression"],
        "rate(5 minutes)"
    );
    let input: Value =
        serde_json::from_str(reconcile["values"]["target"][0]["input"].as_str().unwrap()).unwrap();
    assert_eq!(input, json!({"action": "reconcile"}));
    let environment =
        &find("module.uptime_scheduler.aws_lambda_function.this[\"schedule-account\"]")["values"]
            ["environment"][0]["variables"];
    assert_eq!(environment["CATCH_UP_MINUTES"], "60");
    assert_eq!(
        environment["LAST_ACTION_TAG_KEY"],
        "uptime-scheduler:last-action"
    );
    assert_eq!(environment["OVERRIDE_TAG_KEY"], "uptime-scheduler:override");
    // The run digest: summarize-run's settings, on summarize-run only; the topic's own policy.
    assert!(
        environment.get("DIGEST_EVENT_BUS").is_none(),
        "{environment}"
    );
    let summarize = &find("module.uptime_scheduler.aws_lambda_function.this[\"summarize-run\"]")
        ["values"]["environment"][0]["variables"];
    assert_eq!(summarize["DIGEST_EVENT_BUS"], "default");
    assert_eq!(
        summarize["DIGEST_SNS_TOPIC_ARN"],
        "arn:aws:sns:eu-west-1:123456789012:ops-digest"
    );
    let sns_policy: Value = serde_json::from_str(
        find("module.uptime_scheduler.aws_iam_role_policy.hub_digest_sns[0]")["values"]["policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sns_policy["Statement"][0]["Action"], "sns:Publish");
    assert_eq!(
        sns_policy["Statement"][0]["Resource"],
        "arn:aws:sns:eu-west-1:123456789012:ops-digest"
    );
    let member: Value = serde_json::from_str(&python(
        MEMBER_ROLE_OF,
        &[&moto.endpoint(), org["account"].as_str().unwrap()],
    ))
    .unwrap();
    assert_eq!(
        member["trusted"], "arn:aws:iam::123456789012:role/uptime-scheduler-hub-lambda",
        "the StackSet did not create the member role in the member account: {member}"
    );
    assert_eq!(
        member["policies"],
        json!(["uptime-scheduler-member", "uptime-scheduler-member-kms"])
    );

    // A second plan: nothing to do, except what moto does not report back (documented gaps).
    let plan_file = tmp.0.join("second.tfplan");
    run(with_vars(&[
        "plan",
        "-no-color",
        "-input=false",
        &format!("-out={}", plan_file.display()),
    ]));
    let plan: Value =
        serde_json::from_str(&tf.ok(EXAMPLE, &["show", "-json", plan_file.to_str().unwrap()]))
            .unwrap();
    for change in plan["resource_changes"].as_array().unwrap() {
        let address = change["address"].as_str().unwrap();
        let actions = &change["change"]["actions"];
        if actions == &json!(["no-op"]) || actions == &json!(["read"]) {
            continue;
        }
        match address {
            // moto keeps neither AutoDeployment nor Capabilities nor ManagedExecution of a
            // StackSet, so the provider sees auto-deployment off and wants a new one.
            "module.uptime_scheduler.aws_cloudformation_stack_set.member_role[0]" => assert_eq!(
                change["change"]["replace_paths"],
                json!([["auto_deployment"]]),
                "{address}: {change}"
            ),
            // moto reports a CommaDelimitedList parameter as a Python list: "['*']" for "*".
            "module.uptime_scheduler.aws_cloudformation_stack.member_role_here[0]" => {
                assert_eq!(actions, &json!(["update"]), "{address}");
                let before = &change["change"]["before"]["parameters"];
                let after = &change["change"]["after"]["parameters"];
                for (key, value) in after.as_object().unwrap() {
                    if key == "KmsKeyArns" {
                        assert_eq!(before[key], "['*']", "{address}: {change}");
                        assert_eq!(value, "*");
                    } else {
                        assert_eq!(&before[key], value, "{address}: {key} changed");
                    }
                }
            }
            // moto does not keep a function's LoggingConfig: the provider wants to set the JSON
            // log format again, and nothing else.
            a if a.starts_with("module.uptime_scheduler.aws_lambda_function.this[") => {
                assert_eq!(actions, &json!(["update"]), "{address}");
                let mut before = change["change"]["before"].clone();
                let mut after = change["change"]["after"].clone();
                assert_eq!(before["logging_config"], json!([]), "{address}: {change}");
                assert_eq!(
                    after["logging_config"][0]["log_format"], "JSON",
                    "{address}"
                );
                before["logging_config"] = Value::Null;
                after["logging_config"] = Value::Null;
                assert_eq!(before, after, "{address}: more than the log format changes");
            }
            _ => panic!("the second plan changes {address}: {change}"),
        }
    }

    // moto's DeleteStackInstances ignores DeploymentTargets (OUs): remove the OU's instance by
    // account, as AWS would for the OU, so the StackSet is empty when Terraform deletes it.
    python(
        DELETE_OU_INSTANCES,
        &[&moto.endpoint(), org["account"].as_str().unwrap()],
    );
    let destroyed = run(with_vars(&["destroy", "-auto-approve", "-no-color"]));
    assert!(destroyed.contains("Destroy complete!"), "{destroyed}");
    drop(shim);
    drop(moto);
}

/// The account registry's rules, from `terraform plan` of the module (moto answers the only
/// call a plan makes, STS's GetCallerIdentity): the schedule and its permission wherever the hub
/// is, the Organizations events rule only in us-east-1 (EventBridge delivers Organizations'
/// events nowhere else), and nothing of the registry with `account_registry = false`.
#[test]
fn the_account_registry_rules_follow_the_hub_region() {
    let tmp = TempDir::new("registry");
    let Some(tf) = Terraform::prepare(&tmp, "terraform plan of the account registry's rules")
    else {
        return;
    };
    let moto_port = free_port();
    let moto = Server::start(
        &venv_bin("moto_server"),
        &[
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            moto_port.to_string(),
        ],
        &tmp.0.join("moto.log"),
    );
    let zips = tmp.0.join("lambda");
    let mut zip_args = vec![zips.to_str().unwrap()];
    zip_args.extend(FUNCTIONS.iter().copied());
    python(MAKE_ZIPS, &zip_args);

    let dir = "deploy/terraform/examples/registry-plan";
    std::fs::create_dir_all(tf.root.join(dir)).unwrap();
    let main = tf.root.join(dir).join("main.tf");
    let write = |region: &str, arguments: &str| {
        std::fs::write(
            &main,
            format!(
                r#"provider "aws" {{
  region                      = "{region}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {{
    sts = "{endpoint}"
  }}
}}

module "m" {{
  source             = "../.."
  organization_id    = "o-exampleorg1"
  lambda_zip_dir     = "{zips}"
  deploy_member_role = false
  {arguments}
}}

output "account_registry" {{
  value = module.m.account_registry
}}
"#,
                endpoint = moto.endpoint(),
                zips = zips.display(),
            ),
        )
        .unwrap();
    };
    write("us-east-1", "");
    tf.ok(
        dir,
        &["init", "-backend=false", "-input=false", "-no-color"],
    );
    let plan = |region: &str, arguments: &str| -> Value {
        write(region, arguments);
        let file = tmp.0.join(format!("{region}.tfplan"));
        tf.ok(
            dir,
            &[
                "plan",
                "-no-color",
                "-input=false",
                &format!("-out={}", file.display()),
            ],
        );
        serde_json::from_str(&tf.ok(dir, &["show", "-json", file.to_str().unwrap()])).unwrap()
    };
    // Planned resources by address (module.m. left off), and what each configured expression
    // of the module's resources refers to.
    let created = |plan: &Value| -> BTreeMap<String, Value> {
        plan["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["change"]["actions"] == json!(["create"]))
            .map(|c| {
                (
                    c["address"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("module.m.")
                        .to_owned(),
                    c["change"]["after"].clone(),
                )
            })
            .collect()
    };
    let references = |plan: &Value, address: &str, attribute: &str| -> Vec<String> {
        let resources = plan["configuration"]["root_module"]["module_calls"]["m"]["module"]
            ["resources"]
            .as_array()
            .unwrap();
        let r = resources
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address} is not in the configuration"));
        serde_json::from_value(r["expressions"][attribute]["references"].clone())
            .unwrap_or_else(|_| panic!("{address}.{attribute} refers to nothing: {r}"))
    };
    let functions_of = |resources: &BTreeMap<String, Value>| -> BTreeMap<String, Value> {
        resources
            .iter()
            .filter_map(|(address, after)| {
                let name = address
                    .strip_prefix("aws_lambda_function.this[\"")?
                    .strip_suffix("\"]")?;
                Some((
                    name.to_owned(),
                    after["environment"][0]["variables"].clone(),
                ))
            })
            .collect()
    };

    // The hub in us-east-1: both rules, each with its target and its own permission.
    let east = plan("us-east-1", "");
    let resources = created(&east);
    let functions = functions_of(&resources);
    assert_eq!(
        functions.keys().cloned().collect::<BTreeSet<_>>(),
        set(FUNCTIONS)
    );
    for (name, environment) in &functions {
        assert_eq!(
            environment["ACCOUNT_REGISTRY_BUCKET"],
            "uptime-scheduler-results-123456789012-us-east-1",
            "{name}: the results bucket holds the registry"
        );
        assert_eq!(environment["OPT_IN_MAX_AGE_MINUTES"], "60", "{name}");
        assert_eq!(environment["REGISTRY_TAG_READS"], "3000", "{name}");
    }
    let refresh = &resources["aws_lambda_function.this[\"refresh-accounts\"]"];
    assert_eq!(
        refresh["function_name"],
        "uptime-scheduler-refresh-accounts"
    );
    assert_eq!(refresh["timeout"], 900);
    assert_eq!(
        refresh["description"],
        "Keeps the account registry: walks the Organization and reads the accounts' opt-in tags, on a schedule and on Organizations' events."
    );
    // One function per account, its regions inside it (ADR 0014).
    let per_account = &resources["aws_lambda_function.this[\"schedule-account\"]"];
    assert_eq!(
        per_account["function_name"],
        "uptime-scheduler-schedule-account"
    );
    assert_eq!(per_account["timeout"], 220);
    assert_eq!(
        per_account["description"],
        "Assumes the member role in one account and schedules its regions at once, each region on its own."
    );
    let schedule = &resources["aws_cloudwatch_event_rule.registry_refresh[0]"];
    assert_eq!(schedule["schedule_expression"], "rate(10 minutes)");
    let events = &resources["aws_cloudwatch_event_rule.organizations_events[0]"];
    let pattern: Value = serde_json::from_str(events["event_pattern"].as_str().unwrap()).unwrap();
    assert_eq!(
        pattern,
        json!({
            "source": ["aws.organizations"],
            "detail-type": ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"],
            "detail": {
                "eventSource": ["organizations.amazonaws.com"],
                "eventName": ORGANIZATIONS_EVENT_NAMES
            }
        })
    );
    for rule in ["registry_refresh", "organizations_events"] {
        let permission = &resources[&format!("aws_lambda_permission.{rule}[0]")];
        assert_eq!(permission["principal"], "events.amazonaws.com", "{rule}");
        assert_eq!(permission["action"], "lambda:InvokeFunction", "{rule}");
        assert!(
            references(
                &east,
                &format!("aws_lambda_permission.{rule}"),
                "source_arn"
            )
            .contains(&format!("aws_cloudwatch_event_rule.{rule}[0].arn")),
            "{rule}: the permission is for that rule only"
        );
        assert!(
            references(
                &east,
                &format!("aws_lambda_permission.{rule}"),
                "function_name"
            )
            .contains(&"aws_lambda_function.this[\"refresh-accounts\"].function_name".to_owned()),
            "{rule}: the permission is on refresh-accounts"
        );
        assert!(
            resources.contains_key(&format!("aws_cloudwatch_event_target.{rule}[0]")),
            "{rule} has a target"
        );
        let target = references(&east, &format!("aws_cloudwatch_event_target.{rule}"), "arn");
        assert!(
            target.contains(&"aws_lambda_function.this[\"refresh-accounts\"].arn".to_owned()),
            "{rule} invokes refresh-accounts: {target:?}"
        );
    }
    assert_eq!(
        east["planned_values"]["outputs"]["account_registry"]["value"]["organizations_events_rule"],
        true,
        "{}",
        east["planned_values"]["outputs"]["account_registry"]
    );

    // Elsewhere: the schedule alone.
    let west = plan("eu-west-1", "registry_refresh_minutes = 1");
    let resources = created(&west);
    assert_eq!(
        resources["aws_cloudwatch_event_rule.registry_refresh[0]"]["schedule_expression"],
        "rate(1 minute)"
    );
    assert!(resources.contains_key("aws_lambda_permission.registry_refresh[0]"));
    let organizations: Vec<&String> = resources
        .keys()
        .filter(|a| a.contains("organizations_events"))
        .collect();
    assert!(
        organizations.is_empty(),
        "no Organizations rule outside us-east-1: {organizations:?}"
    );
    assert_eq!(
        west["planned_values"]["outputs"]["account_registry"]["value"]["organizations_events_rule"],
        false
    );

    // Without the registry, even in us-east-1: the state machine's four functions, none of its
    // settings, rules or permissions.
    let off = plan("us-east-1", "account_registry = false");
    let resources = created(&off);
    let functions = functions_of(&resources);
    assert_eq!(
        functions.keys().cloned().collect::<BTreeSet<_>>(),
        &set(FUNCTIONS) - &set(&["refresh-accounts"])
    );
    for (name, environment) in &functions {
        for key in REGISTRY_ENVIRONMENT {
            assert!(
                environment.get(key).is_none(),
                "{name}: {key} without the registry"
            );
        }
    }
    let registry: Vec<&String> = resources
        .keys()
        .filter(|a| {
            a.starts_with("aws_cloudwatch_event_")
                || a.starts_with("aws_lambda_permission.")
                || a.contains("refresh-accounts")
        })
        .collect();
    assert!(registry.is_empty(), "{registry:?}");
    assert!(off["planned_values"]["outputs"]["account_registry"]
        .get("value")
        .is_none_or(Value::is_null));
    drop(moto);
}

/// The dashboard body as Terraform renders it (`templatefile` with the module's values) is valid
/// against the documented dashboard body structure (tests/schemas/), graphs only metrics the
/// functions emit, and queries only the log groups the module creates, with fields the
/// functions write.
#[test]
fn the_dashboard_body_follows_the_documented_structure_and_uses_real_metrics_and_fields() {
    let template =
        std::fs::read_to_string(repo_root().join(MODULE).join("dashboard.json.tftpl")).unwrap();
    assert!(
        !template.contains("%{"),
        "no template directives: plain substitution renders it"
    );
    let values = [
        ("state_machine_name", "uptime-scheduler"),
        (
            "state_machine_arn",
            "arn:aws:states:eu-west-1:111111111111:stateMachine:uptime-scheduler",
        ),
        ("region", "eu-west-1"),
        (
            "schedule_account_log_group",
            "/aws/lambda/uptime-scheduler-schedule-account",
        ),
        (
            "summarize_run_log_group",
            "/aws/lambda/uptime-scheduler-summarize-run",
        ),
    ];
    let mut body = template.clone();
    for (name, value) in values {
        let placeholder = format!("${{{name}}}");
        assert!(
            body.contains(&placeholder),
            "the template uses {placeholder}"
        );
        body = body.replace(&placeholder, value);
    }
    assert!(
        !body.contains("${"),
        "every placeholder is one dashboard.tf passes"
    );
    let dashboard: serde_json::Value = serde_json::from_str(&body).expect("the body is JSON");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            repo_root().join("tests/schemas/cloudwatch-dashboard-body.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&dashboard)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // What the schema cannot see: the metrics and the log fields are real.
    let mut ours = 0;
    for (at, name) in body.match_indices("MetricName=\\\"") {
        let rest = &body[at + name.len()..];
        let metric = &rest[..rest.find('\\').unwrap()];
        assert!(
            uptime_model::emf::METRICS.contains(&metric),
            "the dashboard graphs {metric}, which summarize-run does not emit"
        );
        ours += 1;
    }
    assert!(ours >= 7, "the run metrics are graphed ({ours})");
    let functions = std::fs::read_to_string(repo_root().join(MODULE).join("main.tf")).unwrap();
    for group in ["schedule-account", "summarize-run"] {
        assert!(
            functions.contains(&format!("\"{group}\"")),
            "the module deploys {group}"
        );
    }
    // The messages and fields the log widgets filter on are the ones the functions write.
    let core = std::fs::read_to_string(repo_root().join("crates/uptime-core/src/decision_log.rs"))
        .unwrap();
    let summarize =
        std::fs::read_to_string(repo_root().join("lambdas/summarize-run/src/handler.rs")).unwrap();
    for field in ["instance", "outcome", "reason", "detail", "\"decision\""] {
        assert!(core.contains(field), "log_decision writes {field}");
    }
    for field in ["account =", "error =", "detail =", "\"failure\""] {
        assert!(summarize.contains(field), "summarize-run writes {field}");
    }
}
