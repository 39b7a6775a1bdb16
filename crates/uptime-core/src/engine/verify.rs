//! Start verification: whether the starts a region run made held.

use super::region::discovery_for;
use super::{target_error, RegionTask, Settings};
use crate::ports::{Compute, Connect, Pause};
use std::collections::BTreeSet;
use uptime_model::report::{clip, InstanceFailure, MAX_LISTED_INSTANCE_FAILURES};
use uptime_model::{InstanceId, Outcome, RegionReport, TargetError};

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
    let mut decider = task.decider(settings);
    for instance in &instances {
        if report.counts.started == 0 || reported.contains(&instance.id) {
            continue;
        }
        // Reconcile recorded the start in the last-action tag; the decision is the one taken
        // before the start. Only a start that EC2 undid has a state reason other than the
        // stop before it; an instance whose start was refused outright still shows that stop
        // (and was counted as failed when the call failed).
        let Some((reason, message)) = decider.start_undone(instance) else {
            continue;
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
