//! `cargo xtask bench`: every performance figure of the project in one run, each beside a
//! baseline measured in the same run, printed as a table and written to BENCHMARKS.md.
//!
//! Browser figures come from `tests/e2e/src/bin/browser_bench.rs` (headless Chromium, fresh
//! profiles); server figures from a blocking keep-alive client ([`http`]) against the release
//! server and demo function. reveal.js (npm) renders the same markdown as the baseline deck.
mod browser;
mod http;
mod platform;
mod release;
mod reveal;
mod slidev;
mod storage;
mod transfer;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use deck_core::routes::embed_page;
use deck_core::PanelKind;

use crate::cmd::target_dir;
use crate::cmd::{run, step};
use crate::site::dist;
use crate::tools::Tools;
use browser::BrowserDriver;
use transfer::{transfer, transfer_row};

const FIRST_SLIDE_SAMPLES: usize = 7;
const NAVIGATION_PRESSES: usize = 30;
const OVERVIEW_SAMPLES: usize = 5;
const COST_EDITS: usize = 30;
const THUMBNAIL_UPLOADS: usize = 5;
const COLD_STARTS: usize = 30;
const WARM_CALLS: usize = 5_000;
const CONCURRENCY: usize = 8;
const THROUGHPUT_WINDOW: Duration = Duration::from_secs(5);
const BROWSER_TIMEOUT: Duration = Duration::from_secs(600);
const NAVIGATION_DECK: usize = 200;
const OVERVIEW_DECK: usize = 400;
/// A trivial static file written into each served folder: the warm-call baseline.
const PING: &str = "ping.txt";

