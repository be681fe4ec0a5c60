//! What a page costs to download: its files as a static host sends them, gzip and brotli.
use std::path::Path;

use anyhow::Result;

use super::{kb, Row};
use crate::site::{brotli, gzip};

/// Bytes on the wire, compressed as a static host would send them.
#[derive(Clone, Copy)]
pub struct Transfer {
    /// `gzip -9`.
    pub gz: u64,
    /// brotli quality 11.
    pub br: u64,
}

/// The page and every file it loaded from `site`, compressed (API calls and other origins'
/// files are not part of the static load).
pub fn transfer(site: &Path, page: &str, resources: &[String]) -> Result<Transfer> {
    let mut paths: Vec<String> = resources
        .iter()
        .filter_map(|url| url.strip_prefix("http://127.0.0.1:"))
        .filter_map(|rest| rest.find('/').map(|slash| rest[slash..].to_owned()))
        .collect();
    paths.push(page.to_owned());
    paths.sort();
    paths.dedup();
    let mut total = Transfer { gz: 0, br: 0 };
    for path in paths {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let mut file = site.join(path.trim_start_matches('/'));
        if path.ends_with('/') {
            file.push("index.html");
        }
        if file.is_file() {
            let data = std::fs::read(&file)?;
            total.gz += gzip(&data)?.len() as u64;
            total.br += brotli(&data)?.len() as u64;
        }
    }
    Ok(total)
}

/// A transfer figure beside a baseline's; `goal_kb` and `goal_ratio` (of the baseline) on gzip.
pub fn transfer_row(
    measure: &str,
    ours: Transfer,
    baseline_name: &str,
    baseline: Transfer,
    goal_kb: u64,
    goal_ratio: Option<f64>,
) -> Row {
    let ratio = ours.gz as f64 / baseline.gz as f64;
    let goal = match goal_ratio {
        Some(r) => format!("≤ {goal_kb} KB and ≤ {r}× {baseline_name}"),
        None => format!("≤ {goal_kb} KB"),
    };
    let met = ours.gz <= goal_kb * 1024 && goal_ratio.is_none_or(|r| ratio <= r);
    Row::compared(
        measure,
        format!("{} gz · {} br", kb(ours.gz), kb(ours.br)),
        baseline_name,
        format!("{} gz · {} br", kb(baseline.gz), kb(baseline.br)),
        ratio,
        &goal,
        met,
    )
}
