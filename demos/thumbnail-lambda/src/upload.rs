//! An S3 notification in, thumbnails and a report out: for each record, read the upload,
//! write [`THUMBNAIL_WIDTHS`] JPEGs and then the report under `thumbnails/` (which does not
//! trigger the function again). Any failure is the invocation's error and writes nothing more.
use std::time::Instant;

use aws_lambda_events::event::s3::S3EventRecord;
use aws_sdk_s3::primitives::ByteStream;
use deck_core::uploads::{
    report_key, thumbnail_key, Picture, ThumbnailReport, THUMBNAIL_WIDTHS, UPLOAD_PREFIX,
};
use serde_json::Value;

use crate::thumbnails::{self, ThumbnailError};

/// The largest upload read, before any decoding (S3 says its size in the event).
pub const MAX_UPLOAD_BYTES: i64 = 50 << 20;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the event is not an S3 notification: {0}")]
    NotAnEvent(serde_json::Error),
    #[error("{key:?} is outside {UPLOAD_PREFIX:?}: only uploads get thumbnails")]
    NotAnUpload { key: String },
    #[error("{key}: {bytes} bytes is more than the {} MB this function reads", MAX_UPLOAD_BYTES >> 20)]
    TooLarge { key: String, bytes: i64 },
    #[error("{key}: {source}")]
    Image { key: String, source: ThumbnailError },
    #[error("S3 {operation} {bucket}/{key} failed: {message}")]
    S3 { operation: &'static str, bucket: String, key: String, message: String },
}

/// This invocation, as the report tells it.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub request_id: &'a str,
    pub cold_start: bool,
    pub init_ms: f64,
    pub arrived: Instant,
}

pub async fn on_event(
    client: &aws_sdk_s3::Client,
    event: Value,
    call: Call<'_>,
) -> Result<Vec<ThumbnailReport>, UploadError> {
    let records = event.get("Records").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut reports = Vec::with_capacity(records.len());
    for raw in records {
        let record: S3EventRecord = serde_json::from_value(raw.clone()).map_err(UploadError::NotAnEvent)?;
        let text = serde_json::to_string_pretty(&raw).expect("JSON values print");
        reports.push(on_record(client, &record, text, call).await?);
    }
    Ok(reports)
}

async fn on_record(
    client: &aws_sdk_s3::Client,
    record: &S3EventRecord,
    event: String,
    call: Call<'_>,
) -> Result<ThumbnailReport, UploadError> {
    let bucket = record.s3.bucket.name.clone().unwrap_or_default();
    let key = decode_key(record.s3.object.key.as_deref().unwrap_or_default());
    let not_an_upload = || UploadError::NotAnUpload { key: key.clone() };
    let report_at = report_key(&key).ok_or_else(not_an_upload)?;
    let size = record.s3.object.size.unwrap_or(0);
    if size > MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge { key, bytes: size });
    }
    let s3_error = |operation: &'static str, at: &str, message: String| UploadError::S3 {
        operation,
        bucket: bucket.clone(),
        key: at.to_owned(),
        message,
    };
    let object = client.get_object().bucket(&bucket).key(&key).send().await.map_err(|error| {
        s3_error("GetObject", &key, aws_sdk_s3::error::DisplayErrorContext(error).to_string())
    })?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|error| s3_error("GetObject", &key, error.to_string()))?
        .into_bytes();
    let source =
        thumbnails::decode(&bytes).map_err(|source| UploadError::Image { key: key.clone(), source })?;
    let made = thumbnails::thumbnails(&source.image, &THUMBNAIL_WIDTHS);
    let mut pictures = Vec::with_capacity(made.len());
    for (thumbnail, width) in made.into_iter().zip(THUMBNAIL_WIDTHS) {
        let at = thumbnail_key(&key, width).ok_or_else(not_an_upload)?;
        pictures.push(Picture {
            key: at.clone(),
            width: thumbnail.width,
            height: thumbnail.height,
            bytes: thumbnail.jpeg.len() as u64,
        });
        put(client, &bucket, &at, thumbnail.jpeg, "image/jpeg").await?;
    }
    let report = ThumbnailReport {
        bucket: bucket.clone(),
        key: key.clone(),
        request_id: call.request_id.to_owned(),
        cold_start: call.cold_start,
        init_ms: call.init_ms,
        duration_ms: call.arrived.elapsed().as_secs_f64() * 1000.0,
        source: Picture {
            key: key.clone(),
            width: source.image.width(),
            height: source.image.height(),
            bytes: bytes.len() as u64,
        },
        thumbnails: pictures,
        event,
    };
    let json = serde_json::to_vec_pretty(&report).expect("the report serialises");
    put(client, &bucket, &report_at, json, "application/json").await?;
    println!(
        "{key} ({:?}): {} thumbnails in {:.1} ms",
        source.format,
        report.thumbnails.len(),
        report.duration_ms
    );
    Ok(report)
}

async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<(), UploadError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .map(drop)
        .map_err(|error| UploadError::S3 {
            operation: "PutObject",
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message: aws_sdk_s3::error::DisplayErrorContext(error).to_string(),
        })
}

/// S3 notifications carry keys URL-encoded, with `+` for a space.
fn decode_key(key: &str) -> String {
    percent_encoding::percent_decode_str(&key.replace('+', " ")).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_decoded_as_s3_encodes_them() {
        assert_eq!(decode_key("uploads/7f/My+cat%2B1%25.jpg"), "uploads/7f/My cat+1%.jpg");
        assert_eq!(decode_key("uploads/7f/%E6%97%A5.png"), "uploads/7f/日.png");
    }
}
