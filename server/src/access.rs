//! Who may reach the server, and from which page. A server on loopback is still reachable by
//! every web page the presenter opens, so two checks stand before every route:
//!
//! - **Host.** A request must name this server: a loopback name or address, the address it
//!   listens on (any address, when it listens on all), or a name the presenter allowed with
//!   `--allow-host` (a tunnel, a proxy). Any other `Host` is what DNS rebinding sends: 403.
//! - **Origin.** A browser says which page sent a request (`Origin`; `Sec-Fetch-Site` where it
//!   sends no `Origin`). The deck's own pages, and the origins the presenter names with
//!   `--cors-origin`, may use every route and get CORS answers. Any other page may load the
//!   deck's public files and nothing else: no state change and no private read, with or without
//!   a preflight. A Function URL answers other pages as its function's `cors` settings in
//!   `functions.toml` say, as AWS's do.
//!
//! Clients that are no browser page (the AWS CLI and SDKs, curl, the functions) send neither
//! header; they run on this machine as the presenter does, and beyond loopback the presenter
//! token and the S3 signatures guard what they may do.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, HOST, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use deck_core::routes::FUNCTION_URL_PREFIX;

use crate::platform::config::FunctionCors;

/// What the deck's own pages may read of an answer: the Invoke API's and Function URLs' headers,
/// and S3's (ETag is what a multipart upload needs).
const EXPOSED: &str = "x-amzn-requestid, x-amz-function-error, x-amz-executed-version, x-amz-log-result, \
                       server-timing, etag, x-amz-request-id, x-amz-version-id";
const METHODS: &str = "GET, HEAD, PUT, POST, DELETE";
const MAX_AGE_S: &str = "600";
/// Routes that act or tell what runs on this machine; anything else is the deck's public files.
const PRIVATE_PREFIXES: &[&str] = &["/api/", "/2015-03-31/", FUNCTION_URL_PREFIX];
const REQUEST_PRIVATE_NETWORK: &str = "access-control-request-private-network";
const ALLOW_PRIVATE_NETWORK: &str = "access-control-allow-private-network";

/// `--allow-host`, `--cors-origin` and what the server listens on; see the module's doc.
#[derive(Debug, Default, Clone)]
pub struct Policy {
    /// Names allowed in `Host` besides loopback and the address listened on; `.example.com`
    /// allows that domain and every name under it.
    pub hosts: Vec<String>,
    /// Other pages' origins the presenter allows, as `scheme://host[:port]`.
    pub cors_origins: Vec<String>,
}

/// A flag's value that cannot be used.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("--allow-host {0:?}: give a host name (no scheme, port or path), e.g. --allow-host abc.trycloudflare.com")]
    BadHost(String),
    #[error("--cors-origin {0:?}: give an origin as a browser sends it, scheme://host[:port], e.g. --cors-origin http://127.0.0.1:3000")]
    BadOrigin(String),
}

