//! The S3 operations the local S3 API offers, on `s3s-fs`'s files, within what `functions.toml`
//! declares: only its buckets exist (no bucket is made or removed over the API), an object is
//! at most its bucket's `max_object_mb`, and a key never names a path outside its bucket.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};

use crate::platform::config::BucketConfig;

pub struct Guarded {
    pub files: s3s_fs::FileSystem,
    /// Where `files` keeps the buckets, each a folder.
    pub root: PathBuf,
    pub buckets: Arc<BTreeMap<String, BucketConfig>>,
}

impl Guarded {
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
        self.files.head_object(req).await
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        self.files.get_object(req).await
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let bucket = self.object(&req.input.bucket, &req.input.key)?;
        Self::fits(bucket, req.input.content_length)?;
        self.files.put_object(req).await
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        match &req.input.copy_source {
            CopySource::Bucket { bucket, key, .. } => self.object(bucket, key)?,
            _ => return Err(s3_error!(InvalidArgument, "the local S3 has no access points or outposts")),
        };
        self.files.copy_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.object(&req.input.bucket, &req.input.key)?;
        self.files.delete_object(req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        for object in &req.input.delete.objects {
            self.object(&req.input.bucket, &object.key)?;
        }
        self.bucket(&req.input.bucket)?;
        self.files.delete_objects(req).await
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
