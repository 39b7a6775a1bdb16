//! Account selection: the organization's accounts (or those under the requested OUs), the
//! run's account filters and the opt-in tag.

use super::{target_error, Settings};
use crate::ports::{Directory, Pause};
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use uptime_model::accounts::opt_in;
use uptime_model::events::SelectionCounts;
use uptime_model::report::{AccountSkipReason, SkippedAccount};
use uptime_model::{
    AccountId, AccountReport, AccountStatus, AccountTarget, OrgAccount, RunRequest, TargetError,
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

    let mut sel = Selection {
        counts: SelectionCounts {
            listed: listed.len() as u64,
            ..SelectionCounts::default()
        },
        ..Selection::default()
    };
    let named: BTreeSet<&AccountId> = req.accounts.iter().collect();
    let skip = |sel: &mut Selection, id: &AccountId, reason, detail: Option<String>| {
        if named.contains(id) {
            sel.skipped.push(SkippedAccount {
                account: id.clone(),
                reason,
                detail,
            });
        }
    };
    for id in &req.accounts {
        if !listed.contains_key(id) {
            let reason = if req.organizational_units.is_empty() {
                AccountSkipReason::NotInOrganization
            } else {
                AccountSkipReason::OutsideRequestedUnits
            };
            skip(&mut sel, id, reason, None);
        }
    }
    let mut candidates = Vec::new();
    for (id, account) in &listed {
        if (!named.is_empty() && !named.contains(id)) || req.exclude_accounts.contains(id) {
            sel.counts.excluded += 1;
        } else if account.status != AccountStatus::Active {
            sel.counts.inactive += 1;
            skip(&mut sel, id, AccountSkipReason::NotActive, None);
        } else {
            candidates.push(id.clone());
        }
    }
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
            Err(e) => {
                sel.counts.failed += 1;
                sel.failed.push(AccountReport {
                    account: id.clone(),
                    regions: Vec::new(),
                    skipped_regions: Vec::new(),
                    error: Some(target_error("reading the account's tags", &e)),
                });
            }
            Ok(tags) => match opt_in(&id, &tags, &settings.tags) {
                Ok(target) => sel.accounts.push(target),
                Err((AccountSkipReason::NotOptedIn, detail)) => {
                    sel.counts.not_opted_in += 1;
                    skip(&mut sel, &id, AccountSkipReason::NotOptedIn, detail);
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
            },
        }
    }
    sel.counts.selected = sel.accounts.len() as u64;
    Ok(sel)
}
