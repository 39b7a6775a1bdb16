//! The scheduling engine: account selection, account preparation, the per-region run and the
//! in-process whole-organization run. Each step is what one Lambda does; the CLI chains them.

use crate::ports::{
    Compute, Connect, Directory, Discovered, Discovery, ErrorKind, Pause, PortError,
};
use crate::retry::RetryPolicy;
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use uptime_model::accounts::{opt_in, requested_regions};
use uptime_model::batch::{batches, Bisector};
use uptime_model::reconcile::{reconcile, Note};
use uptime_model::report::{
    clip, summarize, AccountSkipReason, InstanceFailure, RegionSkipReason, RunHeader,
    SkippedAccount, SkippedRegion, MAX_LISTED_INSTANCE_FAILURES,
};
use uptime_model::{
    decide, eligibility, AccountId, AccountReport, AccountStatus, AccountTarget, Action, Decision,
    ErrorName, FailReason, Instance, InstanceId, InstanceRecord, Operation, OrgAccount, Outcome,
    Region, RegionReport, RunRequest, RunSummary, SkipReason, StateReason, TagConfig, TargetError,
};
use uptime_schedule::document::ResolveError;
use uptime_schedule::{Schedule, ScheduleDocument};

/// Deployment-level settings of the engine.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tags: TagConfig,
    /// Instances per StartInstances/StopInstances call.
    pub batch_size: usize,
    /// Regions scheduled when neither the run nor the account names any.
    pub default_regions: Vec<Region>,
    /// Region in which an account's enabled regions are listed.
    pub home_region: Region,
    /// Concurrent Organizations tag reads.
    pub tag_read_concurrency: usize,
    pub retry: RetryPolicy,
    /// Reconcile mode: the catch-up window.
    pub reconcile: uptime_model::reconcile::ReconcileSettings,
    /// Reconcile mode: the deployed schedules document (an execution input's `schedules` is
    /// laid over it). The Lambdas get it from the state machine with each task instead.
    pub schedules: Arc<ScheduleDocument>,
}

impl Settings {
    pub fn new(home_region: Region, default_regions: Vec<Region>) -> Self {
        Self {
            tags: TagConfig::default(),
            batch_size: 50,
            default_regions,
            home_region,
            tag_read_concurrency: 8,
            retry: RetryPolicy::default(),
            reconcile: Default::default(),
            schedules: Arc::new(ScheduleDocument::empty()),
        }
    }
}

/// Maps an adapter error to the error name of the target (account, region, listing) it failed.
pub fn target_error(context: &str, e: &PortError) -> TargetError {
    let name = match e.kind {
        ErrorKind::AccessDenied => ErrorName::AccessDenied,
        ErrorKind::Throttled => ErrorName::Throttled,
        ErrorKind::Transient | ErrorKind::TimedOut => ErrorName::Transient,
        _ => ErrorName::Internal,
    };
    TargetError::new(name, format!("{context}: {}", e.message))
}

/// Maps an adapter error on a state change to the instance's failure reason.
pub fn fail_reason(e: &PortError) -> FailReason {
    match e.kind {
        ErrorKind::AccessDenied => FailReason::AccessDenied,
        ErrorKind::Throttled => FailReason::Throttled,
        ErrorKind::NotFound => FailReason::NotFound,
        ErrorKind::InvalidState => FailReason::InvalidState,
        ErrorKind::InsufficientCapacity => FailReason::InsufficientCapacity,
        ErrorKind::KmsAccess => FailReason::KmsAccess,
        ErrorKind::HibernationRefused | ErrorKind::Unsupported => FailReason::Unsupported,
        ErrorKind::TimedOut => FailReason::TimedOut,
        ErrorKind::Transient | ErrorKind::Other => FailReason::ApiError,
    }
}

// ---------------------------------------------------------------------------------------------
// Account selection

/// Counts of the accounts a selection left out, by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SelectionCounts {
    pub listed: u64,
    pub selected: u64,
    pub not_opted_in: u64,
    pub inactive: u64,
    pub excluded: u64,
    pub failed: u64,
}

/// The accounts a run covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    pub accounts: Vec<AccountTarget>,
    /// Accounts the run named by id that it will not schedule, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedAccount>,
    /// Accounts whose opt-in could not be read: reported as failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<AccountReport>,
    pub counts: SelectionCounts,
}

