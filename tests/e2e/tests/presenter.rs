//! Presenter and audience features, driven like a user would: two real windows kept in step
//! (position, reveal steps, panel state), the overview, go to, search, read mode, swipes, the
//! shortcut help, themes and the PDF export.
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use deck_e2e::{keys, Browser, Server};
use fantoccini::Locator;

const LOAD: Duration = Duration::from_secs(15);
const SYNC: Duration = Duration::from_secs(5);

const DECK_READY: &str = "document.querySelector('section.slide:not([hidden])')";
const TOTAL: &str =
    "return document.querySelectorAll('main.deck section.slide, .presenter section.slide').length";
const OPEN_DIALOG: &str = "document.querySelector('dialog[open]')?.getAttribute('aria-label')";

async fn open_deck(server: &Server, browser: &Browser, path: &str) -> Result<u64> {
    browser.open(&format!("{}/{path}", server.url)).await?;
    browser.wait_for(DECK_READY, LOAD).await?;
    browser.js(TOTAL).await?.as_u64().context("slide count")
}

#[tokio::test]
async fn speaker_view_and_audience_stay_in_step_with_panels_mirrored() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let total = open_deck(&server, &browser, "#/2").await?;
    let audience = browser.client.window().await?;
    browser.press(keys::RIGHT).await?;
    browser.wait_for("location.hash === '#/3'", SYNC).await?;

    // Opened later, the speaker view catches up with the audience at once.
    let speaker = browser.open_window(&format!("{}/?presenter", server.url), 1280, 800).await?;
    browser
        .wait_for("document.querySelector(\".presenter section.slide[data-slide='3']:not([hidden])\")", LOAD)
        .await?;
    let count = browser.text(".presenter-count").await?;
    assert_eq!(count, format!("Slide 3 of {total}"));
    assert!(browser.text(".presenter-heading").await?.starts_with("Next: slide 4"));
    assert!(
        browser.js("return document.querySelector('.notes-text').textContent.length").await?.as_u64()
            > Some(0)
    );
    browser.screenshot("presenter-view").await?;

    // A theme picked in one window applies in the others.
    let theme = "document.documentElement.dataset.theme";
    let light_or_dark = browser.js(&format!("return {theme}")).await?;
    browser.press("d").await?;
    browser.wait_for(&format!("{theme} !== {light_or_dark}"), SYNC).await?;
    browser.screenshot("presenter-view-other-theme").await?;
    browser.switch_to(&audience).await?;
    browser.wait_for(&format!("{theme} !== {light_or_dark}"), SYNC).await?;
    browser.switch_to(&speaker).await?;
    browser.press("d").await?;
    browser.wait_for(&format!("{theme} === {light_or_dark}"), SYNC).await?;

    // Reveal steps travel both ways.
    let stepped = browser.first_slide_with(".block.pending").await?;
    browser.go_to(stepped).await?;
    browser.press(keys::RIGHT).await?;
    browser.wait_for(&format!("location.hash === '#/{stepped}/1'"), SYNC).await?;
    assert!(browser.text(".presenter-count").await?.contains("step 1 of"));
    browser.switch_to(&audience).await?;
    browser.wait_for(&format!("location.hash === '#/{stepped}/1'"), SYNC).await?;
    let pending =
        format!("document.querySelectorAll('section.slide[data-slide=\"{stepped}\"] .block.pending').length");
    let pending_at_step_1 = browser.js(&format!("return {pending}")).await?;
    browser.press(keys::LEFT).await?;
    browser.wait_for(&format!("location.hash === '#/{stepped}'"), SYNC).await?;
    assert!(browser.js(&format!("return {pending}")).await?.as_u64() > pending_at_step_1.as_u64());
    browser.switch_to(&speaker).await?;
    browser.wait_for(&format!("location.hash === '#/{stepped}'"), SYNC).await?;

    // What the speaker types and the result of the call appear in the audience's window,
    // which makes no request of its own.
    let invoke = browser.first_slide_with("[data-panel=invoke]").await?;
    browser.go_to(invoke).await?;
    let panel = format!("section.slide[data-slide='{invoke}'] [data-panel=invoke]");
    browser
        .js(&format!(
            "const name = document.querySelector(\"{panel} input[name=name]\"); name.focus(); name.select();"
        ))
        .await?;
    // Typed into a field, shortcut letters are text.
    browser.type_keys("Mirrored audienceogr").await?;
    assert_eq!(browser.js(&format!("return {OPEN_DIALOG} ?? null")).await?, serde_json::Value::Null);
    assert_eq!(browser.js("return location.hash").await?, format!("#/{invoke}"));
    browser.js(&format!("document.querySelector(\"{panel} [data-testid=invoke]\").click()")).await?;
    let response = format!("document.querySelector(\"{panel} [data-testid=response]\")?.textContent");
    browser.wait_for(&format!("({response} ?? '').includes('Mirrored audience')"), LOAD).await?;
    let speaker_response = browser.js(&format!("return {response}")).await?;

    browser.switch_to(&audience).await?;
    browser.wait_for(&format!("location.hash === '#/{invoke}'"), SYNC).await?;
    browser
        .wait_for(
            &format!("document.querySelector(\"{panel} input[name=name]\").value === 'Mirrored audienceogr'"),
            SYNC,
        )
        .await?;
    browser.wait_for(&format!("({response} ?? '') === {speaker_response}"), SYNC).await?;
    let calls = "performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname.startsWith('/fn/')).length";
    assert_eq!(
        browser.js(&format!("return {calls}")).await?,
        0,
        "the audience window fetched the result again"
    );
    browser.screenshot("audience-mirrors-panel").await?;

    // A third window opened now gets the position and the panel's result straight away.
    let late = browser.open_window(&format!("{}/", server.url), 1280, 720).await?;
    browser.wait_for(&format!("location.hash === '#/{invoke}'"), LOAD).await?;
    browser.wait_for(&format!("({response} ?? '') === {speaker_response}"), SYNC).await?;
    assert_eq!(browser.js(&format!("return {calls}")).await?, 0);
    browser.client.close_window().await?;

    // Closing the speaker view breaks nothing.
    browser.switch_to(&speaker).await?;
    browser.client.close_window().await?;
    browser.switch_to(&audience).await?;
    browser.press(keys::RIGHT).await?;
    browser
        .wait_for(
            &format!("location.hash.startsWith('#/{invoke}/') || location.hash === '#/{}'", invoke + 1),
            SYNC,
        )
        .await?;
    let _ = late;
    browser.close().await
}

