//! `cargo bench -p serverless-deck`: the local platform against the release demo function.
//!
//! - cold start: spawn → first `/next` (the REPORT's Init Duration), and the whole cold call as
//!   the client sees it, over 30 recycles;
//! - warm calls through a Function URL at concurrency 1: latency percentiles;
//! - throughput with 8 instances at concurrency 8.
//!
//! The load generator is a single-threaded hyper client on keep-alive connections, so it takes as
//! little of the machine from the server as it can.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;

const COLD_STARTS: usize = 30;
const WARM_CALLS: usize = 20_000;
const THROUGHPUT_WINDOW: Duration = Duration::from_secs(5);
const CONCURRENCY: usize = 8;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not meaningful here.
    let demo = build_release_demo();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let functions = dir.path().join("functions.toml");
    let config = format!(
        "[[function]]\nname = \"hello\"\nbinary = \"{}\"\nmax_concurrency = {CONCURRENCY}\nidle_timeout_s = 3600\n",
        demo.display()
    );
    std::fs::write(&functions, config).expect("functions.toml written");
    let log_path = dir.path().join("server.log");
    let server = start_server(&functions, &log_path);
    let base = server.address.clone();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let cold = cold_starts(&base).await;
        let inits = init_durations(&log_path, COLD_STARTS);
        let warm = warm_latencies(&base).await;
        let (throughput, errors) = throughput(&base).await;

        println!();
        println!("local Lambda platform, release demo function `{}`", demo.display());
        println!("{:<44} {:>10} {:>10} {:>10}", "measure", "median", "p95/p99", "n");
        let (init_median, init_p95) = (percentile(&inits, 50.0), percentile(&inits, 95.0));
        println!(
            "{:<44} {:>8.2}ms {:>8.2}ms {:>10}",
            "cold start: spawn → first /next (p95)",
            init_median,
            init_p95,
            inits.len()
        );
        let (cold_median, cold_p95) = (percentile(&cold, 50.0), percentile(&cold, 95.0));
        println!(
            "{:<44} {:>8.2}ms {:>8.2}ms {:>10}",
            "cold call through the URL, client side (p95)",
            cold_median,
            cold_p95,
            cold.len()
        );
        let (warm_median, warm_p99) = (percentile(&warm, 50.0), percentile(&warm, 99.0));
        println!(
            "{:<44} {:>8.3}ms {:>8.3}ms {:>10}",
            "warm call through the URL, c=1 (p99)",
            warm_median,
            warm_p99,
            warm.len()
        );
        println!(
            "{:<44} {:>8.0}/s {:>10} {:>10}",
            "throughput, 8 instances, c=8 (errors)", throughput, errors, ""
        );
    });
    drop(server);
}

fn build_release_demo() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "-p",
            "hello-lambda",
            "--bin",
            "bootstrap",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "building the demo function failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["target"]["name"] == "bootstrap"
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the bootstrap executable")
}

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// The server logs to a file (as a presenter's terminal would take it), read back for REPORTs.
fn start_server(functions: &std::path::Path, log_path: &std::path::Path) -> Server {
    let log = std::fs::File::create(log_path).expect("a log file");
    let child = Command::new(env!("CARGO_BIN_EXE_serverless-deck"))
        .args(["--addr", "127.0.0.1:0", "--dist", "/nonexistent", "--functions"])
        .arg(functions)
        .stdout(log)
        .spawn()
        .expect("the server starts");
    let mut server = Server { child, address: String::new() };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log_path).unwrap_or_default();
        if let Some(line) = text.lines().find(|line| line.starts_with("listening on http://")) {
            server.address = line.trim_start_matches("listening on http://").to_owned();
            return server;
        }
        assert!(Instant::now() < deadline, "the server did not start: {text}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

async fn connect(address: &str) -> SendRequest<Empty<Bytes>> {
    let stream = tokio::net::TcpStream::connect(address).await.expect("the server accepts");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(connection);
    sender
}

/// One GET; its status.
async fn call(sender: &mut SendRequest<Empty<Bytes>>, address: &str, path: &str) -> u16 {
    let request = hyper::Request::get(path).header("host", address).body(Empty::new()).expect("a request");
    let response = sender.send_request(request).await.expect("a response");
    let status = response.status().as_u16();
    response.into_body().collect().await.expect("the body");
    status
}

async fn post(sender: &mut SendRequest<Empty<Bytes>>, address: &str, path: &str) -> u16 {
    let request = hyper::Request::post(path).header("host", address).body(Empty::new()).expect("a request");
    let response = sender.send_request(request).await.expect("a response");
    let status = response.status().as_u16();
    response.into_body().collect().await.expect("the body");
    status
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn cold_starts(address: &str) -> Vec<f64> {
    let mut sender = connect(address).await;
    let mut latencies = Vec::with_capacity(COLD_STARTS);
    for _ in 0..COLD_STARTS {
        assert_eq!(post(&mut sender, address, "/api/functions/hello/recycle").await, 200);
        let started = Instant::now();
        assert_eq!(call(&mut sender, address, "/fn/hello/").await, 200);
        latencies.push(millis(started.elapsed()));
    }
    latencies
}

/// The last `count` Init Durations of the log.
fn init_durations(log_path: &std::path::Path, count: usize) -> Vec<f64> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let file = std::fs::File::open(log_path).expect("the log");
        let inits: Vec<f64> = BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| {
                let init = line.split("Init Duration: ").nth(1)?;
                init.split(' ').next()?.parse().ok()
            })
            .collect();
        if inits.len() >= count || Instant::now() > deadline {
            return inits[inits.len().saturating_sub(count)..].to_vec();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn warm_latencies(address: &str) -> Vec<f64> {
    let mut sender = connect(address).await;
    for _ in 0..1000 {
        call(&mut sender, address, "/fn/hello/").await;
    }
    let mut latencies = Vec::with_capacity(WARM_CALLS);
    for _ in 0..WARM_CALLS {
        let started = Instant::now();
        assert_eq!(call(&mut sender, address, "/fn/hello/").await, 200);
        latencies.push(millis(started.elapsed()));
    }
    latencies
}

/// Requests per second over the window with `CONCURRENCY` connections, and the non-200 count.
async fn throughput(address: &str) -> (f64, usize) {
    // Start all eight instances first: eight overlapping slow calls.
    let warmers = (0..CONCURRENCY).map(|_| async {
        let mut sender = connect(address).await;
        call(&mut sender, address, "/fn/hello/?sleep_ms=100").await
    });
    futures_util::future::join_all(warmers).await;

    let started = Instant::now();
    let workers = (0..CONCURRENCY).map(|_| {
        let address = address.to_owned();
        tokio::spawn(async move {
            let mut sender = connect(&address).await;
            let (mut done, mut errors) = (0usize, 0usize);
            while started.elapsed() < THROUGHPUT_WINDOW {
                if call(&mut sender, &address, "/fn/hello/").await != 200 {
                    errors += 1;
                }
                done += 1;
            }
            (done, errors)
        })
    });
    let results = futures_util::future::join_all(workers).await;
    let elapsed = started.elapsed().as_secs_f64();
    let (done, errors) = results
        .into_iter()
        .map(|result| result.expect("a worker"))
        .fold((0, 0), |(done, errors), (d, e)| (done + d, errors + e));
    (done as f64 / elapsed, errors)
}

fn percentile(samples: &[f64], percent: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((percent / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}
