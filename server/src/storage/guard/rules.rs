//! S3's rules the local S3 keeps, as plain functions of what a request says: which keys it
//! stores, which ranges and presigned lifetimes it takes, which digests and checksums a body
//! must match, and the ETag of a multipart object.
use s3s::dto::{Checksum, ChecksumAlgorithm, PutObjectInput, Range};
use s3s::{s3_error, S3Error, S3Result};

use super::files;

/// S3 refuses presigned URLs valid for longer than a week.
pub const MAX_PRESIGNED_LIFETIME_S: u64 = 604_800;

/// A `Content-MD5` that does not match the body: S3's `BadDigest` (and nothing stored).
pub fn check_md5(content_md5: Option<&str>, md5: &str) -> S3Result<()> {
    use base64::Engine;
    let Some(content_md5) = content_md5 else { return Ok(()) };
    let sent = base64::engine::general_purpose::STANDARD
        .decode(content_md5)
        .ok()
        .filter(|sent| sent.len() == 16)
        .ok_or_else(|| s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid."))?;
    if files::hex(&sent) != md5 {
        return Err(s3_error!(BadDigest, "The Content-MD5 you specified did not match what we received."));
    }
    Ok(())
}

/// What a PUT asks checked beyond its MD5: the checksums it names, in headers or trailers.
pub fn checksum_hasher(input: &PutObjectInput) -> S3Result<s3s::checksum::ChecksumHasher> {
    let mut hasher = s3s::checksum::ChecksumHasher::default();
    let algorithm = input.checksum_algorithm.as_ref().map(ChecksumAlgorithm::as_str);
    if input.checksum_crc32.is_some() || algorithm == Some(ChecksumAlgorithm::CRC32) {
        hasher.crc32 = Some(Default::default());
    }
    if input.checksum_crc32c.is_some() || algorithm == Some(ChecksumAlgorithm::CRC32C) {
        hasher.crc32c = Some(Default::default());
    }
    if input.checksum_sha1.is_some() || algorithm == Some(ChecksumAlgorithm::SHA1) {
        hasher.sha1 = Some(Default::default());
    }
    if input.checksum_sha256.is_some() || algorithm == Some(ChecksumAlgorithm::SHA256) {
        hasher.sha256 = Some(Default::default());
    }
    if input.checksum_crc64nvme.is_some() || algorithm == Some(ChecksumAlgorithm::CRC64NVME) {
        hasher.crc64nvme = Some(Default::default());
    }
    match algorithm {
        Some(
            ChecksumAlgorithm::CRC32
            | ChecksumAlgorithm::CRC32C
            | ChecksumAlgorithm::SHA1
            | ChecksumAlgorithm::SHA256
            | ChecksumAlgorithm::CRC64NVME,
        )
        | None => Ok(hasher),
        Some(other) => Err(s3_error!(InvalidArgument, "unsupported checksum algorithm {other}")),
    }
}

/// The checksums a PUT claims: its headers, or the trailers of an `aws-chunked` body.
pub fn claimed_checksum(input: &PutObjectInput, trailers: Option<&s3s::TrailingHeaders>) -> Checksum {
    let trailers = trailers.and_then(s3s::TrailingHeaders::take).unwrap_or_default();
    let claim = |header: &str, value: &Option<String>| {
        trailers.get(header).and_then(|v| v.to_str().ok()).map(str::to_owned).or_else(|| value.clone())
    };
    Checksum {
        checksum_crc32: claim("x-amz-checksum-crc32", &input.checksum_crc32),
        checksum_crc32c: claim("x-amz-checksum-crc32c", &input.checksum_crc32c),
        checksum_sha1: claim("x-amz-checksum-sha1", &input.checksum_sha1),
        checksum_sha256: claim("x-amz-checksum-sha256", &input.checksum_sha256),
        checksum_crc64nvme: claim("x-amz-checksum-crc64nvme", &input.checksum_crc64nvme),
        ..Default::default()
    }
}

pub fn check_checksum(claimed: &Checksum, computed: &Checksum) -> S3Result<()> {
    let pairs = [
        ("CRC32", &claimed.checksum_crc32, &computed.checksum_crc32),
        ("CRC32C", &claimed.checksum_crc32c, &computed.checksum_crc32c),
        ("SHA1", &claimed.checksum_sha1, &computed.checksum_sha1),
        ("SHA256", &claimed.checksum_sha256, &computed.checksum_sha256),
        ("CRC64NVME", &claimed.checksum_crc64nvme, &computed.checksum_crc64nvme),
    ];
    match pairs.iter().find(|(_, claimed, computed)| claimed != computed) {
        Some((name, _, _)) => {
            Err(s3_error!(BadDigest, "The {name} you specified did not match the calculated checksum."))
        }
        None => Ok(()),
    }
}

/// The bytes `[start, end)` of an object of `size` bytes that `range` asks for, as S3 reads a
/// `Range` header: a suffix longer than the object is the whole object, an end past it stops
/// at its end, and a start at or past it (or any range of an empty object) is unsatisfiable.
pub fn satisfiable(range: Range, size: u64) -> Option<(u64, u64)> {
    match range {
        Range::Int { first, .. } if first >= size => None,
        Range::Int { first, last } => {
            Some((first, last.map_or(size, |last| last.saturating_add(1).min(size))))
        }
        Range::Suffix { length: 0 } => None,
        Range::Suffix { .. } if size == 0 => None,
        Range::Suffix { length } => Some((size.saturating_sub(length), size)),
    }
}

/// Why the local S3 cannot store a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("a key is not empty")]
    Empty,
    #[error("a key is at most {MAX_KEY_BYTES} bytes of UTF-8")]
    TooLong,
    #[error("backslashes and NUL are not supported in keys by the local S3")]
    Characters,
    #[error("empty, `.` and `..` path segments are not supported in keys by the local S3")]
    Segments,
    #[error(
        "a path segment (between slashes) of more than {} bytes is not supported by the local S3, which stores it as a file name",
        files::MAX_FILE_NAME
    )]
    SegmentTooLong,
}

