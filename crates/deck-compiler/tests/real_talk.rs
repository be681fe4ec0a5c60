//! The talk itself (slides/): it compiles, and it keeps the promises a presenter relies on.
use std::path::Path;

use deck_compiler::compile_dir;
use deck_core::{Content, PanelKind};

fn talk() -> deck_core::Deck {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    compile_dir(&root.join("slides"), &root.join("assets")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_talk_has_30_to_45_slides_each_with_a_title_and_notes() {
    let deck = talk();
    assert_eq!(deck.meta.title, "Going Serverless");
    assert!((30..=45).contains(&deck.slides.len()), "{} slides", deck.slides.len());
    for slide in &deck.slides {
        let at = format!("{}:{}", slide.source.file, slide.source.line);
        assert!(!slide.title.is_empty(), "{at}: slide without a title");
        assert!(slide.notes.trim().len() > 20, "{at}: slide without speaker notes");
    }
}

#[test]
fn every_panel_kind_appears() {
    let deck = talk();
    let kinds: Vec<PanelKind> = deck
        .slides
        .iter()
        .flat_map(|s| &s.blocks)
        .filter_map(|b| match &b.content {
            Content::Panel(spec) => Some(spec.kind),
            Content::Html(_) => None,
        })
        .collect();
    for kind in PanelKind::ALL {
        assert!(kinds.contains(&kind), "no `{kind}` panel in the talk");
    }
}

/// Code on a slide must fit a 1280×720 stage without scrolling: at most 16 lines of 60 columns.
#[test]
fn code_on_slides_fits_the_stage() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../slides");
    let mut files: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut fence: Option<(usize, bool)> = None;
        for (number, line) in text.lines().enumerate() {
            let at = format!("{}:{}", file.display(), number + 1);
            match fence {
                None if line.starts_with("```") => fence = Some((number, line.starts_with("```panel"))),
                Some((start, panel)) if line.starts_with("```") => {
                    assert!(panel || number - start - 1 <= 16, "{at}: code block over 16 lines");
                    fence = None;
                }
                Some((_, false)) => assert!(line.chars().count() <= 60, "{at}: code line over 60 columns"),
                _ => {}
            }
        }
    }
}

#[test]
fn the_price_example_quotes_the_whole_bill() {
    let all: String = talk()
        .slides
        .iter()
        .flat_map(|s| s.blocks.iter())
        .filter_map(|b| match &b.content {
            Content::Html(html) => Some(html.as_str()),
            Content::Panel(_) => None,
        })
        .collect();
    for amount in ["$18.34", "$0.40", "$18.74"] {
        assert!(all.contains(amount), "the slides never say {amount}");
    }
}
