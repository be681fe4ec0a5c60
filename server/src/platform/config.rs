//! `functions.toml`: the only functions (and so the only binaries) the platform will ever run.
//!
//! ```toml
//! region = "us-east-1"            # optional
//!
//! [[function]]
//! name = "hello"
//! binary = "../target/release/bootstrap"   # relative to this file
//! memory_mb = 128                 # 128–10240, default 128
//! timeout_s = 3                   # 1–900, default 3
//! idle_timeout_s = 300            # an idle instance stops after this, default 300
//! max_concurrency = 10            # instances at once, default 10
//! async_retry_delays_s = [60, 120] # an asynchronous event's retries after an error (at most 2)
//! [function.environment]
//! GREETING = "Hello"
//! [function.cors]                 # the Function URL's CORS, as AWS's `Cors` settings: which
//! allow_origins = ["*"]           # other sites' pages may call it (without it: the deck's only)
//! allow_methods = ["GET", "POST"] # optional, like the three below
//! allow_headers = ["content-type"]
//! expose_headers = []
//! max_age_s = 300
//! allow_credentials = false
//!
//! [[bucket]]                      # a bucket of the local S3 API
//! name = "deck-photos"            # S3's bucket name rules
//! max_object_mb = 20              # 1–5120, default 20: larger uploads get EntityTooLarge
//! [[bucket.notification]]         # as S3's notification configuration: changes → a function
//! events = ["s3:ObjectCreated:*"] # or s3:ObjectCreated:Put|Post|Copy|CompleteMultipartUpload,
//!                                 # s3:ObjectRemoved:*|Delete
//! prefix = "uploads/"             # optional key filters
//! suffix = ".jpg"
//! function = "thumbnail"          # invoked asynchronously, retried twice on an error
//! ```

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use deck_core::aws_rules::{bucket_name_problem, function_name_problem, MEMORY_MB};
use serde::Deserialize;
use toml::Spanned;

pub const DEFAULT_REGION: &str = "us-east-1";

/// Environment variables the platform sets itself; like Lambda, it refuses to let a function
/// configuration replace them.
const RESERVED_VARIABLES: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

#[derive(Debug, Clone, PartialEq)]
pub struct PlatformConfig {
    pub region: String,
    pub functions: Vec<FunctionConfig>,
    pub buckets: Vec<BucketConfig>,
}

/// A bucket of the local S3 API (`crate::storage`).
#[derive(Debug, Clone, PartialEq)]
pub struct BucketConfig {
    pub name: String,
    pub max_object_mb: u32,
    pub notifications: Vec<NotificationConfig>,
}

/// Which of a bucket's changes go to which function.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationConfig {
    /// S3's event types, e.g. `s3:ObjectCreated:*` (see `storage::notify::EVENT_TYPES`).
    pub events: Vec<String>,
    pub prefix: String,
    pub suffix: String,
    pub function: String,
    /// `configurationId` in the events: `<bucket>-<function>-<n>`.
    pub id: String,
}

