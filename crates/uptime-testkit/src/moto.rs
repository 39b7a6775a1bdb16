//! A `moto_server` per test, on a free loopback port, stopped (by PID) when dropped; plus the
//! Python seeding and snapshot scripts in `tests/harness/`.

use serde_json::Value;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (two levels above this crate).
///
/// Found at run time from the running package's manifest directory (cargo sets
/// `CARGO_MANIFEST_DIR` for tests and `cargo run`) or the working directory, so that two clones
/// sharing one cargo target directory never point at each other; the compile-time location is
/// the fallback.
pub fn repo_root() -> PathBuf {
    let is_root =
        |p: &std::path::Path| p.join("Cargo.lock").is_file() && p.join("statemachine").is_dir();
    let starts = [
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        std::env::current_dir().ok(),
    ];
    for start in starts.into_iter().flatten() {
        if let Some(root) = start.ancestors().find(|p| is_root(p)) {
            return root.to_path_buf();
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A program of the project's Python venv (`UPTIME_VENV`, default `.venv`).
pub fn venv_bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("UPTIME_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"));
    venv.join("bin").join(name)
}

/// A running moto_server.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto_server from the project's venv (`scripts/bootstrap-venv.sh` creates it).
    pub fn start() -> Moto {
        let bin = venv_bin("moto_server");
        assert!(
            bin.exists(),
            "{} is missing: run scripts/bootstrap-venv.sh (or set UPTIME_VENV)",
            bin.display()
        );
        let port = free_port();
        let dir = std::env::temp_dir();
        let log = std::fs::File::create(dir.join(format!("uptime-moto-{port}.log")))
            .expect("moto log file");
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // One recording per server, so parallel tests never share or reset each other's.
            .env(
                "MOTO_RECORDER_FILEPATH",
                dir.join(format!("uptime-moto-{port}.jsonl")),
            )
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn moto_server");
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs a harness script with `--endpoint` and JSON on stdin; returns its JSON output.
    pub fn script(&self, script: &str, args: &[&str], input: &Value) -> Value {
        let path = repo_root().join("tests/harness").join(script);
        let mut cmd = Command::new(venv_bin("python"));
        cmd.arg(&path)
            .args(["--endpoint", &self.endpoint()])
            .args(args);
        let out = crate::spawn_fed(&mut cmd, input.to_string().as_bytes())
            .wait_with_output()
            .expect("harness script");
        assert!(
            out.status.success(),
            "{script} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("harness output is JSON")
    }

    /// Seeds an organization (see tests/harness/seed.py for the spec).
    pub fn seed(&self, spec: &Value) -> Value {
        self.script("seed.py", &[], spec)
    }

    /// Every instance's state in these accounts and regions, read independently with boto3.
    pub fn snapshot(&self, accounts: &[String], regions: &[&str]) -> Value {
        self.script(
            "snapshot.py",
            &[],
            &serde_json::json!({"accounts": accounts, "regions": regions}),
        )
    }

    /// Recorder control: `start`, `stop`, or `dump` (returns the call counts).
    pub fn calls(&self, verb: &str) -> Value {
        self.script("calls.py", &[verb], &Value::Null)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The id of the account seeded under `name` in a seed inventory (what seed.py printed).
pub fn seeded_account(inventory: &Value, name: &str) -> String {
    inventory["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .and_then(|a| a["id"].as_str())
        .unwrap_or_else(|| panic!("no seeded account {name}"))
        .to_owned()
}
