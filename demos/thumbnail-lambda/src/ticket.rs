//! On AWS, the Function URL that hands the browser an upload ticket: the same answer the local
//! server gives at `POST /api/uploads/{bucket}` (`deck_core::uploads`), presigned by the SDK
//! with the function's role, so the browser never holds credentials.
use std::time::Duration;

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use aws_sdk_s3::presigning::PresigningConfig;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use deck_core::error_body::Refusal;
use deck_core::uploads::{
    report_key, thumbnail_key, upload_key, ResultLinks, UploadProblem, UploadRequest, UploadTicket,
    THUMBNAIL_WIDTHS, TICKET_LIFETIME_S,
};

/// The bucket uploads go to (set by serverless.yml / template.yaml).
const BUCKET_VARIABLE: &str = "UPLOAD_BUCKET";
/// The largest upload a ticket allows, in MB (default 20).
const MAX_MB_VARIABLE: &str = "UPLOAD_MAX_MB";

pub async fn answer(
    client: &aws_sdk_s3::Client,
    request: LambdaFunctionUrlRequest,
) -> LambdaFunctionUrlResponse {
    match ticket(client, &request).await {
        Ok(ticket) => respond(200, serde_json::to_value(ticket).expect("tickets serialise")),
        Err((status, error)) => {
            respond(status, serde_json::to_value(Refusal::new(error)).expect("refusals serialise"))
        }
    }
}

async fn ticket(
    client: &aws_sdk_s3::Client,
    request: &LambdaFunctionUrlRequest,
) -> Result<UploadTicket, (i64, String)> {
    let method = request.request_context.http.method.as_deref().unwrap_or_default();
    if method != "POST" {
        return Err((405, format!("{method} is not served: POST an upload request (JSON)")));
    }
    let body = request.body.as_deref().unwrap_or_default();
    // Function URLs base64-encode bodies they do not take for text.
    let body = if request.is_base64_encoded {
        BASE64.decode(body).map_err(|_| (400, "the body is not valid base64".to_owned()))?
    } else {
        body.as_bytes().to_vec()
    };
    let wanted: UploadRequest = serde_json::from_slice(&body)
        .map_err(|error| (400, format!("the body is not an upload request: {error}")))?;
    let bucket =
        std::env::var(BUCKET_VARIABLE).map_err(|_| (500, format!("{BUCKET_VARIABLE} is not set")))?;
    let max_mb: u64 = std::env::var(MAX_MB_VARIABLE).ok().and_then(|mb| mb.parse().ok()).unwrap_or(20);
    let max_bytes = max_mb << 20;
    wanted.check(max_bytes).map_err(|problem| {
        let status = if matches!(problem, UploadProblem::TooLarge { .. }) { 413 } else { 400 };
        (status, problem.to_string())
    })?;
    let id = request.request_context.request_id.clone().unwrap_or_default().replace('-', "");
    let key = upload_key(&id[..id.len().min(12)], &wanted.file_name);
    let lifetime = PresigningConfig::expires_in(Duration::from_secs(TICKET_LIFETIME_S))
        .expect("5 minutes is a valid lifetime");
    let failed = |error: String| (500, format!("presigning failed: {error}"));
    let url = client.put_object().bucket(&bucket).key(&key).presigned(lifetime.clone()).await;
    let url = url.map_err(|e| failed(e.to_string()))?.uri().to_owned();
    let get = |at: String| {
        let (client, bucket, lifetime) = (client.clone(), bucket.clone(), lifetime.clone());
        async move {
            let link = client.get_object().bucket(bucket).key(at).presigned(lifetime).await;
            link.map(|link| link.uri().to_owned()).map_err(|e| failed(e.to_string()))
        }
    };
    let upload = get(key.clone()).await?;
    let report = get(report_key(&key).expect("an upload key")).await?;
    let mut thumbnails = Vec::new();
    for width in THUMBNAIL_WIDTHS {
        thumbnails.push(get(thumbnail_key(&key, width).expect("an upload key")).await?);
    }
    Ok(UploadTicket {
        bucket,
        key,
        url,
        expires_in_s: TICKET_LIFETIME_S,
        max_bytes,
        results: ResultLinks { upload, report, thumbnails },
    })
}

fn respond(status: i64, body: serde_json::Value) -> LambdaFunctionUrlResponse {
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = status;
    response.headers.insert("content-type", "application/json".parse().expect("a header value"));
    response.body = Some(body.to_string());
    response
}
