//! Domain identifiers. Each is a validated newtype so that an unchecked string cannot reach an
//! AWS call or a report by accident.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid identifier; the caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(pub String);

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `value`.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                $check(value)?;
                Ok(Self(value.to_owned()))
            }
            /// The identifier as AWS spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                $check(&value)?;
                Ok(Self(value))
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
    };
}

string_newtype!(
    /// A 12-digit AWS account id.
    AccountId,
    check_account
);
string_newtype!(
    /// An EC2 instance id (`i-` and 8 or 17 hex digits).
    InstanceId,
    check_instance
);
string_newtype!(
    /// An AWS region code from the list this version knows (see [`KNOWN_REGIONS`]).
    Region,
    check_region
);
string_newtype!(
    /// An Organizations organizational unit id (`ou-…`) or root id (`r-…`).
    OuId,
    check_ou
);
string_newtype!(
    /// A schedule name as written in an instance's schedule tag.
    ScheduleName,
    check_schedule
);
string_newtype!(
    /// An IAM role name (the member-account role).
    RoleName,
    check_role_name
);
string_newtype!(
    /// A Step Functions execution ARN (`arn:aws:states:eu-west-1:123456789012:execution:sm:name`,
    /// or an Express child's `express:`): where a run digest links to.
    ExecutionArn,
    check_execution_arn
);
string_newtype!(
    /// A standard (not FIFO) SNS topic ARN (`arn:aws:sns:eu-west-1:123456789012:ops-digest`).
    TopicArn,
    check_topic_arn
);

/// Regions this version accepts, as of 2026-11. A region AWS adds later is rejected as unknown
/// until it is added here: a typo must never silently select nothing.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

fn check_account(v: &str) -> Result<(), IdError> {
    if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(IdError(format!("`{v}` is not a 12-digit account id")))
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check_instance(v: &str) -> Result<(), IdError> {
    match v.strip_prefix("i-") {
        Some(hex) if (hex.len() == 8 || hex.len() == 17) && is_lower_hex(hex) => Ok(()),
        _ => Err(IdError(format!(
            "`{v}` is not an instance id (i- and 8 or 17 hex digits)"
        ))),
    }
}

fn check_region(v: &str) -> Result<(), IdError> {
    if KNOWN_REGIONS.contains(&v) {
        Ok(())
    } else {
        Err(IdError(format!("`{v}` is not a known AWS region")))
    }
}

fn check_ou(v: &str) -> Result<(), IdError> {
    let alnum = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    let ok = if let Some(rest) = v.strip_prefix("ou-") {
        matches!(rest.split_once('-'), Some((root, ou)) if alnum(root, 4, 32) && alnum(ou, 8, 32))
    } else if let Some(rest) = v.strip_prefix("r-") {
        alnum(rest, 4, 32)
    } else {
        false
    };
    if ok {
        Ok(())
    } else {
        Err(IdError(format!(
            "`{v}` is not an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)"
        )))
    }
}

/// EC2 tag values: up to 256 Unicode characters; letters, digits, spaces and `_ . : / = + - @`.
/// A schedule name is additionally non-empty and has no surrounding white space.
pub fn check_tag_value(v: &str) -> Result<(), IdError> {
    if v.chars().count() > 256 {
        return Err(IdError("is longer than 256 characters".into()));
    }
    if let Some(c) = v
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == ' ' || "_.:/=+-@".contains(*c)))
    {
        return Err(IdError(format!(
            "contains `{c}`, which is not allowed in a tag value"
        )));
    }
    Ok(())
}

fn check_schedule(v: &str) -> Result<(), IdError> {
    if v.trim().is_empty() {
        return Err(IdError("a schedule name must not be empty".into()));
    }
    if v.trim() != v {
        return Err(IdError(format!(
            "`{v}` has leading or trailing white space"
        )));
    }
    check_tag_value(v).map_err(|e| IdError(format!("`{v}` {}", e.0)))
}

fn check_role_name(v: &str) -> Result<(), IdError> {
    let ok = (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(IdError(format!("`{v}` is not a valid IAM role name")))
    }
}

/// The fields of `arn:<partition>:<service>:<region>:<account>:<rest>`, checked: the partition
/// is the region's, the account 12 digits, the whole ARN at most 2,048 characters without
/// white space or control characters. Not ASCII only: a Step Functions execution name may hold
/// any other character (`nightly-1×1`, `夜間`), and so may its ARN.
fn split_arn<'a>(v: &'a str, service: &str) -> Result<(Region, AccountId, &'a str), String> {
    if v.chars().count() > 2048 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "is longer than 2048 characters or has white space or control characters, which an \
             ARN cannot have"
                .into(),
        );
    }
    let mut parts = v.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(svc), Some(region), Some(account), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(format!(
            "is not an ARN of the form arn:<partition>:{service}:<region>:<account>:…"
        ));
    };
    if svc != service {
        return Err(format!("is not an ARN of the {service} service"));
    }
    let region = Region::parse(region).map_err(|e| e.0)?;
    if region.partition() != partition {
        return Err(format!(
            "names partition `{partition}`, but region {region} is in `{}`",
            region.partition()
        ));
    }
    let account = AccountId::parse(account).map_err(|e| e.0)?;
    Ok((region, account, rest))
}

