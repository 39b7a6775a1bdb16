//! The per-instance decision of reconcile mode: a pure function of the instance (state and
//! tags), its schedule, the run's `now` and the catch-up window, returning what to do, why, and
//! which last-action tag value to write. See `docs/adr/0006-reconcile-without-a-database.md`.
//!
//! TODO(reconcile helper): implement. Contract summary (the ADR is the full statement):
//!
//! - Eligibility first ([`crate::decision::eligibility`]); the schedule is resolved by the
//!   caller (unknown name → `unknown-schedule`, bad inline expression → `invalid-schedule`).
//! - Override tag (`running until 2026-11-25T23:00Z`, `stopped until …`): malformed → skip
//!   `invalid-override-tag`; active (`now < until`) → the override's state is asserted on every
//!   run (reason `override-until-<until>`); expired → reported as a note (`override-expired`)
//!   and its expiry counts as a transition to the schedule's state at that instant.
//! - Enforced schedules: the desired state is asserted on every run (reason `enforced`), no tag
//!   is written.
//! - Otherwise act on transitions: the latest transition `T ≤ now` (schedule transition or
//!   override expiry) is applied when the last-action tag does not already record an instant
//!   `≥ T` and `now − T ≤ catch-up`; applying it also writes the tag `<start|stop>@<T>` (even
//!   when the instance is already in that state, so that a later manual change is respected).
//!   Recorded already → `manual-change-respected` when the instance differs. Older than the
//!   catch-up window and never applied → `transition-missed`.
//! - `retain_running`: a start transition that finds the instance already running records
//!   `start@<T>+was-running`; the stop transition that ends that window then leaves it running
//!   (`retain-running`) and records `stop@<T2>`.
//! - Hibernate when the schedule option or the hibernate tag asks and the instance supports it.

use crate::decision::{Decision, Eligible};
use crate::instance::{Instance, TagConfig};
use jiff::{SignedDuration, Timestamp};
use uptime_schedule::{Desired, Schedule};

/// Deployment-level settings of reconcile mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// How late a transition may still be applied (default 60 minutes).
    pub catch_up: SignedDuration,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self {
            catch_up: SignedDuration::from_mins(60),
        }
    }
}

/// What the last-action tag records: the instant of the last transition reconcile applied to
/// the instance, the state it asked for, and whether the instance was already running when a
/// start transition was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastAction {
    pub to: Desired,
    pub at: Timestamp,
    pub was_running: bool,
}

impl LastAction {
    /// Parses `start@2026-11-25T07:00Z`, `stop@2026-11-25T19:00Z`,
    /// `start@2026-11-25T07:00Z+was-running`.
    pub fn parse(value: &str) -> Option<Self> {
        let _ = value;
        todo!("reconcile helper")
    }

    /// The tag value (UTC, minute precision when the instant has no seconds).
    pub fn to_tag_value(&self) -> String {
        todo!("reconcile helper")
    }
}

/// A temporary override: keep the instance in `state` until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Override {
    pub state: Desired,
    pub until: Timestamp,
}

impl Override {
    /// Parses `running until 2026-11-25T23:00Z` / `stopped until 2026-11-25T23:00:00+01:00`;
    /// the error says what is wrong.
    pub fn parse(value: &str) -> Result<Self, String> {
        let _ = value;
        todo!("reconcile helper")
    }
}

/// A fact worth reporting that does not change the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Note {
    /// The override tag has expired; the schedule applies again.
    OverrideExpired,
    /// The last-action tag is malformed and was ignored.
    InvalidLastActionTag,
}

impl Note {
    pub fn as_str(self) -> &'static str {
        match self {
            Note::OverrideExpired => "override-expired",
            Note::InvalidLastActionTag => "invalid-last-action-tag",
        }
    }
}

/// A reconcile decision: what to do, why (a stable kebab-case reason such as `in-window`,
/// `outside-window`, `holiday`, `enforced`, `override-until-2026-11-25T23:00Z`, or a skip
/// reason's name), the last-action tag value to write (only applied when the decision is
/// carried out, never in a dry run), and an optional note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileDecision {
    pub decision: Decision,
    pub reason: String,
    pub write_last_action: Option<LastAction>,
    pub note: Option<Note>,
}

impl ReconcileDecision {
    /// The reason's kind, for counting: `override-until-…` → `override`; others unchanged.
    pub fn reason_kind(&self) -> &str {
        if self.reason.starts_with("override-until-") {
            "override"
        } else {
            &self.reason
        }
    }
}

/// Decides for one eligible instance whose schedule has been resolved.
pub fn reconcile(
    instance: &Instance,
    eligible: &Eligible<'_>,
    schedule: &Schedule,
    now: Timestamp,
    tags: &TagConfig,
    settings: &ReconcileSettings,
) -> ReconcileDecision {
    let _ = (instance, eligible, schedule, now, tags, settings);
    todo!("reconcile helper")
}
