//! Multipart uploads in progress, beside the buckets: a record per upload
//! (`.multipart-<id>.json`: its bucket, key and attributes; its time is when it began) and its
//! parts (`.multipart-<id>.part-<n>`). Unlike `s3s-fs`'s records, which hold only the access
//! key, these say which object an upload is for, so the uploads can be listed, and those
//! abandoned found and removed (S3's lifecycle rule `AbortIncompleteMultipartUpload`).
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::files::{Attributes, Temp};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub bucket: String,
    pub key: String,
    pub attributes: Attributes,
}

/// An upload found on disk.
pub struct Upload {
    pub id: Uuid,
    pub record: Record,
    pub initiated: SystemTime,
}

pub struct Uploads {
    pub root: PathBuf,
}

impl Uploads {
    fn record_path(&self, id: &Uuid) -> PathBuf {
        self.root.join(format!(".multipart-{id}.json"))
    }

    pub fn part_path(&self, id: &Uuid, part: i32) -> PathBuf {
        self.root.join(format!(".multipart-{id}.part-{part}"))
    }

    pub async fn create(&self, record: &Record) -> io::Result<Uuid> {
        let id = Uuid::new_v4();
        let json = serde_json::to_vec(record).expect("a record serializes");
        Temp::holding(&self.root, &json).await?.place(&self.record_path(&id)).await?;
        Ok(id)
    }

    /// The upload `id` names, if it is in progress.
    pub async fn find(&self, id: &str) -> Option<Upload> {
        let id = Uuid::parse_str(id).ok()?;
        let path = self.record_path(&id);
        let record = serde_json::from_slice(&tokio::fs::read(&path).await.ok()?).ok()?;
        let initiated = tokio::fs::metadata(&path).await.ok()?.modified().ok()?;
        Some(Upload { id, record, initiated })
    }

    /// Its parts received so far, by number.
    pub async fn parts(&self, id: &Uuid) -> io::Result<BTreeMap<i32, (PathBuf, std::fs::Metadata)>> {
        let prefix = format!(".multipart-{id}.part-");
        let mut parts = BTreeMap::new();
        let mut entries = tokio::fs::read_dir(&self.root).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            let number = name.to_str().and_then(|name| name.strip_prefix(&prefix)?.parse().ok());
            if let Some(number) = number {
                parts.insert(number, (entry.path(), entry.metadata().await?));
            }
        }
        Ok(parts)
    }

    /// Removes the upload: its parts, then its record.
    pub async fn remove(&self, id: &Uuid) -> io::Result<()> {
        for (path, _) in self.parts(id).await?.into_values() {
            remove_if_there(&path)?;
        }
        remove_if_there(&self.record_path(id))
    }

    /// Every upload in progress.
    pub async fn all(&self) -> io::Result<Vec<Upload>> {
        let mut uploads = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.root).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            let id = name.to_str().and_then(|n| n.strip_prefix(".multipart-")?.strip_suffix(".json"));
            if let Some(upload) = match id {
                Some(id) => self.find(id).await,
                None => None,
            } {
                uploads.push(upload);
            }
        }
        Ok(uploads)
    }
}

fn remove_if_there(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// The upload a file beside the buckets belongs to, and whether it is the upload's record:
/// ours (`.multipart-<id>.json`, `.multipart-<id>.part-<n>`) or those `s3s-fs` left
/// (`.upload-<id>.json`, `.upload_id-<id>.part-<n>`, `.bucket-….upload-<id>.metadata.json`).
fn upload_of(name: &str) -> Option<(Uuid, bool)> {
    // Base64 has no `.`, so no sidecar of an object holds these markers.
    [".multipart-", ".upload-", ".upload_id-"].iter().find_map(|marker| {
        let start = name.find(marker)? + marker.len();
        let id = Uuid::parse_str(name.get(start..start + 36)?).ok()?;
        let rest = &name[start + 36..];
        Some((id, name.starts_with(marker) && rest == ".json"))
    })
}

/// Removes the uploads begun more than `max_age` ago (by their record's time, or, with no
/// record, their newest file's), all their files; returns how many.
pub fn abort_abandoned(root: &Path, max_age: Duration) -> io::Result<usize> {
    struct Found {
        files: Vec<PathBuf>,
        began: Option<SystemTime>,
        newest: SystemTime,
    }
    let mut found: BTreeMap<Uuid, Found> = BTreeMap::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let Some((id, is_record)) = entry.file_name().to_str().and_then(upload_of) else { continue };
        let modified = entry.metadata()?.modified()?;
        let upload = found.entry(id).or_insert(Found { files: Vec::new(), began: None, newest: modified });
        upload.files.push(entry.path());
        upload.newest = upload.newest.max(modified);
        if is_record {
            upload.began = Some(modified);
        }
    }
    let now = SystemTime::now();
    let mut aborted = 0;
    for upload in found.into_values() {
        let age = now.duration_since(upload.began.unwrap_or(upload.newest)).unwrap_or_default();
        if age >= max_age {
            upload.files.iter().try_for_each(|path| remove_if_there(path))?;
            aborted += 1;
        }
    }
    Ok(aborted)
}

/// One line of a ListMultipartUploads answer: an upload, or the common prefix that a delimiter
/// rolls the uploads of deeper keys into.
pub enum Entry<'a> {
    Upload(&'a Upload),
    Prefix(String),
}

impl Entry<'_> {
    pub fn key(&self) -> &str {
        match self {
            Entry::Upload(upload) => &upload.record.key,
            Entry::Prefix(prefix) => prefix,
        }
    }
}