/// Lists the organization's accounts (or those under the requested OUs), applies the run's
/// account filters and the opt-in tag. Fails only when the listing itself fails.
pub async fn select_accounts(
    dir: &impl Directory,
    pause: &impl Pause,
    req: &RunRequest,
    settings: &Settings,
) -> Result<Selection, TargetError> {
    let retry = settings.retry;
    let listed: Vec<OrgAccount> = if req.organizational_units.is_empty() {
        retry
            .run(pause, || dir.list_accounts())
            .await
            .map_err(|e| target_error("listing accounts", &e))?
    } else {
        let mut found = Vec::new();
        let mut queue: VecDeque<_> = req.organizational_units.iter().cloned().collect();
        let mut seen = BTreeSet::new();
        while let Some(unit) = queue.pop_front() {
            if !seen.insert(unit.clone()) {
                continue;
            }
            let ctx = format!("listing accounts under {unit}");
            found.extend(
                retry
                    .run(pause, || dir.accounts_under(&unit))
                    .await
                    .map_err(|e| target_error(&ctx, &e))?,
            );
            queue.extend(
                retry
                    .run(pause, || dir.units_under(&unit))
                    .await
                    .map_err(|e| target_error(&ctx, &e))?,
            );
        }
        found
    };
    // One entry per account, in id order, so runs and reports are deterministic.
    let listed: BTreeMap<AccountId, OrgAccount> =
        listed.into_iter().map(|a| (a.id.clone(), a)).collect();

    let mut sel = Selection {
        counts: SelectionCounts {
            listed: listed.len() as u64,
            ..SelectionCounts::default()
        },
        ..Selection::default()
    };
    let named: BTreeSet<&AccountId> = req.accounts.iter().collect();
    let skip = |sel: &mut Selection, id: &AccountId, reason, detail: Option<String>| {
        if named.contains(id) {
            sel.skipped.push(SkippedAccount {
                account: id.clone(),
                reason,
                detail,
            });
        }
    };
    for id in &req.accounts {
        if !listed.contains_key(id) {
            let reason = if req.organizational_units.is_empty() {
                AccountSkipReason::NotInOrganization
            } else {
                AccountSkipReason::OutsideRequestedUnits
            };
            skip(&mut sel, id, reason, None);
        }
    }
    let mut candidates = Vec::new();
    for (id, account) in &listed {
        if (!named.is_empty() && !named.contains(id)) || req.exclude_accounts.contains(id) {
            sel.counts.excluded += 1;
        } else if account.status != AccountStatus::Active {
            sel.counts.inactive += 1;
            skip(&mut sel, id, AccountSkipReason::NotActive, None);
        } else {
            candidates.push(id.clone());
        }
    }
    let tag_reads: Vec<_> = stream::iter(candidates)
        .map(|id| async move {
            let tags = retry.run(pause, || dir.account_tags(&id)).await;
            (id, tags)
        })
        .buffered(settings.tag_read_concurrency.max(1))
        .collect()
        .await;
    for (id, tags) in tag_reads {
        match tags {
            Err(e) => {
                sel.counts.failed += 1;
                sel.failed.push(AccountReport {
                    account: id.clone(),
                    regions: Vec::new(),
                    skipped_regions: Vec::new(),
                    error: Some(target_error("reading the account's tags", &e)),
                });
            }
            Ok(tags) => match opt_in(&id, &tags, &settings.tags) {
                Ok(target) => sel.accounts.push(target),
                Err((AccountSkipReason::NotOptedIn, detail)) => {
                    sel.counts.not_opted_in += 1;
                    skip(&mut sel, &id, AccountSkipReason::NotOptedIn, detail);
                }
                Err((reason, detail)) => {
                    // A malformed regions tag is the account owner's mistake: always report it.
                    sel.counts.not_opted_in += 1;
                    sel.skipped.push(SkippedAccount {
                        account: id.clone(),
                        reason,
                        detail,
                    });
                }
            },
        }
    }
    sel.counts.selected = sel.accounts.len() as u64;
    Ok(sel)
}

// ---------------------------------------------------------------------------------------------
// Account preparation

/// An account ready to schedule: access proven, regions decided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PreparedAccount {
    pub account: AccountId,
    pub regions: Vec<Region>,
    /// Always present (possibly empty): the state machine reads it by path.
    #[serde(default)]
    pub skipped_regions: Vec<SkippedRegion>,
}

