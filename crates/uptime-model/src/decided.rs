//! One instance's decision in either mode, as a region run and start verification take it:
//! [`decide`] in action mode; in reconcile mode eligibility, the schedule the instance's tag
//! names (resolved once per distinct value), then [`reconcile`], plus the start that did not
//! hold (a stopped instance whose last-action tag records a start EC2 undid).
//!
//! Pure like the rest of the crate: the engine calls it with what it discovered and carries
//! out what it returns.

use crate::decision::ActionMode;
use crate::reason::{Note, Reason};
use crate::reconcile::{format_instant, reconcile, LastAction, ReconcileSettings};
use crate::report::RunHeader;
use crate::{
    decide, eligibility, Decision, FailReason, Instance, InstanceState, SkipReason, StateReason,
    TagConfig,
};
use std::collections::HashMap;
use uptime_schedule::document::ResolveError;
use uptime_schedule::{Desired, Schedule, ScheduleDocument};

/// One instance's decision, in either mode, with what reconcile adds to it.
#[derive(Debug)]
pub struct Decided {
    pub decision: Decision,
    /// Reconcile: the reason (every reconcile decision has one).
    pub reason: Option<Reason>,
    pub note: Option<Note>,
    /// A message for the log (why a schedule does not resolve, why a start did not hold).
    pub message: Option<String>,
    /// Reconcile: the last-action tag value to write once the decision is carried out.
    pub last_action: Option<String>,
    /// Reconcile: a start recorded by the last-action tag that did not hold.
    pub failed: Option<FailReason>,
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
            reason: Some(Reason::Skip(reason)),
            note: None,
            message,
            last_action: None,
            failed: None,
        }
    }
}

/// Decides for the instances of one region run. Holds the run's header, the schedules in
/// force and the deployment's tag and reconcile settings, and resolves each distinct schedule
/// tag value once.
#[derive(Debug)]
pub struct Decider<'a> {
    header: &'a RunHeader,
    schedules: &'a ScheduleDocument,
    tags: &'a TagConfig,
    reconcile: &'a ReconcileSettings,
    resolved: HashMap<String, Result<Schedule, ResolveError>>,
}

impl<'a> Decider<'a> {
    pub fn new(
        header: &'a RunHeader,
        schedules: &'a ScheduleDocument,
        tags: &'a TagConfig,
        reconcile: &'a ReconcileSettings,
    ) -> Self {
        Self {
            header,
            schedules,
            tags,
            reconcile,
            resolved: HashMap::new(),
        }
    }

    /// Decides for one instance.
    pub fn decide(&mut self, instance: &Instance) -> Decided {
        let header = self.header;
        if let Some(mode) = ActionMode::of(header.action) {
            return Decided::action_mode(decide(
                instance,
                mode,
                header.schedule.as_ref(),
                self.tags,
            ));
        }
        let eligible = match eligibility(instance, header.schedule.as_ref(), self.tags) {
            Ok(e) => e,
            Err(reason) => return Decided::skipped(reason, None),
        };
        let schedules = self.schedules;
        let resolved = self
            .resolved
            .entry(eligible.schedule.to_owned())
            .or_insert_with(|| schedules.resolve(eligible.schedule));
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
            self.tags,
            self.reconcile,
        );
        let failed = match d.decision {
            Decision::Skip(SkipReason::ManualChangeRespected) => {
                start_that_did_not_hold(instance, self.tags)
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

    /// A start the run made did not hold: `instance`, described again after the start, is
    /// one the decision taken before the start (without the last-action tag the start wrote)
    /// would still start, and EC2's state reason is not the stop before it. `None` for an
    /// instance that started, is still `pending`, or whose start was refused outright (its
    /// state reason still shows the user-initiated stop; the failed call reported it).
    pub fn start_undone(&mut self, instance: &Instance) -> Option<(FailReason, String)> {
        let mut before = instance.clone();
        before.tags.remove(&self.tags.last_action_key);
        let still_to_start = matches!(
            self.decide(&before).decision,
            Decision::Act(crate::Operation::Start)
        );
        if !still_to_start {
            return None;
        }
        match &instance.state_reason {
            Some(r) if r.is_user_initiated() => None,
            None => None,
            Some(r) => Some(start_fell_back(r, "started")),
        }
    }
}

/// A stopped instance whose last-action tag records a start that reconcile applied, and whose
/// EC2 state reason is not a stop someone asked for: the start did not hold (EC2 put it back
/// to `stopped`, e.g. for a volume's KMS key). Reconcile runs have no wait in the state
/// machine; the next run finds it here and reports it failed, on every run until the next
/// transition, instead of taking it for a stop by hand.
fn start_that_did_not_hold(instance: &Instance, tags: &TagConfig) -> Option<(FailReason, String)> {
    if instance.state != InstanceState::Stopped {
        return None;
    }
    let recorded = instance
        .tags
        .get(&tags.last_action_key)
        .and_then(|v| LastAction::parse(v))?;
    if recorded.to != Desired::Running {
        return None;
    }
    let reason = instance.state_reason.as_ref()?;
    if reason.is_deliberate_stop() {
        return None;
    }
    let started = format!("started at {}", format_instant(recorded.at));
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
