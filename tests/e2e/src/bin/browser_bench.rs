//! Browser timings for `cargo xtask bench`, in headless Chromium over WebDriver.
//!
//! `browser_bench <measure> <page> <url> <samples> [<slides>]`, where `page` is `deck` (ours),
//! `reveal` (the reveal.js baseline), or `embed` (a panel's page) and `slidev` (the Slidev
//! baseline), both for `first-slide` only, and `measure` is one of:
//! - `first-slide`: a fresh browser profile per sample; the largest contentful paint once the
//!   first slide is shown, in ms since navigation start (`sample`) and since the page's first
//!   byte (`page`). Also lists the files the page loaded until
//!   the network was quiet, each marked `painted` (the first paint needed it) or `later`.
//! - `next-slide`: → pressed for real; ms from the keydown event to the frame after the next slide
//!   is shown (one page, `samples` presses).
//! - `overview`: `o` pressed on a freshly loaded page; ms from keydown to the frame after a grid of
//!   `slides` thumbnails is shown.
//! - `cost`: the cost panel's embed page; ms from an edited input to the frame after the new total,
//!   and the same for an empty frame as the floor.
//! - `thumbnails`: the thumbnails panel's embed page, served with the local platform; ms from
//!   pressing a sample (a 2-megapixel JPEG) to the frame that shows its three thumbnails decoded,
//!   with the function stopped first (`cold <ms>`) and then not (`sample <ms>`), and the `PUT`
//!   of the same photo alone, as the browser timed it (`put <ms>`), as the baseline.
//!
//! Prints one `sample <ms>` line per sample (`floor <ms>` for the empty frame, `resource
//! painted|later <url>` for loaded files); the caller computes medians. Needs CHROMEDRIVER.
use std::time::Duration;

use anyhow::{bail, Context, Result};
use deck_e2e::{keys, Browser};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Stores in `window.__benchProbe` a promise of the ms from the next keydown to the painted frame
/// in which `arguments[0]` (a JS expression) holds; -1 if that does not happen within 10 s.
const KEY_PROBE: &str = r#"
const shown = new Function('return !!(' + arguments[0] + ')');
window.__benchProbe = new Promise(resolve => {
  const timeout = setTimeout(() => resolve(-1), 10000);
  addEventListener('keydown', event => {
    const start = event.timeStamp;
    const frame = () => {
      if (!shown()) return requestAnimationFrame(frame);
      // Posted during this frame's rAF, the message is handled once the frame is painted.
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { clearTimeout(timeout); resolve(performance.now() - start); };
      channel.port2.postMessage(0);
    };
    requestAnimationFrame(frame);
  }, { capture: true, once: true });
});
"#;

const AWAIT_PROBE: &str = "window.__benchProbe.then(arguments[arguments.length - 1]);";

/// The largest contentful paint (the first slide's, as nothing else paints later), half a second
/// after the first slide is shown so the entry is final: since navigation start, and since the
/// page's first byte arrived (what the page itself costs, without the browser's start-up).
const FIRST_PAINT: &str = r#"
const done = arguments[arguments.length - 1];
let last = null;
new PerformanceObserver(list => { const all = list.getEntries(); last = all[all.length - 1]; })
  .observe({ type: 'largest-contentful-paint', buffered: true });
const firstByte = performance.getEntriesByType('navigation')[0].responseStart;
setTimeout(() => done(last ? [last.startTime, last.startTime - firstByte] : [-1, -1]), 500);
"#;

/// Every file the page loaded once the network has been quiet for a second (at most 15 s), each
/// with whether the first paint needed it: render-blocking (CSS, scripts in the head), or an
/// image that had arrived by the largest contentful paint.
const LOADED: &str = r#"
const [paint, done] = [arguments[0], arguments[arguments.length - 1]];
const started = performance.now();
let count = -1, quietSince = performance.now();
const check = () => {
  const all = performance.getEntriesByType('resource');
  if (all.length !== count) { count = all.length; quietSince = performance.now(); }
  if (performance.now() - quietSince < 1000 && performance.now() - started < 15000) return setTimeout(check, 100);
  done(all.map(r => ({
    url: r.name,
    painted: r.renderBlockingStatus === 'blocking' || (r.initiatorType === 'img' && r.responseEnd <= paint),
  })));
};
check();
"#;

