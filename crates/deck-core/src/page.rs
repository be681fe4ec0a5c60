//! The talk written into its web page at build time. The page is the talk's data: the first
//! slide paints from this HTML and CSS before any script runs, a reader without scripts (or a
//! crawler, or a link preview) gets every slide in order with its notes, and the app reads the
//! deck back from these elements when it starts (see the browser's `page` module), so one wasm
//! shows whatever deck its page carries.
//!
//! The names below are the contract between this writer and that reader.
use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::model::{Content, Deck, Slide};
use crate::panels::PanelKind;
use crate::routes;

/// Id of the element holding the slides.
pub const TALK_ID: &str = "talk";
/// Id of the `<style>` with the code highlighting of both themes.
pub const CODE_THEME_ID: &str = "code-theme";
/// On the `<html>` element until a script runs: the CSS then lays the talk out as one page.
pub const NO_SCRIPT_CLASS: &str = "no-js";
/// Marks what the page shows until the app has started; the app removes it then.
pub const STATIC_ATTR: &str = "data-static";
/// Set on `<html>` once the app has taken over the page (`started`), or could not (`failed`).
pub const APP_STATE_ATTR: &str = "data-app";
/// Where trunk's page gets the talk's `<head>` part (title, description, code theme).
pub const HEAD_MARKER: &str = "<!--deck:head-->";
/// Where trunk's page gets the talk's `<body>` part.
pub const BODY_MARKER: &str = "<!--deck:body-->";

/// Beside a built site's pages: their [`Shells`], so a server can write another deck into the
/// same site (`serverless-deck --slides`).
pub const SHELLS_FILE: &str = "shells.json";
/// `<meta name="deck-lambda" content="<Function URL>">`: the deck's [`crate::Meta::lambda`], on
/// every page of the site, so the deck and its embeds call the same deployed function.
pub const LAMBDA_META: &str = "deck-lambda";
/// `<meta name="deck-live" content="<version>">`: the page comes from a server that recompiles
/// its slides on save and announces each new version on `routes::DECK_EVENTS_ROUTE`.
pub const LIVE_META: &str = "deck-live";

/// Attributes of a slide `<section>`: its title, reveal steps and source, `file:line`.
pub const ATTR_TITLE: &str = "data-title";
pub const ATTR_STEPS: &str = "data-steps";
pub const ATTR_SOURCE: &str = "data-source";
/// Attribute of a block: the reveal step it appears at.
pub const ATTR_STEP: &str = "data-step";
/// Attributes of a panel's place: its kind and its parameters as a URL query (`a=1&b=2`).
pub const ATTR_PANEL: &str = "data-panel";
pub const ATTR_PARAMS: &str = "data-params";

/// The `<head>` part: title and description for previews, and the code theme.
pub fn head_html(deck: &Deck) -> String {
    let title = escape(&deck.meta.title);
    let mut html = format!(
        "<title>{title}</title>\n<meta property=\"og:title\" content=\"{title}\" />\n<meta property=\"og:type\" content=\"website\" />\n"
    );
    let description = [&deck.meta.subtitle, &deck.meta.author, &deck.meta.event]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" · ");
    if !description.is_empty() {
        let description = escape(&description);
        let _ = write!(
            html,
            "<meta name=\"description\" content=\"{description}\" />\n<meta property=\"og:description\" content=\"{description}\" />\n"
        );
    }
    if let Some(author) = &deck.meta.author {
        let _ = writeln!(html, "<meta name=\"author\" content=\"{}\" />", escape(author));
    }
    let _ = write!(
        html,
        "<style id=\"{CODE_THEME_ID}\">\n:root:not([data-theme=dark]) {{\n{}\n}}\n:root[data-theme=dark] {{\n{}\n}}\n</style>",
        deck.code_theme.light_css, deck.code_theme.dark_css
    );
    html
}

