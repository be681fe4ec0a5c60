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
use super::instance::{Exit, Instance, State, StopReason};
use super::pool::{Lease, Member, Pool, Refusal, Release};
use super::report::{megabytes, Report, Status};
use super::runtime_api::{Answer, InitOutcome, Invocation};
use super::telemetry::Telemetry;

/// Lambda's limit for the init phase of an on-demand instance.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often memory is checked while an invocation runs (and once more when it ends).
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

    async fn run(self: Arc<Self>, lease: Lease<Instance>, request: InvokeRequest) -> Invoked {
        let request_id = request.request_id.clone();
        let (instance, init) = match lease {
            Lease::Warm(instance) => (instance, None),
            Lease::Cold { generation } => match Instance::spawn(&self, generation) {
                Ok((instance, init)) => {
                    self.telemetry.init_start(&self.name, &instance, &request_id);
                    (instance, Some(init))
                }
                Err(error) => {
                    self.pool.abandon_start();
                    let message = format!(
                        "RequestId: {request_id} Error: fork/exec {}: {error}",
                        self.config.binary.display()
                    );
                    self.telemetry.log().line(format!("[{}] cannot start an instance: {error}", self.name));
                    return Invoked {
                        request_id,
                        answer: Err(FunctionError::new("Runtime.InvalidEntrypoint", &message)),
                        log_tail: None,
                        init: None,
                        duration: Duration::ZERO,
                    };
                }
            },
        };

        if request.want_log_tail {
            instance.output.start_tail();
        }
        let (reply, answer) = oneshot::channel();
        instance.dispatch(Invocation {
            request_id: request_id.clone(),
            payload: request.payload,
            client_context: request.client_context,
            reply,
        });

        let mut init_duration = None;
        let started;
        let ending = 'waiting: {
            if let Some(init) = init {
                let init_started = Instant::now();
                match self.await_init(&instance, &request_id, init).await {
                    Ok(duration) => {
                        init_duration = Some(duration);
                        instance.set_state(State::Busy);
                        // What init printed comes before START.
                        instance.output.drain();
                    }
                    Err(ending) => {
                        started = init_started;
                        break 'waiting ending;
                    }
                }
            }
            instance.count_invocation();
            self.telemetry.invoke_start(&self.name, &instance, &request_id);
            started = Instant::now();
            self.await_answer(&instance, answer, started).await
        };
        let duration = started.elapsed();
        self.finish(instance, request_id, ending, init_duration, duration).await
    }

    async fn await_init(
        &self,
        instance: &Instance,
        request_id: &Arc<str>,
        init: oneshot::Receiver<InitOutcome>,
    ) -> Result<Duration, Ending> {
        let waiting_since = Instant::now();
        let outcome = tokio::select! {
            biased;
            outcome = init => match outcome {
                Ok(Ok(duration)) => Ok(duration),
                Ok(Err(error)) => Err(Ending::InitFailed { error, stop: Some(StopReason::InitError) }),
                Err(_) => Err(Ending::Exited(instance.exited().await)),
            },
            exit = instance.exited() => Err(Ending::Exited(exit)),
            _ = tokio::time::sleep(INIT_TIMEOUT) => {
                let message = format!(
                    "RequestId: {request_id} Error: Init timed out after {:.2} seconds",
                    INIT_TIMEOUT.as_secs_f64()
                );
                let error = FunctionError::new("Sandbox.Timedout", &message);
                Err(Ending::InitFailed { error, stop: Some(StopReason::Timeout) })
            }
        };
        let elapsed = waiting_since.elapsed();
        let error_type = match &outcome {
            Ok(_) => None,
            Err(Ending::InitFailed { error, .. }) => Some(error.error_type.as_str()),
            Err(_) => Some("Runtime.ExitError"),
        };
        let duration = *outcome.as_ref().unwrap_or(&elapsed);
        self.telemetry.init_end(&self.name, instance, request_id, duration, error_type);
        outcome
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
        loop {
            tokio::select! {
                biased;
                answer = &mut answer => {
                    return match answer {
                        Ok(answer) => Ending::Answered(answer),
                        Err(_) => Ending::Exited(exited.await),
                    };
                }
                exit = &mut exited => return Ending::Exited(exit),
                _ = sleep_until(next_check.min(deadline).into()) => {
                    if Instant::now() >= deadline {
                        return Ending::TimedOut;
                    }
                    if let Some(used_mb) = self.memory_exceeded(instance) {
                        return Ending::OutOfMemory { used_mb };
                    }
                    next_check += MEMORY_CHECK_INTERVAL;
                }
            }
        }
    }

    /// The peak memory in MB, if it is over the configured size.
    fn memory_exceeded(&self, instance: &Instance) -> Option<u64> {
        let used_mb = megabytes(instance.memory.read()?.peak_kb);
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
            if let Some(used_mb) = self.memory_exceeded(&instance) {
                ending = Ending::OutOfMemory { used_mb };
            }
        }
        let max_memory_used_mb = megabytes(instance.memory.peak_kb());
        let failure = |error_type: &str, detail: String| {
            FunctionError::new(error_type, &format!("RequestId: {request_id} Error: {detail}"))
        };

        // A sandbox failure stops the instance once its END and REPORT are written.
        let (answer, status, stop) = match ending {
            Ending::Answered(answer) => {
                match self.pool.release(&instance) {
                    Release::Idle => {}
                    Release::Retire(reason) => instance.request_stop(reason),
                }
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
                let error = failure("Runtime.ExitError", format!("Runtime exited with error: {}", exit.status));
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
        if let Some(reason) = stop {
            // Waiting for the exit frees the slot before the caller hears back.
            instance.stop(reason).await;
        }
        Invoked {
            request_id,
            answer,
            log_tail,
            init,
            duration,
        }
    }

    /// Called by the supervisor once the process is gone: frees the slot and says why.
    pub fn retire(&self, instance: &Arc<Instance>, exit: &Exit) {
        self.pool.remove(instance);
        self.telemetry.shutdown(&self.name, instance, exit);
    }
}
