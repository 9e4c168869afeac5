//! A client of the Prometheus HTTP query API (`/api/v1/query`), as VictoriaMetrics and
//! Prometheus serve it.
//!
//! Quirks handled, each covered by a test below:
//! * a sample's timestamp is a JSON number that may be an integer or a float;
//! * a sample's value is a string, which may be `NaN`, `+Inf` or `-Inf`;
//! * an empty result means "no data", never zero;
//! * a bad query is 400 from Prometheus and 422 from VictoriaMetrics, both with
//!   `{"status": "error", "errorType": …, "error": …}`.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::anyhow;
use serde::Deserialize;

use crate::{Error, Result};

/// How long one query may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One sample of an instant vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The series' labels.
    pub labels: BTreeMap<String, String>,
    /// Seconds since the epoch.
    pub timestamp: f64,
    /// The value; may be NaN or infinite.
    pub value: f64,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<VectorItem>,
}

#[derive(Deserialize)]
struct VectorItem {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (serde_json::Number, String),
}

/// Parse an instant-query response (`resultType: vector`) with its HTTP status.
pub fn parse_vector(status: u16, body: &[u8]) -> Result<Vec<Sample>> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        let err = anyhow!(
            "metrics source answered {status} with a body that is not the query API's: {e}"
        );
        if status >= 500 {
            Error::Transient(err)
        } else {
            Error::Permanent(err)
        }
    })?;
    if envelope.status != "success" {
        let err = anyhow!(
            "metrics query failed ({status}, {}): {}",
            envelope.error_type.as_deref().unwrap_or("error"),
            envelope.error.as_deref().unwrap_or("no reason given")
        );
        // 400 (Prometheus) and 422 (VictoriaMetrics) mean the query itself is wrong.
        return Err(if status >= 500 {
            Error::Transient(err)
        } else {
            Error::Permanent(err)
        });
    }
    let data = envelope
        .data
        .ok_or_else(|| Error::Permanent(anyhow!("metrics answer has no data")))?;
    if data.result_type != "vector" {
        return Err(Error::Permanent(anyhow!(
            "expected a vector result, got {}",
            data.result_type
        )));
    }
    data.result
        .into_iter()
        .map(|item| {
            let timestamp = item.value.0.as_f64().ok_or_else(|| {
                Error::Permanent(anyhow!("sample timestamp {} is not a number", item.value.0))
            })?;
            let value = parse_value(&item.value.1)?;
            Ok(Sample {
                labels: item.metric,
                timestamp,
                value,
            })
        })
        .collect()
}

/// Parse a sample value: a decimal, or `NaN`, `+Inf`, `-Inf` as Prometheus writes them.
fn parse_value(text: &str) -> Result<f64> {
    match text {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        other => other
            .parse()
            .map_err(|_| Error::Permanent(anyhow!("sample value {other:?} is not a number"))),
    }
}

/// A client of one metrics source.
#[derive(Clone, Debug)]
pub struct PromClient {
    base: String,
    http: reqwest::Client,
}

impl PromClient {
    /// A client of the query API at `base` (such as `http://127.0.0.1:8428`).
    pub fn new(base: &str) -> Result<Self> {
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(QUERY_TIMEOUT)
            .build()
            .map_err(|e| Error::Permanent(anyhow!("build the metrics HTTP client: {e}")))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// The source's URL fit to show: without a user, password or query string, which may
    /// carry credentials.
    pub fn redacted(base: &str) -> String {
        match reqwest::Url::parse(base) {
            Ok(mut url) => {
                // Only a URL that cannot have them refuses these; it has none to hide.
                let _ = url.set_username("");
                let _ = url.set_password(None);
                url.set_query(None);
                url.set_fragment(None);
                url.as_str().trim_end_matches('/').to_owned()
            }
            Err(_) => "the metrics source".to_owned(),
        }
    }

    /// Evaluate `promql` now; an empty vector means no data.
    pub async fn query(&self, promql: &str) -> Result<Vec<Sample>> {
        let resp = self
            .http
            .get(format!("{}/api/v1/query", self.base))
            .query(&[("query", promql)])
            .send()
            .await
            .map_err(|e| {
                Error::Transient(anyhow!("reach the metrics source: {}", e.without_url()))
            })?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| {
            Error::Transient(anyhow!("read the metrics answer: {}", e.without_url()))
        })?;
        parse_vector(status, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(result: &str) -> Vec<u8> {
        format!(r#"{{"status":"success","data":{{"resultType":"vector","result":{result}}}}}"#)
            .into_bytes()
    }

    #[test]
    fn a_shown_source_url_carries_no_credentials() {
        assert_eq!(
            PromClient::redacted(
                "https://reader:s3cret@vm.example:8428/select/0/prometheus?token=t0k#x"
            ),
            "https://vm.example:8428/select/0/prometheus"
        );
        assert_eq!(
            PromClient::redacted("http://127.0.0.1:8428/"),
            "http://127.0.0.1:8428"
        );
        assert_eq!(
            PromClient::redacted("not a url s3cret"),
            "the metrics source"
        );
    }

    #[test]
    fn integer_and_float_timestamps_both_parse() {
        let samples = parse_vector(
            200,
            &ok(r#"[{"metric":{"instance":"a"},"value":[1700000000,"1.5"]},
                    {"metric":{"instance":"b"},"value":[1700000000.123,"2"]}]"#),
        )
        .unwrap();
        assert_eq!(samples[0].timestamp, 1_700_000_000.0);
        assert_eq!(samples[1].timestamp, 1_700_000_000.123);
        assert_eq!(samples[0].labels["instance"], "a");
        assert_eq!((samples[0].value, samples[1].value), (1.5, 2.0));
    }

    #[test]
    fn nan_and_infinities_are_values_not_errors() {
        let samples = parse_vector(
            200,
            &ok(r#"[{"metric":{},"value":[1,"NaN"]},{"metric":{},"value":[1,"+Inf"]},{"metric":{},"value":[1,"-Inf"]}]"#),
        )
        .unwrap();
        assert!(samples[0].value.is_nan());
        assert_eq!(samples[1].value, f64::INFINITY);
        assert_eq!(samples[2].value, f64::NEG_INFINITY);
    }

    #[test]
    fn an_empty_result_is_no_data_not_zero() {
        assert_eq!(parse_vector(200, &ok("[]")).unwrap(), vec![]);
    }

    #[test]
    fn bad_queries_are_permanent_from_either_source() {
        let prometheus =
            br#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        let victoria = br#"{"status":"error","errorType":"422","error":"cannot parse query"}"#;
        for (status, body) in [(400, &prometheus[..]), (422, &victoria[..])] {
            let err = parse_vector(status, body).unwrap_err();
            assert!(matches!(err, Error::Permanent(_)), "{status}: {err}");
            assert!(err.to_string().contains("metrics query failed"), "{err}");
        }
    }

    #[test]
    fn server_errors_are_transient() {
        let err = parse_vector(503, b"<html>busy</html>").unwrap_err();
        assert!(matches!(err, Error::Transient(_)), "{err}");
        let err = parse_vector(
            500,
            br#"{"status":"error","errorType":"internal","error":"boom"}"#,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Transient(_)), "{err}");
    }

    #[test]
    fn garbage_values_are_refused() {
        let err = parse_vector(200, &ok(r#"[{"metric":{},"value":[1,"lots"]}]"#)).unwrap_err();
        assert!(err.to_string().contains("not a number"), "{err}");
    }
}
