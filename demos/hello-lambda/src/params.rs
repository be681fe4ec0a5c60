//! The query parameters the demo understands, validated before the function does any work.

use std::time::Duration;

/// Longest accepted `?name=`, in characters: a greeting, not a payload.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest accepted `?sleep_ms=`: as long as the demo's 10 s timeout, so the maximum shows
/// `Task timed out` while anything shorter shows a slow but successful call.
pub const MAX_SLEEP_MS: u64 = 10_000;
/// How much of a rejected value an error message quotes back.
const QUOTED_CHARS: usize = 32;

/// What one request asks the function to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Who to greet; "world" unless `?name=` is given and not blank.
    pub name: String,
    /// How long to wait before answering (`?sleep_ms=`).
    pub sleep: Duration,
    /// Whether to fail the invocation (`?fail=1`).
    pub fail: bool,
}

/// A query parameter the function refuses; the message names the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("query parameter `name` must be at most {MAX_NAME_CHARS} characters, got {0}")]
    NameTooLong(usize),
    #[error("query parameter `name` must not contain control characters (character {0} is one)")]
    NameControlCharacter(usize),
    #[error("query parameter `sleep_ms` must be a whole number of milliseconds from 0 to {MAX_SLEEP_MS}, got {0:?}")]
    SleepMs(String),
    #[error("query parameter `fail` must be 1 or 0, got {0:?}")]
    Fail(String),
}

impl ParamError {
    /// The query parameter at fault, for machine-readable error bodies.
    pub fn parameter(&self) -> &'static str {
        match self {
            ParamError::NameTooLong(_) | ParamError::NameControlCharacter(_) => "name",
            ParamError::SleepMs(_) => "sleep_ms",
            ParamError::Fail(_) => "fail",
        }
    }
}

impl Params {
    /// Reads the parameters through `query`, which returns the first value of a query parameter.
    /// Unknown parameters are ignored so callers can add cache-busters.
    pub fn from_query<'q>(query: impl Fn(&str) -> Option<&'q str>) -> Result<Params, ParamError> {
        Ok(Params {
            name: parse_name(query("name"))?,
            sleep: parse_sleep(query("sleep_ms"))?,
            fail: parse_fail(query("fail"))?,
        })
    }
}

impl Default for Params {
    fn default() -> Self {
        Params { name: "world".to_owned(), sleep: Duration::ZERO, fail: false }
    }
}

fn parse_name(value: Option<&str>) -> Result<String, ParamError> {
    let name = value.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Ok(Params::default().name);
    }
    if let Some(position) = name.chars().position(char::is_control) {
        return Err(ParamError::NameControlCharacter(position + 1));
    }
    let length = name.chars().count();
    if length > MAX_NAME_CHARS {
        return Err(ParamError::NameTooLong(length));
    }
    Ok(name.to_owned())
}

fn parse_sleep(value: Option<&str>) -> Result<Duration, ParamError> {
    let Some(value) = value else { return Ok(Duration::ZERO) };
    match value.parse::<u64>() {
        Ok(ms) if ms <= MAX_SLEEP_MS => Ok(Duration::from_millis(ms)),
        _ => Err(ParamError::SleepMs(quote(value))),
    }
}

fn parse_fail(value: Option<&str>) -> Result<bool, ParamError> {
    match value {
        None | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some(other) => Err(ParamError::Fail(quote(other))),
    }
}

/// The start of a rejected value, so an error message stays short whatever was sent.
fn quote(value: &str) -> String {
    match value.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Params, ParamError> {
        Params::from_query(|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    #[test]
    fn no_parameters_greet_the_world_at_once() {
        assert_eq!(parse(&[]), Ok(Params { name: "world".into(), sleep: Duration::ZERO, fail: false }));
    }

    #[test]
    fn all_parameters_are_read() {
        let params = parse(&[("name", "Ada"), ("sleep_ms", "250"), ("fail", "1"), ("t", "123")]);
        assert_eq!(params, Ok(Params { name: "Ada".into(), sleep: Duration::from_millis(250), fail: true }));
    }

    #[test]
    fn blank_name_falls_back_to_world_and_names_are_trimmed() {
        assert_eq!(parse(&[("name", "   ")]).unwrap().name, "world");
        assert_eq!(parse(&[("name", "")]).unwrap().name, "world");
        assert_eq!(parse(&[("name", " Grace ")]).unwrap().name, "Grace");
    }

    #[test]
    fn name_is_kept_as_text_even_if_it_looks_like_markup() {
        let name = "<script>alert(1)</script>";
        assert_eq!(parse(&[("name", name)]).unwrap().name, name);
    }

    #[test]
    fn name_length_is_counted_in_characters() {
        let longest = "é".repeat(MAX_NAME_CHARS);
        assert_eq!(parse(&[("name", &longest)]).unwrap().name, longest);
        let too_long = "é".repeat(MAX_NAME_CHARS + 1);
        let error = parse(&[("name", &too_long)]).unwrap_err();
        assert_eq!(error, ParamError::NameTooLong(MAX_NAME_CHARS + 1));
        assert_eq!(error.parameter(), "name");
    }

    #[test]
    fn name_with_control_characters_is_refused_with_the_position() {
        let error = parse(&[("name", "Ada\nLovelace")]).unwrap_err();
        assert_eq!(error, ParamError::NameControlCharacter(4));
        assert_eq!(error.parameter(), "name");
    }

    #[test]
    fn sleep_accepts_its_whole_range() {
        assert_eq!(parse(&[("sleep_ms", "0")]).unwrap().sleep, Duration::ZERO);
        assert_eq!(parse(&[("sleep_ms", "10000")]).unwrap().sleep, Duration::from_secs(10));
    }

    #[test]
    fn sleep_out_of_range_or_not_a_number_names_the_parameter() {
        for bad in ["10001", "-1", "1.5", "abc", "", "99999999999999999999999"] {
            let error = parse(&[("sleep_ms", bad)]).unwrap_err();
            assert_eq!(error, ParamError::SleepMs(bad.to_owned()), "for {bad:?}");
            assert_eq!(error.parameter(), "sleep_ms");
            assert!(error.to_string().contains("`sleep_ms`"), "{error}");
        }
    }

    #[test]
    fn rejected_values_are_quoted_briefly() {
        let huge = "9".repeat(10_000);
        let message = parse(&[("sleep_ms", &huge)]).unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains(&format!("{}…", "9".repeat(QUOTED_CHARS))), "{message}");
    }

    #[test]
    fn fail_accepts_one_zero_true_false_only() {
        assert!(parse(&[("fail", "1")]).unwrap().fail);
        assert!(parse(&[("fail", "true")]).unwrap().fail);
        assert!(!parse(&[("fail", "0")]).unwrap().fail);
        assert!(!parse(&[("fail", "false")]).unwrap().fail);
        let error = parse(&[("fail", "yes")]).unwrap_err();
        assert_eq!(error, ParamError::Fail("yes".into()));
        assert_eq!(error.parameter(), "fail");
    }
}
