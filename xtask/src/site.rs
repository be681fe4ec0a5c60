//! `cargo xtask dist`: the static site, built without trunk so each page loads only its own code.
//!
//! One cargo build makes every wasm binary: `deck-app` (the deck, the speaker view, follow mode)
//! and one `embed-<kind>` per panel kind, which holds that panel alone. Each goes through
//! wasm-bindgen and wasm-opt and gets a content hash in its name; the CSS files do too. The
//! talk is compiled and written into the deck's page ([`deck_core::page`]), each embed kind gets
//! a page of its own with no slides, and every text file and wasm gets `.gz` and `.br` copies.
//! (`cargo xtask dev` still runs trunk, for its hot reload; see `pages.rs`.)
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use deck_core::{page, Deck, PanelKind};
use sha2::{Digest, Sha256};

use crate::cmd::{run, step, target_dir};
use crate::tools::{Tools, WasmToolchain};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";
const DECK_BIN: &str = "deck-app";
const EMIT_RELOCS: &str = "-Clink-args=--emit-relocs";
/// What an unsplit wasm imports its split points' loaders from: it could not start.
const SPLIT_IMPORT: &[u8] = b"__wasm_split_placeholder__";
/// Every page gets the deck's look; the deck's page also gets the speaker view's and dialogs'.
const SHARED_CSS: &[&str] = &["assets/deck.css", "assets/panels.css"];
const DECK_CSS: &str = "assets/presenter.css";
/// Files worth compressing; images in `assets/` other than SVG are already compressed.
const COMPRESSIBLE: &[&str] = &["html", "js", "wasm", "css", "svg", "json", "txt"];

fn embed_bin(kind: PanelKind) -> String {
    format!("embed-{}", kind.name())
}

/// A wasm app as the pages load it: its JS glue and its wasm, by hashed file name.
struct App {
    js: String,
    wasm: String,
}

/// The static site, deployable to any static host, also under a sub-path; `lambda` bakes in a
/// deployed function. The slides are `slides/`, or the folder `DECK_SLIDES` names.
pub fn dist(tools: &Tools, public_url: &str, lambda: Option<&str>, out: &Path) -> Result<()> {
    if !public_url.starts_with('/') || !public_url.ends_with('/') {
        bail!("--public-url must start and end with `/`, e.g. /talk/ (got `{public_url}`)");
    }
    let slides = std::env::var_os("DECK_SLIDES").map_or_else(|| PathBuf::from("slides"), PathBuf::from);
    step(&format!("building the deck into {} (public URL {public_url})", out.display()));
    // The slides first: a bad one fails in a second, not after the wasm build.
    let mut deck = compile(&slides, Path::new("assets"))?;
    if let Some(url) = lambda {
        deck.meta.lambda = Some(checked_lambda(url)?);
    }

    let embeds: Vec<String> = PanelKind::ALL.map(embed_bin).to_vec();
    step(&format!(
        "building the wasm apps ({DECK_BIN}, {}; the first build takes minutes)",
        embeds.join(", ")
    ));
    // The deck with its split points. The embeds without: an exported split point would keep
    // every part of the deck in them.
    build_wasm(tools, &[DECK_BIN.to_owned()], &["--features", "split"])?;
    build_wasm(tools, &embeds, &[])?;

    clear(out)?;
    copy_dir(Path::new("assets"), &out.join("assets"))?;
    let shared_css: Vec<String> =
        SHARED_CSS.iter().map(|css| hashed_copy(Path::new(css), out)).collect::<Result<_>>()?;
    let deck_css = hashed_copy(Path::new(DECK_CSS), out)?;

    let built = wasm_dir(tools.wasm);
    let mut css = shared_css.clone();
    css.push(deck_css);
    let shells = page::Shells {
        deck: shell(public_url, &css, Some(&app(tools, &built, DECK_BIN, true, out)?)),
        embeds: PanelKind::ALL
            .iter()
            .map(|&kind| {
                let app = app(tools, &built, &embed_bin(kind), false, out)?;
                Ok((kind.name().to_owned(), shell(public_url, &shared_css, Some(&app))))
            })
            .collect::<Result<_>>()?,
        no_such_embed: shell(public_url, &shared_css, None),
    };
    write_pages(out, &deck, &shells)?;
    precompress(out)
}

/// Builds `bins` of the deck-app package for the browser.
fn build_wasm(tools: &Tools, bins: &[String], args: &[&str]) -> Result<()> {
    let mut cargo = tools.wasm_command("cargo");
    cargo.args(["build", "-p", "deck-app", "--target", WASM_TARGET, "--profile", PROFILE]).args(args);
    for bin in bins {
        cargo.args(["--bin", bin]);
    }
    // The relocations wasm-split reads to cut the deck's wasm; on every build alike, so that
    // the dependencies are built once for both.
    match std::env::var("RUSTFLAGS") {
        Ok(flags) => cargo.env("RUSTFLAGS", format!("{flags} {EMIT_RELOCS}")),
        Err(_) => cargo.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", EMIT_RELOCS),
    };
    run(&mut cargo)
}

