//! The second baseline: a production build (`slidev build`) of the same markdown by Slidev (npm
//! `@slidev/cli` with its default theme), served statically like ours.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::cmd::run;
use crate::tools::{cache_dir, npm_install};

const VERSION: &str = "53";

/// Builds the Slidev site of `slides` into `out`, installing Slidev on first use.
pub fn site(slides: &Path, assets: &Path, out: &Path) -> Result<PathBuf> {
    let cli = ensure_package()?;
    let work = out.with_extension("src");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(work.join("public"))?;
    crate::site::copy_dir(assets, &work.join("public/assets"))?;
    std::fs::write(work.join("slides.md"), slidev_markdown(slides)?)?;
    run(Command::new(cli)
        .current_dir(&work)
        .args(["build", "slides.md", "--out"])
        .arg(std::path::absolute(out)?))?;
    Ok(out.to_path_buf())
}

fn ensure_package() -> Result<PathBuf> {
    let prefix = cache_dir().join(format!("slidev-{VERSION}"));
    let cli = prefix.join("node_modules/.bin/slidev");
    let installed =
        std::fs::read_to_string(prefix.join("node_modules/@slidev/cli/package.json")).unwrap_or_default();
    if !installed.contains(&format!("\"version\": \"{VERSION}.")) {
        npm_install(&prefix, "@slidev/cli", VERSION)?;
        npm_install(&prefix, "@slidev/theme-default", "latest")?;
    }
    Ok(cli)
}

/// The deck's markdown as one Slidev file: the files joined by `---`, the first one's front
/// matter kept, images from `public/assets`, and panel blocks shown as the TOML they resemble
/// (Slidev's highlighter refuses unknown languages).
fn slidev_markdown(slides: &Path) -> Result<String> {
    let mut parts = Vec::new();
    for file in &super::reveal::markdown_files(slides)? {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let text = text.replace("](../assets/", "](/assets/");
        let lines: Vec<String> = text
            .lines()
            .map(|line| if line.starts_with("```panel ") { "```toml".to_owned() } else { line.to_owned() })
            .collect();
        parts.push(lines.join("\n"));
    }
    Ok(parts.join("\n\n---\n\n"))
}
