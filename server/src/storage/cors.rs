//! CORS on the local S3 API and its upload tickets, as on a bucket whose CORS rule allows any
//! origin: a deck served from elsewhere (`cargo xtask dev`, a static host) can ask for a ticket,
//! `PUT` the photo with its presigned URL and `GET` the results. Preflights are answered here,
//! before S3's signature checks (a browser's preflight carries no signature); every other answer
//! to a cross-origin request names the origin. Only the declared buckets and the ticket route
//! have this rule (see `dispatch`): an undeclared bucket answers `NoSuchBucket` without CORS.
//! Writes stay as guarded as before: presigned URLs, and the presenter token off loopback.
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

const METHODS: &str = "GET, HEAD, PUT, POST, DELETE";
/// What S3 lets a page read of an answer; ETag is what a multipart upload needs.
const EXPOSED: &str = "ETag, x-amz-request-id, x-amz-version-id";
const MAX_AGE_S: &str = "3000";

/// The answer to a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`), or
/// `None` for any other request.
pub fn preflight(request: &Request) -> Option<Response> {
    let headers = request.headers();
    if request.method() != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let origin = headers.get(header::ORIGIN)?.clone();
    let mut response = StatusCode::OK.into_response();
    let answer = response.headers_mut();
    answer.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    answer.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS));
    if let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        answer.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    answer.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
    answer.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE_S));
    answer.insert(header::VARY, HeaderValue::from_static("Origin"));
    Some(response)
}

/// Names the request's `origin` on its answer (errors included), so the page can read it.
pub fn allow(origin: Option<HeaderValue>, mut response: Response) -> Response {
    if let Some(origin) = origin {
        let answer = response.headers_mut();
        answer.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        answer.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
        answer.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}
