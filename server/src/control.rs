//! Who may use the control endpoints (recycling instances, driving follow mode). On loopback
//! without follow mode, anyone on this machine (the presenter). Otherwise the audience can reach
//! the server, so control needs the token printed at start, as `Authorization: Bearer <token>` or
//! `?token=<token>`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::platform::errors::ServiceError;

#[derive(Clone)]
pub struct ControlToken(Option<Arc<str>>);

impl ControlToken {
    /// `follow`: follow mode is on, so the presenter must be told from the followers.
    pub fn for_address(address: &SocketAddr, follow: bool) -> ControlToken {
        if address.ip().is_loopback() && !follow {
            ControlToken(None)
        } else {
            ControlToken(Some(uuid::Uuid::new_v4().simple().to_string().into()))
        }
    }

    /// The token to print, when one is needed.
    pub fn value(&self) -> Option<&str> {
        self.0.as_deref()
    }

    fn admits(&self, request: &Request) -> bool {
        let Some(expected) = &self.0 else {
            return true;
        };
        let bearer = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok()?.strip_prefix("Bearer "))
            .map(str::to_owned);
        let query = form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value.into_owned());
        [bearer, query].into_iter().flatten().any(|given| same(given.as_bytes(), expected.as_bytes()))
    }
}

/// Compares in time that depends only on the lengths, so the token cannot be guessed byte by byte.
fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

/// Middleware for the control routes.
pub async fn require(State(token): State<ControlToken>, request: Request, next: Next) -> Response {
    if token.admits(&request) {
        next.run(request).await
    } else {
        ServiceError::Unauthorized.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(uri: &str, authorization: Option<&str>) -> Request {
        let mut builder = Request::builder().uri(uri);
        if let Some(authorization) = authorization {
            builder = builder.header(AUTHORIZATION, authorization);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn loopback_needs_no_token() {
        let token = ControlToken::for_address(&"127.0.0.1:8080".parse().unwrap(), false);
        assert_eq!(token.value(), None);
        assert!(token.admits(&request("/api/functions/hello/recycle", None)));
        assert_eq!(ControlToken::for_address(&"[::1]:8080".parse().unwrap(), false).value(), None);
    }

    #[test]
    fn follow_mode_on_loopback_needs_the_token() {
        let token = ControlToken::for_address(&"127.0.0.1:8080".parse().unwrap(), true);
        assert!(token.value().is_some());
        assert!(!token.admits(&request("/api/follow", None)));
    }

    #[test]
    fn any_other_address_needs_the_token_in_a_header_or_the_query() {
        let token = ControlToken::for_address(&"0.0.0.0:8080".parse().unwrap(), false);
        let value = token.value().unwrap().to_owned();
        assert_eq!(value.len(), 32);
        assert!(token.admits(&request("/recycle", Some(&format!("Bearer {value}")))));
        assert!(token.admits(&request(&format!("/recycle?token={value}"), None)));
        assert!(!token.admits(&request("/recycle", None)));
        assert!(!token.admits(&request("/recycle?token=wrong", Some("Bearer wrong"))));
        assert!(!token.admits(&request("/recycle", Some(&value))), "the Bearer scheme is required");
        let another = ControlToken::for_address(&"0.0.0.0:8080".parse().unwrap(), false);
        assert_ne!(another.value(), Some(value.as_str()));
    }
}
