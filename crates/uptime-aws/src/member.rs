//! [`Connect`] over STS and [`Compute`] over EC2 in member accounts.

use crate::errors::classify;
use aws_config::SdkConfig;
use aws_sdk_ec2::config::{Credentials, Region as SdkRegion, SharedCredentialsProvider};
use aws_sdk_ec2::error::SdkError;
use aws_sdk_ec2::operation::describe_instances::DescribeInstancesError;
use aws_sdk_ec2::types::{Filter, InstanceLifecycleType, InstanceStateName, Tag};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use uptime_core::{Compute, Connect, Discovered, Discovery, ErrorKind, PortError};
use uptime_model::batch::Bisector;
use uptime_model::{
    AccountId, Instance, InstanceId, InstanceState, Lifecycle, Region, RoleName, StateReason,
};

/// Credentials are renewed when they have less than this left.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
/// Requested session length; longer than any single run of one account.
const SESSION_SECONDS: i32 = 3600;

struct Cached {
    config: SdkConfig,
    expires: SystemTime,
}

/// Who is assuming the role for which (account, session) right now.
type Gates = Mutex<HashMap<(AccountId, String), Arc<tokio::sync::Mutex<()>>>>;

/// STS access to member accounts. Assumed-role credentials are cached per (account, session)
/// for the life of the process and live only inside the SDK configs kept here; they are never
/// serialised, returned or logged (the `Debug` form shows the role name only).
pub struct AwsConnect {
    sts: aws_sdk_sts::Client,
    base: SdkConfig,
    role: RoleName,
    partition: String,
    page_size: Option<i32>,
    cache: Mutex<HashMap<(AccountId, String), Cached>>,
    /// One AssumeRole at a time per (account, session): the regions of one account verified
    /// or scheduled at once wait for the first one's credentials instead of each assuming the
    /// role (they were 4 AssumeRoles for an account's 4 regions in verify-starts).
    gates: Gates,
}

impl fmt::Debug for AwsConnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsConnect")
            .field("role", &self.role)
            .field("partition", &self.partition)
            .finish_non_exhaustive()
    }
}

impl AwsConnect {
    /// `partition` is the ARN partition of the member role (`aws`, `aws-cn`, …).
    pub fn new(base: &SdkConfig, role: RoleName, partition: &str) -> Self {
        Self {
            sts: aws_sdk_sts::Client::new(base),
            base: base.clone(),
            role,
            partition: partition.to_owned(),
            page_size: None,
            cache: Mutex::new(HashMap::new()),
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// The deployment's member role, in the partition of its hub region.
    pub fn for_deployment(base: &SdkConfig, config: &uptime_core::config::Config) -> Self {
        Self::new(base, config.member_role.clone(), config.partition())
    }

    /// Sets DescribeInstances' page size (tests use a small one to exercise paging).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    fn cached(&self, key: &(AccountId, String)) -> Option<SdkConfig> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let entry = cache.get(key)?;
        let left = entry
            .expires
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        (left > RENEW_BEFORE).then(|| entry.config.clone())
    }

    async fn member_config(
        &self,
        account: &AccountId,
        session: &str,
    ) -> Result<SdkConfig, PortError> {
        let key = (account.clone(), session.to_owned());
        if let Some(config) = self.cached(&key) {
            return Ok(config);
        }
        let gate = self
            .gates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        let _one_at_a_time = gate.lock().await;
        if let Some(config) = self.cached(&key) {
            return Ok(config);
        }
        let answer = self
            .sts
            .assume_role()
            .role_arn(self.role.arn_in(account, &self.partition))
            .role_session_name(session)
            .duration_seconds(SESSION_SECONDS)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let c = answer.credentials().ok_or_else(|| {
            PortError::new(
                ErrorKind::Other,
                None,
                "AssumeRole answered without credentials",
            )
        })?;
        let expires = SystemTime::try_from(*c.expiration())
            .unwrap_or_else(|_| SystemTime::now() + Duration::from_secs(900));
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            Some(expires),
            "uptime-scheduler-assume-role",
        );
        let config = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(
            key,
            Cached {
                config: config.clone(),
                expires,
            },
        );
        Ok(config)
    }
}

impl Connect for AwsConnect {
    type Compute = AwsCompute;

