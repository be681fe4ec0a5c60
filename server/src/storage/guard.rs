//! The S3 operations the local S3 API offers, on `s3s-fs`'s files, within what `functions.toml`
//! declares: only its buckets exist (no bucket is made or removed over the API), an object is
//! at most its bucket's `max_object_mb`, and a key never names a path outside its bucket.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};

use super::notify::{self, Change, ObjectChange};
use crate::clock::{epoch_millis, UtcTime};
use crate::platform::async_invoke::AsyncEvent;
use crate::platform::config::BucketConfig;
use crate::platform::Platform;

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

pub struct Guarded {
    pub files: s3s_fs::FileSystem,
    /// Where `files` keeps the buckets, each a folder.
    pub root: PathBuf,
    pub buckets: Arc<BTreeMap<String, BucketConfig>>,
    pub notifier: Notifier,
    pub locks: ObjectLocks,
}

/// `s3s-fs` keeps an object in two files, its bytes and its checksums, each renamed into place
/// on its own: two writers of one key could leave one's bytes with the other's checksums, and a
/// reader could see new bytes with old checksums. A write of a key holds its stripe's lock
/// exclusively, a read shares it, so each sees one whole object, as on S3.
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

impl Guarded {
    async fn size_of(&self, bucket: &str, key: &str) -> Option<u64> {
        tokio::fs::metadata(self.root.join(bucket).join(key)).await.ok().map(|m| m.len())
    }

    fn bucket(&self, name: &str) -> S3Result<&BucketConfig> {
        self.buckets.get(name).ok_or_else(|| {
            s3_error!(NoSuchBucket, "the local S3 has only the buckets functions.toml declares")
        })
    }

    fn object(&self, bucket: &str, key: &str) -> S3Result<&BucketConfig> {
        let config = self.bucket(bucket)?;
        key_problem(key)
            .map_or(Ok(config), |problem| Err(s3_error!(InvalidArgument, "key {key:?}: {problem}")))
    }

    /// What a single request may carry into `bucket`.
    fn fits(config: &BucketConfig, length: Option<i64>) -> S3Result<()> {
        match length {
            Some(length) if u64::try_from(length).unwrap_or(0) > config.max_object_bytes() => Err(s3_error!(
                EntityTooLarge,
                "the object is {length} bytes; bucket {} takes at most {} MB",
                config.name,
                config.max_object_mb
            )),
            _ => Ok(()),
        }
    }
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

/// Why the local S3 cannot store `key` as a file (S3 itself would), or `None`.
pub fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("a key is not empty")
    } else if key.contains(['\\', '\0']) {
        Some("backslashes and NUL are not supported in keys by the local S3")
    } else if key.split('/').any(|segment| segment.is_empty() || segment == "." || segment == "..") {
        Some("empty, `.` and `..` path segments are not supported in keys by the local S3")
    } else {
        None
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
        self.files.list_buckets(req).await
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.bucket(&req.input.bucket)?;
        self.files.head_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.bucket(&req.input.bucket)?;
        self.files.get_bucket_location(req).await
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
        let mut listed = self.files.list_objects(req).await?;
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
        let mut listed = self.files.list_objects_v2(req).await?;
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
        self.object(&req.input.bucket, &req.input.key)?;
        let _reading = self.locks.of(&req.input.bucket, &req.input.key).read().await;
        self.files.head_object(req).await
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        // Until the file is open and its checksums read: the body then streams from that file.
        let _reading = self.locks.of(&req.input.bucket, &req.input.key).read().await;
        self.files.get_object(req).await
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let bucket = self.object(&req.input.bucket, &req.input.key)?;
        Self::fits(bucket, req.input.content_length)?;
        let (name, key) = (req.input.bucket.clone(), req.input.key.clone());
        let origin = Origin::of(&req);
        let writing = self.locks.of(&name, &key).write().await;
        let stored = self.files.put_object(req).await?;
        let size = self.size_of(&name, &key).await;
        drop(writing);
        self.notifier.changed(bucket, &origin, Change::Put, &key, size, stored.output.e_tag.as_ref());
        Ok(stored)
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        match &req.input.copy_source {
            CopySource::Bucket { bucket, key, .. } => self.object(bucket, key)?,
            _ => return Err(s3_error!(InvalidArgument, "the local S3 has no access points or outposts")),
        };
        let bucket = self.bucket(&req.input.bucket)?;
        let (name, key) = (req.input.bucket.clone(), req.input.key.clone());
        let origin = Origin::of(&req);
        let writing = self.locks.of(&name, &key).write().await;
        let copied = self.files.copy_object(req).await?;
        let size = self.size_of(&name, &key).await;
        drop(writing);
        let etag = copied.output.copy_object_result.as_ref().and_then(|r| r.e_tag.as_ref());
        self.notifier.changed(bucket, &origin, Change::Copy, &key, size, etag);
        Ok(copied)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let bucket = self.object(&req.input.bucket, &req.input.key)?;
        let key = req.input.key.clone();
        let origin = Origin::of(&req);
        let writing = self.locks.of(&req.input.bucket, &key).write().await;
        let deleted = self.files.delete_object(req).await?;
        drop(writing);
        self.notifier.changed(bucket, &origin, Change::Delete, &key, None, None);
        Ok(deleted)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        for object in &req.input.delete.objects {
            self.object(&req.input.bucket, &object.key)?;
        }
        let bucket = self.bucket(&req.input.bucket)?;
        let origin = Origin::of(&req);
        let deleted = self.files.delete_objects(req).await?;
        for object in deleted.output.deleted.iter().flatten() {
            if let Some(key) = &object.key {
                self.notifier.changed(bucket, &origin, Change::Delete, key, None, None);
            }
        }
        Ok(deleted)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        self.files.create_multipart_upload(req).await
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        let bucket = self.object(&req.input.bucket, &req.input.key)?;
        Self::fits(bucket, req.input.content_length)?;
        self.files.upload_part(req).await
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        self.files.list_parts(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let config = self.object(&req.input.bucket, &req.input.key)?;
        let file = self.root.join(&req.input.bucket).join(&req.input.key);
        let key = req.input.key.clone();
        let origin = Origin::of(&req);
        let _writing = self.locks.of(&req.input.bucket, &key).write().await;
        let completed = self.files.complete_multipart_upload(req).await?;
        // Each part was checked as it came; the whole is checked once it is one file.
        let size = tokio::fs::metadata(&file).await.map(|m| m.len()).unwrap_or(0);
        if size > config.max_object_bytes() {
            let _ = tokio::fs::remove_file(&file).await;
            return Err(s3_error!(
                EntityTooLarge,
                "the parts make {size} bytes; bucket {} takes at most {} MB",
                config.name,
                config.max_object_mb
            ));
        }
        let etag = completed.output.e_tag.clone();
        self.notifier.changed(
            config,
            &origin,
            Change::CompleteMultipartUpload,
            &key,
            Some(size),
            etag.as_ref(),
        );
        Ok(completed)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        self.files.abort_multipart_upload(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_would_leave_the_bucket_folder_are_refused() {
        for key in ["photo.jpg", "uploads/2026/cat.png", "thumbnails/160/a b+c%20.jpg", "é/ü"] {
            assert_eq!(key_problem(key), None, "{key}");
        }
        for key in ["", "../other/x", "a/../../x", "./a", "a//b", "/a", "a/", "a\\b", "a\0b"] {
            assert!(key_problem(key).is_some(), "{key:?}");
        }
    }
}
