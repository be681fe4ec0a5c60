//! The faults a tester found in the local S3 API, each now answered as S3 answers it, with the
//! data folder listed before and after: nothing partial stored, nothing orphaned. Real clients
//! throughout: the AWS CLI where it can say the request, and raw HTTP, signed here with SigV4
//! as the SDKs sign, where it cannot (a stalled or short body, a wrong signed payload hash).
//! The CLI comes from PATH or pip (see `support::aws_cli`); only if neither works is a test
//! that needs it skipped.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::{
    client, credentials, files_under, hex, hmac_sha256, s3_signing_key, sigv4_now, AwsCli, Server,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `deck-photos` (1 MB, its uploads notified to `fixture`) and `limited` (6 MB, room for a
/// multipart upload whose parts pass it only together).
/// SigV4 presigned URLs, as the SDKs make them (the CLI's `s3 presign` makes SigV2 ones).
fn with_sigv4_presigning(aws: AwsCli) -> AwsCli {
    aws.configure("[default]\ns3 =\n    signature_version = s3v4\n");
    aws
}

fn functions_toml() -> String {
    support::function("fixture", &support::binaries().fixture, "")
        + "\n[[bucket]]\nname = \"deck-photos\"\nmax_object_mb = 1\n\
           [[bucket.notification]]\nevents = [\"s3:ObjectCreated:*\"]\nprefix = \"uploads/\"\nfunction = \"fixture\"\n\
           \n[[bucket]]\nname = \"limited\"\nmax_object_mb = 6\n"
}

/// A server on its own data folder, with `env` set for it.
fn start(env: &[(&str, &str)]) -> (Server, PathBuf, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    (Server::start_on_data(&functions_toml(), &data, env, &[]), data, folder)
}

/// The headers that sign `method path` (an ASCII path, no query) for `server` with SigV4, as the
/// SDKs sign: `payload` is the body's hex SHA-256, or `UNSIGNED-PAYLOAD`.
fn signed(server: &Server, method: &str, path: &str, payload: &str) -> Vec<(String, String)> {
    let (access_key, secret) = credentials(server);
    let host = server.base.trim_start_matches("http://").to_owned();
    let (date, time) = sigv4_now();
    let scope = format!("{date}/us-east-1/s3/aws4_request");
    let names = "host;x-amz-content-sha256;x-amz-date";
    let canonical =
        format!("{method}\n{path}\n\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{time}\n\n{names}\n{payload}");
    let to_sign = format!("AWS4-HMAC-SHA256\n{time}\n{scope}\n{}", hex(&Sha256::digest(canonical)));
    let signature = hex(&hmac_sha256(&s3_signing_key(&secret, &date), to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={names}, Signature={signature}"
    );
    [
        ("host", host),
        ("x-amz-date", time),
        ("x-amz-content-sha256", payload.to_owned()),
        ("authorization", authorization),
    ]
    .map(|(name, value)| (name.to_owned(), value))
    .to_vec()
}

/// A signed request through reqwest: its status, headers and body.
async fn request(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut builder = client().request(method.clone(), server.url(path)).body(body.to_vec());
    for (name, value) in signed(server, method.as_str(), path, &hex(&Sha256::digest(body))) {
        builder = builder.header(name, value);
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = builder.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// Opens a connection and sends a signed PUT of `path` that declares `length` bytes and
/// carries `body`, which may be fewer; the caller decides what the client does next.
async fn raw_put(
    server: &Server,
    path: &str,
    payload: &str,
    length: usize,
    body: &[u8],
) -> tokio::net::TcpStream {
    let mut head = format!("PUT {path} HTTP/1.1\r\ncontent-length: {length}\r\n");
    for (name, value) in signed(server, "PUT", path, payload) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

/// The server's answer: its status and its text (head and body).
async fn answer(stream: &mut tokio::net::TcpStream) -> (u16, String) {
    let read = async {
        let mut bytes = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ")?.parse().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    return text;
                }
            }
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the connection closed mid-answer: {text:?}");
            bytes.extend_from_slice(&buffer[..read]);
        }
    };
    let text = tokio::time::timeout(Duration::from_secs(30), read).await.expect("an answer in time");
    let status =
        text.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("{text:?}"));
    (status, text)
}

/// Whether the server closed the connection (after its answer) within a second.
async fn closed(stream: &mut tokio::net::TcpStream) -> bool {
    let mut buffer = [0u8; 64];
    matches!(tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await, Ok(Ok(0) | Err(_)))
}

fn aws_error(stderr: &str, code: &str) {
    assert!(stderr.contains(code), "expected {code}: {stderr}");
}

#[tokio::test]
async fn keys_up_to_1024_bytes_work_with_the_aws_cli_and_a_segment_no_file_name_can_hold_is_refused_first() {
    let (server, data, _folder) = start(&[]);
    let Some(aws) = AwsCli::new(&server).map(with_sigv4_presigning) else { return };
    // Read at the end: no overall timeout on the stream (`client()` has 30 s).
    let events = reqwest::Client::new().get(server.url("/api/events")).send().await.unwrap();
    let before = files_under(&data);

    // 212 bytes in one segment (its sidecar's base64 name passed 255 bytes: a 500 after
    // storing), and 1024 bytes of UTF-8 in segments of up to 250 bytes.
    let medium = format!("uploads/{}.png", "b".repeat(200));
    let long = |tail: &str| {
        let key = ["uploads", &"é".repeat(125), &"a".repeat(250), &"ü".repeat(125), &"z".repeat(250), tail]
            .join("/");
        assert_eq!(key.len(), 1024);
        key
    };
    let (long, multipart) = (long("photo-01.png"), long("photo-02.png"));
    let photo: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let body = aws.file("photo.png", &photo);
    for key in [&medium, &long] {
        let stored = aws.json(&[
            "s3api",
            "put-object",
            "--bucket",
            "deck-photos",
            "--key",
            key,
            "--body",
            &body,
            "--content-type",
            "image/png",
            "--metadata",
            "origin=test",
        ]);
        assert!(stored["ETag"].as_str().is_some(), "{stored}");
        let head = aws.json(&["s3api", "head-object", "--bucket", "deck-photos", "--key", key]);
        assert_eq!(head["ContentLength"], 3000);
        assert_eq!(head["ContentType"], "image/png");
        assert_eq!(head["Metadata"]["origin"], "test");
        assert_eq!(head["ETag"], stored["ETag"]);
        aws.ok(&["s3api", "get-object", "--bucket", "deck-photos", "--key", key, &aws.path("got")]);
        assert_eq!(aws.read("got"), photo);
    }
    let copy_of_medium = format!("uploads/{}", "c".repeat(240));
    let copies = [("uploads/copy-of-the-long-one.png", &long), (copy_of_medium.as_str(), &medium)];
    for (to, from) in copies {
        aws.ok(&[
            "s3api",
            "copy-object",
            "--bucket",
            "deck-photos",
            "--key",
            to,
            "--copy-source",
            &format!("deck-photos/{from}"),
        ]);
        let head = aws.json(&["s3api", "head-object", "--bucket", "deck-photos", "--key", to]);
        assert_eq!(head["ContentLength"], 3000);
        assert_eq!(head["ContentType"], "image/png");
    }

    let upload =
        aws.json(&["s3api", "create-multipart-upload", "--bucket", "deck-photos", "--key", &multipart]);
    let id = upload["UploadId"].as_str().unwrap();
    let listed = aws.json(&["s3api", "list-multipart-uploads", "--bucket", "deck-photos"]);
    assert_eq!(listed["Uploads"][0]["Key"], multipart.as_str(), "{listed}");
    let part = aws.json(&[
        "s3api",
        "upload-part",
        "--bucket",
        "deck-photos",
        "--key",
        &multipart,
        "--upload-id",
        id,
        "--part-number",
        "1",
        "--body",
        &body,
    ]);
    let parts = serde_json::json!({ "Parts": [{ "ETag": part["ETag"], "PartNumber": 1 }] }).to_string();
    aws.ok(&[
        "s3api",
        "complete-multipart-upload",
        "--bucket",
        "deck-photos",
        "--key",
        &multipart,
        "--upload-id",
        id,
        "--multipart-upload",
        &parts,
    ]);
    aws.ok(&["s3api", "get-object", "--bucket", "deck-photos", "--key", &multipart, &aws.path("got")]);
    assert_eq!(aws.read("got"), photo);

    let listed = aws.json(&["s3api", "list-objects-v2", "--bucket", "deck-photos", "--prefix", "uploads/"]);
    let keys: BTreeSet<&str> =
        listed["Contents"].as_array().unwrap().iter().map(|o| o["Key"].as_str().unwrap()).collect();
    let expected: BTreeSet<&str> =
        [&medium, &long, &multipart].map(String::as_str).into_iter().chain(copies.map(|c| c.0)).collect();
    assert_eq!(keys, expected);

    // Each long key's upload was notified as a short one's is.
    let queued = support::collect_events(events, |events| {
        events.iter().filter(|e| e["type"] == "async_queued").count() == 5
    })
    .await;
    let sources: BTreeSet<&str> = queued
        .iter()
        .filter(|e| e["type"] == "async_queued")
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    let put = |change: &str, key: &str| format!("s3 ObjectCreated:{change} deck-photos/{key}");
    for source in [
        put("Put", &medium),
        put("Put", &long),
        put("CompleteMultipartUpload", &multipart),
        put("Copy", copies[0].0),
    ] {
        assert!(sources.contains(source.as_str()), "{source} in {sources:#?}");
    }

    for key in expected {
        aws.ok(&["s3api", "delete-object", "--bucket", "deck-photos", "--key", key]);
    }
    assert_eq!(files_under(&data), before, "nothing left of five objects and an upload");

    // A segment over 255 bytes cannot be a file name, and a key over 1024 bytes is not S3's:
    // both refused before a byte is stored.
    let segment = format!("uploads/{}.png", "x".repeat(252));
    let stderr =
        aws.fails(&["s3api", "put-object", "--bucket", "deck-photos", "--key", &segment, "--body", &body]);
    aws_error(&stderr, "KeyTooLongError");
    let too_long = format!("{long}/x");
    let stderr =
        aws.fails(&["s3api", "put-object", "--bucket", "deck-photos", "--key", &too_long, "--body", &body]);
    aws_error(&stderr, "KeyTooLongError");
    let stderr =
        aws.fails(&["s3api", "create-multipart-upload", "--bucket", "deck-photos", "--key", &segment]);
    aws_error(&stderr, "KeyTooLongError");
    assert_eq!(files_under(&data), before);
}

#[tokio::test]
async fn a_stalled_body_is_refused_as_request_timeout_and_never_holds_its_key() {
    let idle = Duration::from_millis(2000);
    let (server, data, _folder) = start(&[("SERVERLESS_DECK_S3_BODY_IDLE_MS", "2000")]);
    let before = files_under(&data);
    let path = "/deck-photos/stall.bin";
    assert_eq!(request(&server, "PUT", path, &[], b"old bytes").await.0, 200);
    let stored = files_under(&data);

    // 10 of 100 bytes, then nothing.
    let mut stalled = raw_put(&server, path, "UNSIGNED-PAYLOAD", 100, &[7; 10]).await;
    let stalled_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Meanwhile the key answers at once, as on S3: the stalled PUT holds no lock.
    let meanwhile = Instant::now();
    let (status, _, body) = request(&server, "GET", path, &[], b"").await;
    assert_eq!((status, body.as_slice()), (200, &b"old bytes"[..]));
    assert_eq!(request(&server, "HEAD", path, &[], b"").await.0, 200);
    assert_eq!(request(&server, "PUT", path, &[], b"new bytes").await.0, 200);
    assert_eq!(request(&server, "GET", path, &[], b"").await.2, b"new bytes");
    assert!(meanwhile.elapsed() < idle / 2, "{:?}", meanwhile.elapsed());

    let (status, text) = answer(&mut stalled).await;
    let waited = stalled_at.elapsed();
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>RequestTimeout</Code>"), "{text}");
    assert!(
        text.contains(
            "Your socket connection to the server was not read from or written to within the timeout period"
        ),
        "{text}"
    );
    assert!(waited >= idle && waited < idle + Duration::from_secs(5), "answered after {waited:?}");
    assert!(closed(&mut stalled).await, "and the connection closed");
    assert_eq!(files_under(&data), stored, "nothing of the stalled body");
    assert_eq!(request(&server, "GET", path, &[], b"").await.2, b"new bytes");

    assert_eq!(request(&server, "DELETE", path, &[], b"").await.0, 204);
    assert_eq!(files_under(&data), before);
}

#[tokio::test]
async fn ranges_are_answered_as_s3_answers_them() {
    let (server, data, _folder) = start(&[]);
    let Some(aws) = AwsCli::new(&server).map(with_sigv4_presigning) else { return };
    let before = files_under(&data);
    let body = aws.file("ten", b"0123456789");
    aws.ok(&["s3api", "put-object", "--bucket", "deck-photos", "--key", "ten.txt", "--body", &body]);
    let stored = files_under(&data);

    for (range, content_range, bytes) in [
        ("bytes=-100", "bytes 0-9/10", &b"0123456789"[..]),
        ("bytes=-3", "bytes 7-9/10", b"789"),
        ("bytes=5-", "bytes 5-9/10", b"56789"),
        ("bytes=0-0", "bytes 0-0/10", b"0"),
        ("bytes=8-100", "bytes 8-9/10", b"89"),
    ] {
        let got = aws.json(&[
            "s3api",
            "get-object",
            "--bucket",
            "deck-photos",
            "--key",
            "ten.txt",
            "--range",
            range,
            &aws.path("part"),
        ]);
        assert_eq!(got["ContentRange"], content_range, "{range}: {got}");
        assert_eq!(got["ContentLength"], bytes.len(), "{range}");
        assert_eq!(aws.read("part"), bytes, "{range}");
    }
    for range in ["bytes=10-", "bytes=-0"] {
        let stderr = aws.fails(&[
            "s3api",
            "get-object",
            "--bucket",
            "deck-photos",
            "--key",
            "ten.txt",
            "--range",
            range,
            &aws.path("part"),
        ]);
        aws_error(&stderr, "InvalidRange");
    }
    // The statuses themselves: 206 for a range, 416 past the end.
    let (status, headers, body) =
        request(&server, "GET", "/deck-photos/ten.txt", &[("range", "bytes=-100")], b"").await;
    assert_eq!(
        (status, support::header(&headers, "content-range"), body.as_slice()),
        (206, "bytes 0-9/10", &b"0123456789"[..])
    );
    let (status, _, body) =
        request(&server, "GET", "/deck-photos/ten.txt", &[("range", "bytes=10-")], b"").await;
    assert_eq!(status, 416, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("<Code>InvalidRange</Code>"));

    assert_eq!(files_under(&data), stored, "reading changes nothing");
    aws.ok(&["s3api", "delete-object", "--bucket", "deck-photos", "--key", "ten.txt"]);
    assert_eq!(files_under(&data), before);
}

#[tokio::test]
async fn a_short_or_mismatched_body_is_refused_as_s3_refuses_it_and_nothing_is_stored() {
    let (server, data, _folder) = start(&[]);
    let Some(aws) = AwsCli::new(&server).map(with_sigv4_presigning) else { return };
    let before = files_under(&data);
    let path = "/deck-photos/body.bin";

    // 40 of the 100 bytes its Content-Length declares, then the client closes its side.
    let mut short = raw_put(&server, path, "UNSIGNED-PAYLOAD", 100, &[1; 40]).await;
    short.shutdown().await.unwrap();
    let (status, text) = answer(&mut short).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>IncompleteBody</Code>"), "{text}");
    assert_eq!(files_under(&data), before);

    // A body whose SHA-256 is not the signed one.
    let claimed = hex(&Sha256::digest(b"the bytes that were signed"));
    let sent = b"other bytes";
    let (status, text) = answer(&mut raw_put(&server, path, &claimed, sent.len(), sent).await).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>XAmzContentSHA256Mismatch</Code>"), "{text}");
    assert_eq!(files_under(&data), before);

    // A Content-MD5 that is not the body's: BadDigest, from the CLI.
    let body = aws.file("body", b"some bytes");
    let md5_of_other = "1B2M2Y8AsgTpgAmY7PhCfg=="; // the MD5 of nothing
    let stderr = aws.fails(&[
        "s3api",
        "put-object",
        "--bucket",
        "deck-photos",
        "--key",
        "body.bin",
        "--body",
        &body,
        "--content-md5",
        md5_of_other,
    ]);
    aws_error(&stderr, "BadDigest");
    assert_eq!(files_under(&data), before, "no object stored before its digest was checked");
    let stderr = aws.fails(&["s3api", "head-object", "--bucket", "deck-photos", "--key", "body.bin"]);
    aws_error(&stderr, "404");
}

#[tokio::test]
async fn presigned_urls_valid_for_more_than_a_week_are_refused() {
    let (server, data, _folder) = start(&[]);
    let Some(aws) = AwsCli::new(&server).map(with_sigv4_presigning) else { return };
    let body = aws.file("week", b"a week");
    aws.ok(&["s3api", "put-object", "--bucket", "deck-photos", "--key", "week.txt", "--body", &body]);
    let stored = files_under(&data);
    let presign = |seconds: &str| {
        aws.ok(&["s3", "presign", "s3://deck-photos/week.txt", "--expires-in", seconds]).trim().to_owned()
    };

    let week = presign("604800");
    let response = client().get(&week).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"a week");

    let longer = presign("604801");
    let response = client().get(&longer).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(text.contains("<Code>AuthorizationQueryParametersError</Code>"), "{text}");
    assert!(text.contains("X-Amz-Expires must be less than a week (in seconds) that is; 604800"), "{text}");

    // A lifetime that is no number of seconds is refused the same way.
    for (expires, problem) in [("-1", "must be non-negative"), ("soon", "should be a number")] {
        let url = week.replace("X-Amz-Expires=604800", &format!("X-Amz-Expires={expires}"));
        let response = client().get(&url).send().await.unwrap();
        assert_eq!(response.status(), 400, "{expires}");
        let text = response.text().await.unwrap();
        assert!(text.contains("<Code>AuthorizationQueryParametersError</Code>"), "{expires}: {text}");
        assert!(text.contains(&format!("X-Amz-Expires {problem}")), "{expires}: {text}");
    }
    assert_eq!(files_under(&data), stored);
}

