//! The thumbnail function, for AWS Lambda (provided.al2023) and the deck's local platform.
//!
//! One binary, two roles, told apart by the event: an S3 notification makes thumbnails
//! ([`upload`]); a Function URL request asks for an upload ticket ([`ticket`], on AWS only:
//! the local server hands out its own).

mod s3;
mod thumbnails;
mod ticket;
mod upload;

use std::cell::Cell;
use std::time::Instant;

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

/// What the process knows about itself, for the report's cold start and init.
pub struct Instance {
    pub init_ms: f64,
    invocations: Cell<u64>,
}

impl Instance {
    /// True on the first invocation only.
    pub fn begin_invocation(&self) -> bool {
        self.invocations.set(self.invocations.get() + 1);
        self.invocations.get() == 1
    }
}

fn main() -> Result<(), Error> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let client = s3::client_from_env()?;
    let instance = Instance { init_ms: started.elapsed().as_secs_f64() * 1000.0, invocations: Cell::new(0) };
    let instance = &instance;
    let client = &client;
    runtime.block_on(lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let arrived = Instant::now();
        let cold_start = instance.begin_invocation();
        let (payload, context) = event.into_parts();
        if payload.get("Records").is_some() {
            let call = upload::Call {
                request_id: &context.request_id,
                cold_start,
                init_ms: instance.init_ms,
                arrived,
            };
            Ok(serde_json::to_value(upload::on_event(client, payload, call).await?)?)
        } else if payload.get("requestContext").is_some() {
            let request: LambdaFunctionUrlRequest = serde_json::from_value(payload)?;
            Ok(serde_json::to_value(ticket::answer(client, request).await)?)
        } else {
            Err(Error::from("the event is neither an S3 notification nor a Function URL request"))
        }
    })))
}
