//! The fake API server's answers: routing, lists, gets, server-side apply with validation, and
//! deletes, over the shared store.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::*;

pub(super) fn now() -> String {
    // Kubernetes stamps objects to the second, truncated.
    let now = k8s_openapi::jiff::Timestamp::now().as_second();
    k8s_openapi::jiff::Timestamp::from_second(now)
        .map_or_else(|_| "1970-01-01T00:00:00Z".into(), |t| t.to_string())
}

pub(super) fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
        .into_response()
}

pub(super) fn reason_of(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        _ => "InternalError",
    }
}

/// Where a request points.
pub(super) struct Target {
    plural: String,
    api_version: &'static str,
    kind: &'static str,
    namespace: String,
    name: Option<String>,
}

pub(super) fn parse_path(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group_version, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("v1", rest),
        ["apis", "apps", "v1", rest @ ..] => ("apps/v1", rest),
        _ => return None,
    };
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural] => (*ns, *plural, None),
        ["namespaces", ns, plural, name] => (*ns, *plural, Some((*name).to_owned())),
        _ => return None,
    };
    let (_, api_version, kind) = RESOURCES
        .iter()
        .find(|(p, v, _)| *p == plural && *v == group_version)?;
    Some(Target {
        plural: plural.into(),
        api_version,
        kind,
        namespace: namespace.into(),
        name,
    })
}

pub(super) fn query_map(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), percent_decode(v))
        })
        .collect()
}

pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = answer(&shared, &method, &uri, &headers, &body).await;
    shared.requests.lock().unwrap().push(Recorded {
        method: method.to_string(),
        uri: uri.to_string(),
        status: response.status().as_u16(),
    });
    response
}

pub(super) fn violation(shared: &Shared, code: u16, message: String) -> Response {
    let response = status(code, reason_of(code), &message);
    shared.violations.lock().unwrap().push(message);
    response
}

pub(super) async fn answer(
    shared: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {TOKEN}") {
        return violation(
            shared,
            401,
            "Unauthorized: no or a wrong bearer token".into(),
        );
    }
    {
        let mut faults = shared.faults.lock().unwrap();
        if let Some(f) = faults.iter_mut().find(|f| {
            f.remaining > 0 && f.method == *method && uri.path().contains(&f.path_contains)
        }) {
            f.remaining -= 1;
            let code = f.code;
            return status(
                code,
                reason_of(code),
                &format!("injected failure {code} for {method} {}", uri.path()),
            );
        }
    }
    let Some(target) = parse_path(uri.path()) else {
        return violation(
            shared,
            404,
            format!(
                "the server could not find the requested resource: {}",
                uri.path()
            ),
        );
    };
    let query = query_map(uri);
    match (method.clone(), target.name.clone()) {
        (Method::GET, None) => list(shared, &target, &query),
        (Method::GET, Some(name)) => get(shared, &target, &name),
        (Method::PATCH, Some(name)) => {
            let response = apply(shared, &target, &name, headers, &query, body);
            reconcile(shared).await;
            response
        }
        (Method::DELETE, Some(name)) => {
            let response = delete(shared, &target, &name);
            reconcile(shared).await;
            response
        }
        _ => violation(
            shared,
            405,
            format!(
                "{method} {} is not supported by the fake (the provider must not need it)",
                uri.path()
            ),
        ),
    }
}

pub(super) fn not_found(target: &Target, name: &str) -> Response {
    status(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", target.plural),
    )
}

pub(super) fn key(target: &Target, name: &str) -> (String, String, String) {
    (target.plural.clone(), target.namespace.clone(), name.into())
}

pub(super) fn matches_selector(obj: &Value, selector: Option<&String>) -> bool {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    selector.split(',').all(|term| {
        let (k, v) = term.split_once('=').unwrap_or((term, ""));
        obj["metadata"]["labels"][k].as_str() == Some(v)
    })
}

pub(super) fn list(shared: &Shared, target: &Target, query: &HashMap<String, String>) -> Response {
    let mut store = shared.store.lock().unwrap();
    let items: Vec<Value> = store
        .objects
        .iter()
        .filter(|((p, ns, _), obj)| {
            *p == target.plural
                && *ns == target.namespace
                && matches_selector(obj, query.get("labelSelector"))
        })
        .map(|(_, v)| v.clone())
        .collect();
    let rv = store.next_rv();
    axum::Json(json!({
        "apiVersion": target.api_version,
        "kind": format!("{}List", target.kind),
        "metadata": {"resourceVersion": rv},
        "items": items,
    }))
    .into_response()
}

