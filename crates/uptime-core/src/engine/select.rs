//! Account selection: the organization's accounts (or those under the requested OUs), the
//! run's account filters and the opt-in tag.

use super::{target_error, Settings};
use crate::ports::{Directory, Pause};
use futures::stream::{self, StreamExt};
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use uptime_model::accounts::opt_in;
use uptime_model::events::SelectionCounts;
use uptime_model::registry::{OptInView, Registry};
use uptime_model::report::{AccountSkipReason, SkippedAccount};
use uptime_model::{
    AccountId, AccountReport, AccountStatus, AccountTarget, ErrorName, OrgAccount, RunRequest,
    TargetError,
};

/// The accounts a run covers (list-accounts writes it as a
/// [`uptime_model::events::ListAccountsResponse`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub accounts: Vec<AccountTarget>,
    /// Accounts the run named by id that it will not schedule, with why.
    pub skipped: Vec<SkippedAccount>,
    /// Accounts whose opt-in could not be read: reported as failed.
    pub failed: Vec<AccountReport>,
    pub counts: SelectionCounts,
}

/// Lists the organization's accounts (or those under the requested OUs), applies the run's
/// account filters and the opt-in tag. Fails only when the listing itself fails.
pub async fn select_accounts(
    dir: &impl Directory,
    pause: &impl Pause,
    req: &RunRequest,
    settings: &Settings,
) -> Result<Selection, TargetError> {
    let retry = settings.retry;
    let listed: Vec<OrgAccount> = if req.organizational_units.is_empty() {
        retry
            .run(pause, || dir.list_accounts())
            .await
            .map_err(|e| target_error("listing accounts", &e))?
    } else {
        let mut found = Vec::new();
        let mut queue: VecDeque<_> = req.organizational_units.iter().cloned().collect();
        let mut seen = BTreeSet::new();
        while let Some(unit) = queue.pop_front() {
            if !seen.insert(unit.clone()) {
                continue;
            }
            let ctx = format!("listing accounts under {unit}");
            found.extend(
                retry
                    .run(pause, || dir.accounts_under(&unit))
                    .await
                    .map_err(|e| target_error(&ctx, &e))?,
            );
            queue.extend(
                retry
                    .run(pause, || dir.units_under(&unit))
                    .await
                    .map_err(|e| target_error(&ctx, &e))?,
            );
        }
        found
    };
    // One entry per account, in id order, so runs and reports are deterministic.
    let listed: BTreeMap<AccountId, OrgAccount> =
        listed.into_iter().map(|a| (a.id.clone(), a)).collect();
    let (mut sel, candidates) = candidates(&listed, req);
    let tag_reads: Vec<_> = stream::iter(candidates)
        .map(|id| async move {
            let tags = retry.run(pause, || dir.account_tags(&id)).await;
            (id, tags)
        })
        .buffered(settings.tag_read_concurrency.max(1))
        .collect()
        .await;
    for (id, tags) in tag_reads {
        match tags {
            Err(e) => fail(
                &mut sel,
                &id,
                target_error("reading the account's tags", &e),
            ),
            Ok(tags) => decide(&mut sel, req, &id, &tags, settings),
        }
    }
    sel.counts.selected = sel.accounts.len() as u64;
    Ok(sel)
}

