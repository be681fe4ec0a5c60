//! The browser side of the bench: runs `tests/e2e/src/bin/browser_bench.rs` (headless Chromium)
//! and reads the figures it prints.
use super::*;

pub(super) struct BrowserDriver {
    pub(super) program: PathBuf,
    pub(super) chromedriver: PathBuf,
}

pub(super) struct PageLoad {
    pub(super) samples: Vec<f64>,
    /// The same paint, in ms after the page's first byte.
    pub(super) after_first_byte: Vec<f64>,
    /// What the first paint needed (the page itself comes on top).
    pub(super) painted: Vec<String>,
    /// Everything the page fetched until the network was quiet.
    pub(super) all: Vec<String>,
}

impl BrowserDriver {
    pub(super) fn first_slide(&self, page: &str, url: &str, samples: usize) -> Result<PageLoad> {
        let lines = self.run(&["first-slide", page, url, &samples.to_string()])?;
        let resources: Vec<(&str, &str)> =
            lines.iter().filter_map(|line| line.strip_prefix("resource ")?.split_once(' ')).collect();
        let urls = |painted_only: bool| {
            resources
                .iter()
                .filter(|(when, _)| !painted_only || *when == "painted")
                .map(|(_, url)| url.to_string())
                .collect()
        };
        Ok(PageLoad {
            samples: numbers(&lines, "sample")?,
            after_first_byte: numbers(&lines, "page")?,
            painted: urls(true),
            all: urls(false),
        })
    }

    pub(super) fn samples(
        &self,
        measure: &str,
        page: &str,
        url: &str,
        samples: usize,
        slides: Option<usize>,
    ) -> Result<Vec<f64>> {
        let slides = slides.map(|n| n.to_string());
        let mut args = vec![measure, page, url];
        let samples = samples.to_string();
        args.push(&samples);
        args.extend(slides.as_deref());
        numbers(&self.run(&args)?, "sample")
    }

    /// Cold and warm uploads' times to thumbnails shown, and their `PUT`s alone.
    pub(super) fn thumbnails(&self, url: &str, uploads: usize) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let lines = self.run(&["thumbnails", "embed", url, &uploads.to_string()])?;
        Ok((numbers(&lines, "cold")?, numbers(&lines, "sample")?, numbers(&lines, "put")?))
    }

    pub(super) fn cost(&self, url: &str, samples: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        let lines = self.run(&["cost", "deck", url, &samples.to_string()])?;
        Ok((numbers(&lines, "sample")?, numbers(&lines, "floor")?))
    }

    /// Runs the driver to completion within `BROWSER_TIMEOUT`; its stdout lines.
    fn run(&self, args: &[&str]) -> Result<Vec<String>> {
        eprintln!("    browser_bench {}", args.join(" "));
        let mut child = Command::new(&self.program)
            .args(args)
            .env("CHROMEDRIVER", &self.chromedriver)
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting browser_bench")?;
        let (mut stdout, mut stderr) =
            (child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
        let err_reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let out_reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let status = wait_bounded(&mut child, BROWSER_TIMEOUT)?;
        let (out, err) = (out_reader.join().expect("reader"), err_reader.join().expect("reader"));
        match status {
            Some(status) if status.success() => Ok(out.lines().map(str::to_owned).collect()),
            Some(status) => {
                bail!("{} ({status})", err.trim().lines().last().unwrap_or("browser_bench failed"))
            }
            None => bail!("browser_bench {} took over {} s", args[0], BROWSER_TIMEOUT.as_secs()),
        }
    }
}

fn numbers(lines: &[String], tag: &str) -> Result<Vec<f64>> {
    let prefix = format!("{tag} ");
    let values: Vec<f64> =
        lines.iter().filter_map(|l| l.strip_prefix(&prefix)).map(str::parse).collect::<Result<_, _>>()?;
    if values.is_empty() {
        bail!("browser_bench printed no {tag} lines");
    }
    Ok(values)
}