/// S3's longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

impl KeyProblem {
    pub fn refusal(self, key: &str) -> S3Error {
        let shown: String = key.chars().take(80).collect();
        match self {
            KeyProblem::TooLong | KeyProblem::SegmentTooLong => {
                s3_error!(KeyTooLongError, "Your key is too long: {self} (key {shown:?}…)")
            }
            _ => s3_error!(InvalidArgument, "key {shown:?}: {self}"),
        }
    }
}

/// Why the local S3 cannot store `key` as a file (S3 itself would, but for its length), or `None`.
pub fn key_problem(key: &str) -> Option<KeyProblem> {
    if key.is_empty() {
        Some(KeyProblem::Empty)
    } else if key.len() > MAX_KEY_BYTES {
        Some(KeyProblem::TooLong)
    } else if key.contains(['\\', '\0']) {
        Some(KeyProblem::Characters)
    } else if key.split('/').any(|segment| segment.is_empty() || segment == "." || segment == "..") {
        Some(KeyProblem::Segments)
    } else if key.split('/').any(|segment| segment.len() > files::MAX_FILE_NAME) {
        Some(KeyProblem::SegmentTooLong)
    } else {
        None
    }
}

/// What S3 says of a presigned URL's `X-Amz-Expires` in `query`, if it refuses it.
pub fn lifetime_problem(query: &str) -> Option<&'static str> {
    let (_, expires) = form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "X-Amz-Expires")?;
    match expires.parse::<i64>() {
        Ok(seconds) if seconds < 0 => Some("X-Amz-Expires must be non-negative"),
        Ok(seconds) if seconds.unsigned_abs() > MAX_PRESIGNED_LIFETIME_S => {
            Some("X-Amz-Expires must be less than a week (in seconds) that is; 604800")
        }
        Ok(_) => None,
        Err(_) => Some("X-Amz-Expires should be a number"),
    }
}

