//! Function URLs: any request to `/fn/{name}/{path…}` becomes a payload-format-2.0 event, and the
//! function's answer becomes the HTTP response.
//!
//! The event and response shapes are small serde structs of our own rather than
//! `aws_lambda_events`: the platform writes a handful of fields and reads five, and that crate
//! would bring every AWS event type into the server's build.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, HOST, SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use deck_core::aws_rules::PAYLOAD_LIMIT;
use serde::{Deserialize, Serialize};

use super::errors::{FunctionError, ServiceError};
use super::function::InvokeRequest;
use super::payload::{new_request_id, read_request_payload};
use super::Platform;
use crate::clock::{epoch_millis, UtcTime};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What the event is made of.
pub struct UrlRequest<'a> {
    pub function_name: &'a str,
    pub method: &'a Method,
    /// The path below `/fn/{name}`, still percent-encoded, starting with `/`.
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub source_ip: IpAddr,
    pub request_id: &'a str,
    pub epoch_ms: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    version: &'static str,
    route_key: &'static str,
    raw_path: &'a str,
    raw_query_string: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<&'a str>,
    headers: BTreeMap<&'a str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    query_string_parameters: BTreeMap<String, String>,
    request_context: RequestContext<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext<'a> {
    account_id: &'static str,
    api_id: &'a str,
    domain_name: &'a str,
    domain_prefix: &'a str,
    http: HttpDescription<'a>,
    request_id: &'a str,
    route_key: &'static str,
    stage: &'static str,
    time: String,
    time_epoch: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpDescription<'a> {
    method: &'a str,
    path: &'a str,
    protocol: &'static str,
    source_ip: String,
    user_agent: &'a str,
}