/// The deck of `slides`, its images in `assets`; every error is printed as `file:line: message`.
pub fn compile(slides: &Path, assets: &Path) -> Result<Deck> {
    deck_compiler::compile_dir(slides, assets).map_err(|errors| {
        eprintln!("{errors}");
        anyhow::anyhow!("the slides have {} error(s)", errors.0.len())
    })
}

/// A `--lambda` URL, by the rule of the panels' own `lambda` parameter.
fn checked_lambda(url: &str) -> Result<String> {
    let url = url.trim();
    match deck_core::PanelSpec::new(PanelKind::Invoke, [("lambda", url)]) {
        Ok(_) => Ok(url.to_owned()),
        Err(errors) => {
            bail!("--lambda {url}: {}", errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "))
        }
    }
}

/// Writes into `out` the deck's page, one page per embed kind and the page for unknown kinds,
/// and the shells they were made from (for `serverless-deck --slides`, which writes another
/// deck into the same site).
pub fn write_pages(out: &Path, deck: &Deck, shells: &page::Shells) -> Result<()> {
    for (path, html) in page::site(deck, shells, "")? {
        write(&out.join(path), &html)?;
    }
    write(&out.join(page::SHELLS_FILE), &serde_json::to_string(shells)?)
}

/// Empties `out` for the new site, refusing to clear a folder that holds something else.
fn clear(out: &Path) -> Result<()> {
    if out.exists() {
        let empty = std::fs::read_dir(out)?.next().is_none();
        if !empty && !out.join("index.html").is_file() {
            bail!("{} is not a built site (no index.html): choose another --out", out.display());
        }
        std::fs::remove_dir_all(out).with_context(|| format!("clearing {}", out.display()))?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))
}

/// Where cargo put the wasm binaries.
fn wasm_dir(toolchain: WasmToolchain) -> PathBuf {
    // The Debian toolchain builds in a target folder of its own (see `Tools::wasm_command`).
    let target = match (toolchain, std::env::var_os("CARGO_TARGET_DIR")) {
        (WasmToolchain::Debian, None) => PathBuf::from("target/debian-toolchain"),
        _ => target_dir(),
    };
    target.join(WASM_TARGET).join(PROFILE)
}

/// `bin`'s wasm through wasm-split (`split`), wasm-bindgen (ES module glue) and `wasm-opt -Oz`,
/// into a folder of `out` named by the hash of all it holds: its files refer to each other by
/// relative names, which then need no rewriting.
fn app(tools: &Tools, built: &Path, bin: &str, split: bool, out: &Path) -> Result<App> {
    let work = target_dir().join("site").join(bin);
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    let pkg = work.join("pkg");
    std::fs::create_dir_all(&pkg)?;
    let cargo_wasm = built.join(format!("{bin}.wasm"));
    let (main_wasm, mut wasm_files) = if split {
        split_wasm(&cargo_wasm, bin, &work, &pkg)?
    } else {
        let wasm = std::fs::read(&cargo_wasm)?;
        if wasm.windows(SPLIT_IMPORT.len()).any(|w| w == SPLIT_IMPORT) {
            bail!("{bin}.wasm has split points (built with the `split` feature?) but is not split");
        }
        // What `--emit-relocs` adds is for wasm-split only; wasm-opt cannot optimise around it.
        let plain = work.join(format!("{bin}.wasm"));
        let stripped = without_link_sections(&wasm)
            .with_context(|| format!("reading the sections of {}", cargo_wasm.display()))?;
        std::fs::write(&plain, stripped)?;
        (plain, Vec::new())
    };
    let mut bindgen = tools.wasm_command("wasm-bindgen");
    bindgen.args(["--target", "web", "--no-typescript", "--out-name", bin, "--out-dir"]).arg(&pkg);
    if split {
        // The chunks call the main module's functions by their linker names.
        bindgen.args(["--keep-lld-exports", "--no-demangle"]);
    }
    run(bindgen.arg(&main_wasm))?;
    wasm_files.push(pkg.join(format!("{bin}_bg.wasm")));
    for wasm in &wasm_files {
        run(tools.wasm_command("wasm-opt").arg("-Oz").arg(wasm).arg("-o").arg(wasm))?;
    }

    let files = files_in(&pkg)?;
    let mut hasher = Sha256::new();
    for file in &files {
        hasher.update(file.strip_prefix(&pkg)?.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(file)?);
    }
    let folder = format!("{bin}-{}", hex16(&hasher.finalize()));
    copy_dir(&pkg, &out.join(&folder))?;
    Ok(App { js: format!("{folder}/{bin}.js"), wasm: format!("{folder}/{bin}_bg.wasm") })
}

