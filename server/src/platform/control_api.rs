//! What the deck's panels read and do: `GET /api/functions` (configuration and instances) and
//! `POST /api/functions/{name}/recycle` (stop idle instances so the next call is cold).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;

use super::errors::ServiceError;
use super::function::Function;
use super::instance::Instance;
use super::lifecycle::{State as InstanceState, StopReason};
use super::Platform;
use crate::clock::epoch_millis;

#[derive(Serialize)]
pub struct FunctionList {
    region: String,
    functions: Vec<FunctionView>,
}

#[derive(Serialize)]
struct FunctionView {
    name: String,
    arn: String,
    url_path: String,
    memory_mb: u32,
    timeout_s: u64,
    idle_timeout_s: u64,
    max_concurrency: usize,
    instances: Vec<InstanceView>,
}

#[derive(Serialize)]
struct InstanceView {
    id: String,
    pid: u32,
    state: InstanceState,
    invocations: u64,
    started_at_ms: u64,
    rss_mb: Option<f64>,
    max_rss_mb: Option<f64>,
}

impl FunctionView {
    fn of(function: &Function) -> FunctionView {
        let config = &function.config;
        FunctionView {
            name: config.name.clone(),
            arn: function.arn.clone(),
            url_path: deck_core::routes::function_url(&config.name),
            memory_mb: config.memory_mb,
            timeout_s: config.timeout.as_secs(),
            idle_timeout_s: config.idle_timeout.as_secs(),
            max_concurrency: config.max_concurrency,
            instances: function.pool.instances().iter().map(|instance| InstanceView::of(instance)).collect(),
        }
    }
}

impl InstanceView {
    fn of(instance: &Instance) -> InstanceView {
        let memory = instance.memory.read();
        let megabytes = |kilobytes: u64| (kilobytes as f64 / 1024.0 * 10.0).round() / 10.0;
        InstanceView {
            id: instance.id.to_string(),
            pid: instance.pid,
            state: instance.state(),
            invocations: instance.invocations(),
            started_at_ms: epoch_millis(instance.started_at),
            rss_mb: memory.map(|memory| megabytes(memory.rss_kb)),
            max_rss_mb: memory.map(|memory| megabytes(memory.peak_kb)),
        }
    }
}

/// `GET /api/functions`.
pub async fn list(State(platform): State<Arc<Platform>>) -> Json<FunctionList> {
    Json(FunctionList {
        region: platform.region().to_owned(),
        functions: platform.functions().map(|function| FunctionView::of(function)).collect(),
    })
}

#[derive(Serialize)]
pub struct Recycled {
    function: String,
    /// Idle instances stopped now.
    stopped: usize,
    /// Busy or starting instances that stop when their invocation ends.
    retiring: usize,
}

/// `POST /api/functions/{name}/recycle`.
pub async fn recycle(
    State(platform): State<Arc<Platform>>,
    Path(name): Path<String>,
) -> Result<Json<Recycled>, ServiceError> {
    let function = platform.function(&name)?;
    let (idle, retiring) = function.pool.recycle();
    // Waiting for the exits frees their slots: the next call starts cold even at a cap of one.
    futures_util::future::join_all(idle.iter().map(|instance| instance.stop(StopReason::Recycled))).await;
    Ok(Json(Recycled { function: name, stopped: idle.len(), retiring }))
}