/// The `<body>` part: every slide, the first one shown, each followed by its notes (shown only
/// in read mode and without scripts); then a small script that shows the slide a deep link
/// (`#/17/2`) names, so a reload mid-talk never flashes slide 1, and keeps the talk readable if
/// the app cannot load.
pub fn body_html(deck: &Deck) -> String {
    let total = deck.slides.len();
    let mut html = format!("<main class=\"deck\" id=\"{TALK_ID}\" {STATIC_ATTR}>\n<div class=\"stage\">\n");
    for (index, slide) in deck.slides.iter().enumerate() {
        slide_html(&mut html, slide, index, total);
    }
    let _ = write!(html, "</div>\n<div class=\"counter\" aria-hidden=\"true\">1 / {total}</div>\n</main>\n");
    html.push_str(DEEP_LINK_SCRIPT);
    html.push_str(&fallback_script(
        "The deck's program could not load, so this is the talk as one page. Reload to try again.",
    ));
    html
}

/// The `<head>` part of `/embed/<kind>/` (`None`: of the page for unknown kinds).
pub fn embed_head_html(kind: Option<PanelKind>, talk_title: &str) -> String {
    let title = escape(talk_title);
    let page_title = kind.map_or("No such panel", PanelKind::title);
    format!("<title>{page_title} — {title}</title>\n<meta property=\"og:title\" content=\"{title}\" />\n")
}

/// The `<body>` part of `/embed/<kind>/`: a placeholder until the panel has started, and what
/// a reader without scripts needs to know. No slides: an embed loads none of them.
pub fn embed_body_html(kind: Option<PanelKind>, talk_title: &str) -> String {
    let title = escape(talk_title);
    let Some(kind) = kind else {
        let kinds = PanelKind::ALL.map(PanelKind::name).join(", ");
        return format!(
            "<main class=\"embed\">\n<p class=\"embed-errors\" role=\"alert\">There is no such panel. Embeddable panels: {kinds}.</p>\n<p class=\"embed-source\"><a href=\"./\" target=\"_top\">From the talk “{title}”</a></p>\n</main>\n"
        );
    };
    let mut html = format!(
        "<main class=\"embed\" {STATIC_ATTR}>\n<p class=\"embed-loading\" role=\"status\">{} — starting the live demo…</p>\n<noscript><p>This live demo needs JavaScript and WebAssembly. It comes from the talk “{title}”.</p></noscript>\n</main>\n",
        kind.title(),
    );
    html.push_str(&fallback_script("This live demo's program could not load. Reload to try again."));
    html
}

/// If the app's code cannot load (offline, blocked, a broken file), says so on the page instead
/// of leaving a deck that does not answer keys, or an embed that never starts; the deck's page
/// is then laid out as one readable page, scrolled to the slide a deep link named. Listens
/// until the app has started.
fn fallback_script(message: &str) -> String {
    format!(
        r##"<script data-static>(function(){{var d=document,h=d.documentElement;function fail(e){{var s=e.target||{{}};if(h.dataset.app||!(e.type=="unhandledrejection"||e instanceof ErrorEvent||s.tagName=="SCRIPT"||s.tagName=="LINK"))return;h.dataset.app="failed";h.classList.add("{NO_SCRIPT_CLASS}");var p=d.createElement("p");p.className="fatal";p.setAttribute("role","alert");p.textContent="{message}";d.body.prepend(p);var c=d.querySelector("#{TALK_ID} .slide:not([hidden])");c&&c!==d.querySelector("#{TALK_ID} .slide")&&c.scrollIntoView()}}addEventListener("error",fail,true);addEventListener("unhandledrejection",fail)}})()</script>"##
    )
}

/// Before the app starts, shows the slide and step of a deep link (`#/N/S`).
const DEEP_LINK_SCRIPT: &str = r#"<script data-static>(function(){var t=document.getElementById("talk"),m=/^#\/(\d+)(?:\/(\d+))?/.exec(location.hash),s=t&&t.querySelectorAll(".slide"),n=m&&s[m[1]-1];if(!n)return;s[0].hidden=true;n.hidden=false;n.querySelectorAll(".block").forEach(function(b){var p=+b.dataset.step>(+m[2]||0);b.classList.toggle("pending",p);p?b.setAttribute("aria-hidden","true"):b.removeAttribute("aria-hidden")});t.querySelector(".counter").textContent=m[1]+" / "+s.length})()</script>"#;

