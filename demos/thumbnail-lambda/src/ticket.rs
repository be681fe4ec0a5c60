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

/// Why no ticket: the caller's mistake (4xx), or this function's (5xx).
#[derive(Debug, thiserror::Error)]
enum TicketError {
    #[error("{0} is not served: POST an upload request (JSON)")]
    Method(String),
    #[error("the body is not valid base64")]
    NotBase64,
    #[error("the body is not an upload request: {0}")]
    NotARequest(serde_json::Error),
    #[error(transparent)]
    Refused(#[from] UploadProblem),
    #[error("{BUCKET_VARIABLE} is not set")]
    NoBucket,
    #[error("presigning failed: {0}")]
    Presigning(String),
}

impl TicketError {
    fn status(&self) -> i64 {
        match self {
            TicketError::Method(_) => 405,
            TicketError::NotBase64 | TicketError::NotARequest(_) => 400,
            TicketError::Refused(UploadProblem::TooLarge { .. }) => 413,
            TicketError::Refused(_) => 400,
            TicketError::NoBucket | TicketError::Presigning(_) => 500,
        }
    }
}

pub async fn answer(
    client: &aws_sdk_s3::Client,
    request: LambdaFunctionUrlRequest,
) -> LambdaFunctionUrlResponse {
    match ticket(client, &request).await {
        Ok(ticket) => respond(200, serde_json::to_value(ticket).expect("tickets serialise")),
        Err(error) => {
            let refusal = Refusal::new(error.to_string());
            respond(error.status(), serde_json::to_value(refusal).expect("refusals serialise"))
        }
    }
}

async fn ticket(
    client: &aws_sdk_s3::Client,
    request: &LambdaFunctionUrlRequest,
) -> Result<UploadTicket, TicketError> {
    let method = request.request_context.http.method.as_deref().unwrap_or_default();
    if method != "POST" {
        return Err(TicketError::Method(method.to_owned()));
    }
    let body = request.body.as_deref().unwrap_or_default();
    // Function URLs base64-encode bodies they do not take for text.
    let body = if request.is_base64_encoded {
        BASE64.decode(body).map_err(|_| TicketError::NotBase64)?
    } else {
        body.as_bytes().to_vec()
    };
    let wanted: UploadRequest = serde_json::from_slice(&body).map_err(TicketError::NotARequest)?;
    let bucket = std::env::var(BUCKET_VARIABLE).map_err(|_| TicketError::NoBucket)?;
    let max_mb: u64 = std::env::var(MAX_MB_VARIABLE).ok().and_then(|mb| mb.parse().ok()).unwrap_or(20);
    let max_bytes = max_mb << 20;
    wanted.check(max_bytes)?;
    let id = request.request_context.request_id.clone().unwrap_or_default().replace('-', "");
    let key = upload_key(&id[..id.len().min(12)], &wanted.file_name);
    let lifetime = PresigningConfig::expires_in(Duration::from_secs(TICKET_LIFETIME_S))
        .expect("5 minutes is a valid lifetime");
    let failed = |error: String| TicketError::Presigning(error);
    // The type is signed: the upload must be the image asked for, never a page on the bucket.
    let put = client.put_object().bucket(&bucket).key(&key).content_type(&wanted.content_type);
    let url = put.presigned(lifetime.clone()).await;
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

#[cfg(test)]
mod tests {
    use aws_credential_types::Credentials;
    use deck_core::uploads::UPLOAD_PREFIX;

    use super::*;

    /// A client that presigns offline, as presigning needs no network.
    fn client() -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .region(aws_sdk_s3::config::Region::new("eu-west-1"))
            .credentials_provider(Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    fn request(method: &str, body: &str) -> LambdaFunctionUrlRequest {
        let mut request = LambdaFunctionUrlRequest::default();
        request.request_context.http.method = Some(method.to_owned());
        request.request_context.request_id = Some("0a1b2c3d-4e5f-6789-abcd-ef0123456789".to_owned());
        request.body = Some(body.to_owned());
        request
    }

    #[tokio::test]
    async fn the_answer_is_the_ticket_the_panel_reads() {
        std::env::set_var(BUCKET_VARIABLE, "deck-photos");
        let wanted = UploadRequest {
            file_name: "lake at sunset.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 2 << 20,
        };
        let answer = answer(&client(), request("POST", &serde_json::to_string(&wanted).unwrap())).await;
        let body = answer.body.unwrap();
        assert_eq!(answer.status_code, 200, "{body}");
        let ticket: UploadTicket = serde_json::from_str(&body).unwrap();
        assert_eq!((ticket.bucket.as_str(), ticket.max_bytes), ("deck-photos", 20 << 20));
        assert!(ticket.key.starts_with(UPLOAD_PREFIX) && ticket.key.ends_with(".jpg"), "{}", ticket.key);
        assert!(ticket.url.contains("X-Amz-Signature="), "{}", ticket.url);
        assert!(ticket.url.contains("X-Amz-SignedHeaders=content-type%3Bhost"), "{}", ticket.url);
        assert_eq!(ticket.results.thumbnails.len(), THUMBNAIL_WIDTHS.len());
    }

    #[tokio::test]
    async fn a_refusal_is_the_one_the_panel_reads() {
        let refused = |answer: LambdaFunctionUrlResponse| {
            let refusal: Refusal = serde_json::from_str(&answer.body.unwrap()).unwrap();
            (answer.status_code, refusal.error)
        };
        let (status, error) = refused(answer(&client(), request("GET", "")).await);
        assert_eq!(status, 405);
        assert!(error.contains("GET is not served"), "{error}");
        let (status, error) = refused(answer(&client(), request("POST", "{\"file\":1}")).await);
        assert_eq!(status, 400);
        assert!(error.contains("not an upload request"), "{error}");
        // Every test that needs the bucket sets the same one, so they cannot disagree.
        std::env::set_var(BUCKET_VARIABLE, "deck-photos");
        let huge =
            UploadRequest { file_name: "a.jpg".into(), content_type: "image/jpeg".into(), size: 21 << 20 };
        let (status, error) =
            refused(answer(&client(), request("POST", &serde_json::to_string(&huge).unwrap())).await);
        assert_eq!(status, 413);
        assert!(error.contains("at most 20971520 bytes (20 MB)"), "{error}");
    }
}
