//! The slide compiler: `slides/*.md` → [`deck_core::Deck`], at build time.
//!
//! Pipeline: read files → split front matter and slides ([`split`]) → one event walk per slide
//! ([`slide`]) → the deck. Every error carries `file:line`; all of them are reported at once.
mod error;
mod highlight;
mod slide;
mod split;

use std::path::{Path, PathBuf};

use deck_core::{Deck, Meta, PanelKind, PanelSpec};

pub use error::{Error, ErrorKind, Errors};
pub use highlight::Highlighter;

/// A markdown file: where it is (for messages and relative image paths) and its text.
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

pub struct Compiler {
    highlighter: Highlighter,
    /// Canonical path of the folder images must live in.
    assets_dir: PathBuf,
}

impl Compiler {
    pub fn new(assets_dir: &Path) -> Self {
        let assets_dir = assets_dir.canonicalize().unwrap_or_else(|_| assets_dir.to_path_buf());
        Compiler { highlighter: Highlighter::default(), assets_dir }
    }

    /// Compiles files in the order given; front matter is read from the first one.
    pub fn compile(&self, files: &[SourceFile]) -> Result<Deck, Errors> {
        let mut meta = None;
        let mut slides = Vec::new();
        let mut errors = Vec::new();
        let at = |file: &Path, (line, kind)| Error { file: file.into(), line, kind };
        for (index, file) in files.iter().enumerate() {
            let body = if index == 0 {
                match split::front_matter(&file.text) {
                    Ok((front, body)) => {
                        meta = front
                            .map(|front| parse_meta(&front).map_err(|e| errors.push(at(&file.path, e))).ok());
                        body
                    }
                    Err(e) => {
                        errors.push(at(&file.path, e));
                        continue;
                    }
                }
            } else {
                split::Chunk { text: &file.text, first_line: 1 }
            };
            match split::slides(body) {
                Ok(chunks) => {
                    for chunk in chunks {
                        match slide::compile(self, &file.path, chunk) {
                            Ok(slide) => slides.push(slide),
                            Err(mut e) => errors.append(&mut e),
                        }
                    }
                }
                Err(e) => errors.push(at(&file.path, e)),
            }
        }
        if slides.is_empty() && errors.is_empty() {
            let file = files.first().map_or_else(PathBuf::new, |f| f.path.clone());
            errors.push(Error { file, line: 0, kind: ErrorKind::NoSlides });
        }
        if !errors.is_empty() {
            return Err(Errors(errors));
        }
        let mut meta = meta.flatten().unwrap_or_default();
        if meta.title.is_empty() {
            meta.title = slides[0].title.clone();
        }
        Ok(Deck { meta, slides, code_theme: self.highlighter.theme() })
    }
}

/// Compiles every `.md` file of `slides_dir`, in file-name order. Paths in messages are shown
/// relative to the current directory when they are below it.
pub fn compile_dir(slides_dir: &Path, assets_dir: &Path) -> Result<Deck, Errors> {
    let unreadable =
        |e| Errors(vec![Error { file: slides_dir.into(), line: 0, kind: ErrorKind::Unreadable(e) }]);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(slides_dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Errors(vec![Error { file: slides_dir.into(), line: 0, kind: ErrorKind::NoSlides }]));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let shown = path.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or_else(|_| path.clone());
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push(SourceFile { path: shown, text }),
            Err(e) => errors.push(Error { file: shown, line: 0, kind: ErrorKind::Unreadable(e) }),
        }
    }
    if !errors.is_empty() {
        return Err(Errors(errors));
    }
    Compiler::new(assets_dir).compile(&files)
}

fn parse_meta(front: &split::FrontMatter<'_>) -> Result<Meta, (u32, ErrorKind)> {
    let at = |line: Option<usize>, message: String| {
        (front.first_line + line.unwrap_or(0) as u32, ErrorKind::FrontMatter(message))
    };
    let meta: Meta = match front.format {
        split::Format::Yaml => serde_yaml_ng::from_str(front.text).map_err(|e| {
            let line = e.location().map(|l| l.line().saturating_sub(1));
            at(line, e.to_string())
        }),
        split::Format::Toml => toml::from_str(front.text).map_err(|e| {
            let line = e.span().map(|s| front.text[..s.start].matches('\n').count());
            at(line, e.message().to_string())
        }),
    }?;
    // The deck's default function is what a panel's `lambda` would be, checked by that rule.
    if let Some(url) = &meta.lambda {
        if let Err(errors) = PanelSpec::new(PanelKind::Invoke, [("lambda", url.as_str())]) {
            let line = front.text.lines().position(|line| line.trim_start().starts_with("lambda"));
            let problem = errors.into_iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ");
            return Err(at(line, problem));
        }
    }
    Ok(meta)
}
