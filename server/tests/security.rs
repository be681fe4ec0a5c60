//! What a web page the presenter happens to open can do to the server on loopback: nothing.
//! Requests here carry the headers a browser would send for such a page (`Origin`,
//! `Sec-Fetch-Site`, a foreign `Host` after DNS rebinding); the browser itself is in the e2e
//! test `security.rs`. And what the bucket serves never runs as a page of the deck's origin.

mod support;

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use base64::Engine;
use deck_core::uploads::UploadTicket;
use reqwest::header::{CONTENT_TYPE, HOST, ORIGIN};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{
    binaries, client, files_under, function, hex, hmac_sha256, s3_client, s3_signing_key, sigv4_now, Server,
};

const EVIL: &str = "https://evil.example";

/// The one line a refusal says, as the panels show it.
async fn message(response: reqwest::Response) -> String {
    deck_core::error_body::message(&response.text().await.unwrap())
}

/// `hello` (no CORS declared) and a bucket, with these flags.
fn server(args: &[&str]) -> Server {
    let toml = function("hello", &binaries().hello, "") + "\n[[bucket]]\nname = \"deck-photos\"\n";
    Server::start_with(&toml, args)
}

fn port(server: &Server) -> u16 {
    server.base.rsplit(':').next().unwrap().parse().unwrap()
}

