//! One execution environment: a real child process, its own Runtime API listener, its output, and
//! the supervision that notices when it ends — whether it exited, crashed or was stopped. It knows
//! its function only through a [`Launch`]: the function (`function.rs`) admits it to the pool and
//! reports its life, so this module depends on neither.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::net::unix::pipe;
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::config::FunctionConfig;
use super::lifecycle::{Exit, State, StopReason};
use super::logs::LogSink;
use super::memory::MemoryProbe;
use super::output::{Output, Stream};
use super::pool::Member;
use super::runtime_api::{InitOutcome, Invocation, RuntimeEndpoint};
use crate::clock::UtcTime;

/// What an instance needs of its function to start.
pub struct Launch<'a> {
    pub config: &'a FunctionConfig,
    pub arn: &'a str,
    pub region: &'a str,
    /// Where its output goes, each line prefixed with the function and instance.
    pub log: &'a LogSink,
}

pub struct Instance {
    pub id: Arc<str>,
    pub pid: u32,
    pub started_at: SystemTime,
    generation: u64,
    state: AtomicU8,
    invocations: AtomicU64,
    queue: mpsc::Sender<Invocation>,
    pub memory: MemoryProbe,
    pub output: Arc<Output>,
    exit: watch::Sender<Option<Exit>>,
    stop: Mutex<Option<oneshot::Sender<StopReason>>>,
}

impl Instance {
    /// Starts a process. The receiver tells when init ends: at the runtime's first `/next`, or
    /// with its `/init/error`. With `keep_tail`, the log tail starts before the process can
    /// print. The [`Process`] must then be supervised, or the instance never ends.
    pub fn spawn(
        launch: Launch<'_>,
        generation: u64,
        keep_tail: bool,
    ) -> io::Result<(Arc<Instance>, oneshot::Receiver<InitOutcome>, Process)> {
        let config = launch.config;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let runtime_api = listener.local_addr()?;
        let listener = TcpListener::from_std(listener)?;

        // The log stream name carries a random 128-bit id, like Lambda's; its first 8 hex digits
        // name the instance everywhere else.
        let stream_id = uuid::Uuid::new_v4().simple().to_string();
        let id: Arc<str> = stream_id[..8].into();
        let log_stream = format!("{}/[$LATEST]{stream_id}", UtcTime::now().slash_date());

        let (stdout_writer, stdout) = pipe::pipe()?;
        let (stderr_writer, stderr) = pipe::pipe()?;
        let task_root = config.binary.parent().unwrap_or(Path::new("/"));
        let mut command = Command::new(&config.binary);
        command
            .env_clear()
            .envs(lambda_environment(config, launch.region, runtime_api, &log_stream, task_root))
            .current_dir(task_root)
            .stdin(Stdio::null())
            .stdout(stdout_writer.into_blocking_fd()?)
            .stderr(stderr_writer.into_blocking_fd()?)
            // Its own process group: Ctrl-C in the terminal reaches the server, which then stops
            // its instances in order, and a stop also reaches whatever the function spawned.
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: `die_with_parent` only calls prctl, which is async-signal-safe.
        unsafe { command.pre_exec(die_with_parent) };

        let (queue, invocations) = mpsc::channel(1);
        let (init_sender, init) = oneshot::channel();
        let (spawned_at, started_at) = (Instant::now(), SystemTime::now());
        let child = command.spawn()?;
        // Dropping the command closes our copies of the pipes' write ends: EOF comes with the exit.
        drop(command);
        let pid = child.id().unwrap_or(0);

        let endpoint = RuntimeEndpoint::new(launch.arn, config.timeout, spawned_at, invocations, init_sender);
        let runtime_server = tokio::spawn(Arc::new(endpoint).serve(listener));
        let prefix = format!("[{} {id}] ", config.name);
        let output = Output::new(prefix, launch.log.clone(), stdout, stderr);
        if keep_tail {
            output.start_tail();
        }
        let (stop_sender, stop) = oneshot::channel();
        let instance = Arc::new(Instance {
            id,
            pid,
            started_at,
            generation,
            state: AtomicU8::new(State::Starting as u8),
            invocations: AtomicU64::new(0),
            queue,
            memory: MemoryProbe::open(pid),
            output: Arc::new(output),
            exit: watch::Sender::new(None),
            stop: Mutex::new(Some(stop_sender)),
        });
        let process =
            Process { instance: instance.clone(), child, stop, runtime_server, readers: Vec::new() };
        Ok((instance, init, process))
    }

