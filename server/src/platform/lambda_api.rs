//! Lambda's read-only control API as the AWS CLI and SDKs call it: `ListFunctions`
//! (`GET /2015-03-31/functions/`) and `GetFunction` (`GET /2015-03-31/functions/{name}`), in
//! AWS's shapes, so `aws lambda list-functions` and `get-function` describe what runs locally.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::is_reserved_variable;
use super::errors::ServiceError;
use super::function::{Function, ACCOUNT_ID};
use super::invoke_api::{check_qualifier, parse_function_reference};
use super::Platform;
use crate::clock::{epoch_millis, UtcTime};

/// `ListFunctions` answers at most this many functions a page unless asked for fewer (AWS: 50).
const PAGE: usize = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(rename = "MaxItems")]
    max_items: Option<usize>,
    /// The name of the last function of the previous page.
    #[serde(rename = "Marker")]
    marker: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FunctionList {
    functions: Vec<Configuration>,
    next_marker: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FunctionAndCode {
    configuration: Configuration,
    code: Code,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Code {
    repository_type: &'static str,
    /// The executable the platform runs, as a `file://` URL.
    location: String,
}

/// AWS's `FunctionConfiguration`, with what is true locally.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Configuration {
    function_name: String,
    function_arn: String,
    runtime: &'static str,
    role: String,
    handler: &'static str,
    code_size: u64,
    description: &'static str,
    timeout: u64,
    memory_size: u32,
    last_modified: String,
    code_sha256: String,
    version: &'static str,
    environment: Environment,
    state: &'static str,
    last_update_status: &'static str,
    package_type: &'static str,
    architectures: [&'static str; 1],
    ephemeral_storage: EphemeralStorage,
    logging_config: LoggingConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Environment {
    variables: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EphemeralStorage {
    size: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoggingConfig {
    log_format: &'static str,
    log_group: String,
}

impl Configuration {
    /// Reads the function's binary for its size, date and digest; a missing binary (not built
    /// yet) describes as empty, as its invocations then say.
    async fn of(function: &Function) -> Configuration {
        let config = &function.config;
        let code = tokio::fs::read(&config.binary).await.unwrap_or_default();
        let modified = tokio::fs::metadata(&config.binary).await.and_then(|m| m.modified()).ok();
        let last_modified = UtcTime::from_epoch_millis(modified.map_or(0, epoch_millis)).rfc3339_millis();
        Configuration {
            function_name: config.name.clone(),
            function_arn: function.arn.clone(),
            // A native executable behind the Runtime API: what Lambda calls an OS-only runtime.
            runtime: "provided.al2023",
            role: format!("arn:aws:iam::{ACCOUNT_ID}:role/serverless-deck-local"),
            handler: "bootstrap",
            code_size: code.len() as u64,
            description: "",
            timeout: config.timeout.as_secs(),
            memory_size: config.memory_mb,
            // AWS writes `+0000` where RFC 3339 has `Z`.
            last_modified: last_modified.replace('Z', "+0000"),
            code_sha256: base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&code)),
            version: "$LATEST",
            // What functions.toml sets; the role's credentials the platform adds are no setting.
            environment: Environment {
                variables: config
                    .environment
                    .iter()
                    .filter(|(name, _)| !is_reserved_variable(name))
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect(),
            },
            state: "Active",
            last_update_status: "Successful",
            package_type: "Zip",
            architectures: [if cfg!(target_arch = "aarch64") { "arm64" } else { "x86_64" }],
            ephemeral_storage: EphemeralStorage { size: 512 },
            logging_config: LoggingConfig {
                log_format: "Text",
                log_group: format!("/aws/lambda/{}", config.name),
            },
        }
    }
}

pub async fn list_functions(
    State(platform): State<Arc<Platform>>,
    Query(query): Query<ListQuery>,
) -> Response {
    let page = query.max_items.unwrap_or(PAGE).clamp(1, PAGE);
    let after = query.marker.unwrap_or_default();
    // Names are the functions' keys, in order: the marker is the last name already listed.
    let mut names = platform.functions().filter(|f| &*f.name > after.as_str());
    let listed: Vec<_> = names.by_ref().take(page).collect();
    let next_marker = names.next().and(listed.last().map(|f| f.name.to_string()));
    let mut functions = Vec::with_capacity(listed.len());
    for function in listed {
        functions.push(Configuration::of(function).await);
    }
    Json(FunctionList { functions, next_marker }).into_response()
}

#[derive(Deserialize)]
pub struct GetQuery {
    #[serde(rename = "Qualifier")]
    qualifier: Option<String>,
}

pub async fn get_function(
    State(platform): State<Arc<Platform>>,
    Path(reference): Path<String>,
    Query(query): Query<GetQuery>,
) -> Result<Response, ServiceError> {
    let (name, qualifier) = parse_function_reference(&reference);
    let function = platform.function(name)?;
    check_qualifier(function, query.qualifier.as_deref().or(qualifier))?;
    let location = format!("file://{}", function.config.binary.display());
    Ok(Json(FunctionAndCode {
        configuration: Configuration::of(function).await,
        code: Code { repository_type: "Local", location },
    })
    .into_response())
}
