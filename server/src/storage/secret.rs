//! The local S3 API's secret: made once per data folder, kept in a file only its owner can read,
//! never a published constant. A web page cannot know it, so it cannot sign a request; the
//! presenter sees it at start and gets it with `serverless-deck credentials`.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The file beside the buckets' folders (a file, so S3's ListBuckets never shows it).
const FILE: &str = ".serverless-deck-secret";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the S3 secret {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write the S3 secret {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the S3 secret {path} is not 32 hexadecimal digits: delete it to have a new one made")]
    Malformed { path: PathBuf },
}

/// The secret of the data folder `data`, made (with the folder) if it has none yet.
pub fn load_or_create(data: &Path) -> Result<String, SecretError> {
    let path = data.join(FILE);
    if let Some(secret) = load(data)? {
        return Ok(secret);
    }
    std::fs::create_dir_all(data).map_err(|source| SecretError::Write { path: path.clone(), source })?;
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(secret.as_bytes()));
    match written {
        Ok(()) => Ok(secret),
        // Another server started on the same folder at the same moment: its secret stands.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            load(data)?.ok_or(SecretError::Malformed { path })
        }
        Err(source) => Err(SecretError::Write { path, source }),
    }
}

/// The secret of `data`, if one was made.
pub fn load(data: &Path) -> Result<Option<String>, SecretError> {
    let path = data.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let secret = text.trim();
            if secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(Some(secret.to_owned()))
            } else {
                Err(SecretError::Malformed { path })
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SecretError::Read { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_folder_keeps_its_own_secret_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("deck-data");
        assert!(load(&data).unwrap().is_none());
        let secret = load_or_create(&data).unwrap();
        assert_eq!(secret.len(), 32);
        assert_eq!(load_or_create(&data).unwrap(), secret, "the same folder, the same secret");
        let mode = std::fs::metadata(data.join(FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let other = load_or_create(&dir.path().join("other")).unwrap();
        assert_ne!(other, secret);

        std::fs::write(data.join(FILE), "guessable").unwrap();
        let error = load_or_create(&data).unwrap_err().to_string();
        assert!(error.contains(".serverless-deck-secret is not 32 hexadecimal digits"), "{error}");
    }
}
