//! The deployment's configuration, parsed once at start-up into typed values: from the
//! environment in the Lambdas, from the flags and then the environment in the CLI. One table of
//! settings and one set of rules serve both; the source decides only where a value is read and
//! what an error calls it (`environment variable BATCH_SIZE`, `--regions`). Parsing takes a
//! lookup, so tests never touch the process environment.

use crate::engine::Settings;
use uptime_model::accounts::parse_region_list;
use uptime_model::{AccountId, Region, RoleName, TagConfig, TopicArn};

/// A bad setting, named as its source calls it.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    /// The environment variable the setting is read from (also when a flag gave it).
    pub variable: &'static str,
    /// What the message calls it: `environment variable BATCH_SIZE`, or the CLI's flag.
    pub name: String,
    pub message: String,
}

/// Where settings are read from.
pub trait Source {
    /// The value of the setting read from `variable`, if any.
    fn get(&self, variable: &'static str) -> Option<String>;
    /// What an error about that setting calls it.
    fn name(&self, variable: &'static str) -> String {
        format!("environment variable {variable}")
    }
}

/// An environment (or a stand-in for one): a lookup by variable name.
pub struct Environment<F>(pub F);

impl<F> std::fmt::Debug for Environment<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Environment")
    }
}

impl<F: Fn(&str) -> Option<String>> Source for Environment<F> {
    fn get(&self, variable: &'static str) -> Option<String> {
        (self.0)(variable)
    }
}

/// Flags in front of an environment: a setting a flag gives is read from it and named by it;
/// the rest come from `environment`. `flags` maps a variable to its flag's name and value
/// (`("DEFAULT_REGIONS", "--regions", Some("eu-west-1"))`).
#[derive(Debug)]
pub struct Flags<'a, E> {
    pub flags: &'a [(&'static str, &'static str, Option<String>)],
    pub environment: E,
}

impl<E: Source> Source for Flags<'_, E> {
    fn get(&self, variable: &'static str) -> Option<String> {
        match self
            .flags
            .iter()
            .find(|(v, _, value)| *v == variable && value.is_some())
        {
            Some((_, _, value)) => value.clone(),
            None => self.environment.get(variable),
        }
    }

    fn name(&self, variable: &'static str) -> String {
        match self
            .flags
            .iter()
            .find(|(v, _, value)| *v == variable && value.is_some())
        {
            Some((_, flag, _)) => (*flag).to_owned(),
            None => self.environment.name(variable),
        }
    }
}

/// The sentence, not the struct: a function whose `main` returns this error has it printed
/// with `Debug` (`Error: …` in the init failure's log line).
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
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

/// The endpoint overrides the AWS SDK honours for the services this code calls.
pub const ENDPOINT_VARIABLES: [&str; 4] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
];

/// An endpoint URL the SDK can use: `http://` or `https://`, a host name or IP address, an
/// optional port from 1 to 65535, an optional path; nothing else.
fn check_endpoint_url(url: &str) -> Result<(), String> {
    let shown = uptime_model::text::escape(url);
    let problem = |what: &str| {
        Err(format!(
            "`{shown}` is not an endpoint URL such as http://127.0.0.1:5000 ({what})"
        ))
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return problem("no http:// or https://");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return problem("the scheme must be http or https");
    }
    if let Some(c) = url.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return problem(&format!("it contains {}", c.escape_default()));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains(['?', '#', '@']) || rest.contains(['?', '#']) {
        return problem("no user, query or fragment may be given");
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (authority, None),
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
    };
    if !host_ok {
        return problem("the host name is missing or malformed");
    }
    if let Some(p) = port {
        if !matches!(p.parse::<u16>(), Ok(n) if n > 0) {
            return problem("the port must be a number from 1 to 65535");
        }
    }
    Ok(())
}

