//! The local S3 API against the real AWS CLI (`aws s3` and `aws s3api` with `--endpoint-url`):
//! single and multipart uploads, ranges, listing with prefix, delimiter and pages, presigned
//! URLs, deletes, S3's errors, and the deck still served beside it. The CLI comes from PATH or is
//! installed once with pip (see `support::aws_cli`); only if neither works is the test skipped.

mod support;

use std::path::{Path, PathBuf};

use deck_core::error_body::Refusal;
use serde_json::Value;
use support::{client, AwsCli, Server};

const BUCKETS: &str =
    "[[bucket]]\nname = \"deck-photos\"\nmax_object_mb = 1\n\n[[bucket]]\nname = \"big-files\"\n";

fn storage_server() -> (Server, PathBuf) {
    let server = Server::start(BUCKETS);
    // The deck beside the buckets (served from disk at each request).
    let dist = server.dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>the deck</title>").unwrap();
    let data = server.dir.path().join("data");
    (server, data)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn the_aws_cli_stores_lists_reads_and_deletes_objects() {
    let (server, data) = storage_server();
    let Some(aws) = AwsCli::new(&server) else { return };
    assert!(
        server.log().iter().any(|l| l.starts_with("bucket deck-photos → S3 API at http://127.0.0.1:")),
        "{:#?}",
        server.log()
    );

    // Single PUTs, a key with a space and a plus, and the bytes on disk as they were sent.
    let photo = pattern(200_000);
    let file = aws.file("photo.jpg", &photo);
    aws.ok(&["s3", "cp", &file, "s3://deck-photos/uploads/cat photo+1.jpg"]);
    aws.ok(&["s3", "cp", &aws.file("b.txt", b"second"), "s3://deck-photos/uploads/b.txt"]);
    aws.ok(&["s3", "cp", &aws.file("c.txt", b"third"), "s3://deck-photos/thumbnails/160/c.txt"]);
    assert_eq!(std::fs::read(data.join("deck-photos/uploads/cat photo+1.jpg")).unwrap(), photo);
    let no_temporary = |dir: &Path| {
        std::fs::read_dir(dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains(".tmp."))
    };
    assert!(no_temporary(&data), "no half-written object is left");

    let listed = aws.ok(&["s3", "ls", "s3://deck-photos/uploads/"]);
    assert!(listed.contains("200000 cat photo+1.jpg") && listed.contains("b.txt"), "{listed}");
    assert!(!listed.contains("c.txt"), "{listed}");
    let buckets = aws.ok(&["s3", "ls"]);
    assert!(buckets.contains("deck-photos") && buckets.contains("big-files"), "{buckets}");

    // LIST v2: delimiter and prefix, and pages of one key followed by the CLI.
    let top = aws.json(&["s3api", "list-objects-v2", "--bucket", "deck-photos", "--delimiter", "/"]);
    let prefixes: Vec<&str> =
        top["CommonPrefixes"].as_array().unwrap().iter().filter_map(|p| p["Prefix"].as_str()).collect();
    assert_eq!(prefixes, ["thumbnails/", "uploads/"]);
    let paged = aws.json(&["s3api", "list-objects-v2", "--bucket", "deck-photos", "--page-size", "1"]);
    let keys: Vec<&str> =
        paged["Contents"].as_array().unwrap().iter().filter_map(|o| o["Key"].as_str()).collect();
    assert_eq!(keys, ["thumbnails/160/c.txt", "uploads/b.txt", "uploads/cat photo+1.jpg"]);

    // GET with a Range, and HEAD.
    let part = aws.dir.path().join("part");
    let part_name = part.to_string_lossy().into_owned();
    let got = aws.json(&[
        "s3api",
        "get-object",
        "--bucket",
        "deck-photos",
        "--key",
        "uploads/cat photo+1.jpg",
        "--range",
        "bytes=10-19",
        &part_name,
    ]);
    assert_eq!(got["ContentLength"], 10, "{got}");
    assert_eq!(std::fs::read(&part).unwrap(), &photo[10..20]);
    let head = aws.json(&["s3api", "head-object", "--bucket", "deck-photos", "--key", "uploads/b.txt"]);
    assert_eq!(head["ContentLength"], 6, "{head}");

    // A presigned GET works without credentials; a tampered one does not.
    let url = aws.ok(&["s3", "presign", "s3://deck-photos/uploads/b.txt", "--expires-in", "60"]);
    let url = url.trim();
    let fetched = client().get(url).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.unwrap(), "second");
    let tampered = client().get(url.replace("b.txt", "c.txt")).send().await.unwrap();
    assert_eq!(tampered.status(), 403);
    assert!(tampered.text().await.unwrap().contains("<Code>SignatureDoesNotMatch</Code>"));

    // Multipart: 6 MB in 5 MB parts, into the bucket that takes 20 MB.
    aws.configure("[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n");
    let big = pattern(6 * 1024 * 1024);
    aws.ok(&["s3", "cp", &aws.file("big.bin", &big), "s3://big-files/big.bin"]);
    assert_eq!(std::fs::read(data.join("big-files/big.bin")).unwrap(), big);

    // S3's errors, as the CLI reports them.
    let too_large =
        aws.fails(&["s3", "cp", &aws.file("large.jpg", &pattern(1_100_000)), "s3://deck-photos/large.jpg"]);
    assert!(too_large.contains("EntityTooLarge") && too_large.contains("at most 1 MB"), "{too_large}");
    assert!(!data.join("deck-photos/large.jpg").exists());
    let too_many_parts = aws.fails(&["s3", "cp", &aws.file("big2.bin", &big), "s3://deck-photos/big2.bin"]);
    assert!(too_many_parts.contains("EntityTooLarge"), "{too_many_parts}");
    assert!(!data.join("deck-photos/big2.bin").exists());
    let missing_key =
        aws.fails(&["s3api", "get-object", "--bucket", "deck-photos", "--key", "nothing", &part_name]);
    assert!(missing_key.contains("NoSuchKey"), "{missing_key}");
    let missing_bucket = aws.fails(&["s3", "ls", "s3://no-such-bucket/"]);
    assert!(missing_bucket.contains("NoSuchBucket"), "{missing_bucket}");
    let made = aws.fails(&["s3", "mb", "s3://deck-photos"]);
    assert!(made.contains("BucketAlreadyOwnedByYou"), "{made}");
    let wrong = aws.with_secret("guess");
    let refused = wrong.fails(&["s3", "ls", "s3://deck-photos/"]);
    assert!(refused.contains("SignatureDoesNotMatch"), "{refused}");

    // Deletes, one and several.
    aws.ok(&["s3", "rm", "s3://deck-photos/uploads/b.txt"]);
    assert!(!data.join("deck-photos/uploads/b.txt").exists());
    aws.ok(&["s3", "rm", "s3://deck-photos/", "--recursive"]);
    assert_eq!(aws.ok(&["s3", "ls", "s3://deck-photos/", "--recursive"]).trim(), "");

    // The deck is still served beside the S3 API.
    let page = client().get(server.url("/")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("the deck"));
}

