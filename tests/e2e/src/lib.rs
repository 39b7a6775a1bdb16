//! A whole local stack for one end-to-end run: moto (seeded), optionally the fault proxy in
//! front of it, and the Lambda emulator with the project's binaries. Dropped, it stops every
//! process it started.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::{json, Value};
use uptime_testkit::local::lambda_env;
use uptime_testkit::moto::Moto;
use uptime_testkit::{run_state_machine, FaultProxy, LambdaEmulator, LocalExecution};

/// The regions the functions use when neither the input nor an account tag names any.
pub const DEFAULT_REGIONS: &str = "eu-west-1,us-east-1";

/// The results bucket seed.py creates (the deployment's `results_bucket`).
pub const RESULTS_BUCKET: &str = "uptime-scheduler-results";

#[derive(Debug)]
pub struct Stack {
    // Field order is drop order: functions first, then the proxy, then moto.
    pub lambdas: LambdaEmulator,
    pub proxy: Option<FaultProxy>,
    pub moto: Moto,
    /// What seeding returned: account ids by name, instances with their groups.
    pub inventory: Value,
}

impl Stack {
    /// Starts moto, seeds `spec` (see tests/harness/seed.py), and starts the Lambdas, talking to
    /// moto through the fault proxy when `with_proxy`.
    pub fn start(spec: &Value, with_proxy: bool) -> Stack {
        Self::start_with(spec, with_proxy, &[])
    }

    /// [`Stack::start`] with the account registry (ADR 0013) in the seeded results bucket:
    /// list-accounts reads it, and refresh-accounts runs to keep it ([`Stack::refresh`]).
    pub fn start_with_registry(spec: &Value) -> Stack {
        let bucket = ("ACCOUNT_REGISTRY_BUCKET", RESULTS_BUCKET.to_owned());
        Self::start_with(spec, false, &[bucket])
    }

