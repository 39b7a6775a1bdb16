//! The state machine run locally, end to end, with real parts on loopback:
//!
//! - [`LambdaEmulator`]: `cargo lambda watch --only-lambda-apis` serves the Lambda Invoke API
//!   and one Runtime API per function (`/.rt/<name>`); the project's own Lambda binaries (from
//!   `cargo build --workspace --bins`) poll it like in a Lambda sandbox. Several processes per
//!   function give the region Map real concurrency.
//! - [`FaultProxy`]: `tests/harness/fault_proxy.py` between the Lambdas and moto, injecting
//!   throttling (and, later, rewritten answers) by rule.
//! - [`run_state_machine`]: `tests/sfn/run-execution.mjs` executes the definition file with
//!   `aws-local-stepfunctions` on Node 22, its Task states calling the Invoke API; the deploy-time
//!   placeholders are filled as the Terraform module fills them ([`schedules_document_var`]).
//!
//! Every server listens on 127.0.0.1 and is stopped by PID when its handle is dropped.

use crate::moto::{free_port, repo_root, venv_bin};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Lambda functions of the state machine, by binary name.
pub const FUNCTIONS: [&str; 4] = [
    "list-accounts",
    "schedule-account",
    "summarize-run",
    "verify-starts",
];

/// The function that keeps the account registry (ADR 0013): not a state of the state machine,
/// started only where the functions' environment names a registry bucket.
pub const REGISTRY_FUNCTION: &str = "refresh-accounts";

/// Where the Lambda binaries are: `UPTIME_BIN_DIR`, else the cargo target directory's `debug`.
pub fn binary_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("UPTIME_BIN_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("debug")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn log_file(name: &str) -> (std::fs::File, PathBuf) {
    let path = std::env::temp_dir().join(name);
    (std::fs::File::create(&path).expect("log file"), path)
}

/// The functions' environment for a local stack: the AWS endpoint (moto, or a proxy in front
/// of it), dummy credentials, no shared config files, and the deployment settings.
pub fn lambda_env(aws_endpoint: String, default_regions: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", aws_endpoint),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        ("MEMBER_ROLE_NAME", "UptimeSchedulerMember".to_owned()),
        ("DEFAULT_REGIONS", default_regions.to_owned()),
    ]
}

/// `cargo lambda watch` plus the function processes.
#[derive(Debug)]
pub struct LambdaEmulator {
    watch: Child,
    functions: Vec<Child>,
    pub port: u16,
    /// Where the local runner reads what an `ItemReader` names (as Step Functions reads S3
    /// itself): the functions' `AWS_ENDPOINT_URL` unless set otherwise (moto itself, when the
    /// functions talk to it through the fault proxy).
    pub s3_endpoint: Option<String>,
    /// The emulator's and the functions' logs (stderr), for failure messages.
    pub logs: Vec<PathBuf>,
}

impl LambdaEmulator {
    /// Starts the emulator and `copies` processes of each function in [`FUNCTIONS`] (and one
    /// of [`REGISTRY_FUNCTION`] when `env` sets `ACCOUNT_REGISTRY_BUCKET`), with `env` (the AWS
    /// endpoint, the function configuration) on top of the Lambda runtime variables.
    pub fn start(env: &[(&str, String)], copies: usize) -> LambdaEmulator {
        let watch_bin = venv_bin("cargo-lambda");
        assert!(
            watch_bin.exists(),
            "{} is missing: run scripts/bootstrap-venv.sh (it installs cargo-lambda)",
            watch_bin.display()
        );
        let port = free_port();
        let (log, log_path) = log_file(&format!("uptime-lambda-watch-{port}.log"));
        let watch = Command::new(&watch_bin)
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1"])
            .args(["-P", &port.to_string()])
            // It reads the workspace metadata (never builds with --only-lambda-apis).
            .current_dir(repo_root())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn cargo lambda watch");
        let mut emulator = LambdaEmulator {
            watch,
            functions: Vec::new(),
            port,
            s3_endpoint: env
                .iter()
                .find(|(k, _)| *k == "AWS_ENDPOINT_URL")
                .map(|(_, v)| v.clone()),
            logs: vec![log_path],
        };
        wait_for_port(port, "cargo lambda watch");
        let registry = env.iter().any(|(k, _)| *k == "ACCOUNT_REGISTRY_BUCKET");
        let functions = FUNCTIONS
            .iter()
            .map(|name| (*name, copies))
            .chain(registry.then_some((REGISTRY_FUNCTION, 1)));
        for (name, copies) in functions {
            let bin = binary_dir().join(name);
            assert!(
                bin.exists(),
                "{} is missing: run `cargo build --workspace --bins` first (scripts/test does)",
                bin.display()
            );
            for copy in 0..copies {
                let (log, log_path) = log_file(&format!("uptime-lambda-{port}-{name}-{copy}.log"));
                let child = Command::new(&bin)
                    .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                    .env("AWS_LAMBDA_FUNCTION_NAME", name)
                    .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                    .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                    .env(
                        "AWS_LAMBDA_RUNTIME_API",
                        format!("http://127.0.0.1:{port}/.rt/{name}"),
                    )
                    .env("RUST_LOG", "info")
                    // Like Lambda, which sends both to CloudWatch Logs: the functions log (and
                    // print their EMF line) on standard output.
                    .stdout(log.try_clone().expect("log file handle"))
                    .stderr(log)
                    .spawn()
                    .expect("spawn a Lambda binary");
                emulator.functions.push(child);
                emulator.logs.push(log_path);
            }
        }
        emulator
    }