pub(super) fn get(shared: &Shared, target: &Target, name: &str) -> Response {
    let mut store = shared.store.lock().unwrap();
    if target.plural == "pods" {
        *store.pod_reads.entry(name.into()).or_default() += 1;
    }
    let ready_after = match shared.kubelet {
        Kubelet::Simulated { ready_after } => Some(ready_after),
        Kubelet::Postgres { .. } => None,
    };
    let reads = store.pod_reads.get(name).copied().unwrap_or(0);
    let Some(obj) = store.objects.get_mut(&key(target, name)) else {
        return not_found(target, name);
    };
    // The simulated kubelet: a pod becomes ready after enough reads, unless its image fails.
    if let Some(ready_after) = ready_after
        && target.plural == "pods"
        && reads > ready_after
        && obj["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
            == "ContainerCreating"
    {
        let ip = obj["status"]["podIP"].clone();
        obj["status"] = running_status(ip.as_str().unwrap_or("127.0.0.1"), &obj["spec"]);
    }
    axum::Json(obj.clone()).into_response()
}

pub(super) fn apply(
    shared: &Shared,
    target: &Target,
    name: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: &Bytes,
) -> Response {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/apply-patch+yaml" {
        return violation(
            shared,
            415,
            format!(
                "PATCH {name}: only server-side apply is expected, got content type {content_type:?}"
            ),
        );
    }
    if query.get("fieldManager").map(String::as_str) != Some(providers::kubernetes::FIELD_MANAGER) {
        return violation(
            shared,
            422,
            format!(
                "PATCH {name}: fieldManager must be {}",
                providers::kubernetes::FIELD_MANAGER
            ),
        );
    }
    if query.get("force").map(String::as_str) != Some("true") {
        return violation(shared, 422, format!("PATCH {name}: apply without force"));
    }
    let mut obj: Value = match serde_norway::from_slice(body) {
        Ok(v) => v,
        Err(e) => return violation(shared, 400, format!("PATCH {name}: body is not YAML: {e}")),
    };
    if obj["apiVersion"] != target.api_version || obj["kind"] != target.kind {
        return violation(
            shared,
            400,
            format!(
                "PATCH {name}: body is {} {}, the path {} {}",
                obj["apiVersion"], obj["kind"], target.api_version, target.kind
            ),
        );
    }
    if obj["metadata"]["name"] != name {
        return violation(
            shared,
            400,
            format!("PATCH {name}: the body names {}", obj["metadata"]["name"]),
        );
    }
    if let Some(ns) = obj["metadata"]["namespace"].as_str()
        && ns != target.namespace
    {
        return violation(
            shared,
            400,
            format!(
                "PATCH {name}: the body's namespace {ns} is not the path's {}",
                target.namespace
            ),
        );
    }
    if let Err(problem) = validate(target, &obj) {
        return violation(
            shared,
            422,
            format!("{} {name} is invalid: {problem}", target.kind),
        );
    }
    let mut store = shared.store.lock().unwrap();
    let rv = store.next_rv();
    let k = key(target, name);
    let previous = store.objects.get(&k).cloned();
    let (uid, created, status) = match &previous {
        Some(p) => (
            p["metadata"]["uid"].clone(),
            p["metadata"]["creationTimestamp"].clone(),
            p["status"].clone(),
        ),
        None => (json!(store.next_uid()), json!(now()), Value::Null),
    };
    obj["metadata"]["namespace"] = json!(target.namespace);
    obj["metadata"]["uid"] = uid;
    obj["metadata"]["creationTimestamp"] = created;
    obj["metadata"]["resourceVersion"] = json!(rv);
    if !status.is_null() {
        obj["status"] = status;
    }
    match target.plural.as_str() {
        "secrets" => {
            // stringData is write-only: the server folds it into data.
            if let Some(Value::Object(strings)) =
                obj.as_object_mut().and_then(|o| o.remove("stringData"))
            {
                let data = obj["data"].as_object().cloned().unwrap_or_default();
                let mut data = data;
                for (k, v) in strings {
                    let encoded = base64::engine::general_purpose::STANDARD
                        .encode(v.as_str().unwrap_or_default());
                    data.insert(k, json!(encoded));
                }
                obj["data"] = Value::Object(data);
            }
            // Validation, as the API server's: a Secret's type is immutable, and a TLS Secret
            // holds a certificate and a key.
            let kind = obj["type"].as_str().unwrap_or("Opaque");
            if let Some(before) = &previous
                && before["type"].as_str().unwrap_or("Opaque") != kind
            {
                return violation(
                    shared,
                    422,
                    format!(
                        "Secret \"{name}\" is invalid: type: Invalid value: \"{kind}\": field is immutable"
                    ),
                );
            }
            if kind == "kubernetes.io/tls" {
                for required in ["tls.crt", "tls.key"] {
                    if !obj["data"][required].is_string() {
                        return violation(
                            shared,
                            422,
                            format!(
                                "Secret \"{name}\" is invalid: data[{required}]: Required value"
                            ),
                        );
                    }
                }
            }
        }
        "services" => {
            let instance = obj["spec"]["selector"][providers::kubernetes::INSTANCE_ID_LABEL]
                .as_str()
                .unwrap_or(name)
                .to_owned();
            if obj["spec"]["clusterIP"] != "None" {
                let ip = previous
                    .as_ref()
                    .map(|p| p["spec"]["clusterIP"].clone())
                    .filter(|v| v.is_string())
                    .unwrap_or_else(|| {
                        let [a, b]: [u8; 2] = rand::random();
                        json!(format!("127.0.{a}.{}", b.clamp(2, 250)))
                    });
                obj["spec"]["clusterIP"] = ip;
            }
            if obj["spec"]["type"] == "LoadBalancer" {
                let ip = store.address(&instance);
                obj["status"] =
                    json!({"loadBalancer": {"ingress": [{"ip": ip.to_string(), "ipMode": "VIP"}]}});
            } else {
                obj["status"] = json!({"loadBalancer": {}});
            }
        }
        "statefulsets" => {
            let generation = previous
                .as_ref()
                .and_then(|p| p["metadata"]["generation"].as_i64())
                .unwrap_or(0);
            let changed = previous.as_ref().map(|p| &p["spec"]) != Some(&obj["spec"]);
            obj["metadata"]["generation"] = json!(generation + i64::from(changed));
        }
        _ => {}
    }
    store.objects.insert(k, obj.clone());
    axum::Json(obj).into_response()
}

