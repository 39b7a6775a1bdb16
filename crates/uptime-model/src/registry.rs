//! The account registry (ADR 0013): what the Organization's accounts are, where they sit and
//! what their opt-in tags said when last read, kept in the results bucket so that a run's
//! account selection reads one object instead of one Organizations call per account.
//!
//! Every fact carries the time it was read. Two copies of the registry merge entry by entry,
//! the newer read of each fact winning ([`Registry::merge`]), so writers that raced (a refresh
//! and an Organizations event) lose nothing and a stale writer never undoes a newer read. A
//! run uses an account's tags only while they are younger than the deployment's bound
//! ([`Registry::opt_in`]): a registry that stopped being refreshed stops selecting accounts, it
//! never keeps selecting what may have opted out.

use crate::accounts::{AccountStatus, OrgAccount};
use crate::ids::{AccountId, OuId};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The registry's object key in the results bucket.
pub const REGISTRY_KEY: &str = "account-registry/accounts.json";

/// The registry's format version; a registry of another version is refused, not guessed at.
pub const REGISTRY_VERSION: u32 = 1;

/// How long a removed account's tombstone is kept: far longer than any writer can take, so a
/// writer that read the account before its removal cannot bring it back.
pub const TOMBSTONE_DAYS: i64 = 7;

/// Default bound on the age of the opt-in a run may act on (`OPT_IN_MAX_AGE_MINUTES`).
pub const DEFAULT_OPT_IN_MAX_AGE_MINUTES: u64 = 60;

/// The registry object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    pub version: u32,
    /// When the last complete walk of the Organization's tree finished (None: never).
    pub walked_at: Option<Timestamp>,
    /// The roots and OUs that walk found: a run naming another is refused, not run on nothing.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub units: BTreeSet<OuId>,
    pub accounts: BTreeMap<AccountId, Entry>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            version: REGISTRY_VERSION,
            walked_at: None,
            units: BTreeSet::new(),
            accounts: BTreeMap::new(),
        }
    }
}

/// One account as the registry knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub status: AccountStatus,
    /// The OUs from the root (first) to the account's parent (last), root included.
    pub path: Vec<OuId>,
    /// When a walk last saw the account where `path` says.
    pub seen_at: Timestamp,
    /// The account's tags among the keys the scheduler reads (None: never read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_read_at: Option<Timestamp>,
    /// When a walk last found the account gone from the Organization. The account is present
    /// only while it was seen after that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<Timestamp>,
}

impl Entry {
    /// The account belongs to the Organization, as far as the newest read says.
    pub fn present(&self) -> bool {
        self.removed_at.is_none_or(|r| self.seen_at > r)
    }

    /// Under `unit` (the unit itself or any unit above the account, root included).
    pub fn under(&self, unit: &OuId) -> bool {
        self.path.contains(unit)
    }

    fn merge(self, other: Entry) -> Entry {
        let (mut newer, older) = if other.seen_at > self.seen_at {
            (other, self)
        } else {
            (self, other)
        };
        if older.tags_read_at > newer.tags_read_at {
            newer.tags = older.tags;
            newer.tags_read_at = older.tags_read_at;
        }
        newer.removed_at = newer.removed_at.max(older.removed_at);
        newer
    }
}

/// What the registry says about one account's opt-in at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptInView<'a> {
    /// Tags read within the bound.
    Fresh(&'a BTreeMap<String, String>),
    /// Read longer ago than the bound: the run must not act on them. `tags` are what the
    /// last read said (an account that had opted out then is simply not selected).
    Stale {
        read_at: Timestamp,
        tags: &'a BTreeMap<String, String>,
    },
    /// Never read (new to the registry).
    NotYetRead,
}

/// The result of a walk of the Organization's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walked {
    pub account: OrgAccount,
    pub path: Vec<OuId>,
}

/// What a walk changed, for the refresh's report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkChanges {
    pub added: u64,
    pub removed: u64,
    pub moved: u64,
}

