//! Presigned S3 URLs (SigV4 in the query string, as the AWS SDKs make them), so a browser can
//! upload one object with a plain `PUT` and no credentials.
use std::fmt::Write as _;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::clock::UtcTime;

/// Credentials and region that sign URLs for the local S3 API.
pub struct Presigner {
    pub access_key: String,
    pub secret: String,
    pub region: String,
}

impl Presigner {
    /// A URL for `method` on `bucket`/`key` at `origin` (e.g. `http://127.0.0.1:8080`), valid for
    /// `expires` from `now`. With a `content_type`, that type is signed: the request must carry
    /// it as its `Content-Type`. The payload is not signed, so any body can follow.
    #[allow(clippy::too_many_arguments)]
    pub fn url(
        &self,
        method: &str,
        origin: &str,
        bucket: &str,
        key: &str,
        content_type: Option<&str>,
        expires: Duration,
        now: UtcTime,
    ) -> String {
        let path = format!("/{}/{}", uri_encode(bucket, false), uri_encode(key, false));
        self.url_of_path(method, origin, &path, content_type, expires, now)
    }

    /// The same for an encoded `path` (path-style `/<bucket>/<key>`, or `/<key>` on a bucket's host).
    fn url_of_path(
        &self,
        method: &str,
        origin: &str,
        path: &str,
        content_type: Option<&str>,
        expires: Duration,
        now: UtcTime,
    ) -> String {
        let host = origin.split_once("://").map_or(origin, |(_, host)| host);
        // Canonical headers, sorted by name, as the canonical request needs them.
        let headers: Vec<(&str, &str)> =
            content_type.map(|kind| ("content-type", kind)).into_iter().chain([("host", host)]).collect();
        let signed_headers = headers.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(";");
        let canonical_headers: String =
            headers.iter().map(|(name, value)| format!("{name}:{}\n", value.trim())).collect();
        let date = format!("{:04}{:02}{:02}", now.year, now.month, now.day);
        let time = format!("{date}T{:02}{:02}{:02}Z", now.hour, now.minute, now.second);
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        // Sorted by name, as the canonical request needs them.
        let query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
            ("X-Amz-Credential", format!("{}/{scope}", self.access_key)),
            ("X-Amz-Date", time.clone()),
            ("X-Amz-Expires", expires.as_secs().to_string()),
            ("X-Amz-SignedHeaders", signed_headers.clone()),
        ]
        .iter()
        .map(|(name, value)| format!("{name}={}", uri_encode(value, true)))
        .collect::<Vec<_>>()
        .join("&");
        let canonical =
            format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\nUNSIGNED-PAYLOAD");
        let to_sign = format!("AWS4-HMAC-SHA256\n{time}\n{scope}\n{}", hex(&Sha256::digest(canonical)));
        let mut key = hmac(format!("AWS4{}", self.secret).as_bytes(), date.as_bytes());
        for part in [self.region.as_str(), "s3", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex(&hmac(&key, to_sign.as_bytes()));
        format!("{origin}{path}?{query}&X-Amz-Signature={signature}")
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// SigV4's URI encoding: everything but `A-Za-z0-9-._~` as `%XX`, and `/` too in query values.
fn uri_encode(text: &str, slash_too: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            b'/' if !slash_too => out.push('/'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's own example of a presigned URL ("Authenticating Requests: Using Query Parameters",
    /// in the S3 API reference), signature and all.
    #[test]
    fn signs_as_aws_documents() {
        let presigner = Presigner {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            region: "us-east-1".into(),
        };
        let may_24_2013 = UtcTime { year: 2013, month: 5, day: 24, hour: 0, minute: 0, second: 0, millis: 0 };
        let url = presigner.url_of_path(
            "GET",
            "https://examplebucket.s3.amazonaws.com",
            "/test.txt",
            None,
            Duration::from_secs(86_400),
            may_24_2013,
        );
        assert_eq!(
            url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
        let path_style = presigner.url(
            "PUT",
            "http://127.0.0.1:8080",
            "deck-photos",
            "uploads/a b.jpg",
            Some("image/jpeg"),
            Duration::from_secs(60),
            may_24_2013,
        );
        assert!(
            path_style.starts_with("http://127.0.0.1:8080/deck-photos/uploads/a%20b.jpg?X-Amz-Algorithm="),
            "{path_style}"
        );
        assert!(path_style.contains("&X-Amz-SignedHeaders=content-type%3Bhost&"), "{path_style}");
    }

    #[test]
    fn keys_are_encoded_as_sigv4_wants() {
        assert_eq!(uri_encode("uploads/cat photo+1 é.jpg", false), "uploads/cat%20photo%2B1%20%C3%A9.jpg");
        assert_eq!(uri_encode("a/b", true), "a%2Fb");
    }
}
