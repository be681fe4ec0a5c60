//! One configured function and the life of one invocation on it: lease an instance (warm, or
//! cold: spawn and wait for init), hand it the event, wait for the answer within the timeout while
//! watching memory and the process, then account for it (REPORT) and release or retire the
//! instance.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::sleep_until;

use super::config::FunctionConfig;
use super::errors::{FunctionError, ServiceError};
use super::instance::{Instance, Launch};
use super::lifecycle::{Exit, State, StopReason};
use super::memory::MemoryReading;
use super::pool::{Lease, Member, Pool, Refusal, Release};
use super::report::{megabytes, Report, Status};
use super::runtime_api::{Answer, InitOutcome, Invocation};
use super::telemetry::Telemetry;

/// Lambda's limit for the init phase of an on-demand instance.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the memory peak is checked while an invocation runs; its end checks the resident set.
const MEMORY_CHECK_INTERVAL: Duration = Duration::from_millis(20);

/// The account id in ARNs, as other local AWS emulators use it.
pub const ACCOUNT_ID: &str = "000000000000";

pub struct Function {
    pub name: Arc<str>,
    pub config: FunctionConfig,
    pub arn: String,
    pub region: String,
    pub pool: Pool<Instance>,
    pub telemetry: Arc<Telemetry>,
}

pub struct InvokeRequest {
    pub request_id: Arc<str>,
    pub payload: Bytes,
    /// JSON, for `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    pub want_log_tail: bool,
    /// How many times in a row this event came from a write of the function's own (Lambda's
    /// recursive loop detection; 0 for a direct call). It reaches the function in the trace
    /// header's `Lineage`, which the AWS SDKs send on with every request they make.
    pub loops: u32,
}

pub struct Invoked {
    pub request_id: Arc<str>,
    pub answer: Answer,
    pub log_tail: Option<String>,
    pub init: Option<Duration>,
    pub duration: Duration,
}

/// How the wait for an answer ended.
enum Ending {
    Answered(Answer),
    TimedOut,
    OutOfMemory { used_mb: u64 },
    Exited(Exit),
    InitFailed { error: FunctionError, stop: Option<StopReason> },
}

impl Function {
    pub fn new(config: FunctionConfig, region: &str, telemetry: Arc<Telemetry>) -> Function {
        Function {
            name: config.name.as_str().into(),
            arn: format!("arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{}", config.name),
            region: region.to_owned(),
            pool: Pool::new(config.max_concurrency, config.idle_timeout),
            config,
            telemetry,
        }
    }

    /// Runs one invocation to its end. It runs in its own task: a caller that hangs up does not
    /// cut it short (Lambda would not either), and the instance always goes back to the pool.
    pub async fn invoke(self: &Arc<Self>, request: InvokeRequest) -> Result<Invoked, ServiceError> {
        let lease = self.pool.acquire().map_err(|refusal| match refusal {
            Refusal::Throttled => ServiceError::TooManyRequests,
            Refusal::Closed => ServiceError::ShuttingDown,
        })?;
        let function = self.clone();
        tokio::spawn(async move { function.run(lease, request).await })
            .await
            .map_err(|error| ServiceError::Internal { detail: error.to_string() })
    }

    /// Starts an instance on behalf of invocation `cause`: INIT_START, then its output, and it
    /// joins the pool before it is supervised, so an instant crash cannot be removed first.
    fn start_instance(
        self: &Arc<Self>,
        generation: u64,
        cause: &Arc<str>,
        keep_tail: bool,
    ) -> std::io::Result<(Arc<Instance>, oneshot::Receiver<InitOutcome>)> {
        let launch =
            Launch { config: &self.config, arn: &self.arn, region: &self.region, log: self.telemetry.log() };
        let (instance, init, mut process) = Instance::spawn(launch, generation, keep_tail)?;
        self.telemetry.init_start(&self.name, &instance, cause);
        process.read_output();
        self.pool.admit(&instance);
        let (function, supervised) = (self.clone(), instance.clone());
        tokio::spawn(async move {
            let exit = process.supervise(|gone| function.pool.remove(gone)).await;
            function.telemetry.shutdown(&function.name, &supervised, &exit);
            supervised.ended(exit);
        });
        Ok((instance, init))
    }

