//! Shared by the integration tests: the binaries under test (built once per test binary), a real
//! `serverless-deck` process on 127.0.0.1:0 with its log, and small HTTP helpers.
#![allow(dead_code)] // each test binary uses its own part of this

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Binaries {
    /// The demo function (`demos/hello-lambda`), debug build.
    pub hello: PathBuf,
    /// `server/tests/fixtures/fixture_runtime.rs`.
    pub fixture: PathBuf,
}

/// Builds the function binaries once per test binary (cargo builds the server itself).
pub fn binaries() -> &'static Binaries {
    static BINARIES: OnceLock<Binaries> = OnceLock::new();
    BINARIES.get_or_init(|| Binaries {
        hello: cargo_build(&["-p", "hello-lambda", "--bin", "bootstrap"], "bootstrap"),
        fixture: cargo_build(&["-p", "serverless-deck", "--example", "fixture-runtime"], "fixture-runtime"),
    })
}

/// The thumbnail function (`demos/thumbnail-lambda`), debug build: only the tests that need it
/// pay for building it.
pub fn thumbnail_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        cargo_build(&["-p", "thumbnail-lambda", "--bin", "thumbnail-lambda"], "thumbnail-lambda")
    })
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("server/ sits in the workspace").to_owned()
}

/// Runs `cargo build` and returns the path of the executable it reports for `target`.
fn cargo_build(args: &[&str], target: &str) -> PathBuf {
    let output = Command::new(env!("CARGO"))
        .args(["build", "--message-format=json-render-diagnostics"])
        .args(args)
        .current_dir(workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo build {args:?} failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == target)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo build {args:?} reported no executable for {target}"))
}

/// One `[[function]]` table.
pub fn function(name: &str, binary: &Path, settings: &str) -> String {
    format!("[[function]]\nname = \"{name}\"\nbinary = \"{}\"\n{settings}\n", binary.display())
}

pub struct Server {
    child: Child,
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
    pub dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server with this `functions.toml` and no deck.
    pub fn start(functions_toml: &str) -> Server {
        Server::start_with(functions_toml, &[])
    }

    /// The same, with more arguments (`--cors-origin …`, `--allow-host …`).
    pub fn start_with(functions_toml: &str, extra: &[&str]) -> Server {
        Server::start_on(functions_toml, None, extra, &[])
    }

    /// Starts the server with this `functions.toml` on the data folder `data` (kept between
    /// servers) and no deck, with `env` set for it (a limit shortened for tests) and `extra`
    /// arguments.
    pub fn start_on_data(functions_toml: &str, data: &Path, env: &[(&str, &str)], extra: &[&str]) -> Server {
        Server::start_on(functions_toml, Some(data), extra, env)
    }

