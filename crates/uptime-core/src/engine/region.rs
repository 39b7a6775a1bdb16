//! One region run: discovery of the tagged instances, a decision for each, and (unless dry-run)
//! the changes carried out (`super::apply`).

use super::apply::{apply_batch, write_last_actions, Hung};
use super::{target_error, Settings};
use crate::ports::{Compute, Connect, CountingPause, Discovered, Discovery, Pause};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use uptime_model::batch::batches;
use uptime_model::decided::{Decided, Decider};
use uptime_model::report::{clip, Avoided, RunHeader};
use uptime_model::savings::{avoided_schedule_label, minutes_avoided};
use uptime_model::{
    AccountId, Decision, Instance, InstanceId, InstanceRecord, Operation, Outcome, Reason, Region,
    RegionReport, RunRequest, SkipReason, TargetError,
};
use uptime_schedule::ScheduleDocument;

/// What one region run did: the compact report and the per-instance records (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRun {
    pub report: RegionReport,
    pub records: Vec<InstanceRecord>,
    /// The report's `minutes_avoided` by schedule and instance type (for metrics).
    pub avoided: Avoided,
}

/// The parts of a run request a region run needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionTask {
    pub account: AccountId,
    pub region: Region,
    pub header: RunHeader,
    /// Reconcile: the schedules in force (deployed, with the run's own laid over them).
    pub schedules: Arc<ScheduleDocument>,
}

impl RegionTask {
    /// Decides for this task's instances with the deployment's tag and reconcile settings.
    pub fn decider<'a>(&'a self, settings: &'a Settings) -> Decider<'a> {
        Decider::new(
            &self.header,
            &self.schedules,
            &settings.tags,
            &settings.reconcile,
        )
    }

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

pub(super) fn no_schedules() -> Arc<ScheduleDocument> {
    Arc::new(ScheduleDocument::empty())
}

/// The schedules a run uses: the deployed document with the request's own (parsed when the
/// request was) laid over it.
pub fn schedules_for(deployed: &ScheduleDocument, req: &RunRequest) -> Arc<ScheduleDocument> {
    match &req.schedules {
        None => Arc::new(deployed.clone()),
        Some(own) => Arc::new(deployed.overlay(own.document())),
    }
}

/// What discovery asks EC2 for: the schedule tag, with the run's schedule as its value if any.
pub(super) fn discovery_for(task: &RegionTask, settings: &Settings) -> Discovery {
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
    let counting = CountingPause::new(pause);
    let pause = &counting;
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
            reason: Some(Reason::Skip(SkipReason::Unreadable)),
            note: None,
        });
    }
    let mut planned: BTreeMap<Operation, Vec<InstanceId>> = BTreeMap::new();
    // Reconcile: the reason and note of each instance acted on, and the last-action tag
    // values to write (for an instance acted on, only once the change succeeded).
    let mut pending: HashMap<InstanceId, Decided> = HashMap::new();
    let mut tag_writes: BTreeMap<String, Vec<InstanceId>> = BTreeMap::new();
    let mut decider = task.decider(settings);
    for instance in &instances {
        let decided = decider.decide(instance);
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
            note: decided.note,
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
        record.note = decided.note;
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
    let mut report =
        RegionReport::from_records(task.account.clone(), task.region.clone(), &records);
    let avoided = count_avoided(&mut report, &records, &instances, task, settings);
    report.counts.throttles_retried = counting.throttled();
    Ok(RegionRun {
        report,
        records,
        avoided,
    })
}

/// For each instance the run started, the minutes it had been stopped (the hours the schedule
/// avoided), by schedule and instance type.
fn count_avoided(
    report: &mut RegionReport,
    records: &[InstanceRecord],
    instances: &[Instance],
    task: &RegionTask,
    settings: &Settings,
) -> Avoided {
    let mut avoided = Avoided::default();
    let started: HashSet<&InstanceId> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Started)
        .map(|r| &r.instance)
        .collect();
    if started.is_empty() {
        return avoided;
    }
    for instance in instances.iter().filter(|i| started.contains(&i.id)) {
        let minutes = minutes_avoided(instance.stopped_at, task.header.now);
        let schedule = instance
            .tags
            .get(&settings.tags.schedule_key)
            .map(|v| avoided_schedule_label(v))
            .unwrap_or("");
        let itype = instance.instance_type.as_deref().unwrap_or("unknown");
        report.counts.minutes_avoided += minutes;
        avoided.add(minutes, schedule, itype);
    }
    avoided
}
