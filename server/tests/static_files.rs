//! Serving the built deck: content types, caching, compression, single-page routes, and nothing
//! outside `dist/`.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use support::{client, header, Server};

const HASH: &str = "0123456789abcdef";

/// A `dist/` as trunk leaves it, a secret beside it, and the server on top (no functions).
fn deck() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(dist.join("snippets").join(format!("deck-app-{HASH}"))).unwrap();
    let write = |name: &str, content: &[u8]| std::fs::write(dist.join(name), content).unwrap();
    write(
        "index.html",
        format!("<!doctype html><title>Going Serverless</title>{}", " ".repeat(400)).as_bytes(),
    );
    write(&format!("deck-app-{HASH}.js"), "export function start() { return 42; }\n".repeat(300).as_bytes());
    write(&format!("deck-app-{HASH}.js.br"), b"precompressed brotli bytes");
    write(&format!("deck-app-{HASH}_bg.wasm"), &[b"\0asm\x01\0\0\0".as_slice(), &[0u8; 4096]].concat());
    write(&format!("deck-{HASH}.css"), "body { margin: 0; }\n".repeat(100).as_bytes());
    write(&format!("snippets/deck-app-{HASH}/inline0.js"), b"export const x = 1;");
    write("favicon.svg", br#"<svg xmlns="http://www.w3.org/2000/svg"></svg>"#);
    // What `xtask pages` writes: one page per embed kind, and one listing the kinds.
    for kind in ["invoke", "cold-start", "cost"] {
        std::fs::create_dir_all(dist.join("embed").join(kind)).unwrap();
        write(
            &format!("embed/{kind}/index.html"),
            format!("<!doctype html><title>{kind} embed</title>").as_bytes(),
        );
    }
    write("embed/index.html", b"<!doctype html><title>No such panel</title>");
    std::fs::write(dir.path().join("secret.txt"), "TOP SECRET").unwrap();
    let args = ["--no-functions".as_ref(), "--dist".as_ref(), dist.as_os_str()];
    Server::launch(dir, &args)
}

/// Sends a request line exactly as written (an HTTP client would normalise `..` away).
fn raw_get(server: &Server, target: &str) -> (u16, String) {
    let address = server.base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, response)
}

#[tokio::test]
async fn files_have_their_content_type_and_hashed_assets_are_immutable() {
    let server = deck();
    let cases = [
        (format!("/deck-app-{HASH}.js"), "javascript", true),
        (format!("/deck-app-{HASH}_bg.wasm"), "application/wasm", true),
        (format!("/deck-{HASH}.css"), "text/css", true),
        (format!("/snippets/deck-app-{HASH}/inline0.js"), "javascript", true),
        ("/favicon.svg".to_owned(), "image/svg+xml", false),
        ("/index.html".to_owned(), "text/html", false),
    ];
    for (path, content_type, immutable) in cases {
        let response = client().get(server.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert!(header(headers, "content-type").contains(content_type), "{path}: {headers:?}");
        let expected = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
        assert_eq!(header(headers, "cache-control"), expected, "{path}");
        assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    }
}

#[tokio::test]
async fn the_deck_routes_serve_their_pages_but_a_missing_asset_is_a_404() {
    let server = deck();
    let page = |file: &str| std::fs::read_to_string(server.dir.path().join("dist").join(file)).unwrap();
    let cases = [
        ("/", "index.html"),
        ("/follow", "index.html"),
        ("/follow/", "index.html"),
        ("/embed/invoke", "embed/invoke/index.html"),
        ("/embed/cold-start/", "embed/cold-start/index.html"),
        ("/embed/cost?requests=5", "embed/cost/index.html"),
    ];
    for (path, file) in cases {
        let response = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(header(response.headers(), "content-type").starts_with("text/html"));
        assert_eq!(header(response.headers(), "cache-control"), "no-cache");
        assert_eq!(response.text().await.unwrap(), page(file), "{path}");
    }
    // An unknown kind gets the page listing the kinds there are, as a 404.
    for path in ["/embed/chart", "/embed/chart/"] {
        let response = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.text().await.unwrap(), page("embed/index.html"), "{path}");
    }
    for path in ["/deck-app-ffffffffffffffff.js", "/missing.css", "/embed/invoke/extra", "/follow/x"] {
        let response = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(header(response.headers(), "cache-control"), "", "{path}: errors are not cached");
        assert!(!response.text().await.unwrap().contains("Going Serverless"), "{path} must not be the deck");
    }
    let response = client().post(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn nothing_outside_dist_is_reachable() {
    let server = deck();
    for target in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/snippets/../../secret.txt",
        "/.%2e/secret.txt",
        "//secret.txt",
    ] {
        let (status, response) = raw_get(&server, target);
        assert!(matches!(status, 400 | 404), "{target}: {status}");
        assert!(!response.contains("TOP SECRET"), "{target} leaked the file");
    }
    // An embed route takes any kind, and still only ever serves its own pages.
    let (status, response) = raw_get(&server, "/embed/..%2f..%2fsecret.txt");
    assert_eq!(status, 404);
    assert!(response.contains("No such panel") && !response.contains("TOP SECRET"));
    assert!(Path::new(&server.dir.path().join("secret.txt")).exists());
}

#[tokio::test]
async fn text_is_compressed_for_clients_that_accept_it_and_precompressed_files_win() {
    let server = deck();
    let js = format!("/deck-app-{HASH}.js");
    let plain = std::fs::read(server.dir.path().join("dist").join(&js[1..])).unwrap();

    let response = client().get(server.url(&js)).send().await.unwrap();
    assert_eq!(header(response.headers(), "content-encoding"), "");
    assert_eq!(response.bytes().await.unwrap(), plain);

    let response = client().get(server.url(&js)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(header(response.headers(), "content-encoding"), "gzip");
    assert!(header(response.headers(), "content-type").contains("javascript"));
    let gzipped = response.bytes().await.unwrap();
    assert_eq!(&gzipped[..2], [0x1f, 0x8b], "gzip magic");
    assert!(gzipped.len() * 10 < plain.len(), "{} vs {}", gzipped.len(), plain.len());

    let response = client().get(server.url(&js)).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(header(response.headers(), "content-encoding"), "br");
    assert_eq!(header(response.headers(), "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(response.bytes().await.unwrap(), "precompressed brotli bytes");

    let response = client().get(server.url("/")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(header(response.headers(), "content-encoding"), "br", "compressed on the fly");
}

#[tokio::test]
async fn the_platform_api_lives_beside_the_deck() {
    let server = deck();
    let response = client().get(server.url("/api/functions")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let list: serde_json::Value = response.json().await.unwrap();
    assert_eq!(list["functions"], serde_json::json!([]));
}
