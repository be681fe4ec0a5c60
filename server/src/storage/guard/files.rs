//! An object's files, laid out as `s3s-fs` lays them so that data folders it wrote keep working:
//! its bytes at `<root>/<bucket>/<key>`, and beside the buckets two sidecars, its attributes
//! (`.bucket-<b64 bucket>.object-<b64 key>.metadata.json`) and its ETag and checksums
//! (`….internal.json`). Base64 makes the name of a key over ~157 bytes longer than the 255 bytes
//! a file name may have, so such a key's sidecars are named by its SHA-256 instead.
//!
//! Every write is staged in temporary files (`.tmp.*.internal.part`, which `s3s-fs` removes at
//! start) and renamed into place only once whole and checked: a refused or broken request
//! leaves nothing behind, and a reader sees the old object or the new one.
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use futures_util::StreamExt;
use s3s::crypto::{Checksum as _, Md5};
use s3s::dto::{Checksum, Metadata, StreamingBlob, Timestamp, TimestampFormat};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// The longest file name Linux (and macOS) file systems take, in bytes.
pub const MAX_FILE_NAME: usize = 255;

/// An object's attributes, as `s3s-fs` stores them (its `ObjectAttributes`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Attributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<Metadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// An HTTP date, as S3 echoes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_redirect_location: Option<String>,
}

impl Attributes {
    pub fn set_expires(&mut self, expires: Option<Timestamp>) {
        self.expires = expires.and_then(|time| {
            let mut text = Vec::new();
            time.format(TimestampFormat::DateTime, &mut text).ok()?;
            String::from_utf8(text).ok()
        });
    }

    pub fn expires_timestamp(&self) -> Option<Timestamp> {
        Timestamp::parse(TimestampFormat::DateTime, self.expires.as_deref()?).ok()
    }
}

/// An object's ETag and the checksums it was sent with, as `s3s-fs` stores them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Internal {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_crc32: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_crc32c: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_sha1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_crc64nvme: Option<String>,
}

impl Internal {
    pub fn new(e_tag: String, checksum: Checksum) -> Internal {
        Internal {
            e_tag: Some(e_tag),
            checksum_crc32: checksum.checksum_crc32,
            checksum_crc32c: checksum.checksum_crc32c,
            checksum_sha1: checksum.checksum_sha1,
            checksum_sha256: checksum.checksum_sha256,
            checksum_crc64nvme: checksum.checksum_crc64nvme,
        }
    }

    pub fn checksum(&self) -> Checksum {
        Checksum {
            checksum_crc32: self.checksum_crc32.clone(),
            checksum_crc32c: self.checksum_crc32c.clone(),
            checksum_sha1: self.checksum_sha1.clone(),
            checksum_sha256: self.checksum_sha256.clone(),
            checksum_crc64nvme: self.checksum_crc64nvme.clone(),
            ..Default::default()
        }
    }
}

/// Why a request's body could not be taken whole.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("no bytes came for {0:?}")]
    Idle(Duration),
    #[error("the body ended after {received} bytes, short of its length")]
    Incomplete { received: u64 },
    #[error("the body does not match its x-amz-content-sha256")]
    Sha256Mismatch,
    #[error("the body's chunk signatures do not match")]
    SignatureMismatch,
    #[error("the body passes {0} bytes")]
    TooLarge(u64),
    #[error("cannot store the body: {0}")]
    Io(#[from] io::Error),
}

impl From<BodyError> for s3s::S3Error {
    fn from(error: BodyError) -> s3s::S3Error {
        use s3s::{s3_error, S3Error, S3ErrorCode};
        match error {
            BodyError::Idle(_) => s3_error!(
                RequestTimeout,
                "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed."
            ),
            BodyError::Incomplete { .. } => s3_error!(
                IncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP header ({error})"
            ),
            BodyError::Sha256Mismatch => {
                // Not among s3s's codes: S3 answers it with 400.
                let mut error = S3Error::with_message(
                    S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                );
                error.set_status_code(hyper::StatusCode::BAD_REQUEST);
                error
            }
            BodyError::SignatureMismatch => s3_error!(SignatureDoesNotMatch, "{error}"),
            BodyError::TooLarge(_) => s3_error!(EntityTooLarge, "{error}"),
            BodyError::Io(source) => S3Error::internal_error(source),
        }
    }
}

/// A body received whole into a temporary file.
pub struct Received {
    pub data: Temp,
    pub size: u64,
    /// Hex MD5, the ETag of a single PUT and of a part.
    pub md5: String,
    pub checksum: Checksum,
}

/// A file being written beside the buckets; removed when dropped unless placed.
pub struct Temp {
    path: PathBuf,
    placed: bool,
}

impl Temp {
    async fn create(root: &Path) -> io::Result<(Temp, tokio::fs::File)> {
        let path = root.join(format!(".tmp.{}.internal.part", uuid::Uuid::new_v4().simple()));
        let file = tokio::fs::File::create(&path).await?;
        Ok((Temp { path, placed: false }, file))
    }