/// Reads the regions tag of an account whose list was left out of the compact form
/// ([`AccountTarget::defer_regions`]); other targets are returned as they are.
pub async fn resolve_deferred_regions(
    dir: &impl Directory,
    pause: &impl Pause,
    target: &AccountTarget,
    settings: &Settings,
) -> Result<AccountTarget, TargetError> {
    if !target.regions_deferred {
        return Ok(target.clone());
    }
    let tags = settings
        .retry
        .run(pause, || dir.account_tags(&target.id))
        .await
        .map_err(|e| target_error("reading the account's regions tag", &e))?;
    opt_in(&target.id, &tags, &settings.tags).map_err(|(reason, detail)| {
        TargetError::new(
            ErrorName::Internal,
            format!(
                "the account's tags changed during the run ({}{})",
                reason.as_str(),
                detail.map(|d| format!(": {d}")).unwrap_or_default()
            ),
        )
    })
}

/// Assumes the member role and decides the account's regions: the requested ones (run, account
/// tag, defaults) that are enabled in the account.
pub async fn prepare_account<C: Connect>(
    connect: &C,
    pause: &impl Pause,
    target: &AccountTarget,
    run_regions: &[Region],
    settings: &Settings,
    session: &str,
) -> Result<PreparedAccount, TargetError> {
    let account = &target.id;
    let retry = settings.retry;
    retry
        .run(pause, || connect.connect(account, session))
        .await
        .map_err(|e| target_error("assuming the member role", &e))?;
    let (wanted, outside) = requested_regions(
        run_regions,
        target.regions.as_deref(),
        &settings.default_regions,
    );
    let home = connect
        .compute(account, &settings.home_region, session)
        .await
        .map_err(|e| target_error("connecting to EC2", &e))?;
    let enabled = retry
        .run(pause, || home.enabled_regions())
        .await
        .map_err(|e| target_error("listing enabled regions", &e))?;
    let mut prepared = PreparedAccount {
        account: account.clone(),
        regions: Vec::new(),
        skipped_regions: outside
            .into_iter()
            .map(|region| SkippedRegion {
                region,
                reason: RegionSkipReason::NotInAccountRegions,
            })
            .collect(),
    };
    for region in wanted {
        if enabled.contains(&region) {
            prepared.regions.push(region);
        } else {
            prepared.skipped_regions.push(SkippedRegion {
                region,
                reason: RegionSkipReason::NotEnabled,
            });
        }
    }
    Ok(prepared)
}

// ---------------------------------------------------------------------------------------------
// One region

/// What one region run did: the compact report and the per-instance records (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRun {
    pub report: RegionReport,
    pub records: Vec<InstanceRecord>,
}

/// The parts of a run request a region run needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegionTask {
    pub account: AccountId,
    pub region: Region,
    #[serde(flatten)]
    pub header: RunHeader,
    /// Reconcile: the schedules in force (deployed, with the run's own laid over them).
    #[serde(skip, default = "no_schedules")]
    pub schedules: Arc<ScheduleDocument>,
}

impl RegionTask {
    /// A task with no schedules (action mode, or reconcile with only inline schedules).
    pub fn new(account: AccountId, region: Region, header: RunHeader) -> Self {
        Self {
            account,
            region,
            header,
            schedules: no_schedules(),
        }
    }
}

fn no_schedules() -> Arc<ScheduleDocument> {
    Arc::new(ScheduleDocument::empty())
}

/// The schedules a run uses: the deployed document with the request's own laid over it.
pub fn schedules_for(
    deployed: &ScheduleDocument,
    req: &RunRequest,
) -> Result<Arc<ScheduleDocument>, TargetError> {
    match &req.schedules {
        None => Ok(Arc::new(deployed.clone())),
        Some(v) => ScheduleDocument::from_json(v)
            .map(|own| Arc::new(deployed.overlay(&own)))
            .map_err(|e| TargetError::new(ErrorName::InvalidInput, e.to_string())),
    }
}

/// One instance's decision, in either mode, with what reconcile adds to it.
#[derive(Debug)]
struct Decided {
    decision: Decision,
    /// Reconcile: the reason (every reconcile decision has one).
    reason: Option<String>,
    note: Option<Note>,
    /// A message for the log (why a schedule does not resolve).
    message: Option<String>,
    /// Reconcile: the last-action tag value to write once the decision is carried out.
    last_action: Option<String>,
    /// Reconcile: a start recorded by the last-action tag that did not hold.
    failed: Option<FailReason>,
}

impl Decided {
    fn action_mode(decision: Decision) -> Self {
        Self {
            decision,
            reason: None,
            note: None,
            message: None,
            last_action: None,
            failed: None,
        }
    }