    async fn run(self: Arc<Self>, lease: Lease<Instance>, request: InvokeRequest) -> Invoked {
        let request_id = request.request_id.clone();
        let (instance, init) = match lease {
            Lease::Warm(instance) => (instance, None),
            Lease::Cold { generation } => {
                match self.start_instance(generation, &request_id, request.want_log_tail) {
                    Ok((instance, init)) => (instance, Some(init)),
                    Err(error) => {
                        self.pool.abandon_start();
                        return self.not_started(request_id, &error);
                    }
                }
            }
        };
        if request.want_log_tail && init.is_none() {
            instance.output.start_tail();
        }
        let init_duration = match init {
            None => None,
            Some(init) => match self.await_init(&instance, &request_id, init).await {
                Ok(duration) => Some(duration),
                Err((ending, waited)) => {
                    return self.finish(instance, request_id, ending, Some(waited), Duration::ZERO).await;
                }
            },
        };

        // START is written before the runtime can have the event, so the function's output
        // always comes after it.
        instance.count_invocation();
        self.telemetry.invoke_start(&self.name, &instance, &request_id);
        let started = Instant::now();
        let (reply, answer) = oneshot::channel();
        instance.dispatch(Invocation {
            request_id: request_id.clone(),
            payload: request.payload,
            client_context: request.client_context,
            loops: request.loops,
            reply,
        });
        let ending = self.await_answer(&instance, answer, started).await;
        self.finish(instance, request_id, ending, init_duration, started.elapsed()).await
    }

    /// The process could not even be started: Lambda's answer to a missing or broken bootstrap.
    fn not_started(&self, request_id: Arc<str>, error: &std::io::Error) -> Invoked {
        self.telemetry.log().line(format!("[{}] cannot start an instance: {error}", self.name));
        let message =
            format!("RequestId: {request_id} Error: fork/exec {}: {error}", self.config.binary.display());
        Invoked {
            request_id,
            answer: Err(FunctionError::new("Runtime.InvalidEntrypoint", &message)),
            log_tail: None,
            init: None,
            duration: Duration::ZERO,
        }
    }

    /// Waits for the runtime's first `/next`. A failure comes with how long init ran.
    async fn await_init(
        &self,
        instance: &Instance,
        request_id: &Arc<str>,
        init: oneshot::Receiver<InitOutcome>,
    ) -> Result<Duration, (Ending, Duration)> {
        let waiting_since = Instant::now();
        let mut init = pin!(init);
        let mut exited = pin!(instance.exited());
        let give_up = tokio::time::sleep(INIT_TIMEOUT);
        let mut give_up = pin!(give_up);
        // A runtime side that vanished without a word means the process is going: wait for that.
        let mut runtime_gone = false;
        let outcome = loop {
            tokio::select! {
                biased;
                outcome = &mut init, if !runtime_gone => match outcome {
                    Ok(Ok(duration)) => break Ok(duration),
                    Ok(Err(error)) => {
                        break Err(Ending::InitFailed { error, stop: Some(StopReason::InitError) })
                    }
                    Err(_) => runtime_gone = true,
                },
                exit = &mut exited => break Err(Ending::Exited(exit)),
                _ = &mut give_up => {
                    let message = format!(
                        "RequestId: {request_id} Error: Init timed out after {:.2} seconds",
                        INIT_TIMEOUT.as_secs_f64()
                    );
                    let error = FunctionError::new("Sandbox.Timedout", &message);
                    break Err(Ending::InitFailed { error, stop: Some(StopReason::Timeout) });
                }
            }
        };
        match outcome {
            Ok(duration) => {
                self.telemetry.init_end(&self.name, instance, request_id, duration, None);
                instance.set_state(State::Busy);
                // What init printed comes before START.
                instance.output.drain();
                Ok(duration)
            }
            Err(ending) => {
                let waited = waiting_since.elapsed();
                let error_type = match &ending {
                    Ending::InitFailed { error, .. } => error.error_type.as_str(),
                    _ => "Runtime.ExitError",
                };
                self.telemetry.init_end(&self.name, instance, request_id, waited, Some(error_type));
                Err((ending, waited))
            }
        }
    }

