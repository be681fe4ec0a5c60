//! The local Lambda platform: the functions of `functions.toml`, each a pool of real processes
//! behind the real Runtime API, reachable through the Invoke API and Function URLs, observable
//! through `/api/functions`, `/api/events` and the server log.
//!
//! Code map: [`config`] reads the functions; [`function`] runs one invocation over the
//! [`pool`] of [`instance`]s, which talk to the platform through [`runtime_api`]; [`invoke_api`],
//! [`lambda_api`], [`function_url`] and [`control_api`] are the HTTP faces; [`telemetry`] (with [`events`],
//! [`logs`], [`output`], [`report`], [`memory`]) says what happened.

pub mod async_invoke;
pub mod config;
pub mod control_api;
pub mod errors;
pub mod events;
pub mod function;
pub mod function_url;
pub mod instance;
pub mod invoke_api;
pub mod lambda_api;
pub mod lifecycle;
pub mod logs;
pub mod memory;
pub mod output;
pub mod payload;
pub mod pool;
pub mod report;
pub mod runtime_api;
pub mod telemetry;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::{any, get, post};
use axum::Router;
use deck_core::platform_events::EVENTS_ROUTE;
use deck_core::routes::{self, FUNCTIONS_ROUTE, FUNCTION_URL_PREFIX};
use tokio_util::sync::CancellationToken;

use self::async_invoke::{AsyncEvent, AsyncQueue};
use self::config::PlatformConfig;
use self::errors::ServiceError;
use self::events::EventBus;
use self::function::{Function, ACCOUNT_ID};
use self::lifecycle::StopReason;
use self::logs::LogSink;
use self::telemetry::Telemetry;
use crate::control::{self, ControlToken};

/// How often idle instances are checked against their idle timeout.
const REAP_INTERVAL: Duration = Duration::from_millis(200);
/// How long a shutdown waits for instances to exit (they get SIGKILL, so this is plenty).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

pub struct Platform {
    region: String,
    functions: BTreeMap<String, Arc<Function>>,
    /// Each function's queue of asynchronous events (S3 notifications).
    queues: BTreeMap<String, AsyncQueue>,
    telemetry: Arc<Telemetry>,
}

impl Platform {
    /// Sets the functions up (no process starts before the first call) and starts reaping idle
    /// instances until `shutdown` is cancelled.
    pub fn start(config: PlatformConfig, log: LogSink, shutdown: CancellationToken) -> Arc<Platform> {
        let telemetry = Arc::new(Telemetry::new(log, EventBus::new(shutdown.clone())));
        let functions = config
            .functions
            .into_iter()
            .map(|function| {
                let name = function.name.clone();
                (name, Arc::new(Function::new(function, &config.region, telemetry.clone())))
            })
            .collect::<BTreeMap<String, Arc<Function>>>();
        let queues = functions.iter().map(|(name, f)| (name.clone(), AsyncQueue::start(f.clone()))).collect();
        let platform = Arc::new(Platform { region: config.region, functions, queues, telemetry });
        tokio::spawn(reap_idle_instances(platform.clone(), shutdown));
        platform
    }

    /// Queues `event` for `function`'s asynchronous invocation; `false` if there is no such function.
    pub fn invoke_async(&self, function: &str, event: AsyncEvent) -> bool {
        self.queues.get(function).map(|queue| queue.push(event)).is_some()
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The server's log, where the platform writes.
    pub fn log(&self) -> &LogSink {
        self.telemetry.log()
    }

    pub fn functions(&self) -> impl Iterator<Item = &Arc<Function>> {
        self.functions.values()
    }

    pub fn function(&self, name: &str) -> Result<&Arc<Function>, ServiceError> {
        self.functions.get(name).ok_or_else(|| ServiceError::FunctionNotFound {
            arn: format!("arn:aws:lambda:{}:{ACCOUNT_ID}:function:{name}", self.region),
        })
    }

    /// Refuses new invocations and stops every instance; in-flight invocations end with an error.
    pub async fn shutdown(&self) {
        let instances: Vec<_> = self.functions().flat_map(|function| function.pool.close()).collect();
        let exits = futures_util::future::join_all(
            instances.iter().map(|instance| instance.stop(StopReason::ServerShutdown)),
        );
        if tokio::time::timeout(SHUTDOWN_GRACE, exits).await.is_err() {
            self.telemetry.log().line("[serverless-deck] some instances did not stop in time".to_owned());
        }
    }

    /// The platform's routes. Which pages may call them is `crate::access`'s to say.
    pub fn router(self: &Arc<Self>, token: ControlToken) -> Router {
        let control = axum::middleware::from_fn_with_state(token, control::require);
        Router::new()
            .route("/2015-03-31/functions/{function}/invocations", post(invoke_api::handle))
            // AWS documents the slash; the CLI sends none.
            .route("/2015-03-31/functions", get(lambda_api::list_functions))
            .route("/2015-03-31/functions/", get(lambda_api::list_functions))
            .route("/2015-03-31/functions/{function}", get(lambda_api::get_function))
            .route(&format!("{FUNCTION_URL_PREFIX}{{name}}"), any(function_url::handle))
            .route(&routes::function_url("{name}"), any(function_url::handle))
            .route(&format!("{}{{*path}}", routes::function_url("{name}")), any(function_url::handle))
            .route(FUNCTIONS_ROUTE, get(control_api::list))
            .route(&routes::recycle_route("{name}"), post(control_api::recycle).route_layer(control))
            .route(EVENTS_ROUTE, get(events_stream))
            .with_state(self.clone())
    }
}

async fn events_stream(
    axum::extract::State(platform): axum::extract::State<Arc<Platform>>,
) -> impl axum::response::IntoResponse {
    platform.telemetry.events().sse()
}

async fn reap_idle_instances(platform: Arc<Platform>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(REAP_INTERVAL) => {}
        }
        let now = Instant::now();
        for function in platform.functions() {
            for instance in function.pool.reap_idle(now) {
                instance.request_stop(StopReason::IdleTimeout);
            }
        }
    }
}