fn slide_html(html: &mut String, slide: &Slide, index: usize, total: usize) {
    let number = index + 1;
    let class = slide.class.as_deref().map(|c| format!(" {}", escape(c))).unwrap_or_default();
    let hidden = if index == 0 { "" } else { " hidden" };
    let _ = writeln!(
        html,
        "<section class=\"slide{class}\" role=\"group\" aria-roledescription=\"slide\" aria-label=\"{number} of {total}\" data-slide=\"{number}\" {ATTR_TITLE}=\"{}\" {ATTR_STEPS}=\"{}\" {ATTR_SOURCE}=\"{}:{}\"{hidden}>",
        escape(&slide.title),
        slide.steps,
        escape(&slide.source.file),
        slide.source.line,
    );
    for block in &slide.blocks {
        let pending = if block.step > 0 { " pending\" aria-hidden=\"true" } else { "" };
        let _ = write!(html, "<div class=\"block{pending}\" {ATTR_STEP}=\"{}\">", block.step);
        match &block.content {
            Content::Html(fragment) => html.push_str(fragment),
            Content::Panel(spec) => {
                let params: Vec<String> = spec
                    .params
                    .iter()
                    .map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v)))
                    .collect();
                let _ = write!(
                    html,
                    "<div class=\"panel panel-static\" {ATTR_PANEL}=\"{}\" {ATTR_PARAMS}=\"{}\"><p class=\"panel-static-title\">Live demo: {}</p>",
                    spec.kind,
                    escape(&params.join("&")),
                    spec.kind.title(),
                );
                if !spec.params.is_empty() {
                    html.push_str("<dl class=\"panel-static-params\">");
                    for (key, value) in &spec.params {
                        let _ = write!(html, "<dt>{}</dt><dd>{}</dd>", escape(key), escape(value));
                    }
                    html.push_str("</dl>");
                }
                html.push_str(
                    "<p class=\"panel-static-hint\">It starts once the page's script has loaded.</p></div>",
                );
            }
        }
        html.push_str("</div>\n");
    }
    html.push_str("</section>\n");
    let _ = write!(
        html,
        "<aside class=\"notes\" aria-label=\"Speaker notes, slide {number}\"><p class=\"notes-heading\">Notes · slide {number}: {}</p>",
        escape(&slide.title)
    );
    if slide.notes.is_empty() {
        html.push_str("<p class=\"notes-none\">No notes for this slide.</p>");
    } else {
        let _ = write!(html, "<div class=\"notes-body\">{}</div>", slide.notes);
    }
    html.push_str("</aside>\n");
}

/// Text as HTML text (also safe inside a quoted attribute).
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Percent-encodes everything but unreserved characters, as `URLSearchParams` reads it back.
fn query_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            escaped.push(byte as char);
        } else {
            let _ = write!(escaped, "%{byte:02X}");
        }
    }
    escaped
}

/// A page template lacks what the talk is written into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the page template must contain `{0}` exactly once")]
    Marker(&'static str),
    #[error("the page template has no <html> element")]
    NoHtmlElement,
}

/// The pages of a site before the talk is written into them: each with [`HEAD_MARKER`] and
/// [`BODY_MARKER`], and the scripts and styles of its own app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shells {
    pub deck: String,
    /// By panel kind name.
    pub embeds: BTreeMap<String, String>,
    /// `/embed/<anything else>`: the kinds there are, and no code at all.
    pub no_such_embed: String,
}

impl Shells {
    /// Every page in the same shell (trunk's one page, for `cargo xtask dev`).
    pub fn all(shell: &str) -> Self {
        Shells {
            deck: shell.to_owned(),
            embeds: PanelKind::ALL.iter().map(|kind| (kind.name().to_owned(), shell.to_owned())).collect(),
            no_such_embed: shell.to_owned(),
        }
    }
}

/// The site's pages for `deck`, by path: `index.html`, `embed/<kind>/index.html` and
/// `embed/index.html`. `extra_head` goes into every page's head (e.g. [`live_meta`]).
pub fn site(deck: &Deck, shells: &Shells, extra_head: &str) -> Result<Vec<(String, String)>, TemplateError> {
    let title = &deck.meta.title;
    let extra_head = &match &deck.meta.lambda {
        Some(url) => format!("\n<meta name=\"{LAMBDA_META}\" content=\"{}\" />{extra_head}", escape(url)),
        None => extra_head.to_owned(),
    };
    let deck_head = head_html(deck) + extra_head;
    let mut pages =
        vec![("index.html".to_owned(), fill_template(&shells.deck, &deck_head, &body_html(deck))?)];
    for kind in PanelKind::ALL {
        let shell = shells.embeds.get(kind.name()).unwrap_or(&shells.no_such_embed);
        let head = embed_head_html(Some(kind), title) + extra_head;
        let html = fill_template(shell, &head, &embed_body_html(Some(kind), title))?;
        pages.push((format!("{}index.html", routes::embed_page(kind.name())), html));
    }
    let head = embed_head_html(None, title) + extra_head;
    let html = fill_template(&shells.no_such_embed, &head, &embed_body_html(None, title))?;
    pages.push((format!("{}/index.html", routes::EMBED_FOLDER), html));
    Ok(pages)
}