    fn skipped(reason: SkipReason, message: Option<String>) -> Self {
        Self {
            decision: Decision::Skip(reason),
            reason: Some(reason.as_str().to_owned()),
            note: None,
            message,
            last_action: None,
            failed: None,
        }
    }
}

/// A stopped instance whose last-action tag records a start that reconcile applied, and whose
/// EC2 state reason is not a stop someone asked for: the start did not hold (EC2 put it back
/// to `stopped`, e.g. for a volume's KMS key). Reconcile runs have no wait in the state
/// machine; the next run finds it here and reports it failed, on every run until the next
/// transition, instead of taking it for a stop by hand.
fn start_that_did_not_hold(instance: &Instance, tags: &TagConfig) -> Option<(FailReason, String)> {
    if instance.state != uptime_model::InstanceState::Stopped {
        return None;
    }
    let recorded = instance
        .tags
        .get(&tags.last_action_key)
        .and_then(|v| uptime_model::reconcile::LastAction::parse(v))?;
    if recorded.to != uptime_schedule::Desired::Running {
        return None;
    }
    let reason = instance.state_reason.as_ref()?;
    if reason.is_deliberate_stop() {
        return None;
    }
    let started = format!(
        "started at {}",
        uptime_model::reconcile::format_instant(recorded.at)
    );
    Some(start_fell_back(reason, &started))
}

/// A start EC2 undid, with its state reason: `kms-access` (and the grant it needs) when the
/// reason names KMS, `did-not-start` otherwise. `started` says when, for the message.
fn start_fell_back(reason: &StateReason, started: &str) -> (FailReason, String) {
    let (kind, hint) = if reason.is_kms() {
        (
            FailReason::KmsAccess,
            "; the member role needs kms:CreateGrant on the volume's key (iam/member-kms.policy.json)",
        )
    } else {
        (FailReason::DidNotStart, "")
    };
    (
        kind,
        format!(
            "{started}, then back to stopped: {}: {}{hint}",
            reason.code, reason.message
        ),
    )
}

/// Schedules resolved once per distinct tag value in a region run.
type ScheduleCache = HashMap<String, Result<Schedule, ResolveError>>;

/// Decides for one instance: [`decide`] in action mode; in reconcile mode eligibility, the
/// schedule its tag names (resolved once per distinct value), then [`reconcile`].
fn decide_instance(
    instance: &Instance,
    task: &RegionTask,
    settings: &Settings,
    cache: &mut ScheduleCache,
) -> Decided {
    let header = &task.header;
    if header.action != Action::Reconcile {
        return Decided::action_mode(decide(
            instance,
            header.action,
            header.schedule.as_ref(),
            &settings.tags,
        ));
    }
    let eligible = match eligibility(instance, header.schedule.as_ref(), &settings.tags) {
        Ok(e) => e,
        Err(reason) => return Decided::skipped(reason, None),
    };
    let resolved = cache
        .entry(eligible.schedule.to_owned())
        .or_insert_with(|| task.schedules.resolve(eligible.schedule));
    let schedule = match resolved {
        Ok(s) => s,
        Err(e @ ResolveError::Unknown(_)) => {
            return Decided::skipped(SkipReason::UnknownSchedule, Some(e.to_string()))
        }
        Err(e @ ResolveError::Invalid(_)) => {
            return Decided::skipped(SkipReason::InvalidSchedule, Some(e.to_string()))
        }
    };
    let d = reconcile(
        instance,
        &eligible,
        schedule,
        header.now,
        &settings.tags,
        &settings.reconcile,
    );
    let failed = match d.decision {
        Decision::Skip(SkipReason::ManualChangeRespected) => {
            start_that_did_not_hold(instance, &settings.tags)
        }
        _ => None,
    };
    Decided {
        decision: d.decision,
        reason: Some(d.reason),
        note: d.note,
        message: failed.as_ref().map(|(_, m)| m.clone()),
        last_action: d.write_last_action.map(|a| a.to_tag_value()),
        failed: failed.map(|(r, _)| r),
    }
}

/// What discovery asks EC2 for: the schedule tag, with the run's schedule as its value if any.
fn discovery_for(task: &RegionTask, settings: &Settings) -> Discovery {
    Discovery {
        tag_key: settings.tags.schedule_key.clone(),
        tag_value: task.header.schedule.as_ref().map(|s| s.as_str().to_owned()),
    }
}

