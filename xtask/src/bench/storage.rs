//! The local S3 API's throughput: an object `PUT` through an upload ticket's presigned URL and
//! read back through the ticket's presigned `GET` of the upload, on one keep-alive connection
//! ([`Connection`]), against a static file of the same size from the same server.
use deck_core::uploads::{upload_route, UploadRequest, UploadTicket};

use super::http::{Connection, Response};
use super::*;

/// Each object's size (MB as `functions.toml`'s `max_object_mb` counts them: 2^20 bytes) and how
/// many times it is written and read.
const OBJECTS: [(usize, usize); 2] = [(2, 10), (20, 5)];
const BUCKET: &str = "bench-objects";

pub(super) fn figures(work: &Path) -> Result<Vec<Row>> {
    // A server of its own: one bucket and no notification, so no function runs while it is timed;
    // its folder holds the static files of the same sizes.
    let site = work.join("storage-site");
    for dir in [site.clone(), site.with_extension("data")] {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(&site)?;
    std::fs::write(site.join("index.html"), "<!doctype html><title>bench</title>\n")?;
    let largest = OBJECTS.iter().map(|&(mb, _)| mb).max().unwrap_or(1);
    let functions = work.join("storage-functions.toml");
    std::fs::write(&functions, format!("[[bucket]]\nname = \"{BUCKET}\"\nmax_object_mb = {largest}\n"))?;
    let mut objects = Vec::new();
    for (mb, rounds) in OBJECTS {
        let object = pseudo_random(mb << 20);
        std::fs::write(site.join(static_file(mb)), &object)?;
        objects.push((mb, rounds, object));
    }
    let server = Server::start_with(&site, &functions)?;
    let mut connection = Connection::open(&server.host)?;

    let mut rows = Vec::new();
    for (mb, rounds, object) in objects {
        let (mut puts, mut gets, mut files) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let ticket = ticket(&mut connection, &format!("object-{mb}-{round}.jpg"), object.len())?;

            let started = Instant::now();
            let put = connection.request(
                "PUT",
                path_of(&ticket.url)?,
                &[("Content-Type", "image/jpeg")],
                &object,
            )?;
            puts.push(millis(started.elapsed()));
            expect(&put, "the PUT")?;

            let started = Instant::now();
            let got = connection.get(path_of(&ticket.results.upload)?)?;
            gets.push(millis(started.elapsed()));
            expect(&got, "the GET")?;
            if got.body != object {
                bail!("the object read back differs from the one written");
            }

            let started = Instant::now();
            let file = connection.get(&format!("/{}", static_file(mb)))?;
            files.push(millis(started.elapsed()));
            expect(&file, "the static file")?;
            if file.body.len() != object.len() {
                bail!("the static file came back with {} bytes, not {}", file.body.len(), object.len());
            }
        }
        let file = median(&files);
        for (what, samples) in [("PUT", &puts), ("GET", &gets)] {
            let took = median(samples);
            rows.push(Row::compared(
                &format!("local S3: {what} of {mb} MB through a presigned URL, median of {rounds}"),
                format!("{} ({})", rate(mb, took), ms(took)),
                &format!("GET of a {mb} MB static file, same server"),
                format!("{} ({})", rate(mb, file), ms(file)),
                file / took,
                "—",
                None,
            ));
        }
    }
    Ok(rows)
}

/// An upload ticket for `size` bytes, as the thumbnails panel asks for one.
fn ticket(connection: &mut Connection, file_name: &str, size: usize) -> Result<UploadTicket> {
    let asked = UploadRequest {
        file_name: file_name.to_owned(),
        content_type: "image/jpeg".into(),
        size: size as u64,
    };
    let answer = connection.request(
        "POST",
        &upload_route(BUCKET),
        &[("Content-Type", "application/json")],
        &serde_json::to_vec(&asked)?,
    )?;
    expect(&answer, "a ticket")?;
    Ok(serde_json::from_slice(&answer.body)?)
}

fn static_file(mb: usize) -> String {
    format!("object-{mb}mb.bin")
}

/// `/bucket/key?…` of an absolute presigned URL.
fn path_of(url: &str) -> Result<&str> {
    let rest = url.strip_prefix("http://").context("a presigned http:// URL")?;
    rest.find('/').map(|slash| &rest[slash..]).context("a path in the presigned URL")
}

fn expect(response: &Response, what: &str) -> Result<()> {
    if response.status != 200 {
        bail!("{what}: HTTP {} {}", response.status, String::from_utf8_lossy(&response.body));
    }
    Ok(())
}

/// MB/s of `mb` MB in `ms`.
fn rate(mb: usize, ms: f64) -> String {
    format!("{:.0} MB/s", mb as f64 / (ms / 1000.0))
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
