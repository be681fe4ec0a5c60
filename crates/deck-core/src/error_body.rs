//! Error answers over HTTP as the panels meet them: Lambda's runtime errors, AWS's and the local
//! platform's service errors, and the demo functions' own refusals; and one reader that makes
//! any of them one line to show.
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a demo function answers to a request it refuses (HTTP 4xx): a bad query parameter of
/// `hello`, an upload the ticket function will not grant. The local server's ticket route
/// answers the same, so the panel reads one shape wherever the function runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub error: String,
    /// The query parameter at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Refusal {
    pub fn new(error: impl Into<String>) -> Refusal {
        Refusal { error: error.into(), parameter: None, request_id: None }
    }
}

/// What an error body says: Lambda's `errorType: errorMessage`, the platform's or AWS's
/// `message`, a [`Refusal`]'s `error`, or else the start of the text.
pub fn message(body: &str) -> String {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) else {
        return if body.trim().is_empty() { "(empty body)".to_owned() } else { excerpt(body) };
    };
    let text = |key: &str| fields.get(key).and_then(Value::as_str);
    match (text("errorType"), text("errorMessage")) {
        (Some(kind), Some(message)) => format!("{kind}: {message}"),
        (_, Some(message)) => message.to_owned(),
        _ => ["message", "Message", "error"]
            .into_iter()
            .find_map(text)
            .map_or_else(|| excerpt(body), str::to_owned),
    }
}

/// The start of `text`, trimmed, cut to 160 characters with an ellipsis.
pub fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 160;
    let mut chars = text.trim().chars();
    let mut short: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_error_body_becomes_its_message() {
        let lambda = r#"{"errorType":"RequestedFailure","errorMessage":"failure requested with ?fail=1"}"#;
        assert_eq!(message(lambda), "RequestedFailure: failure requested with ?fail=1");
        assert_eq!(message(r#"{"Type":"User","message":"Rate Exceeded."}"#), "Rate Exceeded.");
        assert_eq!(message(r#"{"Message":"Forbidden"}"#), "Forbidden");
        assert_eq!(message("  "), "(empty body)");
        assert_eq!(message("<html>Bad Gateway</html>"), "<html>Bad Gateway</html>");
        let long = "x".repeat(500);
        assert_eq!(message(&long).chars().count(), 161, "cut to 160 characters and an ellipsis");
    }

    #[test]
    fn a_refusal_reads_back_as_its_error() {
        let refusal = Refusal {
            error: "`sleep_ms` is too large".into(),
            parameter: Some("sleep_ms".into()),
            request_id: Some("req-2".into()),
        };
        let body = serde_json::to_string(&refusal).unwrap();
        assert_eq!(message(&body), "`sleep_ms` is too large");
        assert_eq!(serde_json::from_str::<Refusal>(&body).unwrap(), refusal);
        let ticket = serde_json::to_value(Refusal::new("not an image")).unwrap();
        assert_eq!(ticket, json!({ "error": "not an image" }), "no empty fields");
        assert_eq!(message(&ticket.to_string()), "not an image");
    }
}
