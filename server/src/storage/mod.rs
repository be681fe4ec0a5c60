//! The local S3 API: the buckets `functions.toml` declares, their objects as files under the
//! data folder, spoken as the real S3 REST protocol (by `s3s`, on `s3s-fs`'s files) on the
//! server's own address, so the AWS CLI (`--endpoint-url http://127.0.0.1:8080`), the SDKs and
//! presigned URLs work against it unchanged.
//!
//! Requests are path-style (`/<bucket>/<key>`, what the CLI and SDKs send to an IP address): a
//! request is S3's when its first path segment is a declared bucket, or when it is signed for
//! the `s3` service (ListBuckets is `GET /`; an undeclared bucket gets `NoSuchBucket`), as AWS's
//! endpoints tell services apart by the credential scope. A request signed for `lambda` goes on
//! to the Invoke API, and the deck's own requests are never S3's. Every request must be signed
//! (SigV4, in headers or a presigned URL) with the local credentials: [`ACCESS_KEY`] and the
//! data folder's own secret (see [`secret`]). What the buckets serve is never run as a page of
//! the deck's origin (see [`serve_safely`]).
mod guard;
pub mod notify;
pub mod presign;
pub mod secret;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::Duration;

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use deck_core::error_body::Refusal;
use deck_core::uploads::{
    report_key, thumbnail_key, upload_key, upload_route, ResultLinks, UploadProblem, UploadRequest,
    UploadTicket, IMAGE_TYPES, THUMBNAIL_WIDTHS, TICKET_LIFETIME_S,
};
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tower::ServiceExt;

use crate::access;
use crate::clock::UtcTime;
use crate::control::{self, ControlToken};
use crate::platform::config::BucketConfig;
use crate::platform::Platform;
use presign::Presigner;

/// The access key of the local S3 API.
pub const ACCESS_KEY: &str = "serverless-deck";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot create the data folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("cannot open the data folder {path}: {message}")]
    Open { path: PathBuf, message: String },
}

/// The S3 API over the declared buckets.
#[derive(Clone)]
pub struct Storage {
    service: S3Service,
    buckets: Arc<BTreeMap<String, BucketConfig>>,
    presigner: Arc<Presigner>,
    /// Where presigned URLs point: the server's own address, never a request's `Host`.
    origin: Arc<str>,
}

impl Storage {
    /// Opens `data` (made if missing), with a folder per bucket; `secret` signs requests and
    /// presigned URLs point at `origin` (`http://127.0.0.1:8080`); multipart uploads begun more
    /// than `abandoned_upload_age` ago are aborted. Changes that match a bucket's notification
    /// rules are queued on `platform`.
    pub fn open(
        data: &Path,
        buckets: &[BucketConfig],
        secret: &str,
        origin: &str,
        abandoned_upload_age: Duration,
        platform: Arc<Platform>,
    ) -> Result<Storage, StorageError> {
        let region = platform.region().to_owned();
        for bucket in buckets {
            let folder = data.join(&bucket.name);
            std::fs::create_dir_all(&folder)
                .map_err(|source| StorageError::Folder { path: folder, source })?;
        }
        let root = std::fs::canonicalize(data)
            .map_err(|source| StorageError::Folder { path: data.to_owned(), source })?;
        let files = s3s_fs::FileSystem::new(&root)
            .map_err(|error| StorageError::Open { path: root.clone(), message: format!("{error:?}") })?;
        let buckets: Arc<BTreeMap<String, BucketConfig>> =
            Arc::new(buckets.iter().map(|b| (b.name.clone(), b.clone())).collect());
        let limits = guard::Limits::new(abandoned_upload_age);
        guard::abort_abandoned_uploads(&root, limits.abandoned_upload_age, platform.log().clone());
        let notifier = guard::Notifier::new(platform);
        let mut builder =
            S3ServiceBuilder::new(guard::Guarded::new(files, root, buckets.clone(), notifier, limits));
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, secret));
        let presigner =
            Arc::new(Presigner { access_key: ACCESS_KEY.to_owned(), secret: secret.to_owned(), region });
        Ok(Storage { service: builder.build(), buckets, presigner, origin: origin.into() })
    }

    /// Whether `request` is for the S3 API rather than the deck or the Lambda API.
    pub fn claims(&self, request: &Request) -> bool {
        match signed_service(request) {
            Some(service) => service == "s3",
            None => self.declares(request.uri().path()),
        }
    }

    /// Whether `path` is in a declared bucket (`/<bucket>` or `/<bucket>/<key>`).
    fn declares(&self, path: &str) -> bool {
        // Bucket names are lowercase letters, digits, dots and hyphens: never percent-encoded.
        let first = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        self.buckets.contains_key(first)
    }
}

/// `POST /api/uploads/{bucket}`: a ticket to upload one image (see `deck_core::uploads`); on a
/// non-loopback address only with the presenter token.
pub fn router(storage: Storage, token: ControlToken) -> Router {
    let control = axum::middleware::from_fn_with_state(token, control::require);
    Router::new().route(&upload_route("{bucket}"), post(ticket).route_layer(control)).with_state(storage)
}

