//! The presenter's one file (`cargo xtask release`): its size, how soon a fresh start serves
//! the first slide, with the first-run unpack on its own, and the same with `--slides`, where
//! the talk is compiled at start.
use super::http::Connection;
use super::*;

const STARTS: usize = 5;

/// The release binary's figures; `binary` carries the talk.
pub(super) fn figures(binary: &Path, work: &Path) -> Result<Vec<Row>> {
    // Started from its own HOME, as a presenter would: a relative path would not be found there.
    let binary = &std::path::absolute(binary)?;
    let mut rows = Vec::new();
    let size = std::fs::metadata(binary)?.len();
    let server_alone = server_size(binary)?;
    rows.push(Row::compared(
        "release binary: size (server + deck + both functions)",
        format!("{:.1} MB", size as f64 / 1e6),
        "the server alone",
        format!("{:.1} MB", server_alone as f64 / 1e6),
        size as f64 / server_alone as f64,
        "≤ 25 MB",
        size <= 25_000_000,
    ));

    let (mut fresh, mut cached, mut unpack) = (Vec::new(), Vec::new(), Vec::new());
    for sample in 0..STARTS {
        let home = work.join(format!("release-home-{sample}"));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home)?;
        let (first, unpacked_ms) = first_slide_served(binary, &home, &[])?;
        fresh.push(first);
        unpack.push(unpacked_ms);
        cached.push(first_slide_served(binary, &home, &[])?.0);
    }
    let (fresh, cached) = (median(&fresh), median(&cached));
    rows.push(Row::compared(
        &format!("release binary: fresh start → first slide served, median of {STARTS}"),
        ms(fresh),
        "a start with its cache in place",
        ms(cached),
        fresh / cached,
        "≤ 1 s",
        fresh <= 1000.0,
    ));
    let unpack = median(&unpack);
    rows.push(Row::compared(
        &format!("release binary: first-run unpack and check, median of {STARTS}"),
        ms(unpack),
        "fresh start → first slide served",
        ms(fresh),
        unpack / fresh,
        "—",
        None,
    ));

    // The talk as a presenter's folder: its markdown beside its images in `assets/`.
    let folder = work.join("release-live-talk");
    let _ = std::fs::remove_dir_all(&folder);
    copy_talk(Path::new("slides"), Path::new("assets"), &folder)?;
    let home = work.join("release-home-0");
    let mut live = Vec::new();
    for _ in 0..STARTS {
        live.push(first_slide_served(binary, &home, &["--slides".as_ref(), folder.as_os_str()])?.0);
    }
    let live = median(&live);
    rows.push(Row::compared(
        &format!("release binary: `--slides` (the talk compiled at start) → first slide served, median of {STARTS}"),
        ms(live),
        "the built-in talk, compiled at build time",
        ms(cached),
        live / cached,
        "≤ 1 s",
        live <= 1000.0,
    ));
    Ok(rows)
}

/// The repository's talk laid out as `--slides` takes it: `slides/*.md` with their images under
/// the folder's own `assets/`.
fn copy_talk(slides: &Path, assets: &Path, folder: &Path) -> Result<()> {
    std::fs::create_dir_all(folder.join("assets"))?;
    for entry in std::fs::read_dir(slides)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "md") {
            let text = std::fs::read_to_string(&path)?.replace("](../assets/", "](assets/");
            std::fs::write(folder.join(path.file_name().context("a file name")?), text)?;
        }
    }
    for entry in std::fs::read_dir(assets)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "svg") {
            std::fs::copy(&path, folder.join("assets").join(path.file_name().context("a file name")?))?;
        }
    }
    Ok(())
}

/// Starts `binary` with `home` as HOME and times spawn → `/` answered; also the unpack time it
/// reported. Stops it after.
fn first_slide_served(binary: &Path, home: &Path, args: &[&std::ffi::OsStr]) -> Result<(f64, f64)> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .current_dir(home)
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the release binary")?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let (mut host, mut unpack_ms) = (None, None);
    for line in lines.by_ref() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("deck and functions: ") {
            unpack_ms = rest.rsplit_once(", ").and_then(|(_, ms)| ms.trim_end_matches(" ms)").parse().ok());
        }
        if let Some(address) = line.strip_prefix("listening on http://") {
            host = Some(address.trim().to_owned());
            break;
        }
    }
    let outcome = (|| {
        let host = host.context("the release binary printed no address")?;
        let page = Connection::open(&host)?.get("/")?;
        if page.status != 200 || !String::from_utf8_lossy(&page.body).contains("data-slide=\"1\"") {
            bail!("the release binary answered / with HTTP {} and no first slide", page.status);
        }
        let served = millis(started.elapsed());
        Ok((served, unpack_ms.context("no unpack time in its log")?))
    })();
    // SIGTERM, as Server's drop: it exits cleanly.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    if !matches!(wait_bounded(&mut child, Duration::from_secs(10)), Ok(Some(_))) {
        let _ = child.kill();
    }
    std::thread::spawn(move || lines.for_each(drop));
    outcome
}

/// The server part of a release binary: its length without the bundle and trailer.
fn server_size(binary: &Path) -> Result<u64> {
    let located = deck_bundle::locate(binary)?.context("the release binary carries no bundle")?;
    Ok(located.offset)
}
