//! A stateful in-memory cloud implementing the core's ports, with the EC2 behaviour moto does
//! not have (wrong-state errors, hibernation refusals) and scripted faults (throttling,
//! access denied, per-instance failures). Every call is recorded, tag writes with their key and
//! value.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use uptime_core::{
    Compute, Connect, Directory, Discovered, Discovery, ErrorKind, Pause, PortError,
};
use uptime_model::{
    AccountId, AccountStatus, Instance, InstanceId, InstanceState, Lifecycle, OrgAccount, OuId,
    Region, StateReason,
};

/// The operations the fake records and can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    ListAccounts,
    ListRoots,
    AccountsUnder,
    UnitsUnder,
    AccountTags,
    AssumeRole,
    DescribeRegions,
    DescribeInstances,
    StopInstances,
    StartInstances,
    CreateTags,
}

impl Op {
    /// Writes: start, stop and tagging (a dry run makes none of them).
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Op::StopInstances | Op::StartInstances | Op::CreateTags
        )
    }
}

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub account: Option<AccountId>,
    pub region: Option<Region>,
    pub ids: Vec<InstanceId>,
    pub hibernate: bool,
    /// The tag a CreateTags call wrote: (key, value).
    pub tag: Option<(String, String)>,
    /// Whether the fake answered with an error.
    pub failed: bool,
}

#[derive(Debug, Clone)]
struct Fault {
    op: Op,
    account: Option<AccountId>,
    region: Option<Region>,
    kind: ErrorKind,
    code: String,
    remaining: u32,
}

#[derive(Debug, Clone)]
struct FakeAccount {
    name: String,
    status: AccountStatus,
    tags: BTreeMap<String, String>,
    parent: OuId,
    enabled_regions: Vec<Region>,
}

#[derive(Debug, Clone)]
struct FakeInstance {
    account: AccountId,
    region: Region,
    instance: Instance,
}

#[derive(Debug, Default)]
struct World {
    accounts: BTreeMap<AccountId, FakeAccount>,
    units: BTreeMap<OuId, OuId>,
    denied: BTreeSet<AccountId>,
    instances: BTreeMap<InstanceId, FakeInstance>,
    poisoned: BTreeMap<InstanceId, (ErrorKind, String)>,
    kms_blocked: BTreeSet<InstanceId>,
    faults: Vec<Fault>,
    calls: Vec<Call>,
    next_id: u64,
}

/// The root of the fake organization.
pub fn root() -> OuId {
    OuId::parse("r-fake").unwrap_or_else(|_| unreachable!("valid literal"))
}

/// A fake AWS: Organizations, STS and EC2 in one shared, thread-safe world. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct FakeCloud {
    world: Arc<Mutex<World>>,
}

/// Regions every fake account has enabled unless told otherwise.
pub const FAKE_ENABLED_REGIONS: &[&str] = &["us-east-1", "eu-west-1", "eu-central-1", "us-west-2"];

/// What to launch.
#[derive(Debug, Clone)]
pub struct Launch {
    pub state: InstanceState,
    pub tags: Vec<(String, String)>,
    pub lifecycle: Lifecycle,
    pub hibernation_configured: bool,
    pub instance_type: String,
    pub stopped_at: Option<jiff::Timestamp>,
}

impl Launch {
    pub fn new(state: InstanceState) -> Self {
        Self {
            state,
            tags: Vec::new(),
            lifecycle: Lifecycle::OnDemand,
            hibernation_configured: false,
            instance_type: "t3.micro".to_owned(),
            stopped_at: None,
        }
    }
    pub fn running() -> Self {
        Self::new(InstanceState::Running)
    }
    pub fn stopped() -> Self {
        Self::new(InstanceState::Stopped)
    }
    pub fn tag(mut self, k: &str, v: &str) -> Self {
        self.tags.push((k.into(), v.into()));
        self
    }
    pub fn schedule(self, v: &str) -> Self {
        self.tag("Schedule", v)
    }
    pub fn spot(mut self) -> Self {
        self.lifecycle = Lifecycle::Spot;
        self
    }
    pub fn hibernation(mut self) -> Self {
        self.hibernation_configured = true;
        self
    }
    /// Stopped on request at `at` (what EC2's state transition reason says).
    pub fn stopped_since(mut self, at: &str) -> Self {
        self.state = InstanceState::Stopped;
        self.stopped_at = Some(
            at.parse()
                .unwrap_or_else(|e| panic!("stopped_since {at}: {e}")),
        );
        self
    }
    pub fn instance_type(mut self, t: &str) -> Self {
        self.instance_type = t.to_owned();
        self
    }
}

