//! The talk's event-driven demo end to end, with real processes: a browser-style upload through
//! a ticket, S3's notification, the thumbnail function (`demos/thumbnail-lambda`, through the
//! official runtime and `aws-sdk-s3`) writing its thumbnails and report back through the local
//! S3 API; a bad upload retried, then recorded with the function's error. And the S3 API through
//! the SDK client itself.

mod support;

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use deck_core::uploads::{ThumbnailReport, UploadTicket, THUMBNAIL_WIDTHS};
use serde_json::{json, Value};
use support::{client, Server};

const SAMPLE: &str = "assets/samples/lake-at-sunset.jpg";

fn server(retry_delays: &str) -> Server {
    server_with(retry_delays, &[])
}

fn server_with(retry_delays: &str, args: &[&str]) -> Server {
    let settings = format!("memory_mb = 512\ntimeout_s = 30\nasync_retry_delays_s = {retry_delays}");
    let toml = support::function("thumbnail", support::thumbnail_binary(), &settings)
        + "\n[[bucket]]\nname = \"deck-photos\"\nmax_object_mb = 20\n[[bucket.notification]]\nevents = [\"s3:ObjectCreated:*\"]\nprefix = \"uploads/\"\nfunction = \"thumbnail\"\n";
    Server::start_with(&toml, args)
}