#[tokio::test]
async fn p_opens_the_speaker_view_whose_timer_notes_and_keys_work() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let total = open_deck(&server, &browser, "#/3").await?;
    let audience = browser.client.window().await?;

    // `f` is full screen on and off.
    let fullscreen = "!!document.fullscreenElement";
    browser.press("f").await?;
    browser.wait_for(fullscreen, SYNC).await?;
    browser.press("f").await?;
    browser.wait_for(&format!("!{fullscreen}"), SYNC).await?;

    browser.press("p").await?;
    let speaker = tokio::time::timeout(LOAD, async {
        loop {
            let windows = browser.client.windows().await?;
            if let Some(other) = windows.into_iter().find(|w| *w != audience) {
                return anyhow::Ok(other);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .context("`p` opened no window")??;
    browser.switch_to(&speaker).await?;
    browser
        .wait_for("document.querySelector('.presenter section.slide[data-slide=\"3\"]:not([hidden])')", LOAD)
        .await?;
    assert_eq!(browser.text(".presenter-count").await?, format!("Slide 3 of {total}"));
    let clock = browser.text(".wall-clock").await?;
    assert!(
        clock.len() >= 5 && clock[clock.len() - 5..].chars().filter(|c| c.is_ascii_digit()).count() == 4,
        "{clock}"
    );

    // `t` pauses the timer (it stands still), `t` again resumes it, Reset puts it back to 0:00.
    let elapsed = "document.querySelector('.timer-elapsed').textContent";
    browser.wait_for(&format!("{elapsed} !== '0:00'"), Duration::from_secs(3)).await?;
    browser.press("t").await?;
    browser.wait_for("document.querySelector('.timer button[aria-pressed=true]')", SYNC).await?;
    let paused = browser.js(&format!("return {elapsed}")).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(browser.js(&format!("return {elapsed}")).await?, paused, "a paused timer stands still");
    browser.press("t").await?;
    browser.wait_for("document.querySelector('.timer button[aria-pressed=false]')", SYNC).await?;
    browser
        .js("[...document.querySelectorAll('.timer button')].find(b => b.textContent === 'Reset').click()")
        .await?;
    browser.wait_for(&format!("{elapsed} === '0:00'"), SYNC).await?;

    // Notes grow with `+` and shrink with `-`.
    let size = "parseFloat(getComputedStyle(document.querySelector('.notes-text')).fontSize)";
    let before = browser.js(&format!("return {size}")).await?.as_f64().context("font size")?;
    browser.press("+").await?;
    browser.wait_for(&format!("{size} > {before}"), SYNC).await?;
    browser.press("-").await?;
    browser.press("-").await?;
    browser.wait_for(&format!("{size} < {before}"), SYNC).await?;

    // The speaker view's help lists its own shortcuts, not the deck's read mode.
    browser.press("?").await?;
    browser.wait_for(OPEN_DIALOG, SYNC).await?;
    let listed = browser
        .js("return [...document.querySelectorAll('dialog[open] kbd')].map(k => k.textContent)")
        .await?;
    let listed: Vec<&str> = listed.as_array().context("keys")?.iter().filter_map(|k| k.as_str()).collect();
    assert!(listed.contains(&"t") && listed.contains(&"Shift+T") && listed.contains(&"+"), "{listed:?}");
    assert!(!listed.contains(&"r") && !listed.contains(&"p"), "{listed:?}");
    browser.close().await
}

#[tokio::test]
async fn overview_jumps_by_keys_and_clicks() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let total = open_deck(&server, &browser, "#/1").await?;
    browser.press("o").await?;
    browser.wait_for("document.activeElement?.matches('button.thumb[aria-current=true]')", SYNC).await?;
    assert_eq!(browser.js(&format!("return {OPEN_DIALOG}")).await?, "All slides");
    assert_eq!(browser.js("return document.querySelectorAll('button.thumb').length").await?, total);
    browser.screenshot("overview").await?;
    browser.js("document.documentElement.dataset.theme = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'").await?;
    browser.screenshot("overview-other-theme").await?;

    browser.type_keys(&format!("{}{}{}", keys::RIGHT, keys::RIGHT, keys::RIGHT)).await?;
    assert_eq!(browser.js("return document.activeElement.dataset.index").await?, "3");
    browser.type_keys(keys::DOWN).await?;
    let below =
        browser.js("return Number(document.activeElement.dataset.index)").await?.as_u64().context("focus")?;
    assert!(below > 3, "↓ moves a row down");
    browser.type_keys(keys::ENTER).await?;
    browser.wait_for(&format!("location.hash === '#/{}'", below + 1), SYNC).await?;
    browser.wait_for(&format!("{OPEN_DIALOG} === undefined"), SYNC).await?;

    // Click a thumbnail; then Esc closes without moving, and so does `o`.
    browser.press("o").await?;
    browser.wait_for("document.activeElement?.matches('button.thumb')", SYNC).await?;
    browser.client.find(Locator::Css("button.thumb[data-index='1']")).await?.click().await?;
    browser.wait_for("location.hash === '#/2'", SYNC).await?;
    browser.press("o").await?;
    browser.wait_for("document.activeElement?.dataset.index === '1'", SYNC).await?;
    browser.type_keys(keys::ESCAPE).await?;
    browser.wait_for(&format!("{OPEN_DIALOG} === undefined"), SYNC).await?;
    browser.press("o").await?;
    // `o` closes from the grid, which has the focus once the opening frame has run.
    browser.wait_for("document.activeElement?.matches('button.thumb')", SYNC).await?;
    browser.type_keys("o").await?;
    browser.wait_for(&format!("{OPEN_DIALOG} === undefined"), SYNC).await?;
    assert_eq!(browser.js("return location.hash").await?, "#/2");
    browser.close().await
}

#[tokio::test]
async fn go_to_and_search_find_slides_and_notes() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let total = open_deck(&server, &browser, "#/1").await?;
    browser.go_to(12).await?;

    // A number that is not a slide says so and stays put.
    browser.press("g").await?;
    browser.wait_for("document.activeElement?.id === 'goto-number'", SYNC).await?;
    browser.type_keys(&format!("{}{}", total + 1, keys::ENTER)).await?;
    let error = browser.text("#goto-error").await?;
    assert!(error.contains(&format!("no slide {}", total + 1)), "{error}");
    browser.type_keys(keys::ESCAPE).await?;
    assert_eq!(browser.js("return location.hash").await?, "#/12");

    // A phrase from the last slide: its hit is listed, and choosing it jumps there.
    let title = browser
        .js(&format!(
            "return document.querySelector('section.slide[data-slide=\"{total}\"] :is(h1,h2)').textContent"
        ))
        .await?;
    let title = title.as_str().context("last slide has a heading")?.to_string();
    browser.press("/").await?;
    browser.wait_for("document.activeElement?.id === 'search-query'", SYNC).await?;
    browser.client.find(Locator::Css("#search-query")).await?.send_keys(&title).await?;
    let last_hit = format!(
        "[...document.querySelectorAll('.search-hit')].find(b => b.textContent.startsWith('Slide {total} '))"
    );
    browser.wait_for(&last_hit, SYNC).await?;
    browser.screenshot("search").await?;
    browser.js(&format!("{last_hit}.click()")).await?;
    browser.wait_for(&format!("location.hash === '#/{total}'"), SYNC).await?;

    // Notes are searched too: take words from a slide's notes (shown in read mode).
    browser.press("r").await?;
    browser.wait_for("document.querySelector('aside.notes')", SYNC).await?;
    let (slide, phrase) = {
        let found = browser
            .js("const a = document.querySelector('aside.notes div'); const words = a.textContent.trim().split(/\\s+/).slice(0, 4).join(' ');
                 return [Number(a.closest('aside').previousElementSibling.dataset.slide), words];")
            .await?;
        (found[0].as_u64().context("slide")?, found[1].as_str().context("words")?.to_string())
    };
    browser.press("r").await?;
    browser.wait_for("!document.querySelector('main.deck.read')", SYNC).await?;
    browser.press("/").await?;
    browser.wait_for("document.activeElement?.id === 'search-query'", SYNC).await?;
    let query = browser.client.find(Locator::Css("#search-query")).await?;
    query.clear().await?;
    query.send_keys(&phrase).await?;
    let notes_hit = format!("[...document.querySelectorAll('.search-hit')].find(b => b.textContent.startsWith('Notes of slide {slide} '))");
    browser.wait_for(&notes_hit, SYNC).await?;
    assert!(
        browser.js(&format!("return {notes_hit}.querySelector('mark').textContent.toLowerCase()")).await?
            == phrase.to_lowercase()
    );
    // ↓ from the field walks into the results, Enter opens the focused one.
    browser.type_keys(keys::DOWN).await?;
    browser.wait_for("document.activeElement?.classList.contains('search-hit')", SYNC).await?;
    browser.js(&format!("{notes_hit}.focus()")).await?;
    browser.type_keys(keys::ENTER).await?;
    browser.wait_for(&format!("location.hash === '#/{slide}'"), SYNC).await?;
    browser.close().await
}

#[tokio::test]
async fn read_mode_is_automatic_on_narrow_screens_and_panels_still_work() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start_sized(400, 800).await?;
    let total = open_deck(&server, &browser, "#/1").await?;
    browser.wait_for("document.querySelector('main.deck.read')", SYNC).await?;
    let layout = browser
        .js("return [document.querySelectorAll('section.slide:not([hidden])').length,
                     document.querySelectorAll('aside.notes').length > 0,
                     document.documentElement.scrollWidth <= innerWidth,
                     document.documentElement.scrollHeight > 5 * innerHeight,
                     document.querySelectorAll('[role=application]').length]")
        .await?;
    assert_eq!(layout, serde_json::json!([total, true, true, true, 0]));
    browser.screenshot("read-mode-narrow").await?;

    // The keys scroll the page instead of turning it.
    browser.press(keys::RIGHT).await?;
    assert_eq!(browser.js("return location.hash").await?, "#/1");

    let invoke = browser.first_slide_with("[data-panel=invoke]").await?;
    let panel = format!("section.slide[data-slide='{invoke}'] [data-panel=invoke]");
    browser.js(&format!("document.querySelector(\"{panel}\").scrollIntoView()")).await?;
    browser.js(&format!("document.querySelector(\"{panel} [data-testid=invoke]\").click()")).await?;
    browser.wait_for(&format!("document.querySelector(\"{panel} [data-testid=response]\")"), LOAD).await?;
    browser.screenshot("read-mode-panel").await?;
    browser.close().await?;

    // On a wide screen `r` switches it on and off, and leaves the deck at the slide read last.
    let browser = Browser::start().await?;
    open_deck(&server, &browser, "#/1").await?;
    browser.press("r").await?;
    browser.wait_for("document.querySelector('main.deck.read')", SYNC).await?;
    browser.js("document.querySelector('section.slide[data-slide=\"5\"]').scrollIntoView()").await?;
    browser.press("r").await?;
    browser.wait_for("location.hash === '#/5' && !document.querySelector('main.deck.read')", SYNC).await?;
    assert_eq!(
        browser.js("return document.querySelectorAll('section.slide:not([hidden])').length").await?,
        1
    );
    browser.close().await
}

#[tokio::test]
async fn swipes_turn_pages() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    open_deck(&server, &browser, "#/2").await?;
    browser.swipe((900.0, 400.0), (300.0, 420.0)).await?;
    browser.wait_for("location.hash === '#/3'", SYNC).await?;
    browser.swipe((300.0, 400.0), (900.0, 380.0)).await?;
    browser.wait_for("location.hash === '#/2'", SYNC).await?;
    // A mostly vertical stroke is not a swipe.
    browser.swipe((640.0, 500.0), (600.0, 100.0)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(browser.js("return location.hash").await?, "#/2");
    browser.close().await
}

#[tokio::test]
async fn help_lists_the_shortcuts_and_themes_switch_and_stick() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    open_deck(&server, &browser, "#/1").await?;
    browser.press("?").await?;
    browser.wait_for(OPEN_DIALOG, SYNC).await?;
    assert_eq!(browser.js(&format!("return {OPEN_DIALOG}")).await?, "Keyboard shortcuts");
    let listed = browser
        .js("return [...document.querySelectorAll('dialog[open] kbd')].map(k => k.textContent)")
        .await?;
    for key in ["→", "←", "Space", "Shift+Space", "Home", "End", "o", "g", "/", "r", "p", "f", "d", "?"] {
        assert!(listed.as_array().unwrap().iter().any(|k| k == key), "{key} missing from {listed}");
    }
    browser.screenshot("shortcut-help").await?;
    browser.type_keys(keys::ESCAPE).await?;
    browser.wait_for(&format!("{OPEN_DIALOG} === undefined"), SYNC).await?;

    let theme = "document.documentElement.dataset.theme";
    let before = browser.js(&format!("return {theme}")).await?;
    browser.press("d").await?;
    browser.wait_for(&format!("{theme} !== {before}"), SYNC).await?;
    let chosen = browser.js(&format!("return {theme}")).await?;
    browser.client.refresh().await?;
    browser.wait_for(DECK_READY, LOAD).await?;
    assert_eq!(browser.js(&format!("return {theme}")).await?, chosen, "the choice is remembered");
    browser.screenshot("deck-other-theme").await?;
    browser.close().await
}