async fn ticket(
    State(storage): State<Storage>,
    UrlPath(bucket): UrlPath<String>,
    Json(request): Json<UploadRequest>,
) -> Response {
    let refuse = |status: StatusCode, error: String| (status, Json(Refusal::new(error))).into_response();
    let Some(config) = storage.buckets.get(&bucket) else {
        let known: Vec<&str> = storage.buckets.keys().map(String::as_str).collect();
        return refuse(
            StatusCode::NOT_FOUND,
            format!("no bucket {bucket:?}; functions.toml declares {known:?}"),
        );
    };
    if let Err(problem) = request.check(config.max_object_bytes()) {
        let status = match problem {
            UploadProblem::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        return refuse(status, problem.to_string());
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let key = upload_key(&id[..12], &request.file_name);
    let lifetime = Duration::from_secs(TICKET_LIFETIME_S);
    let (origin, now) = (&*storage.origin, UtcTime::now());
    let sign =
        |method: &str, key: &str| storage.presigner.url(method, origin, &bucket, key, None, lifetime, now);
    let results = ResultLinks {
        upload: sign("GET", &key),
        report: sign("GET", &report_key(&key).expect("an upload key")),
        thumbnails: THUMBNAIL_WIDTHS
            .map(|width| sign("GET", &thumbnail_key(&key, width).expect("an upload key")))
            .to_vec(),
    };
    // The type is signed: the upload must be the image the ticket was asked for, never a page.
    let url = storage.presigner.url("PUT", origin, &bucket, &key, Some(&request.content_type), lifetime, now);
    Json(UploadTicket {
        bucket: bucket.clone(),
        key,
        url,
        expires_in_s: TICKET_LIFETIME_S,
        max_bytes: config.max_object_bytes(),
        results,
    })
    .into_response()
}

/// Sends S3's requests to the S3 API and everything else on to the deck's routes.
pub async fn dispatch(State(storage): State<Option<Storage>>, request: Request, next: Next) -> Response {
    let Some(storage) = storage.filter(|storage| storage.claims(&request)) else {
        return next.run(request).await;
    };
    // s3s takes any lifetime and refuses one that is no number with an error of its own; S3
    // refuses both, before it looks at the signature.
    if let Some(problem) = request.uri().query().and_then(guard::lifetime_problem) {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationQueryParametersError</Code>\
             <Message>{problem}</Message></Error>"
        );
        return (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/xml")], xml).into_response();
    }
    let reads_object = matches!(*request.method(), Method::GET | Method::HEAD);
    let response = match storage.service.oneshot(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, format!("S3 API: {error:?}")).into_response(),
    };
    if reads_object {
        serve_safely(response)
    } else {
        response
    }
}

/// What a bucket serves is whatever was uploaded, on the deck's own origin: a browser must
/// never run it as a page there. Images show (in an `<img>` no script runs); anything else
/// downloads; and no type is guessed from the bytes.
fn serve_safely(mut response: Response) -> Response {
    let is_image = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| IMAGE_TYPES.contains(&value.split(';').next().unwrap_or_default().trim()));
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    if !is_image {
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    response
}

/// The service an AWS signature is for: the credential scope's fourth part
/// (`<key>/<date>/<region>/<service>/aws4_request`), in the header or a presigned URL's query;
/// `s3` for the older signature (`AWS <key>:<signature>`), which only S3 still takes.
fn signed_service(request: &Request) -> Option<String> {
    if !access::is_signed(request) {
        return None;
    }
    let scope_service = |credential: &str| credential.split('/').nth(3).map(str::to_owned);
    let header = request.headers().get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    if let Some(header) = header {
        if header.starts_with("AWS ") {
            return Some("s3".to_owned());
        }
        let credential = header.split([' ', ',']).find_map(|part| part.strip_prefix("Credential="));
        return Some(credential.and_then(scope_service).unwrap_or_default());
    }
    let query = request.uri().query().unwrap_or_default();
    let credential = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "X-Amz-Credential")
        .map(|(_, value)| value.into_owned());
    // A presigned URL of the older signature has `AWSAccessKeyId` and `Signature`, no credential.
    Some(credential.as_deref().map_or(Some("s3".to_owned()), scope_service).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn service(uri: &str, authorization: Option<&str>) -> Option<String> {
        let mut builder = Request::builder().uri(uri);
        if let Some(authorization) = authorization {
            builder = builder.header(header::AUTHORIZATION, authorization);
        }
        signed_service(&builder.body(Body::empty()).unwrap())
    }

    #[test]
    fn the_credential_scope_names_the_service() {
        let signed = |service: &str| {
            format!("AWS4-HMAC-SHA256 Credential=AKID/20261204/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
        };
        assert_eq!(
            service("/2015-03-31/functions/hello/invocations", Some(&signed("lambda"))).as_deref(),
            Some("lambda")
        );
        assert_eq!(service("/deck-photos/a.jpg", Some(&signed("s3"))).as_deref(), Some("s3"));
        assert_eq!(service("/deck-photos/a.jpg", Some("AWS AKID:c2ln")).as_deref(), Some("s3"));
        assert_eq!(
            service("/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261204%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=ab", None).as_deref(),
            Some("s3")
        );
        assert_eq!(service("/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=ab", None).as_deref(), Some("s3"));
        assert_eq!(service("/deck-photos/a.jpg", Some("Bearer token")), None);
        assert_eq!(service("/deck-photos/a.jpg", None), None);
        assert_eq!(service("/", Some("AWS4-HMAC-SHA256 Signature=abc")).as_deref(), Some(""));
    }

    #[test]
    fn only_images_are_served_inline_and_nothing_as_a_page() {
        let served = |content_type: &str| {
            let response = ([(header::CONTENT_TYPE, content_type)], "x").into_response();
            serve_safely(response).headers().clone()
        };
        let html = served("text/html");
        assert_eq!(html[header::CONTENT_DISPOSITION], "attachment");
        assert_eq!(html[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(html[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("sandbox"));
        for kind in ["image/svg+xml", "application/json", "application/octet-stream"] {
            assert_eq!(served(kind)[header::CONTENT_DISPOSITION], "attachment", "{kind}");
        }
        let jpeg = served("image/jpeg");
        assert!(jpeg.get(header::CONTENT_DISPOSITION).is_none());
        assert!(jpeg[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("sandbox"));
    }
}