/// Asks the server for an upload ticket into `bucket`.
async fn ask_ticket(server: &Server, bucket: &str, body: serde_json::Value) -> (u16, Value) {
    let response =
        client().post(server.url(&format!("/api/uploads/{bucket}"))).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_browser_uploads_with_a_ticket_and_a_killed_upload_leaves_nothing() {
    let (mut server, data) = storage_server();
    let photo = pattern(300_000);
    let (status, ticket_json) = ask_ticket(
        &server,
        "deck-photos",
        serde_json::json!({ "file_name": "My cat.jpg", "content_type": "image/jpeg", "size": photo.len() }),
    )
    .await;
    assert_eq!(status, 200, "{ticket_json}");
    let ticket: deck_core::uploads::UploadTicket = serde_json::from_value(ticket_json).unwrap();
    assert!(ticket.key.starts_with("uploads/") && ticket.key.ends_with("/My-cat.jpg"), "{}", ticket.key);
    assert_eq!(ticket.max_bytes, 1024 * 1024);
    // A plain PUT with no credentials, as the browser sends it.
    let put = client()
        .put(&ticket.url)
        .header("content-type", "image/jpeg")
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    assert_eq!(std::fs::read(data.join("deck-photos").join(&ticket.key)).unwrap(), photo);
    // The ticket is for its key only.
    let elsewhere =
        client().put(ticket.url.replace("My-cat.jpg", "other.jpg")).body("x").send().await.unwrap();
    assert_eq!(elsewhere.status(), 403);

    // Refused before anything is sent, with the reason.
    let (status, refused) = ask_ticket(
        &server,
        "deck-photos",
        serde_json::json!({ "file_name": "big.jpg", "content_type": "image/jpeg", "size": 5 << 20 }),
    )
    .await;
    assert_eq!(status, 413);
    let refusal: Refusal = serde_json::from_value(refused).unwrap();
    assert!(refusal.error.contains("at most 1048576 bytes (1 MB)"), "{refusal:?}");
    let (status, refused) = ask_ticket(
        &server,
        "deck-photos",
        serde_json::json!({ "file_name": "a.txt", "content_type": "text/plain", "size": 5 }),
    )
    .await;
    assert_eq!(status, 400);
    let refusal: Refusal = serde_json::from_value(refused).unwrap();
    assert!(refusal.error.contains("not an image"), "{refusal:?}");
    let (status, refused) = ask_ticket(
        &server,
        "nope",
        serde_json::json!({ "file_name": "a.png", "content_type": "image/png", "size": 5 }),
    )
    .await;
    assert_eq!(status, 404);
    let refusal: Refusal = serde_json::from_value(refused).unwrap();
    assert!(refusal.error.contains("\"deck-photos\""), "{refusal:?}");

    // Half an upload, then the server is killed: no object, and no temporary file once it is back.
    let (_, half) = ask_ticket(
        &server,
        "deck-photos",
        serde_json::json!({ "file_name": "half.jpg", "content_type": "image/jpeg", "size": 900_000 }),
    )
    .await;
    let half: deck_core::uploads::UploadTicket = serde_json::from_value(half).unwrap();
    let (address, path) = half.url.strip_prefix("http://").unwrap().split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let target = format!("/{path}");
    use std::io::Write;
    write!(stream, "PUT {target} HTTP/1.1\r\nHost: {address}\r\nContent-Type: image/jpeg\r\nContent-Length: 900000\r\n\r\n").unwrap();
    stream.write_all(&pattern(400_000)).unwrap();
    stream.flush().unwrap();
    let temporary = |data: &Path| {
        std::fs::read_dir(data)
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().contains(".tmp."))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !temporary(&data) {
        assert!(std::time::Instant::now() < deadline, "the upload never started writing");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    server.kill();
    drop(stream);
    let object = data.join("deck-photos").join(&half.key);
    assert!(!object.exists(), "no partial object");
    let again = Server::start_on_data(BUCKETS, &data, &[], &[]);
    assert!(!temporary(&data), "the half-written file is gone after a restart");
    assert!(!object.exists());
    assert_eq!(
        std::fs::read(data.join("deck-photos").join(&ticket.key)).unwrap(),
        photo,
        "what was stored stays"
    );
    drop(again);
}

#[tokio::test]
async fn a_matching_upload_invokes_the_function_asynchronously_with_s3s_event_and_failures_are_retried_then_recorded(
) {
    let settings = "async_retry_delays_s = [0.05, 0.05]";
    let toml = support::function("fixture", &support::binaries().fixture, settings)
        + "\n[[bucket]]\nname = \"deck-photos\"\n[[bucket.notification]]\nevents = [\"s3:ObjectCreated:*\"]\nprefix = \"uploads/\"\nfunction = \"fixture\"\n";
    let server = Server::start(&toml);
    let events = client().get(server.url("/api/events")).send().await.unwrap();

    let upload = |key: &str| {
        let server = &server;
        let key = key.to_owned();
        async move {
            let (_, ticket) = ask_ticket(
                server,
                "deck-photos",
                serde_json::json!({ "file_name": key, "content_type": "image/png", "size": 4 }),
            )
            .await;
            let url = ticket["url"].as_str().unwrap().to_owned();
            let put = client().put(&url).header("content-type", "image/png").body(b"\x89PNG".to_vec());
            let put = put.send().await.unwrap();
            assert_eq!(put.status(), 200);
            ticket["key"].as_str().unwrap().to_owned()
        }
    };
    let good = upload("cat photo.png").await;
    let bad = upload("fail.png").await;
    let collected = support::collect_events(events, |events| {
        events
            .iter()
            .filter(|e| e["type"] == "async_result" && (e["status"] == "success" || e["status"] == "failed"))
            .count()
            == 2
    })
    .await;

    // The S3 event as the function got it: S3's shape, the key URL-encoded.
    let queued: Vec<&Value> = collected.iter().filter(|e| e["type"] == "async_queued").collect();
    assert_eq!(queued.len(), 2, "{collected:#?}");
    let event: Value = serde_json::from_str(queued[0]["payload"].as_str().unwrap()).unwrap();
    let record = &event["Records"][0];
    assert_eq!(record["eventName"], "ObjectCreated:Put");
    assert_eq!(record["s3"]["bucket"]["name"], "deck-photos");
    assert_eq!(record["s3"]["object"]["key"], good.replace(' ', "+"));
    assert_eq!(record["s3"]["object"]["size"], 4);
    assert_eq!(record["s3"]["configurationId"], "deck-photos-fixture-1");
    assert_eq!(queued[0]["source"], format!("s3 ObjectCreated:Put deck-photos/{good}"));

    // The good one succeeded at once; the bad one was tried three times, then recorded as failed.
    let results = |request_id: &Value| -> Vec<(String, u64)> {
        collected
            .iter()
            .filter(|e| e["type"] == "async_result" && &e["request_id"] == request_id)
            .map(|e| (e["status"].as_str().unwrap().to_owned(), e["attempt"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(results(&queued[0]["request_id"]), [("success".to_owned(), 1)]);
    assert_eq!(
        results(&queued[1]["request_id"]),
        [("retrying".to_owned(), 1), ("retrying".to_owned(), 2), ("failed".to_owned(), 3)]
    );
    let failed = collected.iter().find(|e| e["status"] == "failed").unwrap();
    assert_eq!(failed["error_type"], "Fixture.Failure");
    assert_eq!(failed["error_message"], "failed on purpose");
    assert!(failed["source"].is_null() && queued[1]["source"].as_str().unwrap().ends_with(&bad));
    let line = server.wait_for_log("recording the failure", |l| l.contains("recorded as failed")).await;
    assert!(line.contains("attempt 3 of 3 failed: Fixture.Failure: failed on purpose"), "{line}");
}

#[tokio::test]
async fn a_function_that_triggers_itself_is_stopped_after_sixteen_rounds() {
    let toml = support::function("fixture", &support::binaries().fixture, "async_retry_delays_s = []")
        + "\n[[bucket]]\nname = \"deck-photos\"\n[[bucket.notification]]\nevents = [\"s3:ObjectCreated:*\"]\nprefix = \"uploads/\"\nfunction = \"fixture\"\n";
    let server = Server::start(&toml);

    // The function gets its access to the local S3 API the way Lambda gives a role's.
    let (_, _, echoed) = support::invoke(&server, "fixture", serde_json::json!({})).await;
    let environment = &echoed["environment"];
    assert_eq!(environment["AWS_ENDPOINT_URL_S3"], server.base, "{environment}");
    assert_eq!(environment["AWS_ACCESS_KEY_ID"], "serverless-deck");
    assert_eq!(environment["AWS_SECRET_ACCESS_KEY"], server.s3_secret());

    let events = client().get(server.url("/api/events")).send().await.unwrap();
    let (_, ticket) = ask_ticket(
        &server,
        "deck-photos",
        serde_json::json!({ "file_name": "loop.png", "content_type": "image/png", "size": 4 }),
    )
    .await;
    let put = client().put(ticket["url"].as_str().unwrap()).header("content-type", "image/png");
    let put = put.body(b"\x89PNG".to_vec()).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let collected =
        support::collect_events(events, |events| events.iter().any(|e| e["status"] == "stopped")).await;
    let delivered =
        collected.iter().filter(|e| e["type"] == "async_result" && e["status"] == "success").count();
    assert_eq!(delivered, 16, "a person's upload, then 15 rounds of the function's own");
    let stopped = collected.iter().find(|e| e["status"] == "stopped").unwrap();
    assert_eq!(stopped["error_type"], "RecursiveInvocationLoop");
    let message = stopped["error_message"].as_str().unwrap();
    assert!(message.contains("fixture invoked itself 16 times in a row through its own writes"), "{message}");
    server.wait_for_log("the stopped loop", |l| l.contains("the loop is stopped")).await;
}
