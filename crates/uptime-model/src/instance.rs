//! What the scheduler knows about one instance, in domain terms.

use crate::ids::InstanceId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// EC2 instance states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    Pending,
    Running,
    Stopping,
    Stopped,
    ShuttingDown,
    Terminated,
}

impl InstanceState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::ShuttingDown => "shutting-down",
            Self::Terminated => "terminated",
        }
    }

    /// Parses EC2's state name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "stopping" => Self::Stopping,
            "stopped" => Self::Stopped,
            "shutting-down" => Self::ShuttingDown,
            "terminated" => Self::Terminated,
            _ => return None,
        })
    }
}

/// How the instance was bought. Only on-demand instances are scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifecycle {
    OnDemand,
    Spot,
    /// Scheduled Instances or Capacity Blocks: not ours to stop.
    Other,
}

/// A snapshot of one instance as discovered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: InstanceId,
    pub state: InstanceState,
    pub lifecycle: Lifecycle,
    /// Launched with hibernation enabled (`HibernationOptions.Configured`).
    pub hibernation_configured: bool,
    pub tags: BTreeMap<String, String>,
    /// EC2's reason for the last state change, when it gives one (`StateReason`): after a
    /// failed start, e.g. `Client.InvalidKMSKey.InvalidState`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<StateReason>,
    /// The instance type (`m5.large`), which `report` prices; `None` when EC2 did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// When a stopped instance was stopped on request, from EC2's `StateTransitionReason`
    /// (`User initiated (2026-11-25 19:00:04 GMT)`): what a start counts its avoided hours from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<jiff::Timestamp>,
}

/// The instant of a stop on request in EC2's `StateTransitionReason`: `User initiated
/// (2026-11-25 19:00:04 GMT)` (EC2 writes GMT, the emulator UTC). `None` for any other reason.
pub fn stopped_at_from_reason(reason: &str) -> Option<jiff::Timestamp> {
    let inner = reason
        .trim()
        .strip_prefix("User initiated (")?
        .strip_suffix(')')?;
    let civil = inner
        .strip_suffix(" GMT")
        .or_else(|| inner.strip_suffix(" UTC"))?;
    let at: jiff::civil::DateTime = civil.parse().ok()?;
    at.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// EC2's `StateReason`: a code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateReason {
    pub code: String,
    pub message: String,
}

impl StateReason {
    /// The start failed because a KMS key of an encrypted volume could not be used.
    pub fn is_kms(&self) -> bool {
        self.code.contains("KMS") || self.code.contains("Kms")
    }

    /// Stopped or hibernated on request (`Client.UserInitiatedShutdown`, …): the last change
    /// was a stop, not a start that failed.
    pub fn is_user_initiated(&self) -> bool {
        self.code.starts_with("Client.UserInitiated")
    }

    /// Stopped on purpose by someone or something other than a failed start: through the API
    /// or console (`Client.UserInitiated…`), from inside the instance
    /// (`Client.InstanceInitiatedShutdown`), or by AWS for scheduled maintenance
    /// (`Server.ScheduledStop`).
    pub fn is_deliberate_stop(&self) -> bool {
        self.is_user_initiated()
            || self.code == "Client.InstanceInitiatedShutdown"
            || self.code == "Server.ScheduledStop"
    }
}

/// The tag keys and values the scheduler reads. Keys are configurable at deploy time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagConfig {
    /// Instance tag whose value names the schedule (`Schedule`, as AWS Instance Scheduler).
    pub schedule_key: String,
    /// Schedule tag value that opts an instance out explicitly (`ignore`).
    pub opt_out_value: String,
    /// Instance tag that asks for hibernation instead of a plain stop (`true`/`false`).
    pub hibernate_key: String,
    /// Organizations account tag that opts an account in (value `true`).
    pub account_enabled_key: String,
    /// Organizations account tag with a comma-separated region list for that account.
    pub account_regions_key: String,
    /// Instance tag where reconcile records the last transition it applied
    /// (`stop@2026-11-25T19:00Z`): the only tag the scheduler writes.
    pub last_action_key: String,
    /// Instance tag with a temporary override (`running until 2026-11-25T23:00Z`).
    pub override_key: String,
}

impl Default for TagConfig {
    fn default() -> Self {
        Self {
            schedule_key: "Schedule".into(),
            opt_out_value: "ignore".into(),
            hibernate_key: "uptime-scheduler:hibernate".into(),
            account_enabled_key: "uptime-scheduler:enabled".into(),
            account_regions_key: "uptime-scheduler:regions".into(),
            last_action_key: "uptime-scheduler:last-action".into(),
            override_key: "uptime-scheduler:override".into(),
        }
    }
}

/// The tag EC2 Auto Scaling puts on its members. Such instances are the group's to manage.
pub const AUTOSCALING_GROUP_TAG: &str = "aws:autoscaling:groupName";
