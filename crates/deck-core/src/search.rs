//! Finding text in the slides and their speaker notes. The index holds each slide's plain text
//! (tags stripped, entities decoded) once, so a search is a scan of a few hundred kilobytes at
//! most. Matching is case-insensitive and treats any run of whitespace as one space.
use crate::model::{Content, Slide};

/// Where in a slide a hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Slide,
    Notes,
}

/// A hit, with the words around it to show in a result list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub slide: usize,
    pub place: Place,
    pub before: String,
    pub matched: String,
    pub after: String,
}

/// How much text a snippet shows on each side of a hit, in characters.
const CONTEXT_CHARS: usize = 40;

pub struct SearchIndex {
    texts: Vec<Text>,
}

/// One searchable text, with a lower-cased copy and, for each byte of the copy, where that
/// character starts in the original (lower-casing can change a character's length).
struct Text {
    slide: usize,
    place: Place,
    original: String,
    folded: String,
    origin: Vec<usize>,
}

impl Text {
    fn new(slide: usize, place: Place, original: String) -> Text {
        let mut folded = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len() + 1);
        for (at, c) in original.char_indices() {
            for lower in c.to_lowercase() {
                folded.push(lower);
                origin.resize(folded.len(), at);
            }
        }
        origin.push(original.len());
        Text { slide, place, original, folded, origin }
    }

    fn hit(&self, query: &str) -> Option<Hit> {
        let start = self.folded.find(query)?;
        let (from, to) = (self.origin[start], self.origin[start + query.len()]);
        let before = &self.original[..from];
        let after = &self.original[to..];
        let cut_before = before.char_indices().rev().nth(CONTEXT_CHARS - 1).map_or(0, |(i, _)| i);
        let cut_after = after.char_indices().nth(CONTEXT_CHARS).map_or(after.len(), |(i, _)| i);
        Some(Hit {
            slide: self.slide,
            place: self.place,
            before: format!("{}{}", if cut_before > 0 { "…" } else { "" }, &before[cut_before..]),
            matched: self.original[from..to].to_string(),
            after: format!("{}{}", &after[..cut_after], if cut_after < after.len() { "…" } else { "" }),
        })
    }
}

impl SearchIndex {
    pub fn new(slides: &[Slide]) -> SearchIndex {
        let mut texts = Vec::with_capacity(slides.len() * 2);
        for (index, slide) in slides.iter().enumerate() {
            let html: String = slide
                .blocks
                .iter()
                .filter_map(|b| match &b.content {
                    Content::Html(html) => Some(html.as_str()),
                    Content::Panel(_) => None,
                })
                .collect::<Vec<_>>()
                .join(" ");
            texts.push(Text::new(index, Place::Slide, html_to_text(&html)));
            if !slide.notes.is_empty() {
                texts.push(Text::new(index, Place::Notes, html_to_text(&slide.notes)));
            }
        }
        SearchIndex { texts }
    }

    /// The first hit in each slide and in each slide's notes, in deck order, at most `limit`.
    /// A blank query finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let query = collapse_whitespace(query.trim()).to_lowercase();
        if query.is_empty() {
            return Vec::new();
        }
        self.texts.iter().filter_map(|t| t.hit(&query)).take(limit).collect()
    }
}

/// The text of an HTML fragment as a reader sees it: tags become spaces, character references
/// are decoded, whitespace runs collapse to one space. Only meant for the compiler's own output.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        text.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with('<') {
            // Inline tags (<code>, <em>, syntax spans) join words; block tags separate them.
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            if !is_inline_tag(&rest[..end]) {
                text.push(' ');
            }
            rest = &rest[end..];
        } else {
            let (decoded, used) = decode_reference(rest);
            text.push_str(decoded.as_deref().unwrap_or("&"));
            rest = &rest[used..];
        }
    }
    text.push_str(rest);
    collapse_whitespace(&text)
}

