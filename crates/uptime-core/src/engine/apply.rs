//! Carrying out a region run's decisions: state changes in batches, a failed batch bisected to
//! the instance at fault, and the last-action tags.

use super::{fail_reason, Settings};
use crate::ports::{Compute, ErrorKind, Pause, PortError};
use crate::retry::RetryPolicy;
use std::collections::{BTreeMap, BTreeSet};
use uptime_model::batch::{batches, Bisector};
use uptime_model::report::clip;
use uptime_model::{FailReason, InstanceId, InstanceRecord, Note, Operation, Outcome};

/// Writes the last-action tags, one CreateTags call per value and batch. CreateTags is atomic
/// like StopInstances: one instance that cannot take the tag (it already carries 50 tags, it
/// was terminated meanwhile) fails the whole call, so a failed batch is bisected as state
/// changes are, and only the instance at fault goes without its tag. A failed write does not
/// undo the change it records: the instance is noted (`last-action-not-written`) and the next
/// run, finding the transition unrecorded but the instance already in its state, writes the
/// tag then.
pub(super) async fn write_last_actions(
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
            r.note = Some(Note::LastActionNotWritten);
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
pub(super) struct Hung(Option<String>);

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
pub(super) async fn apply_batch(
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