impl BucketConfig {
    pub fn max_object_bytes(&self) -> u64 {
        u64::from(self.max_object_mb) * 1024 * 1024
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionConfig {
    pub name: String,
    /// Absolute, or relative to the working directory: resolved against the config file's folder.
    pub binary: PathBuf,
    pub memory_mb: u32,
    pub timeout: Duration,
    pub idle_timeout: Duration,
    pub max_concurrency: usize,
    pub environment: BTreeMap<String, String>,
    /// Before each retry of an asynchronous event that failed (Lambda: 1 and 2 minutes).
    pub async_retry_delays: Vec<Duration>,
    /// Which other sites' pages may call its Function URL (`crate::access`); none without it.
    pub cors: Option<FunctionCors>,
}

/// A Function URL's CORS settings, AWS's `Cors` (`AllowOrigins`, `AllowMethods`, …).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionCors {
    /// Origins as `scheme://host[:port]`, or `*` for any.
    pub allow_origins: Vec<String>,
    #[serde(default)]
    pub allow_methods: Vec<String>,
    #[serde(default)]
    pub allow_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    pub max_age_s: Option<u32>,
    #[serde(default)]
    pub allow_credentials: bool,
}

impl FunctionCors {
    /// What AWS refuses in these settings.
    fn problem(&self) -> Option<String> {
        let wildcard = self.allow_origins.iter().any(|origin| origin == "*");
        if self.allow_origins.is_empty() {
            return Some("cors.allow_origins names no origin (\"*\" allows any)".to_owned());
        }
        if let Some(bad) = self.allow_origins.iter().find(|origin| {
            *origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://"))
        }) {
            return Some(format!(
                "cors.allow_origins: {bad:?} is not an origin like \"https://blog.example\""
            ));
        }
        if wildcard && self.allow_credentials {
            return Some(
                "cors.allow_credentials cannot go with allow_origins = [\"*\"] (as AWS refuses)".to_owned(),
            );
        }
        if self.max_age_s.is_some_and(|age| age > 86_400) {
            return Some("cors.max_age_s is at most 86400".to_owned());
        }
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the functions file: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}:{line}: function {function:?}: {problem}")]
    Function { path: PathBuf, line: usize, function: String, problem: String },
    #[error("{path}:{line}: bucket {bucket:?}: {problem}")]
    Bucket { path: PathBuf, line: usize, bucket: String, problem: String },
    #[error("{path}:{line}: {problem}")]
    File { path: PathBuf, line: usize, problem: String },
}

impl PlatformConfig {
    /// No functions: the server only serves the deck.
    pub fn empty() -> PlatformConfig {
        PlatformConfig { region: DEFAULT_REGION.to_owned(), functions: Vec::new(), buckets: Vec::new() }
    }

    pub fn load(path: &Path) -> Result<PlatformConfig, ConfigError> {
        let source = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let mut config = PlatformConfig::parse(&source, path)?;
        // Absolute now, so the server's working directory can never change what runs.
        for function in &mut config.functions {
            let absolute =
                std::fs::canonicalize(&function.binary).or_else(|_| std::path::absolute(&function.binary));
            if let Ok(absolute) = absolute {
                function.binary = absolute;
            }
        }
        Ok(config)
    }

