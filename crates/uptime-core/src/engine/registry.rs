//! Keeping the account registry (refresh-accounts, ADR 0013): a walk of the Organization's
//! tree, then the opt-in tags of as many accounts as the invocation's budget allows, the
//! least recently read first; and the re-read of the accounts an Organizations event names.
//!
//! Every read is stamped with the invocation's start, which is never later than the read
//! itself: a stamp can make a read look older than it is (it expires sooner), never newer.

use super::{target_error, Settings};
use crate::ports::{Directory, Pause};
use crate::retry::RetryPolicy;
use futures::stream::{self, StreamExt};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;
use uptime_model::registry::{Registry, WalkChanges, Walked};
use uptime_model::{AccountId, OuId, TargetError};

/// Failed tag reads listed by id in a report; the rest are counted.
pub const MAX_LISTED_TAG_FAILURES: usize = 50;

/// Patient retries: a refresh is off every run's critical path, and Organizations' tag reads
/// share one bucket of about 10 a second per caller (12 per Organization), so a throttled
/// read waits rather than fails.
pub const REFRESH_RETRY: RetryPolicy = RetryPolicy {
    attempts: 8,
    base_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(20),
};

/// What one refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Whether the tree was walked (a tag event alone re-reads only its account).
    pub walked: bool,
    #[serde(flatten)]
    pub changes: WalkChanges,
    /// Present accounts after the refresh.
    pub accounts: u64,
    pub tags_read: u64,
    pub tag_read_failures: u64,
    /// The first failed reads, with why.
    pub failed: Vec<(AccountId, TargetError)>,
    /// Present active accounts whose tags were never read (not scheduled until they are).
    pub never_read: u64,
    /// The oldest tag read among present active accounts that were read.
    pub oldest_tag_read: Option<Timestamp>,
}

impl RefreshReport {
    fn finish(mut self, registry: &Registry) -> Self {
        use uptime_model::AccountStatus;
        self.accounts = registry.present().count() as u64;
        let active = || {
            registry
                .present()
                .filter(|(_, e)| e.status == AccountStatus::Active)
        };
        self.never_read = active().filter(|(_, e)| e.tags_read_at.is_none()).count() as u64;
        self.oldest_tag_read = active().filter_map(|(_, e)| e.tags_read_at).min();
        self
    }
}

/// Every account of the Organization with its path from the root, and every root and OU,
/// walking down from the roots (ListRoots, then ListOrganizationalUnitsForParent and
/// ListAccountsForParent per unit).
pub async fn walk(
    dir: &impl Directory,
    pause: &impl Pause,
) -> Result<(Vec<Walked>, BTreeSet<OuId>), TargetError> {
    let retry = REFRESH_RETRY;
    let roots = retry
        .run(pause, || dir.roots())
        .await
        .map_err(|e| target_error("listing the roots", &e))?;
    let mut queue: VecDeque<Vec<OuId>> = roots.into_iter().map(|r| vec![r]).collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while let Some(path) = queue.pop_front() {
        let Some(unit) = path.last().cloned() else {
            continue;
        };
        if !seen.insert(unit.clone()) {
            continue;
        }
        let ctx = format!("walking {unit}");
        let accounts = retry
            .run(pause, || dir.accounts_under(&unit))
            .await
            .map_err(|e| target_error(&ctx, &e))?;
        out.extend(accounts.into_iter().map(|account| Walked {
            account,
            path: path.clone(),
        }));
        let units = retry
            .run(pause, || dir.units_under(&unit))
            .await
            .map_err(|e| target_error(&ctx, &e))?;
        for child in units {
            let mut p = path.clone();
            p.push(child);
            queue.push_back(p);
        }
    }
    Ok((out, seen))
}

/// The tag keys the scheduler reads on accounts (the registry keeps only these).
fn account_keys(settings: &Settings) -> [&str; 2] {
    [
        settings.tags.account_enabled_key.as_str(),
        settings.tags.account_regions_key.as_str(),
    ]
}

