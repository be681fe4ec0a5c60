//! The S3 operations the local S3 API offers, within what `functions.toml` declares: only its
//! buckets exist (no bucket is made or removed over the API), an object is at most its bucket's
//! `max_object_mb`, and a key never names a path outside its bucket.
//!
//! `s3s-fs` lists the buckets and their objects; objects and multipart uploads are read and
//! written here, on the same files (see [`files`] and [`uploads`]), because `s3s-fs` names an
//! object's sidecars so that a key over ~157 bytes cannot be stored, stores an object before it
//! checks it, waits for a stalled body forever, leaves sidecars behind on DELETE, and cannot
//! list multipart uploads.
mod files;
mod rules;
mod uploads;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use s3s::dto::*;
use s3s::{s3_error, S3Error, S3Request, S3Response, S3Result, S3};

use super::notify::{self, Change, ObjectChange};
use crate::clock::{epoch_millis, UtcTime};
use crate::platform::async_invoke::AsyncEvent;
use crate::platform::config::BucketConfig;
use crate::platform::logs::LogSink;
use crate::platform::Platform;
use files::{Attributes, Files, Internal};
use rules::{check_checksum, check_md5, checksum_hasher, claimed_checksum, multipart_e_tag, satisfiable};
pub use rules::{key_problem, lifetime_problem};
use uploads::{first_after, roll_up, Entry, Record, Upload, Uploads};

/// Hands the changes a bucket's rules match to their functions, as S3 event notifications.
pub struct Notifier {
    platform: Arc<Platform>,
    /// S3's `sequencer`: rising across changes, and across restarts (it starts from the clock).
    sequencer: AtomicU64,
}

impl Notifier {
    pub fn new(platform: Arc<Platform>) -> Notifier {
        let start = epoch_millis(std::time::SystemTime::now()) << 16;
        Notifier { platform, sequencer: AtomicU64::new(start) }
    }

    fn changed(
        &self,
        bucket: &BucketConfig,
        origin: &Origin,
        change: Change,
        key: &str,
        size: Option<u64>,
        etag: Option<&ETag>,
    ) {
        let rules: Vec<_> = bucket.notifications.iter().filter(|rule| rule.matches(change, key)).collect();
        if rules.is_empty() {
            return;
        }
        let sequencer = self.sequencer.fetch_add(1, Ordering::Relaxed);
        let change = ObjectChange {
            bucket: bucket.name.clone(),
            key: key.to_owned(),
            change,
            size,
            etag: etag.map(|etag| etag.value().to_owned()),
            sequencer,
            time: UtcTime::now(),
            source_ip: origin.source_ip.clone(),
            request_id: format!("{sequencer:016X}"),
        };
        for rule in rules {
            let event = notify::event(&change, rule, self.platform.region());
            let source = format!("s3 {} {}/{key}", change.change.event_name(), bucket.name);
            self.platform.invoke_async(
                &rule.function,
                AsyncEvent { payload: event.to_string().into(), source, loops: origin.loops },
            );
        }
    }
}

/// An object is three files (its bytes and two sidecars, see [`files`]), each renamed into place
/// on its own: two writers of one key could leave one's bytes with the other's sidecars, and a
/// reader could see new bytes with old ones. The renames of a write hold its key's stripe
/// exclusively (its body is received before, unlocked), a read shares it until its file is
/// open and its sidecars read, so each sees one whole object, as on S3.
pub struct ObjectLocks([tokio::sync::RwLock<()>; 32]);

impl Default for ObjectLocks {
    fn default() -> ObjectLocks {
        ObjectLocks(std::array::from_fn(|_| tokio::sync::RwLock::new(())))
    }
}

impl ObjectLocks {
    fn of(&self, bucket: &str, key: &str) -> &tokio::sync::RwLock<()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (bucket, key).hash(&mut hasher);
        &self.0[hasher.finish() as usize % self.0.len()]
    }
}