    /// `functions_toml` written into a new folder, beside an empty `dist/` and (unless given) the
    /// data folder `data/`.
    fn start_on(functions_toml: &str, data: Option<&Path>, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let functions = dir.path().join("functions.toml");
        std::fs::write(&functions, functions_toml).expect("functions.toml written");
        let dist = dir.path().join("dist");
        let data = data.map_or_else(|| dir.path().join("data"), Path::to_owned);
        let mut args = vec![
            "--functions".as_ref(),
            functions.as_os_str(),
            "--dist".as_ref(),
            dist.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        let mut command = Server::command(&args);
        command.envs(env.iter().copied());
        Server::spawn(command, dir)
    }

    /// Starts the server with these arguments (after `--addr 127.0.0.1:0`), keeping `dir` alive.
    pub fn launch(dir: tempfile::TempDir, args: &[&std::ffi::OsStr]) -> Server {
        Server::spawn(Server::command(args), dir)
    }

    fn command(args: &[&std::ffi::OsStr]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_serverless-deck"));
        command.args(["--addr", "127.0.0.1:0"]).args(args).stdout(Stdio::piped()).stderr(Stdio::inherit());
        command
    }

    /// Starts `command` and waits until it says where it listens.
    fn spawn(mut command: Command, dir: tempfile::TempDir) -> Server {
        let mut child = command.spawn().expect("the server starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            let listening = log
                .lock()
                .unwrap()
                .iter()
                .find_map(|line| line.strip_prefix("listening on ").map(str::to_owned));
            if let Some(base) = listening {
                break base;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the server exited with {status}: {:#?}", log.lock().unwrap());
            }
            assert!(Instant::now() < deadline, "the server did not start: {:#?}", log.lock().unwrap());
            std::thread::sleep(Duration::from_millis(10));
        };
        Server { child, base, log, dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The local S3 API's secret (made for its data folder), as the server printed it at start.
    pub fn s3_secret(&self) -> String {
        let log = self.log();
        let line = log
            .iter()
            .find_map(|line| line.strip_prefix("S3 credentials: access key serverless-deck, secret "));
        line.and_then(|rest| rest.split_whitespace().next())
            .expect("the server printed its S3 credentials")
            .to_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until a log line satisfies `predicate`, and returns it.
    pub async fn wait_for_log(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self.log.lock().unwrap().iter().find(|line| predicate(line)) {
                return line.clone();
            }
            assert!(Instant::now() < deadline, "no log line {what} in {:#?}", self.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM, then the exit status (SIGKILL after 10 s).
    /// Kills the server at once (SIGKILL), as a crash or a pulled plug would.
    pub fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().expect("the server can be waited for")
    }

    pub fn terminate(&mut self) -> ExitStatus {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("the server can be waited for") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().expect("the killed server can be waited for");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client")
}

/// A JSON body and the response's headers.
pub async fn json(response: reqwest::Response) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.text().await.expect("a body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON body, got {status}: {text}"));
    (status, headers, value)
}

pub fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
}

/// `GET /api/functions`, the named function's entry.
pub async fn function_state(server: &Server, name: &str) -> Value {
    let list: Value = client().get(server.url("/api/functions")).send().await.unwrap().json().await.unwrap();
    list["functions"].as_array().unwrap().iter().find(|function| function["name"] == name).cloned().unwrap()
}

/// Whether a process still exists (a zombie counts as gone).
pub fn process_alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(false)
}

/// A server running the demo function as `hello`, with extra function settings.
pub fn hello(settings: &str) -> Server {
    Server::start(&function("hello", &binaries().hello, settings))
}

pub fn fixture(settings: &str) -> Server {
    Server::start(&function("fixture", &binaries().fixture, settings))
}

/// Invokes through the Invoke API with a raw JSON payload.
pub async fn invoke(
    server: &Server,
    name: &str,
    payload: Value,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
    let url = server.url(&format!("/2015-03-31/functions/{name}/invocations"));
    json(client().post(url).json(&payload).send().await.unwrap()).await
}

pub async fn get(server: &Server, path: &str) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
    json(client().get(server.url(path)).send().await.unwrap()).await
}

/// Reads server-sent events (their `data`, as JSON) from `response` until `done` says so.
pub async fn collect_events(mut response: reqwest::Response, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut events = Vec::new();
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(&events) {
        let chunk =
            tokio::time::timeout_at(deadline, response.chunk()).await.expect("events in time").unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            for line in block.lines() {
                if let Some(data) = line.strip_prefix("data: ") {
                    events.push(serde_json::from_str(data).unwrap());
                }
            }
        }
    }
    events
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

fn works(aws: &Path) -> bool {
    Command::new(aws).arg("--version").output().is_ok_and(|output| output.status.success())
}

/// The `aws` executable, installing it if needed; `None` if that is impossible here.
pub fn aws_cli() -> Option<PathBuf> {
    let on_path = PathBuf::from("aws");
    if works(&on_path) {
        return Some(on_path);
    }
    let venv = target_dir().join("tools").join("awscli");
    let installed = venv.join("bin").join("aws");
    if works(&installed) {
        return Some(installed);
    }
    eprintln!("aws CLI not found: installing it with pip into {}", venv.display());
    let created = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success());
    let pip = venv.join("bin").join("pip");
    let installed_ok = created
        && Command::new(&pip).args(["install", "--quiet", "awscli"]).status().is_ok_and(|s| s.success());
    (installed_ok && works(&installed)).then_some(installed)
}

/// The AWS SDK's S3 client (the one the thumbnail function uses) for `server`'s S3 API, signed
/// with its credentials.
pub fn s3_client(server: &Server) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("serverless-deck", server.s3_secret(), None, None, "test"))
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .endpoint_url(&server.base)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Everything under `dir` (folders ending in `/`), relative to it: what a test compares before
/// and after, so nothing partial or orphaned goes unseen.
pub fn files_under(dir: &Path) -> std::collections::BTreeSet<String> {
    fn walk(root: &Path, folder: &Path, into: &mut std::collections::BTreeSet<String>) {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let name = entry.path().strip_prefix(root).unwrap_or(&entry.path()).display().to_string();
            if entry.path().is_dir() {
                into.insert(format!("{name}/"));
                walk(root, &entry.path(), into);
            } else {
                into.insert(name);
            }
        }
    }
    let mut found = std::collections::BTreeSet::new();
    walk(dir, dir, &mut found);
    found
}

