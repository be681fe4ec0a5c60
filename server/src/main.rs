//! `serverless-deck`: serves the built deck and runs the local Lambda platform beside it.

mod access;
mod clock;
mod control;
mod follow;
mod listener;
mod live_deck;
mod platform;
mod starter;
mod static_files;
mod storage;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use axum::Router;
use clap::Parser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::control::ControlToken;
use crate::follow::{FollowSetting, Room};
use crate::platform::config::PlatformConfig;
use crate::platform::logs::LogSink;
use crate::platform::Platform;

/// How long a shutdown waits for instances to stop and open requests to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the slide deck and runs its functions on a local Lambda platform.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on, e.g. 0.0.0.0:8080 for the room's network. Anything but loopback
    /// prints a presenter token that control endpoints then require, and turns follow mode on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Follow mode: devices open /follow and track the presenter, who drives with the token.
    #[arg(long, value_enum, default_value_t = FollowSetting::Auto)]
    follow: FollowSetting,
    /// The built deck to serve [default: the deck this program carries, else `dist`].
    #[arg(long)]
    dist: Option<PathBuf>,
    /// Present the markdown in DIR (images in DIR/assets) instead of the built-in talk: compiled
    /// now and on every save, which reloads the open decks at the same slide.
    #[arg(long, value_name = "DIR")]
    slides: Option<PathBuf>,
    /// The functions the platform runs, and the only binaries it will ever start [default: the
    /// functions this program carries, else `demos/functions.toml`].
    #[arg(long)]
    functions: Option<PathBuf>,
    /// Serve the deck only, without the Lambda platform's functions.
    #[arg(long, conflicts_with = "functions")]
    no_functions: bool,
    /// Where the local S3 API keeps the objects of the buckets the functions file declares.
    #[arg(long, default_value = "deck-data")]
    data: PathBuf,
    /// Where a release binary unpacks the deck and functions it carries [default:
    /// $XDG_CACHE_HOME/serverless-deck, else ~/.cache/serverless-deck].
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Open the deck in the browser once it is served.
    #[arg(long)]
    open: bool,
    /// Also answer requests that name this server NAME (a tunnel's or a proxy's host name;
    /// `.example.com` allows every name under it). Loopback names and the address listened on
    /// always work; any other `Host` is refused, as DNS rebinding would send it. Repeatable.
    #[arg(long, value_name = "NAME")]
    allow_host: Vec<String>,
    /// Abort multipart uploads to the buckets begun longer ago than AGE, with their parts, as
    /// S3's lifecycle rule AbortIncompleteMultipartUpload does: e.g. 7d, 12h, 30m, 90s.
    #[arg(long, value_name = "AGE", default_value = "7d", value_parser = parse_age)]
    abort_incomplete_uploads_after: Duration,
    /// Let pages of ORIGIN (scheme://host[:port], e.g. a dev server or the deck on a static host)
    /// call the platform and the S3 API, as the deck's own pages can. Repeatable.
    #[arg(long, value_name = "ORIGIN")]
    cors_origin: Vec<String>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write a starter talk (a slide for each live panel, notes that teach the syntax) into a
    /// new or empty folder DIR, to present with `serverless-deck --slides DIR`.
    New { dir: PathBuf },
    /// Print the local S3 API's credentials as `export AWS_…=` lines, for the AWS CLI and SDKs:
    /// `eval "$(serverless-deck credentials)"`.
    Credentials {
        /// The data folder whose secret to print (made if it has none yet).
        #[arg(long, default_value = "deck-data")]
        data: PathBuf,
        /// The server's address, for AWS_ENDPOINT_URL.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
}

/// Where the deck and the functions come from: the flags; else what this program carries (a
/// release binary), unpacked into its cache; else the repository's paths (`cargo xtask serve`).
fn sources(cli: &Cli, log: &LogSink) -> anyhow::Result<(PathBuf, PathBuf)> {
    let given = |dist: Option<PathBuf>, functions: Option<PathBuf>| {
        (dist.unwrap_or_else(|| "dist".into()), functions.unwrap_or_else(|| "demos/functions.toml".into()))
    };
    if cli.dist.is_some() && (cli.functions.is_some() || cli.no_functions) {
        return Ok(given(cli.dist.clone(), cli.functions.clone()));
    }
    let exe = std::env::current_exe().context("cannot find this program's own file")?;
    let Some(located) = deck_bundle::locate(&exe)? else {
        return Ok(given(cli.dist.clone(), cli.functions.clone()));
    };
    let cache = match &cli.cache_dir {
        Some(dir) => dir.clone(),
        None => deck_bundle::default_cache_root()?,
    };
    let started = std::time::Instant::now();
    let unpacked = deck_bundle::unpack(&exe, located, &cache)?;
    log.line(format!(
        "deck and functions: {} ({} of {} files written, {} ms)",
        unpacked.root.display(),
        unpacked.written,
        unpacked.files,
        started.elapsed().as_millis()
    ));
    Ok((cli.dist.clone().unwrap_or(unpacked.dist()), cli.functions.clone().unwrap_or(unpacked.functions())))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::New { dir }) => return new_talk(dir),
        Some(Command::Credentials { data, addr }) => return print_credentials(data, addr),
        None => {}
    }
    let log = LogSink::stdout();
    let outcome = serve(cli, &log).await;
    if let Err(error) = &outcome {
        log.line(format!("serverless-deck: {error:#}"));
    }
    log.flush();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // Bad input, as for a bad flag (clap's code).
        Err(error) if error.downcast_ref::<live_deck::SlidesError>().is_some() => ExitCode::from(2),
        Err(_) => ExitCode::FAILURE,
    }
}