pub fn bench(tools: &Tools) -> Result<()> {
    let load_at_start = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let work = std::path::absolute(target_dir().join("bench"))?;
    let sites = build(tools, &work)?;
    let driver = BrowserDriver {
        program: std::path::absolute(target_dir().join("debug/browser_bench"))?,
        chromedriver: tools.chromedriver.clone(),
    };

    let mut rows = Vec::new();
    {
        let deck = Server::start(&sites.talk)?;
        let revealjs = Server::start(&sites.reveal_talk)?;
        step("first load: transfer and time to first slide (deck, embeds, reveal.js, Slidev)");
        let deck_load = driver.first_slide("deck", &deck.url("/"), FIRST_SLIDE_SAMPLES)?;
        let reveal_load = driver.first_slide("reveal", &revealjs.url("/"), FIRST_SLIDE_SAMPLES)?;
        let reveal_painted = transfer(&sites.reveal_talk, "/", &reveal_load.painted)?;
        let reveal_all = transfer(&sites.reveal_talk, "/", &reveal_load.all)?;
        let slidev = sites.slidev_talk.as_ref().map_err(|e| anyhow::anyhow!("{e:#}")).and_then(|site| {
            let server = Server::start(site)?;
            let load = driver.first_slide("slidev", &server.url("/"), 1)?;
            transfer(site, "/", &load.all)
        });
        rows.push(transfer_row(
            "transfer until slide 1 is painted",
            transfer(&sites.talk, "/", &deck_load.painted)?,
            "reveal.js",
            reveal_painted,
            40,
            None,
        ));
        let whole = transfer(&sites.talk, "/", &deck_load.all)?;
        let whole_deck = "whole deck: everything the page fetches until idle";
        // What the deck needs before it answers keys; its chunks (panels, dialogs, speaker view)
        // follow (src/lazy.rs).
        let is_chunk = |url: &&String| url.contains("/split_") || url.contains("/chunk_");
        let first: Vec<String> = deck_load.all.iter().filter(|url| !is_chunk(url)).cloned().collect();
        let navigation = transfer(&sites.talk, "/", &first)?;
        rows.push(Row::compared(
            "deck before its chunks: page, CSS, the wasm that navigates",
            format!("{} gz · {} br", kb(navigation.gz), kb(navigation.br)),
            "whole deck",
            format!("{} gz · {} br", kb(whole.gz), kb(whole.br)),
            navigation.gz as f64 / whole.gz as f64,
            "—",
            None,
        ));
        rows.push(transfer_row(whole_deck, whole, "reveal.js", reveal_all, 120, None));
        rows.push(match &slidev {
            Ok(slidev) => transfer_row(whole_deck, whole, "Slidev", *slidev, 120, Some(0.55)),
            Err(e) => Row::unavailable(&format!("{whole_deck} vs Slidev: SKIPPED"), e),
        });
        for kind in PanelKind::ALL {
            let page = format!("/{}", embed_page(kind.name()));
            let embed = driver.first_slide("embed", &deck.url(&page), 1)?;
            let bytes = transfer(&sites.talk, &page, &embed.all)?;
            rows.push(transfer_row(
                &format!("{page}: everything it fetches"),
                bytes,
                "whole deck",
                whole,
                60,
                None,
            ));
        }
        for (measure, ours, theirs) in [
            ("time to first slide (since navigation start)", &deck_load.samples, &reveal_load.samples),
            (
                "time to first slide (since the page's first byte)",
                &deck_load.after_first_byte,
                &reveal_load.after_first_byte,
            ),
        ] {
            let (ours, theirs) = (median(ours), median(theirs));
            rows.push(Row::compared(
                &format!("{measure}, median of {FIRST_SLIDE_SAMPLES}"),
                ms(ours),
                "reveal.js",
                ms(theirs),
                ours / theirs,
                "≤ 0.5× reveal.js",
                ours <= theirs * 0.5,
            ));
        }

        step("cost recompute in the browser (cost panel embed)");
        rows.push(
            match driver.cost(&deck.url(&format!("/{}", embed_page(PanelKind::Cost.name()))), COST_EDITS) {
                Ok((edits, floors)) => {
                    let (edit, floor) = (median(&edits), median(&floors));
                    Row::compared(
                        &format!("cost recompute: input → new total painted, median of {COST_EDITS}"),
                        ms(edit),
                        "empty frame",
                        ms(floor),
                        edit / floor,
                        "—",
                        None,
                    )
                }
                Err(e) => Row::unavailable("cost recompute", &e),
            },
        );

        step("thumbnails: a 2-megapixel photo from the panel to its three thumbnails shown");
        rows.extend(
            match driver.thumbnails(
                &deck.url(&format!("/{}", embed_page(PanelKind::Thumbnails.name()))),
                THUMBNAIL_UPLOADS,
            ) {
                Ok((cold, warm, put)) => {
                    let (cold, warm, put) = (median(&cold), median(&warm), median(&put));
                    let measure = |start: &str| {
                        format!("upload → three thumbnails shown, {start}, median of {THUMBNAIL_UPLOADS}")
                    };
                    vec![
                        Row::compared(
                            &measure("warm"),
                            ms(warm),
                            "the photo's PUT alone",
                            ms(put),
                            warm / put,
                            "< 150 ms",
                            warm < 150.0,
                        ),
                        Row::compared(
                            &measure("cold"),
                            ms(cold),
                            "the photo's PUT alone",
                            ms(put),
                            cold / put,
                            "< 300 ms",
                            cold < 300.0,
                        ),
                    ]
                }
                Err(e) => vec![Row::unavailable("upload → three thumbnails shown", &e)],
            },
        );

        step(S3_STEP);
        rows.extend(
            storage::figures(&work).unwrap_or_else(|e| vec![Row::unavailable("local S3 throughput", &e)]),
        );

        step("local Lambda platform: cold starts, warm calls, throughput");
        rows.extend(platform::figures(&deck)?);
    }
    {
        step(&format!("keypress → next slide painted ({NAVIGATION_DECK}-slide decks)"));
        let deck = Server::start(&sites.deck_200)?;
        let revealjs = Server::start(&sites.reveal_200)?;
        rows.push(compare_presses(
            &format!("keypress → next slide painted, median of {NAVIGATION_PRESSES}"),
            driver.samples("next-slide", "deck", &deck.url("/"), NAVIGATION_PRESSES, None),
            driver.samples("next-slide", "reveal", &revealjs.url("/"), NAVIGATION_PRESSES, None),
            16.0,
            None,
        ));
    }
    {
        step(&format!("overview open ({OVERVIEW_DECK}-slide decks)"));
        let deck = Server::start(&sites.deck_400)?;
        let revealjs = Server::start(&sites.reveal_400)?;
        rows.push(compare_presses(
            &format!("overview open ({OVERVIEW_DECK} slides), median of {OVERVIEW_SAMPLES}"),
            driver.samples("overview", "deck", &deck.url("/"), OVERVIEW_SAMPLES, Some(OVERVIEW_DECK)),
            driver.samples("overview", "reveal", &revealjs.url("/"), OVERVIEW_SAMPLES, Some(OVERVIEW_DECK)),
            100.0,
            Some(1.0),
        ));
    }

    step(RELEASE_STEP);
    let release = crate::release::for_this_machine(&sites.talk);
    rows.extend(
        release
            .and_then(|binary| release::figures(&binary, &work))
            .unwrap_or_else(|e| vec![Row::unavailable("release binary", &e)]),
    );

    let table = render_table(&rows);
    println!("\n{table}");
    let report = report(&table, &load_at_start)?;
    std::fs::write("BENCHMARKS.md", report)?;
    eprintln!("written: BENCHMARKS.md");
    Ok(())
}

