//! Build-time syntax highlighting: code becomes `<span class="hl-…">` HTML plus one stylesheet
//! per theme, so the browser ships no highlighter (syntect in wasm would cost ≈ 700 KB gz).
use deck_core::CodeTheme;
use syntect::highlighting::Theme;
use syntect::html::{css_for_theme_with_class_style, ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;
use two_face::theme::EmbeddedThemeName;

use crate::error::ErrorKind;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
/// Info strings shown as plain, unhighlighted code.
const PLAIN: &[&str] = &["", "text", "plain", "txt", "console", "output"];

pub struct Highlighter {
    syntaxes: SyntaxSet,
}

impl Default for Highlighter {
    fn default() -> Self {
        // bat's syntax set: syntect's defaults lack TOML, which every Rust talk shows.
        Highlighter { syntaxes: two_face::syntax::extra_newlines() }
    }
}

impl Highlighter {
    /// `<pre class="code" data-lang="…"><code>…</code></pre>` for a fenced block.
    pub fn highlight(&self, lang: &str, code: &str) -> Result<String, ErrorKind> {
        let syntax = if PLAIN.contains(&lang) {
            self.syntaxes.find_syntax_plain_text()
        } else {
            self.syntaxes.find_syntax_by_token(lang).ok_or_else(|| ErrorKind::UnknownLanguage(lang.into()))?
        };
        let mut html = ClassedHTMLGenerator::new_with_class_style(syntax, &self.syntaxes, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            html.parse_html_for_line_which_includes_newline(line)
                .map_err(|e| ErrorKind::Highlight(e.to_string()))?;
        }
        let lang_attr = if PLAIN.contains(&lang) { "text" } else { lang };
        Ok(format!(
            "<pre class=\"code\" data-lang=\"{}\"><code>{}</code></pre>\n",
            lang_attr.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '+', ""),
            html.finalize()
        ))
    }

    /// The light and dark stylesheets for the class names `highlight` emits.
    pub fn theme(&self) -> CodeTheme {
        let themes = two_face::theme::extra();
        let css = |name| css(themes.get(name));
        CodeTheme {
            light_css: css(EmbeddedThemeName::OneHalfLight),
            dark_css: css(EmbeddedThemeName::OneHalfDark),
        }
    }
}

fn css(theme: &Theme) -> String {
    // Only colours and font styles come from the theme; the deck's CSS owns layout and background.
    css_for_theme_with_class_style(theme, CLASS_STYLE)
        .expect("embedded themes always produce CSS")
        .lines()
        .filter(|line| !line.trim_start().starts_with("background-color"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_is_highlighted_into_classes() {
        let html = Highlighter::default().highlight("rust", "fn main() {}\n").unwrap();
        assert!(html.starts_with("<pre class=\"code\" data-lang=\"rust\"><code>"), "{html}");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(html.contains("main"));
    }

    #[test]
    fn toml_and_yaml_are_known() {
        let h = Highlighter::default();
        assert!(h.highlight("toml", "a = 1\n").unwrap().contains("hl-"));
        assert!(h.highlight("yaml", "a: 1\n").unwrap().contains("hl-"));
    }

    #[test]
    fn plain_code_is_escaped() {
        let html = Highlighter::default().highlight("text", "<script>\n").unwrap();
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
    }

    #[test]
    fn unknown_language_is_an_error() {
        let err = Highlighter::default().highlight("rsut", "x").unwrap_err();
        assert_eq!(err.to_string(), "unknown language `rsut` for highlighting (use `text` for plain code)");
    }

    #[test]
    fn both_themes_style_the_classes() {
        let theme = Highlighter::default().theme();
        for css in [&theme.light_css, &theme.dark_css] {
            assert!(css.contains(".hl-") && css.contains("color:"), "{css}");
        }
        assert_ne!(theme.light_css, theme.dark_css);
    }
}
