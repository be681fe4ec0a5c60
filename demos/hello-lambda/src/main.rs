//! `bootstrap`: the demo function, for AWS Lambda (provided.al2023) and the deck's local platform.

mod handler;
mod instance;
mod params;
mod reply;

use std::time::Instant;

use lambda_http::service_fn;

use crate::instance::Instance;

fn main() -> Result<(), lambda_http::Error> {
    let started = Instant::now();
    // Init is what a cold start pays for, so it stays this small: one thread, no eager work.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let log_stream = std::env::var("AWS_LAMBDA_LOG_STREAM_NAME").ok();
    let instance = Instance::ready(started, std::env::var("AWS_REGION").ok(), log_stream.as_deref());
    println!("instance {} ready in {:.3} ms", instance.id(), instance.init_ms());
    runtime.block_on(lambda_http::run(service_fn(|request| handler::handle(&instance, request))))
}