const S3_STEP: &str = "local S3 API: PUT and GET throughput";
const RELEASE_STEP: &str = "the release binary: size, fresh start → first slide served, --slides";

/// A part of the bench that runs alone (`cargo xtask bench --only <part>`): its rows are printed,
/// and BENCHMARKS.md, which holds one whole run, is left as it is.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Part {
    /// The local S3 API's PUT and GET throughput (needs the release server only).
    S3,
    /// The release binary: size, fresh and cached starts, `--slides` (builds the deck and it).
    Release,
}

pub fn part(tools: &Tools, part: Part) -> Result<()> {
    let work = std::path::absolute(target_dir().join("bench"))?;
    let rows = match part {
        Part::S3 => {
            crate::lambda::build_native()?;
            step(S3_STEP);
            storage::figures(&work)?
        }
        Part::Release => {
            let talk = work.join("dist-talk");
            dist(tools, "/", None, &talk)?;
            step(RELEASE_STEP);
            release::figures(&crate::release::for_this_machine(&talk)?, &work)?
        }
    };
    println!("\n{}", render_table(&rows));
    Ok(())
}

/// The folders served during the run.
struct Sites {
    talk: PathBuf,
    /// Slidev's build of the talk, when npm could install Slidev.
    slidev_talk: Result<PathBuf>,
    deck_200: PathBuf,
    deck_400: PathBuf,
    reveal_talk: PathBuf,
    reveal_200: PathBuf,
    reveal_400: PathBuf,
}

