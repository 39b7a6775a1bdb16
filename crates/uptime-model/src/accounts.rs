//! Which accounts a run covers: the pure part of account selection (requested / excluded /
//! active / opted in by tag) and the compact form in which a selected account travels through
//! the state machine.

use crate::ids::{AccountId, IdError, Region};
use crate::instance::TagConfig;
use crate::report::AccountSkipReason;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Organizations' account status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountStatus {
    Active,
    /// Suspended, pending closure or closed: never scheduled.
    Inactive,
}

/// An account as listed by Organizations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccount {
    pub id: AccountId,
    pub name: String,
    pub status: AccountStatus,
}

/// A selected account and, when its regions tag says so, its own region list.
///
/// Serialised as one string, `"111111111111"` or `"111111111111:eu-west-1,us-east-1"`, so that
/// the list of 10,000 accounts an organization-wide run fans out over stays below the 256 KB
/// Step Functions payload limit. When many accounts carry long region lists, the lists are left
/// out (`"111111111111:*"`, see [`AccountTarget::defer_regions`]) and the account's preparation
/// reads its regions tag again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountTarget {
    pub id: AccountId,
    pub regions: Option<Vec<Region>>,
    /// The account has a regions tag that is not carried here: read it where it is needed.
    pub regions_deferred: bool,
}

impl AccountTarget {
    /// An account without its own region list.
    pub fn plain(id: AccountId) -> Self {
        Self {
            id,
            regions: None,
            regions_deferred: false,
        }
    }

    /// Leaves the region list out of the compact form (it is read again from the tag).
    /// Returns the bytes saved.
    pub fn defer_regions(&mut self) -> usize {
        let before = self.to_string().len();
        if self.regions.take().is_some() {
            self.regions_deferred = true;
        }
        before - self.to_string().len()
    }
}

impl fmt::Display for AccountTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if self.regions_deferred {
            write!(f, ":*")?;
        } else if let Some(rs) = &self.regions {
            let names: Vec<&str> = rs.iter().map(Region::as_str).collect();
            write!(f, ":{}", names.join(","))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for AccountTarget {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let (id, regions, regions_deferred) = match s.split_once(':') {
            None => (s, None, false),
            Some((id, "*")) => (id, None, true),
            Some((id, list)) => (id, Some(parse_region_list(list)?), false),
        };
        Ok(Self {
            id: AccountId::parse(id)?,
            regions,
            regions_deferred,
        })
    }
}

impl Serialize for AccountTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AccountTarget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses a comma-separated region list (the account regions tag, `--regions`).
pub fn parse_region_list(list: &str) -> Result<Vec<Region>, IdError> {
    let mut out: Vec<Region> = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let r = Region::parse(part)?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    if out.is_empty() {
        return Err(IdError("the region list is empty".into()));
    }
    Ok(out)
}

/// Decides, from an account's Organizations tags, whether it opted in and with which regions.
pub fn opt_in(
    id: &AccountId,
    tags: &BTreeMap<String, String>,
    config: &TagConfig,
) -> Result<AccountTarget, (AccountSkipReason, Option<String>)> {
    let enabled = tags
        .get(&config.account_enabled_key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if !enabled {
        return Err((AccountSkipReason::NotOptedIn, None));
    }
    let regions = match tags.get(&config.account_regions_key) {
        None => None,
        Some(v) => Some(parse_region_list(v).map_err(|e| {
            (
                AccountSkipReason::InvalidRegionsTag,
                Some(format!("{}: {e}", config.account_regions_key)),
            )
        })?),
    };
    Ok(AccountTarget {
        id: id.clone(),
        regions,
        regions_deferred: false,
    })
}

/// The regions to schedule in an account: the run's regions when it names some, else the
/// account's own list (regions tag), else the deployment's defaults; an account's own list
/// also bounds the run's regions. Returns (regions to schedule, regions requested but outside
/// the account's list).
pub fn requested_regions(
    run_regions: &[Region],
    account_regions: Option<&[Region]>,
    defaults: &[Region],
) -> (Vec<Region>, Vec<Region>) {
    match (run_regions.is_empty(), account_regions) {
        (true, Some(own)) => (own.to_vec(), Vec::new()),
        (true, None) => (defaults.to_vec(), Vec::new()),
        (false, None) => (run_regions.to_vec(), Vec::new()),
        (false, Some(own)) => run_regions.iter().cloned().partition(|r| own.contains(r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> AccountId {
        AccountId::parse("111111111111").unwrap()
    }
    fn tags(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn rs(list: &str) -> Vec<Region> {
        parse_region_list(list).unwrap()
    }

    #[test]
    fn account_targets_round_trip_through_their_compact_string() {
        for s in [
            "111111111111",
            "111111111111:eu-west-1,us-east-1",
            "111111111111:*",
        ] {
            let t: AccountTarget = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
            assert_eq!(serde_json::to_value(&t).unwrap(), serde_json::json!(s));
        }
        assert!("111111111111:mars-1".parse::<AccountTarget>().is_err());
        assert!("11111:eu-west-1".parse::<AccountTarget>().is_err());
    }

    #[test]
    fn only_accounts_tagged_true_opt_in() {
        let c = TagConfig::default();
        assert!(opt_in(&id(), &tags(&[("uptime-scheduler:enabled", "true")]), &c).is_ok());
        assert!(opt_in(&id(), &tags(&[("uptime-scheduler:enabled", "TRUE")]), &c).is_ok());
        for v in ["false", "yes", ""] {
            let e = opt_in(&id(), &tags(&[("uptime-scheduler:enabled", v)]), &c).unwrap_err();
            assert_eq!(e.0, AccountSkipReason::NotOptedIn);
        }
        assert_eq!(
            opt_in(&id(), &tags(&[]), &c).unwrap_err().0,
            AccountSkipReason::NotOptedIn
        );
    }

    #[test]
    fn the_regions_tag_overrides_and_a_bad_one_skips_the_account() {
        let c = TagConfig::default();
        let t = opt_in(
            &id(),
            &tags(&[
                ("uptime-scheduler:enabled", "true"),
                ("uptime-scheduler:regions", "eu-west-1, us-east-1"),
            ]),
            &c,
        )
        .unwrap();
        assert_eq!(t.regions, Some(rs("eu-west-1,us-east-1")));
        let e = opt_in(
            &id(),
            &tags(&[
                ("uptime-scheduler:enabled", "true"),
                ("uptime-scheduler:regions", "eu-west-1,nowhere"),
            ]),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.0, AccountSkipReason::InvalidRegionsTag);
        assert!(e.1.unwrap().contains("nowhere"));
    }

    #[test]
    fn region_precedence() {
        let defaults = rs("us-east-1");
        let own = rs("eu-west-1,eu-central-1");
        assert_eq!(
            requested_regions(&[], None, &defaults),
            (defaults.clone(), vec![])
        );
        assert_eq!(
            requested_regions(&[], Some(&own), &defaults),
            (own.clone(), vec![])
        );
        assert_eq!(
            requested_regions(&rs("ap-south-1"), None, &defaults),
            (rs("ap-south-1"), vec![])
        );
        assert_eq!(
            requested_regions(&rs("eu-west-1,ap-south-1"), Some(&own), &defaults),
            (rs("eu-west-1"), rs("ap-south-1"))
        );
    }
}