/// [`select_accounts`] from the account registry (ADR 0013) instead of Organizations: the
/// same filters and opt-in rule, over the registry's present accounts (those under the
/// requested OUs by their recorded paths). An account whose tags the registry has not read
/// within `max_age` before `clock` (the real time, whatever the run's `now`) is never
/// selected: when the last read said opted in it is reported failed with when that was, so
/// a registry that stopped being refreshed never acts on an opt-in that may have been
/// withdrawn. An account the registry never read is left alone and counted (`not_yet_read`).
pub fn select_from_registry(
    registry: &Registry,
    req: &RunRequest,
    settings: &Settings,
    clock: Timestamp,
    max_age: SignedDuration,
) -> Result<Selection, TargetError> {
    // An OU the last walk did not find is refused, as Organizations refuses it in a live
    // selection, rather than run on no account (a registry written before OUs were recorded
    // has none to check against).
    if !registry.units.is_empty() {
        if let Some(unit) = req
            .organizational_units
            .iter()
            .find(|u| !registry.units.contains(*u))
        {
            let when = registry
                .walked_at
                .map_or_else(|| "never".to_owned(), |t| t.to_string());
            return Err(TargetError::new(
                ErrorName::InvalidInput,
                format!(
                    "`organizational_units`: {unit} is not a root or OU of the Organization as \
                     the account registry last walked it (at {when}); no account was contacted"
                ),
            ));
        }
    }
    let listed: BTreeMap<AccountId, OrgAccount> = registry
        .present()
        .filter(|(_, e)| {
            req.organizational_units.is_empty()
                || req.organizational_units.iter().any(|u| e.under(u))
        })
        .map(|(id, e)| {
            let account = OrgAccount {
                id: id.clone(),
                name: e.name.clone(),
                status: e.status,
            };
            (id.clone(), account)
        })
        .collect();
    let (mut sel, candidates) = candidates(&listed, req);
    for id in candidates {
        let Some(entry) = registry.accounts.get(&id) else {
            continue;
        };
        match Registry::opt_in(entry, clock, max_age) {
            OptInView::Fresh(tags) => decide(&mut sel, req, &id, tags, settings),
            OptInView::NotYetRead => {
                sel.counts.not_yet_read += 1;
                skip_named(&mut sel, req, &id, AccountSkipReason::OptInNotYetRead, None);
            }
            // Opted out when last read: not selected, whatever its age.
            OptInView::Stale { tags, .. } if opt_in(&id, tags, &settings.tags).is_err() => {
                decide(&mut sel, req, &id, tags, settings)
            }
            // Opted in when last read, but too long ago to act on.
            OptInView::Stale { read_at, .. } => {
                let minutes = max_age.as_mins();
                let message = format!(
                    "opt-in unconfirmed: the account registry last read this account's tags \
                     (opted in) at {read_at}, not within the last {minutes} minutes \
                     (OPT_IN_MAX_AGE_MINUTES); the account is left alone until \
                     refresh-accounts reads them again"
                );
                fail(
                    &mut sel,
                    &id,
                    TargetError {
                        error: ErrorName::Misconfigured,
                        message,
                    },
                );
            }
        }
    }
    sel.counts.selected = sel.accounts.len() as u64;
    Ok(sel)
}

/// The selection so far (counts, skipped named accounts) and the accounts whose opt-in
/// decides: named (when the run names some), not excluded, active.
fn candidates(
    listed: &BTreeMap<AccountId, OrgAccount>,
    req: &RunRequest,
) -> (Selection, Vec<AccountId>) {
    let mut sel = Selection {
        counts: SelectionCounts {
            listed: listed.len() as u64,
            ..SelectionCounts::default()
        },
        ..Selection::default()
    };
    let named: BTreeSet<&AccountId> = req.accounts.iter().collect();
    for id in &req.accounts {
        if !listed.contains_key(id) {
            let reason = if req.organizational_units.is_empty() {
                AccountSkipReason::NotInOrganization
            } else {
                AccountSkipReason::OutsideRequestedUnits
            };
            skip_named(&mut sel, req, id, reason, None);
        }
    }
    let mut out = Vec::new();
    for (id, account) in listed {
        if (!named.is_empty() && !named.contains(id)) || req.exclude_accounts.contains(id) {
            sel.counts.excluded += 1;
        } else if account.status != AccountStatus::Active {
            sel.counts.inactive += 1;
            skip_named(&mut sel, req, id, AccountSkipReason::NotActive, None);
        } else {
            out.push(id.clone());
        }
    }
    (sel, out)
}

/// Records a skip when the run named the account (an Organization-wide run does not list
/// every account it leaves out).
fn skip_named(
    sel: &mut Selection,
    req: &RunRequest,
    id: &AccountId,
    reason: AccountSkipReason,
    detail: Option<String>,
) {
    if req.accounts.contains(id) {
        sel.skipped.push(SkippedAccount {
            account: id.clone(),
            reason,
            detail,
        });
    }
}

fn fail(sel: &mut Selection, id: &AccountId, error: TargetError) {
    sel.counts.failed += 1;
    sel.failed.push(AccountReport {
        account: id.clone(),
        regions: Vec::new(),
        skipped_regions: Vec::new(),
        error: Some(error),
    });
}

/// The opt-in rule on the account's tags.
fn decide(
    sel: &mut Selection,
    req: &RunRequest,
    id: &AccountId,
    tags: &BTreeMap<String, String>,
    settings: &Settings,
) {
    match opt_in(id, tags, &settings.tags) {
        Ok(target) => sel.accounts.push(target),
        Err((AccountSkipReason::NotOptedIn, detail)) => {
            sel.counts.not_opted_in += 1;
            skip_named(sel, req, id, AccountSkipReason::NotOptedIn, detail);
        }
        Err((reason, detail)) => {
            // A malformed regions tag is the account owner's mistake: always report it.
            sel.counts.not_opted_in += 1;
            sel.skipped.push(SkippedAccount {
                account: id.clone(),
                reason,
                detail,
            });
        }
    }
}
