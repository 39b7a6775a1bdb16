//! One configuration for every Lambda, parsed once at start-up from the environment into typed
//! values. Parsing takes a lookup function so tests never touch the process environment.

use uptime_core::Settings;
use uptime_model::accounts::parse_region_list;
use uptime_model::{Region, RoleName, TagConfig};

/// A bad environment variable, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

/// Everything a Lambda reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The member-account role name (`MEMBER_ROLE_NAME`, default `UptimeSchedulerMember`).
    pub member_role: RoleName,
    /// The hub's region (`AWS_REGION`, set by Lambda).
    pub region: Region,
    pub settings: Settings,
}

fn err(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

impl Config {
    /// Parses the configuration; `var` looks a variable up (`std::env::var(..).ok()` in main).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let region = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .ok_or_else(|| err("AWS_REGION", "is not set"))?;
        let region = Region::parse(region.trim()).map_err(|e| err("AWS_REGION", e.to_string()))?;
        let member_role = RoleName::parse(
            get("MEMBER_ROLE_NAME")
                .as_deref()
                .unwrap_or("UptimeSchedulerMember"),
        )
        .map_err(|e| err("MEMBER_ROLE_NAME", e.to_string()))?;
        let default_regions = match get("DEFAULT_REGIONS") {
            None => vec![region.clone()],
            Some(list) => {
                parse_region_list(&list).map_err(|e| err("DEFAULT_REGIONS", e.to_string()))?
            }
        };
        let defaults = TagConfig::default();
        let key = |name: &'static str, default: String| -> Result<String, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) if v.len() <= 128 && !v.trim().is_empty() => Ok(v),
                Some(_) => Err(err(name, "must be a tag key of 1 to 128 characters")),
            }
        };
        let tags = TagConfig {
            schedule_key: key("SCHEDULE_TAG_KEY", defaults.schedule_key)?,
            opt_out_value: key("OPT_OUT_VALUE", defaults.opt_out_value)?,
            hibernate_key: key("HIBERNATE_TAG_KEY", defaults.hibernate_key)?,
            account_enabled_key: key("ACCOUNT_ENABLED_TAG_KEY", defaults.account_enabled_key)?,
            account_regions_key: key("ACCOUNT_REGIONS_TAG_KEY", defaults.account_regions_key)?,
            last_action_key: key("LAST_ACTION_TAG_KEY", defaults.last_action_key)?,
            override_key: key("OVERRIDE_TAG_KEY", defaults.override_key)?,
        };
        let number =
            |name: &'static str, default: usize, max: usize| -> Result<usize, ConfigError> {
                match get(name) {
                    None => Ok(default),
                    Some(v) => match v.trim().parse::<usize>() {
                        Ok(n) if (1..=max).contains(&n) => Ok(n),
                        _ => Err(err(
                            name,
                            format!("`{v}` is not a whole number from 1 to {max}"),
                        )),
                    },
                }
            };
        let mut settings = Settings::new(region.clone(), default_regions);
        settings.tags = tags;
        settings.batch_size = number("BATCH_SIZE", 50, 1000)?;
        settings.tag_read_concurrency = number("TAG_READ_CONCURRENCY", 8, 64)?;
        settings.reconcile.catch_up =
            jiff::SignedDuration::from_mins(number("CATCH_UP_MINUTES", 60, 1440)? as i64);
        Ok(Self {
            member_role,
            region,
            settings,
        })
    }

    /// Parses the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The ARN partition of the hub (and so of the member roles).
    pub fn partition(&self) -> &'static str {
        self.region.partition()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_only_the_region() {
        let c = parse(&[("AWS_REGION", "eu-west-1")]).unwrap();
        assert_eq!(c.member_role.as_str(), "UptimeSchedulerMember");
        assert_eq!(
            c.settings.default_regions,
            vec![Region::parse("eu-west-1").unwrap()]
        );
        assert_eq!(c.settings.batch_size, 50);
        assert_eq!(c.settings.tags, TagConfig::default());
        assert_eq!(c.partition(), "aws");
    }

    #[test]
    fn every_setting_can_be_overridden() {
        let c = parse(&[
            ("AWS_REGION", "cn-north-1"),
            ("MEMBER_ROLE_NAME", "Sched"),
            ("DEFAULT_REGIONS", "cn-north-1,cn-northwest-1"),
            ("SCHEDULE_TAG_KEY", "uptime"),
            ("BATCH_SIZE", "20"),
        ])
        .unwrap();
        assert_eq!(c.member_role.as_str(), "Sched");
        assert_eq!(c.settings.default_regions.len(), 2);
        assert_eq!(c.settings.tags.schedule_key, "uptime");
        assert_eq!(c.settings.batch_size, 20);
        assert_eq!(c.partition(), "aws-cn");
    }

    #[test]
    fn errors_name_the_variable() {
        assert_eq!(parse(&[]).unwrap_err().variable, "AWS_REGION");
        assert_eq!(
            parse(&[("AWS_REGION", "moon-1")]).unwrap_err().variable,
            "AWS_REGION"
        );
        assert_eq!(
            parse(&[("AWS_REGION", "eu-west-1"), ("BATCH_SIZE", "0")])
                .unwrap_err()
                .variable,
            "BATCH_SIZE"
        );
        assert_eq!(
            parse(&[
                ("AWS_REGION", "eu-west-1"),
                ("DEFAULT_REGIONS", "eu-west-1,x")
            ])
            .unwrap_err()
            .variable,
            "DEFAULT_REGIONS"
        );
        assert_eq!(
            parse(&[("AWS_REGION", "eu-west-1"), ("MEMBER_ROLE_NAME", "a b")])
                .unwrap_err()
                .variable,
            "MEMBER_ROLE_NAME"
        );
    }
}
