//! The dashboard's static files, embedded at build time (see `build.rs`).
//!
//! `/playground` is GraphiQL, a second page of the same build. Files under `assets/` have
//! content hashes in their names, so they are cached for a year;
//! `index.html` is never cached, so a new build is picked up at once. Any other path without
//! a file extension is a client-side route and gets `index.html`.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

static DIST: Dir<'_> = include_dir!("$OUT_DIR/ui");

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

/// `GET /playground`: GraphiQL, bundled with the dashboard so it works offline.
pub(crate) async fn playground() -> Response {
    playground_page()
}

/// The playground page, or the dashboard's placeholder when the dashboard was not built.
pub(crate) fn playground_page() -> Response {
    match DIST
        .get_file("playground.html")
        .or_else(|| DIST.get_file("index.html"))
    {
        Some(page) => file_response(page.contents(), "text/html; charset=utf-8", NO_CACHE),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `GET` of anything the API does not route.
pub(crate) async fn serve(uri: Uri) -> Response {
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
