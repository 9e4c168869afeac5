//! The API descriptions, loaded once per process: every path and method they define, and
//! compiled checks of the parameters, bodies and answers of the operations the fake
//! implements.
//!
//! They are the compact descriptions in `testkit/api/` (see `compact`), made from the
//! official Hetzner Cloud (OpenAPI 3.0.3) and DigitalOcean (OpenAPI 3.0.0) descriptions and
//! compiled into the crate.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use jsonschema::Validator;
use serde_json::Value;

use super::compact;
use super::schema::{Converter, Mode, pointer};
use providers::cloud::CloudKind;

/// One API description, ready to match and check requests.
pub(crate) struct Spec {
    /// Everything before the description's paths in a request's path (`/v1` for Hetzner).
    pub(crate) prefix: &'static str,
    routes: Vec<Route>,
    /// How long loading and compiling took.
    pub(crate) load_time: Duration,
}

struct Route {
    template: String,
    segments: Vec<Segment>,
    /// Lower-case method → operation.
    methods: BTreeMap<String, Operation>,
}

enum Segment {
    Literal(String),
    Param(String),
}

/// One operation of the description.
pub(crate) struct Operation {
    /// Its `operationId`.
    pub(crate) id: String,
    /// The path template, for messages.
    pub(crate) template: String,
    /// Whether the description marks it deprecated.
    pub(crate) deprecated: bool,
    /// The compiled checks; `None` for operations the fake does not implement.
    checks: Option<Checks>,
}

struct Checks {
    params: Vec<Param>,
    body: Option<BodyCheck>,
    responses: Vec<(StatusKey, Option<Validator>)>,
}

struct Param {
    name: String,
    location: String,
    required: bool,
    /// The OpenAPI schema, for turning the text of the request into JSON.
    schema: Value,
    validator: Validator,
}

struct BodyCheck {
    required: bool,
    validator: Validator,
}

/// Which answers a response entry describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatusKey {
    Exact(u16),
    /// `4XX`: the first digit.
    Range(u16),
    Default,
}

/// What a request's path and method came to.
pub(crate) enum Match<'a> {
    /// No path of the description matches.
    UnknownPath,
    /// The path exists, the method does not.
    UnknownMethod { template: &'a str },
    /// An operation, with the path parameters.
    Operation {
        op: &'a Operation,
        params: BTreeMap<String, String>,
    },
}

/// A request the description allows: its JSON body, if it has one.
pub(crate) struct Checked {
    pub(crate) body: Option<Value>,
}