    async fn connect(&self, account: &AccountId, session: &str) -> Result<(), PortError> {
        self.member_config(account, session).await.map(|_| ())
    }

    async fn compute(
        &self,
        account: &AccountId,
        region: &Region,
        session: &str,
    ) -> Result<AwsCompute, PortError> {
        let config = self.member_config(account, session).await?;
        let ec2 = aws_sdk_ec2::config::Builder::from(&config)
            .region(SdkRegion::new(region.as_str().to_owned()))
            .build();
        Ok(AwsCompute {
            ec2: aws_sdk_ec2::Client::from_conf(ec2),
            page_size: self.page_size,
        })
    }
}

/// EC2 in one member account and region.
#[derive(Debug, Clone)]
pub struct AwsCompute {
    ec2: aws_sdk_ec2::Client,
    page_size: Option<i32>,
}

fn state_of(name: &InstanceStateName) -> Option<InstanceState> {
    InstanceState::parse(name.as_str())
}

fn instance(i: &aws_sdk_ec2::types::Instance) -> Option<Instance> {
    let id = InstanceId::parse(i.instance_id()?).ok()?;
    let state = state_of(i.state()?.name()?)?;
    let lifecycle = match i.instance_lifecycle() {
        None => Lifecycle::OnDemand,
        Some(InstanceLifecycleType::Spot) => Lifecycle::Spot,
        Some(_) => Lifecycle::Other,
    };
    Some(Instance {
        id,
        state,
        lifecycle,
        hibernation_configured: i
            .hibernation_options()
            .and_then(|h| h.configured())
            .unwrap_or(false),
        tags: i
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
        state_reason: i.state_reason().map(|r| StateReason {
            code: r.code().unwrap_or_default().to_owned(),
            message: r.message().unwrap_or_default().to_owned(),
        }),
        instance_type: i.instance_type().map(|t| t.as_str().to_owned()),
        stopped_at: match state {
            InstanceState::Stopped => i
                .state_transition_reason()
                .and_then(uptime_model::instance::stopped_at_from_reason),
            _ => None,
        },
    })
}

fn ids(ids: &[InstanceId]) -> Vec<String> {
    ids.iter().map(|i| i.as_str().to_owned()).collect()
}

/// A DescribeInstances answer that arrived (2xx) but does not parse: EC2 documents no
/// character restriction for tag values, and one value that XML 1.0 cannot carry (a control
/// character) makes the whole page unreadable.
fn unparseable(e: &SdkError<DescribeInstancesError>) -> bool {
    match e {
        SdkError::ServiceError(s) => s.raw().status().is_success(),
        SdkError::ResponseError(r) => r.raw().status().is_success(),
        _ => false,
    }
}

/// Instance ids per DescribeInstances call while isolating an unreadable instance.
const ISOLATION_CHUNK: usize = 100;