/// Splits the deck's wasm at its `split_point!`s (src/lazy.rs) into a main module, written into
/// `work` for wasm-bindgen, and chunks with their loader `__wasm_split.js`, written into `pkg`.
/// Returns the main module and the chunks.
fn split_wasm(input: &Path, bin: &str, work: &Path, pkg: &Path) -> Result<(PathBuf, Vec<PathBuf>)> {
    step(&format!("splitting {bin}.wasm into chunks"));
    let wasm = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let main = work.join(format!("{bin}.wasm"));
    let main_module = format!("./{bin}.js");
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = pkg;
    options.main_out_path = &main;
    options.main_module = &main_module;
    options.link_name = "./__wasm_split.js";
    let split = wasm_split_cli_support::transform(options)
        .map_err(|error| anyhow::anyhow!("wasm-split on {}: {error:#}", input.display()))?;
    Ok((main, split.split_modules))
}

/// `wasm` without its linker sections (`linking`, `reloc.*`), section by section as the binary
/// format lays them out: an id byte, the size as LEB128, then a custom section's name.
fn without_link_sections(wasm: &[u8]) -> Result<Vec<u8>> {
    const HEADER: usize = 8;
    fn leb128(bytes: &[u8], at: &mut usize) -> Result<usize> {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = *bytes.get(*at).context("a LEB128 number cut short")?;
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            if shift > 28 {
                bail!("a LEB128 number too long");
            }
        }
    }
    if wasm.len() < HEADER || &wasm[..4] != b"\0asm" {
        bail!("not a wasm module");
    }
    let mut out = wasm[..HEADER].to_vec();
    let mut at = HEADER;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        at += 1;
        let size = leb128(wasm, &mut at)?;
        let end = at.checked_add(size).filter(|&end| end <= wasm.len()).context("a section past the end")?;
        let linker_only = id == 0 && {
            let mut name_at = at;
            let len = leb128(wasm, &mut name_at)?;
            let name = wasm.get(name_at..name_at + len).context("a section name past the end")?;
            name == b"linking" || name.starts_with(b"reloc.")
        };
        if !linker_only {
            out.extend_from_slice(&wasm[start..end]);
        }
        at = end;
    }
    Ok(out)
}