/// Edits a cost input (`arguments[0]` = the new value) and reports the ms until the frame showing
/// the new total is painted; with `arguments[0] === null`, the same wait for an empty frame.
const COST_PROBE: &str = r#"
const [value, done] = [arguments[0], arguments[arguments.length - 1]];
const total = document.querySelector('[data-testid=total-cost]');
const before = total.textContent;
const start = performance.now();
const timeout = setTimeout(() => done(-1), 10000);
if (value !== null) {
  const input = document.querySelector('input[name=requests]');
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}
const frame = () => {
  if (value !== null && total.textContent === before) return requestAnimationFrame(frame);
  const channel = new MessageChannel();
  channel.port1.onmessage = () => { clearTimeout(timeout); done(performance.now() - start); };
  channel.port2.postMessage(0);
};
requestAnimationFrame(frame);
"#;

/// Presses sample `arguments[0]` in the thumbnails panel, the function's instances stopped
/// first when `arguments[1]`; reports [ms until the frame showing three new thumbnails decoded,
/// ms the photo's `PUT` took], or -1 after 30 s.
const THUMBNAILS_PROBE: &str = r#"
const [sample, cold, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const images = () => [...document.querySelectorAll('[data-testid=thumbnails] img')];
const before = new Set(images().map(i => i.src));
const timeout = setTimeout(() => done(-1), 30000);
const shown = () => { const all = images();
  return all.length === 3 && all.every(i => !before.has(i.src) && i.complete && i.naturalWidth > 0); };
(cold ? fetch('/api/functions/thumbnail/recycle', { method: 'POST' }) : Promise.resolve()).then(() => {
  const start = performance.now();
  document.querySelector(`[data-action=sample-${sample}]`).click();
  const frame = () => {
    if (!shown()) return requestAnimationFrame(frame);
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      clearTimeout(timeout);
      const puts = performance.getEntriesByType('resource')
        .filter(e => new URL(e.name).pathname.includes('/uploads/') && !e.name.includes('/api/'));
      done([performance.now() - start, puts.length ? puts[puts.length - 1].duration : -1]);
    };
    channel.port2.postMessage(0);
  };
  requestAnimationFrame(frame);
});
"#;

#[derive(Clone, Copy)]
enum Page {
    Deck,
    Reveal,
    /// A panel's embed page (for what it loads).
    Embed,
    /// Slidev's build of the talk (for `first-slide` only).
    Slidev,
}

impl Page {
    /// JS: slide `n` (1-based) is the one shown.
    fn slide_shown(self, n: usize) -> String {
        match self {
            Page::Deck => {
                format!("document.querySelector('section.slide[data-slide=\"{n}\"]:not([hidden])')")
            }
            Page::Reveal | Page::Embed | Page::Slidev => format!(
                "window.Reveal && Reveal.isReady() && Reveal.getIndices().h === {} \
                 && document.querySelector('.reveal .slides > section.present')",
                n - 1
            ),
        }
    }

    /// JS: the first slide is shown with its title.
    fn first_slide_shown(self) -> String {
        match self {
            Page::Deck => {
                "document.querySelector('section.slide[data-slide=\"1\"]:not([hidden]) :is(h1, h2)')".into()
            }
            Page::Embed => "document.querySelector('main.embed .panel, main.embed [role=alert]')".into(),
            Page::Slidev => "document.querySelector('.slidev-page-1 :is(h1, h2)')".into(),
            Page::Reveal => format!(
                "({}) && document.querySelector('.reveal .slides > section.present :is(h1, h2)')",
                self.slide_shown(1)
            ),
        }
    }

    /// JS: the overview shows all `slides` thumbnails.
    fn overview_shown(self, slides: usize) -> String {
        match self {
            Page::Deck => format!("document.querySelectorAll('dialog[open] .overview-grid .thumb').length >= {slides}"),
            Page::Reveal | Page::Embed | Page::Slidev => format!(
                "document.querySelector('.reveal.overview') && document.querySelectorAll('.reveal .slides > section').length >= {slides}"
            ),
        }
    }
}

