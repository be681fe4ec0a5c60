//! Lambda's Invoke API, `POST /2015-03-31/functions/{name}/invocations`, as the AWS CLI and SDKs
//! call it: invocation types, log tails, client context, qualifiers, and AWS-shaped errors.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use deck_core::aws_rules::ASYNC_PAYLOAD_LIMIT;

use super::errors::ServiceError;
use super::function::{Function, InvokeRequest};
use super::payload::{new_request_id, read_request_payload};
use super::Platform;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How long an `Event` invocation keeps retrying while the function is throttled.
const EVENT_RETRY_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

impl InvocationType {
    pub fn parse(header: Option<&str>) -> Result<InvocationType, ServiceError> {
        match header {
            None | Some("RequestResponse") => Ok(InvocationType::RequestResponse),
            Some("Event") => Ok(InvocationType::Event),
            Some("DryRun") => Ok(InvocationType::DryRun),
            Some(other) => Err(invalid_parameter(format!(
                "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: \
                 Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            ))),
        }
    }
}

fn invalid_parameter(detail: String) -> ServiceError {
    ServiceError::InvalidParameterValue { detail }
}

/// `hello`, `hello:$LATEST`, `123456789012:function:hello` or a full ARN → (name, qualifier).
pub fn parse_function_reference(reference: &str) -> (&str, Option<&str>) {
    let parts: Vec<&str> = reference.split(':').collect();
    match parts.as_slice() {
        ["arn", _partition, "lambda", _region, _account, "function", name, rest @ ..] => {
            (name, rest.first().copied())
        }
        [_account, "function", name, rest @ ..] => (name, rest.first().copied()),
        [name, rest @ ..] => (name, rest.first().copied()),
        [] => ("", None),
    }
}

/// Only `$LATEST` exists locally (there are no published versions or aliases).
pub fn check_qualifier(function: &Function, qualifier: Option<&str>) -> Result<(), ServiceError> {
    match qualifier {
        None | Some("$LATEST") => Ok(()),
        Some(other) => Err(ServiceError::FunctionNotFound { arn: format!("{}:{other}", function.arn) }),
    }
}

/// `X-Amz-Client-Context` is base64 of a JSON object; the runtime gets the JSON.
fn decode_client_context(header: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(header) = header else {
        return Ok(None);
    };
    let problem =
        || invalid_parameter("Client context must be a valid Base64-encoded JSON object.".to_owned());
    let json = BASE64.decode(header).map_err(|_| problem())?;
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json).map_err(|_| problem())?;
    String::from_utf8(json).map(Some).map_err(|_| problem())
}

/// Lambda hands a function only JSON, and JSON is UTF-8 throughout. The UTF-8 is checked first:
/// serde_json checks the bytes of the strings it keeps, not of those it skips.
fn check_json(payload: &[u8]) -> Result<(), ServiceError> {
    let refuse = |detail| ServiceError::InvalidRequestContent { detail };
    let text = std::str::from_utf8(payload).map_err(|error| refuse(utf8_problem(payload, error)))?;
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|error| refuse(error.to_string()))?;
    Ok(())
}

/// Where the UTF-8 of `payload` breaks, in the words of Lambda's own parser (Jackson): a byte
/// that starts no character, or one that cannot continue the character begun before it.
fn utf8_problem(payload: &[u8], error: std::str::Utf8Error) -> String {
    let at = error.valid_up_to();
    let starts_a_character = |byte: u8| (0xc2..=0xf4).contains(&byte);
    match (payload[at], error.error_len()) {
        (start, Some(len)) if starts_a_character(start) => {
            format!("Invalid UTF-8 middle byte 0x{:02x} at byte {}", payload[at + len], at + len)
        }
        (start, Some(_)) => format!("Invalid UTF-8 start byte 0x{start:02x} at byte {at}"),
        (_, None) => format!("Unexpected end of input in a UTF-8 character at byte {at}"),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub async fn handle(
    State(platform): State<Arc<Platform>>,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = new_request_id();
    let mut response = invoke(&platform, &reference, query.as_deref(), &headers, body, &request_id)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    if !response.headers().contains_key("x-amzn-requestid") {
        response.headers_mut().insert("x-amzn-requestid", header_value(&request_id));
    }
    response
}

async fn invoke(
    platform: &Platform,
    reference: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
    request_id: &Arc<str>,
) -> Result<Response, ServiceError> {
    let (name, qualifier) = parse_function_reference(reference);
    let function = platform.function(name)?;
    let query_qualifier = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "Qualifier")
        .map(|(_, value)| value.into_owned());
    check_qualifier(function, qualifier)?;
    check_qualifier(function, query_qualifier.as_deref())?;
    let invocation_type = InvocationType::parse(header(headers, "x-amz-invocation-type"))?;
    let want_log_tail = match header(headers, "x-amz-log-type") {
        None | Some("None") => false,
        Some("Tail") => true,
        Some(other) => {
            return Err(invalid_parameter(format!("Log type {other:?} is not one of None, Tail")));
        }
    };
    let client_context = decode_client_context(header(headers, "x-amz-client-context"))?;
    let mut payload = read_request_payload(headers, body).await?;
    if payload.is_empty() {
        payload = Bytes::from_static(b"{}");
    }
    if invocation_type == InvocationType::Event && payload.len() > ASYNC_PAYLOAD_LIMIT {
        return Err(ServiceError::EventTooLarge { size: payload.len() });
    }
    check_json(&payload)?;

    let request =
        InvokeRequest { request_id: request_id.clone(), payload, client_context, want_log_tail, loops: 0 };
    match invocation_type {
        InvocationType::DryRun => Ok(StatusCode::NO_CONTENT.into_response()),
        InvocationType::Event => {
            tokio::spawn(invoke_event(function.clone(), request));
            Ok(StatusCode::ACCEPTED.into_response())
        }
        InvocationType::RequestResponse => {
            let invoked = function.invoke(request).await?;
            let (body, function_error) = match invoked.answer {
                Ok(answer) => (answer, None),
                Err(error) => (error.body, Some("Unhandled")),
            };
            let mut response = Response::new(Body::from(body));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert("x-amz-executed-version", HeaderValue::from_static("$LATEST"));
            if let Some(function_error) = function_error {
                headers.insert("x-amz-function-error", HeaderValue::from_static(function_error));
            }
            if let Some(tail) = invoked.log_tail.filter(|_| want_log_tail) {
                headers.insert("x-amz-log-result", header_value(&BASE64.encode(tail)));
            }
            let timing = super::function_url::server_timing(invoked.init, invoked.duration);
            headers.insert("server-timing", header_value(&timing));
            Ok(response)
        }
    }
}

/// An asynchronous invocation: Lambda queues it and retries while the function is throttled;
/// here it waits for a free instance for up to [`EVENT_RETRY_WINDOW`].
async fn invoke_event(function: Arc<Function>, request: InvokeRequest) {
    let give_up = tokio::time::Instant::now() + EVENT_RETRY_WINDOW;
    let mut pause = Duration::from_millis(10);
    let InvokeRequest { request_id, payload, client_context, .. } = request;
    loop {
        let attempt = InvokeRequest {
            request_id: request_id.clone(),
            payload: payload.clone(),
            client_context: client_context.clone(),
            want_log_tail: false,
            loops: 0,
        };
        match function.invoke(attempt).await {
            Err(ServiceError::TooManyRequests) if tokio::time::Instant::now() + pause < give_up => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Ok(_) => return,
            Err(error) => {
                let line = format!("[{}] event {request_id} dropped: {error}", function.name);
                function.telemetry.log().line(line);
                return;
            }
        }
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_references_resolve_to_name_and_qualifier() {
        assert_eq!(parse_function_reference("hello"), ("hello", None));
        assert_eq!(parse_function_reference("hello:$LATEST"), ("hello", Some("$LATEST")));
        assert_eq!(parse_function_reference("000000000000:function:hello"), ("hello", None));
        assert_eq!(
            parse_function_reference("arn:aws:lambda:us-east-1:000000000000:function:hello:prod"),
            ("hello", Some("prod"))
        );
        assert_eq!(
            parse_function_reference("arn:aws:lambda:us-east-1:000000000000:function:hello"),
            ("hello", None)
        );
    }

    #[test]
    fn invocation_types_are_lambdas_three() {
        assert_eq!(InvocationType::parse(None).unwrap(), InvocationType::RequestResponse);
        assert_eq!(InvocationType::parse(Some("Event")).unwrap(), InvocationType::Event);
        assert_eq!(InvocationType::parse(Some("DryRun")).unwrap(), InvocationType::DryRun);
        let error = InvocationType::parse(Some("Later")).unwrap_err();
        assert_eq!(error.error_type(), "InvalidParameterValueException");
        assert!(error.to_string().contains("'Later'"), "{error}");
    }

    #[test]
    fn bodies_must_be_json_in_utf_8_strings_included() {
        assert!(check_json("{\"text\":\"Zoë\",\"escaped\":\"Zo\\u00eb\"}".as_bytes()).is_ok());
        for (body, problem) in [
            (&b"{\"name\":\"\xff\"}"[..], "Invalid UTF-8 start byte 0xff at byte 9"),
            (b"{\"name\":\"\x80\"}", "Invalid UTF-8 start byte 0x80 at byte 9"),
            (b"{\"name\":\"\xc3A\"}", "Invalid UTF-8 middle byte 0x41 at byte 10"),
            (b"{\"name\":\"\xe2\x82(\"}", "Invalid UTF-8 middle byte 0x28 at byte 11"),
            (b"{\"name\":\"\xc3", "Unexpected end of input in a UTF-8 character at byte 9"),
            (b"{\"name\": 1", "EOF while parsing an object"),
        ] {
            let error = check_json(body).unwrap_err();
            assert_eq!(error.error_type(), "InvalidRequestContentException");
            assert!(error.to_string().starts_with("Could not parse request body into json: "), "{error}");
            assert!(error.to_string().contains(problem), "{error} lacks {problem}");
        }
    }

    #[test]
    fn client_context_must_be_base64_json_object() {
        let encoded = BASE64.encode(r#"{"custom":{"k":"v"}}"#);
        assert_eq!(
            decode_client_context(Some(&encoded)).unwrap().as_deref(),
            Some(r#"{"custom":{"k":"v"}}"#)
        );
        assert_eq!(decode_client_context(None).unwrap(), None);
        assert!(decode_client_context(Some("%%%")).is_err());
        assert!(decode_client_context(Some(&BASE64.encode("[1]"))).is_err());
    }
}