impl Policy {
    pub fn new(hosts: &[String], origins: &[String]) -> Result<Policy, PolicyError> {
        let hosts = hosts
            .iter()
            .map(|host| {
                let name = host.trim().to_ascii_lowercase();
                let valid = !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
                if valid {
                    Ok(name)
                } else {
                    Err(PolicyError::BadHost(host.clone()))
                }
            })
            .collect::<Result<_, _>>()?;
        let cors_origins = origins
            .iter()
            .map(|origin| {
                PageOrigin::parse(origin)
                    .map(|o| o.text)
                    .ok_or_else(|| PolicyError::BadOrigin(origin.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Policy { hosts, cors_origins })
    }
}

/// The checks of one server: its [`Policy`], its address and its functions' CORS settings.
#[derive(Clone)]
pub struct Access(Arc<Inner>);

struct Inner {
    policy: Policy,
    listen: SocketAddr,
    function_cors: BTreeMap<String, FunctionCors>,
    /// The buckets' names: `/<bucket>/…` is S3's, so private.
    buckets: Vec<String>,
}

impl Access {
    pub fn new(
        policy: Policy,
        listen: SocketAddr,
        function_cors: BTreeMap<String, FunctionCors>,
        buckets: Vec<String>,
    ) -> Access {
        Access(Arc::new(Inner { policy, listen, function_cors, buckets }))
    }

    /// Whether `host` (a `Host` header: name or address, maybe a port) names this server.
    pub fn admits_host(&self, host: &str) -> bool {
        self.admits_name(&host_name(host).to_ascii_lowercase())
    }

    /// The same for a lowercase name or address alone.
    fn admits_name(&self, name: &str) -> bool {
        if let Ok(ip) = name.parse::<IpAddr>() {
            let listen = self.0.listen.ip();
            // Listening on every address, any address that reached it is one of this machine's.
            return ip.is_loopback() || ip == listen || listen.is_unspecified();
        }
        name == "localhost" || name.ends_with(".localhost") || self.is_allowed_name(name)
    }

    /// Whether `name` (lowercase) was given with `--allow-host`.
    fn is_allowed_name(&self, name: &str) -> bool {
        self.0.policy.hosts.iter().any(|allowed| match allowed.strip_prefix('.') {
            Some(domain) => name == domain || name.ends_with(allowed.as_str()),
            None => name == allowed,
        })
    }

    /// Whether a page at `origin` is the deck's own, or one the presenter named.
    fn allows_origin(&self, origin: &PageOrigin) -> bool {
        let this_server =
            origin.scheme == "http" && origin.port == self.0.listen.port() && self.admits_name(&origin.host);
        // A name given with --allow-host reaches this server through a tunnel or a proxy, whose
        // scheme and port are its own.
        this_server || self.is_allowed_name(&origin.host) || self.0.policy.cors_origins.contains(&origin.text)
    }

    fn caller(&self, headers: &HeaderMap) -> Caller {
        if let Some(value) = headers.get(ORIGIN) {
            let allowed =
                value.to_str().ok().and_then(PageOrigin::parse).is_some_and(|o| self.allows_origin(&o));
            return if allowed {
                Caller::Allowed(value.clone())
            } else {
                Caller::Foreign(Some(value.clone()))
            };
        }
        match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            // Another site's page (another port of localhost is `same-site`): an <img>, a <form>,
            // a link. A typed address or bookmark is `none`.
            Some("cross-site" | "same-site") => Caller::Foreign(None),
            _ => Caller::Trusted,
        }
    }

    fn route<'a>(&self, request: &'a Request) -> Route<'a> {
        let path = request.uri().path();
        if let Some(rest) = path.strip_prefix(FUNCTION_URL_PREFIX) {
            return Route::FunctionUrl(rest.split('/').next().unwrap_or_default());
        }
        let first = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        let private = PRIVATE_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
            || self.0.buckets.iter().any(|bucket| bucket == first)
            || is_signed(request);
        if private {
            Route::Private
        } else {
            Route::Public
        }
    }
}

/// Who sent a request, as far as a browser tells.
enum Caller {
    /// No page of another origin: a CLI, an SDK, a typed address, or a same-origin request.
    Trusted,
    /// A page of the deck's own origins or one the presenter named, at this origin.
    Allowed(HeaderValue),
    /// Any other page, with its origin when the browser named it.
    Foreign(Option<HeaderValue>),
}

enum Route<'a> {
    /// The deck's pages and files, for anyone to load.
    Public,
    FunctionUrl(&'a str),
    Private,
}

/// An origin as a browser sends it: `scheme://host[:port]`, lowercase, with its port.
struct PageOrigin {
    scheme: String,
    host: String,
    port: u16,
    /// `scheme://host[:port]` as compared with `--cors-origin`: no default port, no slash.
    text: String,
}

impl PageOrigin {
    fn parse(text: &str) -> Option<PageOrigin> {
        let text = text.trim().trim_end_matches('/').to_ascii_lowercase();
        let (scheme, authority) = text.split_once("://")?;
        let default_port = match scheme {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (address, rest) = v6.split_once(']')?;
                (address, if rest.is_empty() { None } else { Some(rest.strip_prefix(':')?) })
            }
            None => match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        let valid_host = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':');
        if host.is_empty() || !host.bytes().all(valid_host) {
            return None;
        }
        let port = match port {
            Some(port) => port.parse().ok()?,
            None => default_port,
        };
        let shown_host = if host.contains(':') { format!("[{host}]") } else { host.to_owned() };
        let text = if port == default_port {
            format!("{scheme}://{shown_host}")
        } else {
            format!("{scheme}://{shown_host}:{port}")
        };
        Some(PageOrigin { scheme: scheme.to_owned(), host: host.to_owned(), port, text })
    }
}