fn region(r: &str) -> Region {
    Region::parse(r).unwrap_or_else(|e| panic!("test region {r}: {e}"))
}

impl FakeCloud {
    /// Runs `req` in-process against this cloud (the CLI's path: select, then every account
    /// and region), with default concurrency and no real waiting.
    pub async fn run(
        &self,
        req: &uptime_model::RunRequest,
        settings: &uptime_core::Settings,
    ) -> Result<uptime_core::OrgRun, uptime_model::TargetError> {
        uptime_core::run_organization(
            self,
            self,
            &RecordingPause::default(),
            req,
            settings,
            uptime_core::RunOptions::quiet("test"),
        )
        .await
    }

    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panic in another test thread must not hide this test's result.
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an ACTIVE account under the root with the given tags.
    pub fn add_account(&self, id: &str, name: &str, tags: &[(&str, &str)]) -> AccountId {
        let id = AccountId::parse(id).unwrap_or_else(|e| panic!("test account: {e}"));
        self.lock().accounts.insert(
            id.clone(),
            FakeAccount {
                name: name.into(),
                status: AccountStatus::Active,
                tags: tags
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                parent: root(),
                enabled_regions: FAKE_ENABLED_REGIONS.iter().map(|r| region(r)).collect(),
            },
        );
        id
    }

    /// Adds an opted-in account.
    pub fn add_enabled_account(&self, id: &str) -> AccountId {
        self.add_account(id, id, &[("uptime-scheduler:enabled", "true")])
    }

    /// Sets (or, with `None`, removes) one of the account's tags, as TagResource and
    /// UntagResource would.
    pub fn set_account_tag(&self, account: &AccountId, key: &str, value: Option<&str>) {
        if let Some(a) = self.lock().accounts.get_mut(account) {
            match value {
                Some(v) => a.tags.insert(key.to_owned(), v.to_owned()),
                None => a.tags.remove(key),
            };
        }
    }

    /// Removes the account from the Organization.
    pub fn remove_account(&self, account: &AccountId) {
        self.lock().accounts.remove(account);
    }

    pub fn set_status(&self, account: &AccountId, status: AccountStatus) {
        if let Some(a) = self.lock().accounts.get_mut(account) {
            a.status = status;
        }
    }

    pub fn set_enabled_regions(&self, account: &AccountId, regions: &[&str]) {
        if let Some(a) = self.lock().accounts.get_mut(account) {
            a.enabled_regions = regions.iter().map(|r| region(r)).collect();
        }
    }

    /// Adds an OU under `parent` (the root when `None`).
    pub fn add_unit(&self, id: &str, parent: Option<&OuId>) -> OuId {
        let id = OuId::parse(id).unwrap_or_else(|e| panic!("test ou: {e}"));
        self.lock()
            .units
            .insert(id.clone(), parent.cloned().unwrap_or_else(root));
        id
    }

    pub fn move_account(&self, account: &AccountId, unit: &OuId) {
        if let Some(a) = self.lock().accounts.get_mut(account) {
            a.parent = unit.clone();
        }
    }

    /// Makes AssumeRole into this account fail with AccessDenied.
    pub fn deny_role(&self, account: &AccountId) {
        self.lock().denied.insert(account.clone());
    }