impl Registry {
    /// Parses the stored object, refusing another version.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let registry: Registry = serde_json::from_slice(bytes)
            .map_err(|e| format!("the account registry does not parse: {e}"))?;
        if registry.version != REGISTRY_VERSION {
            return Err(format!(
                "the account registry is of version {}; this build reads version {REGISTRY_VERSION}",
                registry.version
            ));
        }
        Ok(registry)
    }

    /// The object's text.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Both copies' facts, the newer read of each winning; tombstones older than
    /// [`TOMBSTONE_DAYS`] before `now` are dropped.
    pub fn merge(self, other: Registry, now: Timestamp) -> Registry {
        let mut accounts = self.accounts;
        for (id, theirs) in other.accounts {
            let merged = match accounts.remove(&id) {
                Some(ours) => ours.merge(theirs),
                None => theirs,
            };
            accounts.insert(id, merged);
        }
        let horizon = now - SignedDuration::from_hours(24 * TOMBSTONE_DAYS);
        accounts.retain(|_, e| e.present() || e.removed_at.is_some_and(|r| r > horizon));
        // The units of the newer walk (a walk sees the whole tree at once).
        let units = if other.walked_at > self.walked_at {
            other.units
        } else {
            self.units
        };
        Registry {
            version: REGISTRY_VERSION,
            walked_at: self.walked_at.max(other.walked_at),
            units,
            accounts,
        }
    }

    /// Lays a complete walk at `now` over the registry: every walked account is seen there,
    /// every present account the walk did not find is removed.
    pub fn apply_walk(&mut self, walked: Vec<Walked>, now: Timestamp) -> WalkChanges {
        let mut changes = WalkChanges::default();
        let mut found = BTreeSet::new();
        for Walked { account, path } in walked {
            found.insert(account.id.clone());
            match self.accounts.get_mut(&account.id) {
                Some(e) => {
                    if !e.present() {
                        changes.added += 1;
                    } else if e.path != path {
                        changes.moved += 1;
                    }
                    e.name = account.name;
                    e.status = account.status;
                    e.path = path;
                    e.seen_at = now;
                }
                None => {
                    changes.added += 1;
                    self.accounts.insert(
                        account.id,
                        Entry {
                            name: account.name,
                            status: account.status,
                            path,
                            seen_at: now,
                            tags: None,
                            tags_read_at: None,
                            removed_at: None,
                        },
                    );
                }
            }
        }
        for (id, e) in self.accounts.iter_mut() {
            if e.present() && !found.contains(id) {
                e.removed_at = Some(now);
                changes.removed += 1;
            }
        }
        self.walked_at = Some(now);
        changes
    }

    /// Records the roots and OUs a complete walk found (with [`Registry::apply_walk`]).
    pub fn set_units(&mut self, units: BTreeSet<OuId>) {
        self.units = units;
    }

    /// Records the tags of a present account read at `at`, kept to `keys`.
    pub fn record_tags(
        &mut self,
        id: &AccountId,
        tags: &BTreeMap<String, String>,
        keys: &[&str],
        at: Timestamp,
    ) -> bool {
        let Some(e) = self.accounts.get_mut(id) else {
            return false;
        };
        e.tags = Some(
            tags.iter()
                .filter(|(k, _)| keys.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        e.tags_read_at = Some(at);
        true
    }

    /// The present accounts whose tags should be read next: never read first, then the
    /// oldest reads; suspended and closed accounts last (they are never scheduled).
    pub fn tag_read_order(&self) -> Vec<AccountId> {
        let mut ids: Vec<(&AccountId, &Entry)> =
            self.accounts.iter().filter(|(_, e)| e.present()).collect();
        ids.sort_by_key(|(id, e)| (e.status != AccountStatus::Active, e.tags_read_at, *id));
        ids.into_iter().map(|(id, _)| id.clone()).collect()
    }

    /// The present accounts, as Organizations would list them.
    pub fn present(&self) -> impl Iterator<Item = (&AccountId, &Entry)> {
        self.accounts.iter().filter(|(_, e)| e.present())
    }

    /// The account's opt-in as a run at `now` may use it, given the bound `max_age`.
    pub fn opt_in(entry: &Entry, now: Timestamp, max_age: SignedDuration) -> OptInView<'_> {
        match (&entry.tags, entry.tags_read_at) {
            (Some(tags), Some(at)) if now.duration_since(at) <= max_age => OptInView::Fresh(tags),
            (Some(tags), Some(read_at)) => OptInView::Stale { read_at, tags },
            _ => OptInView::NotYetRead,
        }
    }

    /// The oldest tag read among present active accounts (None when one was never read).
    pub fn oldest_tag_read(&self) -> Option<Option<Timestamp>> {
        self.present()
            .filter(|(_, e)| e.status == AccountStatus::Active)
            .map(|(_, e)| e.tags_read_at)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        format!("2026-12-04T{s}Z").parse().unwrap()
    }
    fn id(n: u8) -> AccountId {
        AccountId::parse(&format!("{n}").repeat(12)).unwrap()
    }
    fn root() -> OuId {
        OuId::parse("r-ab12").unwrap()
    }
    fn walked(n: u8, path: Vec<OuId>) -> Walked {
        Walked {
            account: OrgAccount {
                id: id(n),
                name: format!("a{n}"),
                status: AccountStatus::Active,
            },
            path,
        }
    }
    fn tags(enabled: &str) -> BTreeMap<String, String> {
        [
            ("uptime-scheduler:enabled".to_owned(), enabled.to_owned()),
            ("cost-centre".to_owned(), "42".to_owned()),
        ]
        .into()
    }
    const KEYS: &[&str] = &["uptime-scheduler:enabled", "uptime-scheduler:regions"];

    #[test]
    fn a_walk_adds_moves_and_removes_accounts() {
        let mut r = Registry::default();
        let c = r.apply_walk(
            vec![walked(1, vec![root()]), walked(2, vec![root()])],
            t("10:00:00"),
        );
        assert_eq!((c.added, c.removed, c.moved), (2, 0, 0));
        let ou = OuId::parse("ou-ab12-11111111").unwrap();
        let c = r.apply_walk(vec![walked(1, vec![root(), ou.clone()])], t("10:10:00"));
        assert_eq!((c.added, c.removed, c.moved), (0, 1, 1));
        assert!(r.accounts[&id(1)].under(&ou));
        assert!(!r.accounts[&id(2)].present());
        assert_eq!(r.present().count(), 1);
        // Back in the Organization (invited again): present again.
        let c = r.apply_walk(
            vec![walked(1, vec![root()]), walked(2, vec![root()])],
            t("10:20:00"),
        );
        assert_eq!((c.added, c.removed, c.moved), (1, 0, 1));
        assert_eq!(r.walked_at, Some(t("10:20:00")));
    }

    #[test]
    fn only_the_schedulers_tag_keys_are_kept() {
        let mut r = Registry::default();
        r.apply_walk(vec![walked(1, vec![root()])], t("10:00:00"));
        assert!(r.record_tags(&id(1), &tags("true"), KEYS, t("10:00:01")));
        assert_eq!(
            r.accounts[&id(1)]
                .tags
                .as_ref()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["uptime-scheduler:enabled"]
        );
        assert!(
            !r.record_tags(&id(9), &tags("true"), KEYS, t("10:00:01")),
            "unknown account"
        );
    }

    /// Two writers that raced: each fact comes from the newer read, whichever writer had it.
    #[test]
    fn a_merge_keeps_the_newer_read_of_each_fact() {
        let mut base = Registry::default();
        base.apply_walk(
            vec![walked(1, vec![root()]), walked(2, vec![root()])],
            t("10:00:00"),
        );
        // A refresh read account 1's tags at 10:01 (opted in)…
        let mut refresh = base.clone();
        refresh.record_tags(&id(1), &tags("true"), KEYS, t("10:01:00"));
        refresh.record_tags(&id(2), &tags("true"), KEYS, t("10:01:00"));
        // …while an untag event re-read them at 10:02 (opted out), and a walk at 10:03 found
        // account 2 gone.
        let mut event = base.clone();
        event.record_tags(&id(1), &tags("false"), KEYS, t("10:02:00"));
        event.apply_walk(vec![walked(1, vec![root()])], t("10:03:00"));
        for merged in [
            refresh.clone().merge(event.clone(), t("10:04:00")),
            event.merge(refresh, t("10:04:00")),
        ] {
            let one = &merged.accounts[&id(1)];
            assert_eq!(
                one.tags.as_ref().unwrap()["uptime-scheduler:enabled"],
                "false"
            );
            assert_eq!(one.tags_read_at, Some(t("10:02:00")));
            assert!(
                !merged.accounts[&id(2)].present(),
                "the stale writer does not revive it"
            );
            assert_eq!(merged.walked_at, Some(t("10:03:00")));
        }
    }

    #[test]
    fn tombstones_expire_after_a_week() {
        let mut r = Registry::default();
        r.apply_walk(vec![walked(1, vec![root()])], t("10:00:00"));
        r.apply_walk(vec![], t("10:01:00"));
        let kept = r.clone().merge(Registry::default(), t("10:02:00"));
        assert_eq!(kept.accounts.len(), 1);
        let later = t("10:02:00") + SignedDuration::from_hours(24 * 8);
        assert!(r.merge(Registry::default(), later).accounts.is_empty());
    }

    #[test]
    fn an_opt_in_older_than_the_bound_is_unconfirmed() {
        let mut r = Registry::default();
        r.apply_walk(
            vec![walked(1, vec![root()]), walked(2, vec![root()])],
            t("10:00:00"),
        );
        r.record_tags(&id(1), &tags("true"), KEYS, t("10:00:00"));
        let bound = SignedDuration::from_mins(60);
        let one = &r.accounts[&id(1)];
        assert!(matches!(
            Registry::opt_in(one, t("11:00:00"), bound),
            OptInView::Fresh(_)
        ));
        assert!(matches!(
            Registry::opt_in(one, t("11:00:01"), bound),
            OptInView::Stale { read_at, .. } if read_at == t("10:00:00")
        ));
        let two = &r.accounts[&id(2)];
        assert_eq!(
            Registry::opt_in(two, t("10:00:00"), bound),
            OptInView::NotYetRead
        );
        assert_eq!(r.tag_read_order(), [id(2), id(1)], "never read first");
        assert_eq!(r.oldest_tag_read(), Some(None));
    }

    #[test]
    fn another_version_is_refused() {
        let e = Registry::from_json(br#"{"version": 2, "walked_at": null, "accounts": {}}"#)
            .unwrap_err();
        assert!(e.contains("version 2"), "{e}");
        let r = Registry::default();
        assert_eq!(Registry::from_json(&r.to_json()).unwrap(), r);
    }

    #[test]
    fn the_units_are_the_newer_walks() {
        let mut old = Registry::default();
        old.apply_walk(vec![], t("10:00:00"));
        old.set_units([root()].into());
        let mut new = Registry::default();
        new.apply_walk(vec![], t("10:10:00"));
        let ou = OuId::parse("ou-ab12-11111111").unwrap();
        new.set_units([root(), ou.clone()].into());
        for merged in [
            old.clone().merge(new.clone(), t("10:11:00")),
            new.merge(old, t("10:11:00")),
        ] {
            assert!(merged.units.contains(&ou));
        }
    }
}