/// The name or address in a `Host` value, without its port or an IPv6 address's brackets.
fn host_name(host: &str) -> &str {
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    }
}

/// Signed the AWS way, in headers or as a presigned URL: an AWS API call, never a public file.
pub fn is_signed(request: &Request) -> bool {
    let in_header = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("AWS4-HMAC-SHA256") || value.starts_with("AWS "));
    let in_query =
        request.uri().query().is_some_and(|q| q.contains("X-Amz-Signature=") || q.contains("Signature="));
    in_header || in_query
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, [(VARY, HeaderValue::from_static("Origin"))], Json(serde_json::json!({ "message": message })))
        .into_response()
}

/// A method that changes nothing (HTTP's safe methods the deck's routes answer).
fn is_safe(request: &Request) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD)
}

fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS && request.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// The middleware: outermost, so no route runs for a request it refuses.
pub async fn guard(State(access): State<Access>, request: Request, next: Next) -> Response {
    if let Some(host) = request.headers().get(HOST) {
        let host = host.to_str().unwrap_or_default();
        if !access.admits_host(host) {
            let name = host_name(host);
            return refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "Host {host:?} is not a name of this server (a page on another site may be trying to reach it \
                     through DNS rebinding); to reach it by that name (a tunnel, a proxy), start it with --allow-host {name}"
                ),
            );
        }
    }
    match (access.caller(request.headers()), access.route(&request)) {
        (Caller::Trusted, _) => next.run(request).await,
        (Caller::Allowed(origin), _) => {
            let private_network = request.headers().contains_key(REQUEST_PRIVATE_NETWORK);
            if is_preflight(&request) {
                let mut response = StatusCode::NO_CONTENT.into_response();
                let headers = response.headers_mut();
                headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS));
                if let Some(asked) = request.headers().get(ACCESS_CONTROL_REQUEST_HEADERS) {
                    headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
                }
                headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE_S));
                // A page the presenter named may reach this machine's loopback from a public site.
                if private_network {
                    headers.insert(
                        HeaderName::from_static(ALLOW_PRIVATE_NETWORK),
                        HeaderValue::from_static("true"),
                    );
                }
                return with_origin(response, origin, EXPOSED);
            }
            let response = next.run(request).await;
            with_origin(response, origin, EXPOSED)
        }
        (Caller::Foreign(origin), Route::FunctionUrl(name)) => {
            let cors = access.0.function_cors.get(name).filter(|cors| cors.admits(origin.as_ref()));
            let (Some(cors), Some(shown)) = (cors, origin.clone().or(Some(HeaderValue::from_static("*"))))
            else {
                return refuse_page(
                    origin.as_ref(),
                    &format!("function {name:?} declares no CORS for that origin in functions.toml"),
                );
            };
            if is_preflight(&request) {
                return cors.preflight(request.headers(), shown);
            }
            let response = next.run(request).await;
            cors.answer(response, shown)
        }
        (Caller::Foreign(_), Route::Public) if is_safe(&request) => next.run(request).await,
        // An <img> of a page the presenter named loads a presigned object, and names no origin
        // doing so; the page cannot read what it loads, and no page can sign a URL.
        (Caller::Foreign(None), Route::Private) if is_safe(&request) && is_signed(&request) => {
            next.run(request).await
        }
        (Caller::Foreign(origin), _) => refuse_page(
            origin.as_ref(),
            "this route answers only the deck's own pages and the origins named with --cors-origin",
        ),
    }
}

fn refuse_page(origin: Option<&HeaderValue>, why: &str) -> Response {
    let from = origin.and_then(|o| o.to_str().ok()).unwrap_or("a page of another site");
    refuse(StatusCode::FORBIDDEN, format!("cross-origin request from {from} refused: {why}"))
}