    /// Launches an instance.
    pub fn launch(&self, account: &AccountId, region_name: &str, spec: Launch) -> InstanceId {
        let mut w = self.lock();
        w.next_id += 1;
        let id = InstanceId::parse(&format!("i-{:017x}", 0xfa4e_0000_0000u64 + w.next_id))
            .unwrap_or_else(|e| panic!("fake id: {e}"));
        let instance = Instance {
            id: id.clone(),
            state: spec.state,
            lifecycle: spec.lifecycle,
            hibernation_configured: spec.hibernation_configured,
            tags: spec.tags.into_iter().collect(),
            state_reason: None,
            instance_type: Some(spec.instance_type),
            stopped_at: spec.stopped_at,
        };
        w.instances.insert(
            id.clone(),
            FakeInstance {
                account: account.clone(),
                region: region(region_name),
                instance,
            },
        );
        id
    }

    /// `StartInstances` accepts `id`, but the instance falls back to `stopped` with EC2's KMS
    /// state reason, as when the member role may not use an encrypted volume's key.
    pub fn block_start_with_kms(&self, id: &InstanceId) {
        self.lock().kms_blocked.insert(id.clone());
    }

    /// Any Start/StopInstances call that includes `id` fails as a whole with this error, as EC2
    /// fails a whole call for one bad instance.
    pub fn poison(&self, id: &InstanceId, kind: ErrorKind, code: &str) {
        self.lock().poisoned.insert(id.clone(), (kind, code.into()));
    }

    /// The next `times` calls of `op` (in `account`/`region` when given) fail with `kind`.
    pub fn fail_next(
        &self,
        op: Op,
        account: Option<&AccountId>,
        region_name: Option<&str>,
        kind: ErrorKind,
        times: u32,
    ) {
        self.lock().faults.push(Fault {
            op,
            account: account.cloned(),
            region: region_name.map(region),
            kind,
            code: format!("{kind:?}"),
            remaining: times,
        });
    }

    /// Changes an instance's state behind the scheduler's back (a person in the console).
    pub fn set_state(&self, id: &InstanceId, state: InstanceState) {
        if let Some(i) = self.lock().instances.get_mut(id) {
            i.instance.state = state;
        }
    }

    pub fn state(&self, id: &InstanceId) -> Option<InstanceState> {
        self.lock().instances.get(id).map(|i| i.instance.state)
    }

    /// The value of tag `key` on instance `id`, if it has one.
    pub fn tag_value(&self, id: &InstanceId, key: &str) -> Option<String> {
        self.lock()
            .instances
            .get(id)
            .and_then(|i| i.instance.tags.get(key).cloned())
    }

    /// Sets a tag behind the scheduler's back (a person adding an override in the console).
    pub fn set_tag(&self, id: &InstanceId, key: &str, value: &str) {
        if let Some(i) = self.lock().instances.get_mut(id) {
            i.instance.tags.insert(key.into(), value.into());
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn mutating_calls(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.op.is_mutating())
            .collect()
    }

    pub fn count(&self, op: Op) -> usize {
        self.lock().calls.iter().filter(|c| c.op == op).count()
    }

    /// Records a call and applies a matching scripted fault, if any.
    fn enter(
        &self,
        op: Op,
        account: Option<&AccountId>,
        region: Option<&Region>,
        ids: &[InstanceId],
        hibernate: bool,
    ) -> Result<MutexGuard<'_, World>, PortError> {
        self.enter_tagging(op, account, region, ids, hibernate, None)
    }

    /// [`Self::enter`] for a call that also writes a tag, recorded even when a fault answers.
    fn enter_tagging(
        &self,
        op: Op,
        account: Option<&AccountId>,
        region: Option<&Region>,
        ids: &[InstanceId],
        hibernate: bool,
        tag: Option<(String, String)>,
    ) -> Result<MutexGuard<'_, World>, PortError> {
        let mut w = self.lock();
        let fault = w.faults.iter_mut().find(|f| {
            f.op == op
                && f.remaining > 0
                && (f.account.is_none() || f.account.as_ref() == account)
                && (f.region.is_none() || f.region.as_ref() == region)
        });
        let err = fault.map(|f| {
            f.remaining -= 1;
            PortError::new(
                f.kind,
                Some(&f.code),
                format!("injected {:?} on {op:?}", f.kind),
            )
        });
        w.calls.push(Call {
            op,
            account: account.cloned(),
            region: region.cloned(),
            ids: ids.to_vec(),
            hibernate,
            tag,
            failed: err.is_some(),
        });
        match err {
            Some(e) => Err(e),
            None => Ok(w),
        }
    }

    fn fail_last(w: &mut World) {
        if let Some(c) = w.calls.last_mut() {
            c.failed = true;
        }
    }
}