/// Every file below `dir`, sorted.
pub(crate) fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(files_in(&path)?);
        } else {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The page around the talk's parts: what trunk's `index.html` holds for `cargo xtask dev`.
fn shell(public_url: &str, css: &[String], app: Option<&App>) -> String {
    let mut head = String::new();
    for file in css {
        let _ = writeln!(head, "    <link rel=\"stylesheet\" href=\"{file}\" />");
    }
    if let Some(App { js, wasm }) = app {
        // Fetched at once, in parallel with the page. The app starts after the page's own first
        // frame, so the slide is on screen before the app's start-up takes the main thread; or
        // after 100 ms where frames are held back (an iframe below the fold, a background tab).
        // A failure is an unhandled rejection, which the page's fallback shows (deck_core::page).
        let _ = write!(
            head,
            "    <link rel=\"modulepreload\" href=\"{js}\" />\n    <link rel=\"preload\" href=\"{wasm}\" as=\"fetch\" type=\"application/wasm\" crossorigin />\n    <script type=\"module\">import init from \"./{js}\"; let started = false; const start = () => started || (started = true, init({{ module_or_path: \"{wasm}\" }})); requestAnimationFrame(() => setTimeout(start)); setTimeout(start, 100);</script>\n"
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\" />\n    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n    <meta name=\"color-scheme\" content=\"light dark\" />\n    <base href=\"{public_url}\" />\n    {}\n{head}  </head>\n  <body>\n    {}\n  </body>\n</html>\n",
        page::HEAD_MARKER,
        page::BODY_MARKER,
    )
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::create_dir_all(path.parent().context("a page has a folder")?)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Copies `file` into `out` as `<stem>-<hash>.<ext>`; returns that name.
fn hashed_copy(file: &Path, out: &Path) -> Result<String> {
    let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let stem = file.file_stem().and_then(|s| s.to_str()).context("a file name")?;
    let ext = file.extension().and_then(|s| s.to_str()).context("an extension")?;
    let name = format!("{stem}-{}.{ext}", short_hash(&data));
    std::fs::write(out.join(&name), data)?;
    Ok(name)
}

/// 16 hex digits of SHA-256: the server and static hosts cache such names for ever.
fn short_hash(data: &[u8]) -> String {
    hex16(&Sha256::digest(data))
}

fn hex16(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `<file>.gz` (gzip -9) and `<file>.br` (brotli 11) beside every compressible file, for
/// hosts (and our server) that send precompressed files.
fn precompress(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            precompress(&path)?;
            continue;
        }
        let compressible =
            path.extension().and_then(|e| e.to_str()).is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !compressible {
            continue;
        }
        let data = std::fs::read(&path)?;
        std::fs::write(with_suffix(&path, "gz"), gzip(&data)?)?;
        std::fs::write(with_suffix(&path, "br"), brotli(&data)?)?;
    }
    Ok(())
}

/// `data` as `gzip -9` would write it.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data)?;
    Ok(gz.finish()?)
}

/// `data` as brotli at its best quality (11), as static hosts precompress.
pub fn brotli(data: &[u8]) -> Result<Vec<u8>> {
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut br, &params)?;
    Ok(br)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baked_function_url_must_be_one_the_panels_would_call() {
        let url = "https://abc123.lambda-url.eu-west-1.on.aws/";
        assert_eq!(checked_lambda(&format!(" {url}\n")).unwrap(), url);
        let error = checked_lambda("javascript:alert(1)").unwrap_err().to_string();
        assert_eq!(error, "--lambda javascript:alert(1): must be an absolute http(s) URL");
    }

    #[test]
    fn precompressed_copies_decompress_to_the_file_and_images_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let page = "<p>hello</p>\n".repeat(200);
        std::fs::create_dir_all(dir.path().join("embed")).unwrap();
        std::fs::write(dir.path().join("embed/index.html"), &page).unwrap();
        std::fs::write(dir.path().join("photo.jpg"), [0xff, 0xd8, 0xff]).unwrap();
        precompress(dir.path()).unwrap();
        let gz = std::fs::read(dir.path().join("embed/index.html.gz")).unwrap();
        let mut unzipped = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped).unwrap();
        assert_eq!(unzipped, page);
        let br = std::fs::read(dir.path().join("embed/index.html.br")).unwrap();
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut unbrotli).unwrap();
        assert_eq!(unbrotli, page.as_bytes());
        assert!(br.len() < page.len() / 10);
        assert!(!dir.path().join("photo.jpg.gz").exists());
    }

    #[test]
    fn linker_sections_are_dropped_and_the_rest_kept_as_it_was() {
        let custom = |name: &str, body: &[u8]| {
            let mut payload = vec![name.len() as u8];
            payload.extend_from_slice(name.as_bytes());
            payload.extend_from_slice(body);
            // The size in LEB128, which takes two bytes from 128 on.
            let size = payload.len();
            let mut section = if size < 128 {
                vec![0, size as u8]
            } else {
                vec![0, 0x80 | (size & 0x7f) as u8, (size >> 7) as u8]
            };
            section.extend(payload);
            section
        };
        let header = b"\0asm\x01\0\0\0".to_vec();
        let types = vec![1, 4, 1, 0x60, 0, 0]; // one type: () -> ()
        let names = custom("name", &[0, 1, 0]);
        let wasm = [
            header.clone(),
            custom("linking", &[2, 0]),
            types.clone(),
            custom("reloc.CODE", &[9; 200]),
            names.clone(),
        ]
        .concat();
        assert_eq!(without_link_sections(&wasm).unwrap(), [header, types, names].concat());
        assert!(without_link_sections(b"\0asm").is_err());
        assert!(without_link_sections(&wasm[..wasm.len() - 1]).is_err(), "a section cut short");
    }

    #[test]
    fn hashed_names_follow_the_content() {
        assert_eq!(short_hash(b"ab"), short_hash(b"ab"));
        assert_ne!(short_hash(b"ab"), short_hash(b"ac"));
        assert_eq!(short_hash(b"").len(), 16);
        assert!(short_hash(b"").bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn a_folder_that_is_not_a_site_is_never_cleared() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let error = clear(dir.path()).unwrap_err().to_string();
        assert!(error.contains("not a built site"), "{error}");
        assert!(dir.path().join("notes.txt").exists());
        std::fs::write(dir.path().join("index.html"), "old site").unwrap();
        clear(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_shell_loads_its_app_relative_to_the_public_url() {
        let app = App { js: "a-1.js".into(), wasm: "a-1_bg.wasm".into() };
        let html = shell("/talk/", &["deck-2.css".into()], Some(&app));
        assert!(html.contains(r#"<base href="/talk/" />"#), "{html}");
        assert!(html.contains(r#"<link rel="stylesheet" href="deck-2.css" />"#));
        assert!(
            html.contains(r#"import init from "./a-1.js"; let started = false; const start = () => started || (started = true, init({ module_or_path: "a-1_bg.wasm" })); requestAnimationFrame(() => setTimeout(start)); setTimeout(start, 100);"#),
            "{html}"
        );
        assert!(!shell("/", &[], None).contains("<script"));
    }
}