/// Discovers the region's tagged instances, decides for each, and (unless dry-run) applies the
/// decisions in batches, bisecting a failed batch to isolate the instance at fault. Fails only
/// when the region as a whole cannot be scheduled (no access, discovery impossible).
pub async fn schedule_region<C: Connect>(
    connect: &C,
    pause: &impl Pause,
    task: &RegionTask,
    settings: &Settings,
    session: &str,
) -> Result<RegionRun, TargetError> {
    let retry = settings.retry;
    let compute = connect
        .compute(&task.account, &task.region, session)
        .await
        .map_err(|e| target_error("assuming the member role", &e))?;
    let discovery = discovery_for(task, settings);
    let Discovered {
        instances,
        unreadable,
    } = retry
        .run(pause, || compute.discover(&discovery))
        .await
        .map_err(|e| target_error("discovering instances", &e))?;

    let mut records = Vec::with_capacity(instances.len() + unreadable.len());
    for (instance, why) in unreadable {
        records.push(InstanceRecord {
            instance,
            outcome: Outcome::Skipped(SkipReason::Unreadable),
            message: Some(clip(&why)),
            reason: Some(SkipReason::Unreadable.as_str().to_owned()),
            note: None,
        });
    }
    let mut planned: BTreeMap<Operation, Vec<InstanceId>> = BTreeMap::new();
    // Reconcile: the reason and note of each instance acted on, and the last-action tag
    // values to write (for an instance acted on, only once the change succeeded).
    let mut pending: HashMap<InstanceId, Decided> = HashMap::new();
    let mut tag_writes: BTreeMap<String, Vec<InstanceId>> = BTreeMap::new();
    let mut cache = ScheduleCache::new();
    for instance in &instances {
        let decided = decide_instance(instance, task, settings, &mut cache);
        let outcome = match (decided.failed, decided.decision) {
            (Some(reason), _) => Outcome::Failed(reason),
            (None, Decision::Already) => Outcome::Already,
            (None, Decision::Skip(reason)) => Outcome::Skipped(reason),
            (None, Decision::Act(op)) if task.header.dry_run => match op {
                Operation::Start => Outcome::WouldStart,
                Operation::Stop | Operation::Hibernate => Outcome::WouldStop,
            },
            (None, Decision::Act(op)) => {
                planned.entry(op).or_default().push(instance.id.clone());
                pending.insert(instance.id.clone(), decided);
                continue;
            }
        };
        if let (Some(value), false) = (&decided.last_action, task.header.dry_run) {
            tag_writes
                .entry(value.clone())
                .or_default()
                .push(instance.id.clone());
        }
        records.push(InstanceRecord {
            instance: instance.id.clone(),
            outcome,
            message: decided.message,
            reason: decided.reason,
            note: decided.note.map(|n| n.as_str().to_owned()),
        });
    }
    let applied_from = records.len();
    // After a call that got no answer in time, the region's remaining calls are not made.
    let mut hung = Hung::default();
    for (op, ids) in planned {
        for batch in batches(&ids, settings.batch_size) {
            apply_batch(&compute, pause, &retry, op, batch, &mut records, &mut hung).await;
        }
    }
    for record in &mut records[applied_from..] {
        let Some(decided) = pending.remove(&record.instance) else {
            continue;
        };
        record.reason = decided.reason;
        record.note = decided.note.map(|n| n.as_str().to_owned());
        let changed = matches!(
            record.outcome,
            Outcome::Started | Outcome::Stopped | Outcome::Hibernated
        );
        if let (Some(value), true) = (decided.last_action, changed) {
            tag_writes
                .entry(value)
                .or_default()
                .push(record.instance.clone());
        }
    }
    write_last_actions(
        &compute,
        pause,
        settings,
        tag_writes,
        &mut records,
        &mut hung,
    )
    .await;
    let report = RegionReport::from_records(task.account.clone(), task.region.clone(), &records);
    Ok(RegionRun { report, records })
}

