//! Live panels: their kinds and parameters. The same rules check a `panel <kind>` block at build
//! time and an embed page's URL parameters in the browser, so a slide and an iframe accept
//! exactly the same settings.
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::aws_rules::{self, EPHEMERAL_MB, MEMORY_MB};

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
        const MEMORY: Param = Param {
            name: "memory_mb",
            ty: Int { min: *MEMORY_MB.start() as i64, max: *MEMORY_MB.end() as i64 },
        };
        const EPHEMERAL: Param = Param {
            name: "ephemeral_mb",
            ty: Int { min: *EPHEMERAL_MB.start() as i64, max: *EPHEMERAL_MB.end() as i64 },
        };
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
            PanelKind::Cost => &[
                Param { name: "requests", ty: Float { min: 0.0, max: 1e12 } },
                Param { name: "duration_ms", ty: Float { min: 1.0, max: 900_000.0 } },
                MEMORY,
                Param { name: "arch", ty: Choice(&["x86_64", "arm64"]) },
                EPHEMERAL,
                Param { name: "free_tier", ty: Bool },
                Param { name: "pricing", ty: Choice(&["current", "2016"]) },
                Param { name: "provisioned_instances", ty: Int { min: 0, max: 100_000 } },
                Param { name: "provisioned_hours", ty: Float { min: 0.0, max: 744.0 } },
                Param { name: "server_monthly_usd", ty: Float { min: 0.0, max: 1e7 } },
            ],
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
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        PanelKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let known: Vec<_> = PanelKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown panel kind `{s}` (known: {})", known.join(", "))
        })
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

impl ParamType {
    fn check(self, value: &str) -> Result<(), String> {
        match self {
            ParamType::Int { min, max } => match value.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(()),
                Ok(_) => Err(format!("must be between {min} and {max}")),
                Err(_) => Err("must be a whole number".into()),
            },
            ParamType::Float { min, max } => match value.parse::<f64>() {
                Ok(x) if x.is_finite() && (min..=max).contains(&x) => Ok(()),
                Ok(_) => Err(format!("must be between {min} and {max}")),
                Err(_) => Err("must be a number".into()),
            },
            ParamType::Bool => match value {
                "true" | "false" => Ok(()),
                _ => Err("must be `true` or `false`".into()),
            },
            ParamType::Choice(options) if options.contains(&value) => Ok(()),
            ParamType::Choice(options) => Err(format!("must be one of: {}", options.join(", "))),
            ParamType::Text if value.len() <= 200 => Ok(()),
            ParamType::Text => Err("must be at most 200 characters".into()),
            ParamType::Name => match aws_rules::function_name_problem(value) {
                None => Ok(()),
                Some(_) => Err("must be 1–64 letters, digits, `-` or `_`".into()),
            },
            ParamType::Bucket => match aws_rules::bucket_name_problem(value) {
                None => Ok(()),
                Some(problem) => Err(format!("must be an S3 bucket name: {problem}")),
            },
            ParamType::Url
                if (value.starts_with("https://") || value.starts_with("http://"))
                    && value.len() <= 2048
                    && !value.contains(char::is_whitespace) =>
            {
                Ok(())
            }
            ParamType::Url => Err("must be an absolute http(s) URL".into()),
        }
    }
}

/// One bad parameter: which key, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub key: String,
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.key, self.message)
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
            if let Err(message) = check_param(kind, &key, &value) {
                errors.push(ParamError { key, message });
            } else if params.insert(key.clone(), value).is_some() {
                errors.push(ParamError { key, message: "is given twice".into() });
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

fn check_param(kind: PanelKind, key: &str, value: &str) -> Result<(), String> {
    let param = kind.params().iter().find(|p| p.name == key).ok_or_else(|| {
        let known: Vec<_> = kind.params().iter().map(|p| p.name).collect();
        format!("is not a parameter of `{kind}` panels (known: {})", known.join(", "))
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
        let err = "chart".parse::<PanelKind>().unwrap_err();
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