    /// The Invoke API base URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Invokes `function` with `payload` through the Invoke API, as EventBridge invokes
    /// refresh-accounts: `Ok(response)`, or `Err(error)` when the function failed (its error
    /// name and message, as Lambda reports a function error).
    pub fn invoke(&self, function: &str, payload: &Value) -> Result<Value, Value> {
        let path = format!("/2015-03-31/functions/{function}/invocations");
        let (status, head, body) = http_exchange(self.port, "POST", &path, Some(payload));
        assert!(status == 200, "invoking {function}: HTTP {status}: {body}");
        let value: Value = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!("invoking {function}: the answer is not JSON ({e}): {body}")
        });
        if head.to_ascii_lowercase().contains("x-amz-function-error") {
            Err(value)
        } else {
            Ok(value)
        }
    }

    /// The tail of every log, for a failure message.
    pub fn log_tails(&self) -> String {
        let mut out = String::new();
        for path in &self.logs {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            out.push_str(&format!("== {}\n", path.display()));
            for line in tail.into_iter().rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for LambdaEmulator {
    fn drop(&mut self) {
        for child in self
            .functions
            .iter_mut()
            .chain(std::iter::once(&mut self.watch))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The fault-injecting proxy in front of moto.
#[derive(Debug)]
pub struct FaultProxy {
    server: HarnessServer,
}

impl FaultProxy {
    pub fn start(upstream: &str) -> FaultProxy {
        FaultProxy {
            server: HarnessServer::start("fault_proxy.py", &["--upstream", upstream]),
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.server.port
    }

    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// Replaces the rules (see tests/harness/README.md for their format).
    pub fn set_rules(&self, rules: &Value) {
        self.server
            .control("PUT", "/__fault/rules", Some(rules), "setting fault rules");
    }

    /// Per rule and per `service:Action`: forwarded and faulted counts.
    pub fn stats(&self) -> Value {
        let body = self
            .server
            .control("GET", "/__fault/stats", None, "reading fault stats");
        serde_json::from_str(&body).expect("stats are JSON")
    }
}

/// `tests/harness/price_list.py` on a free loopback port: the AWS Price List API's
/// GetProducts, which moto does not implement, answered from the products it is given.
#[derive(Debug)]
pub struct PriceListStub {
    server: HarnessServer,
}

impl PriceListStub {
    pub fn start() -> PriceListStub {
        PriceListStub {
            server: HarnessServer::start("price_list.py", &[]),
        }
    }

    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// Replaces the products and the deny switch, and forgets the requests.
    pub fn set(&self, spec: &Value) {
        self.server.control(
            "PUT",
            "/__stub/products",
            Some(spec),
            "setting the stub's products",
        );
    }

    /// Every GetProducts request body received since the last [`Self::set`].
    pub fn requests(&self) -> Vec<Value> {
        let body = self.server.control(
            "GET",
            "/__stub/requests",
            None,
            "reading the stub's requests",
        );
        let v: Value = serde_json::from_str(&body).expect("requests are JSON");
        v["requests"].as_array().cloned().unwrap_or_default()
    }
}

/// A harness server script (`tests/harness/SCRIPT --port P ARGS`) on a free loopback port, its
/// log in the temporary folder; stopped by PID when dropped.
#[derive(Debug)]
struct HarnessServer {
    child: Child,
    port: u16,
}

impl HarnessServer {
    /// Starts the script and waits until it listens.
    fn start(script: &str, args: &[&str]) -> Self {
        let port = free_port();
        let (log, _) = log_file(&format!("uptime-{script}-{port}.log"));
        let child = Command::new(venv_bin("python"))
            .arg(repo_root().join("tests/harness").join(script))
            .args(["--port", &port.to_string()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {script}: {e}"));
        wait_for_port(port, script);
        Self { child, port }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One request to a control endpoint, which must answer 200; its body.
    fn control(&self, method: &str, path: &str, body: Option<&Value>, what: &str) -> String {
        let (status, body) = http(self.port, method, path, body);
        assert_eq!(status, 200, "{what}: {body}");
        body
    }
}

impl Drop for HarnessServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 exchange on loopback (control endpoints only).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let (status, _, body) = http_exchange(port, method, path, body);
    (status, body)
}

/// [`http`] with the response's head, a chunked body decoded.
fn http_exchange(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, String, String) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the proxy");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_default();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    };
    (status, head, body)
}

/// A chunked HTTP/1.1 body's content.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// The result of one local execution (see `tests/sfn/run-execution.mjs`).
#[derive(Debug, Clone)]
pub struct LocalExecution {
    pub raw: Value,
}

impl LocalExecution {
    pub fn status(&self) -> &str {
        self.raw["status"].as_str().unwrap_or_default()
    }
    pub fn error(&self) -> Option<&str> {
        self.raw["error"].as_str()
    }
    pub fn cause(&self) -> Option<&str> {
        self.raw["cause"].as_str()
    }
    pub fn output(&self) -> &Value {
        &self.raw["output"]
    }
    /// State transitions: `StateEntered` events.
    pub fn transitions(&self) -> u64 {
        self.raw["transitions"].as_u64().unwrap_or_default()
    }
    pub fn retries(&self) -> u64 {
        self.raw["retries"].as_u64().unwrap_or_default()
    }
    /// Invoke API calls per function.
    pub fn invocations(&self, function: &str) -> u64 {
        self.raw["invocations"][function]
            .as_u64()
            .unwrap_or_default()
    }
    /// The run summary: the execution output, or the failed run's cause (JSON text).
    pub fn summary(&self) -> Option<Value> {
        if self.status() == "SUCCEEDED" {
            return Some(self.output().clone());
        }
        if self.error() == Some("RunCompletedWithFailures") {
            return self.cause().and_then(|c| serde_json::from_str(c).ok());
        }
        None
    }
    /// Every (input, output) of a captured state, in order.
    pub fn captured(&self, state: &str) -> Vec<Value> {
        self.raw["captured"][state]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// The definition file of the state machine.
pub fn definition_path() -> PathBuf {
    repo_root().join("statemachine/uptime-scheduler.asl.json")
}

/// The Node 22 binary `scripts/bootstrap-node.sh` installs.
pub fn node() -> PathBuf {
    let node = repo_root().join("tests/sfn/node_modules/.bin/node");
    assert!(
        node.exists(),
        "{} is missing: run scripts/bootstrap-node.sh",
        node.display()
    );
    node
}

/// What `${schedules_document}` becomes for `document`, as Terraform's module fills it: the
/// definition holds `"deployed_schedules": "${schedules_document}"`, so the placeholder is
/// replaced by the *body* of a JSON string holding the document's compact JSON (the document
/// encoded twice, the outer quotes dropped: `{\"schedules\":{}}`), and the definition stays
/// valid JSON whatever the document holds.
pub fn schedules_document_var(document: &Value) -> String {
    let quoted = Value::String(document.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Executes the definition file locally against the emulator's Invoke API as execution `name`
/// (it names the STS sessions), with no deployed schedules (an empty document: only inline
/// schedule expressions resolve). `capture` names states whose inputs and outputs to return.
/// An `ItemReader` reads from the functions' AWS endpoint (the results bucket seed.py creates).
pub fn run_state_machine(
    lambdas: &LambdaEmulator,
    name: &str,
    input: &Value,
    capture: &[&str],
) -> LocalExecution {
    run_state_machine_with_schedules(lambdas, name, input, capture, &json!({}))
}

/// [`run_state_machine`] with `schedules` as the deployed schedules document (what the Terraform
/// module's `schedules_document` fills into the definition).
pub fn run_state_machine_with_schedules(
    lambdas: &LambdaEmulator,
    name: &str,
    input: &Value,
    capture: &[&str],
    schedules: &Value,
) -> LocalExecution {
    let mut cmd = Command::new(node());
    cmd.arg(repo_root().join("tests/sfn/run-execution.mjs"))
        .arg("--definition")
        .arg(definition_path())
        .args(["--lambda-endpoint", &lambdas.endpoint(), "--input", "-"])
        .args(["--var", "results_bucket=uptime-scheduler-results"])
        .arg("--var")
        .arg(format!(
            "schedules_document={}",
            schedules_document_var(schedules)
        ))
        .args(["--retry-interval-ms", "0", "--wait-ms", "0", "--name", name]);
    if let Some(s3) = &lambdas.s3_endpoint {
        cmd.args(["--s3-endpoint", s3]);
    }
    for state in capture {
        cmd.args(["--capture", state]);
    }
    let out = crate::spawn_fed(&mut cmd, input.to_string().as_bytes())
        .wait_with_output()
        .expect("runner output");
    assert!(
        out.status.success(),
        "run-execution.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    LocalExecution {
        raw: serde_json::from_slice(&out.stdout).expect("the runner prints JSON"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedules_document_var_is_the_body_of_a_json_string() {
        assert_eq!(schedules_document_var(&json!({})), "{}");
        let doc = json!({"schedules": {"office": "mon-fri 08:00-18:00 Europe/London"}});
        let var = schedules_document_var(&doc);
        assert_eq!(
            var,
            r#"{\"schedules\":{\"office\":\"mon-fri 08:00-18:00 Europe/London\"}}"#
        );
        // In the definition it sits between quotes: a JSON string holding the document.
        let field: Value = serde_json::from_str(&format!("\"{var}\"")).unwrap();
        let back: Value = serde_json::from_str(field.as_str().unwrap()).unwrap();
        assert_eq!(back, doc);
    }
}
