use std::fmt;
use std::path::PathBuf;

use deck_core::ParamError;

/// A problem in the slides, with the place it was found. Displayed as `file:line: message`, the
/// form editors and terminals turn into links.
#[derive(Debug)]
pub struct Error {
    pub file: PathBuf,
    pub line: u32,
    pub kind: ErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error("cannot read the file: {0}")]
    Unreadable(#[source] std::io::Error),
    #[error("no slides: the folder has no .md files")]
    NoSlides,
    #[error("code fence opened here is never closed")]
    UnclosedFence,
    #[error("front matter opened here is never closed (expected a closing `{0}` line)")]
    UnclosedFrontMatter(&'static str),
    #[error("front matter: {0}")]
    FrontMatter(String),
    #[error("{0}")]
    UnknownPanelKind(deck_core::panels::UnknownName),
    #[error("a panel block needs a kind: ```panel invoke|cold-start|cost|thumbnails")]
    MissingPanelKind,
    #[error("panel line must be `key = value`, found `{0}`")]
    PanelSyntax(String),
    #[error("panel parameter {0}")]
    PanelParam(ParamError),
    #[error("image `{0}` has no alt text: write ![what it shows]({0})")]
    ImageWithoutAlt(String),
    #[error("image `{path}`: {reason}")]
    Image { path: String, reason: String },
    #[error("unknown language `{0}` for highlighting (use `text` for plain code)")]
    UnknownLanguage(String),
    #[error("highlighting failed: {0}")]
    Highlight(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file.display(), self.kind),
            line => write!(f, "{}:{line}: {}", self.file.display(), self.kind),
        }
    }
}

impl std::error::Error for Error {}

/// Every error found in one compile, so an author fixes them all in one go.
#[derive(Debug)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(f, "{error}")?;
        }
        write!(f, "{} error(s) in the slides", self.0.len())
    }
}

impl std::error::Error for Errors {}