    async fn await_answer(
        &self,
        instance: &Instance,
        mut answer: oneshot::Receiver<Answer>,
        started: Instant,
    ) -> Ending {
        let deadline = started + self.config.timeout;
        let mut exited = pin!(instance.exited());
        let mut next_check = started + MEMORY_CHECK_INTERVAL;
        // An answer channel dropped unanswered means the process is going: wait for that (still
        // within the timeout).
        let mut runtime_gone = false;
        loop {
            tokio::select! {
                biased;
                answer = &mut answer, if !runtime_gone => match answer {
                    Ok(answer) => return Ending::Answered(answer),
                    Err(_) => runtime_gone = true,
                },
                exit = &mut exited => return Ending::Exited(exit),
                _ = sleep_until(next_check.min(deadline).into()) => {
                    if Instant::now() >= deadline {
                        return Ending::TimedOut;
                    }
                    if let Some(used_mb) = self.memory_exceeded(instance.memory.read()) {
                        return Ending::OutOfMemory { used_mb };
                    }
                    next_check += MEMORY_CHECK_INTERVAL;
                }
            }
        }
    }

    /// The peak memory in MB, if it is over the configured size.
    fn memory_exceeded(&self, reading: Option<MemoryReading>) -> Option<u64> {
        let used_mb = megabytes(reading?.peak_kb);
        (used_mb > u64::from(self.config.memory_mb)).then_some(used_mb)
    }

    async fn finish(
        &self,
        instance: Arc<Instance>,
        request_id: Arc<str>,
        mut ending: Ending,
        init: Option<Duration>,
        duration: Duration,
    ) -> Invoked {
        // The function's output written before it answered belongs before END, and in the tail.
        instance.output.drain();
        if let Ending::Answered(_) = ending {
            if let Some(used_mb) = self.memory_exceeded(instance.memory.sample()) {
                ending = Ending::OutOfMemory { used_mb };
            }
        }
        let max_memory_used_mb = megabytes(instance.memory.peak_kb());
        let failure = |error_type: &str, detail: String| {
            FunctionError::new(error_type, &format!("RequestId: {request_id} Error: {detail}"))
        };

        // After its END and REPORT are written, the instance goes back to the pool (a healthy
        // one) or is stopped (after a sandbox failure).
        let (answer, status, stop) = match ending {
            Ending::Answered(answer) => {
                let status = match &answer {
                    Ok(_) => Status::Success,
                    Err(error) => Status::Error(error.error_type.clone()),
                };
                (answer, status, None)
            }
            Ending::TimedOut => {
                let detail = format!("Task timed out after {:.2} seconds", self.config.timeout.as_secs_f64());
                (Err(failure("Sandbox.Timedout", detail)), Status::Timeout, Some(StopReason::Timeout))
            }
            Ending::OutOfMemory { used_mb } => {
                let detail = format!(
                    "Runtime exited with error: signal: killed (memory used: {used_mb} MB, memory size: {} MB)",
                    self.config.memory_mb
                );
                let error = failure("Runtime.OutOfMemory", detail);
                (Err(error), Status::Failed("Runtime.OutOfMemory".to_owned()), Some(StopReason::OutOfMemory))
            }
            Ending::Exited(exit) => {
                let error =
                    failure("Runtime.ExitError", format!("Runtime exited with error: {}", exit.status));
                (Err(error), Status::Failed("Runtime.ExitError".to_owned()), None)
            }
            Ending::InitFailed { error, stop } => {
                let status = Status::Failed(error.error_type.clone());
                (Err(error), status, stop)
            }
        };

        let report = Report {
            request_id: request_id.clone(),
            duration,
            init,
            memory_size_mb: self.config.memory_mb,
            max_memory_used_mb,
            status,
        };
        self.telemetry.invoke_end(&self.name, &instance, &report, self.config.timeout);
        let log_tail = instance.output.take_tail();
        match stop {
            None => match self.pool.release(&instance) {
                Release::Idle => {}
                Release::Retire(reason) => instance.request_stop(reason),
            },
            // Waiting for the exit frees the slot before the caller hears back.
            Some(reason) => {
                instance.stop(reason).await;
            }
        }
        Invoked { request_id, answer, log_tail, init, duration }
    }
}
