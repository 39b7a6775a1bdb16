//! [`Directory`] over AWS Organizations.

use crate::errors::classify;
use aws_config::SdkConfig;
use aws_sdk_organizations::types::{Account, AccountState, AccountStatus as SdkStatus};
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

impl Directory for AwsDirectory {
    async fn list_accounts(&self) -> Result<Vec<OrgAccount>, PortError> {
        let mut pages = self.client.list_accounts().into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e))?;
            for a in page.accounts() {
                out.push(account(a)?);
            }
        }
        Ok(out)
    }

    async fn accounts_under(&self, parent: &OuId) -> Result<Vec<OrgAccount>, PortError> {
        let mut pages = self
            .client
            .list_accounts_for_parent()
            .parent_id(parent.as_str())
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e))?;
            for a in page.accounts() {
                out.push(account(a)?);
            }
        }
        Ok(out)
    }

    async fn units_under(&self, parent: &OuId) -> Result<Vec<OuId>, PortError> {
        let mut pages = self
            .client
            .list_organizational_units_for_parent()
            .parent_id(parent.as_str())
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e))?;
            for ou in page.organizational_units() {
                let id = ou.id().ok_or_else(|| bad_answer("an OU without an id"))?;
                out.push(OuId::parse(id).map_err(|e| bad_answer(&e.to_string()))?);
            }
        }
        Ok(out)
    }

    async fn account_tags(
        &self,
        account: &AccountId,
    ) -> Result<BTreeMap<String, String>, PortError> {
        let mut pages = self
            .client
            .list_tags_for_resource()
            .resource_id(account.as_str())
            .into_paginator()
            .send();
        let mut out = BTreeMap::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e))?;
            for t in page.tags() {
                out.insert(t.key().to_owned(), t.value().to_owned());
            }
        }
        Ok(out)
    }
}