async fn ticket(server: &Server, origin: Option<&str>) -> reqwest::Response {
    let body = json!({ "file_name": "cat.jpg", "content_type": "image/jpeg", "size": 3 });
    let mut request = client().post(server.url("/api/uploads/deck-photos")).json(&body);
    if let Some(origin) = origin {
        request = request.header(ORIGIN, origin);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_host_that_is_not_this_server_is_refused_unless_the_presenter_allows_it() {
    let server = server(&["--allow-host", "deck.example.test"]);
    let port = port(&server);
    for path in ["/", "/api/functions", "/fn/hello/", "/deck-photos/a.jpg", "/2015-03-31/functions/"] {
        let response =
            client().get(server.url(path)).header(HOST, format!("evil.example:{port}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let message = message(response).await;
        assert!(message.ends_with("start it with --allow-host evil.example"), "{message}");
    }
    for host in
        [format!("deck.example.test:{port}"), format!("localhost:{port}"), format!("127.0.0.1:{port}")]
    {
        let response = client().get(server.url("/api/functions")).header(HOST, &host).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }

    // A ticket's URLs point at the server's own address, whatever Host the request named.
    let ticket: UploadTicket = client()
        .post(server.url("/api/uploads/deck-photos"))
        .header(HOST, format!("deck.example.test:{port}"))
        .json(&json!({ "file_name": "cat.jpg", "content_type": "image/jpeg", "size": 3 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ticket.url.starts_with(&format!("{}/deck-photos/uploads/", server.base)), "{}", ticket.url);
    assert!(ticket.results.upload.starts_with(&server.base), "{}", ticket.results.upload);
}

#[tokio::test]
async fn no_page_of_another_origin_changes_or_reads_anything() {
    let server = server(&[]);
    let data = server.dir.path().join("data");
    // Something to read, overwrite and delete, put there by the presenter.
    let ticket: UploadTicket = ticket(&server, None).await.json().await.unwrap();
    let put = client().put(&ticket.url).header(CONTENT_TYPE, "image/jpeg").body("abc").send().await.unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let s3 = s3_client(&server);
    let presign = || PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let delete =
        s3.delete_object().bucket("deck-photos").key(&ticket.key).presigned(presign()).await.unwrap();
    let overwrite =
        s3.put_object().bucket("deck-photos").key(&ticket.key).presigned(presign()).await.unwrap();
    let head = s3.head_object().bucket("deck-photos").key(&ticket.key).presigned(presign()).await.unwrap();
    let before = files_under(&data);
    assert!(before.iter().any(|file| file.ends_with("cat.jpg")), "{before:?}");

    let recycle = server.url("/api/functions/hello/recycle");
    let invoke = server.url("/2015-03-31/functions/hello/invocations");
    let requests: Vec<(Method, String, &str)> = vec![
        (Method::POST, recycle.clone(), ""),
        // The Invoke API as a CORS "simple" request: no preflight would come first.
        (Method::POST, invoke.clone(), "{}"),
        (Method::POST, server.url("/fn/hello/"), "{}"),
        (Method::GET, server.url("/fn/hello/?name=evil"), ""),
        (
            Method::POST,
            server.url("/api/uploads/deck-photos"),
            r#"{"file_name":"x.jpg","content_type":"image/jpeg","size":3}"#,
        ),
        (Method::GET, server.url("/api/functions"), ""),
        (Method::GET, server.url("/api/events"), ""),
        (Method::GET, server.url("/2015-03-31/functions/"), ""),
        (Method::PUT, ticket.url.clone(), "<script>alert(1)</script>"),
        (Method::PUT, overwrite.uri().to_owned(), "overwritten"),
        (Method::GET, ticket.results.upload.clone(), ""),
        (Method::HEAD, head.uri().to_owned(), ""),
        (Method::DELETE, delete.uri().to_owned(), ""),
    ];
    for (method, url, body) in &requests {
        // With the page's origin named (fetch, a form), and as a page of another site that names
        // none (an <img>, a <form> in browsers that send no Origin).
        let named = client()
            .request(method.clone(), url)
            .header(ORIGIN, EVIL)
            .header(CONTENT_TYPE, "text/plain")
            .body(*body)
            .send()
            .await
            .unwrap();
        assert_eq!(named.status(), StatusCode::FORBIDDEN, "{method} {url}");
        assert!(named.headers().get("access-control-allow-origin").is_none(), "{method} {url}");
        if *method != Method::HEAD {
            let message = message(named).await;
            assert!(
                message.starts_with("cross-origin request from https://evil.example refused"),
                "{message}"
            );
        }
        let unnamed = client()
            .request(method.clone(), url)
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-mode", "no-cors")
            .body(*body)
            .send()
            .await
            .unwrap();
        let status = unnamed.status();
        // An <img> may load a presigned object (it cannot read it); nothing else goes through.
        let readable_by_img =
            matches!(*method, Method::GET | Method::HEAD) && url.contains("X-Amz-Signature");
        assert!(status == StatusCode::FORBIDDEN || readable_by_img, "{method} {url}: {status}");
        // A preflight asking for any of it is refused, and never for the private network.
        let preflight = client()
            .request(Method::OPTIONS, url)
            .header(ORIGIN, EVIL)
            .header("access-control-request-method", method.as_str())
            .header("access-control-request-headers", "content-type")
            .header("access-control-request-private-network", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), StatusCode::FORBIDDEN, "OPTIONS {url}");
        assert!(preflight.headers().get("access-control-allow-private-network").is_none());
        assert!(preflight.headers().get("access-control-allow-origin").is_none());
    }
    // An HTML form's POST upload (S3's POST Object), signed with the right secret: a form needs
    // no preflight, so only the origin check stands before it.
    let form = PostForm::new(&server.s3_secret(), "uploads/from-a-form.html");
    let posted = form.send(&server, Some(EVIL)).await;
    assert_eq!(posted.status(), StatusCode::FORBIDDEN);
    assert_eq!(files_under(&data), before, "nothing changed on disk");
    assert!(server.log().iter().all(|line| !line.contains("START RequestId")), "no function ran");

    // The same form from no page at all (curl, a script of the presenter's) is S3's to judge:
    // it stores the object, which proves the refusal above was the origin's.
    let stored = form.send(&server, None).await;
    let status = stored.status();
    assert_eq!(status, StatusCode::NO_CONTENT, "{}", stored.text().await.unwrap());
    assert!(files_under(&data).iter().any(|file| file.ends_with("from-a-form.html")));
}

#[tokio::test]
async fn the_decks_own_pages_and_named_origins_may_do_everything() {
    let server = server(&["--cors-origin", "http://127.0.0.1:3000"]);
    let port = port(&server);
    for origin in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        "http://127.0.0.1:3000".to_owned(),
    ] {
        let answered = ticket(&server, Some(&origin)).await;
        assert_eq!(answered.status(), StatusCode::OK, "{origin}");
        assert_eq!(answered.headers()["access-control-allow-origin"], origin.as_str());
        let invoked = client()
            .post(server.url("/2015-03-31/functions/hello/invocations"))
            .header(ORIGIN, &origin)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(invoked.status(), StatusCode::OK, "{origin}");
        let preflight = client()
            .request(Method::OPTIONS, server.url("/api/functions/hello/recycle"))
            .header(ORIGIN, &origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-private-network", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), StatusCode::NO_CONTENT, "{origin}");
        assert_eq!(preflight.headers()["access-control-allow-origin"], origin.as_str());
        assert_eq!(preflight.headers()["access-control-allow-private-network"], "true");
    }
    // A page of this server's own origin, as the browser says it (no Origin on a same-origin GET).
    let events =
        client().get(server.url("/api/functions")).header("sec-fetch-site", "same-origin").send().await;
    assert_eq!(events.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn function_urls_answer_other_pages_as_their_cors_settings_say() {
    let toml = function("open", &binaries().hello, "[function.cors]\nallow_origins = [\"*\"]")
        + &function("blog", &binaries().hello, "[function.cors]\nallow_origins = [\"https://blog.example\"]\nallow_methods = [\"GET\"]\nmax_age_s = 300")
        + &function("closed", &binaries().hello, "");
    let server = Server::start(&toml);
    let call = |name: &str, origin: &str| {
        client().get(server.url(&format!("/fn/{name}/?name=reader"))).header(ORIGIN, origin).send()
    };
    let open = call("open", EVIL).await.unwrap();
    assert_eq!(
        (open.status(), open.headers()["access-control-allow-origin"].to_str().unwrap()),
        (StatusCode::OK, "*")
    );
    let blog = call("blog", "https://blog.example").await.unwrap();
    assert_eq!(blog.headers()["access-control-allow-origin"], "https://blog.example");
    assert_eq!(call("blog", EVIL).await.unwrap().status(), StatusCode::FORBIDDEN);
    let closed = call("closed", "https://blog.example").await.unwrap();
    assert_eq!(closed.status(), StatusCode::FORBIDDEN);
    let refused = message(closed).await;
    assert!(
        refused.contains("function \"closed\" declares no CORS for that origin in functions.toml"),
        "{refused}"
    );
    let preflight = client()
        .request(Method::OPTIONS, server.url("/fn/blog/"))
        .header(ORIGIN, "https://blog.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-methods"], "GET");
    assert_eq!(preflight.headers()["access-control-max-age"], "300");
    // An <img> of another site, naming no origin, runs only a function open to any.
    let img = |name: &str| {
        client().get(server.url(&format!("/fn/{name}/"))).header("sec-fetch-site", "cross-site").send()
    };
    assert_eq!(img("open").await.unwrap().status(), StatusCode::OK);
    assert_eq!(img("blog").await.unwrap().status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn what_the_bucket_serves_never_runs_as_a_page_of_the_decks_origin() {
    let server = server(&[]);
    let ticket: UploadTicket = ticket(&server, None).await.json().await.unwrap();
    // The ticket is for a JPEG: the same URL refuses any other type.
    let as_html =
        client().put(&ticket.url).header(CONTENT_TYPE, "text/html").body("<script>alert(1)</script>");
    let as_html = as_html.send().await.unwrap();
    assert_eq!(as_html.status(), StatusCode::FORBIDDEN);
    assert!(as_html.text().await.unwrap().contains("SignatureDoesNotMatch"));
    let put = client().put(&ticket.url).header(CONTENT_TYPE, "image/jpeg").body("abc").send().await.unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let image = client().get(&ticket.results.upload).send().await.unwrap();
    assert_eq!(image.headers()["x-content-type-options"], "nosniff");
    assert!(image.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert!(image.headers().get("content-disposition").is_none(), "an image shows inline");

    // A page stored with the presenter's own credentials downloads instead of opening.
    let s3 = s3_client(&server);
    let page = ByteStream::from_static(b"<script>alert(document.domain)</script>");
    s3.put_object()
        .bucket("deck-photos")
        .key("page.html")
        .content_type("text/html")
        .body(page)
        .send()
        .await
        .unwrap();
    let url = s3.get_object().bucket("deck-photos").key("page.html");
    let url = url.presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap()).await.unwrap();
    let served = client().get(url.uri()).send().await.unwrap();
    assert_eq!(served.headers()["content-disposition"], "attachment");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert!(served.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
}

#[test]
fn the_s3_secret_is_the_data_folders_own_and_the_credentials_command_prints_it() {
    let first = server(&[]);
    let second = server(&[]);
    let secret = first.s3_secret();
    assert_eq!(secret.len(), 32);
    assert_ne!(secret, second.s3_secret(), "each data folder has its own");
    assert_ne!(secret, "serverless-deck-local");
    let data = first.dir.path().join("data");
    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_serverless-deck"))
        .args(["credentials", "--addr", "127.0.0.1:9000", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(printed.status.success());
    let printed = String::from_utf8(printed.stdout).unwrap();
    assert_eq!(
        printed,
        format!(
            "export AWS_ACCESS_KEY_ID=serverless-deck\nexport AWS_SECRET_ACCESS_KEY={secret}\n\
             export AWS_DEFAULT_REGION=us-east-1\nexport AWS_ENDPOINT_URL=http://127.0.0.1:9000\n"
        )
    );
}

/// An HTML form's upload to S3 (POST Object): a policy signed with SigV4, as a page would post it.
struct PostForm {
    fields: Vec<(&'static str, String)>,
}

impl PostForm {
    fn new(secret: &str, key: &str) -> PostForm {
        let (date, amz_date) = sigv4_now();
        let credential = format!("serverless-deck/{date}/us-east-1/s3/aws4_request");
        let policy = json!({
            "expiration": "2099-01-01T00:00:00Z",
            "conditions": [
                {"bucket": "deck-photos"},
                ["starts-with", "$key", "uploads/"],
                {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                {"x-amz-credential": credential},
                {"x-amz-date": amz_date},
            ],
        });
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let signature = hex(&hmac_sha256(&s3_signing_key(secret, &date), policy.as_bytes()));
        PostForm {
            fields: vec![
                ("key", key.to_owned()),
                ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_owned()),
                ("x-amz-credential", credential),
                ("x-amz-date", amz_date),
                ("policy", policy),
                ("x-amz-signature", signature),
            ],
        }
    }

    async fn send(&self, server: &Server, origin: Option<&str>) -> reqwest::Response {
        const BOUNDARY: &str = "form-boundary-7d3";
        let mut body = String::new();
        for (name, value) in &self.fields {
            body += &format!(
                "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            );
        }
        body += &format!(
            "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.html\"\r\n\
             content-type: text/html\r\n\r\n<script>alert(1)</script>\r\n--{BOUNDARY}--\r\n"
        );
        let mut request = client()
            .post(server.url("/deck-photos"))
            .header(CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin).header("sec-fetch-site", "cross-site");
        }
        request.send().await.unwrap()
    }
}
