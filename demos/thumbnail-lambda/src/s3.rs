//! The S3 client, from the environment alone: on AWS, the role's credentials and region that
//! Lambda sets; locally, the same variables plus `AWS_ENDPOINT_URL_S3` from the deck's server.
//! (No `aws-config`: it would probe files and metadata services this function never needs.)
use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

#[derive(Debug, thiserror::Error)]
#[error("{0} is not set: Lambda sets it from the function's role; the deck's server sets it for functions.toml's functions")]
pub struct MissingVariable(&'static str);

pub fn client_from_env() -> Result<aws_sdk_s3::Client, MissingVariable> {
    let var = |name: &'static str| std::env::var(name).map_err(|_| MissingVariable(name));
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID")?,
        var("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN").ok(),
        None,
        "environment",
    );
    let region = var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned());
    // Plain HTTP works through the same client, for the local endpoint.
    let http =
        aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(credentials)
        .http_client(http);
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_S3") {
        // The local server answers path-style requests (`/<bucket>/<key>`) on one address.
        config = config.endpoint_url(endpoint).force_path_style(true);
    }
    Ok(aws_sdk_s3::Client::from_conf(config.build()))
}
