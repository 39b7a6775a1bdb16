//! Test kit of the Uptime Scheduler: a stateful in-memory cloud implementing the core's ports
//! (with the faults moto cannot produce), the port contract checks shared by the fake and the
//! real adapter, and a per-test `moto_server` harness.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod contract;
pub mod digests;
pub mod fake;
pub mod local;
pub mod moto;
pub mod objects;
pub mod output;
pub mod process;

pub use digests::FakeDigests;
pub use fake::{Call, FakeCloud, FakeCompute, Launch, Op, RecordingPause};
pub use local::{
    run_state_machine, FaultProxy, LambdaEmulator, LocalExecution, PriceListStub, REGISTRY_FUNCTION,
};
pub use objects::FakeObjects;
pub use output::Captured;
pub use process::spawn_fed;
