//! Child processes fed on standard input: the harness scripts, the local state machine runner,
//! the CLI and the policy linter all read their input that way.

use std::io::Write;
use std::process::{Child, Command, Stdio};

/// Spawns `cmd` with its three streams piped, writes `input` to its standard input and closes
/// it, so the child sees the end of its input; the caller waits for the output.
pub fn spawn_fed(cmd: &mut Command, input: &[u8]) -> Child {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {:?}: {e}", cmd.get_program()));
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(input)
        .unwrap_or_else(|e| panic!("write the input of {:?}: {e}", cmd.get_program()));
    child
}
