//! [`Directory`] over AWS Organizations.

use crate::errors::classify;
use aws_config::SdkConfig;
use aws_sdk_organizations::types::{
    Account, AccountState, AccountStatus as SdkStatus, OrganizationalUnit, Root, Tag,
};
use aws_sdk_organizations::Client;
use std::collections::BTreeMap;
use uptime_core::{Directory, ErrorKind, PortError};
use uptime_model::{AccountId, AccountStatus, OrgAccount, OuId};

/// Organizations, called with the hub's own credentials (management or delegated admin).
#[derive(Debug, Clone)]
pub struct AwsDirectory {
    client: Client,
}

impl AwsDirectory {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

fn bad_answer(what: &str) -> PortError {
    PortError::new(
        ErrorKind::Other,
        None,
        format!("Organizations returned {what}"),
    )
}

fn account(a: &Account) -> Result<OrgAccount, PortError> {
    let id = a
        .id()
        .ok_or_else(|| bad_answer("an account without an id"))?;
    let id = AccountId::parse(id).map_err(|e| bad_answer(&e.to_string()))?;
    // `State` replaces the deprecated `Status`; emulators may only send the latter.
    #[allow(deprecated)]
    let active = match (a.state(), a.status()) {
        (Some(state), _) => *state == AccountState::Active,
        (None, Some(status)) => *status == SdkStatus::Active,
        (None, None) => false,
    };
    Ok(OrgAccount {
        id,
        name: a.name().unwrap_or_default().to_owned(),
        status: if active {
            AccountStatus::Active
        } else {
            AccountStatus::Inactive
        },
    })
}

/// Every item of every page of a paginated call, each turned by `$each`, or the first error.
macro_rules! every_item {
    ($pages:expr, $items:ident, $each:expr) => {{
        let mut pages = $pages.into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e))?;
            for item in page.$items() {
                out.push($each(item)?);
            }
        }
        out
    }};
}

fn unit(ou: &OrganizationalUnit) -> Result<OuId, PortError> {
    let id = ou.id().ok_or_else(|| bad_answer("an OU without an id"))?;
    OuId::parse(id).map_err(|e| bad_answer(&e.to_string()))
}

fn root(r: &Root) -> Result<OuId, PortError> {
    let id = r.id().ok_or_else(|| bad_answer("a root without an id"))?;
    OuId::parse(id).map_err(|e| bad_answer(&e.to_string()))
}

fn tag(t: &Tag) -> Result<(String, String), PortError> {
    Ok((t.key().to_owned(), t.value().to_owned()))
}

impl Directory for AwsDirectory {
    async fn list_accounts(&self) -> Result<Vec<OrgAccount>, PortError> {
        Ok(every_item!(self.client.list_accounts(), accounts, account))
    }

    async fn roots(&self) -> Result<Vec<OuId>, PortError> {
        Ok(every_item!(self.client.list_roots(), roots, root))
    }

    async fn accounts_under(&self, parent: &OuId) -> Result<Vec<OrgAccount>, PortError> {
        let call = self
            .client
            .list_accounts_for_parent()
            .parent_id(parent.as_str());
        Ok(every_item!(call, accounts, account))
    }

    async fn units_under(&self, parent: &OuId) -> Result<Vec<OuId>, PortError> {
        let call = self
            .client
            .list_organizational_units_for_parent()
            .parent_id(parent.as_str());
        Ok(every_item!(call, organizational_units, unit))
    }

    async fn account_tags(
        &self,
        account: &AccountId,
    ) -> Result<BTreeMap<String, String>, PortError> {
        let call = self
            .client
            .list_tags_for_resource()
            .resource_id(account.as_str());
        Ok(every_item!(call, tags, tag).into_iter().collect())
    }
}
