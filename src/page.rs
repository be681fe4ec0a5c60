//! The deck read back from its own page, where `deck_core::page` wrote it at build time. The
//! wasm carries no talk: it shows whatever slides its page holds. Once the app has drawn the
//! same markup, the page's own copy goes ([`took_over`]) in the same task, so the
//! browser never paints the two, nor a blank page in between.
use deck_core::page::{
    APP_STATE_ATTR, ATTR_PANEL, ATTR_PARAMS, ATTR_SOURCE, ATTR_STEP, ATTR_STEPS, ATTR_TITLE, STATIC_ATTR,
    TALK_ID,
};
use deck_core::panels::{ParamError, UnknownName};
use deck_core::{Block, Content, Deck, Meta, PanelKind, PanelSpec, Slide, Source};
use leptos::prelude::document;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::dom;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("this page holds no slides (no element #{TALK_ID}); build it with `cargo xtask dist`")]
    NoTalk,
    #[error("this page holds no slides")]
    NoSlides,
    #[error("slide {slide} in this page is damaged: {what}")]
    Damaged { slide: usize, what: String },
    #[error("slide {slide} in this page is damaged: {source}")]
    UnknownPanel { slide: usize, source: UnknownName },
    #[error("slide {slide} in this page is damaged: its {kind} panel has bad parameters: {}", list(.errors))]
    BadPanel { slide: usize, kind: PanelKind, errors: Vec<ParamError> },
}

fn list(errors: &[ParamError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The deck of this page.
pub fn read_deck() -> Result<Deck, PageError> {
    let talk = document().get_element_by_id(TALK_ID).ok_or(PageError::NoTalk)?;
    read_talk(&talk, title())
}

/// The talk's title: the page's `og:title` (the page title of an embed names the panel too).
pub fn title() -> String {
    document()
        .query_selector("meta[property='og:title']")
        .ok()
        .flatten()
        .and_then(|meta| meta.get_attribute("content"))
        .unwrap_or_else(|| document().title())
}

/// The slides under `talk` (an element written by `deck_core::page::body_html`).
pub fn read_talk(talk: &Element, title: String) -> Result<Deck, PageError> {
    let sections = children(talk, ".stage > section.slide");
    if sections.is_empty() {
        return Err(PageError::NoSlides);
    }
    let slides: Result<Vec<Slide>, PageError> =
        sections.iter().enumerate().map(|(index, section)| read_slide(section, index + 1)).collect();
    // The code theme is already in the page, as its own stylesheet.
    Ok(Deck { meta: Meta { title, ..Meta::default() }, slides: slides?, code_theme: Default::default() })
}

fn read_slide(section: &Element, number: usize) -> Result<Slide, PageError> {
    let damaged = |what: String| PageError::Damaged { slide: number, what };
    let number_attr = |name: &str| {
        let value = section.get_attribute(name).unwrap_or_default();
        value.parse::<u32>().map_err(|_| damaged(format!("`{name}` is `{value}`, not a number")))
    };
    let steps =
        u16::try_from(number_attr(ATTR_STEPS)?).map_err(|_| damaged(format!("too many `{ATTR_STEPS}`")))?;
    let source = section.get_attribute(ATTR_SOURCE).unwrap_or_default();
    let (file, line) = source.rsplit_once(':').unwrap_or((&source, ""));
    let class = section.class_name();
    let class = class.split_whitespace().filter(|c| *c != "slide").collect::<Vec<_>>().join(" ");
    let mut blocks = Vec::new();
    for block in children(section, ":scope > .block") {
        let step = block.get_attribute(ATTR_STEP).unwrap_or_default();
        let step = step.parse().map_err(|_| damaged(format!("a block's `{ATTR_STEP}` is `{step}`")))?;
        let panel = block.first_element_child().filter(|child| child.has_attribute(ATTR_PANEL));
        let content = match panel {
            Some(panel) => Content::Panel(read_panel(&panel, number)?),
            None => Content::Html(block.inner_html()),
        };
        blocks.push(Block { step, content });
    }
    // The notes are the `<aside>` right after the section.
    let notes = section
        .next_element_sibling()
        .filter(|aside| aside.tag_name() == "ASIDE")
        .and_then(|aside| aside.query_selector(".notes-body").ok().flatten())
        .map(|text| text.inner_html())
        .unwrap_or_default();
    Ok(Slide {
        title: section.get_attribute(ATTR_TITLE).unwrap_or_default(),
        source: Source { file: file.to_owned(), line: line.parse().unwrap_or(0) },
        class: (!class.is_empty()).then_some(class),
        blocks,
        notes,
        steps,
    })
}

/// A panel's place: its kind and parameters, checked by the same rules as at build time.
fn read_panel(panel: &Element, slide: usize) -> Result<PanelSpec, PageError> {
    let kind: PanelKind = panel
        .get_attribute(ATTR_PANEL)
        .unwrap_or_default()
        .parse()
        .map_err(|source| PageError::UnknownPanel { slide, source })?;
    let pairs = dom::parse_query(&panel.get_attribute(ATTR_PARAMS).unwrap_or_default());
    PanelSpec::new(kind, pairs).map_err(|errors| PageError::BadPanel { slide, kind, errors })
}

/// Removes what the page showed before the app drew its own (the talk, an embed's
/// placeholder), and says on `<html>` that the app runs the page now.
pub fn took_over() {
    let Some(root) = document().document_element() else { return };
    for element in children(&root, &format!("[{STATIC_ATTR}]")) {
        element.remove();
    }
    set_app_state("started");
}

/// `<html data-app="…">`: `started`, or `failed` when the page's slides could not be read.
pub fn set_app_state(state: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute(APP_STATE_ATTR, state);
    }
}

fn children(root: &Element, selector: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(selector) else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into().ok()).collect()
}