impl Config {
    /// Parses the configuration; `var` looks a variable up (`std::env::var(..).ok()` in main).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_source(&Environment(var))
    }

    /// Parses the configuration from `source`; an error names the setting as `source` does.
    pub fn from_source(source: &impl Source) -> Result<Self, ConfigError> {
        let get = |name: &'static str| source.get(name).filter(|v| !v.trim().is_empty());
        let err = |variable: &'static str, message: String| ConfigError {
            variable,
            name: source.name(variable),
            message,
        };
        let region = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .ok_or_else(|| err("AWS_REGION", "is not set".to_owned()))?;
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
                Some(_) => Err(err(
                    name,
                    "must be a tag key of 1 to 128 characters".to_owned(),
                )),
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
        // The SDK reads these itself, and a malformed one would only fail at the first call,
        // as a transient error after retries; checked here, it is a configuration error.
        for name in ENDPOINT_VARIABLES {
            if let Some(url) = get(name) {
                check_endpoint_url(url.trim()).map_err(|m| err(name, m))?;
            }
        }
        let mut settings = Settings::new(region.clone(), default_regions);
        settings.tags = tags;
        settings.batch_size = number(
            "BATCH_SIZE",
            crate::engine::DEFAULT_BATCH_SIZE,
            crate::engine::MAX_BATCH_SIZE,
        )?;
        settings.tag_read_concurrency = number("TAG_READ_CONCURRENCY", 8, 64)?;
        settings.account_concurrency = number(
            "ACCOUNT_CONCURRENCY",
            uptime_model::events::DEFAULT_ACCOUNT_CONCURRENCY as usize,
            uptime_model::events::MAX_ACCOUNT_CONCURRENCY as usize,
        )? as u64;
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

/// Where summarize-run publishes a run's digest (ADR 0009). Read by summarize-run only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestConfig {
    /// The EventBridge bus (`DIGEST_EVENT_BUS`: a bus name or ARN, default `default`, the
    /// account's default bus); `None` when the variable is `off`.
    pub event_bus: Option<String>,
    /// An SNS topic that also gets the digest (`DIGEST_SNS_TOPIC_ARN`, optional).
    pub sns_topic: Option<TopicArn>,
}