impl Server {
    /// Starts the server as [`Server::launch`] does, allowed `open_files` open files: its soft and
    /// hard limit both, so it cannot raise them (as on a machine whose hard limit is low).
    pub fn launch_with_open_files(
        dir: tempfile::TempDir,
        args: &[&std::ffi::OsStr],
        open_files: u64,
    ) -> Server {
        use std::os::unix::process::CommandExt;
        let mut command = Server::command(args);
        let limit =
            libc::rlimit { rlim_cur: open_files as libc::rlim_t, rlim_max: open_files as libc::rlim_t };
        // SAFETY: between fork and exec the closure only calls setrlimit, which is
        // async-signal-safe, and allocates nothing.
        unsafe {
            command.pre_exec(move || match libc::setrlimit(libc::RLIMIT_NOFILE, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            })
        };
        Server::spawn(command, dir)
    }

    /// How many files the server has open now.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map_or(0, |entries| entries.count())
    }

    /// The server's resident memory, in kB.
    pub fn resident_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let line = status.lines().find_map(|line| line.strip_prefix("VmRSS:")).unwrap_or_default();
        line.trim().trim_end_matches("kB").trim().parse().unwrap_or(0)
    }
}

/// Raises this test process's soft limit on open files to its hard limit (for tests that hold
/// thousands of connections); the limit now.
pub fn raise_open_files() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read or write the struct they are given.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
    }
    limit.rlim_cur
}

/// A follower on a connection of its own, reading `GET /api/follow/events` only when asked to, as
/// a phone whose wifi stalls would. It asks in HTTP/1.0, so the events come unchunked.
pub struct RawFollower {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl RawFollower {
    /// Connects and sends the request; `receive_buffer` shrinks the socket's receive buffer, so
    /// that a follower that stops reading is soon felt by the server.
    pub async fn connect(server: &Server, receive_buffer: Option<u32>) -> RawFollower {
        use tokio::io::AsyncWriteExt;
        let address: std::net::SocketAddr =
            server.base.trim_start_matches("http://").trim_end_matches('/').parse().expect("ip:port");
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size).expect("a smaller receive buffer");
        }
        let mut stream = socket.connect(address).await.expect("the server accepts");
        let request = format!("GET /api/follow/events HTTP/1.0\r\nHost: {address}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("sent");
        RawFollower { stream, buffer: Vec::new() }
    }

