//! The dashboard's static files, embedded at build time (see `build.rs`).
//!
//! `/playground` is GraphiQL, a second page of the same build. Files under `assets/` have
//! content hashes in their names, so they are cached for a year;
//! `index.html` is never cached, so a new build is picked up at once. Any other path without
//! a file extension is a client-side route and gets `index.html`.
//!
//! Every answer carries a Content-Security-Policy ([`csp`]): scripts, styles, fonts, images
//! and workers come from this origin only (styles may also be inline: React and GraphiQL set
//! them), connections go to this origin only (its WebSocket included), no plugins, no base
//! or form targets elsewhere, and no page may frame the dashboard (`frame-ancestors 'none'`,
//! and `X-Frame-Options: DENY` for older browsers). The dashboard's pages therefore hold no
//! inline scripts: the theme is applied by `/theme.js`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

static DIST: Dir<'_> = include_dir!("$OUT_DIR/ui");

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

/// `GET /playground`: GraphiQL, bundled with the dashboard so it works offline.
pub(crate) async fn playground(headers: HeaderMap) -> Response {
    playground_page(&headers)
}

/// The playground page, or the dashboard's placeholder when the dashboard was not built.
pub(crate) fn playground_page(headers: &HeaderMap) -> Response {
    let page = match DIST
        .get_file("playground.html")
        .or_else(|| DIST.get_file("index.html"))
    {
        Some(page) => file_response(page.contents(), "text/html; charset=utf-8", NO_CACHE),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    secured(page, headers)
}

/// `GET` of anything the API does not route.
pub(crate) async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    secured(file(&uri), &headers)
}

/// The file at `uri`, `index.html` for a client-side route, or 404.
fn file(uri: &Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = DIST.get_file(path).filter(|_| !path.is_empty()) {
        let cache = if path.starts_with("assets/") {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        return file_response(file.contents(), content_type(path), cache);
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match DIST.get_file("index.html") {
        Some(index) => file_response(index.contents(), "text/html; charset=utf-8", NO_CACHE),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `response` with the dashboard's security headers, for a request with `headers`.
fn secured(mut response: Response, headers: &HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let out = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&csp(host)) {
        out.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The Content-Security-Policy for a page served as `host`. `'self'` covers this origin's
/// WebSocket in browsers that follow CSP 3; `ws://host` and `wss://host` say it for the
/// others, when the Host header is a plain host name or address with an optional port.
fn csp(host: Option<&str>) -> String {
    let sockets = host
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map(|h| format!(" ws://{h} wss://{h}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; \
         connect-src 'self'{sockets}; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

fn file_response(body: &'static [u8], content_type: &'static str, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