/// `uploads` (sorted by key, then start) as S3 lists them: each key holding `delimiter` after
/// `prefix` rolled into its common prefix, listed once.
pub fn roll_up<'a>(uploads: &'a [Upload], prefix: &str, delimiter: Option<&str>) -> Vec<Entry<'a>> {
    let mut entries: Vec<Entry<'a>> = Vec::new();
    for upload in uploads {
        let key = &upload.record.key;
        let rolled = delimiter.filter(|d| !d.is_empty()).and_then(|delimiter| {
            let end = prefix.len() + key[prefix.len()..].find(delimiter)? + delimiter.len();
            Some(key[..end].to_owned())
        });
        match rolled {
            Some(common)
                if entries.last().is_some_and(|last| matches!(last, Entry::Prefix(p) if *p == common)) => {}
            Some(common) => entries.push(Entry::Prefix(common)),
            None => entries.push(Entry::Upload(upload)),
        }
    }
    entries
}

/// Where a page of `entries` begins after S3's markers: past the key marker, or, with an
/// upload-ID marker too, past that upload of that key.
pub fn first_after(entries: &[Entry], key_marker: Option<&str>, upload_id_marker: Option<&str>) -> usize {
    let Some(key_marker) = key_marker else { return 0 };
    let named = upload_id_marker.and_then(|id| {
        entries.iter().position(|entry| {
            matches!(entry, Entry::Upload(upload) if upload.record.key == key_marker && upload.id.to_string() == id)
        })
    });
    named.map_or_else(|| entries.partition_point(|entry| entry.key() <= key_marker), |at| at + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_told_apart_by_their_upload() {
        let id = "0b7e4d8c-7f5e-4a52-9d43-2d8e3c1f6a10";
        let uuid = Uuid::parse_str(id).unwrap();
        assert_eq!(upload_of(&format!(".multipart-{id}.json")), Some((uuid, true)));
        assert_eq!(upload_of(&format!(".multipart-{id}.part-3")), Some((uuid, false)));
        assert_eq!(upload_of(&format!(".upload-{id}.json")), Some((uuid, true)));
        assert_eq!(upload_of(&format!(".upload_id-{id}.part-12")), Some((uuid, false)));
        assert_eq!(
            upload_of(&format!(".bucket-ZGVjaw.object-YQ.upload-{id}.metadata.json")),
            Some((uuid, false))
        );
        for name in [".bucket-ZGVjaw.object-YQ.metadata.json", ".tmp.1.internal.part", ".multipart-nope.json"]
        {
            assert_eq!(upload_of(name), None, "{name}");
        }
    }

    #[test]
    fn only_uploads_past_the_age_are_aborted_whole() {
        let root = tempfile::tempdir().unwrap();
        let ours = Uuid::new_v4();
        let left_by_s3s_fs = Uuid::new_v4();
        let names = [
            format!(".multipart-{ours}.json"),
            format!(".multipart-{ours}.part-1"),
            format!(".upload-{left_by_s3s_fs}.json"),
            format!(".upload_id-{left_by_s3s_fs}.part-1"),
        ];
        for name in &names {
            std::fs::write(root.path().join(name), b"x").unwrap();
        }
        std::fs::write(root.path().join(".bucket-YQ.object-Yg.metadata.json"), b"{}").unwrap();
        assert_eq!(abort_abandoned(root.path(), Duration::from_secs(3600)).unwrap(), 0);
        assert!(names.iter().all(|name| root.path().join(name).exists()));
        assert_eq!(abort_abandoned(root.path(), Duration::ZERO).unwrap(), 2);
        let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, [".bucket-YQ.object-Yg.metadata.json"], "an object's sidecar is no upload's");
    }

    #[test]
    fn uploads_page_after_the_markers() {
        let upload = |key: &str, n: u128| Upload {
            id: uuid::Uuid::from_u128(n),
            record: Record { bucket: "b".into(), key: key.into(), attributes: Attributes::default() },
            initiated: std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(n as u64),
        };
        let uploads = [upload("a", 1), upload("a", 2), upload("b", 3)];
        let entries = roll_up(&uploads, "", None);
        let id = |n: u128| uuid::Uuid::from_u128(n).to_string();
        assert_eq!(first_after(&entries, None, None), 0);
        assert_eq!(first_after(&entries, Some("a"), None), 2, "past every upload of the key");
        assert_eq!(first_after(&entries, Some("a"), Some(&id(1))), 1, "past that upload");
        assert_eq!(first_after(&entries, Some("a"), Some(&id(3))), 2, "an ID of another key: past the key");
        assert_eq!(first_after(&entries, Some("c"), None), 3);
    }

    #[test]
    fn a_delimiter_rolls_deeper_keys_into_their_common_prefix_once() {
        let upload = |key: &str| Upload {
            id: uuid::Uuid::new_v4(),
            record: Record { bucket: "b".into(), key: key.into(), attributes: Attributes::default() },
            initiated: std::time::SystemTime::UNIX_EPOCH,
        };
        let uploads = ["a.bin", "photos/2026/x", "photos/2026/y", "photos/z", "q"].map(upload);
        let keys = |entries: Vec<Entry>| entries.iter().map(|e| e.key().to_owned()).collect::<Vec<_>>();
        assert_eq!(keys(roll_up(&uploads, "", Some("/"))), ["a.bin", "photos/", "q"]);
        assert_eq!(keys(roll_up(&uploads[1..4], "photos/", Some("/"))), ["photos/2026/", "photos/z"]);
        assert_eq!(keys(roll_up(&uploads, "", None)).len(), 5);
        let entries = roll_up(&uploads, "", Some("/"));
        assert_eq!(first_after(&entries, Some("photos/"), None), 2, "past the prefix given as marker");
    }
}
