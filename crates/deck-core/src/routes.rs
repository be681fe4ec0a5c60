//! The server's routes that the browser calls, in one place: the server's router is built from
//! these and the panels and follow mode call them, so a renamed route is a compile error on both
//! sides, not a 404 only the end-to-end tests see. A `{name}` argument gives the router's pattern.

/// Where the local platform serves each function's Function URL.
pub const FUNCTION_URL_PREFIX: &str = "/fn/";
/// The local platform's functions and their state.
pub const FUNCTIONS_ROUTE: &str = "/api/functions";
/// The presenter's moves, posted for followers.
pub const FOLLOW_ROUTE: &str = "/api/follow";
/// What followers listen to (server-sent events).
pub const FOLLOW_EVENTS_ROUTE: &str = "/api/follow/events";
/// The follow address for the room, as text and as a QR code.
pub const FOLLOW_JOIN_ROUTE: &str = "/api/follow/join";
pub const FOLLOW_JOIN_QR_ROUTE: &str = "/api/follow/join.svg";
/// A live deck's versions and compile errors (server-sent [`crate::live::DeckStatus`]es).
pub const DECK_EVENTS_ROUTE: &str = "/api/deck/events";

/// The follower's page, below the site's root: the deck's own page, which the app routes by path.
pub const FOLLOW_PAGE: &str = "follow";
/// The folder of the embed pages, below the site's root.
pub const EMBED_FOLDER: &str = "embed";

/// `embed/<kind>/`: one panel alone, for an iframe (`xtask dist` writes it, the server serves it
/// and the app routes by it).
pub fn embed_page(kind: &str) -> String {
    format!("{EMBED_FOLDER}/{kind}/")
}

/// `/fn/<function>/`: the function's Function URL on the local platform.
pub fn function_url(function: &str) -> String {
    format!("{FUNCTION_URL_PREFIX}{function}/")
}

/// `/api/functions/<function>/recycle`: stops the function's idle instances (the next call is cold).
pub fn recycle_route(function: &str) -> String {
    format!("{FUNCTIONS_ROUTE}/{function}/recycle")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_give_the_browser_a_path_and_the_router_a_pattern() {
        assert_eq!(function_url("hello"), "/fn/hello/");
        assert_eq!(function_url("{name}"), "/fn/{name}/");
        assert_eq!(recycle_route("hello"), "/api/functions/hello/recycle");
        assert_eq!(embed_page("cost"), "embed/cost/");
        assert!(
            FOLLOW_EVENTS_ROUTE.starts_with(FOLLOW_ROUTE)
                && FOLLOW_JOIN_QR_ROUTE.starts_with(FOLLOW_JOIN_ROUTE)
        );
    }
}
