//! The JSON bodies the function answers with.

use std::time::SystemTime;

use crate::instance::{Instance, Invocation};
use crate::params::ParamError;

/// The answers to a successful and to a refused call: their types are the contract with the
/// deck's panels.
pub use deck_core::demo::Greeting;
pub use deck_core::error_body::Refusal;

/// The function's configuration as the runtime reports it (from the `AWS_LAMBDA_*` environment).
#[derive(Debug, Clone, Copy)]
pub struct Function<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub memory_mb: u32,
}

/// The greeting for `name`, from this call's instance and invocation.
pub fn greeting(
    name: &str,
    request_id: &str,
    function: Function<'_>,
    instance: &Instance,
    invocation: Invocation,
    now: SystemTime,
) -> Greeting {
    Greeting {
        greeting: format!("Hello, {name}!"),
        request_id: request_id.to_owned(),
        cold_start: invocation.cold_start,
        init_ms: instance.init_ms(),
        instance_id: instance.id().to_owned(),
        invocations: invocation.number,
        memory_mb: function.memory_mb,
        function_name: function.name.to_owned(),
        function_version: function.version.to_owned(),
        region: instance.region().map(str::to_owned),
        timestamp: humantime::format_rfc3339_millis(now).to_string(),
    }
}

/// The answer to a call with a bad query parameter (HTTP 400).
pub fn refusal(error: &ParamError, request_id: &str) -> Refusal {
    Refusal {
        error: error.to_string(),
        parameter: Some(error.parameter().to_owned()),
        request_id: Some(request_id.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;

    #[test]
    fn greeting_serialises_every_field_under_its_contract_name() {
        let instance = Instance::ready(Instant::now(), Some("eu-central-1".into()), None);
        let invocation = Invocation { number: 1, cold_start: true };
        let function = Function { name: "hello", version: "$LATEST", memory_mb: 128 };
        // 2024-11-05T09:30:15.250Z
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_730_799_015_250);

        let greeting = greeting("Ada", "req-1", function, &instance, invocation, now);

        assert_eq!(
            serde_json::to_value(&greeting).unwrap(),
            json!({
                "greeting": "Hello, Ada!",
                "request_id": "req-1",
                "cold_start": true,
                "init_ms": instance.init_ms(),
                "instance_id": instance.id(),
                "invocations": 1,
                "memory_mb": 128,
                "function_name": "hello",
                "function_version": "$LATEST",
                "region": "eu-central-1",
                "timestamp": "2024-11-05T09:30:15.250Z",
            })
        );
    }

    #[test]
    fn missing_region_is_null_rather_than_made_up() {
        let instance = Instance::ready(Instant::now(), None, None);
        let function = Function { name: "hello", version: "1", memory_mb: 256 };
        let invocation = Invocation { number: 7, cold_start: false };
        let greeting = greeting("x", "r", function, &instance, invocation, SystemTime::now());
        let value = serde_json::to_value(&greeting).unwrap();
        assert_eq!(value["region"], serde_json::Value::Null);
        assert_eq!(value["invocations"], 7);
        assert_eq!(value["cold_start"], false);
    }

    #[test]
    fn refusal_names_the_parameter() {
        let error = ParamError::SleepMs("abc".into());
        assert_eq!(
            serde_json::to_value(refusal(&error, "req-2")).unwrap(),
            json!({ "error": error.to_string(), "parameter": "sleep_ms", "request_id": "req-2" })
        );
    }
}