async fn upload(server: &Server, file_name: &str, content_type: &str, bytes: Vec<u8>) -> UploadTicket {
    let body = json!({ "file_name": file_name, "content_type": content_type, "size": bytes.len() });
    let response = client().post(server.url("/api/uploads/deck-photos")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let ticket: UploadTicket = response.json().await.unwrap();
    let put =
        client().put(&ticket.url).header("content-type", content_type).body(bytes).send().await.unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    ticket
}

/// GETs a ticket's presigned result URL until it is there (the function writes it last).
async fn fetch_when_written(url: &str) -> Vec<u8> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = client().get(url).send().await.unwrap();
        if response.status() == 200 {
            return response.bytes().await.unwrap().to_vec();
        }
        assert_eq!(response.status(), 404, "{}", response.text().await.unwrap());
        assert!(std::time::Instant::now() < deadline, "nothing at {url} after 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_uploaded_photo_gets_three_thumbnails_and_a_report_from_one_invocation() {
    let server = server("[0.05, 0.05]");
    let events = client().get(server.url("/api/events")).send().await.unwrap();
    let photo = std::fs::read(support::workspace_root().join(SAMPLE)).unwrap();
    let ticket = upload(&server, "Lake at sunset.jpg", "image/jpeg", photo.clone()).await;

    let report: ThumbnailReport =
        serde_json::from_slice(&fetch_when_written(&ticket.results.report).await).unwrap();
    assert_eq!((report.bucket.as_str(), report.key.as_str()), ("deck-photos", ticket.key.as_str()));
    assert_eq!(
        (report.source.width, report.source.height, report.source.bytes),
        (1920, 1080, photo.len() as u64)
    );
    assert!(report.cold_start, "the first upload starts the function");
    let original = client().get(&ticket.results.upload).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(original.len(), photo.len(), "the ticket reads the upload back, whole");
    let sizes: Vec<(u32, u32)> = report.thumbnails.iter().map(|t| (t.width, t.height)).collect();
    assert_eq!(sizes, [(160, 90), (480, 270), (1080, 608)]);
    // The thumbnails are where the ticket says, whole JPEGs of the reported size.
    for ((url, picture), width) in
        ticket.results.thumbnails.iter().zip(&report.thumbnails).zip(THUMBNAIL_WIDTHS)
    {
        let bytes = fetch_when_written(url).await;
        assert_eq!(bytes.len() as u64, picture.bytes);
        let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((image.width(), image.height()), (picture.width, picture.height));
        assert!(picture.key.ends_with(&format!("-{width}.jpg")), "{}", picture.key);
    }
    // The event the function reports is the one S3 sent.
    let record: Value = serde_json::from_str(&report.event).unwrap();
    assert_eq!(record["eventName"], "ObjectCreated:Put");
    assert_eq!(record["s3"]["object"]["size"], photo.len());

    // Exactly one invocation: its own writes under thumbnails/ trigger nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let collected =
        support::collect_events(events, |events| events.iter().any(|e| e["type"] == "async_result")).await;
    let queued: Vec<&Value> = collected.iter().filter(|e| e["type"] == "async_queued").collect();
    assert_eq!(queued.len(), 1, "{collected:#?}");
    assert_eq!(queued[0]["request_id"].as_str(), Some(report.request_id.as_str()));
    let result = collected.iter().find(|e| e["type"] == "async_result").unwrap();
    assert_eq!((result["status"].as_str(), result["attempt"].as_u64()), (Some("success"), Some(1)));

    // A second upload is warm.
    let again = upload(&server, "city.jpg", "image/jpeg", photo).await;
    let warm: ThumbnailReport =
        serde_json::from_slice(&fetch_when_written(&again.results.report).await).unwrap();
    assert!(!warm.cold_start);
}

#[tokio::test]
async fn a_file_that_is_not_an_image_fails_retries_twice_and_is_recorded_with_the_reason() {
    let server = server("[0.05, 0.05]");
    let events = client().get(server.url("/api/events")).send().await.unwrap();
    // Declared as a JPEG (all the ticket checks), but text: the function finds out.
    let ticket = upload(&server, "fake.jpg", "image/jpeg", b"this is not a photo".to_vec()).await;
    let whole = std::fs::read(support::workspace_root().join(SAMPLE)).unwrap();
    let cut = upload(&server, "cut.jpg", "image/jpeg", whole[..whole.len() / 2].to_vec()).await;
    let collected = support::collect_events(events, |events| {
        events.iter().filter(|e| e["type"] == "async_result" && e["status"] == "failed").count() == 2
    })
    .await;
    let failures: Vec<&Value> = collected.iter().filter(|e| e["status"] == "failed").collect();
    let message = |key: &str| {
        failures
            .iter()
            .find_map(|e| e["error_message"].as_str().filter(|m| m.contains(key)))
            .unwrap_or_else(|| panic!("no failure names {key}: {collected:#?}"))
            .to_owned()
    };
    assert!(message(&ticket.key).contains("not an image"));
    assert!(message(&cut.key).contains("cut short (truncated)"));
    for failure in &failures {
        assert_eq!(failure["attempt"], 3);
    }
    assert_eq!(collected.iter().filter(|e| e["status"] == "retrying").count(), 4);
    // Nothing was written for either.
    for ticket in [&ticket, &cut] {
        let report = client().get(&ticket.results.report).send().await.unwrap();
        assert_eq!(report.status(), 404);
        for url in &ticket.results.thumbnails {
            assert_eq!(client().get(url).send().await.unwrap().status(), 404);
        }
    }
}

#[tokio::test]
async fn a_failing_upload_waiting_for_its_retry_does_not_hold_up_the_next_one() {
    // Retries after 30 s: far later than the good upload takes.
    let server = server("[30, 30]");
    let events = client().get(server.url("/api/events")).send().await.unwrap();
    let bad = upload(&server, "fake.jpg", "image/jpeg", b"this is not a photo".to_vec()).await;
    let photo = std::fs::read(support::workspace_root().join(SAMPLE)).unwrap();
    let good = upload(&server, "lake.jpg", "image/jpeg", photo).await;
    let collected = support::collect_events(events, |events| {
        events.iter().any(|e| e["type"] == "async_result" && e["status"] == "success")
    })
    .await;
    let results: Vec<&str> = collected
        .iter()
        .filter(|e| e["type"] == "async_result")
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["retrying", "success"], "{collected:#?}");
    let report: ThumbnailReport =
        serde_json::from_slice(&fetch_when_written(&good.results.report).await).unwrap();
    assert_eq!(report.key, good.key);
    assert_eq!(client().get(&bad.results.report).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_deck_on_an_origin_the_presenter_names_gets_a_ticket_uploads_and_reads_what_s3_answers() {
    let origin = "http://127.0.0.1:9";
    let server = server_with("[0.05, 0.05]", &["--cors-origin", origin]);
    let preflight = |url: String, method: &'static str| {
        client()
            .request(reqwest::Method::OPTIONS, url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let header = |response: &reqwest::Response, name: &str| {
        response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    };

    let asked = preflight(server.url("/api/uploads/deck-photos"), "POST").await.unwrap();
    assert_eq!(asked.status(), 204);
    assert_eq!(header(&asked, "access-control-allow-origin"), origin);
    assert_eq!(header(&asked, "access-control-allow-headers"), "content-type");
    assert!(header(&asked, "access-control-allow-methods").contains("POST"));

    let body = json!({ "file_name": "a.jpg", "content_type": "image/jpeg", "size": 3 });
    let ticket = client()
        .post(server.url("/api/uploads/deck-photos"))
        .header("Origin", origin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&ticket, "access-control-allow-origin"), origin);
    let ticket: UploadTicket = ticket.json().await.unwrap();

    // The presigned PUT: its preflight carries no signature, and is answered all the same.
    let asked = preflight(ticket.url.clone(), "PUT").await.unwrap();
    assert_eq!(
        (asked.status().as_u16(), header(&asked, "access-control-allow-origin")),
        (204, origin.to_owned())
    );
    assert!(header(&asked, "access-control-allow-methods").contains("PUT"));
    assert!(header(&asked, "access-control-expose-headers").contains("etag"));
    assert_eq!(header(&asked, "access-control-max-age"), "600");
    let put = client()
        .put(&ticket.url)
        .header("Origin", origin)
        .header("content-type", "image/jpeg")
        .body(b"abc".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(header(&put, "access-control-allow-origin"), origin);
    assert!(header(&put, "access-control-expose-headers").contains("etag"));
    // S3's errors too: a result not written yet (the function fails on these bytes).
    let missing = client().get(&ticket.results.thumbnails[0]).header("Origin", origin).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "access-control-allow-origin"), origin);

    // Any other origin gets none of it: no ticket, no preflight, no read.
    let foreign = "http://127.0.0.1:10";
    let refused = client()
        .post(server.url("/api/uploads/deck-photos"))
        .header("Origin", foreign)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (refused.status().as_u16(), header(&refused, "access-control-allow-origin")),
        (403, String::new())
    );
    let read = client().get(&ticket.results.upload).header("Origin", foreign).send().await.unwrap();
    assert_eq!(read.status(), 403);
}