/// S3's ETag of a multipart object: the MD5 of its parts' MD5s, and how many parts.
pub fn multipart_e_tag(md5s: &[[u8; 16]]) -> String {
    use s3s::crypto::{Checksum as _, Md5};
    let mut md5 = Md5::new();
    for part in md5s {
        md5.update(part);
    }
    format!("{}-{}", files::hex(&md5.finalize()), md5s.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::S3ErrorCode;

    #[test]
    fn keys_that_would_leave_the_bucket_folder_are_refused() {
        for key in ["photo.jpg", "uploads/2026/cat.png", "thumbnails/160/a b+c%20.jpg", "é/ü"] {
            assert_eq!(key_problem(key), None, "{key}");
        }
        for key in ["", "../other/x", "a/../../x", "./a", "a//b", "/a", "a/", "a\\b", "a\0b"] {
            assert!(key_problem(key).is_some(), "{key:?}");
        }
    }

    #[test]
    fn keys_are_as_long_as_s3_takes_them_in_segments_a_file_name_can_hold() {
        let segment = "é".repeat(127); // 254 bytes
        let long = [segment.as_str(); 4].join("/");
        assert_eq!(long.len(), 1019);
        assert_eq!(key_problem(&long), None);
        assert_eq!(key_problem(&"a".repeat(1024)[..]), Some(KeyProblem::SegmentTooLong));
        assert_eq!(key_problem(&format!("{long}/abcd")), None, "1024 bytes");
        assert_eq!(key_problem(&format!("{long}/abcde")), Some(KeyProblem::TooLong));
        assert_eq!(key_problem(&format!("uploads/{}", "b".repeat(256))), Some(KeyProblem::SegmentTooLong));
        assert_eq!(*KeyProblem::TooLong.refusal("k").code(), S3ErrorCode::KeyTooLongError);
        assert_eq!(*KeyProblem::Segments.refusal("k").code(), S3ErrorCode::InvalidArgument);
    }

    #[test]
    fn ranges_are_read_as_s3_reads_them() {
        let int = |first, last| Range::Int { first, last };
        assert_eq!(satisfiable(Range::Suffix { length: 100 }, 10), Some((0, 10)), "longer suffix: all");
        assert_eq!(satisfiable(Range::Suffix { length: 3 }, 10), Some((7, 10)));
        assert_eq!(satisfiable(int(5, None), 10), Some((5, 10)));
        assert_eq!(satisfiable(int(0, Some(0)), 10), Some((0, 1)));
        assert_eq!(satisfiable(int(8, Some(100)), 10), Some((8, 10)), "an end past the object");
        assert_eq!(satisfiable(int(9, Some(u64::MAX)), 10), Some((9, 10)));
        assert_eq!(satisfiable(int(10, None), 10), None, "a start past the end");
        assert_eq!(satisfiable(int(10, Some(20)), 10), None);
        assert_eq!(satisfiable(Range::Suffix { length: 0 }, 10), None);
        assert_eq!(satisfiable(Range::Suffix { length: 5 }, 0), None, "nothing of an empty object");
        assert_eq!(satisfiable(int(0, None), 0), None);
    }

    #[test]
    fn presigned_lifetimes_past_a_week_are_refused() {
        let query = |expires: &str| {
            format!("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host")
        };
        for fine in ["1", "3600", "604800", "0"] {
            assert_eq!(lifetime_problem(&query(fine)), None, "{fine}");
        }
        assert_eq!(
            lifetime_problem(&query("604801")),
            Some("X-Amz-Expires must be less than a week (in seconds) that is; 604800")
        );
        assert_eq!(lifetime_problem(&query("-1")), Some("X-Amz-Expires must be non-negative"));
        assert_eq!(lifetime_problem(&query("soon")), Some("X-Amz-Expires should be a number"));
        assert_eq!(lifetime_problem("list-type=2&prefix=a"), None, "not presigned");
    }

    #[test]
    fn a_multipart_etag_is_the_md5_of_the_parts_md5s_and_their_count() {
        // Two parts, "a" and "b": md5(md5("a") ‖ md5("b")), as S3 computes it.
        let md5 = |bytes: &[u8]| {
            use s3s::crypto::{Checksum as _, Md5};
            let mut md5 = Md5::new();
            md5.update(bytes);
            md5.finalize()
        };
        let parts = [md5(b"a"), md5(b"b")];
        assert_eq!(multipart_e_tag(&parts), format!("{}-2", files::hex(&md5(&parts.concat()))));
        assert_eq!(files::hex(&md5(b"a")), "0cc175b9c0f1b6a831c399e269772661");
    }
}