/// Verifies a region's starts some time after `schedule_region` started instances: an instance
/// that the decision would still start did not reach `running` (EC2 put it back to `stopped`,
/// e.g. because the role may not use an encrypted volume's KMS key: its state reason then says
/// why, where a refused start still shows the user-initiated stop before it). It is moved from
/// `started` to `failed` with EC2's state reason; `kms-access` names the missing KMS grant.
/// Instances still `pending` count as started. A report without starts is returned unchanged.
pub async fn verify_starts<C: Connect>(
    connect: &C,
    pause: &impl Pause,
    task: &RegionTask,
    mut report: RegionReport,
    settings: &Settings,
    session: &str,
) -> Result<RegionReport, TargetError> {
    if report.error.is_some() || report.counts.started == 0 || task.header.dry_run {
        return Ok(report);
    }
    let compute = connect
        .compute(&task.account, &task.region, session)
        .await
        .map_err(|e| target_error("assuming the member role", &e))?;
    let discovery = discovery_for(task, settings);
    let instances = settings
        .retry
        .run(pause, || compute.discover(&discovery))
        .await
        .map_err(|e| target_error("verifying the starts", &e))?
        .instances;
    // Instances whose StartInstances call already failed are in the report; not again.
    let reported: BTreeSet<InstanceId> =
        report.failures.iter().map(|f| f.instance.clone()).collect();
    let mut cache = ScheduleCache::new();
    for instance in &instances {
        // Reconcile recorded the start in the last-action tag; without it, the decision is
        // the one taken before the start.
        let mut before = instance.clone();
        before.tags.remove(&settings.tags.last_action_key);
        let still_to_start = matches!(
            decide_instance(&before, task, settings, &mut cache).decision,
            Decision::Act(Operation::Start)
        );
        if !still_to_start || report.counts.started == 0 || reported.contains(&instance.id) {
            continue;
        }
        // Only a start that EC2 undid has a state reason other than the stop before it; an
        // instance whose start was refused outright still shows that stop (and was counted
        // as failed when the call failed).
        let (reason, message) = match &instance.state_reason {
            Some(r) if r.is_user_initiated() => continue,
            None => continue,
            Some(r) => start_fell_back(r, "started"),
        };
        report.counts.started -= 1;
        report.counts.record(&Outcome::Failed(reason));
        if report.failures.len() < MAX_LISTED_INSTANCE_FAILURES {
            report.failures.push(InstanceFailure {
                instance: instance.id.clone(),
                reason,
                message: clip(&message),
            });
        } else {
            report.failures_not_listed += 1;
        }
    }
    Ok(report)
}

/// Writes the last-action tags, one CreateTags call per value and batch. CreateTags is atomic
/// like StopInstances: one instance that cannot take the tag (it already carries 50 tags, it
/// was terminated meanwhile) fails the whole call, so a failed batch is bisected as state
/// changes are, and only the instance at fault goes without its tag. A failed write does not
/// undo the change it records: the instance is noted (`last-action-not-written`) and the next
/// run, finding the transition unrecorded but the instance already in its state, writes the
/// tag then.
async fn write_last_actions(
    compute: &impl Compute,
    pause: &impl Pause,
    settings: &Settings,
    writes: BTreeMap<String, Vec<InstanceId>>,
    records: &mut [InstanceRecord],
    hung: &mut Hung,
) {
    let key = &settings.tags.last_action_key;
    let mut not_written = |group: &[InstanceId], value: &str, e: &PortError| {
        let failed: BTreeSet<&InstanceId> = group.iter().collect();
        for r in records.iter_mut().filter(|r| failed.contains(&r.instance)) {
            r.note = Some(NOTE_LAST_ACTION_NOT_WRITTEN.to_owned());
            r.message = Some(clip(&format!("writing {key}={value}: {}", e.message)));
        }
    };
    for (value, ids) in writes {
        for batch in batches(&ids, settings.batch_size) {
            let mut plan = Bisector::new(batch);
            while let Some(group) = plan.next_group() {
                if let Some(skipped) = hung.not_attempted() {
                    not_written(&group, &value, &skipped);
                    continue;
                }
                match settings
                    .retry
                    .run(pause, || compute.tag(&group, key, &value))
                    .await
                {
                    Ok(()) => {}
                    Err(e) if e.kind == ErrorKind::TimedOut => {
                        hung.saw(&e);
                        not_written(&group, &value, &e);
                    }
                    // Retries ran out: not one instance's fault, so no bisecting.
                    Err(e) if e.kind.is_retryable() => not_written(&group, &value, &e),
                    Err(e) => {
                        if let Some(id) = plan.failed(group) {
                            not_written(std::slice::from_ref(&id), &value, &e);
                        }
                    }
                }
            }
        }
    }
}

/// The note on an instance whose last-action tag could not be written.
pub const NOTE_LAST_ACTION_NOT_WRITTEN: &str = "last-action-not-written";

async fn call(compute: &impl Compute, op: Operation, ids: &[InstanceId]) -> Result<(), PortError> {
    match op {
        Operation::Start => compute.start(ids).await,
        Operation::Stop => compute.stop(ids, false).await,
        Operation::Hibernate => compute.stop(ids, true).await,
    }
}

