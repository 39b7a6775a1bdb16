//! Why an instance's decision was taken ([`Reason`]) and the facts worth reporting beside it
//! ([`Note`]), as typed values that spell themselves as the stable kebab-case strings of the
//! logs and reports. Reports count reasons by [`Reason::kind`], a small closed set.

use crate::decision::SkipReason;
use crate::reconcile::{format_instant, parse_instant};
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use uptime_schedule::Desired;

/// Why a decision was taken. Every reconcile decision has one; in action mode only an instance
/// skipped before any decision (`unreadable`) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The schedule wants the instance running: a period is in force (`in-window`).
    InWindow,
    /// The schedule wants it stopped: no period is in force (`outside-window`).
    OutsideWindow,
    /// The schedule wants it stopped for a holiday (`holiday`).
    Holiday,
    /// An enforced schedule asserts its state on every run (`enforced`).
    Enforced,
    /// An active override tag asserts its state until `until`
    /// (`override-until-2026-11-25T23:00Z`, the instant in UTC as [`format_instant`] writes it).
    Override { until: Timestamp },
    /// The schedule's permanent override (`override_status`) asserts its state
    /// (`override-status-running`, `override-status-stopped`).
    OverrideStatus(Desired),
    /// The decision is a skip: the skip reason's name.
    Skip(SkipReason),
}

const OVERRIDE_UNTIL: &str = "override-until-";

impl Reason {
    /// What reports count: the reason itself, except that every `override-until-<instant>`
    /// counts as `override`, so that the counts stay a small closed set.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InWindow => "in-window",
            Self::OutsideWindow => "outside-window",
            Self::Holiday => "holiday",
            Self::Enforced => "enforced",
            Self::Override { .. } => "override",
            Self::OverrideStatus(Desired::Running) => "override-status-running",
            Self::OverrideStatus(Desired::Stopped) => "override-status-stopped",
            Self::Skip(r) => r.as_str(),
        }
    }

    /// The reason [`Display`](fmt::Display) spells as `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(instant) = s.strip_prefix(OVERRIDE_UNTIL) {
            let until = parse_instant(instant).ok()?;
            return Some(Self::Override { until });
        }
        let fixed = [
            Self::InWindow,
            Self::OutsideWindow,
            Self::Holiday,
            Self::Enforced,
            Self::OverrideStatus(Desired::Running),
            Self::OverrideStatus(Desired::Stopped),
        ];
        fixed
            .into_iter()
            .chain(SkipReason::ALL.into_iter().map(Self::Skip))
            .find(|r| r.kind() == s)
    }
}

impl From<SkipReason> for Reason {
    fn from(r: SkipReason) -> Self {
        Self::Skip(r)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Override { until } => write!(f, "{OVERRIDE_UNTIL}{}", format_instant(*until)),
            other => f.write_str(other.kind()),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a decision reason")))
    }
}

/// A fact worth reporting that does not change the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Note {
    /// The override tag has expired; the schedule applies again.
    OverrideExpired,
    /// The last-action tag is malformed and was ignored.
    InvalidLastActionTag,
    /// The last-action tag records an instant later than the run's `now` (beyond
    /// [`crate::reconcile::LAST_ACTION_CLOCK_TOLERANCE`]): no run acting for `now` can have
    /// applied it, so it was ignored (a forged value, or a run whose `now` lay in the future).
    FutureLastActionTag,
    /// The change was made but its last-action tag could not be written (the next run, finding
    /// the transition unrecorded and the instance already in its state, writes it then).
    LastActionNotWritten,
}

impl Note {
    /// Every note (the payload-limit checks count them all).
    pub const ALL: [Note; 4] = [
        Self::OverrideExpired,
        Self::InvalidLastActionTag,
        Self::FutureLastActionTag,
        Self::LastActionNotWritten,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OverrideExpired => "override-expired",
            Self::InvalidLastActionTag => "invalid-last-action-tag",
            Self::FutureLastActionTag => "future-last-action-tag",
            Self::LastActionNotWritten => "last-action-not-written",
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_but_override() -> Vec<Reason> {
        [
            Reason::InWindow,
            Reason::OutsideWindow,
            Reason::Holiday,
            Reason::Enforced,
            Reason::OverrideStatus(Desired::Running),
            Reason::OverrideStatus(Desired::Stopped),
        ]
        .into_iter()
        .chain(SkipReason::ALL.map(Reason::Skip))
        .collect()
    }

    #[test]
    fn reasons_spell_as_they_always_have_and_serialise_and_parse_as_that() {
        let until: Timestamp = "2026-11-25T23:00:30Z".parse().unwrap();
        let cases = [
            (Reason::InWindow, "in-window", "in-window"),
            (Reason::OutsideWindow, "outside-window", "outside-window"),
            (Reason::Holiday, "holiday", "holiday"),
            (Reason::Enforced, "enforced", "enforced"),
            (
                Reason::Override { until },
                "override-until-2026-11-25T23:00:30Z",
                "override",
            ),
            (
                Reason::OverrideStatus(Desired::Running),
                "override-status-running",
                "override-status-running",
            ),
            (
                Reason::OverrideStatus(Desired::Stopped),
                "override-status-stopped",
                "override-status-stopped",
            ),
            (
                Reason::Skip(SkipReason::ManualChangeRespected),
                "manual-change-respected",
                "manual-change-respected",
            ),
        ];
        for (reason, text, kind) in cases {
            assert_eq!(reason.to_string(), text);
            assert_eq!(reason.kind(), kind);
            assert_eq!(serde_json::to_value(reason).unwrap(), text);
            assert_eq!(
                serde_json::from_value::<Reason>(text.into()).unwrap(),
                reason
            );
        }
        for reason in all_but_override() {
            assert_eq!(reason.to_string(), reason.kind());
            assert_eq!(Reason::parse(&reason.to_string()), Some(reason));
        }
        for r in SkipReason::ALL {
            assert_eq!(Reason::from(r).to_string(), r.as_str());
        }
        for bad in ["", "override", "override-until-tomorrow", "In-Window"] {
            assert_eq!(Reason::parse(bad), None, "{bad}");
            assert!(serde_json::from_value::<Reason>(bad.into()).is_err());
        }
    }

    #[test]
    fn notes_spell_as_they_serialise_and_parse() {
        let names: Vec<&str> = Note::ALL.iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "override-expired",
                "invalid-last-action-tag",
                "future-last-action-tag",
                "last-action-not-written"
            ]
        );
        for n in Note::ALL {
            assert_eq!(n.to_string(), n.as_str());
            assert_eq!(serde_json::to_value(n).unwrap(), n.as_str());
            assert_eq!(
                serde_json::from_value::<Note>(n.as_str().into()).unwrap(),
                n
            );
        }
    }
}