    /// [`Stack::start`] with more function settings.
    pub fn start_with(spec: &Value, with_proxy: bool, extra: &[(&'static str, String)]) -> Stack {
        let moto = Moto::start();
        let inventory = moto.seed(spec);
        let proxy = with_proxy.then(|| FaultProxy::start(&moto.endpoint()));
        let aws_endpoint = proxy
            .as_ref()
            .map(FaultProxy::endpoint)
            .unwrap_or_else(|| moto.endpoint());
        let mut env = lambda_env(aws_endpoint, DEFAULT_REGIONS);
        env.extend(extra.iter().cloned());
        let mut lambdas = LambdaEmulator::start(&env, 2);
        // Step Functions reads an ItemReader's object itself, not through the functions' proxy.
        lambdas.s3_endpoint = Some(moto.endpoint());
        Stack {
            lambdas,
            proxy,
            moto,
            inventory,
        }
    }

    /// Invokes refresh-accounts with `event` (an EventBridge schedule's or an Organizations
    /// event), as EventBridge would; its answer, or its error.
    pub fn refresh(&self, event: &Value) -> Result<Value, Value> {
        self.lambdas
            .invoke(uptime_testkit::REGISTRY_FUNCTION, event)
    }

    /// The account id seeded under `name`.
    pub fn account(&self, name: &str) -> String {
        seeded_account(&self.inventory, name)
    }

    /// Every seeded instance's current state, by id, read independently from moto.
    pub fn states(&self) -> Value {
        let accounts: Vec<String> = self.inventory["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect();
        self.moto.snapshot(&accounts, &["eu-west-1", "us-east-1"])
    }

    /// Seeded instances of account `name` matching `pred` (on the inventory entry).
    pub fn instances(&self, name: &str, pred: impl Fn(&Value) -> bool) -> Vec<String> {
        self.inventory["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["name"] == name)
            .flat_map(|a| a["instances"].as_array().unwrap().iter())
            .filter(|i| pred(i))
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Runs the definition locally with `input`, capturing SummarizeRun's input and output.
    pub fn run(&self, name: &str, input: Value) -> LocalExecution {
        let execution = run_state_machine(
            &self.lambdas,
            name,
            &input,
            &["SummarizeRun", "ListAccounts"],
        );
        if !matches!(execution.status(), "SUCCEEDED" | "FAILED") {
            panic!(
                "execution {name} ended {}: {}\n{}",
                execution.status(),
                execution.raw,
                self.lambdas.log_tails()
            );
        }
        execution
    }

    /// Changes made by hand, straight in moto and not through the scheduler (see
    /// tests/harness/act.py): `ops` such as `{"op": "stop", "account": id, "region": r,
    /// "instances": [...]}` or `{"op": "tag", ..., "tags": {...}}`, applied in order.
    pub fn act(&self, ops: &Value) {
        self.moto.script("act.py", &[], &json!({"ops": ops}));
    }

    /// Every seeded instance's state and tags, read independently from moto:
    /// `{id: {"account", "region", "state", "tags": {...}}}`.
    pub fn describe(&self) -> Value {
        let accounts: Vec<&str> = self.inventory["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        let regions: Vec<&str> = DEFAULT_REGIONS.split(',').collect();
        self.moto.script(
            "act.py",
            &[],
            &json!({"describe": {"accounts": accounts, "regions": regions}}),
        )["instances"]
            .clone()
    }

    /// Starts moto's recorder (after seeding) so that only the run's calls are counted.
    pub fn record(&self) {
        self.moto.calls("start");
    }

    /// The recorded calls: `{"total", "by_action", "mutating": [...]}`.
    pub fn recorded(&self) -> Value {
        self.moto.calls("stop");
        self.moto.calls("dump")
    }
}

/// Every instance state of `ids` in a snapshot.
pub fn states_of(snapshot: &Value, ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            snapshot[id]["state"]
                .as_str()
                .unwrap_or_else(|| panic!("{id} is not in the snapshot"))
                .to_owned()
        })
        .collect()
}

/// The organization the end-to-end scenarios run against: opted-in accounts with a mix of
/// instances, one restricted to a region by its tag, one untagged (not opted in), one opted out.
pub fn scenario_org() -> Value {
    json!({"accounts": [
        {"name": "dev", "tags": {"uptime-scheduler:enabled": "true"}, "regions": {
            "eu-west-1": [
                {"count": 3, "tags": {"Schedule": "office-hours"}},
                {"count": 1, "tags": {"Schedule": "office-hours"}, "state": "stopped"},
                {"count": 1, "tags": {"Schedule": "nightly"}},
                {"count": 1, "tags": {"Schedule": "ignore"}},
                {"count": 1, "tags": {"Name": "untagged"}},
                {"count": 2, "tags": {"Schedule": "office-hours"}, "asg": "web-asg"}
            ],
            "us-east-1": [{"count": 2, "tags": {"Schedule": "office-hours"}}]
        }},
        {"name": "staging", "tags": {"uptime-scheduler:enabled": "true", "uptime-scheduler:regions": "eu-west-1"}, "regions": {
            "eu-west-1": [{"count": 2, "tags": {"Schedule": "office-hours"}}],
            "us-east-1": [{"count": 1, "tags": {"Schedule": "office-hours"}}]
        }},
        {"name": "qa", "tags": {"uptime-scheduler:enabled": "true"}, "regions": {
            "eu-west-1": [{"count": 2, "tags": {"Schedule": "office-hours"}}]
        }},
        {"name": "prod", "regions": {"eu-west-1": [{"count": 2, "tags": {"Schedule": "office-hours"}}]}},
        {"name": "sandbox", "tags": {"uptime-scheduler:enabled": "false"}, "regions": {
            "eu-west-1": [{"count": 1, "tags": {"Schedule": "office-hours"}}]
        }}
    ]})
}

pub use uptime_testkit::moto::seeded_account;
