//! A load test of `patrolmap serve`: C concurrent clients, each a planner dragging a unit
//! (`POST /api/whatif` with one unit moved) and the map then reading the road tiles of the new
//! revision (a 3x3 viewport at zoom 14 around the city's centre), then thinking a random 0.5
//! to 1.5 times `--think-ms` (0: none, as fast as the server answers), for S seconds.
//! Loopback only, bounded in time and in requests; reports throughput, p50/p99 latency per
//! request kind and every error.
//!
//! ```sh
//! bench/load_test.sh            # builds, starts Porto with 200 units, runs 40 clients for 60 s
//! cargo run --release --example load_test -- --url http://127.0.0.1:8080 --token pm_… \
//!     [--clients 40] [--seconds 60] [--think-ms 0] [--json out.json]
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// No client sends more than this many requests, whatever the duration.
const MAX_REQUESTS_PER_CLIENT: u64 = 200_000;

struct Args {
    url: String,
    token: String,
    clients: usize,
    seconds: f64,
    think_ms: u64,
    json: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:8080".into(),
        token: String::new(),
        clients: 40,
        seconds: 60.0,
        think_ms: 0,
        json: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--token" => args.token = value()?,
            "--clients" => {
                args.clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?
            }
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--think-ms" => {
                args.think_ms = value()?.parse().map_err(|e| format!("--think-ms: {e}"))?
            }
            "--json" => args.json = Some(value()?),
            other => return Err(format!("unknown argument {other}; see the file's header")),
        }
    }
    let host = args
        .url
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    // Traffic goes to this machine only.
    if !(host == "localhost" || host == "[" || host.starts_with("127.")) {
        return Err(format!("--url {}: loopback addresses only", args.url));
    }
    if args.token.is_empty() {
        return Err("--token: a planner's token is needed (patrolmap user add …)".into());
    }
    if !(1..=500).contains(&args.clients) || !(1.0..=600.0).contains(&args.seconds) {
        return Err("--clients 1..500, --seconds 1..600".into());
    }
    Ok(args)
}

