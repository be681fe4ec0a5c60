//! `--slides DIR`: the presenter's own markdown instead of the built-in talk, compiled by the same
//! compiler as `cargo xtask dist`, into the same site (its [`Shells`]): the wasm reads its deck
//! from the page, so any deck works with the built apps. The folder is watched; every save
//! compiles again, and the open pages hear of it on `routes::DECK_EVENTS_ROUTE`: they reload at the same
//! slide, or show the errors as `file:line: message` over the last good deck, which stays served.
//!
//! Watching is polling (names, sizes and modification times, four times a second), as
//! presenterm does: it sees editors' rename-over-saves and needs no platform watcher.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::response::sse::{Event, KeepAlive, Sse};
use deck_core::live::DeckStatus;
use deck_core::page::{self, Shells, SHELLS_FILE};
use deck_core::Deck;
use futures_util::Stream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::platform::logs::LogSink;

const POLL: Duration = Duration::from_millis(250);
const SETTLE: Duration = Duration::from_millis(50);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Why `--slides` cannot start: the process exits with code 2 and this message.
#[derive(Debug, thiserror::Error)]
pub enum SlidesError {
    #[error("--slides {0}: no such folder")]
    Missing(PathBuf),
    #[error("--slides {0}: not a folder")]
    NotAFolder(PathBuf),
    #[error("{0}")]
    DoesNotCompile(deck_compiler::Errors),
    #[error("{path} cannot be read ({source}): the built deck has no page shells; rebuild it with `cargo xtask dist`")]
    NoShells { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a page-shells file: {source}")]
    BadShells { path: PathBuf, source: serde_json::Error },
    #[error("the deck's page shells: {0}")]
    Template(#[from] page::TemplateError),
}

/// The deck compiled from a folder, kept up to date.
#[derive(Clone)]
pub struct LiveDeck {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    shells: Shells,
    served: watch::Sender<Served>,
}

/// The last good deck's pages, by path, and how the last compile went.
#[derive(Clone)]
struct Served {
    pages: Arc<HashMap<String, String>>,
    status: DeckStatus,
}

impl LiveDeck {
    /// Compiles `dir` once (its errors stop the start) and watches it until `shutdown`.
    pub fn start(
        dir: &Path,
        dist: &Path,
        log: LogSink,
        shutdown: CancellationToken,
    ) -> Result<Self, SlidesError> {
        if !dir.exists() {
            return Err(SlidesError::Missing(dir.into()));
        }
        if !dir.is_dir() {
            return Err(SlidesError::NotAFolder(dir.into()));
        }
        let path = dist.join(SHELLS_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|source| SlidesError::NoShells { path: path.clone(), source })?;
        let shells = serde_json::from_str(&text).map_err(|source| SlidesError::BadShells { path, source })?;
        let started = Instant::now();
        let deck = compile(dir).map_err(SlidesError::DoesNotCompile)?;
        let pages = render(&deck, &shells, 1)?;
        log.line(compiled_line(dir, &deck, started));
        let served = Served { pages, status: DeckStatus { version: 1, errors: Vec::new() } };
        let live = LiveDeck {
            inner: Arc::new(Inner { dir: dir.into(), shells, served: watch::Sender::new(served) }),
        };
        tokio::spawn(live.clone().watch(log, shutdown));
        Ok(live)
    }

    /// A page of the last good deck: `index.html`, `embed/<kind>/index.html`, `embed/index.html`.
    pub fn page(&self, path: &str) -> Option<String> {
        self.inner.served.borrow().pages.get(path).cloned()
    }

    /// Where the slides' images are: they name them `assets/…`, as in the repository.
    pub fn assets(&self) -> PathBuf {
        self.inner.dir.join("assets")
    }

    /// `routes::DECK_EVENTS_ROUTE`: the status now, then after every compile.
    pub fn events(&self) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        let receiver = self.inner.served.subscribe();
        let statuses = futures_util::stream::unfold((receiver, true), |(mut receiver, first)| async move {
            if !first {
                receiver.changed().await.ok()?;
            }
            let status = receiver.borrow_and_update().status.clone();
            Some((status, (receiver, false)))
        });
        let events = futures_util::StreamExt::map(statuses, |status| {
            Ok(Event::default().data(serde_json::to_string(&status).expect("a status is plain data")))
        });
        Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
    }

    async fn watch(self, log: LogSink, shutdown: CancellationToken) {
        let dir = self.inner.dir.clone();
        let mut seen = fingerprint(&dir);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
            let mut now = fingerprint(&dir);
            if now == seen {
                continue;
            }
            // A save in progress (several writes, or a file and its image) settles first, so a
            // half-written file does not flash an error.
            loop {
                tokio::time::sleep(SETTLE).await;
                let later = fingerprint(&dir);
                if later == now {
                    break;
                }
                now = later;
            }
            seen = now;
            let started = Instant::now();
            let compiled = tokio::task::spawn_blocking({
                let dir = dir.clone();
                move || compile(&dir)
            })
            .await;
            let Ok(compiled) = compiled else { return };
            self.update(compiled, started, &log);
        }
    }

    fn update(&self, compiled: Result<Deck, deck_compiler::Errors>, started: Instant, log: &LogSink) {
        let version = self.inner.served.borrow().status.version;
        let rendered = compiled
            .map_err(|errors| errors.0.iter().map(ToString::to_string).collect::<Vec<_>>())
            .and_then(|deck| match render(&deck, &self.inner.shells, version + 1) {
                Ok(pages) => Ok((deck, pages)),
                Err(error) => Err(vec![error.to_string()]),
            });
        match rendered {
            Ok((deck, pages)) => {
                log.line(format!("{}; open decks reload", compiled_line(&self.inner.dir, &deck, started)));
                self.inner.served.send_replace(Served {
                    pages,
                    status: DeckStatus { version: version + 1, errors: Vec::new() },
                });
            }
            Err(errors) => {
                for error in &errors {
                    log.line(error.clone());
                }
                log.line(format!("{} error(s) in the slides: the last good deck stays up", errors.len()));
                self.inner.served.send_modify(|served| served.status.errors = errors);
            }
        }
        log.flush();
    }
}

fn compile(dir: &Path) -> Result<Deck, deck_compiler::Errors> {
    deck_compiler::compile_dir(dir, &dir.join("assets"))
}

fn render(
    deck: &Deck,
    shells: &Shells,
    version: u64,
) -> Result<Arc<HashMap<String, String>>, page::TemplateError> {
    Ok(Arc::new(page::site(deck, shells, &page::live_meta(version))?.into_iter().collect()))
}

fn compiled_line(dir: &Path, deck: &Deck, started: Instant) -> String {
    format!(
        "slides: {} compiled, {} slides of “{}” ({} ms)",
        dir.display(),
        deck.slides.len(),
        deck.meta.title,
        started.elapsed().as_millis()
    )
}

/// What a change to the slides changes: each markdown file's and image's name, size and time.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    fn visit(dir: &Path, deep: bool, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if deep || path.file_name().is_some_and(|name| name == "assets") {
                    visit(&path, true, out);
                }
            } else if deep || path.extension().is_some_and(|ext| ext == "md") {
                out.push((path, meta.len(), meta.modified().ok()));
            }
        }
    }
    let mut out = Vec::new();
    visit(dir, false, &mut out);
    out.sort();
    out
}
