//! The library half of the `uptime-scheduler` command: the run report for people, shared with
//! the local demo (`uptime-demo` in tools/), which prints a state machine execution with it;
//! and the schedule preview of `uptime-scheduler schedule explain`.

pub mod explain;
pub mod table;
