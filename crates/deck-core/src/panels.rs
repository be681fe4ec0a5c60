//! Live panels: their kinds and parameters. The same rules check a `panel <kind>` block at build
//! time and an embed page's URL parameters in the browser, so a slide and an iframe accept
//! exactly the same settings.
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::aws_rules;
use crate::pricing::CostParam;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PanelKind {
    Invoke,
    ColdStart,
    Cost,
    Thumbnails,
}

impl PanelKind {
    pub const ALL: [PanelKind; 4] =
        [PanelKind::Invoke, PanelKind::ColdStart, PanelKind::Cost, PanelKind::Thumbnails];

    pub fn name(self) -> &'static str {
        match self {
            PanelKind::Invoke => "invoke",
            PanelKind::ColdStart => "cold-start",
            PanelKind::Cost => "cost",
            PanelKind::Thumbnails => "thumbnails",
        }
    }

    /// The panel's heading, also on its place in the page before the app starts.
    pub fn title(self) -> &'static str {
        match self {
            PanelKind::Invoke => "Invoke the function",
            PanelKind::ColdStart => "Cold starts, measured",
            PanelKind::Cost => "What a month costs",
            PanelKind::Thumbnails => "Thumbnails on upload",
        }
    }

    /// The parameters this kind accepts.
    pub fn params(self) -> &'static [Param] {
        use ParamType::*;
        const LAMBDA: Param = Param { name: "lambda", ty: Url };
        const FUNCTION: Param = Param { name: "function", ty: Name };
        match self {
            PanelKind::Invoke => &[
                LAMBDA,
                FUNCTION,
                Param { name: "name", ty: Text },
                Param { name: "sleep_ms", ty: Int { min: 0, max: 10_000 } },
            ],
            PanelKind::ColdStart => &[
                LAMBDA,
                FUNCTION,
                Param { name: "calls", ty: Int { min: 1, max: 100 } },
                Param { name: "force_cold", ty: Bool },
                Param { name: "burst", ty: Int { min: 1, max: 50 } },
            ],
            // Defined beside the cost model, which reads and writes them.
            PanelKind::Cost => &CostParam::RULES,
            PanelKind::Thumbnails => &[
                // The deployed ticket function's URL; without it, the local server's bucket.
                Param { name: "uploads", ty: Url },
                Param { name: "bucket", ty: Bucket },
            ],
        }
    }
}

impl fmt::Display for PanelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PanelKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        PanelKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownName::new("panel kind", s, &PanelKind::ALL.map(PanelKind::name)))
    }
}

/// A name that is none of the known ones: a panel kind, an architecture, a price sheet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}` (known: {})", .known.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub known: Vec<&'static str>,
}

impl UnknownName {
    pub fn new(what: &'static str, name: &str, known: &[&'static str]) -> Self {
        UnknownName { what, name: name.to_owned(), known: known.to_vec() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub ty: ParamType,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamType {
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    Bool,
    Choice(&'static [&'static str]),
    /// Free text, shown as text only.
    Text,
    /// A Lambda function name ([`aws_rules::function_name_problem`]).
    Name,
    /// An S3 bucket name ([`aws_rules::bucket_name_problem`]).
    Bucket,
    /// An absolute http(s) URL.
    Url,
}

/// The longest free text a parameter takes.
const MAX_TEXT_LEN: usize = 200;

impl ParamType {
    fn check(self, value: &str) -> Result<(), ParamProblem> {
        match self {
            ParamType::Int { min, max } => match value.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(()),
                Ok(_) => Err(ParamProblem::IntOutOfRange { min, max }),
                Err(_) => Err(ParamProblem::NotWholeNumber),
            },
            ParamType::Float { min, max } => match value.parse::<f64>() {
                Ok(x) if x.is_finite() && (min..=max).contains(&x) => Ok(()),
                Ok(_) => Err(ParamProblem::FloatOutOfRange { min, max }),
                Err(_) => Err(ParamProblem::NotNumber),
            },
            ParamType::Bool => match value {
                "true" | "false" => Ok(()),
                _ => Err(ParamProblem::NotBool),
            },
            ParamType::Choice(options) if options.contains(&value) => Ok(()),
            ParamType::Choice(options) => Err(ParamProblem::NotOneOf(options)),
            ParamType::Text if value.len() <= MAX_TEXT_LEN => Ok(()),
            ParamType::Text => Err(ParamProblem::TextTooLong { max: MAX_TEXT_LEN }),
            ParamType::Name => match aws_rules::function_name_problem(value) {
                None => Ok(()),
                Some(_) => Err(ParamProblem::NotFunctionName),
            },
            ParamType::Bucket => match aws_rules::bucket_name_problem(value) {
                None => Ok(()),
                Some(problem) => Err(ParamProblem::NotBucketName(problem)),
            },
            ParamType::Url
                if (value.starts_with("https://") || value.starts_with("http://"))
                    && value.len() <= 2048
                    && !value.contains(char::is_whitespace) =>
            {
                Ok(())
            }
            ParamType::Url => Err(ParamProblem::NotUrl),
        }
    }
}

