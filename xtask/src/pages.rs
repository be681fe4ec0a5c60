//! `xtask pages`: trunk's post-build hook (Trunk.toml), for `cargo xtask dev`. After each build it
//! compiles the slides and writes the talk into the page trunk made, and one page per embed kind
//! beside it (in dev, they load the deck's own wasm). A bad slide fails the build with
//! `file:line` messages and trunk keeps serving the last good one. `cargo xtask dist` writes its
//! pages itself (`site.rs`).
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub fn pages() -> Result<()> {
    let staging = std::env::var_os("TRUNK_STAGING_DIR")
        .map(PathBuf::from)
        .context("TRUNK_STAGING_DIR is not set: `xtask pages` runs as trunk's post-build hook")?;
    let slides = std::env::var_os("DECK_SLIDES").map_or_else(|| PathBuf::from("slides"), PathBuf::from);
    write_pages(&staging, &slides, Path::new("assets"))
}

/// The pages of the deck in `slides` into `site`, all in the page trunk made (`index.html`).
fn write_pages(site: &Path, slides: &Path, assets: &Path) -> Result<()> {
    let deck = crate::site::compile(slides, assets)
        .map_err(|e| anyhow::anyhow!("{e}; the last good build stays"))?;
    let index = site.join("index.html");
    let template = std::fs::read_to_string(&index).with_context(|| format!("reading {}", index.display()))?;
    crate::site::write_pages(site, &deck, &deck_core::page::Shells::all(&template))
}

#[cfg(test)]
mod tests {
    use super::*;
    use deck_core::PanelKind;

    const TEMPLATE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><!--deck:head--><script type=\"module\" src=\"app.js\"></script></head>\n<body><!--deck:body--></body></html>";

    fn site(slides: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (site, deck) = (dir.path().join("site"), dir.path().join("slides"));
        std::fs::create_dir_all(&site).unwrap();
        std::fs::create_dir_all(&deck).unwrap();
        std::fs::write(site.join("index.html"), TEMPLATE).unwrap();
        std::fs::write(site.join("app.js"), "export default 1;\n".repeat(100)).unwrap();
        std::fs::write(deck.join("01.md"), slides).unwrap();
        (dir, site, deck)
    }

    #[test]
    fn the_talk_goes_into_the_page_and_each_embed_gets_its_own() {
        let (dir, site, slides) =
            site("---\ntitle: Tiny\n---\n\n# Hello\n\n---\n\n## Costs\n\n```panel cost\nrequests = 5\n```\n");
        write_pages(&site, &slides, dir.path()).unwrap();
        let index = std::fs::read_to_string(site.join("index.html")).unwrap();
        assert!(index.contains("<title>Tiny</title>") && index.contains("<h1>Hello</h1>"), "{index}");
        assert!(index.contains(r#"data-panel="cost" data-params="requests=5""#), "{index}");
        assert!(index.contains(r#"<script type="module" src="app.js">"#), "trunk's part is kept");
        for kind in PanelKind::ALL {
            let embed =
                std::fs::read_to_string(site.join("embed").join(kind.name()).join("index.html")).unwrap();
            assert!(embed.contains(kind.title()) && !embed.contains("<section"), "{embed}");
        }
        assert!(std::fs::read_to_string(site.join("embed/index.html")).unwrap().contains("no such panel"));
    }

    #[test]
    fn bad_slides_fail_the_build_and_leave_the_page_alone() {
        let (dir, site, slides) = site("# Hello\n\n```panel nope\n```\n");
        let error = write_pages(&site, &slides, dir.path()).unwrap_err().to_string();
        assert!(error.contains("1 error"), "{error}");
        assert_eq!(std::fs::read_to_string(site.join("index.html")).unwrap(), TEMPLATE);
    }
}