/// Release server and demo function, the browser driver, the three decks (the talk and two
/// generated ones) and their reveal.js twins.
fn build(tools: &Tools, work: &Path) -> Result<Sites> {
    crate::lambda::build_native()?;
    step("building the browser driver");
    run(Command::new("cargo").args(["build", "-p", "deck-e2e", "--bin", "browser_bench"]))?;

    let talk_sources = std::path::absolute("slides")?;
    let deck = |name: &str, slides: Option<&Path>| -> Result<PathBuf> {
        let out = work.join(name);
        // `dist` reads DECK_SLIDES from this process.
        match slides {
            Some(slides) => std::env::set_var("DECK_SLIDES", slides),
            None => std::env::remove_var("DECK_SLIDES"),
        }
        let built = dist(tools, "/", None, &out);
        std::env::remove_var("DECK_SLIDES");
        built?;
        std::fs::write(out.join(PING), "ok\n")?;
        Ok(out)
    };
    let slides_200 = generate_slides(&work.join(format!("slides-{NAVIGATION_DECK}")), NAVIGATION_DECK)?;
    let slides_400 = generate_slides(&work.join(format!("slides-{OVERVIEW_DECK}")), OVERVIEW_DECK)?;
    let talk = deck("dist-talk", None)?;
    let deck_200 = deck(&format!("dist-{NAVIGATION_DECK}"), Some(&slides_200))?;
    let deck_400 = deck(&format!("dist-{OVERVIEW_DECK}"), Some(&slides_400))?;

    step("reveal.js (npm) pages of the same markdown");
    let package = reveal::ensure_package()?;
    let revealjs = |name: &str, slides: &Path| -> Result<PathBuf> {
        let out = work.join(name);
        reveal::site(&package, slides, Path::new("assets"), &out)?;
        std::fs::write(out.join(PING), "ok\n")?;
        Ok(out)
    };
    step("Slidev (npm) build of the same markdown");
    let slidev_talk = slidev::site(&talk_sources, Path::new("assets"), &work.join("slidev-talk"));
    if let Err(e) = &slidev_talk {
        eprintln!("    Slidev SKIPPED: {e:#}");
    }
    Ok(Sites {
        slidev_talk,
        reveal_talk: revealjs("reveal-talk", &talk_sources)?,
        reveal_200: revealjs(&format!("reveal-{NAVIGATION_DECK}"), &slides_200)?,
        reveal_400: revealjs(&format!("reveal-{OVERVIEW_DECK}"), &slides_400)?,
        talk,
        deck_200,
        deck_400,
    })
}

/// A deck of `count` slides shaped like the talk's: heading, text, a list, highlighted code, notes.
fn generate_slides(dir: &Path, count: usize) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut text = format!("---\ntitle: \"Generated deck of {count} slides\"\n---\n\n");
    for n in 1..=count {
        if n > 1 {
            text.push_str("\n---\n\n");
        }
        write!(
            text,
            "## Slide {n}: what the platform does\n\n\
             Functions start on demand, scale out per request and stop when idle; slide {n} says so \
             with **bold** words and `inline code`.\n\n\
             - the request arrives\n- an instance is found or started\n- the response is returned\n\n\
             ```rust\nfn handler(n: u32) -> u32 {{\n    n * {n}\n}}\n```\n\n\
             <!-- Notes for slide {n}: say why it matters. -->\n"
        )?;
    }
    std::fs::write(dir.join("slides.md"), text)?;
    Ok(dir.to_path_buf())
}

/// Medians of key-press timings against reveal.js's; the goal is `goal_ms` and, if given, at
/// most `max_ratio` times reveal.js.
fn compare_presses(
    measure: &str,
    ours: Result<Vec<f64>>,
    theirs: Result<Vec<f64>>,
    goal_ms: f64,
    max_ratio: Option<f64>,
) -> Row {
    let goal = match max_ratio {
        Some(ratio) => format!("< {goal_ms} ms and ≤ {ratio:.1}× reveal.js"),
        None => format!("< {goal_ms} ms"),
    };
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            let (ours, theirs) = (median(&ours), median(&theirs));
            let met = ours < goal_ms && max_ratio.is_none_or(|r| ours / theirs <= r);
            Row::compared(measure, ms(ours), "reveal.js", ms(theirs), ours / theirs, &goal, met)
        }
        (Ok(ours), Err(e)) => {
            let ours = median(&ours);
            Row::compared(
                measure,
                ms(ours),
                "reveal.js",
                format!("not available ({e:#})"),
                f64::NAN,
                &goal,
                ours < goal_ms,
            )
        }
        (Err(e), _) => Row::unavailable(measure, &e),
    }
}

/// Waits for `child` up to `limit`; kills it past that (None).
fn wait_bounded(child: &mut Child, limit: Duration) -> Result<Option<std::process::ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The release server on a free loopback port, serving one folder with the demo function;
/// stopped (SIGTERM, so it stops its function instances too) when dropped.
struct Server {
    child: Child,
    host: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(dist: &Path) -> Result<Server> {
        Server::start_with(dist, Path::new("demos/functions.toml"))
    }

