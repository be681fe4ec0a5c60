//! Reading invocation payloads off the wire, within Lambda's size limit.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header::CONTENT_LENGTH, HeaderMap};
use bytes::{Bytes, BytesMut};
use deck_core::aws_rules::PAYLOAD_LIMIT;
use http_body_util::BodyExt;

use super::errors::ServiceError;

/// Past the limit, the rest of a body is still read (and dropped) up to this much, so that a
/// client that sends its whole body before reading the answer gets the 413 rather than a broken
/// connection.
const DISCARD_LIMIT: usize = 4 * PAYLOAD_LIMIT;

/// The request body, or 413 past [`PAYLOAD_LIMIT`].
pub async fn read_request_payload(headers: &HeaderMap, mut body: Body) -> Result<Bytes, ServiceError> {
    let declared = headers.get(CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > DISCARD_LIMIT as u64) {
        return Err(ServiceError::RequestTooLarge);
    }
    let mut payload = BytesMut::with_capacity(declared.unwrap_or(0).min(PAYLOAD_LIMIT as u64) as usize);
    let mut received = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| ServiceError::InvalidRequestContent {
            detail: format!("the request body could not be read: {error}"),
        })?;
        let Ok(data) = frame.into_data() else { continue };
        received += data.len();
        if received <= PAYLOAD_LIMIT {
            payload.extend_from_slice(&data);
        } else if received > DISCARD_LIMIT {
            break;
        }
    }
    if received > PAYLOAD_LIMIT {
        return Err(ServiceError::RequestTooLarge);
    }
    Ok(payload.freeze())
}

/// A fresh Lambda request id: a random UUID.
pub fn new_request_id() -> Arc<str> {
    uuid::Uuid::new_v4().hyphenated().to_string().into()
}
