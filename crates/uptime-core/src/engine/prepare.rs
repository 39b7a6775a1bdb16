//! Account preparation: access proven (the member role assumed), regions decided.

use super::{target_error, Settings};
use crate::ports::{Compute, Connect, Directory, Pause};
use uptime_model::accounts::{opt_in, requested_regions};
use uptime_model::events::PreparedAccount;
use uptime_model::report::{RegionSkipReason, SkippedRegion};
use uptime_model::{AccountTarget, ErrorName, Region, TargetError};

/// Reads the regions tag of an account whose list was left out of the compact form
/// ([`AccountTarget::defer_regions`]); other targets are returned as they are.
pub async fn resolve_deferred_regions(
    dir: &impl Directory,
    pause: &impl Pause,
    target: &AccountTarget,
    settings: &Settings,
) -> Result<AccountTarget, TargetError> {
    if !target.regions_deferred {
        return Ok(target.clone());
    }
    let tags = settings
        .retry
        .run(pause, || dir.account_tags(&target.id))
        .await
        .map_err(|e| target_error("reading the account's regions tag", &e))?;
    opt_in(&target.id, &tags, &settings.tags).map_err(|(reason, detail)| {
        TargetError::new(
            ErrorName::Internal,
            format!(
                "the account's tags changed during the run ({}{})",
                reason.as_str(),
                detail.map(|d| format!(": {d}")).unwrap_or_default()
            ),
        )
    })
}

/// Assumes the member role and decides the account's regions: the requested ones (run, account
/// tag, defaults) that are enabled in the account.
pub async fn prepare_account<C: Connect>(
    connect: &C,
    pause: &impl Pause,
    target: &AccountTarget,
    run_regions: &[Region],
    settings: &Settings,
    session: &str,
) -> Result<PreparedAccount, TargetError> {
    let account = &target.id;
    let retry = settings.retry;
    retry
        .run(pause, || connect.connect(account, session))
        .await
        .map_err(|e| target_error("assuming the member role", &e))?;
    let (wanted, outside) = requested_regions(
        run_regions,
        target.regions.as_deref(),
        &settings.default_regions,
    );
    let home = connect
        .compute(account, &settings.home_region, session)
        .await
        .map_err(|e| target_error("connecting to EC2", &e))?;
    let enabled = retry
        .run(pause, || home.enabled_regions())
        .await
        .map_err(|e| target_error("listing enabled regions", &e))?;
    let mut prepared = PreparedAccount {
        account: account.clone(),
        regions: Vec::new(),
        skipped_regions: outside
            .into_iter()
            .map(|region| SkippedRegion {
                region,
                reason: RegionSkipReason::NotInAccountRegions,
            })
            .collect(),
    };
    for region in wanted {
        if enabled.contains(&region) {
            prepared.regions.push(region);
        } else {
            prepared.skipped_regions.push(SkippedRegion {
                region,
                reason: RegionSkipReason::NotEnabled,
            });
        }
    }
    Ok(prepared)
}
