//! `serverless-deck new DIR`: a starter talk for a presenter to edit, then present with
//! `serverless-deck --slides DIR`. Its files (`server/starter/`) are carried in the binary: one
//! markdown file with a slide per panel kind, whose notes teach the syntax, an image under
//! `assets/`, and a `README.txt` (not `.md`, so it is not compiled as slides).
//!
//! Only a new or empty folder is written to, and a write that fails halfway takes back what it
//! wrote, so an existing talk is never overwritten or mixed with the starter.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The starter's files: path inside DIR (`/`-separated), contents.
const FILES: &[(&str, &[u8])] = &[
    ("talk.md", include_bytes!("../starter/talk.md")),
    ("assets/upload.svg", include_bytes!("../starter/assets/upload.svg")),
    ("README.txt", include_bytes!("../starter/README.txt")),
];

/// Why the starter was not written. Nothing of it is left in the folder.
#[derive(Debug, thiserror::Error)]
pub enum StarterError {
    #[error("{}: exists and is not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("{}: the folder is not empty; choose a new or empty folder for the starter talk", .0.display())]
    NotEmpty(PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Writes the starter talk into `dir`, creating it (and its parents) when missing. Refuses a
/// `dir` that is a file or a folder with anything in it. Returns the files written, in order:
/// the slides first.
pub fn write(dir: &Path) -> Result<Vec<PathBuf>, StarterError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StarterError::Io { path, source }
    };
    let mut undo = Undo::default();
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => return Err(StarterError::NotAFolder(dir.into())),
        Ok(_) => {
            if fs::read_dir(dir).map_err(io_error(dir))?.next().is_some() {
                return Err(StarterError::NotEmpty(dir.into()));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Err(e) = undo.create_dirs(dir) {
                undo.run();
                return Err(io_error(dir)(e));
            }
        }
        Err(e) => return Err(io_error(dir)(e)),
    }
    let mut written = Vec::with_capacity(FILES.len());
    for (name, contents) in FILES {
        let path = name.split('/').fold(dir.to_path_buf(), |path, part| path.join(part));
        let result = path
            .parent()
            .map_or(Ok(()), |parent| undo.create_dirs(parent))
            .and_then(|()| undo.create_file(&path, contents));
        if let Err(e) = result {
            undo.run();
            return Err(io_error(&path)(e));
        }
        written.push(path);
    }
    Ok(written)
}

/// What a write created, to remove again if a later step fails.
#[derive(Default)]
struct Undo {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Undo {
    /// Creates `dir` and any missing parents, remembering each one it created.
    fn create_dirs(&mut self, dir: &Path) -> io::Result<()> {
        let missing: Vec<&Path> =
            dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).collect();
        for d in missing.into_iter().rev() {
            fs::create_dir(d)?;
            self.dirs.push(d.to_path_buf());
        }
        Ok(())
    }

    /// Writes a file that must not exist yet.
    fn create_file(&mut self, path: &Path, contents: &[u8]) -> io::Result<()> {
        let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
        self.files.push(path.to_path_buf());
        file.write_all(contents)?;
        file.sync_all()
    }

    /// Best effort: the files, then the folders, newest first.
    fn run(self) {
        for file in self.files.iter().rev() {
            let _ = fs::remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use deck_core::{Content, PanelKind};

    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_the_starter_into_a_new_folder_and_its_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("talks").join("my-talk");
        let written = write(&dir).unwrap();
        assert_eq!(written.len(), FILES.len());
        assert_eq!(written[0], dir.join("talk.md"));
        for ((name, contents), path) in FILES.iter().zip(&written) {
            assert!(path.starts_with(&dir), "{}", path.display());
            assert_eq!(fs::read(path).unwrap(), *contents, "{name}");
        }
        assert_eq!(entries(&dir), ["README.txt", "assets", "talk.md"]);
        assert_eq!(entries(&dir.join("assets")), ["upload.svg"]);
    }

    #[test]
    fn writes_into_an_empty_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let written = write(tmp.path()).unwrap();
        assert!(written.iter().all(|path| path.is_file()));
    }