    pub async fn holding(root: &Path, bytes: &[u8]) -> io::Result<Temp> {
        let (temp, mut file) = Temp::create(root).await?;
        file.write_all(bytes).await?;
        file.flush().await?;
        Ok(temp)
    }

    /// Renames it to `path`, replacing what was there.
    pub async fn place(mut self, path: &Path) -> io::Result<()> {
        self.rename(path).await
    }

    async fn rename(&mut self, path: &Path) -> io::Result<()> {
        tokio::fs::rename(&self.path, path).await?;
        self.placed = true;
        Ok(())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An object whose three files are written and checked, ready to be renamed into place.
pub struct Staged {
    data: Temp,
    attributes: Temp,
    internal: Temp,
}

/// The objects under `root`, one folder per bucket.
pub struct Files {
    pub root: PathBuf,
}

impl Files {
    pub fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(bucket).join(key)
    }

    fn sidecar(&self, bucket: &str, key: &str, kind: &str) -> PathBuf {
        let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        let name = format!(".bucket-{}.object-{}.{kind}.json", b64(bucket), b64(key));
        if name.len() <= MAX_FILE_NAME {
            return self.root.join(name);
        }
        // `.hashed-` where s3s-fs has `.object-`: base64 has no `.`, so the two never meet.
        let hash = hex(&Sha256::digest(key));
        self.root.join(format!(".bucket-{}.hashed-{hash}.{kind}.json", b64(bucket)))
    }

    fn attributes_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.sidecar(bucket, key, "metadata")
    }

