//! `cargo xtask pdf`: the deck as a PDF, printed by headless Chromium through the deck's own
//! print stylesheet: one 16:9 page per slide, each followed by a page of speaker notes with
//! `--notes`. Panels print what they show at load.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::cmd::step;
use crate::tools::Tools;
use crate::web;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Virtual time Chromium gives the page to load the wasm and render before it prints.
const RENDER_BUDGET_MS: u32 = 20_000;
/// Wall-clock limits, so a stuck browser or server fails the command instead of hanging it.
const PRINT_TIMEOUT: Duration = Duration::from_secs(90);
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(20);

pub struct PdfOptions {
    pub notes: bool,
    pub out: PathBuf,
    /// An already built deck to print instead of building one.
    pub dist: Option<PathBuf>,
}

pub fn pdf(tools: &Tools, options: &PdfOptions) -> Result<()> {
    let dist = match &options.dist {
        Some(dist) if dist.join("index.html").is_file() => dist.clone(),
        Some(dist) => {
            bail!("{} has no index.html: build it with `cargo xtask dist --out {0}`", dist.display())
        }
        None => {
            let dist = crate::cmd::target_dir().join("pdf-dist");
            crate::site::dist(tools, "/", None, &dist)?;
            dist
        }
    };
    crate::lambda::build_native()?;
    let server = DeckServer::start(&dist)?;
    // Print snapshots of the deck (see src/print.rs): they settle, so Chromium can print them.
    let query = if options.notes { "?print-notes" } else { "?print" };
    let url = format!("{}/{query}#/1", server.url);
    if let Some(dir) = options.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    step(&format!("printing {url} to {} with headless Chromium", options.out.display()));
    print_to_pdf(&url, &options.out)?;
    let pdf = std::fs::read(&options.out)
        .with_context(|| format!("Chromium wrote no {}", options.out.display()))?;
    if !pdf.starts_with(b"%PDF-") {
        bail!("{} is not a PDF", options.out.display());
    }
    eprintln!("    wrote {} ({} pages)", options.out.display(), count_pages(&pdf));
    Ok(())
}

/// Page objects in a PDF: `/Type /Page`, not the `/Type /Pages` tree nodes.
pub fn count_pages(pdf: &[u8]) -> usize {
    const PAGE: &[u8] = b"/Type /Page";
    pdf.windows(PAGE.len() + 1).filter(|w| w.starts_with(PAGE) && w[PAGE.len()] != b's').count()
}

fn print_to_pdf(url: &str, out: &Path) -> Result<()> {
    if !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing: run `cargo xtask setup` (Debian package `chromium`)");
    }
    let profile = std::env::temp_dir().join(format!("serverless-deck-pdf-{}", std::process::id()));
    let mut chromium = Command::new(CHROMIUM);
    chromium
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--virtual-time-budget={RENDER_BUDGET_MS}"))
        .arg(format!("--print-to-pdf={}", std::path::absolute(out)?.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let outcome = run_with_timeout(&mut chromium, PRINT_TIMEOUT);
    let _ = std::fs::remove_dir_all(&profile);
    outcome
}

fn run_with_timeout(command: &mut Command, limit: Duration) -> Result<()> {
    let mut child = command.spawn().with_context(|| format!("cannot start {:?}", command.get_program()))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return if status.success() { Ok(()) } else { bail!("Chromium failed ({status})") };
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "Chromium did not finish printing within {} s. It prints once the page is idle: \
                 a print snapshot (?print) must not keep a connection open (a live panel's event \
                 stream, polling)",
                limit.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The deck server on a free loopback port, stopped when dropped.
struct DeckServer {
    url: String,
    child: Child,
}

impl DeckServer {
    fn start(dist: &Path) -> Result<DeckServer> {
        let mut child = web::server_command("127.0.0.1:0", dist)
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start serverless-deck")?;
        let stdout = child.stdout.take().context("serverless-deck has no stdout")?;
        // The server prints its address once it listens; keep reading its log so it never
        // blocks on a full pipe.
        let (found, address) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = found.send(url.trim().trim_end_matches('/').to_string());
                }
            }
        });
        let mut server = DeckServer { url: String::new(), child };
        server.url = address.recv_timeout(SERVER_START_TIMEOUT).with_context(|| {
            format!("serverless-deck printed no address within {} s", SERVER_START_TIMEOUT.as_secs())
        })?;
        Ok(server)
    }
}

impl Drop for DeckServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::count_pages;

    #[test]
    fn counts_pages_not_page_trees() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n3 0 obj <</Type /Page/Parent 1 0 R>>";
        assert_eq!(count_pages(pdf), 2);
    }
}