fn with_origin(mut response: Response, origin: HeaderValue, exposed: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(exposed));
    headers.append(VARY, HeaderValue::from_static("Origin"));
    response
}

impl FunctionCors {
    /// Whether this function answers a page at `origin` (`None`: a page that named none, as an
    /// `<img>` does; only `*` admits it).
    fn admits(&self, origin: Option<&HeaderValue>) -> bool {
        let origin = origin.and_then(|o| o.to_str().ok()).and_then(PageOrigin::parse);
        self.allow_origins.iter().any(|allowed| {
            allowed == "*"
                || origin
                    .as_ref()
                    .is_some_and(|o| PageOrigin::parse(allowed).is_some_and(|a| a.text == o.text))
        })
    }

    /// `Access-Control-Allow-Origin` as AWS writes it: `*` for a wildcard without credentials,
    /// else the page's own origin.
    fn origin_value(&self, origin: HeaderValue) -> HeaderValue {
        if self.allow_origins.iter().any(|o| o == "*") && !self.allow_credentials {
            HeaderValue::from_static("*")
        } else {
            origin
        }
    }

    fn preflight(&self, asked: &HeaderMap, origin: HeaderValue) -> Response {
        let mut response = StatusCode::OK.into_response();
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, self.origin_value(origin));
        let list = |items: &[String], asked: Option<&HeaderValue>| {
            if items.iter().any(|i| i == "*") {
                asked.cloned().unwrap_or(HeaderValue::from_static("*"))
            } else {
                HeaderValue::from_str(&items.join(", ")).unwrap_or(HeaderValue::from_static(""))
            }
        };
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            list(&self.allow_methods, asked.get(ACCESS_CONTROL_REQUEST_METHOD)),
        );
        if !self.allow_headers.is_empty() {
            headers.insert(
                ACCESS_CONTROL_ALLOW_HEADERS,
                list(&self.allow_headers, asked.get(ACCESS_CONTROL_REQUEST_HEADERS)),
            );
        }
        if let Some(max_age) = self.max_age_s {
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(max_age));
        }
        self.credentials(headers);
        headers.append(VARY, HeaderValue::from_static("Origin"));
        response
    }

    fn answer(&self, mut response: Response, origin: HeaderValue) -> Response {
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, self.origin_value(origin));
        if !self.expose_headers.is_empty() {
            if let Ok(exposed) = HeaderValue::from_str(&self.expose_headers.join(", ")) {
                headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
            }
        }
        self.credentials(headers);
        headers.append(VARY, HeaderValue::from_static("Origin"));
        response
    }

    fn credentials(&self, headers: &mut HeaderMap) {
        if self.allow_credentials {
            headers.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(listen: &str, hosts: &[&str], origins: &[&str]) -> Access {
        let owned = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let policy = Policy::new(&owned(hosts), &owned(origins)).unwrap();
        Access::new(policy, listen.parse().unwrap(), BTreeMap::new(), vec!["deck-photos".into()])
    }

    #[test]
    fn loopback_the_address_listened_on_and_allowed_names_are_hosts() {
        let local = access("127.0.0.1:8080", &["deck.example.com", ".tunnel.dev"], &[]);
        for host in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "127.1.2.3:8080",
            "localhost:8080",
            "LOCALHOST",
            "app.localhost:8080",
            "[::1]:8080",
            "deck.example.com",
            "tunnel.dev",
            "abc.tunnel.dev:443",
        ] {
            assert!(local.admits_host(host), "{host}");
        }
        for host in [
            "evil.example:8080",
            "evil.example",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "deck.example.com.evil.example",
            "xtunnel.dev",
            "192.168.1.20:8080",
            "",
        ] {
            assert!(!local.admits_host(host), "{host}");
        }
        let lan = access("192.168.1.20:8080", &[], &[]);
        assert!(lan.admits_host("192.168.1.20:8080") && !lan.admits_host("10.0.0.5:8080"));
        let everywhere = access("0.0.0.0:8080", &[], &[]);
        assert!(everywhere.admits_host("10.0.0.5:8080") && !everywhere.admits_host("deck.lan:8080"));
    }

    #[test]
    fn flags_are_checked() {
        assert_eq!(
            Policy::new(&["http://x".into()], &[]).unwrap_err(),
            PolicyError::BadHost("http://x".into())
        );
        for bad in ["127.0.0.1:3000", "ftp://a", "http://a/path", "http://", "http://a:port"] {
            assert!(Policy::new(&[], &[bad.into()]).is_err(), "{bad}");
        }
        let policy =
            Policy::new(&[], &["HTTP://Localhost:3000/".into(), "https://deck.example:443".into()]).unwrap();
        assert_eq!(policy.cors_origins, ["http://localhost:3000", "https://deck.example"]);
    }

    #[test]
    fn the_decks_own_origins_and_named_ones_are_allowed_others_are_foreign() {
        let access = access("127.0.0.1:8080", &["deck.trycloudflare.com"], &["http://127.0.0.1:3000"]);
        let caller = |origin: Option<&str>, site: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(origin) = origin {
                headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
            }
            if let Some(site) = site {
                headers.insert("sec-fetch-site", HeaderValue::from_str(site).unwrap());
            }
            access.caller(&headers)
        };
        for own in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
            "http://127.0.0.1:3000",
            "https://deck.trycloudflare.com",
        ] {
            assert!(matches!(caller(Some(own), Some("cross-site")), Caller::Allowed(_)), "{own}");
        }
        for foreign in [
            "https://evil.example",
            "http://127.0.0.1:3001",
            "http://localhost:5173",
            "https://127.0.0.1:8080",
            "null",
            "http://evil.example:8080",
        ] {
            assert!(matches!(caller(Some(foreign), None), Caller::Foreign(Some(_))), "{foreign}");
        }
        assert!(matches!(caller(None, Some("cross-site")), Caller::Foreign(None)));
        assert!(matches!(caller(None, Some("same-site")), Caller::Foreign(None)));
        for trusted in [None, Some("same-origin"), Some("none")] {
            assert!(matches!(caller(None, trusted), Caller::Trusted), "{trusted:?}");
        }
    }

    #[test]
    fn api_routes_buckets_and_signed_requests_are_private() {
        let access = access("127.0.0.1:8080", &[], &[]);
        let route = |uri: &str| {
            let request = Request::builder().uri(uri).body(axum::body::Body::empty()).unwrap();
            match access.route(&request) {
                Route::Public => "public".to_owned(),
                Route::Private => "private".to_owned(),
                Route::FunctionUrl(name) => format!("fn {name}"),
            }
        };
        for public in ["/", "/follow", "/embed/invoke/", "/deck-app-0123456789abcdef.js", "/assets/a.svg"] {
            assert_eq!(route(public), "public", "{public}");
        }
        for private in [
            "/api/functions",
            "/api/events",
            "/api/follow",
            "/api/uploads/deck-photos",
            "/2015-03-31/functions/hello/invocations",
            "/deck-photos/uploads/a.jpg",
            "/deck-photos",
            "/?X-Amz-Signature=abc",
        ] {
            assert_eq!(route(private), "private", "{private}");
        }
        assert_eq!(route("/fn/hello/"), "fn hello");
        assert_eq!(route("/fn/hello"), "fn hello");
    }

    #[test]
    fn a_function_admits_the_origins_its_cors_names() {
        let cors = |origins: &[&str]| FunctionCors {
            allow_origins: origins.iter().map(|s| s.to_string()).collect(),
            ..FunctionCors::default()
        };
        let origin = |text: &str| HeaderValue::from_str(text).unwrap();
        assert!(cors(&["*"]).admits(Some(&origin("https://evil.example"))));
        assert!(cors(&["*"]).admits(None));
        let one = cors(&["https://blog.example"]);
        assert!(one.admits(Some(&origin("https://blog.example"))));
        assert!(!one.admits(Some(&origin("https://evil.example"))));
        assert!(!one.admits(None));
        assert!(!FunctionCors::default().admits(Some(&origin("https://blog.example"))));
    }
}