    /// `path` names the file in errors and anchors relative binary paths.
    pub fn parse(source: &str, path: &Path) -> Result<PlatformConfig, ConfigError> {
        let raw: RawConfig = toml::from_str(source).map_err(|error| {
            let (line, column) = error.span().map_or((1, 1), |span| line_and_column(source, span.start));
            ConfigError::Syntax { path: path.to_owned(), line, column, message: error.message().to_owned() }
        })?;
        let folder = path.parent().unwrap_or(Path::new(""));
        let at = |span: Range<usize>| line_and_column(source, span.start).0;

        let region = match raw.region {
            None => DEFAULT_REGION.to_owned(),
            Some(region) if is_region(region.get_ref()) => region.into_inner(),
            Some(region) => {
                return Err(ConfigError::File {
                    path: path.to_owned(),
                    line: at(region.span()),
                    problem: format!("region {:?} is not a region name like \"us-east-1\"", region.get_ref()),
                })
            }
        };

        let mut seen = HashSet::new();
        let mut functions = Vec::with_capacity(raw.function.len());
        for function in raw.function {
            let name = function.name.get_ref().clone();
            let invalid = |span: Range<usize>, problem: String| ConfigError::Function {
                path: path.to_owned(),
                line: at(span),
                function: name.clone(),
                problem,
            };
            if let Some(problem) = function_name_problem(&name) {
                return Err(invalid(function.name.span(), problem.to_owned()));
            }
            if !seen.insert(name.clone()) {
                return Err(invalid(function.name.span(), "defined twice".to_owned()));
            }
            if function.binary.get_ref().as_os_str().is_empty() {
                return Err(invalid(function.binary.span(), "binary is empty".to_owned()));
            }
            let memory_mb = in_range(function.memory_mb, 128, MEMORY_MB, "memory_mb", &invalid)?;
            let timeout_s = in_range(function.timeout_s, 3, 1..=900, "timeout_s", &invalid)?;
            let idle_timeout_s =
                in_range(function.idle_timeout_s, 300, 1..=86_400, "idle_timeout_s", &invalid)?;
            let max_concurrency =
                in_range(function.max_concurrency, 10, 1..=1000, "max_concurrency", &invalid)?;
            let async_retry_delays = match function.async_retry_delays_s {
                None => vec![Duration::from_secs(60), Duration::from_secs(120)],
                Some(delays) => {
                    let fine = delays.get_ref().len() <= 2
                        && delays.get_ref().iter().all(|d| (0.0..=3600.0).contains(d));
                    if !fine {
                        let problem = "async_retry_delays_s holds at most 2 delays of 0–3600 s".to_owned();
                        return Err(invalid(delays.span(), problem));
                    }
                    delays.into_inner().into_iter().map(Duration::from_secs_f64).collect()
                }
            };
            if let Some(problem) = function.cors.as_ref().and_then(|cors| cors.get_ref().problem()) {
                return Err(invalid(function.cors.as_ref().map_or(0..0, Spanned::span), problem));
            }
            let environment_span = function.environment.span();
            let environment = function.environment.into_inner();
            for (key, value) in &environment {
                if let Some(problem) = environment_problem(key, value) {
                    return Err(invalid(environment_span.clone(), problem));
                }
            }
            functions.push(FunctionConfig {
                binary: folder.join(function.binary.into_inner()),
                name,
                memory_mb,
                timeout: Duration::from_secs(timeout_s.into()),
                idle_timeout: Duration::from_secs(idle_timeout_s.into()),
                max_concurrency: max_concurrency as usize,
                environment,
                async_retry_delays,
                cors: function.cors.map(Spanned::into_inner),
            });
        }

        let mut buckets: Vec<BucketConfig> = Vec::with_capacity(raw.bucket.len());
        for bucket in raw.bucket {
            let name = bucket.name.get_ref().clone();
            let invalid = |span: Range<usize>, problem: String| ConfigError::Bucket {
                path: path.to_owned(),
                line: at(span),
                bucket: name.clone(),
                problem,
            };
            if let Some(problem) = bucket_name_problem(&name) {
                return Err(invalid(bucket.name.span(), problem.to_owned()));
            }
            if buckets.iter().any(|b| b.name == name) {
                return Err(invalid(bucket.name.span(), "defined twice".to_owned()));
            }
            let max_object_mb = in_range(bucket.max_object_mb, 20, 1..=5120, "max_object_mb", &invalid)?;
            let mut notifications: Vec<NotificationConfig> = Vec::new();
            for (n, rule) in bucket.notification.into_iter().enumerate() {
                let span = rule.function.span();
                let function = rule.function.into_inner();
                if !functions.iter().any(|f| f.name == function) {
                    return Err(invalid(
                        span,
                        format!("notification names function {function:?}, which is not defined"),
                    ));
                }
                let events = rule.events.into_inner();
                if events.is_empty() {
                    return Err(invalid(span, "a notification names at least one event type".to_owned()));
                }
                if let Some(unknown) =
                    events.iter().find(|e| !crate::storage::notify::EVENT_TYPES.contains(&e.as_str()))
                {
                    let known = crate::storage::notify::EVENT_TYPES.join(", ");
                    return Err(invalid(
                        span,
                        format!("{unknown:?} is not an event type; these are: {known}"),
                    ));
                }
                let rule = NotificationConfig {
                    id: format!("{name}-{function}-{}", n + 1),
                    events,
                    prefix: rule.prefix.unwrap_or_default(),
                    suffix: rule.suffix.unwrap_or_default(),
                    function,
                };
                if let Some(other) =
                    notifications.iter().find(|other| crate::storage::notify::overlap(other, &rule))
                {
                    let problem = format!(
                        "notifications {} and {} overlap: two rules cannot share an event type for keys both match (as S3 refuses)",
                        other.id, rule.id
                    );
                    return Err(invalid(span, problem));
                }
                notifications.push(rule);
            }
            buckets.push(BucketConfig { name, max_object_mb, notifications });
        }
        Ok(PlatformConfig { region, functions, buckets })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    region: Option<Spanned<String>>,
    #[serde(default)]
    function: Vec<RawFunction>,
    #[serde(default)]
    bucket: Vec<RawBucket>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBucket {
    name: Spanned<String>,
    max_object_mb: Option<Spanned<u32>>,
    #[serde(default)]
    notification: Vec<RawNotification>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotification {
    events: Spanned<Vec<String>>,
    prefix: Option<String>,
    suffix: Option<String>,
    function: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    name: Spanned<String>,
    binary: Spanned<PathBuf>,
    memory_mb: Option<Spanned<u32>>,
    timeout_s: Option<Spanned<u32>>,
    idle_timeout_s: Option<Spanned<u32>>,
    max_concurrency: Option<Spanned<u32>>,
    async_retry_delays_s: Option<Spanned<Vec<f64>>>,
    #[serde(default = "no_environment")]
    environment: Spanned<BTreeMap<String, String>>,
    cors: Option<Spanned<FunctionCors>>,
}

fn no_environment() -> Spanned<BTreeMap<String, String>> {
    Spanned::new(0..0, BTreeMap::new())
}

fn in_range(
    value: Option<Spanned<u32>>,
    default: u32,
    allowed: std::ops::RangeInclusive<u32>,
    key: &str,
    invalid: &impl Fn(Range<usize>, String) -> ConfigError,
) -> Result<u32, ConfigError> {
    match value {
        None => Ok(default),
        Some(value) if allowed.contains(value.get_ref()) => Ok(value.into_inner()),
        Some(value) => Err(invalid(
            value.span(),
            format!("{key} = {} is outside {}..={}", value.get_ref(), allowed.start(), allowed.end()),
        )),
    }
}

/// Whether the platform sets `name` itself (Lambda's variables, the role's credentials).
pub fn is_reserved_variable(name: &str) -> bool {
    RESERVED_VARIABLES.contains(&name)
}

fn environment_problem(key: &str, value: &str) -> Option<String> {
    let mut chars = key.chars();
    let well_formed = chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        Some(format!("environment variable {key:?} is not a name of letters, digits and underscores"))
    } else if RESERVED_VARIABLES.contains(&key) {
        Some(format!("environment variable {key} is reserved: the platform sets it"))
    } else if value.contains('\0') {
        Some(format!("environment variable {key} contains a NUL character"))
    } else {
        None
    }
}

fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// 1-based line and column of a byte offset.
fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Result<PlatformConfig, ConfigError> {
        PlatformConfig::parse(source, Path::new("demos/functions.toml"))
    }

    fn error(source: &str) -> String {
        parse(source).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_field_and_resolves_the_binary_beside_the_file() {
        let config = parse(
            r#"
region = "eu-west-1"

[[function]]
name = "hello"
binary = "../target/release/bootstrap"
memory_mb = 256
timeout_s = 5
idle_timeout_s = 60
max_concurrency = 4
async_retry_delays_s = [1, 0.5]
[function.environment]
GREETING = "Hi"
"#,
        )
        .unwrap();
        assert_eq!(config.region, "eu-west-1");
        assert_eq!(
            config.functions,
            [FunctionConfig {
                name: "hello".into(),
                binary: PathBuf::from("demos/../target/release/bootstrap"),
                memory_mb: 256,
                timeout: Duration::from_secs(5),
                idle_timeout: Duration::from_secs(60),
                max_concurrency: 4,
                environment: BTreeMap::from([("GREETING".into(), "Hi".into())]),
                async_retry_delays: vec![Duration::from_secs(1), Duration::from_millis(500)],
                cors: None,
            }]
        );
    }

    #[test]
    fn buckets_are_read_with_their_limits_and_checked_by_s3s_rules() {
        let config =
            parse("[[bucket]]\nname = \"deck-photos\"\n\n[[bucket]]\nname = \"b.2\"\nmax_object_mb = 5\n")
                .unwrap();
        assert_eq!(
            config.buckets,
            [
                BucketConfig { name: "deck-photos".into(), max_object_mb: 20, notifications: vec![] },
                BucketConfig { name: "b.2".into(), max_object_mb: 5, notifications: vec![] },
            ]
        );
        assert_eq!(config.buckets[1].max_object_bytes(), 5 * 1024 * 1024);
        for (name, problem) in [
            ("ab", "3 to 63 characters"),
            ("Photos", "only lowercase letters"),
            ("my_photos", "only lowercase letters"),
            ("-photos", "begins and ends"),
            ("a..b", "two dots"),
            ("192.168.1.1", "not an IP address"),
        ] {
            let message = error(&format!("\n[[bucket]]\nname = \"{name}\"\n"));
            assert!(message.starts_with(&format!("demos/functions.toml:3: bucket {name:?}: ")), "{message}");
            assert!(message.contains(problem), "{name}: {message}");
        }
        let twice = error("[[bucket]]\nname = \"abc\"\n[[bucket]]\nname = \"abc\"\n");
        assert_eq!(twice, "demos/functions.toml:4: bucket \"abc\": defined twice");
        let big = error("[[bucket]]\nname = \"abc\"\nmax_object_mb = 6000\n");
        assert_eq!(big, "demos/functions.toml:3: bucket \"abc\": max_object_mb = 6000 is outside 1..=5120");
    }

    #[test]
    fn notifications_name_defined_functions_known_events_and_never_overlap() {
        let function = "[[function]]\nname = \"thumbnail\"\nbinary = \"/bin/t\"\n";
        let bucket = |rules: &str| format!("{function}\n[[bucket]]\nname = \"photos\"\n{rules}");
        let rule = |events: &str, prefix: &str, suffix: &str, function: &str| {
            format!("[[bucket.notification]]\nevents = [{events}]\nprefix = \"{prefix}\"\nsuffix = \"{suffix}\"\nfunction = \"{function}\"\n")
        };
        let config =
            parse(&bucket(&rule("\"s3:ObjectCreated:*\"", "uploads/", ".jpg", "thumbnail"))).unwrap();
        assert_eq!(
            config.buckets[0].notifications,
            [NotificationConfig {
                events: vec!["s3:ObjectCreated:*".into()],
                prefix: "uploads/".into(),
                suffix: ".jpg".into(),
                function: "thumbnail".into(),
                id: "photos-thumbnail-1".into(),
            }]
        );
        // Created and removed events, or two prefixes apart, may share a bucket.
        let apart = rule("\"s3:ObjectCreated:*\"", "a/", "", "thumbnail")
            + &rule("\"s3:ObjectRemoved:*\"", "a/", "", "thumbnail")
            + &rule("\"s3:ObjectCreated:Put\"", "b/", "", "thumbnail");
        assert_eq!(parse(&bucket(&apart)).unwrap().buckets[0].notifications.len(), 3);

        let undefined = error(&bucket(&rule("\"s3:ObjectCreated:*\"", "", "", "resize")));
        assert!(
            undefined
                .contains("bucket \"photos\": notification names function \"resize\", which is not defined"),
            "{undefined}"
        );
        let unknown = error(&bucket(&rule("\"s3:ObjectMade\"", "", "", "thumbnail")));
        assert!(
            unknown.contains("\"s3:ObjectMade\" is not an event type; these are: s3:ObjectCreated:*"),
            "{unknown}"
        );
        let overlapping = rule("\"s3:ObjectCreated:*\"", "uploads/", "", "thumbnail")
            + &rule("\"s3:ObjectCreated:Put\"", "uploads/cats/", ".jpg", "thumbnail");
        let overlap = error(&bucket(&overlapping));
        assert!(
            overlap.contains("notifications photos-thumbnail-1 and photos-thumbnail-2 overlap"),
            "{overlap}"
        );
        assert!(overlap.starts_with("demos/functions.toml:16:"), "names the second rule's line: {overlap}");
    }

    #[test]
    fn defaults_follow_lambda_and_absolute_binaries_stay_absolute() {
        let config = parse("[[function]]\nname = \"a\"\nbinary = \"/opt/fn/bootstrap\"\n").unwrap();
        assert_eq!(config.region, DEFAULT_REGION);
        let function = &config.functions[0];
        assert_eq!(function.binary, PathBuf::from("/opt/fn/bootstrap"));
        assert_eq!(function.memory_mb, 128);
        assert_eq!(function.timeout, Duration::from_secs(3));
        assert_eq!(function.idle_timeout, Duration::from_secs(300));
        assert_eq!(function.max_concurrency, 10);
        assert!(function.environment.is_empty());
    }

    #[test]
    fn an_empty_file_has_no_functions() {
        assert_eq!(parse("").unwrap(), PlatformConfig::empty());
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let message = error("[[function]]\nname = \"a\"\nbinary = \n");
        assert!(message.starts_with("demos/functions.toml:3:"), "{message}");
    }

    #[test]
    fn unknown_and_missing_keys_are_errors_with_their_line() {
        let message = error("[[function]]\nname = \"a\"\nbinary = \"b\"\nmemory = 128\n");
        assert!(message.starts_with("demos/functions.toml:4:"), "{message}");
        assert!(message.contains("memory"), "{message}");
        let message = error("[[function]]\nname = \"a\"\n");
        assert!(message.contains("binary"), "{message}");
    }

    #[test]
    fn out_of_range_numbers_name_the_function_and_the_line() {
        let message = error("[[function]]\nname = \"slow\"\nbinary = \"b\"\ntimeout_s = 901\n");
        assert_eq!(message, "demos/functions.toml:4: function \"slow\": timeout_s = 901 is outside 1..=900");
        let message = error("[[function]]\nname = \"tiny\"\nbinary = \"b\"\nmemory_mb = 64\n");
        assert_eq!(
            message,
            "demos/functions.toml:4: function \"tiny\": memory_mb = 64 is outside 128..=10240"
        );
        let message = error("[[function]]\nname = \"none\"\nbinary = \"b\"\nmax_concurrency = 0\n");
        assert!(message.contains("max_concurrency = 0"), "{message}");
    }

    #[test]
    fn names_must_be_lambda_names_and_unique() {
        let message = error("[[function]]\nname = \"no spaces\"\nbinary = \"b\"\n");
        assert!(message.starts_with("demos/functions.toml:2: function \"no spaces\""), "{message}");
        let twice =
            "[[function]]\nname = \"a\"\nbinary = \"b\"\n[[function]]\nname = \"a\"\nbinary = \"c\"\n";
        assert_eq!(error(twice), "demos/functions.toml:5: function \"a\": defined twice");
    }

    #[test]
    fn reserved_or_malformed_environment_variables_are_refused() {
        let source =
            "[[function]]\nname = \"a\"\nbinary = \"b\"\n[function.environment]\nAWS_REGION = \"x\"\n";
        let message = error(source);
        assert!(message.starts_with("demos/functions.toml:"), "{message}");
        assert!(message.contains("AWS_REGION is reserved"), "{message}");
        let message = error("[[function]]\nname = \"a\"\nbinary = \"b\"\nenvironment = { \"1X\" = \"y\" }\n");
        assert!(message.contains("\"1X\" is not a name"), "{message}");
        let message = error("[[function]]\nname = \"a\"\nbinary = \"b\"\nenvironment = { X = 1 }\n");
        assert!(message.starts_with("demos/functions.toml:4:"), "{message}");
    }

    #[test]
    fn a_function_urls_cors_is_read_as_aws_settings_and_checked() {
        let head = "[[function]]\nname = \"hello\"\nbinary = \"b\"\n";
        let config = parse(&format!(
            "{head}[function.cors]\nallow_origins = [\"https://blog.example\"]\nallow_methods = [\"GET\"]\nmax_age_s = 300\n"
        ))
        .unwrap();
        assert_eq!(
            config.functions[0].cors,
            Some(FunctionCors {
                allow_origins: vec!["https://blog.example".into()],
                allow_methods: vec!["GET".into()],
                max_age_s: Some(300),
                ..FunctionCors::default()
            })
        );
        assert_eq!(parse(head).unwrap().functions[0].cors, None, "no CORS unless declared");
        for (settings, problem) in [
            ("allow_origins = []", "names no origin"),
            ("allow_origins = [\"blog.example\"]", "is not an origin"),
            ("allow_origins = [\"*\"]\nallow_credentials = true", "cannot go with"),
            ("allow_origins = [\"*\"]\nmax_age_s = 90000", "at most 86400"),
        ] {
            let message = error(&format!("{head}[function.cors]\n{settings}\n"));
            assert!(message.starts_with("demos/functions.toml:4: function \"hello\": cors."), "{message}");
            assert!(message.contains(problem), "{message}");
        }
        assert!(error(&format!("{head}[function.cors]\nallow_origin = [\"*\"]\n")).contains("allow_origin"));
    }

    #[test]
    fn a_malformed_region_is_refused_with_its_line() {
        assert_eq!(
            error("\nregion = \"Mars\"\n"),
            "demos/functions.toml:2: region \"Mars\" is not a region name like \"us-east-1\""
        );
    }

    #[test]
    fn line_and_column_count_from_one() {
        assert_eq!(line_and_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_and_column("ab", 99), (1, 3));
    }
}
