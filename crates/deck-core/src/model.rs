//! The compiled deck: what the slide compiler writes and the views read. The views never see
//! markdown; HTML fragments here were produced at build time from the author's own slides.
use serde::{Deserialize, Serialize};

use crate::panels::PanelSpec;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deck {
    pub meta: Meta,
    pub slides: Vec<Slide>,
    pub code_theme: CodeTheme,
}

/// Front matter of the deck.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Meta {
    pub title: String,
    pub subtitle: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub event: Option<String>,
    /// The deployed Function URL the panels call by default instead of the local platform
    /// (`lambda:` in the front matter, or `cargo xtask dist --lambda`); `?lambda=` still wins.
    pub lambda: Option<String>,
}

/// Syntax-highlighting CSS for the class names in code blocks, one stylesheet per theme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeTheme {
    pub light_css: String,
    pub dark_css: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slide {
    /// Plain text of the slide's first heading ("" when it has none).
    pub title: String,
    pub source: Source,
    /// Layout class from a `<!-- _class: name -->` directive (Marp's spelling).
    pub class: Option<String>,
    pub blocks: Vec<Block>,
    /// Speaker notes, rendered from markdown to HTML.
    pub notes: String,
    /// How many `<!-- step -->` reveals the slide has; 0 shows everything at once.
    pub steps: u16,
}

/// Where a slide starts in the markdown, for messages and "edit this slide" links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub file: String,
    pub line: u32,
}

/// A piece of a slide, shown from reveal step `step` on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub step: u16,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    Html(String),
    Panel(PanelSpec),
}
