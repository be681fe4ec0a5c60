//! The local S3 API: the buckets `functions.toml` declares, their objects as files under the
//! data folder, spoken as the real S3 REST protocol (by `s3s`, on `s3s-fs`'s files) on the
//! server's own address, so the AWS CLI (`--endpoint-url http://127.0.0.1:8080`), the SDKs and
//! presigned URLs work against it unchanged.
//!
//! Requests are path-style (`/<bucket>/<key>`, what the CLI and SDKs send to an IP address): a
//! request is S3's when its first path segment is a declared bucket, or when it is signed the
//! AWS way (ListBuckets is `GET /`; an undeclared bucket gets `NoSuchBucket`). The deck's own
//! requests never are. Every request must be signed (SigV4, in headers or a presigned URL)
//! with the local credentials: [`ACCESS_KEY`] and, on loopback, [`LOOPBACK_SECRET`]; on any
//! other address the secret is the presenter token, so only the presenter can read or write.
mod cors;
mod guard;
pub mod notify;
pub mod presign;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::Duration;

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use deck_core::error_body::Refusal;
use deck_core::uploads::{
    report_key, thumbnail_key, upload_key, upload_route, ResultLinks, UploadProblem, UploadRequest,
    UploadTicket, THUMBNAIL_WIDTHS, TICKET_LIFETIME_S,
};
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tower::ServiceExt;

use crate::clock::UtcTime;
use crate::control::{self, ControlToken};
use crate::platform::config::BucketConfig;
use crate::platform::Platform;
use presign::Presigner;

/// The access key of the local S3 API.
pub const ACCESS_KEY: &str = "serverless-deck";
/// Its secret on a loopback address, where only this machine can reach it.
pub const LOOPBACK_SECRET: &str = "serverless-deck-local";

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
}

impl Storage {
    /// Opens `data` (made if missing), with a folder per bucket; `secret` signs requests.
    /// Changes that match a bucket's notification rules are queued on `platform`.
    pub fn open(
        data: &Path,
        buckets: &[BucketConfig],
        secret: &str,
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
        let notifier = guard::Notifier::new(platform);
        let limits = guard::Limits::from_env();
        guard::abort_abandoned_uploads(&root, limits.abandoned_upload_age);
        let mut builder =
            S3ServiceBuilder::new(guard::Guarded::new(files, root, buckets.clone(), notifier, limits));
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, secret));
        builder.set_access(guard::PresignedLifetime);
        let presigner =
            Arc::new(Presigner { access_key: ACCESS_KEY.to_owned(), secret: secret.to_owned(), region });
        Ok(Storage { service: builder.build(), buckets, presigner })
    }

    /// Whether `request` is for the S3 API rather than the deck.
    pub fn claims(&self, request: &Request) -> bool {
        self.declares(request.uri().path()) || is_signed(request)
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
    headers: HeaderMap,
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
    // The URL is for the address the browser used to reach this server.
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return refuse(StatusCode::BAD_REQUEST, "the request has no Host header".to_owned());
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let key = upload_key(&id[..12], &request.file_name);
    let lifetime = Duration::from_secs(TICKET_LIFETIME_S);
    let (origin, now) = (format!("http://{host}"), UtcTime::now());
    let sign = |method: &str, key: &str| storage.presigner.url(method, &origin, &bucket, key, lifetime, now);
    let results = ResultLinks {
        upload: sign("GET", &key),
        report: sign("GET", &report_key(&key).expect("an upload key")),
        thumbnails: THUMBNAIL_WIDTHS
            .map(|width| sign("GET", &thumbnail_key(&key, width).expect("an upload key")))
            .to_vec(),
    };
    let url = sign("PUT", &key);
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

/// Sends S3's requests to the S3 API and everything else on to the deck's routes; the declared
/// buckets and the tickets answer other origins too (see [`cors`]), an undeclared bucket does not.
pub async fn dispatch(State(storage): State<Option<Storage>>, request: Request, next: Next) -> Response {
    let Some(storage) = storage else { return next.run(request).await };
    let to_s3 = storage.claims(&request);
    let path = request.uri().path();
    let open = storage.declares(path) || path.starts_with(&upload_route(""));
    if !to_s3 && !open {
        return next.run(request).await;
    }
    if let Some(preflight) = open.then(|| cors::preflight(&request)).flatten() {
        return preflight;
    }
    let origin = open.then(|| request.headers().get(header::ORIGIN).cloned()).flatten();
    let response = if to_s3 {
        match storage.service.oneshot(request).await {
            Ok(response) => response.map(axum::body::Body::new),
            Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, format!("S3 API: {error:?}")).into_response(),
        }
    } else {
        next.run(request).await
    };
    cors::allow(origin, response)
}

/// Signed the AWS way, in headers or as a presigned URL.
fn is_signed(request: &Request) -> bool {
    let in_header = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("AWS4-HMAC-SHA256") || value.starts_with("AWS "));
    let in_query =
        request.uri().query().is_some_and(|q| q.contains("X-Amz-Signature=") || q.contains("Signature="));
    in_header || in_query
}