fn check_execution_arn(v: &str) -> Result<(), IdError> {
    let bad = |why: String| IdError(format!("`{}` {why}", crate::text::escape(v)));
    let (_, _, rest) = split_arn(v, "states").map_err(bad)?;
    let mut parts = rest.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("execution" | "express"), Some(machine), Some(name))
            if !machine.is_empty() && !name.is_empty() =>
        {
            Ok(())
        }
        _ => Err(bad(
            "is not an execution ARN (…:execution:<state machine>:<name>)".into(),
        )),
    }
}

fn check_topic_arn(v: &str) -> Result<(), IdError> {
    let bad = |why: String| IdError(format!("`{}` {why}", crate::text::escape(v)));
    let (_, _, name) = split_arn(v, "sns").map_err(bad)?;
    if name.ends_with(".fifo") {
        return Err(bad(
            "is a FIFO topic, which needs a message group per message; use a standard topic".into(),
        ));
    }
    if name.is_empty()
        || name.len() > 256
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(bad(
            "is not a topic ARN (…:sns:<region>:<account>:<name>, the name 1 to 256 letters, \
             digits, `-` or `_`)"
                .into(),
        ));
    }
    Ok(())
}

impl ExecutionArn {
    /// The execution's name (a name holds no `:`).
    pub fn name(&self) -> &str {
        self.0.rsplit(':').next().unwrap_or_default()
    }

    /// The region the execution runs in.
    pub fn region(&self) -> Region {
        // Checked when the value was made.
        Region::parse(self.0.split(':').nth(3).unwrap_or_default())
            .unwrap_or_else(|_| Region("us-east-1".into()))
    }

    /// The execution's page in the Step Functions console, where the partition has a console
    /// whose address this version knows.
    pub fn console_url(&self) -> Option<String> {
        let region = self.region();
        let host = match region.partition() {
            "aws" => format!("{region}.console.aws.amazon.com"),
            "aws-cn" => format!("{region}.console.amazonaws.cn"),
            "aws-us-gov" => format!("{region}.console.amazonaws-us-gov.com"),
            _ => return None,
        };
        Some(format!(
            "https://{host}/states/home?region={region}#/v2/executions/details/{}",
            self.0
        ))
    }
}

impl TopicArn {
    /// The topic's region (SNS publishes to a topic in its own region).
    pub fn region(&self) -> Region {
        Region::parse(self.0.split(':').nth(3).unwrap_or_default())
            .unwrap_or_else(|_| Region("us-east-1".into()))
    }
}

impl Region {
    /// The ARN partition this region belongs to.
    pub fn partition(&self) -> &'static str {
        if self.0.starts_with("cn-") {
            "aws-cn"
        } else if self.0.starts_with("us-gov-") {
            "aws-us-gov"
        } else if self.0.starts_with("eusc-") {
            "aws-eusc"
        } else {
            "aws"
        }
    }
}

impl RoleName {
    /// `arn:<partition>:iam::<account>:role/<name>`.
    pub fn arn_in(&self, account: &AccountId, partition: &str) -> String {
        format!("arn:{partition}:iam::{account}:role/{}", self.0)
    }
}