fn new_talk(dir: &std::path::Path) -> ExitCode {
    match starter::write(dir) {
        Ok(files) => {
            for file in files {
                println!("wrote {}", file.display());
            }
            println!(
                "present it: serverless-deck --slides {} --open (every save reloads the deck)",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("serverless-deck new: {error}");
            ExitCode::from(2)
        }
    }
}

fn print_credentials(data: &std::path::Path, addr: &SocketAddr) -> ExitCode {
    match storage::secret::load_or_create(data) {
        Ok(secret) => {
            let endpoint = SocketAddr::new(loopback_for(addr.ip()), addr.port());
            println!("export AWS_ACCESS_KEY_ID={}", storage::ACCESS_KEY);
            println!("export AWS_SECRET_ACCESS_KEY={secret}");
            println!("export AWS_DEFAULT_REGION={}", platform::config::DEFAULT_REGION);
            println!("export AWS_ENDPOINT_URL=http://{endpoint}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("serverless-deck credentials: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli, log: &LogSink) -> anyhow::Result<()> {
    let policy = access::Policy::new(&cli.allow_host, &cli.cors_origin)?;
    follow::open_files::raise(log);
    let (dist, functions_file) = sources(&cli, log)?;
    let shutdown = CancellationToken::new();
    let live = match &cli.slides {
        Some(dir) => Some(live_deck::LiveDeck::start(dir, &dist, log.clone(), shutdown.clone())?),
        None => None,
    };
    let config = if cli.no_functions {
        PlatformConfig::empty()
    } else {
        PlatformConfig::load(&functions_file).context("pass --no-functions to serve the deck alone")?
    };
    if !dist.join("index.html").is_file() {
        log.line(format!(
            "warning: {} has no index.html: build the deck first (cargo xtask dist); the platform runs anyway",
            dist.display()
        ));
    }
    let listener = match TcpListener::bind(cli.addr).await {
        Ok(listener) => listener,
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "port {} is taken on {} (another serverless-deck?): stop it, or pass --addr {}:{}",
            cli.addr.port(),
            cli.addr.ip(),
            cli.addr.ip(),
            cli.addr.port().wrapping_add(1)
        ),
        Err(error) => return Err(error).with_context(|| format!("cannot listen on {}", cli.addr)),
    };
    let address = listener.local_addr()?;

    let follow = cli.follow.is_on(&address);
    let token = ControlToken::for_address(&address, follow);
    let mut config = config;
    // Where this machine's processes and the presigned URLs reach the server.
    let endpoint = format!("http://{}", SocketAddr::new(loopback_for(address.ip()), address.port()));
    let secret =
        if config.buckets.is_empty() { String::new() } else { storage::secret::load_or_create(&cli.data)? };
    if !config.buckets.is_empty() {
        // What Lambda gives a function for its role's access, here to the local S3 API: the SDKs
        // read these, so the function's code is the same as on AWS.
        for function in &mut config.functions {
            function.environment.insert("AWS_ENDPOINT_URL_S3".into(), endpoint.clone());
            function.environment.insert("AWS_ACCESS_KEY_ID".into(), storage::ACCESS_KEY.into());
            function.environment.insert("AWS_SECRET_ACCESS_KEY".into(), secret.clone());
        }
    }
    let functions = config.functions.clone();
    let config_buckets = config.buckets.clone();
    let access = access::Access::new(
        policy,
        address,
        functions.iter().filter_map(|f| Some((f.name.clone(), f.cors.clone()?))).collect(),
        config_buckets.iter().map(|bucket| bucket.name.clone()).collect(),
    );
    let platform = Platform::start(config, log.clone(), shutdown.clone());
    let mut app = Router::new().merge(platform.router(token.clone()));
    let origins = if follow { follow::reachable_origins(&address) } else { Vec::new() };
    if follow {
        let room = Room::new(origins.clone(), shutdown.clone(), log.clone());
        app = app.merge(follow::router(room, token.clone()));
    }
    let storage = if config_buckets.is_empty() {
        None
    } else {
        let age = cli.abort_incomplete_uploads_after;
        Some(storage::Storage::open(&cli.data, &config_buckets, &secret, &endpoint, age, platform.clone())?)
    };
    if let Some(storage) = &storage {
        app = app.merge(storage::router(storage.clone(), token.clone()));
    }
    let app = app.merge(static_files::router(&dist, live));
    // S3's requests never reach the deck's routes; and no route runs for a request the access
    // checks refuse (outermost).
    let app = app
        .layer(axum::middleware::from_fn_with_state(storage, storage::dispatch))
        .layer(axum::middleware::from_fn_with_state(access, access::guard));

    for function in &functions {
        let missing =
            if function.binary.is_file() { "" } else { " — binary missing, calls fail until it is built" };
        log.line(format!(
            "function {} → http://{address}/fn/{}/ ({} MB, timeout {} s, up to {} instances, {}){missing}",
            function.name,
            function.name,
            function.memory_mb,
            function.timeout.as_secs(),
            function.max_concurrency,
            function.binary.display(),
        ));
    }
    for bucket in &config_buckets {
        log.line(format!(
            "bucket {} → S3 API at http://{address} (path-style), objects in {}",
            bucket.name,
            cli.data.join(&bucket.name).display(),
        ));
    }
    if !config_buckets.is_empty() {
        log.line(format!(
            "S3 credentials: access key {}, secret {secret} (for the AWS CLI: eval \"$(serverless-deck credentials --data {})\")",
            storage::ACCESS_KEY,
            cli.data.display()
        ));
    }
    if let Some(token) = token.value() {
        log.line(format!(
            "presenter token: {token} (send `Authorization: Bearer {token}` or ?token={token})"
        ));
        for origin in &origins {
            log.line(format!("follow mode: the room opens {origin}/follow"));
            log.line(format!("  present from {origin}/?token={token} (the deck then hides the token; j shows the room how to join)"));
        }
    }
    log.line(format!("listening on http://{address}"));
    log.flush();
    if cli.open {
        open_browser(
            &format!("http://{}/", SocketAddr::new(loopback_for(address.ip()), address.port())),
            log,
        );
    }

    tokio::spawn(stop_on_signal(shutdown.clone(), log.clone()));
    // Each connection without Nagle's delay: the deck's answers are small and should go at once.
    let listener = listener::Listening::new(listener, log.clone()).tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .into_future();
    let mut server = std::pin::pin!(server);
    // The server future also ends at cancellation (at once, with no open connection): shutdown
    // must win that race, or the instances would be dropped rather than stopped.
    tokio::select! {
        biased;
        _ = shutdown.cancelled() => {}
        served = &mut server => return served.context("the server failed"),
    }
    // Stopping the instances ends in-flight invocations, so their requests can finish.
    let drained =
        tokio::time::timeout(DRAIN_TIMEOUT, async { tokio::join!(platform.shutdown(), &mut server).1 });
    match drained.await {
        Ok(served) => served.context("the server failed"),
        Err(_) => {
            log.line("serverless-deck: open requests did not finish in time".to_owned());
            Ok(())
        }
    }
}

/// A duration as a number and a unit: `7d`, `12h`, `30m`, `90s`.
fn parse_age(text: &str) -> Result<Duration, String> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_at);
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(format!("{text:?}: give a number and a unit, d, h, m or s (e.g. 7d)")),
    };
    let number: u64 =
        number.parse().map_err(|_| format!("{text:?}: give a whole number before the unit (e.g. 7d)"))?;
    match number.checked_mul(seconds) {
        Some(0) | None => Err(format!("{text:?}: give an age from 1s to many years")),
        Some(seconds) => Ok(Duration::from_secs(seconds)),
    }
}

