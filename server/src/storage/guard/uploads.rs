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
}