impl Spec {
    /// The description of `kind`, loaded and compiled on first use in this process.
    pub(crate) fn get(kind: CloudKind) -> anyhow::Result<&'static Spec> {
        static HETZNER: OnceLock<Result<Spec, String>> = OnceLock::new();
        static DIGITALOCEAN: OnceLock<Result<Spec, String>> = OnceLock::new();
        let cell = match kind {
            CloudKind::Hetzner => &HETZNER,
            CloudKind::DigitalOcean => &DIGITALOCEAN,
        };
        cell.get_or_init(|| Spec::load(kind).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow!("{e}"))
    }

    fn load(kind: CloudKind) -> anyhow::Result<Spec> {
        let started = Instant::now();
        let prefix = match kind {
            CloudKind::Hetzner => "/v1",
            CloudKind::DigitalOcean => "",
        };
        let implemented = compact::implemented(kind);
        let doc = compact::committed_description(kind)?;
        let mut routes = Vec::new();
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| anyhow!("the {} description has no paths", kind.as_str()))?;
        for (template, item) in paths {
            let segments = template
                .trim_start_matches('/')
                .split('/')
                .map(
                    |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => Segment::Param(name.to_owned()),
                        None => Segment::Literal(s.to_owned()),
                    },
                )
                .collect();
            let shared_params = item.get("parameters").cloned().unwrap_or(Value::Null);
            let mut methods = BTreeMap::new();
            for (method, op) in item.as_object().into_iter().flatten() {
                if !matches!(
                    method.as_str(),
                    "get" | "put" | "post" | "delete" | "patch" | "head" | "options"
                ) {
                    continue;
                }
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let checks = if implemented.contains(&id.as_str()) {
                    Some(
                        compile(&doc, op, &shared_params)
                            .with_context(|| format!("compile {method} {template}"))?,
                    )
                } else {
                    None
                };
                methods.insert(
                    method.clone(),
                    Operation {
                        id,
                        template: template.clone(),
                        deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
                        checks,
                    },
                );
            }
            routes.push(Route {
                template: template.clone(),
                segments,
                methods,
            });
        }
        let compiled: Vec<&str> = routes
            .iter()
            .flat_map(|r| r.methods.values())
            .filter(|op| op.checks.is_some())
            .map(|op| op.id.as_str())
            .collect();
        for id in implemented {
            if !compiled.contains(id) {
                return Err(anyhow!("the description has no operation {id}"));
            }
        }
        Ok(Spec {
            prefix,
            routes,
            load_time: started.elapsed(),
        })
    }

    /// The operation a request's path (without the prefix) and method stand for. Literal
    /// segments win over parameters (`/servers/actions/{id}` over `/servers/{id}/…`).
    pub(crate) fn find(&self, method: &str, path: &str) -> Match<'_> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut best: Option<(usize, &Route, BTreeMap<String, String>)> = None;
        for route in &self.routes {
            if route.segments.len() != parts.len() {
                continue;
            }
            let mut literals = 0;
            let mut params = BTreeMap::new();
            let fits = route
                .segments
                .iter()
                .zip(&parts)
                .all(|(seg, part)| match seg {
                    Segment::Literal(l) => {
                        literals += 1;
                        l == part
                    }
                    Segment::Param(name) => {
                        params.insert(name.clone(), (*part).to_owned());
                        !part.is_empty()
                    }
                });
            if fits && best.as_ref().is_none_or(|(n, _, _)| literals > *n) {
                best = Some((literals, route, params));
            }
        }
        let Some((_, route, params)) = best else {
            return Match::UnknownPath;
        };
        match route.methods.get(&method.to_ascii_lowercase()) {
            Some(op) => Match::Operation { op, params },
            None => Match::UnknownMethod {
                template: &route.template,
            },
        }
    }
}

impl Operation {
    /// Whether the fake implements it.
    pub(crate) fn implemented(&self) -> bool {
        self.checks.is_some()
    }

