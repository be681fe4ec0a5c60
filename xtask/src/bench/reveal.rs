//! The baseline: the same markdown slides rendered by reveal.js (npm) with its markdown plugin,
//! as a dependency-free static page.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::site::copy_dir;
use crate::tools::{cache_dir, npm_install};

const VERSION: &str = "5.2.1";

/// reveal.js's package folder, installed from npm into the shared cache on first use.
pub fn ensure_package() -> Result<PathBuf> {
    let prefix = cache_dir().join("revealjs");
    let package = prefix.join("node_modules/reveal.js");
    let installed = std::fs::read_to_string(package.join("package.json")).unwrap_or_default();
    if installed.contains(&format!("\"version\": \"{VERSION}\"")) {
        return Ok(package);
    }
    npm_install(&prefix, "reveal.js", VERSION)?;
    Ok(package)
}

/// Writes into `out` a page showing the markdown files of `slides` (in file-name order) with
/// reveal.js, and the files it needs.
pub fn site(package: &Path, slides: &Path, assets: &Path, out: &Path) -> Result<()> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    for file in ["dist/reveal.js", "dist/reveal.css", "dist/theme/white.css", "plugin/markdown/markdown.js"] {
        let to = out.join(file);
        std::fs::create_dir_all(to.parent().context("a file has a folder")?)?;
        std::fs::copy(package.join(file), &to).with_context(|| format!("copying reveal.js's {file}"))?;
    }
    copy_dir(&package.join("dist/theme/fonts"), &out.join("dist/theme/fonts"))?;
    copy_dir(assets, &out.join("assets"))?;
    let markdown = reveal_markdown(slides)?;
    std::fs::write(out.join("index.html"), page(&markdown))?;
    Ok(())
}

/// The deck's markdown in reveal's dialect: no front matter, one `---` between files, images
/// relative to the page.
fn reveal_markdown(slides: &Path) -> Result<String> {
    let files = markdown_files(slides)?;
    let mut parts = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let body = if index == 0 { without_front_matter(&text) } else { &text };
        parts.push(body.replace("](../assets/", "](assets/"));
    }
    Ok(parts.join("\n\n---\n\n"))
}

fn without_front_matter(text: &str) -> &str {
    for fence in ["---\n", "+++\n"] {
        if let Some(rest) = text.strip_prefix(fence) {
            if let Some(end) = rest.find(&format!("\n{fence}")) {
                return &rest[end + fence.len() + 1..];
            }
        }
    }
    text
}

fn page(markdown: &str) -> String {
    // A textarea's content is raw text up to `</textarea`; escaping keeps any markdown intact.
    let escaped = markdown.replace('&', "&amp;").replace('<', "&lt;");
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>reveal.js baseline</title>
<link rel="stylesheet" href="dist/reveal.css">
<link rel="stylesheet" href="dist/theme/white.css">
</head>
<body>
<div class="reveal"><div class="slides">
<section data-markdown data-separator="^---$" data-separator-notes="^Note:"><textarea data-template>
{escaped}
</textarea></section>
</div></div>
<script src="dist/reveal.js"></script>
<script src="plugin/markdown/markdown.js"></script>
<script>Reveal.initialize({{ hash: true, plugins: [RevealMarkdown] }});</script>
</body>
</html>
"#
    )
}

/// The `.md` files of `slides`, in file-name order (the order the deck reads them in).
pub(super) fn markdown_files(slides: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(slides)
        .with_context(|| format!("reading {}", slides.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| path.extension().is_some_and(|ext| ext == "md"));
    files.sort();
    Ok(files)
}