/// Reads the tags of `ids` into the registry, `settings.tag_read_concurrency` at a time.
async fn read_tags(
    dir: &impl Directory,
    pause: &impl Pause,
    settings: &Settings,
    registry: &mut Registry,
    ids: Vec<AccountId>,
    now: Timestamp,
    report: &mut RefreshReport,
) {
    let reads: Vec<_> = stream::iter(ids)
        .map(|id| async move {
            let tags = REFRESH_RETRY.run(pause, || dir.account_tags(&id)).await;
            (id, tags)
        })
        .buffer_unordered(settings.tag_read_concurrency.max(1))
        .collect()
        .await;
    let keys = account_keys(settings);
    for (id, tags) in reads {
        match tags {
            Ok(tags) => {
                registry.record_tags(&id, &tags, &keys, now);
                report.tags_read += 1;
            }
            Err(e) => {
                // The last read stays, and ages out of the opt-in bound if no read succeeds.
                report.tag_read_failures += 1;
                if report.failed.len() < MAX_LISTED_TAG_FAILURES {
                    report
                        .failed
                        .push((id, target_error("reading the account's tags", &e)));
                }
            }
        }
    }
}

/// A scheduled refresh: walks the tree, then reads the tags of at most `tag_reads`
/// accounts among those never read or last read before `due` (half the opt-in bound: each
/// account is re-read well within it, and the Organization's tag-read quota, shared with every
/// other tool, is not spent re-reading fresh tags), those never read first, then the least
/// recently read. Fails only when the walk does (nothing is then written).
pub async fn refresh_registry(
    dir: &impl Directory,
    pause: &impl Pause,
    settings: &Settings,
    registry: &mut Registry,
    tag_reads: usize,
    due: Timestamp,
    now: Timestamp,
) -> Result<RefreshReport, TargetError> {
    let (walked, units) = walk(dir, pause).await?;
    let mut report = RefreshReport {
        walked: true,
        changes: registry.apply_walk(walked, now),
        ..RefreshReport::default()
    };
    registry.set_units(units);
    let next: Vec<AccountId> = registry
        .tag_read_order()
        .into_iter()
        .filter(|id| {
            registry
                .accounts
                .get(id)
                .is_some_and(|e| e.tags_read_at.is_none_or(|at| at < due))
        })
        .take(tag_reads)
        .collect();
    read_tags(dir, pause, settings, registry, next, now, &mut report).await;
    Ok(report.finish(registry))
}

/// What an Organizations event asks of the registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventWork {
    /// Accounts whose tags changed: read them again.
    pub tags_of: BTreeSet<AccountId>,
    /// Membership changed (an account created, invited, moved, removed or closed): walk the
    /// tree again, and read the tags of accounts never read.
    pub walk: bool,
}

/// Applies an Organizations event: re-reads the tags it names and, when membership changed,
/// walks again. A tag event for an account the registry does not know yet walks too (the
/// account is new to it).
pub async fn apply_event(
    dir: &impl Directory,
    pause: &impl Pause,
    settings: &Settings,
    registry: &mut Registry,
    work: &EventWork,
    tag_reads: usize,
    now: Timestamp,
) -> Result<RefreshReport, TargetError> {
    let unknown = work
        .tags_of
        .iter()
        .any(|id| !registry.accounts.get(id).is_some_and(|e| e.present()));
    let mut report = RefreshReport::default();
    if work.walk || unknown {
        let (walked, units) = walk(dir, pause).await?;
        report.walked = true;
        report.changes = registry.apply_walk(walked, now);
        registry.set_units(units);
    }
    let mut ids: BTreeMap<AccountId, ()> = work.tags_of.iter().map(|id| (id.clone(), ())).collect();
    if report.walked {
        // Accounts the walk found that were never read (a new account may carry its opt-in
        // from creation).
        for (id, e) in registry.present() {
            if e.tags_read_at.is_none() && ids.len() < tag_reads.max(work.tags_of.len()) {
                ids.insert(id.clone(), ());
            }
        }
    }
    let ids: Vec<AccountId> = ids
        .into_keys()
        .filter(|id| registry.accounts.get(id).is_some_and(|e| e.present()))
        .collect();
    read_tags(dir, pause, settings, registry, ids, now, &mut report).await;
    Ok(report.finish(registry))
}