/// What is wrong with one parameter, worded to follow its name: "`memory_mb` must be …".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamProblem {
    #[error("is not a parameter of `{kind}` panels (known: {})", .known.join(", "))]
    NotAParameter { kind: PanelKind, known: Vec<&'static str> },
    #[error("is given twice")]
    GivenTwice,
    #[error("must be between {min} and {max}")]
    IntOutOfRange { min: i64, max: i64 },
    #[error("must be between {min} and {max}")]
    FloatOutOfRange { min: f64, max: f64 },
    #[error("must be a whole number")]
    NotWholeNumber,
    #[error("must be a number")]
    NotNumber,
    #[error("must be `true` or `false`")]
    NotBool,
    #[error("must be one of: {}", .0.join(", "))]
    NotOneOf(&'static [&'static str]),
    #[error("must be at most {max} characters")]
    TextTooLong { max: usize },
    #[error("must be 1–64 letters, digits, `-` or `_`")]
    NotFunctionName,
    #[error("must be an S3 bucket name: {0}")]
    NotBucketName(&'static str),
    #[error("must be an absolute http(s) URL")]
    NotUrl,
}

/// One bad parameter: which key, and what is wrong with it (a [`ParamProblem`], or a rule of
/// the panel's own such as the cost model's 2016 limits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` {message}")]
pub struct ParamError {
    pub key: String,
    pub message: String,
}

impl ParamError {
    pub fn new(key: impl Into<String>, message: impl fmt::Display) -> Self {
        ParamError { key: key.into(), message: message.to_string() }
    }
}

/// A validated panel: its kind and the parameters it was given (as written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelSpec {
    pub kind: PanelKind,
    pub params: BTreeMap<String, String>,
}

impl PanelSpec {
    /// Checks every parameter against the kind's rules; reports each bad one.
    pub fn new<K, V>(
        kind: PanelKind,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, Vec<ParamError>>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut params = BTreeMap::new();
        let mut errors = Vec::new();
        for (key, value) in pairs {
            let (key, value) = (key.into(), value.into());
            if let Err(problem) = check_param(kind, &key, &value) {
                errors.push(ParamError::new(key, problem));
            } else if params.insert(key.clone(), value).is_some() {
                errors.push(ParamError::new(key, ParamProblem::GivenTwice));
            }
        }
        if errors.is_empty() {
            Ok(PanelSpec { kind, params })
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }
}

fn check_param(kind: PanelKind, key: &str, value: &str) -> Result<(), ParamProblem> {
    let param = kind.params().iter().find(|p| p.name == key).ok_or_else(|| ParamProblem::NotAParameter {
        kind,
        known: kind.params().iter().map(|p| p.name).collect(),
    })?;
    param.ty.check(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_by_name() {
        for kind in PanelKind::ALL {
            assert_eq!(kind.name().parse::<PanelKind>(), Ok(kind));
        }
        let err = "chart".parse::<PanelKind>().unwrap_err().to_string();
        assert!(err.contains("unknown panel kind `chart`") && err.contains("cold-start"), "{err}");
    }

    #[test]
    fn valid_params_are_kept() {
        let spec = PanelSpec::new(PanelKind::Cost, [("requests", "3000000"), ("pricing", "2016")]).unwrap();
        assert_eq!(spec.get("requests"), Some("3000000"));
        assert_eq!(spec.get("memory_mb"), None);
    }

    #[test]
    fn every_bad_param_is_reported() {
        let errors = PanelSpec::new(
            PanelKind::Cost,
            [("memory_mb", "64"), ("arch", "sparc"), ("colour", "red"), ("requests", "NaN")],
        )
        .unwrap_err();
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["memory_mb", "arch", "colour", "requests"]);
        assert!(errors[0].message.contains("between 128 and 10240"));
        assert!(errors[2].message.contains("not a parameter of `cost`"));
    }

    #[test]
    fn duplicates_and_bad_urls_are_errors() {
        let errors = PanelSpec::new(
            PanelKind::Invoke,
            [("name", "a"), ("name", "b"), ("lambda", "javascript:alert(1)"), ("function", "../x")],
        )
        .unwrap_err();
        let messages: Vec<_> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("given twice"));
        assert!(messages[1].contains("http(s) URL"));
        assert!(messages[2].contains("letters, digits"));
    }
}
