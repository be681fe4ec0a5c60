//! The HTTP handler: query → parameters → (sleep, fail) → JSON.

use std::time::SystemTime;

use lambda_http::http::{header, StatusCode};
use lambda_http::lambda_runtime::Diagnostic;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

use crate::instance::Instance;
use crate::params::Params;
use crate::reply::{greeting, refusal, Function};

/// Why an invocation fails; the runtime reports it to `/invocation/{id}/error`.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("failure requested with ?fail=1 (invocation {invocation} of instance {instance_id})")]
    Requested { instance_id: String, invocation: u64 },
    #[error("the request carries no Lambda context, so it did not come from a Lambda runtime")]
    MissingContext,
    #[error("could not encode the response body: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("could not build the HTTP response: {0}")]
    Build(#[from] lambda_http::http::Error),
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Diagnostic {
        let error_type = match error {
            HandlerError::Requested { .. } => "RequestedFailure",
            HandlerError::MissingContext => "MissingContext",
            HandlerError::Encode(_) => "EncodeError",
            HandlerError::Build(_) => "ResponseError",
        };
        Diagnostic { error_type: error_type.to_owned(), error_message: error.to_string() }
    }
}

pub async fn handle(instance: &Instance, request: Request) -> Result<Response<Body>, HandlerError> {
    let invocation = instance.begin_invocation();
    let context = request.lambda_context_ref().ok_or(HandlerError::MissingContext)?;
    let query = request.query_string_parameters_ref();
    let params = match Params::from_query(|key| query.and_then(|query| query.first(key))) {
        Ok(params) => params,
        Err(error) => return json_response(StatusCode::BAD_REQUEST, &refusal(&error, &context.request_id)),
    };

    if !params.sleep.is_zero() {
        tokio::time::sleep(params.sleep).await;
    }
    if params.fail {
        return Err(HandlerError::Requested {
            instance_id: instance.id().to_owned(),
            invocation: invocation.number,
        });
    }

    let config = &context.env_config;
    let function = Function {
        name: &config.function_name,
        version: &config.version,
        memory_mb: u32::try_from(config.memory).unwrap_or_default(),
    };
    let greeting =
        greeting(&params.name, &context.request_id, function, instance, invocation, SystemTime::now());
    json_response(StatusCode::OK, &greeting)
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Result<Response<Body>, HandlerError> {
    Ok(Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        // Every answer describes one invocation; a cached one would fake a warm start.
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Text(serde_json::to_string(body)?))?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Instant;

    use lambda_http::lambda_runtime::Config;
    use lambda_http::Context;
    use serde_json::Value;

    use super::*;

    fn request(query: &[(&str, &str)], request_id: &str) -> Request {
        let mut context = Context::default();
        context.request_id = request_id.to_owned();
        context.env_config = Arc::new(Config {
            function_name: "hello".into(),
            memory: 128,
            version: "$LATEST".into(),
            ..Config::default()
        });
        let query: HashMap<String, String> =
            query.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect();
        Request::default().with_query_string_parameters(query).with_lambda_context(context)
    }

    fn json_body(response: &Response<Body>) -> Value {
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[tokio::test]
    async fn first_call_is_cold_and_the_next_is_warm_on_the_same_instance() {
        let instance = Instance::ready(Instant::now(), Some("us-east-1".into()), None);

        let cold = handle(&instance, request(&[("name", "Ada")], "req-1")).await.unwrap();
        let warm = handle(&instance, request(&[], "req-2")).await.unwrap();

        assert_eq!(cold.status(), StatusCode::OK);
        let (cold, warm) = (json_body(&cold), json_body(&warm));
        assert_eq!(cold["greeting"], "Hello, Ada!");
        assert_eq!(cold["request_id"], "req-1");
        assert_eq!(cold["cold_start"], true);
        assert_eq!(cold["invocations"], 1);
        assert_eq!(cold["function_name"], "hello");
        assert_eq!(cold["function_version"], "$LATEST");
        assert_eq!(cold["memory_mb"], 128);
        assert_eq!(cold["region"], "us-east-1");
        assert_eq!(warm["greeting"], "Hello, world!");
        assert_eq!(warm["request_id"], "req-2");
        assert_eq!(warm["cold_start"], false);
        assert_eq!(warm["invocations"], 2);
        assert_eq!(warm["instance_id"], cold["instance_id"]);
        assert_eq!(warm["init_ms"], cold["init_ms"]);
    }

    #[tokio::test]
    async fn timestamp_is_the_time_of_the_call() {
        let instance = Instance::ready(Instant::now(), None, None);
        let before = SystemTime::now() - std::time::Duration::from_millis(1);
        let body = json_body(&handle(&instance, request(&[], "r")).await.unwrap());
        let stamp = humantime::parse_rfc3339(body["timestamp"].as_str().unwrap()).unwrap();
        assert!(stamp >= before && stamp <= SystemTime::now(), "{stamp:?}");
    }

    #[tokio::test]
    async fn bad_parameter_is_a_400_naming_it_and_still_counts() {
        let instance = Instance::ready(Instant::now(), None, None);

        let response = handle(&instance, request(&[("sleep_ms", "20000")], "req-9")).await.unwrap();

        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = json_body(&response);
        assert_eq!(body["parameter"], "sleep_ms");
        assert_eq!(body["request_id"], "req-9");
        assert!(body["error"].as_str().unwrap().contains("`sleep_ms`"), "{body}");
        assert_eq!(instance.begin_invocation().number, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_ms_delays_the_answer() {
        let instance = Instance::ready(Instant::now(), None, None);
        let started = tokio::time::Instant::now();

        let response = handle(&instance, request(&[("sleep_ms", "1500")], "r")).await.unwrap();

        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(started.elapsed(), std::time::Duration::from_millis(1500));
    }

    #[tokio::test]
    async fn fail_returns_an_error_the_runtime_reports_as_a_function_error() {
        let instance = Instance::ready(Instant::now(), None, None);

        let error = handle(&instance, request(&[("fail", "1")], "r")).await.unwrap_err();

        assert!(matches!(error, HandlerError::Requested { invocation: 1, .. }), "{error:?}");
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "RequestedFailure");
        assert!(diagnostic.error_message.contains(instance.id()), "{}", diagnostic.error_message);
    }

    #[tokio::test]
    async fn request_without_lambda_context_is_an_error_not_a_panic() {
        let instance = Instance::ready(Instant::now(), None, None);
        let error = handle(&instance, Request::default()).await.unwrap_err();
        assert!(matches!(error, HandlerError::MissingContext), "{error:?}");
    }

    /// The shape the local platform and AWS Function URLs send (payload format 2.0).
    #[tokio::test]
    async fn function_url_event_query_reaches_the_greeting() {
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": "/",
            "rawQueryString": "name=Grace&t=1",
            "queryStringParameters": { "name": "Grace", "t": "1" },
            "headers": { "host": "127.0.0.1" },
            "requestContext": {
                "accountId": "anonymous",
                "apiId": "hello",
                "domainName": "127.0.0.1",
                "domainPrefix": "hello",
                "http": {
                    "method": "GET", "path": "/", "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1", "userAgent": "test"
                },
                "requestId": "req-url",
                "routeKey": "$default",
                "stage": "$default",
                "time": "05/Nov/2024:09:30:15 +0000",
                "timeEpoch": 1730799015250u64
            },
            "isBase64Encoded": false
        });
        let from_url = lambda_http::request::from_str(&event.to_string()).unwrap();
        let context = request(&[], "req-url").lambda_context();
        let instance = Instance::ready(Instant::now(), None, None);

        let response = handle(&instance, from_url.with_lambda_context(context)).await.unwrap();

        assert_eq!(json_body(&response)["greeting"], "Hello, Grace!");
    }
}
