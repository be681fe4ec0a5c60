//! Asking for an upload: what the browser sends, and the ticket that lets it `PUT` one object
//! straight into the bucket with a presigned URL. The local server (`POST /api/uploads/{bucket}`)
//! and the upload function deployed on AWS answer alike, so the thumbnails panel speaks to both.
use serde::{Deserialize, Serialize};

/// Where uploads go: the prefix the thumbnail function is triggered by.
pub const UPLOAD_PREFIX: &str = "uploads/";
/// Where the thumbnail function writes, outside the prefix that triggers it.
pub const THUMBNAIL_PREFIX: &str = "thumbnails/";
/// How long a ticket's URL works.
pub const TICKET_LIFETIME_S: u64 = 300;

/// The local server's route for tickets into `bucket`.
pub fn upload_route(bucket: &str) -> String {
    format!("/api/uploads/{bucket}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRequest {
    /// The file's own name, for the key (made safe by [`upload_key`]).
    pub file_name: String,
    pub content_type: String,
    /// Bytes, checked against the bucket's limit before anything is sent.
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadTicket {
    pub bucket: String,
    pub key: String,
    /// `PUT` the file's bytes here, with the request's `Content-Type`.
    pub url: String,
    pub expires_in_s: u64,
    pub max_bytes: u64,
}

/// Why a ticket is refused; the answer's body is `{"error": "<this, as text>"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadProblem {
    #[error("the file is {size} bytes; this bucket takes at most {max_bytes} bytes ({} MB)", max_bytes / (1024 * 1024))]
    TooLarge { size: u64, max_bytes: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("{content_type:?} is not an image: pick a JPEG, PNG, GIF or WebP file")]
    NotAnImage { content_type: String },
}

/// The image types the thumbnail function reads.
pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

impl UploadRequest {
    pub fn check(&self, max_bytes: u64) -> Result<(), UploadProblem> {
        if !IMAGE_TYPES.contains(&self.content_type.as_str()) {
            return Err(UploadProblem::NotAnImage { content_type: self.content_type.clone() });
        }
        match self.size {
            0 => Err(UploadProblem::Empty),
            size if size > max_bytes => Err(UploadProblem::TooLarge { size, max_bytes }),
            _ => Ok(()),
        }
    }
}

/// `uploads/<id>/<name>`: `id` keeps two uploads of one name apart; the name keeps letters,
/// digits, `.`, `-` and `_` (others become `-`), at most 80 of them.
pub fn upload_key(id: &str, file_name: &str) -> String {
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' })
        .take(80)
        .collect();
    let name = name.trim_start_matches('.');
    let name = if name.is_empty() { "image" } else { name };
    format!("{UPLOAD_PREFIX}{id}/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: &str, size: u64) -> UploadRequest {
        UploadRequest { file_name: "cat.jpg".into(), content_type: content_type.into(), size }
    }

    #[test]
    fn images_within_the_limit_get_a_ticket() {
        assert_eq!(request("image/jpeg", 5_000_000).check(20 << 20), Ok(()));
        assert_eq!(
            request("image/png", 30 << 20).check(20 << 20),
            Err(UploadProblem::TooLarge { size: 30 << 20, max_bytes: 20 << 20 })
        );
        assert_eq!(
            request("image/png", 30 << 20).check(20 << 20).unwrap_err().to_string(),
            "the file is 31457280 bytes; this bucket takes at most 20971520 bytes (20 MB)"
        );
        assert_eq!(request("image/png", 0).check(1), Err(UploadProblem::Empty));
        assert!(matches!(request("text/html", 10).check(20), Err(UploadProblem::NotAnImage { .. })));
    }

    #[test]
    fn keys_keep_the_name_readable_and_inside_the_upload_prefix() {
        assert_eq!(upload_key("7f3a", "Cat photo (1).JPG"), "uploads/7f3a/Cat-photo--1-.JPG");
        assert_eq!(upload_key("7f3a", "../../etc/passwd"), "uploads/7f3a/passwd");
        assert_eq!(upload_key("7f3a", "C:\\Users\\me\\.hidden"), "uploads/7f3a/hidden");
        assert_eq!(upload_key("7f3a", "日本.png"), "uploads/7f3a/--.png");
        assert_eq!(upload_key("7f3a", ""), "uploads/7f3a/image");
        assert_eq!(upload_key("7f3a", &"a".repeat(500)).len(), "uploads/7f3a/".len() + 80);
    }

    #[test]
    fn the_wire_format_is_snake_case_json() {
        let ticket = UploadTicket {
            bucket: "b".into(),
            key: "uploads/1/a.png".into(),
            url: "http://x/b/uploads/1/a.png?X-Amz-Signature=1".into(),
            expires_in_s: 300,
            max_bytes: 10,
        };
        let json = serde_json::to_value(&ticket).unwrap();
        assert_eq!(json["expires_in_s"], 300);
        assert_eq!(serde_json::from_value::<UploadTicket>(json).unwrap(), ticket);
    }
}