/// The STS role session name for a run: `uptime-scheduler-<run id>`, cut to the 64 characters
/// STS allows and to its character set, so CloudTrail shows which run changed an instance.
pub fn session_name(run_id: &str) -> String {
    let mut s: String = format!("uptime-scheduler-{run_id}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    s.truncate(64);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_arns_are_checked_and_link_to_the_console() {
        let arn = ExecutionArn::parse(
            "arn:aws:states:eu-west-1:123456789012:execution:uptime-scheduler:nightly-stop",
        )
        .unwrap();
        assert_eq!(arn.region().as_str(), "eu-west-1");
        assert_eq!(
            arn.console_url().unwrap(),
            "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1\
             #/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:\
             uptime-scheduler:nightly-stop"
        );
        let cn = ExecutionArn::parse("arn:aws-cn:states:cn-north-1:123456789012:express:sm:x:y")
            .unwrap();
        assert!(cn
            .console_url()
            .unwrap()
            .starts_with("https://cn-north-1.console.amazonaws.cn/"));
        for bad in [
            "nightly-stop",
            "arn:aws:states:eu-west-1:123456789012:stateMachine:sm",
            "arn:aws:states:eu-west-1:123456789012:execution:sm:",
            "arn:aws:lambda:eu-west-1:123456789012:execution:sm:x",
            "arn:aws-cn:states:eu-west-1:123456789012:execution:sm:x",
            "arn:aws:states:moon-1:123456789012:execution:sm:x",
            "arn:aws:states:eu-west-1:1234:execution:sm:x",
            "arn:aws:states:eu-west-1:123456789012:execution:sm:a b",
            "arn:aws:states:eu-west-1:123456789012:execution:sm:a\u{7}b",
        ] {
            assert!(ExecutionArn::parse(bad).is_err(), "{bad}");
        }
        // Step Functions allows non-ASCII execution names (the bench names its runs
        // `bench-1×1×50`); such a run must not lose its summary.
        for good in [
            "arn:aws:states:us-east-1:000000000000:execution:uptime-scheduler:bench-1×1×50",
            "arn:aws:states:ap-northeast-1:123456789012:execution:sm:夜間停止",
        ] {
            assert!(ExecutionArn::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn topic_arns_are_standard_topics_of_a_known_region() {
        let t = TopicArn::parse("arn:aws:sns:eu-west-1:123456789012:ops-digest_1").unwrap();
        assert_eq!(t.region().as_str(), "eu-west-1");
        for (bad, why) in [
            ("ops-digest", "not an ARN"),
            ("arn:aws:sqs:eu-west-1:123456789012:q", "sns service"),
            ("arn:aws:sns:eu-west-1:123456789012:t.fifo", "FIFO"),
            ("arn:aws:sns:eu-west-1:123456789012:", "not a topic ARN"),
            ("arn:aws:sns:eu-west-1:123456789012:a/b", "not a topic ARN"),
            ("arn:aws:sns:eu-west-1:12345678901:t", "12-digit"),
        ] {
            let e = TopicArn::parse(bad).unwrap_err();
            assert!(e.0.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn account_ids_are_exactly_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_ok());
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901a",
            "",
            " 123456789012",
        ] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instance_ids_have_short_or_long_hex_form() {
        assert!(InstanceId::parse("i-0123abcd").is_ok());
        assert!(InstanceId::parse("i-0123456789abcdef0").is_ok());
        for bad in ["i-123", "i-0123ABCD", "x-0123abcd", "i-0123456789abcdefg"] {
            assert!(InstanceId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_regions_are_rejected() {
        assert!(Region::parse("eu-west-1").is_ok());
        assert!(Region::parse("eu-west-9").is_err());
        assert!(Region::parse("EU-WEST-1").is_err());
    }

    #[test]
    fn partitions_follow_the_region() {
        let p = |r: &str| Region::parse(r).map(|r| r.partition());
        assert_eq!(p("eu-west-1"), Ok("aws"));
        assert_eq!(p("cn-north-1"), Ok("aws-cn"));
        assert_eq!(p("us-gov-west-1"), Ok("aws-us-gov"));
    }

    #[test]
    fn ou_and_root_ids_are_recognised() {
        assert!(OuId::parse("ou-abcd-12345678").is_ok());
        assert!(OuId::parse("r-ab12").is_ok());
        assert!(OuId::parse("ou-abcd").is_err());
        assert!(OuId::parse("ou-ABCD-12345678").is_err());
    }

    #[test]
    fn schedule_names_follow_tag_value_rules() {
        assert!(ScheduleName::parse("office-hours").is_ok());
        assert!(ScheduleName::parse("Mon-Fri 08:00/18:00 Europe/London").is_ok());
        assert!(ScheduleName::parse("").is_err());
        assert!(ScheduleName::parse(" x").is_err());
        assert!(ScheduleName::parse("a;b").is_err());
        assert!(ScheduleName::parse(&"x".repeat(257)).is_err());
    }

    #[test]
    fn session_names_are_clamped_and_sanitised() {
        let s = session_name(&"exec/with:odd chars".repeat(10));
        assert_eq!(s.len(), 64);
        assert!(s.starts_with("uptime-scheduler-exec-with-odd-chars"));
        assert!(s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)));
    }

    #[test]
    fn role_arn_is_built_in_the_partition() {
        let role = RoleName::parse("UptimeSchedulerMember").unwrap();
        let acct = AccountId::parse("111111111111").unwrap();
        assert_eq!(
            role.arn_in(&acct, "aws-cn"),
            "arn:aws-cn:iam::111111111111:role/UptimeSchedulerMember"
        );
    }
}
