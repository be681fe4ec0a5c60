//! The built deck (`dist/`): files with their content types, gzip/brotli (precompressed `.br` and
//! `.gz` files when the build made them, else on the fly), immutable caching for the assets whose
//! names carry a content hash and revalidation for everything else.
//!
//! The deck's routes (`/`, `/follow`) serve `index.html`, `/embed/<kind>` serves that panel's own
//! page (`embed/<kind>/index.html`, no slides in it) and an unknown kind the page that lists the
//! kinds, with 404; any other missing path is a 404 — a missing asset must not come back as HTML.
//! `ServeDir` refuses `..` and other non-normal path components, encoded or not, so nothing
//! outside `dist/` is reachable.
//!
//! With a [`LiveDeck`] (`--slides`), the pages are that deck's, from memory, and `/assets/` is
//! its folder's `assets/` first, then the built deck's.

use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

use deck_core::routes;

use crate::live_deck::LiveDeck;

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

pub fn router(dist: &Path, live: Option<LiveDeck>) -> Router {
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip();
    let follow = format!("/{}", routes::FOLLOW_PAGE);
    let embed = format!("/{}", routes::embed_page("{kind}").trim_end_matches('/'));
    let router = match live {
        None => {
            let index = ServeFile::new(dist.join("index.html")).precompressed_br().precompressed_gzip();
            Router::new()
                .route_service("/", index.clone())
                .route_service(&follow, index.clone())
                .route_service(&format!("{follow}/"), index)
                .route(&embed, get(embed_page))
                .route(&format!("{embed}/"), get(embed_page))
                .with_state(dist.to_path_buf())
        }
        Some(live) => {
            let assets = ServeDir::new(live.assets()).fallback(ServeDir::new(dist.join("assets")));
            Router::new()
                .route("/", get(live_index))
                .route(&follow, get(live_index))
                .route(&format!("{follow}/"), get(live_index))
                .route(&embed, get(live_embed_page))
                .route(&format!("{embed}/"), get(live_embed_page))
                .route(
                    routes::DECK_EVENTS_ROUTE,
                    get(|State(live): State<LiveDeck>| async move { live.events() }),
                )
                .nest_service("/assets", assets)
                .with_state(live)
        }
    };
    router.fallback_service(files).layer(middleware::from_fn(cache_headers)).layer(CompressionLayer::new())
}

/// `embed/<kind>/index.html` for a known kind, else the page that lists the kinds.
fn embed_path(kind: &str) -> (bool, String) {
    let known = deck_core::PanelKind::ALL.iter().any(|k| k.name() == kind);
    (known, if known { format!("embed/{kind}/index.html") } else { "embed/index.html".to_owned() })
}

async fn embed_page(
    State(dist): State<PathBuf>,
    UrlPath(kind): UrlPath<String>,
    request: Request,
) -> Response {
    let (known, page) = embed_path(&kind);
    let file = ServeFile::new(dist.join(page)).precompressed_br().precompressed_gzip();
    let mut response = match file.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    };
    if !known && response.status().is_success() {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    response
}

async fn live_index(State(live): State<LiveDeck>) -> Response {
    live_page(&live, "index.html", StatusCode::OK)
}

async fn live_embed_page(State(live): State<LiveDeck>, UrlPath(kind): UrlPath<String>) -> Response {
    let (known, page) = embed_path(&kind);
    live_page(&live, &page, if known { StatusCode::OK } else { StatusCode::NOT_FOUND })
}

fn live_page(live: &LiveDeck, path: &str, status: StatusCode) -> Response {
    match live.page(path) {
        Some(html) => (status, axum::response::Html(html)).into_response(),
        None => (StatusCode::NOT_FOUND, format!("the live deck has no page {path}")).into_response(),
    }
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let immutable = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, if immutable { IMMUTABLE } else { REVALIDATE });
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    }
    response
}

/// Whether a path names a file whose content is fixed by its name: `xtask dist` (and trunk) put a
/// 16-hex-digit hash in the names they emit (`deck-app-<hash>.js`, `deck-app-<hash>_bg.wasm`,
/// `deck-<hash>.css`) and in the folders of wasm-bindgen snippets (`snippets/deck-app-<hash>/inline0.js`).
pub fn is_hashed_asset(path: &str) -> bool {
    path.split('/').flat_map(|segment| segment.split(['-', '_', '.'])).any(|token| {
        token.len() == 16 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashed_names_are_immutable_assets() {
        for path in [
            "/deck-app-0123456789abcdef.js",
            "/deck-app-0123456789abcdef_bg.wasm",
            "/deck-fedcba9876543210.css",
            "/snippets/deck-app-0123456789abcdef/inline0.js",
        ] {
            assert!(is_hashed_asset(path), "{path}");
        }
    }

    #[test]
    fn other_names_are_revalidated() {
        for path in [
            "/",
            "/index.html",
            "/follow",
            "/embed/invoke",
            "/assets/cold-start.svg",
            "/deck-app-0123456789abcdeg.js",
            "/deck-app-0123456789abcde.js",
            "/deck-app-0123456789ABCDEF.js",
            "/deck-app-0123456789abcdef0.js",
        ] {
            assert!(!is_hashed_asset(path), "{path}");
        }
    }
}
