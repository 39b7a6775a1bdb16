//! What the binary's tests share: the command with a clean environment (dummy credentials, no
//! instance metadata), its three streams piped.

use std::process::{Command, Stdio};

/// `uptime-scheduler ARGS` with only `PATH`, dummy credentials and `env` set.
pub fn command(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_uptime-scheduler"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The environment of a run against `endpoint` (every service), hub region us-east-1.
pub fn at(endpoint: String) -> [(&'static str, String); 2] {
    [
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL", endpoint),
    ]
}