fn done(op: Operation) -> Outcome {
    match op {
        Operation::Start => Outcome::Started,
        Operation::Stop => Outcome::Stopped,
        Operation::Hibernate => Outcome::Hibernated,
    }
}

/// The first call of a region run that got no answer in time. Every later call of that run
/// is then not made but reported (`timed-out`, "not attempted"), so that a hung endpoint costs
/// one timeout per region run, not one per batch.
#[derive(Debug, Default)]
struct Hung(Option<String>);

impl Hung {
    fn saw(&mut self, e: &PortError) {
        if self.0.is_none() {
            self.0 = Some(e.message.clone());
        }
    }

    /// The error to report for a call not made, if an earlier one timed out.
    fn not_attempted(&self) -> Option<PortError> {
        self.0.as_ref().map(|first| {
            PortError::new(
                ErrorKind::TimedOut,
                None,
                format!(
                    "not attempted: an earlier call in this region got no answer in time ({first})"
                ),
            )
        })
    }
}

/// Applies one batch: retries throttling, bisects on any other error, falls back from
/// hibernate to a plain stop for an instance EC2 will not hibernate. A call that times out is
/// neither retried nor bisected (no instance is at fault), and stops the region's later calls.
async fn apply_batch(
    compute: &impl Compute,
    pause: &impl Pause,
    retry: &RetryPolicy,
    op: Operation,
    batch: Vec<InstanceId>,
    records: &mut Vec<InstanceRecord>,
    hung: &mut Hung,
) {
    let record = |records: &mut Vec<InstanceRecord>, id: InstanceId, outcome, message| {
        records.push(InstanceRecord {
            instance: id,
            outcome,
            message,
            reason: None,
            note: None,
        })
    };
    let mut plan = Bisector::new(batch);
    while let Some(group) = plan.next_group() {
        let result = match hung.not_attempted() {
            Some(skipped) => Err(skipped),
            None => retry.run(pause, || call(compute, op, &group)).await,
        };
        match result {
            Ok(()) => group
                .into_iter()
                .for_each(|id| record(records, id, done(op), None)),
            Err(e) if e.kind == ErrorKind::TimedOut => {
                hung.saw(&e);
                for id in group {
                    record(
                        records,
                        id,
                        Outcome::Failed(FailReason::TimedOut),
                        Some(e.message.clone()),
                    );
                }
            }
            Err(e) if e.kind.is_retryable() => {
                // Retries ran out: not an instance's fault, so no bisecting; report and go on.
                let reason = fail_reason(&e);
                for id in group {
                    record(
                        records,
                        id,
                        Outcome::Failed(reason),
                        Some(e.message.clone()),
                    );
                }
            }
            Err(e) => {
                if let Some(id) = plan.failed(group) {
                    if op == Operation::Hibernate && e.kind == ErrorKind::HibernationRefused {
                        let single = std::slice::from_ref(&id);
                        match retry.run(pause, || compute.stop(single, false)).await {
                            Ok(()) => record(records, id, Outcome::Stopped, Some(e.message)),
                            Err(e2) => {
                                if e2.kind == ErrorKind::TimedOut {
                                    hung.saw(&e2);
                                }
                                record(
                                    records,
                                    id,
                                    Outcome::Failed(fail_reason(&e2)),
                                    Some(e2.message),
                                )
                            }
                        }
                    } else {
                        record(
                            records,
                            id,
                            Outcome::Failed(fail_reason(&e)),
                            Some(e.message),
                        );
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The whole organization, in-process (the CLI)

/// Concurrency of an in-process run.
#[derive(Debug, Clone, Copy)]
pub struct Concurrency {
    pub accounts: usize,
    pub regions_per_account: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Self {
            accounts: 16,
            regions_per_account: 4,
        }
    }
}

/// How far an in-process run has got (for a progress display; the CLI's `-v`).
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The accounts are selected: `selected` of the `listed` will be scheduled.
    Selected { selected: usize, listed: u64 },
    /// An account is prepared (`regions` to schedule), or failed to be (`error`).
    Account {
        account: &'a AccountId,
        regions: usize,
        error: Option<&'a TargetError>,
    },
}

/// How an in-process run identifies itself and reports progress.
pub struct RunOptions<'a> {
    /// The STS session name (identifies the run in CloudTrail).
    pub session: &'a str,
    pub concurrency: Concurrency,
    /// Sees every region's records as they finish (for logging).
    pub observe: &'a (dyn Fn(&RegionTask, &[InstanceRecord]) + Sync),
    /// Sees the selection and every account as it is prepared.
    pub progress: &'a (dyn Fn(Progress<'_>) + Sync),
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("session", &self.session)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// Everything an in-process run produced.
#[derive(Debug, Clone)]
pub struct OrgRun {
    pub summary: RunSummary,
    pub accounts: Vec<AccountReport>,
    pub selection: Selection,
}

/// Runs a whole request in-process: select, then each account and region with bounded
/// concurrency.
/// Fails only when the account listing fails.
pub async fn run_organization<D: Directory, C: Connect>(
    dir: &D,
    connect: &C,
    pause: &impl Pause,
    req: &RunRequest,
    settings: &Settings,
    options: RunOptions<'_>,
) -> Result<OrgRun, TargetError> {
    let RunOptions {
        session,
        concurrency,
        observe,
        progress,
    } = options;
    let schedules = schedules_for(&settings.schedules, req)?;
    let selection = select_accounts(dir, pause, req, settings).await?;
    progress(Progress::Selected {
        selected: selection.accounts.len(),
        listed: selection.counts.listed,
    });
    let header = RunHeader::of(req);
    let header = &header;
    let schedules = &schedules;
    let mut accounts: Vec<AccountReport> =
        stream::iter(selection.accounts.iter())
            .map(|target| async move {
                let prepared =
                    match prepare_account(connect, pause, target, &req.regions, settings, session)
                        .await
                    {
                        Ok(p) => {
                            progress(Progress::Account {
                                account: &target.id,
                                regions: p.regions.len(),
                                error: None,
                            });
                            p
                        }
                        Err(error) => {
                            progress(Progress::Account {
                                account: &target.id,
                                regions: 0,
                                error: Some(&error),
                            });
                            return AccountReport {
                                account: target.id.clone(),
                                regions: Vec::new(),
                                skipped_regions: Vec::new(),
                                error: Some(error),
                            };
                        }
                    };
                let regions = stream::iter(prepared.regions.iter())
                    .map(|region| async move {
                        let task = RegionTask {
                            account: target.id.clone(),
                            region: region.clone(),
                            header: header.clone(),
                            schedules: schedules.clone(),
                        };
                        match schedule_region(connect, pause, &task, settings, session).await {
                            Ok(run) => {
                                observe(&task, &run.records);
                                run.report
                            }
                            Err(e) => RegionReport::failed(task.account, task.region, e),
                        }
                    })
                    .buffered(concurrency.regions_per_account.max(1))
                    .collect()
                    .await;
                AccountReport {
                    account: target.id.clone(),
                    regions,
                    skipped_regions: prepared.skipped_regions,
                    error: None,
                }
            })
            .buffered(concurrency.accounts.max(1))
            .collect()
            .await;
    accounts.extend(selection.failed.iter().cloned());
    accounts.sort_by(|a, b| a.account.cmp(&b.account));
    let summary = summarize(header.clone(), &accounts, selection.skipped.clone());
    Ok(OrgRun {
        summary,
        accounts,
        selection,
    })
}

/// After a start run (the CLI's; the state machine has its own Wait and `verify-starts`):
/// verifies every region that started instances with [`verify_starts`] and folds the summary
/// again. A region that cannot be verified keeps its counts and carries the error. Waiting
/// before this call is the caller's business.
pub async fn verify_organization_starts<C: Connect>(
    connect: &C,
    pause: &impl Pause,
    run: &mut OrgRun,
    req: &RunRequest,
    settings: &Settings,
    session: &str,
) {
    let header = RunHeader::of(req);
    // The run's request was accepted before, so its schedules are valid; an empty document
    // here could only make verification skip instances, never act.
    let schedules = schedules_for(&settings.schedules, req).unwrap_or_else(|_| no_schedules());
    for account in run.accounts.iter_mut().filter(|a| a.error.is_none()) {
        for report in account.regions.iter_mut() {
            let task = RegionTask {
                account: account.account.clone(),
                region: report.region.clone(),
                header: header.clone(),
                schedules: schedules.clone(),
            };
            match verify_starts(connect, pause, &task, report.clone(), settings, session).await {
                Ok(verified) => *report = verified,
                Err(e) => {
                    report.error = Some(TargetError::new(
                        e.error,
                        format!("verifying the starts: {}", e.message),
                    ))
                }
            }
        }
    }
    run.summary = summarize(header, &run.accounts, run.selection.skipped.clone());
}
