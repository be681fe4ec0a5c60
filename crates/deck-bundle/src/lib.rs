//! The presenter's one file: a release binary (`cargo xtask release`) carries the built deck and
//! the demo functions' static `bootstrap` binaries as a gzipped tar appended to itself. At start
//! it unpacks them into a cache folder named by the archive's hash, so the local platform still
//! runs real executables, the same ones AWS would.
//!
//! The archive's first entry is its manifest: every file with its SHA-256. Each start checks the
//! cached files against it (the manifest comes from the binary, not from the cache) and writes
//! again whatever is missing or changed. Files are written to a temporary name and renamed, and
//! the cache is the user's own: folders `0755`, files `0644`, executables `0755`.
//!
//! The trailer, the binary's last bytes: archive length (u64, little-endian), then [`MAGIC`].
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Ends a binary that carries a bundle.
pub const MAGIC: &[u8; 16] = b"deck-bundle-v1\0\0";
const TRAILER_LEN: u64 = 8 + MAGIC.len() as u64;
/// The archive's first entry.
pub const MANIFEST: &str = "manifest.json";
/// Where the deck is inside the bundle, and the functions file (its binaries beside it).
pub const DIST_DIR: &str = "dist";
pub const FUNCTIONS_FILE: &str = "functions/functions.toml";

/// What the archive holds, written by `cargo xtask release`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The version of the server that wrote it.
    pub version: String,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative, `/`-separated.
    pub path: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
    pub executable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read this program's own file {path}")]
    ReadSelf { path: PathBuf, source: io::Error },
    #[error("the bundle in this program is damaged ({0}); download it again")]
    Damaged(String),
    #[error("cannot write the cache folder {path}")]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "the cache folder {path} belongs to another user (uid {owner}); pass --cache-dir to use another"
    )]
    NotOurs { path: PathBuf, owner: u32 },
    #[error("no cache folder: set HOME or XDG_CACHE_HOME, or pass --cache-dir")]
    NoCacheDir,
}

/// Where a binary's bundle lies in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub offset: u64,
    pub len: u64,
}

/// The bundle this program carries, if it carries one.
pub fn locate(exe: &Path) -> Result<Option<Located>, BundleError> {
    let read_self = |source| BundleError::ReadSelf { path: exe.to_owned(), source };
    let mut file = File::open(exe).map_err(read_self)?;
    let size = file.metadata().map_err(read_self)?.len();
    if size < TRAILER_LEN {
        return Ok(None);
    }
    let mut trailer = [0u8; TRAILER_LEN as usize];
    file.seek(SeekFrom::Start(size - TRAILER_LEN)).map_err(read_self)?;
    file.read_exact(&mut trailer).map_err(read_self)?;
    if &trailer[8..] != MAGIC {
        return Ok(None);
    }
    let len = u64::from_le_bytes(trailer[..8].try_into().expect("eight bytes"));
    let offset = (size - TRAILER_LEN)
        .checked_sub(len)
        .ok_or_else(|| BundleError::Damaged(format!("an archive of {len} bytes in a file of {size}")))?;
    Ok(Some(Located { offset, len }))
}

/// Appends `archive` to `binary` as its bundle.
pub fn append(binary: &mut File, archive: &[u8]) -> io::Result<()> {
    binary.seek(SeekFrom::End(0))?;
    binary.write_all(archive)?;
    binary.write_all(&(archive.len() as u64).to_le_bytes())?;
    binary.write_all(MAGIC)
}

/// The default cache root: `$XDG_CACHE_HOME/serverless-deck`, else `~/.cache/serverless-deck`.
pub fn default_cache_root() -> Result<PathBuf, BundleError> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| Path::new(dir).is_absolute())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
        .ok_or(BundleError::NoCacheDir)?;
    Ok(base.join("serverless-deck"))
}

/// What [`unpack`] found and did.
#[derive(Debug)]
pub struct Unpacked {
    /// The folder holding `dist/` and `functions/`.
    pub root: PathBuf,
    /// Files written this time (all of them on a first run; none when the cache was intact).
    pub written: usize,
    pub files: usize,
}

impl Unpacked {
    pub fn dist(&self) -> PathBuf {
        self.root.join(DIST_DIR)
    }

    pub fn functions(&self) -> PathBuf {
        self.root.join(FUNCTIONS_FILE)
    }
}