/// How long a request's body may send nothing before it is refused with S3's `RequestTimeout`
/// (S3 waits about 20 s), so a stalled client holds nothing for long.
pub const BODY_IDLE_LIMIT: Duration = Duration::from_secs(20);

/// The local S3's time limits: how long a body may stall ([`BODY_IDLE_LIMIT`], shortened for
/// tests by `SERVERLESS_DECK_S3_BODY_IDLE_MS`, read once at start), and after how long a
/// multipart upload is abandoned (`--abort-incomplete-uploads-after`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub body_idle: Duration,
    pub abandoned_upload_age: Duration,
}

impl Limits {
    pub fn new(abandoned_upload_age: Duration) -> Limits {
        let body_idle = std::env::var("SERVERLESS_DECK_S3_BODY_IDLE_MS")
            .ok()
            .and_then(|value| value.parse().ok())
            .map_or(BODY_IDLE_LIMIT, Duration::from_millis);
        Limits { body_idle, abandoned_upload_age }
    }
}

/// Removes the multipart uploads under `root` begun more than `age` ago (S3's lifecycle rule
/// `AbortIncompleteMultipartUpload`), now and then every tenth of `age` (at least every second,
/// at most every hour) while the server runs; says so in `log`.
pub fn abort_abandoned_uploads(root: &Path, age: Duration, log: LogSink) {
    let sweep = move |root: &Path| match uploads::abort_abandoned(root, age) {
        Ok(0) => {}
        Ok(count) => log.line(format!("aborted {count} multipart upload(s) begun more than {age:?} ago")),
        Err(error) => log.line(format!("cannot sweep the multipart uploads in {}: {error}", root.display())),
    };
    sweep(root);
    let root = root.to_owned();
    let every = (age / 10).clamp(Duration::from_secs(1), Duration::from_secs(60 * 60));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await; // at once: swept above
        loop {
            ticks.tick().await;
            let (root, sweep) = (root.clone(), sweep.clone());
            let _ = tokio::task::spawn_blocking(move || sweep(&root)).await;
        }
    });
}

pub struct Guarded {
    /// Lists the buckets and their objects (from the files alone).
    listing: s3s_fs::FileSystem,
    objects: Files,
    uploads: Uploads,
    buckets: Arc<BTreeMap<String, BucketConfig>>,
    notifier: Notifier,
    locks: ObjectLocks,
    limits: Limits,
}

impl Guarded {
    /// The buckets are folders of `root`, which `listing` lists.
    pub fn new(
        listing: s3s_fs::FileSystem,
        root: PathBuf,
        buckets: Arc<BTreeMap<String, BucketConfig>>,
        notifier: Notifier,
        limits: Limits,
    ) -> Guarded {
        Guarded {
            listing,
            objects: Files { root: root.clone() },
            uploads: Uploads { root },
            buckets,
            notifier,
            locks: ObjectLocks::default(),
            limits,
        }
    }
}

/// An object as read: its open file (which a later write does not change) and what is known of it.
struct Found {
    file: tokio::fs::File,
    size: u64,
    modified: Timestamp,
    attributes: Attributes,
    internal: Internal,
    e_tag: ETag,
}

impl Guarded {
    fn bucket(&self, name: &str) -> S3Result<&BucketConfig> {
        self.buckets.get(name).ok_or_else(|| {
            s3_error!(NoSuchBucket, "the local S3 has only the buckets functions.toml declares")
        })
    }

    fn object(&self, bucket: &str, key: &str) -> S3Result<&BucketConfig> {
        let config = self.bucket(bucket)?;
        key_problem(key).map_or(Ok(config), |problem| Err(problem.refusal(key)))
    }

    /// What a single request may carry into `bucket`.
    fn fits(config: &BucketConfig, length: Option<i64>) -> S3Result<()> {
        match length {
            Some(length) if u64::try_from(length).unwrap_or(0) > config.max_object_bytes() => {
                Err(too_large(config, u64::try_from(length).unwrap_or(0)))
            }
            _ => Ok(()),
        }
    }