    /// Check a request against the description: path parameters, query (no parameter it
    /// does not declare), JSON body (no property it does not declare). `Err` lists every
    /// violation.
    pub(crate) fn check_request(
        &self,
        path_params: &BTreeMap<String, String>,
        query: &[(String, String)],
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Checked, Vec<String>> {
        let Some(checks) = &self.checks else {
            return Ok(Checked { body: None });
        };
        let mut problems = Vec::new();
        for (name, _) in query {
            if !checks
                .params
                .iter()
                .any(|p| p.location == "query" && &p.name == name)
            {
                problems.push(format!(
                    "query parameter {name:?} is not in the description"
                ));
            }
        }
        for param in &checks.params {
            let raw: Vec<&str> = match param.location.as_str() {
                "path" => path_params
                    .get(&param.name)
                    .map(String::as_str)
                    .into_iter()
                    .collect(),
                "query" => query
                    .iter()
                    .filter(|(n, _)| n == &param.name)
                    .map(|(_, v)| v.as_str())
                    .collect(),
                // Headers and cookies: none that the fake's operations need.
                _ => continue,
            };
            if raw.is_empty() {
                if param.required {
                    problems.push(format!(
                        "{} parameter {:?} is required",
                        param.location, param.name
                    ));
                }
                continue;
            }
            let value = match typed(&param.schema, &raw) {
                Ok(value) => value,
                Err(why) => {
                    problems.push(format!(
                        "{} parameter {:?}: {why}",
                        param.location, param.name
                    ));
                    continue;
                }
            };
            for e in param.validator.iter_errors(&value) {
                problems.push(format!(
                    "{} parameter {:?}: {e}",
                    param.location, param.name
                ));
            }
        }
        let mut parsed = None;
        match (&checks.body, body.is_empty()) {
            (None, true) => {}
            (None, false) => problems.push("the operation takes no request body".to_owned()),
            (Some(check), true) => {
                if check.required {
                    problems.push("the request body is required".to_owned());
                }
            }
            (Some(check), false) => {
                if !content_type.is_some_and(|c| c.starts_with("application/json")) {
                    problems.push(format!(
                        "the body must be application/json, not {}",
                        content_type.unwrap_or("unlabelled")
                    ));
                }
                match serde_json::from_slice::<Value>(body) {
                    Ok(value) => {
                        for e in check.validator.iter_errors(&value) {
                            problems.push(format!("request body {}: {e}", at(&e)));
                        }
                        parsed = Some(value);
                    }
                    Err(e) => problems.push(format!("the request body is not JSON: {e}")),
                }
            }
        }
        if problems.is_empty() {
            Ok(Checked { body: parsed })
        } else {
            Err(problems)
        }
    }

    /// Check an answer the fake is about to give; every way it strays from the description.
    pub(crate) fn check_response(&self, status: u16, body: Option<&Value>) -> Vec<String> {
        let Some(checks) = &self.checks else {
            return Vec::new();
        };
        let entry = [
            StatusKey::Exact(status),
            StatusKey::Range(status / 100),
            StatusKey::Default,
        ]
        .iter()
        .find_map(|key| checks.responses.iter().find(|(k, _)| k == key));
        let Some((_, validator)) = entry else {
            return vec![format!("the description has no {status} answer")];
        };
        match (validator, body) {
            (Some(v), Some(body)) => v
                .iter_errors(body)
                .map(|e| format!("{status} answer {}: {e}", at(&e)))
                .collect(),
            (Some(_), None) => vec![format!("the {status} answer has a JSON body")],
            (None, Some(_)) => vec![format!("the {status} answer has no body")],
            (None, None) => Vec::new(),
        }
    }
}

/// Where in the instance a validation error is, for messages.
fn at(e: &jsonschema::ValidationError<'_>) -> String {
    let path = e.instance_path().to_string();
    if path.is_empty() {
        "/".to_owned()
    } else {
        path
    }
}

/// Compile the checks of one operation.
fn compile(doc: &Value, op: &Value, shared_params: &Value) -> anyhow::Result<Checks> {
    let mut params = Vec::new();
    let declared = shared_params.as_array().into_iter().flatten().chain(
        op.get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    for param in declared {
        let param = resolve(doc, param);
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("a parameter without a name"))?;
        let schema = param.get("schema").cloned().unwrap_or(Value::Bool(true));
        let location = param
            .get("in")
            .and_then(Value::as_str)
            .unwrap_or("query")
            .to_owned();
        // An operation's own parameter overrides a shared one of the same name and place.
        params.retain(|p: &Param| !(p.name == name && p.location == location));
        params.push(Param {
            name: name.to_owned(),
            required: param.get("required") == Some(&Value::Bool(true)) || location == "path",
            location,
            validator: validator(doc, Mode::Request, &schema)
                .with_context(|| format!("parameter {name}"))?,
            schema: resolve(doc, &schema).clone(),
        });
    }
    let body = match op.get("requestBody") {
        Some(body) => {
            let body = resolve(doc, body);
            let schema = body
                .pointer("/content/application~1json/schema")
                .ok_or_else(|| anyhow!("a request body that is not JSON"))?;
            Some(BodyCheck {
                required: body.get("required") == Some(&Value::Bool(true)),
                validator: validator(doc, Mode::Request, schema).context("request body")?,
            })
        }
        None => None,
    };
    let mut responses = Vec::new();
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let key = match status.as_str() {
            "default" => StatusKey::Default,
            s if s.len() == 3 && s[1..].eq_ignore_ascii_case("xx") => {
                StatusKey::Range(s[..1].parse().context("a status range")?)
            }
            s => StatusKey::Exact(s.parse().with_context(|| format!("status {s}"))?),
        };
        let response = resolve(doc, response);
        let check = match response.pointer("/content/application~1json/schema") {
            Some(schema) => Some(
                validator(doc, Mode::Response, schema)
                    .with_context(|| format!("{status} answer"))?,
            ),
            None => None,
        };
        responses.push((key, check));
    }
    Ok(Checks {
        params,
        body,
        responses,
    })
}