    /// Hands an invocation to the runtime's next `/next`. The pool lends an instance to one
    /// invocation at a time, so the one-slot queue is always free; `false` means the runtime side
    /// is gone, which the invoker then sees as the instance's exit.
    pub fn dispatch(&self, invocation: Invocation) -> bool {
        self.queue.try_send(invocation).is_ok()
    }

    pub fn state(&self) -> State {
        match self.state.load(Ordering::Relaxed) {
            0 => State::Starting,
            1 => State::Idle,
            2 => State::Busy,
            _ => State::Stopping,
        }
    }

    pub fn invocations(&self) -> u64 {
        self.invocations.load(Ordering::Relaxed)
    }

    pub fn count_invocation(&self) {
        self.invocations.fetch_add(1, Ordering::Relaxed);
    }

    /// Resolves once the process is gone and the instance has left its pool.
    pub async fn exited(&self) -> Exit {
        let mut exit = self.exit.subscribe();
        let unknown = || Exit { reason: StopReason::Exited, status: "unknown".into() };
        let exit = match exit.wait_for(Option::is_some).await {
            Ok(exit) => exit.clone().unwrap_or_else(unknown),
            Err(_) => unknown(),
        };
        exit
    }

    /// Records how the instance ended, for [`Instance::exited`]: the last thing said of it.
    pub fn ended(&self, exit: Exit) {
        self.exit.send_replace(Some(exit));
    }

    /// Asks the supervisor to kill the process; the first reason given wins.
    pub fn request_stop(&self, reason: StopReason) {
        self.set_state(State::Stopping);
        let sender = self.stop.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(reason);
        }
    }

    pub async fn stop(&self, reason: StopReason) -> Exit {
        self.request_stop(reason);
        self.exited().await
    }
}

impl Member for Instance {
    fn generation(&self) -> u64 {
        self.generation
    }

    fn set_state(&self, state: State) {
        self.state.store(state as u8, Ordering::Relaxed);
    }
}

/// An instance's running process, to supervise until it ends.
pub struct Process {
    instance: Arc<Instance>,
    child: Child,
    stop: oneshot::Receiver<StopReason>,
    runtime_server: JoinHandle<()>,
    readers: Vec<JoinHandle<()>>,
}