fn org_account(id: &AccountId, a: &FakeAccount) -> OrgAccount {
    OrgAccount {
        id: id.clone(),
        name: a.name.clone(),
        status: a.status,
    }
}

impl Directory for FakeCloud {
    async fn list_accounts(&self) -> Result<Vec<OrgAccount>, PortError> {
        let w = self.enter(Op::ListAccounts, None, None, &[], false)?;
        Ok(w.accounts
            .iter()
            .map(|(id, a)| org_account(id, a))
            .collect())
    }

    async fn roots(&self) -> Result<Vec<OuId>, PortError> {
        drop(self.enter(Op::ListRoots, None, None, &[], false)?);
        Ok(vec![root()])
    }

    async fn accounts_under(&self, parent: &OuId) -> Result<Vec<OrgAccount>, PortError> {
        let w = self.enter(Op::AccountsUnder, None, None, &[], false)?;
        if parent != &root() && !w.units.contains_key(parent) {
            return Err(PortError::new(
                ErrorKind::NotFound,
                Some("ParentNotFoundException"),
                format!("no parent {parent}"),
            ));
        }
        Ok(w.accounts
            .iter()
            .filter(|(_, a)| &a.parent == parent)
            .map(|(id, a)| org_account(id, a))
            .collect())
    }

    async fn units_under(&self, parent: &OuId) -> Result<Vec<OuId>, PortError> {
        let w = self.enter(Op::UnitsUnder, None, None, &[], false)?;
        Ok(w.units
            .iter()
            .filter(|(_, p)| *p == parent)
            .map(|(id, _)| id.clone())
            .collect())
    }

    async fn account_tags(
        &self,
        account: &AccountId,
    ) -> Result<BTreeMap<String, String>, PortError> {
        let w = self.enter(Op::AccountTags, Some(account), None, &[], false)?;
        w.accounts
            .get(account)
            .map(|a| a.tags.clone())
            .ok_or_else(|| {
                PortError::new(
                    ErrorKind::NotFound,
                    Some("TargetNotFoundException"),
                    format!("no account {account}"),
                )
            })
    }
}

/// EC2 of one fake account and region.
#[derive(Debug, Clone)]
pub struct FakeCompute {
    cloud: FakeCloud,
    account: AccountId,
    region: Region,
}

impl Connect for FakeCloud {
    type Compute = FakeCompute;

    async fn connect(&self, account: &AccountId, _session: &str) -> Result<(), PortError> {
        let mut w = self.enter(Op::AssumeRole, Some(account), None, &[], false)?;
        if w.denied.contains(account) {
            Self::fail_last(&mut w);
            return Err(PortError::new(
                ErrorKind::AccessDenied,
                Some("AccessDenied"),
                format!("User is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{account}:role/UptimeSchedulerMember"),
            ));
        }
        Ok(())
    }

    async fn compute(
        &self,
        account: &AccountId,
        region: &Region,
        session: &str,
    ) -> Result<FakeCompute, PortError> {
        // Like the real adapter: credentials are cached per account after the first AssumeRole.
        let cached =
            self.lock().calls.iter().any(|c| {
                c.op == Op::AssumeRole && c.account.as_ref() == Some(account) && !c.failed
            });
        if !cached {
            self.connect(account, session).await?;
        }
        Ok(FakeCompute {
            cloud: self.clone(),
            account: account.clone(),
            region: region.clone(),
        })
    }
}