fn validator(doc: &Value, mode: Mode, schema: &Value) -> anyhow::Result<Validator> {
    let schema = Converter::new(doc, mode).root(schema);
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| anyhow!("{e}"))
}

/// A parameter, request body or response, with a `$ref` followed.
fn resolve<'v>(doc: &'v Value, item: &'v Value) -> &'v Value {
    let mut item = item;
    // References to references are allowed; a few hops are plenty.
    for _ in 0..8 {
        match item.get("$ref").and_then(Value::as_str) {
            Some(r) => match pointer(doc, r) {
                Some(target) => item = target,
                None => break,
            },
            None => break,
        }
    }
    item
}

/// A parameter's text as the JSON its schema describes (`"2"` → `2` for an integer).
fn typed(schema: &Value, raw: &[&str]) -> Result<Value, String> {
    let kind = schema.get("type").and_then(Value::as_str);
    if kind == Some("array") {
        let items = schema.get("items").cloned().unwrap_or(Value::Bool(true));
        return raw
            .iter()
            .map(|r| typed(&items, &[r]))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    let [one] = raw else {
        return Err(format!("given {} times, but it is not an array", raw.len()));
    };
    Ok(match kind {
        Some("integer") => one
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String((*one).to_owned())),
        Some("number") => one
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String((*one).to_owned()), Value::Number),
        Some("boolean") => match *one {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        _ => Value::String((*one).to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn operation(kind: CloudKind, method: &str, path: &str) -> &'static Operation {
        let spec = Spec::get(kind).expect("the description loads");
        match spec.find(method, path) {
            Match::Operation { op, .. } => op,
            _ => panic!("{method} {path} is not an operation"),
        }
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let op = operation(CloudKind::Hetzner, "GET", "/servers/actions/7");
        assert_eq!(op.id, "get_server_action");
        let op = operation(CloudKind::Hetzner, "GET", "/servers/7");
        assert_eq!(op.id, "get_server");
        assert!(matches!(
            Spec::get(CloudKind::Hetzner).unwrap().find("GET", "/nope"),
            Match::UnknownPath
        ));
    }

    #[test]
    fn answers_that_stray_from_the_description_are_caught() {
        let op = operation(CloudKind::Hetzner, "GET", "/servers/7");
        let problems = op.check_response(200, Some(&json!({"server": {"id": "seven"}})));
        assert!(
            problems.iter().any(|p| p.contains("\"name\"")),
            "{problems:?}"
        );
        let problems = op.check_response(404, Some(&json!({"error": {"code": 1}})));
        assert!(!problems.is_empty());
        let op = operation(CloudKind::DigitalOcean, "DELETE", "/v2/droplets/7");
        assert!(op.check_response(204, None).is_empty());
        assert!(!op.check_response(204, Some(&json!({}))).is_empty());
    }

    #[test]
    fn parameters_are_typed_by_their_schema() {
        assert_eq!(typed(&json!({"type": "integer"}), &["2"]), Ok(json!(2)));
        assert_eq!(typed(&json!({"type": "integer"}), &["x"]), Ok(json!("x")));
        assert_eq!(
            typed(
                &json!({"type": "array", "items": {"type": "string"}}),
                &["a", "b"]
            ),
            Ok(json!(["a", "b"]))
        );
        assert!(typed(&json!({"type": "string"}), &["a", "b"]).is_err());
    }
}