    #[test]
    fn refuses_a_folder_with_anything_in_it_and_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.md"), "# Mine\n").unwrap();
        let error = write(tmp.path()).unwrap_err();
        assert!(matches!(&error, StarterError::NotEmpty(path) if path == tmp.path()), "{error:?}");
        assert!(error.to_string().contains(&tmp.path().display().to_string()), "{error}");
        assert_eq!(entries(tmp.path()), ["notes.md"]);
        assert_eq!(fs::read_to_string(tmp.path().join("notes.md")).unwrap(), "# Mine\n");

        // A hidden file or an empty sub-folder counts too.
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join(".git")).unwrap();
        assert!(matches!(write(tmp.path()), Err(StarterError::NotEmpty(_))));
        assert_eq!(entries(tmp.path()), [".git"]);
    }

    #[test]
    fn refuses_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("talk");
        fs::write(&file, "mine").unwrap();
        let error = write(&file).unwrap_err();
        assert!(matches!(&error, StarterError::NotAFolder(path) if *path == file), "{error:?}");
        assert!(error.to_string().contains(&file.display().to_string()), "{error}");
        assert_eq!(fs::read_to_string(&file).unwrap(), "mine");
        // Nor can a folder be made below a file.
        let error = write(&file.join("deeper")).unwrap_err();
        assert!(matches!(&error, StarterError::Io { path, .. } if path.starts_with(&file)), "{error:?}");
        assert_eq!(entries(tmp.path()), ["talk"]);
    }

    #[test]
    fn undo_removes_what_a_failed_write_created() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("b");
        let mut undo = Undo::default();
        undo.create_dirs(&dir).unwrap();
        undo.create_file(&dir.join("x.md"), b"x").unwrap();
        assert!(
            undo.create_file(&dir.join("x.md"), b"again").is_err(),
            "an existing file is never overwritten"
        );
        undo.run();
        assert!(entries(tmp.path()).is_empty());
    }

    #[test]
    fn the_starter_compiles_with_one_slide_per_panel_kind() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("talk");
        write(&dir).unwrap();
        let deck = deck_compiler::compile_dir(&dir, &dir.join("assets")).unwrap_or_else(|e| panic!("{e}"));

        assert_eq!(deck.meta.title, "My serverless talk");
        let titles: Vec<_> = deck.slides.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "My serverless talk",
                "Call a function",
                "Cold starts",
                "What a month costs",
                "Thumbnails on upload"
            ]
        );
        // Only talk.md is slides: the README is not compiled.
        assert!(deck.slides.iter().all(|s| s.source.file.ends_with("talk.md")), "{titles:?}");

        // The title slide has no panel; each other slide has one panel, every kind once, in order.
        let panels = |slide: &deck_core::Slide| -> Vec<PanelKind> {
            slide
                .blocks
                .iter()
                .filter_map(|b| match &b.content {
                    Content::Panel(spec) => Some(spec.kind),
                    Content::Html(_) => None,
                })
                .collect()
        };
        assert!(panels(&deck.slides[0]).is_empty());
        let kinds: Vec<_> = deck.slides[1..].iter().flat_map(panels).collect();
        assert_eq!(kinds, PanelKind::ALL, "a slide per panel kind, in PanelKind::ALL's order");

        // Every feature the notes teach is there: notes on every slide, a step, layouts, code, an image.
        assert!(deck.slides.iter().all(|s| !s.notes.trim().is_empty()));
        assert_eq!(deck.slides.iter().map(|s| s.steps).sum::<u16>(), 1);
        assert_eq!(deck.slides[0].class.as_deref(), Some("title"));
        assert!(deck.slides.iter().any(|s| s.class.as_deref() == Some("split")));
        let html: String = deck
            .slides
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match &b.content {
                Content::Html(html) => Some(html.as_str()),
                Content::Panel(_) => None,
            })
            .collect();
        assert!(html.contains(r#"<pre class="code" data-lang="rust">"#), "a highlighted code block");
        assert!(html.contains(r#"src="assets/upload.svg""#), "the image, under assets/");
    }
}