/// WCAG contrast of the theme's text colours on its backgrounds, in both themes.
#[tokio::test]
async fn text_contrast_is_at_least_4_5_to_1_in_both_themes() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    open_deck(&server, &browser, "#/1").await?;
    let script = r#"
        const css = getComputedStyle(document.documentElement);
        const rgb = name => { const p = document.createElement('p'); p.style.color = css.getPropertyValue(name);
            document.body.append(p); const c = getComputedStyle(p).color.match(/\d+/g).map(Number); p.remove(); return c; };
        const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const ratio = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
        const text = ['--fg', '--muted', '--accent', '--link', '--error', '--warn', '--ok'];
        return ['--bg', '--surface', '--accent-soft', '--code-bg'].flatMap(bg =>
            text.map(fg => [fg, bg, Math.round(ratio(fg, bg) * 100) / 100]));"#;
    for theme in ["light", "dark"] {
        browser.js(&format!("document.documentElement.dataset.theme = '{theme}'")).await?;
        let pairs = browser.js(script).await?;
        for pair in pairs.as_array().context("pairs")? {
            let ratio = pair[2].as_f64().context("ratio")?;
            ensure!(ratio >= 4.5, "{theme}: {} on {} has contrast {ratio}", pair[0], pair[1]);
        }
    }
    browser.close().await
}