impl Process {
    /// Starts copying the process's output to the log (the caller's own lines about the start
    /// come first).
    pub fn read_output(&mut self) {
        self.readers = [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .map(|stream| {
                let output = self.instance.output.clone();
                tokio::spawn(async move { output.follow(stream).await })
            })
            .collect();
    }

    /// Waits until the process exits, or kills it when a stop is requested. `gone` runs at once
    /// when it is gone (e.g. to take it out of its pool), before its last output is drained.
    pub async fn supervise(mut self, gone: impl FnOnce(&Arc<Instance>)) -> Exit {
        let (status, reason) = tokio::select! {
            status = self.child.wait() => (status, StopReason::Exited),
            Ok(reason) = &mut self.stop => {
                kill_group(&mut self.child, self.instance.pid);
                (self.child.wait().await, reason)
            }
        };
        gone(&self.instance);
        self.runtime_server.abort();
        // Let the last words reach the log before the shutdown line; a grandchild that kept the
        // pipes open does not hold the supervisor up.
        for reader in self.readers {
            let _ = tokio::time::timeout(Duration::from_millis(200), reader).await;
        }
        Exit { reason, status: describe_exit(status) }
    }
}

/// Kills the instance's process group, while its leader is not yet reaped (so the id cannot have
/// been reused): anything the function started goes with it.
fn kill_group(child: &mut Child, pid: u32) {
    match i32::try_from(pid) {
        // A pid of 0 would name our own group.
        Ok(pid) if pid > 0 => {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        _ => {
            let _ = child.start_kill();
        }
    }
}

/// The environment of a Lambda custom runtime, plus the function's own variables; nothing of the
/// server's environment leaks in.
pub fn lambda_environment(
    config: &FunctionConfig,
    region: &str,
    runtime_api: SocketAddr,
    log_stream: &str,
    task_root: &Path,
) -> Vec<(String, String)> {
    let task_root = task_root.to_string_lossy();
    let platform = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", config.name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", config.memory_mb.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", config.name)),
        ("AWS_LAMBDA_LOG_STREAM_NAME", log_stream.to_owned()),
        ("AWS_REGION", region.to_owned()),
        ("AWS_DEFAULT_REGION", region.to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("LAMBDA_TASK_ROOT", task_root.to_string()),
        ("LAMBDA_RUNTIME_DIR", task_root.to_string()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
    ];
    let mut environment: Vec<(String, String)> =
        platform.into_iter().map(|(key, value)| (key.to_owned(), value)).collect();
    // Configured values may replace the unreserved defaults (LANG, TZ, PATH), never the others:
    // the config refuses reserved names.
    for (key, value) in &config.environment {
        environment.retain(|(existing, _)| existing != key);
        environment.push((key.clone(), value.clone()));
    }
    environment
}

/// Exit statuses in the words Lambda uses: `exit status 3`, `signal: killed`.
pub fn describe_exit(status: io::Result<ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    let status = match status {
        Ok(status) => status,
        Err(error) => return format!("unknown ({error})"),
    };
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    let Some(signal) = status.signal() else {
        return "unknown".to_owned();
    };
    let name = match signal {
        libc::SIGKILL => "killed",
        libc::SIGSEGV => "segmentation fault",
        libc::SIGABRT => "aborted",
        libc::SIGTERM => "terminated",
        libc::SIGINT => "interrupt",
        libc::SIGBUS => "bus error",
        libc::SIGILL => "illegal instruction",
        libc::SIGFPE => "floating point exception",
        libc::SIGPIPE => "broken pipe",
        other => return format!("signal: {other}"),
    };
    format!("signal: {name}")
}

/// Runs in the child between fork and exec: if the server dies, even by SIGKILL, so does the
/// instance. (The signal follows the spawning thread; tokio's workers live as long as the server.)
fn die_with_parent() -> io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag on the calling process.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::os::unix::process::ExitStatusExt;
    use std::path::PathBuf;

    #[test]
    fn the_environment_is_lambdas_plus_the_configured_variables() {
        let config = FunctionConfig {
            name: "hello".into(),
            binary: PathBuf::from("/srv/fn/bootstrap"),
            memory_mb: 256,
            timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(60),
            max_concurrency: 2,
            environment: BTreeMap::from([
                ("TZ".into(), "Europe/Paris".into()),
                ("GREETING".into(), "Hi".into()),
            ]),
            async_retry_delays: Vec::new(),
            cors: None,
        };
        let environment: BTreeMap<String, String> = lambda_environment(
            &config,
            "eu-west-1",
            "127.0.0.1:40123".parse().unwrap(),
            "2025/01/01/[$LATEST]abc",
            Path::new("/srv/fn"),
        )
        .into_iter()
        .collect();
        let get = |key: &str| environment.get(key).map(String::as_str);
        assert_eq!(get("AWS_LAMBDA_RUNTIME_API"), Some("127.0.0.1:40123"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_NAME"), Some("hello"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("256"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_VERSION"), Some("$LATEST"));
        assert_eq!(get("AWS_LAMBDA_LOG_GROUP_NAME"), Some("/aws/lambda/hello"));
        assert_eq!(get("AWS_LAMBDA_LOG_STREAM_NAME"), Some("2025/01/01/[$LATEST]abc"));
        assert_eq!(get("AWS_REGION"), Some("eu-west-1"));
        assert_eq!(get("AWS_DEFAULT_REGION"), Some("eu-west-1"));
        assert_eq!(get("LAMBDA_TASK_ROOT"), Some("/srv/fn"));
        assert_eq!(get("TZ"), Some("Europe/Paris"), "configured values replace unreserved defaults");
        assert_eq!(get("GREETING"), Some("Hi"));
        assert_eq!(environment.len(), 16);
    }

    #[test]
    fn exit_statuses_read_like_lambdas() {
        assert_eq!(describe_exit(Ok(ExitStatus::from_raw(3 << 8))), "exit status 3");
        assert_eq!(describe_exit(Ok(ExitStatus::from_raw(libc::SIGKILL))), "signal: killed");
        assert_eq!(describe_exit(Ok(ExitStatus::from_raw(libc::SIGSEGV))), "signal: segmentation fault");
        assert_eq!(
            describe_exit(Ok(ExitStatus::from_raw(libc::SIGUSR1))),
            format!("signal: {}", libc::SIGUSR1)
        );
    }
}