    /// Opens `bucket`/`key` and reads its sidecars; the caller holds its read lock.
    async fn found(&self, bucket: &str, key: &str) -> S3Result<Found> {
        let file = match tokio::fs::File::open(self.objects.object_path(bucket, key)).await {
            Ok(file) => file,
            Err(error) if missing(&error) => return Err(s3_error!(NoSuchKey)),
            Err(error) => return Err(S3Error::internal_error(error)),
        };
        let metadata = file.metadata().await.map_err(S3Error::internal_error)?;
        if metadata.is_dir() {
            return Err(s3_error!(NoSuchKey));
        }
        let modified = Timestamp::from(metadata.modified().map_err(S3Error::internal_error)?);
        let attributes = self.objects.attributes(bucket, key).await;
        let internal = self.objects.internal(bucket, key).await;
        let e_tag =
            ETag::Strong(self.objects.e_tag(bucket, key, &internal).await.map_err(S3Error::internal_error)?);
        Ok(Found { file, size: metadata.len(), modified, attributes, internal, e_tag })
    }

    /// S3's `If-Match` and `If-None-Match: *` on a write; the caller holds the key's write lock.
    async fn precondition(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&ETagCondition>,
        if_none_match: Option<&ETagCondition>,
    ) -> S3Result<()> {
        if if_match.is_none() && if_none_match.is_none() {
            return Ok(());
        }
        let exists =
            tokio::fs::metadata(self.objects.object_path(bucket, key)).await.is_ok_and(|m| m.is_file());
        let failed =
            || s3_error!(PreconditionFailed, "At least one of the pre-conditions you specified did not hold");
        if if_none_match.is_some_and(ETagCondition::is_any) && exists {
            return Err(failed());
        }
        if let Some(condition) = if_match {
            if !exists {
                return Err(failed());
            }
            if let Some(expected) = condition.as_etag() {
                let internal = self.objects.internal(bucket, key).await;
                let current =
                    self.objects.e_tag(bucket, key, &internal).await.map_err(S3Error::internal_error)?;
                if !ETag::Strong(current).strong_cmp(expected) {
                    return Err(failed());
                }
            }
        }
        Ok(())
    }

    /// The upload `id` for `bucket`/`key`, if it is in progress.
    async fn upload(&self, bucket: &str, key: &str, id: &str) -> S3Result<Upload> {
        match self.uploads.find(id).await {
            Some(upload) if upload.record.bucket == bucket && upload.record.key == key => Ok(upload),
            _ => Err(s3_error!(
                NoSuchUpload,
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
            )),
        }
    }
}

fn missing(error: &std::io::Error) -> bool {
    matches!(error.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory)
}

fn too_large(config: &BucketConfig, size: u64) -> S3Error {
    s3_error!(
        EntityTooLarge,
        "the object is {size} bytes; bucket {} takes at most {} MB",
        config.name,
        config.max_object_mb
    )
}

/// Who made a change, which is all the notifier needs of its request: read before the request
/// goes on to `s3s-fs`.
pub struct Origin {
    source_ip: String,
    /// Rounds of a function triggering itself, this change included: a write made while handling
    /// an event carries that event's count in its trace header (see `InvokeRequest::loops`), a
    /// person's write none.
    loops: u32,
}

impl Origin {
    fn of<T>(req: &S3Request<T>) -> Origin {
        let source_ip = req
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "127.0.0.1".to_owned(), |ConnectInfo(address)| address.ip().to_string());
        let loops = req
            .headers
            .get("x-amzn-trace-id")
            .and_then(|value| value.to_str().ok())
            .map_or(0, crate::platform::runtime_api::loops_in_trace)
            + 1;
        Origin { source_ip, loops }
    }
}