fn is_inline_tag(tag: &str) -> bool {
    let name: String = tag
        .trim_start_matches(['<', '/'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "a" | "b" | "code" | "em" | "i" | "kbd" | "mark" | "span" | "strong" | "sub" | "sup"
    )
}

/// Decodes the character reference at the start of `s` (`&amp;`, `&#39;`, `&#x2014;`). Returns
/// what it stands for (None if it is not one) and how many bytes it spans.
fn decode_reference(s: &str) -> (Option<String>, usize) {
    let Some(end) = s[1..].find(';').map(|i| i + 1).filter(|&i| i <= 10) else { return (None, 1) };
    let name = &s[1..end];
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()
            } else {
                name.strip_prefix('#').and_then(|dec| dec.parse().ok())
            };
            code.and_then(char::from_u32)
        }
    };
    match decoded {
        Some(c) => (Some(c.to_string()), end + 1),
        None => (None, 1),
    }
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Block, Source};
    use crate::panels::{PanelKind, PanelSpec};

    fn slide(blocks: &[&str], notes: &str) -> Slide {
        Slide {
            title: String::new(),
            source: Source { file: "t.md".into(), line: 1 },
            class: None,
            blocks: blocks.iter().map(|h| Block { step: 0, content: Content::Html(h.to_string()) }).collect(),
            notes: notes.into(),
            steps: 0,
        }
    }

    #[test]
    fn html_becomes_readable_text() {
        assert_eq!(
            html_to_text("<h2>Cold &amp; warm</h2>\n<p>Rust&#39;s <code>main</code>s</p>"),
            "Cold & warm Rust's mains"
        );
        assert_eq!(html_to_text("<li>a</li><li>b</li>"), "a b");
        assert_eq!(html_to_text("x &#x2014; y &bogus; z & w"), "x — y &bogus; z & w");
        assert_eq!(html_to_text("<span class=\"k\">fn</span> <span>main</span>()"), "fn main()");
    }

    #[test]
    fn finds_text_in_slides_and_notes_in_deck_order() {
        let index = SearchIndex::new(&[
            slide(&["<h1>Going Serverless</h1>"], ""),
            slide(
                &["<h2>Cold starts</h2>", "<p>The first call is slow.</p>"],
                "<p>Say: cold starts are rare</p>",
            ),
            slide(&["<p>Nothing here</p>"], "<p>COLD  weather</p>"),
        ]);
        let hits = index.search("cold", 10);
        let found: Vec<_> = hits.iter().map(|h| (h.slide, h.place, h.matched.as_str())).collect();
        assert_eq!(found, [(1, Place::Slide, "Cold"), (1, Place::Notes, "cold"), (2, Place::Notes, "COLD")]);
        assert_eq!(
            index.search("cold   weather", 10)[0].matched,
            "COLD weather",
            "whitespace runs are one space"
        );
        assert_eq!(index.search("starts the first", 10)[0].slide, 1, "blocks are searched as one text");
        assert_eq!(index.search("cold", 2).len(), 2);
        assert!(index.search("   ", 10).is_empty());
        assert!(index.search("lambda", 10).is_empty());
    }

    #[test]
    fn snippets_keep_some_context_and_mark_cuts() {
        let long = format!("<p>{} needle {}</p>", "a ".repeat(50), "b ".repeat(50));
        let hit = &SearchIndex::new(&[slide(&[&long], "")]).search("NEEDLE", 1)[0];
        assert_eq!(hit.matched, "needle");
        assert!(hit.before.starts_with('…') && hit.before.ends_with("a "), "{:?}", hit.before);
        assert!(hit.after.starts_with(" b") && hit.after.ends_with('…'), "{:?}", hit.after);
        assert_eq!(hit.before.chars().count(), CONTEXT_CHARS + 1);
        let short = &SearchIndex::new(&[slide(&["<p>a needle b</p>"], "")]).search("needle", 1)[0];
        assert_eq!((short.before.as_str(), short.after.as_str()), ("a ", " b"));
    }

    #[test]
    fn case_folding_that_changes_length_keeps_offsets_right() {
        // 'İ' (2 bytes) lower-cases to "i̇" (3 bytes): the hit must still map to the original text.
        let hit = &SearchIndex::new(&[slide(&["<p>İstanbul Straße</p>"], "")]).search("straße", 1)[0];
        assert_eq!((hit.before.as_str(), hit.matched.as_str()), ("İstanbul ", "Straße"));
    }

    #[test]
    fn panels_are_not_searched_as_text() {
        let mut with_panel = slide(&["<p>cost</p>"], "");
        let spec = PanelSpec::new(PanelKind::Cost, Vec::<(String, String)>::new()).unwrap();
        with_panel.blocks.push(Block { step: 0, content: Content::Panel(spec) });
        assert_eq!(SearchIndex::new(&[with_panel]).search("cost", 10).len(), 1);
    }
}