/// Opens `url` in the desktop's browser; says so when it cannot.
fn open_browser(url: &str, log: &LogSink) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let opened = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match opened {
        // Reaped beside the server, so it leaves no zombie.
        Ok(mut child) => drop(std::thread::spawn(move || child.wait())),
        Err(error) => log.line(format!("could not open a browser ({opener}: {error}): open {url} yourself")),
    }
}

/// Where a local process reaches a server listening on `ip`: itself, or loopback for a wildcard.
fn loopback_for(ip: std::net::IpAddr) -> std::net::IpAddr {
    if ip.is_unspecified() {
        std::net::Ipv4Addr::LOCALHOST.into()
    } else {
        ip
    }
}

async fn stop_on_signal(shutdown: CancellationToken, log: LogSink) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(terminate) => terminate,
        Err(error) => {
            log.line(format!("warning: cannot watch SIGTERM ({error}); stop with Ctrl-C"));
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    log.line("shutting down: stopping instances".to_owned());
    shutdown.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_a_number_and_a_unit() {
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age("12h"), Ok(Duration::from_secs(12 * 3_600)));
        assert_eq!(parse_age("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_age("2s"), Ok(Duration::from_secs(2)));
        for bad in ["7", "d", "7w", "-1d", "0s", "1.5d", "99999999999999999999d", ""] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
    }
}