/// S3 lists keys URL-encoded when asked (`encoding-type=url`, as the AWS CLI always asks: a key
/// may hold characters XML cannot carry); s3s-fs lists them as they are.
fn asks_url_encoding(encoding: &Option<EncodingType>) -> bool {
    encoding.as_ref().is_some_and(|e| e.as_str() == EncodingType::URL)
}

fn url_encode(text: &mut Option<String>) {
    if let Some(text) = text {
        *text = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    }
}

fn url_encode_keys(contents: &mut Option<Vec<Object>>, prefixes: &mut Option<Vec<CommonPrefix>>) {
    for object in contents.iter_mut().flatten() {
        url_encode(&mut object.key);
    }
    for prefix in prefixes.iter_mut().flatten() {
        url_encode(&mut prefix.prefix);
    }
}

#[async_trait::async_trait]
impl S3 for Guarded {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.listing.list_buckets(req).await
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.bucket(&req.input.bucket)?;
        self.listing.head_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.bucket(&req.input.bucket)?;
        self.listing.get_bucket_location(req).await
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.bucket(&req.input.bucket)?;
        Err(s3_error!(BucketAlreadyOwnedByYou, "declared in functions.toml"))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.bucket(&req.input.bucket)?;
        Err(s3_error!(AccessDenied, "buckets are declared in functions.toml; delete its objects instead"))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.bucket(&req.input.bucket)?;
        let encode = asks_url_encoding(&req.input.encoding_type);
        let mut listed = self.listing.list_objects(req).await?;
        if encode {
            let out = &mut listed.output;
            url_encode_keys(&mut out.contents, &mut out.common_prefixes);
            for text in [&mut out.prefix, &mut out.delimiter, &mut out.marker, &mut out.next_marker] {
                url_encode(text);
            }
            out.encoding_type = Some(EncodingType::from_static(EncodingType::URL));
        }
        Ok(listed)
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.bucket(&req.input.bucket)?;
        let encode = asks_url_encoding(&req.input.encoding_type);
        let mut listed = self.listing.list_objects_v2(req).await?;
        if encode {
            let out = &mut listed.output;
            url_encode_keys(&mut out.contents, &mut out.common_prefixes);
            for text in [&mut out.prefix, &mut out.delimiter, &mut out.start_after] {
                url_encode(text);
            }
            out.encoding_type = Some(EncodingType::from_static(EncodingType::URL));
        }
        Ok(listed)
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let (bucket, key) = (&req.input.bucket, &req.input.key);
        self.object(bucket, key)?;
        let reading = self.locks.of(bucket, key).read().await;
        let found = self.found(bucket, key).await?;
        drop(reading);
        let checksum = found.internal.checksum();
        let attributes = found.attributes;
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(i64::try_from(found.size).unwrap_or(i64::MAX)),
            accept_ranges: Some("bytes".to_owned()),
            last_modified: Some(found.modified),
            e_tag: Some(found.e_tag),
            expires: attributes.expires_timestamp(),
            metadata: attributes.user_metadata,
            content_type: attributes.content_type,
            content_encoding: attributes.content_encoding,
            content_disposition: attributes.content_disposition,
            content_language: attributes.content_language,
            cache_control: attributes.cache_control,
            website_redirect_location: attributes.website_redirect_location,
            checksum_crc32: checksum.checksum_crc32,
            checksum_crc32c: checksum.checksum_crc32c,
            checksum_sha1: checksum.checksum_sha1,
            checksum_sha256: checksum.checksum_sha256,
            checksum_crc64nvme: checksum.checksum_crc64nvme,
            ..Default::default()
        }))
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let (bucket, key) = (&req.input.bucket, &req.input.key);
        self.object(bucket, key)?;
        // Until the file is open and its sidecars read: the body then streams from that file.
        let reading = self.locks.of(bucket, key).read().await;
        let found = self.found(bucket, key).await?;
        drop(reading);
        let size = found.size;
        let (start, end) = match req.input.range {
            None => (0, size),
            Some(range) => satisfiable(range, size)
                .ok_or_else(|| s3_error!(InvalidRange, "The requested range is not satisfiable"))?,
        };
        let mut file = found.file;
        file.seek(std::io::SeekFrom::Start(start)).await.map_err(S3Error::internal_error)?;
        let body = tokio_util::io::ReaderStream::new(file.take(end - start));
        // S3 gives the whole object's checksums only with the whole object.
        let checksum = if end - start == size { found.internal.checksum() } else { Checksum::default() };
        let attributes = found.attributes;
        Ok(S3Response::new(GetObjectOutput {
            body: Some(StreamingBlob::wrap(body)),
            content_length: Some(i64::try_from(end - start).unwrap_or(i64::MAX)),
            content_range: req.input.range.map(|_| format!("bytes {start}-{}/{size}", end - 1)),
            accept_ranges: Some("bytes".to_owned()),
            last_modified: Some(found.modified),
            e_tag: Some(found.e_tag),
            expires: attributes.expires_timestamp(),
            metadata: attributes.user_metadata,
            content_type: attributes.content_type,
            content_encoding: attributes.content_encoding,
            content_disposition: attributes.content_disposition,
            content_language: attributes.content_language,
            cache_control: attributes.cache_control,
            website_redirect_location: attributes.website_redirect_location,
            checksum_crc32: checksum.checksum_crc32,
            checksum_crc32c: checksum.checksum_crc32c,
            checksum_sha1: checksum.checksum_sha1,
            checksum_sha256: checksum.checksum_sha256,
            checksum_crc64nvme: checksum.checksum_crc64nvme,
            ..Default::default()
        }))
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let config = self.object(&req.input.bucket, &req.input.key)?;
        Self::fits(config, req.input.content_length)?;
        if let Some(class) = &req.input.storage_class {
            if !["STANDARD", "REDUCED_REDUNDANCY"].contains(&class.as_str()) {
                return Err(s3_error!(InvalidStorageClass, "the local S3 stores only STANDARD"));
            }
        }
        let origin = Origin::of(&req);
        let hasher = checksum_hasher(&req.input)?;
        let S3Request { mut input, trailing_headers, .. } = req;
        let body = input.body.take().unwrap_or_else(empty_body);
        let expected = input.content_length.and_then(|length| u64::try_from(length).ok());
        let received = self
            .objects
            .receive(body, expected, config.max_object_bytes(), self.limits.body_idle, hasher)
            .await?;
        check_md5(input.content_md5.as_deref(), &received.md5)?;
        check_checksum(&claimed_checksum(&input, trailing_headers.as_ref()), &received.checksum)?;

        let mut attributes = Attributes {
            user_metadata: input.metadata,
            content_encoding: input.content_encoding,
            content_type: input.content_type,
            content_disposition: input.content_disposition,
            content_language: input.content_language,
            cache_control: input.cache_control,
            expires: None,
            website_redirect_location: input.website_redirect_location,
        };
        attributes.set_expires(input.expires);
        let internal = Internal::new(received.md5.clone(), received.checksum.clone());
        let staged = self
            .objects
            .stage(received.data, &attributes, &internal)
            .await
            .map_err(S3Error::internal_error)?;
        let (name, key) = (&input.bucket, &input.key);
        let writing = self.locks.of(name, key).write().await;
        self.precondition(name, key, input.if_match.as_ref(), input.if_none_match.as_ref()).await?;
        self.objects.place(name, key, staged).await.map_err(S3Error::internal_error)?;
        drop(writing);
        let e_tag = ETag::Strong(received.md5);
        self.notifier.changed(config, &origin, Change::Put, key, Some(received.size), Some(&e_tag));
        let checksum = received.checksum;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(e_tag),
            checksum_crc32: checksum.checksum_crc32,
            checksum_crc32c: checksum.checksum_crc32c,
            checksum_sha1: checksum.checksum_sha1,
            checksum_sha256: checksum.checksum_sha256,
            checksum_crc64nvme: checksum.checksum_crc64nvme,
            ..Default::default()
        }))
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let config = self.object(&req.input.bucket, &req.input.key)?;
        let (from_bucket, from_key) = match &req.input.copy_source {
            CopySource::Bucket { bucket, key, .. } => (bucket.to_string(), key.to_string()),
            _ => return Err(s3_error!(InvalidArgument, "the local S3 has no access points or outposts")),
        };
        self.object(&from_bucket, &from_key)?;
        let origin = Origin::of(&req);
        let input = req.input;

        let reading = self.locks.of(&from_bucket, &from_key).read().await;
        let found = self.found(&from_bucket, &from_key).await?;
        drop(reading);
        let failed =
            || s3_error!(PreconditionFailed, "At least one of the pre-conditions you specified did not hold");
        if let Some(condition) = &input.copy_source_if_match {
            if condition.as_etag().is_some_and(|expected| !found.e_tag.strong_cmp(expected)) {
                return Err(failed());
            }
        }
        if let Some(condition) = &input.copy_source_if_none_match {
            if condition.is_any()
                || condition.as_etag().is_some_and(|expected| found.e_tag.strong_cmp(expected))
            {
                return Err(failed());
            }
        }
        if found.size > config.max_object_bytes() {
            return Err(too_large(config, found.size));
        }
        let replace =
            input.metadata_directive.as_ref().is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        let attributes = if replace {
            let mut attributes = Attributes {
                user_metadata: input.metadata,
                content_encoding: input.content_encoding,
                content_type: input.content_type,
                content_disposition: input.content_disposition,
                content_language: input.content_language,
                cache_control: input.cache_control,
                expires: None,
                website_redirect_location: input.website_redirect_location,
            };
            attributes.set_expires(input.expires);
            attributes
        } else {
            found.attributes
        };
        let internal = Internal { e_tag: Some(found.e_tag.value().to_owned()), ..found.internal };
        let data = self.objects.copy_into_temp(found.file).await.map_err(S3Error::internal_error)?;
        let staged =
            self.objects.stage(data, &attributes, &internal).await.map_err(S3Error::internal_error)?;

        let (name, key) = (&input.bucket, &input.key);
        let writing = self.locks.of(name, key).write().await;
        self.objects.place(name, key, staged).await.map_err(S3Error::internal_error)?;
        drop(writing);
        self.notifier.changed(config, &origin, Change::Copy, key, Some(found.size), Some(&found.e_tag));
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(found.e_tag),
                last_modified: Some(Timestamp::from(std::time::SystemTime::now())),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let config = self.object(&req.input.bucket, &req.input.key)?;
        let (bucket, key) = (&req.input.bucket, &req.input.key);
        let writing = self.locks.of(bucket, key).write().await;
        self.objects.remove(bucket, key).await.map_err(S3Error::internal_error)?;
        drop(writing);
        self.notifier.changed(config, &Origin::of(&req), Change::Delete, key, None, None);
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        for object in &req.input.delete.objects {
            self.object(&req.input.bucket, &object.key)?;
        }
        let config = self.bucket(&req.input.bucket)?;
        let origin = Origin::of(&req);
        let bucket = &req.input.bucket;
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        for object in &req.input.delete.objects {
            let writing = self.locks.of(bucket, &object.key).write().await;
            let removed = self.objects.remove(bucket, &object.key).await;
            drop(writing);
            match removed {
                Ok(()) => {
                    self.notifier.changed(config, &origin, Change::Delete, &object.key, None, None);
                    deleted.push(DeletedObject { key: Some(object.key.clone()), ..Default::default() });
                }
                Err(error) => errors.push(Error {
                    key: Some(object.key.clone()),
                    code: Some("InternalError".to_owned()),
                    message: Some(error.to_string()),
                    ..Default::default()
                }),
            }
        }
        let quiet = req.input.delete.quiet.unwrap_or(false);
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!quiet).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        let input = req.input;
        let mut attributes = Attributes {
            user_metadata: input.metadata,
            content_encoding: input.content_encoding,
            content_type: input.content_type,
            content_disposition: input.content_disposition,
            content_language: input.content_language,
            cache_control: input.cache_control,
            expires: None,
            website_redirect_location: input.website_redirect_location,
        };
        attributes.set_expires(input.expires);
        let record = Record { bucket: input.bucket, key: input.key, attributes };
        let id = self.uploads.create(&record).await.map_err(S3Error::internal_error)?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(record.bucket),
            key: Some(record.key),
            upload_id: Some(id.to_string()),
            ..Default::default()
        }))
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        let config = self.object(&req.input.bucket, &req.input.key)?;
        Self::fits(config, req.input.content_length)?;
        let mut input = req.input;
        if !(1..=10_000).contains(&input.part_number) {
            return Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ));
        }
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        let body = input.body.take().unwrap_or_else(empty_body);
        let expected = input.content_length.and_then(|length| u64::try_from(length).ok());
        let received = self
            .objects
            .receive(body, expected, config.max_object_bytes(), self.limits.body_idle, Default::default())
            .await?;
        check_md5(input.content_md5.as_deref(), &received.md5)?;
        let part = self.uploads.part_path(&upload.id, input.part_number);
        received.data.place(&part).await.map_err(S3Error::internal_error)?;
        // Aborted meanwhile: the part goes with the rest.
        if self.uploads.find(&input.upload_id).await.is_none() {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(s3_error!(NoSuchUpload, "the upload was aborted while this part came"));
        }
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(received.md5)),
            ..Default::default()
        }))
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        let input = req.input;
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        let marker = input.part_number_marker.unwrap_or(0);
        let max = usize::try_from(input.max_parts.unwrap_or(1000)).unwrap_or(0).min(1000);
        let on_disk = self.uploads.parts(&upload.id).await.map_err(S3Error::internal_error)?;
        let after: Vec<_> = on_disk.range(marker.saturating_add(1)..).collect();
        let mut parts = Vec::new();
        for (&number, (path, metadata)) in after.iter().take(max) {
            let md5 = files::md5_of(path).await.map_err(S3Error::internal_error)?;
            parts.push(Part {
                part_number: Some(number),
                size: Some(i64::try_from(metadata.len()).unwrap_or(i64::MAX)),
                e_tag: Some(ETag::Strong(md5)),
                last_modified: metadata.modified().ok().map(Timestamp::from),
                ..Default::default()
            });
        }
        let truncated = after.len() > max;
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: parts.last().and_then(|part| part.part_number).filter(|_| truncated),
            max_parts: Some(i32::try_from(max).unwrap_or(1000)),
            is_truncated: Some(truncated),
            parts: Some(parts),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            ..Default::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let config = self.object(&req.input.bucket, &req.input.key)?;
        let origin = Origin::of(&req);
        let input = req.input;
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        let listed = input.multipart_upload.and_then(|upload| upload.parts).unwrap_or_default();
        if listed.is_empty() {
            return Err(s3_error!(InvalidPart, "You must specify at least one part"));
        }
        let on_disk = self.uploads.parts(&upload.id).await.map_err(S3Error::internal_error)?;
        let (mut paths, mut sizes, mut previous) = (Vec::new(), Vec::new(), 0);
        for part in &listed {
            let number = part.part_number.unwrap_or(0);
            if number <= previous {
                return Err(s3_error!(InvalidPartOrder, "The list of parts was not in ascending order."));
            }
            previous = number;
            let (path, metadata) = on_disk.get(&number).ok_or_else(|| {
                s3_error!(InvalidPart, "part {number} could not be found; it may not have been uploaded")
            })?;
            paths.push(path.clone());
            sizes.push(metadata.len());
        }
        // S3's rules, checked before a byte is copied: every part but the last is at least
        // 5 MiB, and (each part having been checked as it came) the whole fits the bucket.
        if sizes[..sizes.len() - 1].iter().any(|&size| size < 5 * 1024 * 1024) {
            return Err(s3_error!(
                EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed size"
            ));
        }
        let total = sizes.iter().sum();
        if total > config.max_object_bytes() {
            return Err(too_large(config, total));
        }
        let (data, size, md5s) = self.objects.concatenate(&paths, config.max_object_bytes()).await?;
        for (part, md5) in listed.iter().zip(&md5s) {
            if part.e_tag.as_ref().is_some_and(|e_tag| e_tag.value() != files::hex(md5)) {
                return Err(s3_error!(InvalidPart, "the ETag of part {:?} does not match", part.part_number));
            }
        }
        let e_tag = multipart_e_tag(&md5s);
        let internal = Internal::new(e_tag.clone(), Checksum::default());
        let staged = self
            .objects
            .stage(data, &upload.record.attributes, &internal)
            .await
            .map_err(S3Error::internal_error)?;

        let (name, key) = (&input.bucket, &input.key);
        let writing = self.locks.of(name, key).write().await;
        self.precondition(name, key, input.if_match.as_ref(), input.if_none_match.as_ref()).await?;
        self.objects.place(name, key, staged).await.map_err(S3Error::internal_error)?;
        drop(writing);
        self.uploads.remove(&upload.id).await.map_err(S3Error::internal_error)?;
        let e_tag = ETag::Strong(e_tag);
        self.notifier.changed(
            config,
            &origin,
            Change::CompleteMultipartUpload,
            key,
            Some(size),
            Some(&e_tag),
        );
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(e_tag),
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = &req.input;
        self.object(&input.bucket, &input.key)?;
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        self.uploads.remove(&upload.id).await.map_err(S3Error::internal_error)?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let mut uploads: Vec<Upload> = self.uploads.all().await.map_err(S3Error::internal_error)?;
        uploads
            .retain(|upload| upload.record.bucket == input.bucket && upload.record.key.starts_with(&prefix));
        uploads.sort_by(|a, b| (&a.record.key, a.initiated, a.id).cmp(&(&b.record.key, b.initiated, b.id)));
        let entries = roll_up(&uploads, &prefix, input.delimiter.as_deref());
        let start = first_after(&entries, input.key_marker.as_deref(), input.upload_id_marker.as_deref());
        let max = usize::try_from(input.max_uploads.unwrap_or(1000)).unwrap_or(0).min(1000);
        let page = &entries[start..(start + max).min(entries.len())];
        let truncated = start + page.len() < entries.len();
        let last = page.last().filter(|_| truncated);
        let encode = asks_url_encoding(&input.encoding_type);
        let text = |text: &str| {
            let mut text = Some(text.to_owned());
            if encode {
                url_encode(&mut text);
            }
            text
        };
        let (mut listed, mut prefixes) = (Vec::new(), Vec::new());
        for entry in page {
            match entry {
                Entry::Upload(upload) => listed.push(MultipartUpload {
                    key: text(&upload.record.key),
                    upload_id: Some(upload.id.to_string()),
                    initiated: Some(Timestamp::from(upload.initiated)),
                    storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                    ..Default::default()
                }),
                Entry::Prefix(prefix) => prefixes.push(CommonPrefix { prefix: text(prefix) }),
            }
        }
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix.as_deref().and_then(text),
            delimiter: input.delimiter,
            key_marker: input.key_marker.as_deref().and_then(text),
            upload_id_marker: input.upload_id_marker,
            next_key_marker: last.and_then(|entry| text(entry.key())),
            next_upload_id_marker: last.and_then(|entry| match entry {
                Entry::Upload(upload) => Some(upload.id.to_string()),
                Entry::Prefix(_) => None,
            }),
            max_uploads: Some(i32::try_from(max).unwrap_or(1000)),
            is_truncated: Some(truncated),
            uploads: Some(listed),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }
}

fn empty_body() -> StreamingBlob {
    StreamingBlob::wrap(futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>())
}