    fn start_with(dist: &Path, functions: &Path) -> Result<Server> {
        let mut child = Command::new(target_dir().join("release/serverless-deck"))
            .args(["--addr", "127.0.0.1:0", "--dist"])
            .arg(dist)
            .arg("--functions")
            .arg(functions)
            // The thumbnails' uploads stay with the run.
            .arg("--data")
            .arg(dist.with_extension("data"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting serverless-deck")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.lock().expect("log lock").push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut server = Server { child, host: String::new(), log };
        loop {
            let listening =
                server.lines().iter().find_map(|l| l.strip_prefix("listening on http://").map(str::to_owned));
            if let Some(host) = listening {
                server.host = host.trim().trim_end_matches('/').to_owned();
                return Ok(server);
            }
            if Instant::now() > deadline || server.child.try_wait()?.is_some() {
                bail!("serverless-deck did not start: {:?}", server.lines());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    fn lines(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }

    /// The platform's measure of the last `count` cold starts: REPORT lines' Init Duration.
    fn init_durations(&self, count: usize) -> Result<Vec<f64>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let inits: Vec<f64> = self
                .lines()
                .iter()
                .filter_map(|line| line.split("Init Duration: ").nth(1)?.split(' ').next()?.parse().ok())
                .collect();
            if inits.len() >= count {
                return Ok(inits[inits.len() - count..].to_vec());
            }
            if Instant::now() > deadline {
                bail!("the server logged {} Init Durations, expected {count}", inits.len());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        if !matches!(wait_bounded(&mut self.child, Duration::from_secs(10)), Ok(Some(_))) {
            let _ = self.child.kill();
        }
    }
}

/// One line of the table.
struct Row {
    measure: String,
    value: String,
    baseline: String,
    ratio: String,
    goal: String,
    verdict: &'static str,
}

impl Row {
    fn compared(
        measure: &str,
        value: String,
        baseline_name: &str,
        baseline: String,
        ratio: f64,
        goal: &str,
        met: impl Into<Option<bool>>,
    ) -> Row {
        Row {
            measure: measure.to_owned(),
            value,
            baseline: format!("{baseline_name}: {baseline}"),
            ratio: if ratio.is_finite() { format!("{ratio:.2}×") } else { "—".into() },
            goal: goal.to_owned(),
            verdict: match met.into() {
                Some(true) => "PASS",
                Some(false) => "MISS",
                None => "—",
            },
        }
    }

    fn unavailable(measure: &str, error: &anyhow::Error) -> Row {
        Row {
            measure: measure.to_owned(),
            value: format!("not available ({error:#})"),
            baseline: "—".into(),
            ratio: "—".into(),
            goal: "—".into(),
            verdict: "n/a",
        }
    }
}

fn render_table(rows: &[Row]) -> String {
    let mut table = String::from(
        "| measure | value | baseline (same run) | ratio | goal | |\n|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {} | {} |",
            row.measure, row.value, row.baseline, row.ratio, row.goal, row.verdict
        );
    }
    table
}

fn report(table: &str, load_at_start: &str) -> Result<String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|m| m.trim().to_owned()))
        .unwrap_or_default();
    let line = |program: &str, args: &[&str]| {
        crate::cmd::output_line(program, args).unwrap_or_else(|| "unknown".into())
    };
    let date = line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    Ok(format!(
        "# Benchmarks\n\n\
         Written by `cargo xtask bench` on {date}. Every baseline was measured in the same run.\n\n\
         Machine: {cpu}, {cores} cores, {memory} RAM; {os}; {chromium}; load average at start: {load}.\n\n\
         {table}\n\
         ## How each figure is measured\n\n\
         - **Transfer**: the page's own HTML plus files the browser loaded from the site (Resource \
           Timing), each compressed with `gzip -9` and with brotli 11. *Until slide 1 is painted*: the \
           files the first paint needed (render-blocking ones, and images that had arrived by the \
           largest contentful paint). *Until idle*: everything fetched until the network was quiet for \
           a second. *Before its chunks*: the same, less the wasm-split chunks (`split_*`, `chunk_*`: \
           the panels, overview and search, speaker view) that follow once the deck runs. An embed \
           page counts what it fetches itself. The reveal.js page uses \
           `dist/reveal.js`, `reveal.css`, the white theme (with its fonts) and the markdown plugin, \
           without the highlight plugin: our code is highlighted at build time, so leaving reveal.js's \
           highlighter out favours reveal.js. Slidev is `slidev build` (`@slidev/cli` 53, default theme) \
           of the same markdown in one file, panel blocks shown as TOML.\n\
         - **Time to first slide**: headless Chromium, a fresh profile per sample; the largest contentful \
           paint after the first slide's title is in the page, in ms since navigation start, and in ms \
           since the page's first byte arrived (the part the page itself decides; the browser's own \
           start-up for a fresh profile, the same for every page, is left out).\n\
         - **Keypress → next slide**: a real → key press (WebDriver); from the keydown event's timestamp \
           to the task after the first frame in which the next slide is shown, i.e. after it is painted. \
           Includes waiting for the next frame (up to one 60 Hz interval), which no page can avoid.\n\
         - **Overview**: `o` on a freshly loaded {OVERVIEW_DECK}-slide deck (the first opening of the page; the grid's HTML \
           is parsed just after the first slide is painted, which the driver's own steps usually outlast), \
           to the frame showing all thumbnails painted.\n\
         - **Cost recompute**: in the cost panel's embed page, an edited `requests` input to the frame \
           showing the new total (estimate, comparison, break-even and both charts recomputed in wasm); \
           baseline: the same wait for an empty frame.\n\
         - **Cold start**: `POST /api/functions/hello/recycle`, then one call; the platform's REPORT \
           `Init Duration` (spawn → first `/next`), the function's own `init_ms`, and the client's view. \
           Baseline: spawning and reaping `/bin/true`.\n\
         - **Warm calls and throughput**: blocking HTTP/1.1 keep-alive clients written for the bench \
           (one at c=1, {CONCURRENCY} threads at c={CONCURRENCY} after starting {CONCURRENCY} instances), against a \
           static file from the same server. `cargo lambda watch` is not run (installing it takes ≈ 15 min).\n\
         - **Thumbnails**: on `/embed/thumbnails/` with the local platform, a press on the city sample \
           (1920×1080 JPEG) until the frame that shows its three new thumbnails decoded; *cold* with \
           the function's instances stopped first (`recycle`), *warm* right after; baseline: the photo's \
           own `PUT`, as the browser timed it (Resource Timing).\n\
         - **Release binary**: `cargo xtask release` for this machine; its size against the server part \
           alone; spawn → `/` answered with the first slide, with an empty HOME (fresh: the bundle is \
           unpacked and checked) against the second start with the cache in place; the unpack time \
           is the one the binary logs; `--slides`: the same start (cache in place) presenting a copy \
           of the talk's markdown and images as a folder, compiled at start.\n\
         - **Local S3 throughput**: a server of its own with one bucket and no notification rule; per \
           round an upload ticket, then on the same keep-alive connection the `PUT` of pseudo-random \
           bytes to its presigned URL (written, then renamed into place) and the `GET` of the object \
           through the ticket's presigned URL, each timed until its whole answer is read; baseline: a \
           static file of the same size from the server's folder, in the same rounds. MB = 2^20 bytes.\n",
        os = line("uname", &["-srm"]),
        chromium = line("chromium", &["--version"]),
        load = load_at_start.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    ))
}

fn median(samples: &[f64]) -> f64 {
    percentile(samples, 50.0)
}

fn percentile(samples: &[f64], percent: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((percent / 100.0) * (sorted.len().saturating_sub(1)) as f64).round() as usize;
    sorted.get(rank).copied().unwrap_or(f64::NAN)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn ms(value: f64) -> String {
    if value < 1.0 {
        format!("{value:.3} ms")
    } else {
        format!("{value:.1} ms")
    }
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}