    fn internal_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.sidecar(bucket, key, "internal")
    }

    /// Takes `body` into a temporary file, failing if it stalls for `idle`, ends before
    /// `expected` bytes or passes `max` bytes; `checksum` hashes it as it comes.
    pub async fn receive(
        &self,
        body: StreamingBlob,
        expected: Option<u64>,
        max: u64,
        idle: Duration,
        mut checksum: s3s::checksum::ChecksumHasher,
    ) -> Result<Received, BodyError> {
        let (data, file) = Temp::create(&self.root).await?;
        let mut file = tokio::io::BufWriter::new(file);
        let (mut md5, mut size) = (Md5::new(), 0u64);
        let mut body = std::pin::pin!(body);
        loop {
            let chunk: Bytes = match tokio::time::timeout(idle, body.next()).await {
                Err(_) => return Err(BodyError::Idle(idle)),
                Ok(None) => break,
                Ok(Some(Ok(chunk))) => chunk,
                Ok(Some(Err(error))) => return Err(classify(&*error, size)),
            };
            size += chunk.len() as u64;
            if size > max {
                return Err(BodyError::TooLarge(max));
            }
            md5.update(&chunk);
            checksum.update(&chunk);
            file.write_all(&chunk).await?;
        }
        if expected.is_some_and(|expected| size < expected) {
            return Err(BodyError::Incomplete { received: size });
        }
        file.flush().await?;
        Ok(Received { data, size, md5: hex(&md5.finalize()), checksum: checksum.finalize() })
    }

    /// Writes the sidecars beside `data`, for [`Files::place`].
    pub async fn stage(
        &self,
        data: Temp,
        attributes: &Attributes,
        internal: &Internal,
    ) -> io::Result<Staged> {
        let attributes = Temp::holding(&self.root, &to_json(attributes)).await?;
        let internal = Temp::holding(&self.root, &to_json(internal)).await?;
        Ok(Staged { data, attributes, internal })
    }

    /// Copies an open object's bytes into a temporary file.
    pub async fn copy_into_temp(&self, mut source: tokio::fs::File) -> io::Result<Temp> {
        let (data, mut file) = Temp::create(&self.root).await?;
        tokio::io::copy(&mut source, &mut file).await?;
        file.flush().await?;
        Ok(data)
    }

    /// A temporary file holding `parts` one after the other, with their MD5s; fails with
    /// `TooLarge` as soon as they pass `max` bytes.
    pub async fn concatenate(
        &self,
        parts: &[PathBuf],
        max: u64,
    ) -> Result<(Temp, u64, Vec<[u8; 16]>), BodyError> {
        use tokio::io::AsyncReadExt;
        let (data, file) = Temp::create(&self.root).await?;
        let mut file = tokio::io::BufWriter::new(file);
        let (mut size, mut md5s, mut buffer) = (0u64, Vec::new(), vec![0u8; 64 * 1024]);
        for part in parts {
            let mut reader = tokio::fs::File::open(part).await?;
            let mut md5 = Md5::new();
            loop {
                let read = reader.read(&mut buffer).await?;
                if read == 0 {
                    break;
                }
                size += read as u64;
                if size > max {
                    return Err(BodyError::TooLarge(max));
                }
                md5.update(&buffer[..read]);
                file.write_all(&buffer[..read]).await?;
            }
            md5s.push(md5.finalize());
        }
        file.flush().await?;
        Ok((data, size, md5s))
    }

    /// Renames a staged object into place as `bucket`/`key`; on failure nothing of it stays.
    pub async fn place(&self, bucket: &str, key: &str, staged: Staged) -> io::Result<()> {
        let object = self.object_path(bucket, key);
        let Staged { mut data, attributes, internal } = staged;
        let placed = async {
            let folder = object.parent().expect("an object is in its bucket's folder");
            tokio::fs::create_dir_all(folder).await?;
            if let Err(error) = data.rename(&object).await {
                // A DELETE of the last other key in the folder may have removed it just now.
                if error.kind() != io::ErrorKind::NotFound {
                    return Err(error);
                }
                tokio::fs::create_dir_all(folder).await?;
                data.rename(&object).await?;
            }
            attributes.place(&self.attributes_path(bucket, key)).await?;
            internal.place(&self.internal_path(bucket, key)).await
        }
        .await;
        if placed.is_err() {
            let _ = self.remove(bucket, key).await;
        }
        placed
    }

    /// Removes the object and its sidecars, and the folders its key made that are now empty.
    pub async fn remove(&self, bucket: &str, key: &str) -> io::Result<()> {
        let object = self.object_path(bucket, key);
        for path in [object.clone(), self.attributes_path(bucket, key), self.internal_path(bucket, key)] {
            match tokio::fs::remove_file(&path).await {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
        // S3 has no folders: a key's folders go with its last object.
        let bucket_folder = self.root.join(bucket);
        for folder in object.ancestors().skip(1).take_while(|folder| *folder != bucket_folder) {
            if tokio::fs::remove_dir(folder).await.is_err() {
                break;
            }
        }
        Ok(())
    }

    pub async fn attributes(&self, bucket: &str, key: &str) -> Attributes {
        read_json(&self.attributes_path(bucket, key)).await.unwrap_or_default()
    }

    pub async fn internal(&self, bucket: &str, key: &str) -> Internal {
        read_json(&self.internal_path(bucket, key)).await.unwrap_or_default()
    }

    /// The stored ETag, or the MD5 of the bytes for an object stored without one.
    pub async fn e_tag(&self, bucket: &str, key: &str, internal: &Internal) -> io::Result<String> {
        if let Some(e_tag) = &internal.e_tag {
            return Ok(e_tag.clone());
        }
        md5_of(&self.object_path(bucket, key)).await
    }
}

/// Sorts a failed body stream into what the client did wrong: the signature checks s3s runs on
/// the stream say so in their text (their types are private to s3s); anything else that
/// stopped the stream before its length (the client closed it, or a broken chunk) is an
/// incomplete body.
fn classify(error: &(dyn std::error::Error + 'static), received: u64) -> BodyError {
    let text = error.to_string();
    if text.contains("Sha256Mismatch") {
        BodyError::Sha256Mismatch
    } else if text.contains("SignatureMismatch") {
        BodyError::SignatureMismatch
    } else {
        BodyError::Incomplete { received }
    }
}

/// The hex MD5 of a file's bytes.
pub async fn md5_of(path: &Path) -> io::Result<String> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await?;
    let (mut md5, mut buffer) = (Md5::new(), vec![0u8; 64 * 1024]);
    loop {
        match file.read(&mut buffer).await? {
            0 => return Ok(hex(&md5.finalize())),
            read => md5.update(&buffer[..read]),
        }
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&tokio::fs::read(path).await.ok()?).ok()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serializes a sidecar: plain structs of strings, which cannot fail.
fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("a sidecar serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(root: &Path) -> Vec<String> {
        let mut names = walk(root, root);
        names.sort();
        names
    }

    fn walk(root: &Path, folder: &Path) -> Vec<String> {
        std::fs::read_dir(folder)
            .unwrap()
            .map(Result::unwrap)
            .flat_map(|entry| {
                let name = entry.path().strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if entry.file_type().unwrap().is_dir() {
                    [vec![format!("{name}/")], walk(root, &entry.path())].concat()
                } else {
                    vec![name]
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn sidecars_are_named_as_s3s_fs_names_them_or_by_hash_and_go_with_their_object() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("b")).unwrap();
        let files = Files { root: root.path().to_owned() };
        let short = "x/y.txt";
        assert!(files.attributes_path("b", short).ends_with(".bucket-Yg.object-eC95LnR4dA.metadata.json"));
        let long = format!("x/{}/y.txt", "é".repeat(100));
        let sidecar = files.internal_path("b", &long);
        let name = sidecar.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(".bucket-Yg.hashed-") && name.len() <= MAX_FILE_NAME, "{name}");

        for key in [short, long.as_str()] {
            let (data, mut file) = Temp::create(root.path()).await.unwrap();
            file.write_all(b"bytes").await.unwrap();
            let internal = Internal::new("etag".into(), Checksum::default());
            let staged = files.stage(data, &Attributes::default(), &internal).await.unwrap();
            files.place("b", key, staged).await.unwrap();
            assert_eq!(files.internal("b", key).await.e_tag.as_deref(), Some("etag"));
            assert_eq!(std::fs::read(files.object_path("b", key)).unwrap(), b"bytes");
            assert_eq!(
                names(root.path()).iter().filter(|n| n.starts_with('.')).count(),
                2,
                "no temporary file"
            );
            files.remove("b", key).await.unwrap();
            assert_eq!(names(root.path()), ["b/"], "nothing of {key:?}, not even its folders");
        }
    }
}
