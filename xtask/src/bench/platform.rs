//! The local Lambda platform's figures: cold start, warm calls, throughput.
use super::http::{self, Connection};
use super::*;

/// The platform figures, on the server already running the talk deck.
pub(super) fn figures(server: &Server) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut connection = Connection::open(&server.host)?;

    let mut client_cold = Vec::with_capacity(COLD_STARTS);
    let mut function_init = Vec::with_capacity(COLD_STARTS);
    for _ in 0..COLD_STARTS {
        expect_ok(connection.post("/api/functions/hello/recycle")?, "recycle")?;
        let started = Instant::now();
        let response = connection.get("/fn/hello/?name=bench")?;
        client_cold.push(millis(started.elapsed()));
        let body = String::from_utf8_lossy(&response.body).into_owned();
        expect_ok(response, "a cold call")?;
        function_init.push(json_number(&body, "init_ms").with_context(|| format!("no init_ms in {body}"))?);
    }
    let platform_init = server.init_durations(COLD_STARTS)?;
    let spawn_floor = spawn_floor(COLD_STARTS)?;
    // The three cold-start figures share one baseline: starting and reaping a bare process.
    let floor = median(&spawn_floor);
    let against_spawn = |measure: &str, samples: &[f64], goal: &str, met: Option<bool>| {
        let value = format!("{} ({})", ms(median(samples)), ms(percentile(samples, 95.0)));
        Row::compared(
            measure,
            value,
            "bare spawn+exit of /bin/true",
            ms(floor),
            median(samples) / floor,
            goal,
            met,
        )
    };
    rows.push(against_spawn(
        &format!("cold start: spawn → first /next, median of {COLD_STARTS} (p95)"),
        &platform_init,
        "≤ 20 ms",
        Some(median(&platform_init) <= 20.0),
    ));
    rows.push(against_spawn(
        "cold start: the function's own init_ms, median (p95)",
        &function_init,
        "—",
        None,
    ));
    rows.push(against_spawn(
        "cold call through the Function URL, client side, median (p95)",
        &client_cold,
        "—",
        None,
    ));

    let function = latencies(&mut connection, "/fn/hello/")?;
    let file = latencies(&mut connection, &format!("/{PING}"))?;
    let (fn_p50, file_p50) = (median(&function), median(&file));
    rows.push(Row::compared(
        &format!("warm call, Function URL, c=1, p50 (p99), n={WARM_CALLS}"),
        format!("{} ({})", ms(fn_p50), ms(percentile(&function, 99.0))),
        "static file, same server",
        format!("{} ({})", ms(file_p50), ms(percentile(&file, 99.0))),
        fn_p50 / file_p50,
        "< 1 ms",
        fn_p50 < 1.0,
    ));
    rows.push(Row::compared(
        "warm call overhead over the static file, p50",
        ms(fn_p50 - file_p50),
        "static file, same server",
        ms(file_p50),
        (fn_p50 - file_p50) / file_p50,
        "< 1 ms",
        fn_p50 - file_p50 < 1.0,
    ));

    warm_instances(&server.host)?;
    let (function_rate, function_errors) = throughput(&server.host, "/fn/hello/")?;
    let (file_rate, file_errors) = throughput(&server.host, &format!("/{PING}"))?;
    rows.push(Row::compared(
        &format!("throughput, Function URL, c={CONCURRENCY}, {}s (errors)", THROUGHPUT_WINDOW.as_secs()),
        format!("{function_rate:.0}/s ({function_errors})"),
        "static file, same server",
        format!("{file_rate:.0}/s ({file_errors})"),
        function_rate / file_rate,
        "zero errors",
        function_errors == 0,
    ));
    Ok(rows)
}

pub(super) fn expect_ok(response: http::Response, what: &str) -> Result<()> {
    if response.status != 200 {
        bail!("{what} answered {}: {}", response.status, String::from_utf8_lossy(&response.body));
    }
    Ok(())
}

/// A number field of a flat JSON object, without a JSON library.
pub(super) fn json_number(json: &str, key: &str) -> Option<f64> {
    let rest = &json[json.find(&format!("\"{key}\":"))? + key.len() + 3..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+' | ' ')))
        .unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// The floor under any cold start on this machine: starting and reaping a process that does nothing.
pub(super) fn spawn_floor(count: usize) -> Result<Vec<f64>> {
    (0..count)
        .map(|_| {
            let started = Instant::now();
            Command::new("/bin/true").status().context("running /bin/true")?;
            Ok(millis(started.elapsed()))
        })
        .collect()
}

pub(super) fn latencies(connection: &mut Connection, path: &str) -> Result<Vec<f64>> {
    for _ in 0..WARM_CALLS / 5 {
        expect_ok(connection.get(path)?, path)?;
    }
    let mut samples = Vec::with_capacity(WARM_CALLS);
    for _ in 0..WARM_CALLS {
        let started = Instant::now();
        let response = connection.get(path)?;
        samples.push(millis(started.elapsed()));
        expect_ok(response, path)?;
    }
    Ok(samples)
}

/// Starts `CONCURRENCY` instances at once: overlapping slow calls each need their own.
pub(super) fn warm_instances(host: &str) -> Result<()> {
    std::thread::scope(|scope| {
        let calls: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                scope.spawn(|| {
                    expect_ok(Connection::open(host)?.get("/fn/hello/?sleep_ms=200")?, "a warming call")
                })
            })
            .collect();
        calls.into_iter().try_for_each(|call| call.join().expect("a warming thread"))
    })
}

/// Requests per second over the window from `CONCURRENCY` keep-alive connections, and non-200s.
pub(super) fn throughput(host: &str, path: &str) -> Result<(f64, usize)> {
    let started = Instant::now();
    let counts = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                scope.spawn(move || -> Result<(usize, usize)> {
                    let mut connection = Connection::open(host)?;
                    let (mut done, mut errors) = (0, 0);
                    while started.elapsed() < THROUGHPUT_WINDOW {
                        errors += usize::from(connection.get(path)?.status != 200);
                        done += 1;
                    }
                    Ok((done, errors))
                })
            })
            .collect();
        workers.into_iter().map(|worker| worker.join().expect("a load thread")).collect::<Result<Vec<_>>>()
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let (done, errors) = counts.iter().fold((0, 0), |(d, e), (done, errors)| (d + done, e + errors));
    Ok((done as f64 / elapsed, errors))
}