impl Page {
    /// Opens `url` and waits until the page answers keys: ours once the app has taken over its
    /// HTML, the others once their first slide is shown.
    async fn open(self, browser: &Browser, url: &str) -> Result<()> {
        match self {
            Page::Deck | Page::Embed => browser.open(url).await?,
            Page::Reveal | Page::Slidev => browser.client.goto(url).await?,
        }
        browser.wait_for(&self.first_slide_shown(), READY_TIMEOUT).await
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [measure, page, url, samples, rest @ ..] = args.as_slice() else {
        bail!("usage: browser_bench first-slide|next-slide|overview|cost|thumbnails deck|reveal|embed|slidev URL SAMPLES [SLIDES]");
    };
    let page = match page.as_str() {
        "deck" => Page::Deck,
        "reveal" => Page::Reveal,
        "embed" => Page::Embed,
        "slidev" => Page::Slidev,
        other => bail!("page must be `deck` or `reveal`, not `{other}`"),
    };
    let samples: usize = samples.parse().context("SAMPLES must be a number")?;
    match measure.as_str() {
        "first-slide" => first_slide(page, url, samples).await,
        "next-slide" => next_slide(page, url, samples).await,
        "overview" => {
            let slides =
                rest.first().context("overview needs SLIDES")?.parse().context("SLIDES must be a number")?;
            overview(page, url, samples, slides).await
        }
        "cost" => cost(url, samples).await,
        "thumbnails" => thumbnails(url, samples).await,
        other => bail!("unknown measure `{other}`"),
    }
}

async fn first_slide(page: Page, url: &str, samples: usize) -> Result<()> {
    for sample in 0..samples {
        let browser = Browser::start().await?;
        browser.client.goto(url).await?;
        browser.wait_for(&page.first_slide_shown(), READY_TIMEOUT).await?;
        let paint = browser.client.execute_async(FIRST_PAINT, vec![]).await?;
        let (ms, after_first_byte) = (paint[0].as_f64().unwrap_or(-1.0), paint[1].as_f64().unwrap_or(-1.0));
        if ms < 0.0 {
            bail!("{url}: no largest-contentful-paint entry");
        }
        println!("sample {ms:.3}");
        println!("page {after_first_byte:.3}");
        if sample == 0 {
            let loaded = browser.client.execute_async(LOADED, vec![ms.into()]).await?;
            for resource in loaded.as_array().into_iter().flatten() {
                let when = if resource["painted"].as_bool() == Some(true) { "painted" } else { "later" };
                println!("resource {when} {}", resource["url"].as_str().unwrap_or_default());
            }
        }
        browser.close().await?;
    }
    Ok(())
}

async fn next_slide(page: Page, url: &str, samples: usize) -> Result<()> {
    let browser = Browser::start().await?;
    page.open(&browser, url).await?;
    for sample in 0..samples {
        let expected = sample + 2;
        arm_key_probe(&browser, &page.slide_shown(expected)).await?;
        browser.press(keys::RIGHT).await?;
        let ms = probe_result(&browser).await?;
        println!("sample {ms:.3}");
        // Let the page settle (reveal.js animates its transition) before the next press.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.close().await
}

async fn overview(page: Page, url: &str, samples: usize, slides: usize) -> Result<()> {
    let browser = Browser::start().await?;
    for _ in 0..samples {
        // A fresh page each time: the first opening is the one that builds the grid.
        browser.client.goto("about:blank").await?;
        page.open(&browser, url).await?;
        arm_key_probe(&browser, &page.overview_shown(slides)).await?;
        browser.press("o").await?;
        let ms = probe_result(&browser).await?;
        println!("sample {ms:.3}");
    }
    browser.close().await
}

async fn cost(url: &str, samples: usize) -> Result<()> {
    let browser = Browser::start().await?;
    browser.open(url).await?;
    browser.wait_for("document.querySelector('[data-testid=total-cost]')", READY_TIMEOUT).await?;
    for sample in 0..samples {
        let requests = 20_000_000 + sample * 1_000_000;
        let ms = browser.client.execute_async(COST_PROBE, vec![requests.to_string().into()]).await?;
        println!("sample {:.3}", positive(ms)?);
        let floor = browser.client.execute_async(COST_PROBE, vec![serde_json::Value::Null]).await?;
        println!("floor {:.3}", positive(floor)?);
    }
    browser.close().await
}

async fn thumbnails(url: &str, samples: usize) -> Result<()> {
    let browser = Browser::start().await?;
    browser.open(url).await?;
    browser.wait_for("document.querySelector('[data-action=sample-1]')", READY_TIMEOUT).await?;
    for sample in 0..samples * 2 {
        let cold = sample % 2 == 0;
        // The city photo: 1920×1080, about 2 megapixels.
        let timings = browser.client.execute_async(THUMBNAILS_PROBE, vec![1.into(), cold.into()]).await?;
        let shown = positive(timings[0].clone()).context("no thumbnails within 30 s")?;
        println!("{} {shown:.3}", if cold { "cold" } else { "sample" });
        println!("put {:.3}", positive(timings[1].clone())?);
    }
    browser.close().await
}

async fn arm_key_probe(browser: &Browser, shown: &str) -> Result<()> {
    browser.client.execute(KEY_PROBE, vec![shown.into()]).await?;
    Ok(())
}

async fn probe_result(browser: &Browser) -> Result<f64> {
    positive(browser.client.execute_async(AWAIT_PROBE, vec![]).await?)
}

fn positive(value: serde_json::Value) -> Result<f64> {
    match value.as_f64() {
        Some(ms) if ms >= 0.0 => Ok(ms),
        _ => bail!("the page did not reach the expected state within 10 s"),
    }
}
