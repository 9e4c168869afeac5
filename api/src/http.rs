//! GraphQL over HTTP, as the GraphQL-over-HTTP specification has it, and the health probes.
//!
//! * `Accept: application/graphql-response+json` gets that media type, and a request that
//!   cannot be executed (unparsable, invalid) gets 400 with no `data`.
//! * `Accept: application/json`, a wildcard, or no `Accept` gets `application/json` and 200 for
//!   every well-formed request, errors in the body.
//! * Anything else is 406. A body that is not a JSON GraphQL request is 400; a body that is not
//!   `application/json` is 415; a body over the limit is 413.
//! * A token that is present but invalid is 401. A missing token lets `login` through; every
//!   other field answers `UNAUTHENTICATED`, and a response made only of such errors is 401.

use axum::body::Bytes;
use axum::extract::{FromRequestParts as _, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::auth::{AuthError, Caller, bearer};
use crate::error::code;
use crate::graphql::{Origin, documents, introspection, measure, too_complex};
use jobs::telemetry::TELEMETRY;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The response media types we can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MediaType {
    /// `application/graphql-response+json`.
    GraphqlResponse,
    /// `application/json`.
    Json,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            MediaType::GraphqlResponse => GRAPHQL_RESPONSE_JSON,
            MediaType::Json => JSON,
        }
    }
}

/// Pick a response media type from `Accept`: the acceptable one with the highest `q`, the
/// earlier on ties; none listed means `application/json`.
pub(crate) fn negotiate(accept: Option<&str>) -> Option<MediaType> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(MediaType::Json);
    };
    let mut best: Option<(f32, MediaType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => MediaType::GraphqlResponse,
            JSON | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, candidate));
        }
    }
    best.map(|(_, m)| m)
}

fn errors_response(status: StatusCode, media: MediaType, message: &str, code: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    with_media(status, media, body.to_string())
}

fn with_media(status: StatusCode, media: MediaType, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media.as_str()),
        )],
        body,
    )
        .into_response()
}

fn unauthorized(media: MediaType, message: &str) -> Response {
    let mut resp = errors_response(
        StatusCode::UNAUTHORIZED,
        media,
        message,
        code::UNAUTHENTICATED,
    );
    resp.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    resp
}

/// The caller named by `Authorization`, `None` without the header, or the response refusing
/// a bad token.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
) -> Result<Option<Caller>, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(bearer)
        .ok_or_else(|| unauthorized(media, "Authorization must be `Bearer <token>`"))?;
    match Caller::from_token(&state.cx.keys, &state.cx.db, &state.identities, token).await {
        Ok(caller) => Ok(Some(caller)),
        Err(AuthError::InvalidToken | AuthError::UserGone | AuthError::Revoked) => {
            Err(unauthorized(media, "invalid or expired token"))
        }
        Err(AuthError::Internal(e)) => {
            tracing::error!("failed to authenticate: {e:#}");
            Err(errors_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                media,
                "internal error",
                code::INTERNAL,
            ))
        }
    }
}

/// `POST /graphql`.
pub(crate) async fn graphql_post(
    State(state): State<AppState>,
    axum::Extension(origin): axum::Extension<Origin>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(media) = negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())) else {
        return (
            StatusCode::NOT_ACCEPTABLE,
            format!("this endpoint answers {JSON} or {GRAPHQL_RESPONSE_JSON}"),
        )
            .into_response();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some(JSON) {
        return errors_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the request as Content-Type: application/json",
            code::INVALID_INPUT,
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return errors_response(
                StatusCode::BAD_REQUEST,
                media,
                &format!("the body is not a GraphQL request: {e}"),
                code::INVALID_INPUT,
            );
        }
    };
    if request.query.trim().is_empty() {
        return errors_response(
            StatusCode::BAD_REQUEST,
            media,
            "the request has no `query`",
            code::INVALID_INPUT,
        );
    }
    let caller = match authenticate(&state, &headers, media).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    execute(&state, request.data(origin), caller, media).await
}

/// Note where each request comes from (the peer's address, its `User-Agent`), for the audit
/// log.
pub(crate) async fn origin(mut request: Request, next: axum::middleware::Next) -> Response {
    let ip = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect());
    request.extensions_mut().insert(Origin { ip, user_agent });
    next.run(request).await
}

