//! Every slide of the real talk, as the audience sees it at 1280×720: a screenshot each (kept
//! under target/test-output/screenshots/talk/), and nothing spilling out of the stage.
use std::time::Duration;

use anyhow::Result;
use deck_e2e::{Browser, Server};

#[tokio::test]
async fn every_slide_fits_the_stage_in_both_themes() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.open(&format!("{}/#/1", server.url)).await?;
    browser
        .wait_for("document.querySelector('section.slide:not([hidden])')", Duration::from_secs(15))
        .await?;
    let total =
        browser.js("return document.querySelectorAll('section.slide').length").await?.as_u64().unwrap_or(0);
    assert!(total >= 30, "{total} slides");

    let mut problems = Vec::new();
    for theme in ["light", "dark"] {
        browser.js(&format!("document.documentElement.dataset.theme = '{theme}'")).await?;
        for n in 1..=total {
            browser.js(&format!("location.hash = '#/{n}'")).await?;
            let shown = format!("document.querySelector('section.slide[data-slide=\"{n}\"]:not([hidden])')");
            browser.wait_for(&shown, Duration::from_secs(5)).await?;
            // Reveal every step, so the check and the picture show the whole slide.
            browser.js(&format!("document.querySelectorAll('section.slide[data-slide=\"{n}\"] .block.pending').forEach(b => b.classList.remove('pending'))")).await?;
            let overflow = browser
                .js(&format!(
                    "const s = {shown}; const out = [];
                     if (s.scrollHeight > s.clientHeight + 2) out.push('slide is ' + (s.scrollHeight - s.clientHeight) + 'px too tall');
                     if (s.scrollWidth > s.clientWidth + 2) out.push('slide is ' + (s.scrollWidth - s.clientWidth) + 'px too wide');
                     s.querySelectorAll('pre').forEach(p => {{ if (p.scrollWidth > p.clientWidth + 2) out.push('code is ' + (p.scrollWidth - p.clientWidth) + 'px too wide'); }});
                     s.querySelectorAll('img').forEach(i => {{ if (!i.complete || i.naturalWidth === 0) out.push('image not loaded: ' + i.getAttribute('src')); }});
                     return out;"
                ))
                .await?;
            for problem in overflow.as_array().into_iter().flatten() {
                problems.push(format!("slide {n} ({theme}): {}", problem.as_str().unwrap_or_default()));
            }
            browser.screenshot(&format!("talk/{theme}-{n:02}")).await?;
        }
    }
    assert!(problems.is_empty(), "slides that do not fit:\n{}", problems.join("\n"));
    browser.close().await
}