/// Counts the page objects of a PDF (`/Type /Page`, not `/Type /Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1).filter(|w| w.starts_with(needle) && w[needle.len()] != b's').count()
}

#[tokio::test]
async fn xtask_pdf_prints_one_page_per_slide_and_notes_pages() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let total = open_deck(&server, &browser, "#/1").await? as usize;
    browser.close().await?;
    drop(server);

    let out = tempfile::tempdir()?;
    let dist = std::env::var("DECK_DIST").context("DECK_DIST")?;
    for (notes, expected) in [(false, total), (true, 2 * total)] {
        let pdf = out.path().join(if notes { "notes.pdf" } else { "deck.pdf" });
        let mut command = tokio::process::Command::new(env!("CARGO"));
        command.args(["xtask", "pdf", "--dist", &dist, "--out"]).arg(&pdf);
        if notes {
            command.arg("--notes");
        }
        let status = command.status().await.context("running cargo xtask pdf")?;
        ensure!(status.success(), "cargo xtask pdf failed: {status}");
        let bytes = std::fs::read(&pdf)?;
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        assert_eq!(pdf_pages(&bytes), expected, "pages in {}", pdf.display());
        if let Ok(dir) = std::env::var("DECK_TEST_OUTPUT") {
            std::fs::create_dir_all(&dir)?;
            std::fs::copy(&pdf, std::path::Path::new(&dir).join(pdf.file_name().unwrap()))?;
        }
    }
    Ok(())
}
