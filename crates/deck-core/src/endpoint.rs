//! Where a panel's calls go: a function of the local platform, or a deployed Function URL, and
//! how the panel names it ("local", "AWS eu-west-1"). The browser decides which (see the deck's
//! `src/panels/endpoint.rs`); this is what the choice means.
use crate::routes;

/// The demo function of `demos/functions.toml`, when a panel names none.
pub const DEFAULT_FUNCTION: &str = "hello";

/// How the panels name the local platform.
pub const LOCAL: &str = "local";

/// Where a panel's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A function of the local platform, by name.
    Local { function: String },
    /// A deployed Function URL (or anything that answers like the demo function).
    Remote { url: String },
}

impl Endpoint {
    pub fn invoke_url(&self) -> String {
        match self {
            Endpoint::Local { function } => routes::function_url(function),
            Endpoint::Remote { url } => url.clone(),
        }
    }

    /// The local platform's control endpoint that makes the next call cold; AWS has none.
    pub fn recycle_url(&self) -> Option<String> {
        match self {
            Endpoint::Local { function } => Some(routes::recycle_route(function)),
            Endpoint::Remote { .. } => None,
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self, Endpoint::Local { .. })
    }

    /// "local", "AWS eu-west-1" for a Function URL, else the host called.
    pub fn label(&self) -> String {
        match self {
            Endpoint::Local { .. } => LOCAL.to_owned(),
            Endpoint::Remote { url } => match aws_region(url) {
                Some(region) => format!("AWS {region}"),
                None => host(url).unwrap_or(url).to_owned(),
            },
        }
    }
}

/// The host of an absolute http(s) URL, without user info or port.
pub fn host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// The region of an AWS Lambda Function URL, `https://<url-id>.lambda-url.<region>.on.aws/`.
pub fn aws_region(url: &str) -> Option<&str> {
    let host = host(url)?;
    let (_, region) = host.split_once(".lambda-url.")?;
    let region = region.strip_suffix(".on.aws")?;
    let well_formed = !region.is_empty() && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    well_formed.then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_url_names_its_region() {
        let url = "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/";
        assert_eq!(aws_region(url), Some("eu-west-1"));
        assert_eq!(Endpoint::Remote { url: url.into() }.label(), "AWS eu-west-1");
        assert_eq!(Endpoint::Remote { url: url.into() }.recycle_url(), None);
        assert_eq!(Endpoint::Remote { url: "http://127.0.0.1:9/x?y".into() }.label(), "127.0.0.1");
        // Look-alikes are not AWS.
        assert_eq!(aws_region("https://lambda-url.eu-west-1.on.aws.evil.example/"), None);
        assert_eq!(aws_region("https://x.lambda-url..on.aws/"), None);
        assert_eq!(host("https://user@[::1]:8080/path"), Some("[::1]"));
        assert_eq!(host("ftp://example.com/"), None);
    }

    #[test]
    fn a_local_function_is_called_through_the_platform_routes() {
        let local = Endpoint::Local { function: DEFAULT_FUNCTION.into() };
        assert_eq!(local.label(), LOCAL);
        assert_eq!(local.invoke_url(), "/fn/hello/");
        assert_eq!(local.recycle_url().as_deref(), Some("/api/functions/hello/recycle"));
        assert!(local.is_local());
    }
}
