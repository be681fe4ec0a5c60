//! The two kinds of failure a caller can see, shaped the way Lambda shapes them:
//! a [`FunctionError`] is the function's (or its sandbox's) failure, delivered as the invocation's
//! payload with `X-Amz-Function-Error`; a [`ServiceError`] is the platform refusing the request.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use deck_core::aws_rules::{ASYNC_PAYLOAD_LIMIT, PAYLOAD_LIMIT};
use serde::Serialize;

/// A failed invocation: `{"errorType": …, "errorMessage": …}` as the runtime reported it, or as the
/// platform wrote it when the sandbox failed (timeout, crash, out of memory).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionError {
    pub error_type: String,
    /// The JSON document returned to the caller.
    pub body: Bytes,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDocument<'a> {
    error_type: &'a str,
    error_message: &'a str,
}

impl FunctionError {
    pub fn new(error_type: &str, message: &str) -> FunctionError {
        let document = ErrorDocument { error_type, error_message: message };
        let body = serde_json::to_vec(&document).unwrap_or_default();
        FunctionError { error_type: error_type.to_owned(), body: Bytes::from(body) }
    }

    /// An error posted by a runtime to `/invocation/{id}/error` or `/init/error`. The type comes
    /// from the `Lambda-Runtime-Function-Error-Type` header, else from the document; a body that is
    /// not a JSON object becomes the message of a platform-written document.
    pub fn from_runtime(header_type: Option<&str>, body: Bytes) -> FunctionError {
        #[derive(serde::Deserialize)]
        struct Reported {
            #[serde(rename = "errorType")]
            error_type: Option<String>,
        }
        match serde_json::from_slice::<Reported>(&body) {
            Ok(reported) => {
                let error_type = header_type
                    .map(str::to_owned)
                    .or(reported.error_type)
                    .unwrap_or_else(|| "Runtime.Unknown".to_owned());
                FunctionError { error_type, body }
            }
            Err(_) => {
                FunctionError::new(header_type.unwrap_or("Runtime.Unknown"), &String::from_utf8_lossy(&body))
            }
        }
    }
}

/// A request the platform refuses before (or instead of) running the function.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    #[error("Function not found: {arn}")]
    FunctionNotFound { arn: String },
    #[error("Rate Exceeded.")]
    TooManyRequests,
    #[error("Request must be smaller than {PAYLOAD_LIMIT} bytes for the InvokeFunction operation")]
    RequestTooLarge,
    /// An `Event` invocation over the asynchronous limit, worded as AWS words it.
    #[error(
        "{size} byte payload is too large for the Event invocation type (limit {ASYNC_PAYLOAD_LIMIT} bytes)"
    )]
    EventTooLarge { size: usize },
    #[error("Could not parse request body into json: {detail}")]
    InvalidRequestContent { detail: String },
    #[error("{detail}")]
    InvalidParameterValue { detail: String },
    #[error(
        "the presenter token is missing or wrong: send it as `Authorization: Bearer <token>` or `?token=`"
    )]
    Unauthorized,
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("internal error: {detail}")]
    Internal { detail: String },
}

impl ServiceError {
    /// The exception name AWS SDKs and the CLI read from `x-amzn-ErrorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            ServiceError::FunctionNotFound { .. } => "ResourceNotFoundException",
            ServiceError::TooManyRequests => "TooManyRequestsException",
            ServiceError::RequestTooLarge => "RequestTooLargeException",
            ServiceError::EventTooLarge { .. } => "RequestEntityTooLargeException",
            ServiceError::InvalidRequestContent { .. } => "InvalidRequestContentException",
            ServiceError::InvalidParameterValue { .. } => "InvalidParameterValueException",
            ServiceError::Unauthorized => "UnrecognizedClientException",
            ServiceError::ShuttingDown | ServiceError::Internal { .. } => "ServiceException",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ServiceError::FunctionNotFound { .. } => StatusCode::NOT_FOUND,
            ServiceError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::RequestTooLarge | ServiceError::EventTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ServiceError::InvalidRequestContent { .. } | ServiceError::InvalidParameterValue { .. } => {
                StatusCode::BAD_REQUEST
            }
            ServiceError::Unauthorized => StatusCode::UNAUTHORIZED,
            ServiceError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            ServiceError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Serialize)]
struct ServiceErrorDocument<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(rename = "__type")]
    error_type: &'static str,
    message: &'a str,
    #[serde(rename = "Reason", skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let document = ServiceErrorDocument {
            kind: if self.status().is_server_error() { "Service" } else { "User" },
            error_type: self.error_type(),
            message: &message,
            reason: (self == ServiceError::TooManyRequests)
                .then_some("ReservedFunctionConcurrentInvocationLimitExceeded"),
        };
        let mut response = (self.status(), axum::Json(document)).into_response();
        response.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static(self.error_type()));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn document(body: &Bytes) -> Value {
        serde_json::from_slice(body).unwrap()
    }

    #[test]
    fn platform_written_errors_are_lambda_error_documents() {
        let error = FunctionError::new("Sandbox.Timedout", "Task timed out after 1.00 seconds");
        assert_eq!(error.error_type, "Sandbox.Timedout");
        assert_eq!(
            document(&error.body),
            json!({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 1.00 seconds"})
        );
    }

    #[test]
    fn runtime_errors_keep_their_document_and_prefer_the_header_type() {
        let body = Bytes::from_static(br#"{"errorType":"MyError","errorMessage":"boom","stackTrace":[]}"#);
        let error = FunctionError::from_runtime(None, body.clone());
        assert_eq!((error.error_type.as_str(), &error.body), ("MyError", &body));
        assert_eq!(FunctionError::from_runtime(Some("Header.Type"), body).error_type, "Header.Type");
    }

    #[test]
    fn a_runtime_error_that_is_not_json_becomes_the_message() {
        let error = FunctionError::from_runtime(None, Bytes::from_static(b"plain words"));
        assert_eq!(
            document(&error.body),
            json!({"errorType": "Runtime.Unknown", "errorMessage": "plain words"})
        );
    }

    #[tokio::test]
    async fn service_errors_carry_the_sdk_error_type_in_header_and_body() {
        let response = ServiceError::TooManyRequests.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["x-amzn-ErrorType"], "TooManyRequestsException");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            document(&body),
            json!({
                "Type": "User",
                "__type": "TooManyRequestsException",
                "message": "Rate Exceeded.",
                "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            })
        );
    }
}
