//! The library half of the `uptime-scheduler` command: the run report for people, shared with
//! the local demo (`uptime-demo` in tools/), which prints a state machine execution with it;
//! the schedule preview of `uptime-scheduler schedule explain`; and the savings report's
//! table and CSV (`uptime-scheduler report`).

pub mod explain;
pub mod report;
pub mod table;
