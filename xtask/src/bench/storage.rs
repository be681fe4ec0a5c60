//! The local S3 API's throughput: a 2 MB object `PUT` through an upload ticket's presigned URL
//! and read back through its presigned `GET`, against a static file of the same size from the
//! same server.
use deck_core::uploads::{upload_route, UploadRequest, UploadTicket};

use super::http::Connection;
use super::*;

const OBJECT_BYTES: usize = 2 << 20;
const ROUNDS: usize = 10;
const BUCKET: &str = "bench-objects";
const STATIC_FILE: &str = "object.bin";

pub(super) fn figures(work: &Path) -> Result<Vec<Row>> {
    // A server of its own: one bucket and no notification, so no function runs while it is timed.
    let site = work.join("storage-site");
    std::fs::create_dir_all(&site)?;
    let object = pseudo_random(OBJECT_BYTES);
    std::fs::write(site.join("index.html"), "<!doctype html><title>bench</title>\n")?;
    std::fs::write(site.join(STATIC_FILE), &object)?;
    let functions = work.join("storage-functions.toml");
    std::fs::write(&functions, format!("[[bucket]]\nname = \"{BUCKET}\"\nmax_object_mb = 20\n"))?;
    let server = Server::start_with(&site, &functions)?;
    let mut connection = Connection::open(&server.host)?;

    let (mut puts, mut gets, mut statics) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let asked = UploadRequest {
            file_name: format!("object-{round}.jpg"),
            content_type: "image/jpeg".into(),
            size: OBJECT_BYTES as u64,
        };
        let json = serde_json::to_vec(&asked)?;
        let answer = connection.request(
            "POST",
            &upload_route(BUCKET),
            &[("Content-Type", "application/json")],
            &json,
        )?;
        expect_status(&answer, 200, "a ticket")?;
        let ticket: UploadTicket = serde_json::from_slice(&answer.body)?;

        let started = Instant::now();
        let put =
            connection.request("PUT", path_of(&ticket.url)?, &[("Content-Type", "image/jpeg")], &object)?;
        puts.push(millis(started.elapsed()));
        expect_status(&put, 200, "the PUT")?;

        let started = Instant::now();
        let got = connection.get(path_of(&ticket.results.upload)?)?;
        gets.push(millis(started.elapsed()));
        expect_status(&got, 200, "the GET")?;
        if got.body != object {
            bail!("the object read back differs from the one written");
        }

        let started = Instant::now();
        let file = connection.get(&format!("/{STATIC_FILE}"))?;
        statics.push(millis(started.elapsed()));
        expect_status(&file, 200, "the static file")?;
    }
    let file = median(&statics);
    let row = |what: &str, samples: &[f64]| {
        let took = median(samples);
        Row::compared(
            &format!("local S3: {what} of 2 MB through a presigned URL, median of {ROUNDS}"),
            format!("{} ({})", rate(took), ms(took)),
            "a static file of 2 MB, same server",
            format!("{} ({})", rate(file), ms(file)),
            took / file,
            "—",
            None,
        )
    };
    Ok(vec![row("PUT", &puts), row("GET", &gets)])
}

/// `/bucket/key?…` of an absolute presigned URL.
fn path_of(url: &str) -> Result<&str> {
    let rest = url.strip_prefix("http://").context("a presigned http:// URL")?;
    rest.find('/').map(|slash| &rest[slash..]).context("a path in the presigned URL")
}

fn expect_status(response: &http::Response, status: u16, what: &str) -> Result<()> {
    if response.status != status {
        bail!("{what}: HTTP {} {}", response.status, String::from_utf8_lossy(&response.body));
    }
    Ok(())
}

/// MB/s of 2 MB in `ms`.
fn rate(ms: f64) -> String {
    format!("{:.0} MB/s", OBJECT_BYTES as f64 / 1e6 / (ms / 1000.0))
}

/// Bytes that no compression shrinks, the same every run (xorshift).
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
