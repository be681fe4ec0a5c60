//! What the demo function (`demos/hello-lambda`) answers: the function builds this type and
//! the panels read it, so a renamed field is a compile error, not every call shown as warm.
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The answer to a successful call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Greeting {
    pub greeting: String,
    pub request_id: String,
    /// Whether this call started the instance (its first invocation).
    pub cold_start: bool,
    /// The instance's own init, process start to ready.
    pub init_ms: f64,
    /// Which instance answered (random per process).
    pub instance_id: String,
    /// Calls this instance has answered, this one included.
    pub invocations: u64,
    pub memory_mb: u32,
    pub function_name: String,
    pub function_version: String,
    pub region: Option<String>,
    /// RFC 3339, UTC, millisecond precision.
    pub timestamp: String,
}

/// What any answer says of the instance that gave it, read under the [`Greeting`]'s names: the
/// invoke panel may call a function that is not the demo, so each is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct InstanceSigns {
    pub cold_start: Option<bool>,
    pub instance_id: Option<String>,
}

impl InstanceSigns {
    /// Nothing, when the answer is no object or holds these names with other types.
    pub fn of(answer: &Value) -> InstanceSigns {
        InstanceSigns::deserialize(answer).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_without_a_field_is_not_a_greeting() {
        let mut answer = json!({
            "greeting": "Hello, Ada!", "request_id": "r", "cold_start": true, "init_ms": 0.4,
            "instance_id": "a1", "invocations": 1, "memory_mb": 128, "function_name": "hello",
            "function_version": "$LATEST", "region": null, "timestamp": "2024-11-05T09:30:15.250Z",
        });
        let greeting: Greeting = serde_json::from_value(answer.clone()).unwrap();
        assert!(greeting.cold_start && greeting.region.is_none());
        assert_eq!(serde_json::to_value(&greeting).unwrap(), answer);
        let signs = InstanceSigns::of(&answer);
        assert_eq!(signs, InstanceSigns { cold_start: Some(true), instance_id: Some("a1".into()) });
        answer.as_object_mut().unwrap().remove("cold_start");
        assert_eq!(InstanceSigns::of(&answer).cold_start, None, "another function's answer");
        assert_eq!(InstanceSigns::of(&json!(["not", "an", "object"])), InstanceSigns::default());
        let error = serde_json::from_value::<Greeting>(answer).unwrap_err().to_string();
        assert!(error.contains("missing field `cold_start`"), "{error}");
    }
}