/// An event bus name (1 to 256 of `A-Z a-z 0-9 . _ - /`) or the ARN of one
/// (`arn:<partition>:events:<region>:<account>:event-bus/<name>`).
fn check_event_bus(bus: &str) -> Result<(), String> {
    let shown = uptime_model::text::escape(bus);
    let name_ok = |n: &str| {
        (1..=256).contains(&n.len())
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_/".contains(&b))
    };
    let ok = match bus.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            matches!(&parts[..], [partition, "events", region, account, resource]
                if Region::parse(region).is_ok_and(|r| r.partition() == *partition)
                    && AccountId::parse(account).is_ok()
                    && resource.strip_prefix("event-bus/").is_some_and(name_ok))
        }
        None => name_ok(bus),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{shown}` is not an event bus name (letters, digits, `.`, `_`, `-`, `/`; at most \
             256) nor an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>); \
             `off` turns the event off"
        ))
    }
}

impl DigestConfig {
    /// Parses the digest settings from `source`; an error names the variable.
    pub fn from_source(source: &impl Source) -> Result<Self, ConfigError> {
        let get = |name: &'static str| {
            source
                .get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let err = |variable: &'static str, message: String| ConfigError {
            variable,
            name: source.name(variable),
            message,
        };
        let event_bus = match get("DIGEST_EVENT_BUS") {
            None => Some("default".to_owned()),
            Some(v) if v.eq_ignore_ascii_case("off") => None,
            Some(v) => {
                check_event_bus(&v).map_err(|m| err("DIGEST_EVENT_BUS", m))?;
                Some(v)
            }
        };
        let sns_topic = get("DIGEST_SNS_TOPIC_ARN")
            .map(|v| TopicArn::parse(&v))
            .transpose()
            .map_err(|e| err("DIGEST_SNS_TOPIC_ARN", e.to_string()))?;
        Ok(Self {
            event_bus,
            sns_topic,
        })
    }

    /// Parses the digest settings; `var` looks a variable up.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_source(&Environment(var))
    }

    /// Parses the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Neither an event nor a topic: nothing is published.
    pub fn is_off(&self) -> bool {
        self.event_bus.is_none() && self.sns_topic.is_none()
    }
}

/// Where the account registry is and how it is kept (ADR 0013). `None` from
/// [`RegistryConfig::from_source`] when `ACCOUNT_REGISTRY_BUCKET` is not set: list-accounts
/// then reads every account's tags from Organizations, as the CLI does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// The bucket holding [`uptime_model::registry::REGISTRY_KEY`] (`ACCOUNT_REGISTRY_BUCKET`).
    pub bucket: String,
    /// The oldest opt-in a run may act on (`OPT_IN_MAX_AGE_MINUTES`, default 60, 5 to 10080).
    pub max_age: jiff::SignedDuration,
    /// Accounts whose tags one scheduled refresh reads (`REGISTRY_TAG_READS`, default 3000).
    pub tag_reads: usize,
}

/// Default accounts read per scheduled refresh: about 300 s at Organizations' 10 tag reads
/// a second, well inside refresh-accounts' 900 s timeout.
pub const DEFAULT_REGISTRY_TAG_READS: usize = 3000;

/// An S3 bucket name as S3 allows it: 3 to 63 of lower-case letters, digits, `.` and `-`,
/// beginning and ending with a letter or digit.
fn check_bucket(name: &str) -> Result<(), String> {
    let ok = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not an S3 bucket name (3 to 63 lower-case letters, digits, `.` and `-`)",
            uptime_model::text::escape(name)
        ))
    }
}

impl RegistryConfig {
    /// Parses the registry settings from `source`; an error names the variable.
    pub fn from_source(source: &impl Source) -> Result<Option<Self>, ConfigError> {
        let get = |name: &'static str| {
            source
                .get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let err = |variable: &'static str, message: String| ConfigError {
            variable,
            name: source.name(variable),
            message,
        };
        let number = |name: &'static str, default: u64, min: u64, max: u64| match get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(err(
                    name,
                    format!("`{v}` is not a whole number from {min} to {max}"),
                )),
            },
        };
        let Some(bucket) = get("ACCOUNT_REGISTRY_BUCKET") else {
            return Ok(None);
        };
        check_bucket(&bucket).map_err(|m| err("ACCOUNT_REGISTRY_BUCKET", m))?;
        let minutes = number(
            "OPT_IN_MAX_AGE_MINUTES",
            uptime_model::registry::DEFAULT_OPT_IN_MAX_AGE_MINUTES,
            5,
            10_080,
        )?;
        let tag_reads = number(
            "REGISTRY_TAG_READS",
            DEFAULT_REGISTRY_TAG_READS as u64,
            1,
            100_000,
        )?;
        Ok(Some(Self {
            bucket,
            max_age: jiff::SignedDuration::from_mins(minutes as i64),
            tag_reads: tag_reads as usize,
        }))
    }

    /// Parses the registry settings; `var` looks a variable up.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        Self::from_source(&Environment(var))
    }

    /// Parses the process environment.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn digest(vars: &[(&str, &str)]) -> Result<DigestConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        DigestConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn the_digest_goes_to_the_default_bus_unless_told_otherwise() {
        let d = digest(&[]).unwrap();
        assert_eq!(d.event_bus.as_deref(), Some("default"));
        assert_eq!(d.sns_topic, None);
        assert!(!d.is_off());
        let d = digest(&[("DIGEST_EVENT_BUS", "OFF")]).unwrap();
        assert!(d.is_off());
        let d = digest(&[
            (
                "DIGEST_EVENT_BUS",
                "arn:aws:events:eu-west-1:123456789012:event-bus/ops",
            ),
            (
                "DIGEST_SNS_TOPIC_ARN",
                " arn:aws:sns:eu-west-1:123456789012:ops-digest ",
            ),
        ])
        .unwrap();
        assert_eq!(
            d.event_bus.as_deref(),
            Some("arn:aws:events:eu-west-1:123456789012:event-bus/ops")
        );
        assert_eq!(
            d.sns_topic.unwrap().as_str(),
            "arn:aws:sns:eu-west-1:123456789012:ops-digest"
        );
        let d = digest(&[
            ("DIGEST_EVENT_BUS", "off"),
            (
                "DIGEST_SNS_TOPIC_ARN",
                "arn:aws:sns:eu-west-1:123456789012:t",
            ),
        ])
        .unwrap();
        assert!(d.event_bus.is_none() && !d.is_off());
    }

    #[test]
    fn a_bad_digest_setting_is_an_error_naming_its_variable() {
        for bus in [
            "a bus",
            "arn:aws:events:eu-west-1:123456789012:rule/x",
            "arn:aws:sns:eu-west-1:123456789012:event-bus/x",
            "x\u{1b}[2J",
        ] {
            let e = digest(&[("DIGEST_EVENT_BUS", bus)]).unwrap_err();
            assert_eq!(e.variable, "DIGEST_EVENT_BUS", "{bus}");
            assert!(
                e.to_string()
                    .starts_with("environment variable DIGEST_EVENT_BUS: "),
                "{e}"
            );
            assert!(!e.message.contains('\u{1b}'), "escaped: {e}");
        }
        for topic in [
            "ops-digest",
            "arn:aws:sns:eu-west-1:123456789012:t.fifo",
            "arn:aws:sqs:eu-west-1:123456789012:q",
        ] {
            let e = digest(&[("DIGEST_SNS_TOPIC_ARN", topic)]).unwrap_err();
            assert_eq!(e.variable, "DIGEST_SNS_TOPIC_ARN", "{topic}");
            assert!(e.to_string().contains(topic), "{e}");
        }
    }

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
        assert_eq!(c.settings.batch_size, 1000);
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
    fn a_malformed_endpoint_url_is_a_configuration_error_naming_the_variable() {
        for bad in [
            "not a url",
            "127.0.0.1:5000",
            "ftp://127.0.0.1",
            "http://",
            "http://host:99999",
            "http://host:port",
            "http://ho st",
            "http://a..b",
            "http://host/\u{1b}[2J",
        ] {
            let e = parse(&[("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL", bad)]).unwrap_err();
            assert_eq!(e.variable, "AWS_ENDPOINT_URL", "{bad}");
            assert!(
                e.message.contains("not an endpoint URL"),
                "{bad}: {}",
                e.message
            );
            assert!(!e.message.contains('\u{1b}'), "escaped: {}", e.message);
        }
        let e = parse(&[("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL_EC2", "x")]).unwrap_err();
        assert_eq!(e.variable, "AWS_ENDPOINT_URL_EC2");
        for good in [
            "http://127.0.0.1:5000",
            "https://ec2.eu-west-1.amazonaws.com",
            "http://localhost:4566/",
            "http://[::1]:5000",
            "http://moto_server:5000/path",
        ] {
            parse(&[("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL", good)])
                .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
    }

    #[test]
    fn a_start_up_failure_prints_a_sentence_not_a_struct() {
        let e = parse(&[]).unwrap_err();
        assert_eq!(
            format!("{e:?}"),
            "environment variable AWS_REGION: is not set"
        );
        // What a Lambda's `main` returns (`lambda_runtime::Error` is this box).
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
        assert_eq!(
            format!("{boxed:?}"),
            "environment variable AWS_REGION: is not set"
        );
    }

    /// The CLI's flags: a setting a flag gives is read from it and an error names the flag;
    /// the same setting from the environment is named by its variable.
    #[test]
    fn a_flag_gives_a_setting_and_an_error_names_the_flag() {
        let env = |k: &str| match k {
            "AWS_REGION" => Some("eu-west-1".to_owned()),
            "DEFAULT_REGIONS" => Some("atlantis-1".to_owned()),
            _ => None,
        };
        let flags = [
            (
                "MEMBER_ROLE_NAME",
                "--member-role",
                Some("bad role".to_owned()),
            ),
            ("DEFAULT_REGIONS", "--regions", None),
        ];
        let source = Flags {
            flags: &flags,
            environment: Environment(env),
        };
        let e = Config::from_source(&source).unwrap_err();
        assert_eq!(e.variable, "MEMBER_ROLE_NAME");
        assert!(e.to_string().starts_with("--member-role: "), "{e}");
        let flags = [("MEMBER_ROLE_NAME", "--member-role", Some("Ops".to_owned()))];
        let source = Flags {
            flags: &flags,
            environment: Environment(env),
        };
        let e = Config::from_source(&source).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("environment variable DEFAULT_REGIONS: "),
            "{e}"
        );
        let flags = [
            ("MEMBER_ROLE_NAME", "--member-role", Some("Ops".to_owned())),
            (
                "DEFAULT_REGIONS",
                "--regions",
                Some("us-east-1,eu-west-1".to_owned()),
            ),
        ];
        let source = Flags {
            flags: &flags,
            environment: Environment(env),
        };
        let c = Config::from_source(&source).unwrap();
        assert_eq!(c.member_role.as_str(), "Ops");
        assert_eq!(c.settings.default_regions.len(), 2);
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

    fn registry(vars: &[(&str, &str)]) -> Result<Option<RegistryConfig>, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RegistryConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn the_registry_is_used_only_where_a_bucket_is_named() {
        assert_eq!(registry(&[("OPT_IN_MAX_AGE_MINUTES", "30")]).unwrap(), None);
        let r = registry(&[("ACCOUNT_REGISTRY_BUCKET", "results-1")])
            .unwrap()
            .unwrap();
        assert_eq!(r.max_age, jiff::SignedDuration::from_mins(60));
        assert_eq!(r.tag_reads, 3000);
        for (var, bad) in [
            ("ACCOUNT_REGISTRY_BUCKET", "Results"),
            ("ACCOUNT_REGISTRY_BUCKET", "s3://results"),
            ("OPT_IN_MAX_AGE_MINUTES", "4"),
            ("OPT_IN_MAX_AGE_MINUTES", "an hour"),
            ("REGISTRY_TAG_READS", "0"),
        ] {
            let mut vars = vec![("ACCOUNT_REGISTRY_BUCKET", "results-1")];
            vars.retain(|(k, _)| *k != var);
            vars.push((var, bad));
            let e = registry(&vars).unwrap_err();
            assert_eq!(e.variable, var, "{bad}");
        }
    }
}