    /// The response's status and head.
    pub async fn head(&mut self) -> (u16, String) {
        let end = self.read_until(b"\r\n\r\n").await;
        let head: Vec<u8> = self.buffer.drain(..end + 4).collect();
        let head = String::from_utf8_lossy(&head).into_owned();
        let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
        (status, head)
    }

    /// The next event's data, as JSON (keep-alive comments skipped).
    pub async fn next_event(&mut self) -> Value {
        loop {
            let end = self.read_until(b"\n\n").await;
            let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
            let block = String::from_utf8(block).expect("events are UTF-8");
            let data: String = block.lines().filter_map(|line| line.strip_prefix("data: ")).collect();
            if !data.is_empty() {
                return serde_json::from_str(&data).expect("event data is JSON");
            }
        }
    }

    async fn read_until(&mut self, end: &[u8]) -> usize {
        use tokio::io::AsyncReadExt;
        loop {
            if let Some(at) = self.buffer.windows(end.len()).position(|window| window == end) {
                return at;
            }
            let mut chunk = [0; 64 * 1024];
            let read = tokio::time::timeout(Duration::from_secs(30), self.stream.read(&mut chunk)).await;
            let read = read.expect("the server sends within 30 s").expect("the connection stays open");
            assert!(read > 0, "the server closed the stream: {}", String::from_utf8_lossy(&self.buffer));
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// The S3 credentials the tests sign with for `server`: its access key and secret.
pub fn credentials(server: &Server) -> (String, String) {
    ("serverless-deck".to_owned(), server.s3_secret())
}

/// The real AWS CLI against a server's S3 API, signed with its credentials.
pub struct AwsCli {
    pub aws: PathBuf,
    pub endpoint: String,
    pub secret: String,
    /// Its own config file (`configure`) and a place for the files it sends and gets.
    pub dir: tempfile::TempDir,
}

impl AwsCli {
    /// The CLI for `server`, or `None` (the test is then skipped, and says so) where it cannot be had.
    pub fn new(server: &Server) -> Option<AwsCli> {
        let Some(aws) = aws_cli() else {
            eprintln!("SKIPPED: the aws CLI is not installed and `pip install awscli` did not work here");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        Some(AwsCli { aws, endpoint: server.base.clone(), secret: server.s3_secret(), dir })
    }

    /// The same CLI signing with another secret.
    pub fn with_secret(&self, secret: &str) -> AwsCli {
        let dir = tempfile::tempdir().unwrap();
        AwsCli { aws: self.aws.clone(), endpoint: self.endpoint.clone(), secret: secret.to_owned(), dir }
    }

    /// Writes its config file (e.g. `[default]\ns3 =\n  signature_version = s3v4\n`).
    pub fn configure(&self, config: &str) {
        std::fs::write(self.dir.path().join("config"), config).unwrap();
    }

    pub fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.aws)
            .args(args)
            .args(["--endpoint-url", &self.endpoint])
            .env("AWS_ACCESS_KEY_ID", "serverless-deck")
            .env("AWS_SECRET_ACCESS_KEY", &self.secret)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", self.dir.path().join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.dir.path().join("no-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_PAGER", "")
            .output()
            .expect("the aws CLI runs")
    }

    /// Runs and expects success; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "aws {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs and expects failure; its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            !output.status.success(),
            "aws {args:?} should fail: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("JSON from the CLI")
    }

    /// Writes `bytes` as the file `name` in its folder; the file's path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.dir.path().join(name), bytes).unwrap();
        self.path(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).unwrap()
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }
}

/// Now as SigV4 writes it: the day (`20260101`) and the time (`20260101T120000Z`).
pub fn sigv4_now() -> (String, String) {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = (seconds / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let rest = seconds % 86_400;
    let time = format!("{date}T{:02}{:02}{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60);
    (date, time)
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// SigV4's signing key for `secret` on `date` (`20260101`), for S3 in us-east-1.
pub fn s3_signing_key(secret: &str, date: &str) -> Vec<u8> {
    let mut key = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in ["us-east-1", "s3", "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    key
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