/// Unpacks the bundle at `located` in `exe` under `cache_root`, in a folder named by the
/// archive's hash, writing only the files that are missing or differ from the manifest.
pub fn unpack(exe: &Path, located: Located, cache_root: &Path) -> Result<Unpacked, BundleError> {
    let read_self = |source| BundleError::ReadSelf { path: exe.to_owned(), source };
    let mut file = File::open(exe).map_err(read_self)?;
    file.seek(SeekFrom::Start(located.offset)).map_err(read_self)?;
    let mut archive = vec![0; located.len as usize];
    file.read_exact(&mut archive).map_err(read_self)?;
    let name = hex(&Sha256::digest(&archive))[..16].to_owned();
    let root = cache_root.join(name);
    if let Some(parent) = cache_root.parent() {
        fs::create_dir_all(parent)
            .map_err(|source| BundleError::Write { path: parent.to_owned(), source })?;
    }
    make_private_dir(cache_root)?;
    make_private_dir(&root)?;

    let mut reader = tar::Archive::new(flate2::read::GzDecoder::new(archive.as_slice()));
    let damaged = |e: io::Error| BundleError::Damaged(e.to_string());
    let mut entries = reader.entries().map_err(damaged)?;
    let mut next_file = move || -> Result<Option<(String, Vec<u8>)>, BundleError> {
        for entry in entries.by_ref() {
            let mut entry = entry.map_err(damaged)?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().map_err(damaged)?.to_string_lossy().into_owned();
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut bytes).map_err(damaged)?;
            return Ok(Some((path, bytes)));
        }
        Ok(None)
    };
    let manifest: Manifest = match next_file()? {
        Some((path, bytes)) if path == MANIFEST => serde_json::from_slice(&bytes)
            .map_err(|e| BundleError::Damaged(format!("its manifest does not read: {e}")))?,
        _ => return Err(BundleError::Damaged(format!("its first entry is not {MANIFEST}"))),
    };
    let stale: Vec<&ManifestFile> =
        manifest.files.iter().filter(|wanted| !is_intact(&root, wanted)).collect();
    let mut written = 0;
    if !stale.is_empty() {
        while let Some((path, bytes)) = next_file()? {
            let Some(wanted) = stale.iter().find(|f| f.path == path) else { continue };
            if hex(&Sha256::digest(&bytes)) != wanted.sha256 {
                return Err(BundleError::Damaged(format!("{path} does not match its hash")));
            }
            write_file(&root, wanted, &bytes)?;
            written += 1;
        }
        if written != stale.len() {
            return Err(BundleError::Damaged(format!(
                "the manifest lists {} files the archive does not hold",
                stale.len() - written
            )));
        }
    }
    Ok(Unpacked { root, written, files: manifest.files.len() })
}

fn is_intact(root: &Path, wanted: &ManifestFile) -> bool {
    let path = root.join(&wanted.path);
    let Ok(metadata) = fs::symlink_metadata(&path) else { return false };
    let mode = metadata.permissions().mode() & 0o777;
    let expected_mode = if wanted.executable { 0o755 } else { 0o644 };
    metadata.is_file()
        && mode == expected_mode
        && fs::read(&path).is_ok_and(|bytes| hex(&Sha256::digest(&bytes)) == wanted.sha256)
}

/// Writes one file beside its final name, then renames it there: a reader never sees half.
fn write_file(root: &Path, wanted: &ManifestFile, bytes: &[u8]) -> Result<(), BundleError> {
    let relative = safe_relative(&wanted.path)
        .ok_or_else(|| BundleError::Damaged(format!("{:?} is not a path inside the bundle", wanted.path)))?;
    let path = root.join(relative);
    let failed = |source| BundleError::Write { path: path.clone(), source };
    let mut folder = root.to_owned();
    for part in relative.parent().into_iter().flat_map(Path::components) {
        folder.push(part);
        make_private_dir(&folder)?;
    }
    let temporary = path.with_extension(format!("partial-{}", std::process::id()));
    let mut file = File::create(&temporary).map_err(failed)?;
    // No fsync: every start checks each file against its hash, so a file lost to a crash is
    // simply written again.
    file.write_all(bytes).map_err(failed)?;
    let mode = if wanted.executable { 0o755 } else { 0o644 };
    fs::set_permissions(&temporary, fs::Permissions::from_mode(mode)).map_err(failed)?;
    fs::rename(&temporary, &path).map_err(failed)
}

/// A folder of ours that only we write: made if missing, its mode set to `0755`.
fn make_private_dir(path: &Path) -> Result<(), BundleError> {
    let failed = |source| BundleError::Write { path: path.to_owned(), source };
    match fs::create_dir(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(failed(error)),
    }
    let metadata = fs::symlink_metadata(path).map_err(failed)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if metadata.uid() != me {
        return Err(BundleError::NotOurs { path: path.to_owned(), owner: metadata.uid() });
    }
    if !metadata.is_dir() {
        return Err(failed(io::Error::other("it is not a folder")));
    }
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(failed)
}

/// `path` as plain relative components (no `..`, no root), or `None`.
fn safe_relative(path: &str) -> Option<&Path> {
    let path = Path::new(path);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && path.components().next().is_some()).then_some(path)
}