/// The head tag that marks a page of a live deck at `version`.
pub fn live_meta(version: u64) -> String {
    format!("\n<meta name=\"{LIVE_META}\" content=\"{version}\" />")
}

/// Writes the talk into a page made by trunk, at its [`HEAD_MARKER`] and [`BODY_MARKER`], and
/// marks `<html>` as script-less until a script says otherwise. `body` is [`body_html`] for the
/// deck and something smaller for an embed page.
pub fn fill_template(template: &str, head: &str, body: &str) -> Result<String, TemplateError> {
    for marker in [HEAD_MARKER, BODY_MARKER] {
        if template.matches(marker).count() != 1 {
            return Err(TemplateError::Marker(marker));
        }
    }
    let Some(html_tag) = template.find("<html") else {
        return Err(TemplateError::NoHtmlElement);
    };
    let mut page = String::with_capacity(template.len() + head.len() + body.len() + 200);
    page.push_str(&template[..html_tag]);
    let _ = write!(page, "<html class=\"{NO_SCRIPT_CLASS}\"");
    let rest = &template[html_tag + "<html".len()..];
    // A script in the head swaps the class before the body is parsed: with scripts on, the first
    // paint is the deck's first slide; without, the whole talk as one page.
    let swap =
        format!("<script>document.documentElement.classList.remove(\"{NO_SCRIPT_CLASS}\")</script>\n{head}");
    page.push_str(&rest.replacen(HEAD_MARKER, &swap, 1).replacen(BODY_MARKER, body, 1));
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Block, CodeTheme, Meta, Source};
    use crate::panels::PanelSpec;

    fn deck() -> Deck {
        let slide = |title: &str, blocks: Vec<Block>, notes: &str, steps| Slide {
            title: title.into(),
            source: Source { file: "slides/01.md".into(), line: 3 },
            class: None,
            blocks,
            notes: notes.into(),
            steps,
        };
        let html = |step, html: &str| Block { step, content: Content::Html(html.into()) };
        let cost = PanelSpec::new(PanelKind::Cost, [("requests", "3000000"), ("pricing", "2016")]).unwrap();
        Deck {
            meta: Meta {
                title: "Going <Serverless>".into(),
                subtitle: Some("Code & more".into()),
                ..Meta::default()
            },
            slides: vec![
                slide("One", vec![html(0, "<h1>One</h1>")], "<p>Say hi.</p>", 0),
                slide(
                    "Two \"quoted\"",
                    vec![html(0, "<h2>Two</h2>"), Block { step: 1, content: Content::Panel(cost) }],
                    "",
                    1,
                ),
            ],
            code_theme: CodeTheme { light_css: ".k{color:red}".into(), dark_css: ".k{color:pink}".into() },
        }
    }

    #[test]
    fn every_slide_is_in_the_page_in_order_with_only_the_first_shown() {
        let body = body_html(&deck());
        let one = body.find("<h1>One</h1>").unwrap();
        let two = body.find("<h2>Two</h2>").unwrap();
        assert!(one < two);
        assert_eq!(body.matches("<section").count(), 2);
        assert_eq!(body.matches(" hidden>").count(), 1, "{body}");
        assert!(body.contains(r#"data-title="Two &quot;quoted&quot;""#), "{body}");
        assert!(body.contains(r#"data-source="slides/01.md:3""#));
        assert!(body.contains("<div class=\"notes-body\"><p>Say hi.</p></div>"));
        assert!(body.contains("No notes for this slide."));
        assert!(body.contains("1 / 2"));
    }

    #[test]
    fn a_panel_is_a_labelled_place_with_its_parameters_as_a_query() {
        let body = body_html(&deck());
        assert!(body.contains(r#"<div class="block pending" aria-hidden="true" data-step="1">"#), "{body}");
        assert!(
            body.contains(r#"data-panel="cost" data-params="pricing=2016&amp;requests=3000000""#),
            "{body}"
        );
        assert!(body.contains("<dt>requests</dt><dd>3000000</dd>"));
    }

    #[test]
    fn the_head_names_the_talk_for_previews_and_carries_the_code_theme() {
        let head = head_html(&deck());
        assert!(head.contains("<title>Going &lt;Serverless&gt;</title>"), "{head}");
        assert!(head.contains(r#"<meta name="description" content="Code &amp; more" />"#), "{head}");
        assert!(head.contains(":root[data-theme=dark] {\n.k{color:pink}\n}"), "{head}");
    }

    #[test]
    fn the_template_gets_both_parts_and_the_no_script_class() {
        let template = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><!--deck:head--></head>\n<body><!--deck:body--></body></html>";
        let page = fill_template(template, "<title>T</title>", "<main>M</main>").unwrap();
        assert!(page.starts_with("<!DOCTYPE html>\n<html class=\"no-js\" lang=\"en\">"), "{page}");
        assert!(page.contains("classList.remove(\"no-js\")</script>\n<title>T</title></head>"), "{page}");
        assert!(page.contains("<body><main>M</main></body>"));
        let missing = fill_template("<html><body></body></html>", "", "").unwrap_err().to_string();
        assert!(missing.contains("<!--deck:head-->"), "{missing}");
    }

    #[test]
    fn a_site_is_the_deck_page_one_page_per_embed_kind_and_the_unknown_kind_page() {
        let shell = |app: &str| {
            format!("<!DOCTYPE html>\n<html>\n<head><!--deck:head--><script src=\"{app}.js\"></script></head><body><!--deck:body--></body></html>")
        };
        let shells = Shells {
            deck: shell("deck"),
            embeds: PanelKind::ALL.iter().map(|k| (k.name().to_owned(), shell(k.name()))).collect(),
            no_such_embed: shell("none"),
        };
        let json = serde_json::to_string(&shells).unwrap();
        assert_eq!(serde_json::from_str::<Shells>(&json).unwrap(), shells, "the file round-trips");
        let mut deck = deck();
        deck.meta.lambda = Some("https://abc.lambda-url.eu-west-1.on.aws/?a=1&b=\"2".into());
        let pages = site(&deck, &shells, &live_meta(7)).unwrap();
        assert_eq!(pages.len(), PanelKind::ALL.len() + 2);
        let (path, index) = &pages[0];
        assert_eq!(path, "index.html");
        assert!(index.contains("deck.js") && index.contains("<h1>One</h1>"), "{index}");
        for (path, html) in &pages {
            assert!(html.contains(r#"<meta name="deck-live" content="7" />"#), "{path}: {html}");
            let lambda = r#"<meta name="deck-lambda" content="https://abc.lambda-url.eu-west-1.on.aws/?a=1&amp;b=&quot;2" />"#;
            assert!(html.contains(lambda), "{path}: {html}");
        }
        let cost = pages.iter().find(|(path, _)| path == "embed/cost/index.html").unwrap();
        assert!(cost.1.contains("cost.js") && !cost.1.contains("<section"), "{}", cost.1);
        assert_eq!(pages.last().unwrap().0, "embed/index.html");
        assert!(pages.last().unwrap().1.contains("none.js"));
    }

    #[test]
    fn an_embed_page_names_its_panel_and_holds_no_slides() {
        let body = embed_body_html(Some(PanelKind::Cost), "A <b> talk");
        assert!(body.contains("What a month costs — starting"), "{body}");
        assert!(body.contains("A &lt;b&gt; talk"));
        assert!(!body.contains("<section"));
        let head = embed_head_html(Some(PanelKind::Cost), "A <b> talk");
        assert!(head.contains("<title>What a month costs — A &lt;b&gt; talk</title>"), "{head}");
        assert!(head.contains(r#"<meta property="og:title" content="A &lt;b&gt; talk" />"#), "{head}");
        let unknown = embed_body_html(None, "T");
        assert!(unknown.contains("Embeddable panels: invoke, cold-start, cost, thumbnails."), "{unknown}");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_escape("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