#[tokio::test]
async fn the_s3_api_answers_the_sdk_client_and_concurrent_puts_of_one_key_end_as_one_whole_object() {
    let server = Server::start("[[bucket]]\nname = \"deck-photos\"\n");
    let s3 = support::s3_client(&server);

    // Eight writers of 1 MB each to one key, and readers among them: every read, and the object
    // at the end, is one writer's whole bytes with its own checksum (the SDK checks it).
    let bodies: Vec<Vec<u8>> = (0..8u8).map(|n| vec![n; 1 << 20]).collect();
    for _round in 0..3 {
        let puts = futures_util::future::join_all(bodies.iter().map(|body| {
            s3.put_object().bucket("deck-photos").key("race.bin").body(ByteStream::from(body.clone())).send()
        }));
        let reads = futures_util::future::join_all((0..4).map(|_| async {
            match s3.get_object().bucket("deck-photos").key("race.bin").send().await {
                Ok(got) => {
                    Some(got.body.collect().await.expect("a whole object, checksum and all").into_bytes())
                }
                Err(_) => None, // Not written yet on the first round.
            }
        }));
        let (put_results, read_results) = futures_util::future::join(puts, reads).await;
        for put in put_results {
            put.unwrap();
        }
        for bytes in read_results.into_iter().flatten() {
            assert!(
                bodies.iter().any(|body| body[..] == bytes[..]),
                "a read saw a mix, {} bytes",
                bytes.len()
            );
        }
        let got = s3.get_object().bucket("deck-photos").key("race.bin").send().await.unwrap();
        let bytes = got.body.collect().await.unwrap().into_bytes();
        assert!(bodies.iter().any(|body| body[..] == bytes[..]), "a mix of writers, {} bytes", bytes.len());
    }

    // A range, a listing in pages, and S3's errors as the SDK's typed errors.
    let range =
        s3.get_object().bucket("deck-photos").key("race.bin").range("bytes=0-9").send().await.unwrap();
    assert_eq!(range.content_length(), Some(10));
    for key in ["uploads/a.jpg", "uploads/b.jpg", "thumbnails/a-160.jpg"] {
        s3.put_object()
            .bucket("deck-photos")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let pages =
        s3.list_objects_v2().bucket("deck-photos").prefix("uploads/").max_keys(1).into_paginator().send();
    let keys: Vec<String> = pages
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flat_map(|page| page.unwrap().contents.unwrap_or_default())
        .filter_map(|object| object.key)
        .collect();
    assert_eq!(keys, ["uploads/a.jpg", "uploads/b.jpg"]);
    let missing = s3.get_object().bucket("deck-photos").key("nothing").send().await.unwrap_err();
    assert!(missing.into_service_error().is_no_such_key());
    let no_bucket = s3.head_bucket().bucket("elsewhere").send().await.unwrap_err();
    assert_eq!(no_bucket.raw_response().map(|r| r.status().as_u16()), Some(404));

    // The SDK's own presigned URLs work with a plain HTTP client.
    let presigned = s3
        .get_object()
        .bucket("deck-photos")
        .key("uploads/a.jpg")
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    assert_eq!(client().get(presigned.uri()).send().await.unwrap().text().await.unwrap(), "x");
    s3.delete_object().bucket("deck-photos").key("uploads/a.jpg").send().await.unwrap();
    let gone = s3.head_object().bucket("deck-photos").key("uploads/a.jpg").send().await.unwrap_err();
    assert!(gone.into_service_error().is_not_found());
}