/// The payload-format-2.0 event for a request, as AWS writes it for a Function URL: lowercase
/// header names with repeated values joined by commas, cookies apart, query parameters decoded
/// and joined, and a body in text or base64.
pub fn event(request: &UrlRequest) -> Vec<u8> {
    let text_header = |name: HeaderName| {
        request.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    };
    let mut headers = BTreeMap::new();
    for name in request.headers.keys().filter(|name| *name != COOKIE) {
        let values: Vec<String> = request
            .headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        headers.insert(name.as_str(), values.join(","));
    }
    let cookies = request
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|cookie| !cookie.is_empty())
        .collect();
    let mut query_string_parameters: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(request.raw_query.as_bytes()) {
        query_string_parameters
            .entry(key.into_owned())
            .and_modify(|joined| {
                joined.push(',');
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let (body, is_base64_encoded) = match request.body {
        [] => (None, false),
        bytes => match std::str::from_utf8(bytes) {
            Ok(text) if is_text(request.headers.get(CONTENT_TYPE)) => (Some(text.to_owned()), false),
            _ => (Some(BASE64.encode(bytes)), true),
        },
    };
    let domain_name = match text_header(HOST) {
        "" => "localhost",
        host => host,
    };
    let event = Event {
        version: "2.0",
        route_key: "$default",
        raw_path: request.raw_path,
        raw_query_string: request.raw_query,
        cookies,
        headers,
        query_string_parameters,
        request_context: RequestContext {
            account_id: "anonymous",
            api_id: request.function_name,
            domain_name,
            domain_prefix: domain_name.split('.').next().unwrap_or(domain_name),
            http: HttpDescription {
                method: request.method.as_str(),
                path: request.raw_path,
                protocol: "HTTP/1.1",
                source_ip: request.source_ip.to_string(),
                user_agent: text_header(USER_AGENT),
            },
            request_id: request.request_id,
            route_key: "$default",
            stage: "$default",
            time: UtcTime::from_epoch_millis(request.epoch_ms).common_log_format(),
            time_epoch: request.epoch_ms,
        },
        body,
        is_base64_encoded,
    };
    serde_json::to_vec(&event).unwrap_or_default()
}

/// Bodies of these types travel as text; anything else (or invalid UTF-8) as base64.
fn is_text(content_type: Option<&HeaderValue>) -> bool {
    let Some(content_type) = content_type else {
        return true;
    };
    let mime = content_type.to_str().unwrap_or_default();
    let mime = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || matches!(
            mime.as_str(),
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/x-www-form-urlencoded"
                | "application/graphql"
        )
}

/// A payload-format-2.0 response document.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Structured {
    status_code: Option<u16>,
    #[serde(default)]
    headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    cookies: Option<Vec<String>>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: Option<bool>,
}

/// The function answered something a Function URL cannot turn into a response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the function's answer is not a valid Function URL response: {0}")]
pub struct InvalidResponse(String);

/// The HTTP response for a function's answer. A JSON object with a `statusCode` is a response
/// document; any other valid JSON is, as on AWS, a 200 `application/json` body as it is.
pub fn http_response(answer: &[u8]) -> Result<Response, InvalidResponse> {
    let structured = match serde_json::from_slice::<Structured>(answer) {
        Ok(Structured { status_code: Some(status_code), headers, cookies, body, is_base64_encoded }) => {
            (status_code, headers, cookies, body, is_base64_encoded)
        }
        Ok(_) => return Ok(plain_json(answer)),
        Err(error) if error.is_data() => return explain_shape(answer),
        Err(error) => return Err(InvalidResponse(format!("not JSON ({error})"))),
    };
    let (status_code, headers, cookies, body, is_base64_encoded) = structured;
    let status = StatusCode::from_u16(status_code)
        .ok()
        .filter(|status| (100..=599).contains(&status.as_u16()))
        .ok_or_else(|| InvalidResponse(format!("statusCode {status_code} is not an HTTP status")))?;
    let body = match (body, is_base64_encoded.unwrap_or(false)) {
        (None, _) => Vec::new(),
        (Some(body), false) => body.into_bytes(),
        (Some(body), true) => BASE64
            .decode(body.as_bytes())
            .map_err(|error| InvalidResponse(format!("body is not valid base64 ({error})")))?,
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let response_headers = response.headers_mut();
    for (name, value) in headers.unwrap_or_default() {
        let header = HeaderName::try_from(name.as_str())
            .map_err(|_| InvalidResponse(format!("header name {name:?} is not valid")))?;
        if is_hop_by_hop(&header) {
            continue;
        }
        let value = HeaderValue::try_from(value.as_str())
            .map_err(|_| InvalidResponse(format!("the value of header {name:?} is not valid")))?;
        response_headers.insert(header, value);
    }
    for cookie in cookies.unwrap_or_default() {
        let value = HeaderValue::try_from(cookie.as_str())
            .map_err(|_| InvalidResponse(format!("cookie {cookie:?} is not a valid header value")))?;
        response_headers.append(SET_COOKIE, value);
    }
    Ok(response)
}

/// Valid JSON that did not fit the response document: an error if it meant to be one (it has a
/// `statusCode`), else a plain JSON body.
fn explain_shape(answer: &[u8]) -> Result<Response, InvalidResponse> {
    let value: serde_json::Value =
        serde_json::from_slice(answer).map_err(|error| InvalidResponse(format!("not JSON ({error})")))?;
    match value.get("statusCode") {
        None => Ok(plain_json(answer)),
        Some(_) => {
            let detail = serde_json::from_value::<Structured>(value).err().map(|error| error.to_string());
            let detail = detail.unwrap_or_else(|| "malformed".to_owned());
            Err(InvalidResponse(format!(
                "a document with a statusCode has a field of the wrong type: {detail}"
            )))
        }
    }
}

fn plain_json(answer: &[u8]) -> Response {
    let mut response = Response::new(Body::from(answer.to_vec()));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Headers about the connection, which are ours to set, not the function's.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(name.as_str(), "connection" | "content-length" | "transfer-encoding" | "keep-alive" | "upgrade")
}

/// `/fn/hello/a/b` → (`hello`, `/a/b`); `/fn/hello` → (`hello`, `/`).
pub fn split_url_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(deck_core::routes::FUNCTION_URL_PREFIX)?;
    let (name, raw_path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    (!name.is_empty()).then_some((name, raw_path))
}

/// `ANY /fn/{name}/{path…}`.
pub async fn handle(
    State(platform): State<Arc<Platform>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    invoke_through_url(&platform, peer, request).await.unwrap_or_else(IntoResponse::into_response)
}

async fn invoke_through_url(
    platform: &Platform,
    peer: SocketAddr,
    request: Request,
) -> Result<Response, ServiceError> {
    let (parts, body) = request.into_parts();
    let (name, raw_path) = split_url_path(parts.uri.path()).unwrap_or(("", "/"));
    let function = platform.function(name)?;
    let body = read_request_payload(&parts.headers, body).await?;
    let request_id = new_request_id();
    let payload = event(&UrlRequest {
        function_name: name,
        method: &parts.method,
        raw_path,
        raw_query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body: &body,
        source_ip: peer.ip(),
        request_id: &request_id,
        epoch_ms: epoch_millis(SystemTime::now()),
    });
    // A binary body grows by a third in base64: the event, too, must fit the limit.
    if payload.len() > PAYLOAD_LIMIT {
        return Err(ServiceError::RequestTooLarge);
    }
    let invoked = function
        .invoke(InvokeRequest {
            request_id,
            payload: payload.into(),
            client_context: None,
            want_log_tail: false,
            loops: 0,
        })
        .await?;

    let mut response = match &invoked.answer {
        Ok(answer) => http_response(answer).unwrap_or_else(|invalid| {
            let error = FunctionError::new("Runtime.InvalidResponse", &invalid.to_string());
            function_error_response(&error)
        }),
        Err(error) => function_error_response(error),
    };
    let headers = response.headers_mut();
    headers.insert("x-amzn-requestid", header_value(&invoked.request_id));
    headers.insert("server-timing", header_value(&server_timing(invoked.init, invoked.duration)));
    Ok(response)
}

/// A failed invocation answers 502, as on AWS, but with the error document as the body (AWS hides
/// it): seeing `Task timed out after 3.00 seconds` is the point of the demo.
fn function_error_response(error: &FunctionError) -> Response {
    let mut response = Response::new(Body::from(error.body.clone()));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("x-amz-function-error", HeaderValue::from_static("Unhandled"));
    response
}

/// `Server-Timing: init;dur=5.12, invoke;dur=0.21` (browsers show it in their network panel).
pub fn server_timing(init: Option<Duration>, duration: Duration) -> String {
    let invoke = format!("invoke;dur={:.2}", duration.as_secs_f64() * 1000.0);
    match init {
        Some(init) => format!("init;dur={:.2}, {invoke}", init.as_secs_f64() * 1000.0),
        None => invoke,
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    fn event_for(method: Method, raw_path: &str, raw_query: &str, headers: &HeaderMap, body: &[u8]) -> Value {
        let request = UrlRequest {
            function_name: "hello",
            method: &method,
            raw_path,
            raw_query,
            headers,
            body,
            source_ip: "127.0.0.1".parse().unwrap(),
            request_id: "req-1",
            epoch_ms: 1_584_039_838_390,
        };
        serde_json::from_slice(&event(&request)).unwrap()
    }

    async fn parts(response: Response) -> (StatusCode, HeaderMap, Vec<u8>) {
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec())
    }

    #[test]
    fn a_request_becomes_a_payload_2_0_event() {
        let headers = headers(&[
            ("host", "127.0.0.1:8080"),
            ("user-agent", "curl/8"),
            ("accept", "text/html"),
            ("accept", "application/json"),
            ("cookie", "a=1; b=2"),
            ("content-type", "application/json"),
        ]);
        let event = event_for(Method::POST, "/greet/me", "name=Ada&x=1&x=2&y=%20z", &headers, br#"{"k":1}"#);
        assert_eq!(
            event,
            json!({
                "version": "2.0",
                "routeKey": "$default",
                "rawPath": "/greet/me",
                "rawQueryString": "name=Ada&x=1&x=2&y=%20z",
                "cookies": ["a=1", "b=2"],
                "headers": {
                    "host": "127.0.0.1:8080",
                    "user-agent": "curl/8",
                    "accept": "text/html,application/json",
                    "content-type": "application/json",
                },
                "queryStringParameters": {"name": "Ada", "x": "1,2", "y": " z"},
                "requestContext": {
                    "accountId": "anonymous",
                    "apiId": "hello",
                    "domainName": "127.0.0.1:8080",
                    "domainPrefix": "127",
                    "http": {
                        "method": "POST",
                        "path": "/greet/me",
                        "protocol": "HTTP/1.1",
                        "sourceIp": "127.0.0.1",
                        "userAgent": "curl/8",
                    },
                    "requestId": "req-1",
                    "routeKey": "$default",
                    "stage": "$default",
                    "time": "12/Mar/2020:19:03:58 +0000",
                    "timeEpoch": 1_584_039_838_390u64,
                },
                "body": "{\"k\":1}",
                "isBase64Encoded": false,
            })
        );
    }

    #[test]
    fn binary_bodies_travel_in_base64_and_empty_ones_not_at_all() {
        let binary = headers(&[("content-type", "application/octet-stream")]);
        let event = event_for(Method::PUT, "/", "", &binary, &[0, 159, 146, 150]);
        assert_eq!(
            (event["body"].as_str(), event["isBase64Encoded"].as_bool()),
            (Some("AJ+Slg=="), Some(true))
        );
        let invalid_utf8 = headers(&[("content-type", "text/plain")]);
        assert_eq!(event_for(Method::POST, "/", "", &invalid_utf8, &[0xff])["isBase64Encoded"], true);
        let event = event_for(Method::GET, "/", "", &HeaderMap::new(), b"");
        assert_eq!((event.get("body"), &event["isBase64Encoded"]), (None, &json!(false)));
        assert_eq!(event.get("queryStringParameters"), None);
        assert_eq!(event.get("cookies"), None);
    }

    #[tokio::test]
    async fn a_response_document_maps_status_headers_cookies_and_base64_body() {
        let answer = json!({
            "statusCode": 201,
            "headers": {"content-type": "image/png", "x-custom": "yes", "content-length": "999"},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": "AJ+Slg==",
            "isBase64Encoded": true,
            "multiValueHeaders": {},
        });
        let (status, headers, body) = parts(http_response(answer.to_string().as_bytes()).unwrap()).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(headers["content-type"], "image/png");
        assert_eq!(headers["x-custom"], "yes");
        assert_eq!(headers.get("content-length"), None, "the server sets the real length");
        let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1; Path=/", "b=2"]);
        assert_eq!(body, [0, 159, 146, 150]);
    }

    #[tokio::test]
    async fn other_json_is_returned_as_a_json_body_like_aws_does() {
        for answer in [r#""hello""#, "[1,2]", "42", r#"{"greeting":"hi"}"#, r#"{"headers":5}"#] {
            let (status, headers, body) = parts(http_response(answer.as_bytes()).unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            assert_eq!(headers["content-type"], "application/json");
            assert_eq!(body, answer.as_bytes());
        }
    }

    #[test]
    fn malformed_answers_are_explained() {
        let problem = |answer: &str| http_response(answer.as_bytes()).err().unwrap().to_string();
        assert!(problem("not json").contains("not JSON"), "{}", problem("not json"));
        assert!(
            problem(r#"{"statusCode": 99999}"#).contains("statusCode"),
            "{}",
            problem(r#"{"statusCode": 99999}"#)
        );
        assert!(problem(r#"{"statusCode": 42}"#).contains("statusCode 42"));
        assert!(problem(r#"{"statusCode": 200, "headers": {"x": 1}}"#).contains("invalid type"));
        assert!(problem(r#"{"statusCode": 200, "headers": {"bad name": "v"}}"#).contains("\"bad name\""));
        assert!(problem(r#"{"statusCode": 200, "body": "!!", "isBase64Encoded": true}"#).contains("base64"));
    }

    #[test]
    fn url_paths_split_into_function_and_raw_path() {
        assert_eq!(split_url_path("/fn/hello"), Some(("hello", "/")));
        assert_eq!(split_url_path("/fn/hello/"), Some(("hello", "/")));
        assert_eq!(split_url_path("/fn/hello/a/b%20c"), Some(("hello", "/a/b%20c")));
        assert_eq!(split_url_path("/fn/"), None);
        assert_eq!(split_url_path("/api/functions"), None);
    }

    #[test]
    fn server_timing_names_init_only_on_a_cold_start() {
        assert_eq!(server_timing(None, Duration::from_micros(210)), "invoke;dur=0.21");
        assert_eq!(
            server_timing(Some(Duration::from_micros(5_120)), Duration::from_micros(210)),
            "init;dur=5.12, invoke;dur=0.21"
        );
    }
}