async fn execute(
    state: &AppState,
    request: async_graphql::Request,
    caller: Option<Caller>,
    media: MediaType,
) -> Response {
    let anonymous = caller.is_none();
    let response = match state.documents.prepare(request) {
        Err(refusal) => async_graphql::Response::from_errors(refusal),
        Ok(prepared) => {
            let request = prepared.request;
            let schema = state.schema_for(prepared.root);
            let mut response =
                match caller {
                    Some(caller) => match introspection::classify(&request) {
                        introspection::Kind::Bounded => {
                            state.introspection.execute(request.data(caller)).await
                        }
                        introspection::Kind::Ordinary => schema.execute(request.data(caller)).await,
                        introspection::Kind::Unbounded => async_graphql::Response::from_errors(
                            vec![too_complex(introspection::refusal())],
                        ),
                    },
                    None => schema.execute(request.disable_introspection()).await,
                };
            documents::code_limit_errors(&mut response);
            if !request_error(&response) {
                measure::count(&prepared.label, response.errors.is_empty());
            }
            response
        }
    };
    let no_data = response.data == async_graphql::Value::Null && !response.errors.is_empty();
    let request_error = request_error(&response);
    let only_unauthenticated = no_data
        && anonymous
        && response.errors.iter().all(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| *c == async_graphql::Value::from(code::UNAUTHENTICATED))
        });
    if request_error && media == MediaType::GraphqlResponse {
        let body = json!({"errors": response.errors});
        return with_media(StatusCode::BAD_REQUEST, media, body.to_string());
    }
    let body = match serde_json::to_string(&response) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("failed to serialize response: {e}");
            return errors_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                media,
                "internal error",
                code::INTERNAL,
            );
        }
    };
    if only_unauthenticated {
        let mut resp = with_media(StatusCode::UNAUTHORIZED, media, body);
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return resp;
    }
    with_media(StatusCode::OK, media, body)
}

/// Whether `response` refuses the request as a whole: it did not parse or validate (such
/// errors carry no path; a resolver's error always has one), so nothing ran.
pub(crate) fn request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// `GET /graphql`: a WebSocket upgrade for subscriptions, the playground for a browser; other
/// GETs are refused, since queries and mutations travel by POST.
pub(crate) async fn graphql_get(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let wants_upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if wants_upgrade {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(ws) => {
                let origin = parts
                    .extensions
                    .get::<Origin>()
                    .cloned()
                    .unwrap_or_default();
                crate::ws::upgrade(ws, state, origin)
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    let from_browser = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if from_browser {
        return crate::ui::playground_page(&parts.headers);
    }
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "POST")],
        "send queries and mutations by POST; subscriptions by WebSocket (graphql-transport-ws)",
    )
        .into_response()
}

/// The label of an HTTP method: the standard ones by name, any other (a client may send any
/// token as a method) as `other`.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Count and time every request, labelled by its route (not its path, which would let
/// clients mint label values).
pub(crate) async fn measure(request: Request, next: axum::middleware::Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "dashboard".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let start = std::time::Instant::now();
    let response = next.run(request).await;
    TELEMETRY
        .http_requests
        .with_label_values(&[route.as_str(), method, response.status().as_str()])
        .inc();
    TELEMETRY
        .http_duration
        .with_label_values(&[route.as_str()])
        .observe(start.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: Toygres's telemetry (its own Prometheus metrics) in the Prometheus text
/// format; behind a bearer token when one is configured.
pub(crate) async fn telemetry(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.limits.telemetry_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .unwrap_or_default();
        let matches = given.len() == expected.len()
            && given
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !matches {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "telemetry needs a token",
            )
                .into_response();
        }
    }
    match TELEMETRY.render(&state.cx.db).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("failed to render telemetry: {e:#}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// `GET /healthz`: the process is alive.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers and its migrations are applied.
pub(crate) async fn readyz(State(db): State<jobs::db::Db>) -> Response {
    if db.is_ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable or migrations pending",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_choose_the_media_type() {
        assert_eq!(negotiate(None), Some(MediaType::Json));
        assert_eq!(negotiate(Some("application/json")), Some(MediaType::Json));
        assert_eq!(negotiate(Some("*/*")), Some(MediaType::Json));
        assert_eq!(
            negotiate(Some(GRAPHQL_RESPONSE_JSON)),
            Some(MediaType::GraphqlResponse)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(MediaType::GraphqlResponse)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(MediaType::Json)
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }
}