const DISCOVERABLE: [InstanceState; 4] = [
    InstanceState::Pending,
    InstanceState::Running,
    InstanceState::Stopping,
    InstanceState::Stopped,
];

impl FakeCompute {
    /// Checks a Start/StopInstances call the way EC2 does: the whole call fails for an unknown
    /// id, a poisoned instance, or an instance in a state the operation does not accept.
    fn change(&self, op: Op, ids: &[InstanceId], hibernate: bool) -> Result<(), PortError> {
        let mut w =
            self.cloud
                .enter(op, Some(&self.account), Some(&self.region), ids, hibernate)?;
        let mut error = None;
        for id in ids {
            let Some(fi) = w
                .instances
                .get(id)
                .filter(|i| i.account == self.account && i.region == self.region)
            else {
                error = Some(PortError::new(
                    ErrorKind::NotFound,
                    Some("InvalidInstanceID.NotFound"),
                    format!("The instance ID '{id}' does not exist"),
                ));
                break;
            };
            if let Some((kind, code)) = w.poisoned.get(id) {
                error = Some(PortError::new(
                    *kind,
                    Some(code),
                    format!("{code} for {id}"),
                ));
                break;
            }
            let s = fi.instance.state;
            let bad_state = match op {
                Op::StopInstances => !matches!(
                    s,
                    InstanceState::Running | InstanceState::Stopped | InstanceState::Stopping
                ),
                _ => !matches!(
                    s,
                    InstanceState::Running | InstanceState::Stopped | InstanceState::Pending
                ),
            };
            if bad_state {
                error = Some(PortError::new(
                    ErrorKind::InvalidState,
                    Some("IncorrectInstanceState"),
                    format!(
                        "The instance '{id}' is not in a state from which it can be {}",
                        if op == Op::StopInstances {
                            "stopped"
                        } else {
                            "started"
                        }
                    ),
                ));
                break;
            }
            if hibernate && !fi.instance.hibernation_configured {
                error = Some(PortError::new(
                    ErrorKind::HibernationRefused,
                    Some("UnsupportedHibernationConfiguration"),
                    format!("Hibernation is not configured for {id}"),
                ));
                break;
            }
        }
        if let Some(e) = error {
            FakeCloud::fail_last(&mut w);
            return Err(e);
        }
        let target = if op == Op::StopInstances {
            InstanceState::Stopped
        } else {
            InstanceState::Running
        };
        let blocked = w.kms_blocked.clone();
        for id in ids {
            if let Some(fi) = w.instances.get_mut(id) {
                fi.instance.state = target;
                fi.instance.state_reason = None;
                // The fake has no clock: a stop it makes has no known instant.
                fi.instance.stopped_at = None;
                if op == Op::StartInstances && blocked.contains(id) {
                    fi.instance.state = InstanceState::Stopped;
                    fi.instance.state_reason = Some(StateReason {
                        code: "Client.InvalidKMSKey.InvalidState".into(),
                        message: "Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state".into(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl Compute for FakeCompute {
    async fn enabled_regions(&self) -> Result<Vec<Region>, PortError> {
        let w = self.cloud.enter(
            Op::DescribeRegions,
            Some(&self.account),
            Some(&self.region),
            &[],
            false,
        )?;
        Ok(w.accounts
            .get(&self.account)
            .map(|a| a.enabled_regions.clone())
            .unwrap_or_default())
    }

    async fn discover(&self, what: &Discovery) -> Result<Discovered, PortError> {
        let w = self.cloud.enter(
            Op::DescribeInstances,
            Some(&self.account),
            Some(&self.region),
            &[],
            false,
        )?;
        let mut found = Discovered::default();
        for i in w
            .instances
            .values()
            .filter(|fi| fi.account == self.account && fi.region == self.region)
            .map(|fi| &fi.instance)
            .filter(|i| DISCOVERABLE.contains(&i.state))
            .filter(|i| match (i.tags.get(&what.tag_key), &what.tag_value) {
                (None, _) => false,
                (Some(_), None) => true,
                // As the adapter: the value with its white space trimmed.
                (Some(v), Some(want)) => v.trim() == want,
            })
        {
            // As the AWS adapter does with an answer that does not parse: the instance whose
            // tags XML 1.0 cannot carry is isolated and reported, the others are returned.
            if i.tags.iter().any(|(k, v)| !xml_safe(k) || !xml_safe(v)) {
                found.unreadable.push((
                    i.id.clone(),
                    "EC2's description of the instance does not parse (a tag holds a character XML cannot carry)".into(),
                ));
            } else {
                found.instances.push(i.clone());
            }
        }
        Ok(found)
    }

    async fn stop(&self, ids: &[InstanceId], hibernate: bool) -> Result<(), PortError> {
        self.change(Op::StopInstances, ids, hibernate)
    }

    async fn start(&self, ids: &[InstanceId]) -> Result<(), PortError> {
        self.change(Op::StartInstances, ids, false)
    }

    /// Like EC2's CreateTags: an empty list, an unknown id or an instance that already carries
    /// 50 tags (without this key) fails the whole call and tags nothing; any instance state (even terminated) may be tagged. `poison` does not apply
    /// (it stands for state-change failures); script tag failures with
    /// `fail_next(Op::CreateTags, …)`.
    async fn tag(&self, ids: &[InstanceId], key: &str, value: &str) -> Result<(), PortError> {
        let mut w = self.cloud.enter_tagging(
            Op::CreateTags,
            Some(&self.account),
            Some(&self.region),
            ids,
            false,
            Some((key.to_owned(), value.to_owned())),
        )?;
        let error = if ids.is_empty() {
            Some(PortError::new(
                ErrorKind::Other,
                Some("MissingParameter"),
                "The request must contain the parameter resourceIdSet",
            ))
        } else {
            ids.iter()
                .find(|id| {
                    !w.instances
                        .get(*id)
                        .is_some_and(|i| i.account == self.account && i.region == self.region)
                })
                .map(|id| {
                    PortError::new(
                        ErrorKind::NotFound,
                        Some("InvalidInstanceID.NotFound"),
                        format!("The instance ID '{id}' does not exist"),
                    )
                })
                .or_else(|| {
                    // EC2 allows 50 tags per resource (`aws:` tags not counted); a call that
                    // would add a 51st to any instance fails as a whole.
                    ids.iter()
                        .find(|id| {
                            w.instances.get(*id).is_some_and(|i| {
                                let tags = &i.instance.tags;
                                !tags.contains_key(key)
                                    && tags.keys().filter(|k| !k.starts_with("aws:")).count()
                                        >= MAX_TAGS_PER_RESOURCE
                            })
                        })
                        .map(|_| {
                            PortError::new(
                                ErrorKind::Other,
                                Some("TagLimitExceeded"),
                                "The maximum number of Tags for a resource has been reached.",
                            )
                        })
                })
        };
        if let Some(e) = error {
            FakeCloud::fail_last(&mut w);
            return Err(e);
        }
        for id in ids {
            if let Some(fi) = w.instances.get_mut(id) {
                fi.instance.tags.insert(key.to_owned(), value.to_owned());
            }
        }
        Ok(())
    }
}

/// Whether XML 1.0 can carry `s` (no control characters other than tab, newline and carriage
/// return, no U+FFFE or U+FFFF).
fn xml_safe(s: &str) -> bool {
    !s.chars().any(|c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}'
    })
}

/// EC2's limit of user tags per resource.
pub const MAX_TAGS_PER_RESOURCE: usize = 50;

/// A [`Pause`] that does not wait but remembers every pause asked for.
#[derive(Debug, Clone, Default)]
pub struct RecordingPause {
    pauses: Arc<Mutex<Vec<Duration>>>,
}

impl RecordingPause {
    pub fn pauses(&self) -> Vec<Duration> {
        self.pauses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Pause for RecordingPause {
    async fn pause(&self, duration: Duration) {
        self.pauses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(duration);
    }
}
