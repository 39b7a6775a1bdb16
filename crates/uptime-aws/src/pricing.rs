//! On-demand EC2 prices from the AWS Price List Query API (`pricing:GetProducts`), for the
//! CLI's `report`: one query per region and instance type the report found, a few at once.
//!
//! The query asks for what the scheduler saves on: Linux, shared tenancy, no pre-installed
//! software, no licence, capacity in use, on-demand. The Price List API answers from us-east-1
//! for the `aws` partition (it is also served from eu-central-1 and ap-south-1, and for China
//! from cn-northwest-1), whatever region the instances run in. Each product comes back as a JSON
//! string: its `terms.OnDemand.*.priceDimensions.*` hold `pricePerUnit.USD` per `unit` `Hrs`.

use crate::errors::classify;
use aws_config::SdkConfig;
use aws_sdk_pricing::types::{Filter, FilterType};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use uptime_core::{ErrorKind, PortError};
use uptime_model::savings::PriceList;
use uptime_model::Region;

/// Queries in flight at once: the Price List API's request rate is not published per caller;
/// a handful keeps a report of many types quick without bursting.
const QUERIES_AT_ONCE: usize = 4;

/// What [`AwsPriceList::source`] says the prices are.
pub const PRICE_LIST_SOURCE: &str =
    "AWS Price List API (GetProducts: Linux, shared tenancy, on-demand)";

/// The attributes every query matches besides `instanceType` and `regionCode`: what the
/// scheduler saves on is Linux on-demand capacity in shared tenancy.
pub const FIXED_FILTERS: [(&str, &str); 6] = [
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("licenseModel", "No License required"),
    ("capacitystatus", "Used"),
    ("marketoption", "OnDemand"),
];

/// The hourly USD price in one product of the Price List (a `PriceList` entry, as JSON):
/// the lowest positive on-demand price per `Hrs` (several dimensions are not expected; the
/// lowest never overstates a saving). `None` when the product has none.
pub fn hourly_usd(product: &Value) -> Option<f64> {
    product["terms"]["OnDemand"]
        .as_object()?
        .values()
        .filter_map(|term| term["priceDimensions"].as_object())
        .flat_map(|dims| dims.values())
        .filter(|d| d["unit"] == "Hrs")
        .filter_map(|d| d["pricePerUnit"]["USD"].as_str()?.parse::<f64>().ok())
        .filter(|p| p.is_finite() && *p > 0.0)
        .reduce(f64::min)
}

/// The Price List API, with the caller's own credentials.
#[derive(Debug, Clone)]
pub struct AwsPriceList {
    client: aws_sdk_pricing::Client,
}

impl AwsPriceList {
    /// A client in us-east-1, where the Price List API answers for the `aws` partition.
    pub fn new(sdk: &SdkConfig) -> Self {
        let conf = aws_sdk_pricing::config::Builder::from(sdk)
            .region(aws_sdk_pricing::config::Region::new("us-east-1"))
            .build();
        Self {
            client: aws_sdk_pricing::Client::from_conf(conf),
        }
    }

    /// The on-demand price of each (region, instance type), read at `read_at`. A pair the
    /// Price List has no price for is left out (the report names its type as unpriced); the
    /// first call that fails fails the whole read, with its reason.
    pub async fn read(
        &self,
        pairs: &BTreeSet<(Region, String)>,
        read_at: &str,
    ) -> Result<PriceList, PortError> {
        let found: Vec<Option<(Region, String, f64)>> = stream::iter(pairs.iter().cloned())
            .map(|(region, itype)| async move {
                let price = self.price(&region, &itype).await?;
                Ok::<_, PortError>(price.map(|p| (region, itype, p)))
            })
            .buffer_unordered(QUERIES_AT_ONCE)
            .try_collect()
            .await?;
        let mut prices: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for (region, itype, price) in found.into_iter().flatten() {
            prices
                .entry(region.as_str().to_owned())
                .or_default()
                .insert(itype, price);
        }
        Ok(PriceList {
            currency: "USD".to_owned(),
            source: PRICE_LIST_SOURCE.to_owned(),
            read_at: read_at.to_owned(),
            prices,
        })
    }

    /// The lowest hourly price among the products one query finds, every page read.
    async fn price(&self, region: &Region, instance_type: &str) -> Result<Option<f64>, PortError> {
        let mut call = self
            .client
            .get_products()
            .service_code("AmazonEC2")
            .format_version("aws_v1");
        let wanted = [
            ("instanceType", instance_type),
            ("regionCode", region.as_str()),
        ];
        for (field, value) in wanted.into_iter().chain(FIXED_FILTERS) {
            let filter = Filter::builder()
                .r#type(FilterType::TermMatch)
                .field(field)
                .value(value)
                .build()
                .map_err(|e| PortError::new(ErrorKind::Other, None, e.to_string()))?;
            call = call.filters(filter);
        }
        let mut pages = call.into_paginator().send();
        let mut lowest: Option<f64> = None;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e))?;
            for entry in page.price_list() {
                let product: Value = serde_json::from_str(entry).map_err(|e| {
                    PortError::new(
                        ErrorKind::Other,
                        None,
                        format!("the Price List returned a product that is not JSON: {e}"),
                    )
                })?;
                if let Some(p) = hourly_usd(&product) {
                    lowest = Some(lowest.map_or(p, |l| l.min(p)));
                }
            }
        }
        Ok(lowest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hourly_price_is_the_lowest_positive_on_demand_price_per_hour() {
        let product = json!({
            "product": {"attributes": {"instanceType": "m5.large"}},
            "terms": {"OnDemand": {
                "SKU.A": {"priceDimensions": {
                    "SKU.A.1": {"unit": "Hrs", "pricePerUnit": {"USD": "0.1070000000"}},
                    "SKU.A.2": {"unit": "Hrs", "pricePerUnit": {"USD": "0.0000000000"}},
                    "SKU.A.3": {"unit": "Quantity", "pricePerUnit": {"USD": "0.01"}}
                }},
                "SKU.B": {"priceDimensions": {
                    "SKU.B.1": {"unit": "Hrs", "pricePerUnit": {"USD": "0.2140000000"}}
                }}
            }}
        });
        assert_eq!(hourly_usd(&product), Some(0.107));
        assert_eq!(hourly_usd(&json!({"terms": {"Reserved": {}}})), None);
        assert_eq!(
            hourly_usd(&json!({"terms": {"OnDemand": {"X": {"priceDimensions": {
                "Y": {"unit": "Hrs", "pricePerUnit": {"EUR": "1.0"}}
            }}}}})),
            None,
            "a price in another currency is not taken for dollars"
        );
    }
}