#[tokio::test]
async fn multipart_uploads_are_listed_aborted_whole_and_swept_when_abandoned() {
    let (server, data, folder) = start(&[]);
    let Some(aws) = AwsCli::new(&server).map(with_sigv4_presigning) else { return };
    let before = files_under(&data);
    let create = |key: &str| {
        let upload = aws.json(&["s3api", "create-multipart-upload", "--bucket", "deck-photos", "--key", key]);
        upload["UploadId"].as_str().unwrap().to_owned()
    };
    let part = aws.file("part", &[5; 1000]);
    let upload_part = |key: &str, id: &str, number: &str| {
        aws.ok(&[
            "s3api",
            "upload-part",
            "--bucket",
            "deck-photos",
            "--key",
            key,
            "--upload-id",
            id,
            "--part-number",
            number,
            "--body",
            &part,
        ]);
    };
    let (first, second, nested) = (create("a.bin"), create("a.bin"), create("nested/b.bin"));
    upload_part("a.bin", &first, "1");
    upload_part("a.bin", &first, "2");

    let list = |extra: &[&str]| {
        let mut args = vec!["s3api", "list-multipart-uploads", "--bucket", "deck-photos"];
        args.extend_from_slice(extra);
        let listed = aws.json(&args);
        let uploads = listed["Uploads"].as_array().cloned().unwrap_or_default();
        let found: Vec<(String, String)> = uploads
            .iter()
            .map(|u| (u["Key"].as_str().unwrap().to_owned(), u["UploadId"].as_str().unwrap().to_owned()))
            .collect();
        (found, listed)
    };
    let pair = |key: &str, id: &String| (key.to_owned(), id.clone());
    let (all, _) = list(&[]);
    assert_eq!(all, [pair("a.bin", &first), pair("a.bin", &second), pair("nested/b.bin", &nested)]);
    assert_eq!(list(&["--prefix", "nested/"]).0, [pair("nested/b.bin", &nested)]);
    let (top, listed) = list(&["--delimiter", "/"]);
    assert_eq!(top, [pair("a.bin", &first), pair("a.bin", &second)]);
    assert_eq!(listed["CommonPrefixes"], serde_json::json!([{ "Prefix": "nested/" }]), "{listed}");
    let (page, listed) = list(&["--max-uploads", "1", "--no-paginate"]);
    assert_eq!(page, [pair("a.bin", &first)]);
    assert_eq!(listed["IsTruncated"], true, "{listed}");
    assert_eq!(listed["NextKeyMarker"], "a.bin");
    assert_eq!(listed["NextUploadIdMarker"], first.as_str());
    let (rest, _) = list(&["--key-marker", "a.bin", "--upload-id-marker", &first, "--no-paginate"]);
    assert_eq!(rest, [pair("a.bin", &second), pair("nested/b.bin", &nested)]);
    let parts = aws.json(&[
        "s3api",
        "list-parts",
        "--bucket",
        "deck-photos",
        "--key",
        "a.bin",
        "--upload-id",
        &first,
    ]);
    assert_eq!(parts["Parts"].as_array().unwrap().len(), 2, "{parts}");

    // Aborting removes the upload whole: its record and both parts.
    assert!(files_under(&data).iter().any(|name| name.contains(&first)));
    aws.ok(&[
        "s3api",
        "abort-multipart-upload",
        "--bucket",
        "deck-photos",
        "--key",
        "a.bin",
        "--upload-id",
        &first,
    ]);
    assert!(!files_under(&data).iter().any(|name| name.contains(&first)), "{:#?}", files_under(&data));
    assert_eq!(list(&[]).0, [pair("a.bin", &second), pair("nested/b.bin", &nested)]);
    let stderr = aws.fails(&[
        "s3api",
        "abort-multipart-upload",
        "--bucket",
        "deck-photos",
        "--key",
        "a.bin",
        "--upload-id",
        &first,
    ]);
    aws_error(&stderr, "NoSuchUpload");
    drop(server);

    // Left for longer than the age (shortened here): swept at start, then while running.
    let age = ["--abort-incomplete-uploads-after", "2s"];
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let server = Server::start_on_data(&functions_toml(), &data, &[], &age);
    let aws = AwsCli { endpoint: server.base.clone(), ..aws };
    server.wait_for_log("the sweep at start", |line| line.starts_with("aborted 2 multipart upload(s)")).await;
    assert_eq!(files_under(&data), before, "both abandoned uploads gone");
    let id = aws.json(&["s3api", "create-multipart-upload", "--bucket", "deck-photos", "--key", "late.bin"]);
    assert!(files_under(&data).iter().any(|name| name.contains(id["UploadId"].as_str().unwrap())));
    let deadline = Instant::now() + Duration::from_secs(10);
    while files_under(&data) != before {
        assert!(Instant::now() < deadline, "the upload was never swept: {:#?}", files_under(&data));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(aws.json(&["s3api", "list-multipart-uploads", "--bucket", "deck-photos"])["Uploads"].is_null());
    drop(folder);
}

#[tokio::test]
async fn a_delete_or_a_refused_write_leaves_nothing_of_its_key() {
    let (server, data, _folder) = start(&[]);
    let Some(aws) = AwsCli::new(&server).map(with_sigv4_presigning) else { return };
    let before = files_under(&data);

    // An object is its bytes and two sidecars (and the folders of its key): DELETE takes all.
    let body = aws.file("photo", b"a photo");
    aws.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "deck-photos",
        "--key",
        "deep/er/photo.jpg",
        "--body",
        &body,
        "--metadata",
        "a=b",
    ]);
    let added: Vec<String> = files_under(&data).difference(&before).cloned().collect();
    assert_eq!(added.len(), 5, "{added:#?}");
    aws.ok(&["s3api", "delete-object", "--bucket", "deck-photos", "--key", "deep/er/photo.jpg"]);
    assert_eq!(files_under(&data), before);

    // Too large for its bucket in one PUT.
    let big = aws.file("big", &vec![0; 1024 * 1024 + 1]);
    let stderr =
        aws.fails(&["s3api", "put-object", "--bucket", "deck-photos", "--key", "big.bin", "--body", &big]);
    aws_error(&stderr, "EntityTooLarge");
    assert_eq!(files_under(&data), before);

    // Parts that pass the bucket's 6 MB only together: Complete is refused before it writes.
    let upload = aws.json(&["s3api", "create-multipart-upload", "--bucket", "limited", "--key", "whole.bin"]);
    let id = upload["UploadId"].as_str().unwrap();
    let mut parts = Vec::new();
    for (number, size) in [(1, 5 * 1024 * 1024), (2, 2 * 1024 * 1024)] {
        let file = aws.file("part", &vec![number as u8; size]);
        let part = aws.json(&[
            "s3api",
            "upload-part",
            "--bucket",
            "limited",
            "--key",
            "whole.bin",
            "--upload-id",
            id,
            "--part-number",
            &number.to_string(),
            "--body",
            &file,
        ]);
        parts.push(serde_json::json!({ "ETag": part["ETag"], "PartNumber": number }));
    }
    let with_parts = files_under(&data);
    let completion = serde_json::json!({ "Parts": parts }).to_string();
    let stderr = aws.fails(&[
        "s3api",
        "complete-multipart-upload",
        "--bucket",
        "limited",
        "--key",
        "whole.bin",
        "--upload-id",
        id,
        "--multipart-upload",
        &completion,
    ]);
    aws_error(&stderr, "EntityTooLarge");
    assert_eq!(files_under(&data), with_parts, "no object, no sidecars: the upload as it was");
    aws.ok(&[
        "s3api",
        "abort-multipart-upload",
        "--bucket",
        "limited",
        "--key",
        "whole.bin",
        "--upload-id",
        id,
    ]);
    assert_eq!(files_under(&data), before);
}