/// Writes the archive `cargo xtask release` appends: the manifest, then each file of `files`
/// (path in the bundle, bytes, executable).
pub fn write_archive(version: &str, files: &[(String, Vec<u8>, bool)]) -> io::Result<Vec<u8>> {
    let manifest = Manifest {
        version: version.to_owned(),
        files: files
            .iter()
            .map(|(path, bytes, executable)| ManifestFile {
                path: path.clone(),
                sha256: hex(&Sha256::digest(bytes)),
                executable: *executable,
            })
            .collect(),
    };
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut builder = tar::Builder::new(encoder);
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
    let entries = std::iter::once((MANIFEST, manifest.as_slice(), false))
        .chain(files.iter().map(|(path, bytes, executable)| (path.as_str(), bytes.as_slice(), *executable)));
    for (path, bytes, executable) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(if executable { 0o755 } else { 0o644 });
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, bytes)?;
    }
    builder.into_inner()?.finish()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_files() -> Vec<(String, Vec<u8>, bool)> {
        vec![
            ("dist/index.html".into(), b"<!doctype html><title>deck</title>".to_vec(), false),
            ("dist/embed/cost/index.html".into(), b"cost".to_vec(), false),
            ("functions/bootstrap".into(), b"\x7fELF pretend".to_vec(), true),
            ("functions/functions.toml".into(), b"[[function]]\n".to_vec(), false),
        ]
    }

    /// A pretend program with the bundle appended.
    fn program(dir: &Path) -> PathBuf {
        let exe = dir.join("serverless-deck");
        let mut file = File::create(&exe).unwrap();
        file.write_all(b"\x7fELF the server itself").unwrap();
        append(&mut file, &write_archive("0.1.0", &sample_files()).unwrap()).unwrap();
        exe
    }

    #[test]
    fn a_bundle_unpacks_once_and_a_tampered_file_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let exe = program(dir.path());
        let located = locate(&exe).unwrap().expect("a bundle");
        // Under a home whose `.cache` does not exist yet.
        let cache = dir.path().join("home/.cache/serverless-deck");
        let first = unpack(&exe, located, &cache).unwrap();
        assert_eq!((first.written, first.files), (4, 4));
        assert_eq!(fs::read(first.dist().join("index.html")).unwrap(), b"<!doctype html><title>deck</title>");
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&first.root.join("functions/bootstrap")), 0o755);
        assert_eq!(mode(&first.functions()), 0o644);
        assert_eq!(mode(&first.root.join("dist/embed")), 0o755);

        let again = unpack(&exe, located, &cache).unwrap();
        assert_eq!((again.root.as_path(), again.written), (first.root.as_path(), 0));

        // Changed bytes, a lost file, a file made writable by others: each is put right.
        fs::write(first.root.join("functions/bootstrap"), b"#!/bin/sh\nevil").unwrap();
        fs::remove_file(first.dist().join("embed/cost/index.html")).unwrap();
        fs::set_permissions(first.functions(), fs::Permissions::from_mode(0o666)).unwrap();
        let repaired = unpack(&exe, located, &cache).unwrap();
        assert_eq!(repaired.written, 3);
        assert_eq!(fs::read(first.root.join("functions/bootstrap")).unwrap(), b"\x7fELF pretend");
        assert_eq!(mode(&first.functions()), 0o644);
        assert!(fs::read_dir(first.root.join("functions"))
            .unwrap()
            .all(|e| { !e.unwrap().file_name().to_string_lossy().contains("partial") }));
    }

    #[test]
    fn a_program_without_a_bundle_or_with_a_damaged_one_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        fs::write(&plain, b"just a program").unwrap();
        assert_eq!(locate(&plain).unwrap(), None);

        let exe = program(dir.path());
        let mut bytes = fs::read(&exe).unwrap();
        let located = locate(&exe).unwrap().unwrap();
        bytes[located.offset as usize + 40] ^= 0xff;
        fs::write(&exe, &bytes).unwrap();
        let error = unpack(&exe, located, &dir.path().join("cache")).unwrap_err();
        assert!(matches!(error, BundleError::Damaged(_)), "{error}");

        let mut short = File::create(dir.path().join("short")).unwrap();
        short.write_all(&u64::MAX.to_le_bytes()).unwrap();
        short.write_all(MAGIC).unwrap();
        assert!(matches!(locate(&dir.path().join("short")), Err(BundleError::Damaged(_))));
    }

    #[test]
    fn paths_must_stay_inside_the_bundle() {
        assert!(safe_relative("dist/index.html").is_some());
        for bad in ["../etc/passwd", "/etc/passwd", "dist/../../x", ""] {
            assert!(safe_relative(bad).is_none(), "{bad}");
        }
    }
}