/// Latencies of one kind of request, in microseconds, and its errors.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: Vec<String>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// The tile holding `lon, lat` at `zoom` (Web Mercator).
fn tile_of(lon: f64, lat: f64, zoom: u32) -> (u32, u32) {
    let n = f64::from(1u32 << zoom);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat_r = lat.to_radians();
    let y =
        ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let auth = format!("Bearer {}", args.token);
    let get_json = |path: &str| -> Value {
        let mut r = agent
            .get(format!("{}{path}", args.url))
            .header("authorization", &auth)
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(r.status(), 200, "GET {path}");
        r.body_mut()
            .with_config()
            .limit(256 << 20)
            .read_json()
            .unwrap()
    };
    let info = get_json("/api/info");
    let scenario = get_json("/api/scenario");
    let bbox: Vec<f64> = serde_json::from_value(info["bbox"].clone()).unwrap();
    let (cx, cy) = tile_of((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0, 14);
    let tiles: Vec<(u32, u32)> = (0..3)
        .flat_map(|dx| (0..3).map(move |dy| (cx + dx - 1, cy + dy - 1)))
        .collect();
    let units: Vec<usize> = scenario["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            let kind = f["properties"]["kind"].as_str().unwrap_or("unit");
            (kind == "unit" || kind == "post") && f["geometry"]["type"] == "Point"
        })
        .map(|(i, _)| i)
        .collect();
    assert!(!units.is_empty(), "the scenario has no units to move");
    println!(
        "{} clients for {} s against {} ({}: {} units), think {} ms",
        args.clients,
        args.seconds,
        args.url,
        info["name"],
        units.len(),
        args.think_ms
    );

    let stop = Arc::new(AtomicBool::new(false));
    let whatifs = Arc::new(Mutex::new(Tally::default()));
    let tile_reads = Arc::new(Mutex::new(Tally::default()));
    let bytes = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..args.clients)
        .map(|client| {
            let (stop, whatifs, tile_reads, bytes) = (
                stop.clone(),
                whatifs.clone(),
                tile_reads.clone(),
                bytes.clone(),
            );
            let (agent, auth, url, tiles) =
                (agent.clone(), auth.clone(), args.url.clone(), tiles.clone());
            let mut scenario = scenario.clone();
            let units = units.clone();
            let think_ms = args.think_ms as f64;
            std::thread::spawn(move || {
                // Planners do not act in step: each waits a random 0.5-1.5x the think time
                // (xorshift, seeded by the client), and the first time a random part of it.
                let mut seed = 0x9e37_79b9_7f4a_7c15u64
                    ^ (client as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                let mut uniform = move || {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 11) as f64 / (1u64 << 53) as f64
                };
                std::thread::sleep(Duration::from_secs_f64(think_ms * uniform() / 1e3));
                let mut sent = 0u64;
                let mut moves = 0usize;
                while !stop.load(Ordering::Relaxed) && sent < MAX_REQUESTS_PER_CLIENT {
                    // Drag a unit 50 m east, then back; each client its own units (a prime
                    // stride spreads them).
                    let i = units[(client + (moves / 2) * 997) % units.len()];
                    let lon = &mut scenario["features"][i]["geometry"]["coordinates"][0];
                    let delta = if moves % 2 == 0 { 5e-4 } else { -5e-4 };
                    *lon = json!(lon.as_f64().unwrap() + delta);
                    moves += 1;
                    let body = scenario.to_string();
                    let t = Instant::now();
                    let reply = agent
                        .post(format!("{url}/api/whatif"))
                        .header("authorization", &auth)
                        .header("content-type", "application/json")
                        .send(&body);
                    sent += 1;
                    let rev = match reply {
                        Ok(mut r) if r.status() == 200 => {
                            let v: Value = r.body_mut().read_json().unwrap_or_default();
                            whatifs
                                .lock()
                                .unwrap()
                                .latencies_us
                                .push(t.elapsed().as_micros() as u64);
                            v["rev"].as_u64()
                        }
                        Ok(r) => {
                            whatifs
                                .lock()
                                .unwrap()
                                .errors
                                .push(format!("whatif: {}", r.status()));
                            None
                        }
                        Err(e) => {
                            whatifs.lock().unwrap().errors.push(format!("whatif: {e}"));
                            None
                        }
                    };
                    let Some(rev) = rev else { continue };
                    for &(x, y) in &tiles {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let t = Instant::now();
                        let reply = agent
                            .get(format!("{url}/api/tiles/14/{x}/{y}.mvt?rev={rev}"))
                            .header("authorization", &auth)
                            .call();
                        sent += 1;
                        match reply {
                            Ok(mut r) if r.status() == 200 => {
                                let n = r.body_mut().read_to_vec().map_or(0, |b| b.len());
                                bytes.fetch_add(n as u64, Ordering::Relaxed);
                                tile_reads
                                    .lock()
                                    .unwrap()
                                    .latencies_us
                                    .push(t.elapsed().as_micros() as u64);
                            }
                            // A revision dropped from the server's few kept ones is a 404
                            // the map would answer by re-posting: counted as an error here.
                            Ok(r) => tile_reads
                                .lock()
                                .unwrap()
                                .errors
                                .push(format!("tile: {}", r.status())),
                            Err(e) => tile_reads.lock().unwrap().errors.push(format!("tile: {e}")),
                        }
                    }
                    if think_ms > 0.0 {
                        let pause_ms = think_ms * (0.5 + uniform());
                        std::thread::sleep(Duration::from_secs_f64(pause_ms / 1e3));
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(args.seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let elapsed_s = started.elapsed().as_secs_f64();

    let mut report = json!({
        "clients": args.clients, "seconds": elapsed_s, "think_ms": args.think_ms,
        "city": info["name"], "units": units.len(), "tile_bytes": bytes.load(Ordering::Relaxed),
    });
    let mut all: Vec<u64> = Vec::new();
    let mut errors_total = 0;
    for (name, tally) in [("whatif", &whatifs), ("tile", &tile_reads)] {
        let tally = tally.lock().unwrap();
        let mut sorted = tally.latencies_us.clone();
        sorted.sort_unstable();
        all.extend(&sorted);
        errors_total += tally.errors.len();
        let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
        for e in &tally.errors {
            *kinds.entry(e.as_str()).or_default() += 1;
        }
        println!(
            "{name:>7}: {:>7} ok, {:>8.1}/s, p50 {:>7.1} ms, p99 {:>7.1} ms, max {:>7.1} ms, {} errors {:?}",
            sorted.len(),
            sorted.len() as f64 / elapsed_s,
            percentile(&sorted, 50.0),
            percentile(&sorted, 99.0),
            percentile(&sorted, 100.0),
            tally.errors.len(),
            kinds
        );
        report[name] = json!({
            "ok": sorted.len(), "per_s": sorted.len() as f64 / elapsed_s,
            "p50_ms": percentile(&sorted, 50.0), "p99_ms": percentile(&sorted, 99.0),
            "max_ms": percentile(&sorted, 100.0), "errors": tally.errors.len(), "error_kinds": kinds,
        });
    }
    all.sort_unstable();
    println!(
        "    all: {:>7} ok, {:>8.1}/s, p50 {:>7.1} ms, p99 {:>7.1} ms, {} errors",
        all.len(),
        all.len() as f64 / elapsed_s,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        errors_total
    );
    report["all"] = json!({"ok": all.len(), "per_s": all.len() as f64 / elapsed_s,
        "p50_ms": percentile(&all, 50.0), "p99_ms": percentile(&all, 99.0), "errors": errors_total});
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report).unwrap())
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    if errors_total > 0 {
        std::process::exit(1);
    }
}