impl AwsCompute {
    /// Every page of DescribeInstances for `what` (limited to `ids` when given).
    async fn describe(
        &self,
        what: &Discovery,
        ids: Option<&[String]>,
    ) -> Result<Vec<Instance>, SdkError<DescribeInstancesError>> {
        let tag_filter = match &what.tag_value {
            None => Filter::builder()
                .name("tag-key")
                .values(&what.tag_key)
                .build(),
            // EC2 matches a tag value exactly; the scheduler reads a schedule tag with its
            // surrounding white space trimmed (`" office-hours"` is `office-hours`), so it asks
            // for every value containing the name (schedule names hold no `*`, `?` or `\`) and
            // keeps the trimmed matches below.
            Some(v) => Filter::builder()
                .name(format!("tag:{}", what.tag_key))
                .values(format!("*{v}*"))
                .build(),
        };
        let mut call = self
            .ec2
            .describe_instances()
            .filters(tag_filter)
            .filters(discoverable_states())
            .set_max_results(self.page_size);
        if let Some(ids) = ids {
            // A filter, not InstanceIds: an id terminated meanwhile is no error.
            call = call.filters(
                Filter::builder()
                    .name("instance-id")
                    .set_values(Some(ids.to_vec()))
                    .build(),
            );
        }
        let mut pages = call.into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            for r in page?.reservations() {
                // An instance whose id or state EC2 reports in a form we do not know is left
                // out rather than guessed at: it is never touched.
                out.extend(r.instances().iter().filter_map(instance));
            }
        }
        if let Some(want) = &what.tag_value {
            out.retain(|i| i.tags.get(&what.tag_key).map(|v| v.trim()) == Some(want.as_str()));
        }
        Ok(out)
    }

    /// Discovery when a page does not parse: list the region's instance ids with
    /// DescribeInstanceStatus (its answer carries no tags), describe them in chunks, and bisect
    /// a chunk that does not parse down to the one instance at fault, which is reported
    /// unreadable. Costs calls only in this rare case.
    async fn discover_isolating(&self, what: &Discovery) -> Result<Discovered, PortError> {
        let mut ids = Vec::new();
        let mut pages = self
            .ec2
            .describe_instance_status()
            .include_all_instances(true)
            .filters(discoverable_states())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e))?;
            ids.extend(
                page.instance_statuses()
                    .iter()
                    .filter_map(|s| s.instance_id().map(str::to_owned)),
            );
        }
        let mut found = Discovered::default();
        for chunk in ids.chunks(ISOLATION_CHUNK) {
            let mut plan = Bisector::new(chunk.to_vec());
            while let Some(group) = plan.next_group() {
                match self.describe(what, Some(&group)).await {
                    Ok(instances) => found.instances.extend(instances),
                    Err(e) if unparseable(&e) => {
                        if let Some(id) = plan.failed(group) {
                            let id = InstanceId::parse(&id).map_err(|e| {
                                PortError::new(ErrorKind::Other, None, e.to_string())
                            })?;
                            found.unreadable.push((
                                id,
                                "EC2's description of the instance does not parse (a tag \
                                 value holds a character XML cannot carry, such as a control \
                                 character); fix the instance's tags"
                                    .into(),
                            ));
                        }
                    }
                    Err(e) => return Err(classify(&e)),
                }
            }
        }
        Ok(found)
    }
}

/// The states discovery returns.
fn discoverable_states() -> Filter {
    Filter::builder()
        .name("instance-state-name")
        .set_values(Some(
            ["pending", "running", "stopping", "stopped"]
                .map(String::from)
                .to_vec(),
        ))
        .build()
}

impl Compute for AwsCompute {
    async fn enabled_regions(&self) -> Result<Vec<Region>, PortError> {
        // Without AllRegions, DescribeRegions lists exactly the regions enabled for the account.
        let answer = self
            .ec2
            .describe_regions()
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(answer
            .regions()
            .iter()
            .filter_map(|r| Region::parse(r.region_name()?).ok())
            .collect())
    }

    async fn discover(&self, what: &Discovery) -> Result<Discovered, PortError> {
        match self.describe(what, None).await {
            Ok(instances) => Ok(instances.into()),
            Err(e) if unparseable(&e) => self.discover_isolating(what).await,
            Err(e) => Err(classify(&e)),
        }
    }

    async fn stop(&self, instance_ids: &[InstanceId], hibernate: bool) -> Result<(), PortError> {
        let mut call = self
            .ec2
            .stop_instances()
            .set_instance_ids(Some(ids(instance_ids)));
        if hibernate {
            call = call.hibernate(true);
        }
        call.send().await.map(|_| ()).map_err(|e| {
            let mut err = classify(&e);
            // EC2 refuses hibernation with more than one code; all of them mean "stop instead".
            let refused = matches!(
                err.code.as_deref(),
                Some(
                    "UnsupportedOperation"
                        | "UnsupportedHibernationConfiguration"
                        | "InvalidParameterCombination"
                )
            );
            if hibernate && refused {
                err.kind = ErrorKind::HibernationRefused;
            }
            err
        })
    }

    async fn start(&self, instance_ids: &[InstanceId]) -> Result<(), PortError> {
        self.ec2
            .start_instances()
            .set_instance_ids(Some(ids(instance_ids)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }

    async fn tag(
        &self,
        instance_ids: &[InstanceId],
        key: &str,
        value: &str,
    ) -> Result<(), PortError> {
        // CreateTags is atomic like Start/StopInstances: one unknown id fails the whole call.
        self.ec2
            .create_tags()
            .set_resources(Some(ids(instance_ids)))
            .tags(Tag::builder().key(key).value(value).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }
}