/// The checks a real API server's validation would make of what the provider sends.
pub(super) fn validate(target: &Target, obj: &Value) -> Result<(), String> {
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let dns_label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    if !dns_label(name) {
        return Err(format!("metadata.name {name:?} is not a DNS-1123 label"));
    }
    match target.plural.as_str() {
        "statefulsets" => {
            let spec = &obj["spec"];
            let selector = spec["selector"]["matchLabels"]
                .as_object()
                .ok_or("spec.selector.matchLabels is required")?;
            let template_labels = &spec["template"]["metadata"]["labels"];
            for (k, v) in selector {
                if template_labels[k] != *v {
                    return Err(format!(
                        "spec.template.metadata.labels does not match the selector at {k}"
                    ));
                }
            }
            if spec["template"]["spec"]["containers"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                return Err("spec.template.spec.containers is required".into());
            }
            for volume in spec["template"]["spec"]["volumes"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(mode) = volume["secret"].get("defaultMode")
                    && mode.as_i64().is_none_or(|m| !(0..=0o777).contains(&m))
                {
                    return Err(format!(
                        "spec.template.spec.volumes[{}].secret.defaultMode: Invalid value: {mode}: must be a number between 0 and 0777 (octal), both inclusive",
                        volume["name"]
                    ));
                }
            }
        }
        "services" if spec_ports(obj).is_empty() => {
            return Err("spec.ports is required".into());
        }
        _ => {}
    }
    Ok(())
}

pub(super) fn spec_ports(obj: &Value) -> Vec<Value> {
    obj["spec"]["ports"].as_array().cloned().unwrap_or_default()
}

pub(super) fn delete(shared: &Shared, target: &Target, name: &str) -> Response {
    let removed = shared
        .store
        .lock()
        .unwrap()
        .objects
        .remove(&key(target, name));
    match removed {
        Some(obj) => {
            if target.plural == "pods" {
                // The kubelet stops a deleted pod's container before its replacement starts.
                let pod = format!("{}/{name}", target.namespace);
                let _ = shared.node.send((Vec::new(), vec![pod], Vec::new()));
            }
            axum::Json(obj).into_response()
        }
        None => not_found(target, name),
    }
}
