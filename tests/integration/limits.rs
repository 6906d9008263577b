//! Issue 15: what a hostile user or a careless operator can do to a running server, over real
//! HTTP on the demo city: every planning request bounded in time and memory and stopped when
//! its client gives up, others served meanwhile; big geometry bounded.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::temp_dir;
use crate::server::{start_server, Reply, Server};

fn post(server: &Server, path: &str, body: &str) -> Reply {
    server.call("POST", path, Some(body), Some(&server.token))
}

/// The demo scenario with a venue drawn around the whole city.
fn whole_city_event(server: &Server) -> Value {
    let mut scenario = server.get("/api/scenario").json();
    let b: Vec<f64> =
        serde_json::from_value(server.get("/api/info").json()["bbox"].clone()).unwrap();
    let ring = json!([
        [b[0], b[1]],
        [b[2], b[1]],
        [b[2], b[3]],
        [b[0], b[3]],
        [b[0], b[1]]
    ]);
    scenario["features"].as_array_mut().unwrap().push(json!({"type": "Feature",
        "properties": {"kind": "event_area", "id": "city", "name": "whole city", "standard": "60:2,180:3"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}));
    scenario
}

/// Sends `request` on a raw connection and closes it after `wait`, unanswered (a client that
/// gives up).
fn give_up_after(server: &Server, path: &str, body: &str, wait: Duration) {
    let address = server.base.trim_start_matches("http://");
    let mut tcp = std::net::TcpStream::connect(address).unwrap();
    write!(
        tcp,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.token,
        body.len()
    )
    .unwrap();
    std::thread::sleep(wait);
    tcp.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 64];
    // Nothing answered yet: the work is still running when the client leaves.
    assert!(tcp.read(&mut buf).is_err(), "answered within {wait:?}");
    drop(tcp);
}

#[test]
fn planning_work_is_bounded_and_stops_when_given_up() {
    let server = start_server(&temp_dir("limits-work").join("s.db"));
    let scenario = server.get("/api/scenario").json().to_string();

    // The fewest posts for every road within 5 minutes, given one second: an answer (the
    // best by then, unproven) or a refusal that says how to ask less; never minutes.
    let started = Instant::now();
    let reply = post(
        &server,
        "/api/optimize?cover=roads&budget_s=180&time_limit_s=1",
        &scenario,
    );
    let took = started.elapsed();
    match reply.status {
        200 => assert_eq!(reply.json()["time_ran_out"], true, "{}", reply.json()),
        422 => {
            assert_eq!(reply.json()["field"], "time_limit_s", "{}", reply.json());
            assert_eq!(reply.json()["code"], "time_limit_too_short");
        }
        other => panic!("{other}: {}", String::from_utf8_lossy(&reply.body)),
    }
    // (38 s before the work carried its deadline; a generous bound, not a timing.)
    assert!(took < Duration::from_secs(15), "{took:?}");

    // An hour's budget from every node: the matrix is sized first and refused.
    let reply = post(
        &server,
        "/api/optimize?add=5&budget_s=3600&time_limit_s=60",
        &scenario,
    );
    reply.assert_status(422);
    let error = reply.json();
    assert_eq!(error["field"], "candidates");
    assert_eq!(error["code"], "question_too_large");
    assert!(error["error"].as_str().unwrap().contains("MB"), "{error}");

    // An event over the whole city, given one second.
    let event = whole_city_event(&server).to_string();
    let started = Instant::now();
    let reply = post(&server, "/api/event/plan?area=city&time_limit_s=1", &event);
    assert!(
        matches!(reply.status, 200 | 422),
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // A client that gives up on a long plan frees its slot: the next plan is served, not
    // told the server is busy, while what-ifs and coverage answer throughout.
    give_up_after(
        &server,
        "/api/optimize?cover=roads&budget_s=180&time_limit_s=60",
        &scenario,
        Duration::from_millis(800),
    );
    let whatif = post(&server, "/api/whatif", &scenario);
    whatif.assert_status(200);
    server.get("/api/coverage").assert_status(200);
    let reply = post(
        &server,
        "/api/optimize?add=2&budget_s=60&candidates=random:50:1&time_limit_s=5",
        &scenario,
    );
    reply.assert_status(200);
    assert_eq!(reply.json()["added"].as_array().unwrap().len(), 2);
}

/// A closed ring of `vertices` around the demo city's centre, a kilometre across.
fn circle(vertices: usize) -> Vec<[f64; 2]> {
    (0..vertices)
        .map(|i| {
            let a = i as f64 / vertices as f64 * std::f64::consts::TAU;
            [-54.58 + 0.01 * a.cos(), -20.46 + 0.01 * a.sin()]
        })
        .chain(std::iter::once([-54.57, -20.46]))
        .collect()
}

#[test]
fn big_geometry_is_refused_naming_the_feature() {
    let server = start_server(&temp_dir("limits-geometry").join("s.db"));
    let mut scenario = server.get("/api/scenario").json();
    // A closure of 300,000 vertices (a traced perimeter, or an attack).
    let ring = circle(300_000);
    let at = scenario["features"].as_array().unwrap().len();
    scenario["features"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "Feature",
        "properties": {"kind": "closure", "id": "perimeter"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}));
    let reply = server.call(
        "POST",
        "/api/whatif",
        Some(&scenario.to_string()),
        Some(&server.token),
    );
    reply.assert_status(413);
    let error = reply.json();
    assert_eq!(error["field"], format!("features[{at}].geometry"));
    assert_eq!(error["code"], "scenario_too_large");
    assert!(
        error["error"].as_str().unwrap().contains("perimeter"),
        "{error}"
    );
    // Simplified to 5,000 vertices it is evaluated.
    let ring = circle(5_000);
    scenario["features"][at]["geometry"]["coordinates"] = json!([ring]);
    let reply = server.call(
        "POST",
        "/api/whatif",
        Some(&scenario.to_string()),
        Some(&server.token),
    );
    reply.assert_status(200);
    assert!(reply.json()["closed_edges"].as_u64().unwrap() > 0);
}

/// `method path` with these extra headers, as a raw HTTP/1.1 request (what a browser or an
/// attacker's page would send); the status and the body.
fn raw(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let address = server.base.trim_start_matches("http://");
    let mut tcp = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    tcp.write_all(request.as_bytes()).unwrap();
    let mut reply = Vec::new();
    tcp.read_to_end(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply).to_string();
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn audit(server: &Server) -> Vec<Value> {
    server
        .get("/api/audit?limit=100000")
        .json()
        .as_array()
        .unwrap()
        .clone()
}

fn add_user(server: &Server, name: &str, role: &str) -> String {
    let reply = post(
        server,
        "/api/users",
        &json!({"name": name, "role": role}).to_string(),
    );
    reply.assert_status(201);
    reply.json()["token"].as_str().unwrap().to_string()
}

#[test]
fn wrong_tokens_are_cheap_limited_and_logged_in_moderation() {
    let server = start_server(&temp_dir("limits-tokens").join("s.db"));
    let planner = add_user(&server, "li", "planner");
    let viewer = add_user(&server, "zhao", "viewer");
    // At most a few wrong secrets are hashed before the id is refused unhashed (429); li and
    // everyone else still get in.
    // li is at work: their token is checked (and so known) before the attack.
    assert_eq!(
        server.call("GET", "/api/info", None, Some(&planner)).status,
        200
    );
    let id = &planner[..15];
    // A hundred wrong secrets under li's real id, all at once (the flood arrives before its
    // first request has failed).
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let server = &server;
                scope.spawn(move || {
                    let wrong = format!("{id}{:036x}", i + 1);
                    server.call("GET", "/api/info", None, Some(&wrong)).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|&s| s == 401 || s == 429),
        "{statuses:?}"
    );
    let hashed = statuses.iter().filter(|&&s| s == 401).count();
    assert!(hashed <= 20, "{hashed} wrong tokens were hashed");
    assert!(statuses.contains(&429));
    assert_eq!(
        server.call("GET", "/api/info", None, Some(&planner)).status,
        200
    );
    // The same wrong token again is refused from memory, also in lower-case `bearer`.
    let lower = raw(
        &server,
        "GET",
        "/api/info",
        &[("Authorization", &format!("bearer {planner}"))],
        "",
    );
    assert_eq!(lower.0, 200, "{}", lower.1);
    // A viewer's save is a 403, and the refusals are in the audit log: a line per kind and
    // address, not a line per request.
    let refused = server.call(
        "POST",
        "/api/scenarios/x",
        Some("{\"type\":\"FeatureCollection\",\"features\":[]}"),
        Some(&viewer),
    );
    refused.assert_status(403);
    let log = audit(&server);
    let lines = |action: &str| log.iter().filter(|e| e["action"] == action).count();
    assert!(
        (1..=2).contains(&lines("token_refused")),
        "{}",
        lines("token_refused")
    );
    let forbidden: Vec<&Value> = log.iter().filter(|e| e["action"] == "forbidden").collect();
    assert_eq!(forbidden.len(), 1);
    assert_eq!(forbidden[0]["actor"], "zhao");
    assert!(forbidden[0]["target"]
        .as_str()
        .unwrap()
        .contains("/api/scenarios/{name}"));
    // A cell that a spreadsheet would run is written as text in the CSV.
    let csv = server.get("/api/audit.csv");
    assert!(!String::from_utf8_lossy(&csv.body)
        .lines()
        .any(|l| l.split(',').any(|c| c.starts_with('='))));
}

#[test]
fn a_removed_user_is_out_at_once_on_every_server() {
    let dir = temp_dir("limits-removed");
    let db = dir.join("s.db");
    let first = start_server(&db);
    let second = crate::server::start_server_on(db.to_str().unwrap(), false, &[]);
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
            .args(args)
            .args(["--db", db.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let printed = cli(&["user", "add", "wang", "--role", "viewer"]);
    let token = printed
        .split_whitespace()
        .find(|w| w.starts_with("pm_"))
        .expect("a token")
        .to_string();
    for server in [&first, &second] {
        assert_eq!(
            server.call("GET", "/api/info", None, Some(&token)).status,
            200
        );
    }
    cli(&["user", "remove", "wang"]);
    for server in [&second, &first] {
        let reply = server.call("GET", "/api/info", None, Some(&token));
        reply.assert_status(401);
    }
}

#[test]
fn another_sites_page_cannot_change_anything() {
    let server = start_server(&temp_dir("limits-csrf").join("s.db"));
    let signed_in = raw(
        &server,
        "POST",
        "/api/session",
        &[("Content-Type", "application/json")],
        &json!({"token": server.token}).to_string(),
    );
    assert_eq!(signed_in.0, 200, "{}", signed_in.1);
    let cookie = format!("patrolmap_token={}", server.token);
    let scenario = server.get("/api/scenario").json().to_string();
    let user = json!({"name": "intruder", "role": "admin"}).to_string();
    // A form's text/plain body with the cookie: refused before anything is read.
    for (path, body) in [
        ("/api/scenarios/planted", scenario.as_str()),
        ("/api/users", user.as_str()),
    ] {
        let (status, reply) = raw(
            &server,
            "POST",
            path,
            &[("Cookie", &cookie), ("Content-Type", "text/plain")],
            body,
        );
        assert_eq!(status, 415, "{path}: {reply}");
        assert!(reply.contains("content-type"), "{reply}");
        assert!(
            reply.contains("\"code\":\"unsupported_media_type\""),
            "{reply}"
        );
        // JSON, but the browser says it comes from another site.
        let (status, reply) = raw(
            &server,
            "POST",
            path,
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/json"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
            body,
        );
        assert_eq!(status, 403, "{path}");
        assert!(reply.contains("\"code\":\"cross_site\""), "{reply}");
        assert!(reply.contains("\"code\":\"cross_site\""), "{reply}");
        let (status, _) = raw(
            &server,
            "POST",
            path,
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/json"),
                ("Origin", "http://evil.example"),
            ],
            body,
        );
        assert_eq!(status, 403, "{path}");
    }
    assert!(server
        .get("/api/scenarios")
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    assert!(!server
        .get("/api/users")
        .json()
        .to_string()
        .contains("intruder"));
    // The map's own request (same origin) is served.
    let own = format!("http://{}", server.base.trim_start_matches("http://"));
    let (status, reply) = raw(
        &server,
        "POST",
        "/api/scenarios/own",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/json"),
            ("Origin", &own),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &scenario,
    );
    assert_eq!(status, 201, "{reply}");
}

#[test]
fn the_client_address_comes_from_a_trusted_proxy_only() {
    let dir = temp_dir("limits-proxy");
    let direct = start_server(&dir.join("direct.db"));
    let proxied = crate::server::start_server_with(
        &dir.join("proxied.db"),
        &["--trusted-proxy", "127.0.0.1"],
    );
    for (server, expected) in [(&direct, "127.0.0.1"), (&proxied, "203.0.113.9")] {
        let wrong = format!("pm_{}", "a".repeat(48));
        let (status, _) = raw(
            server,
            "GET",
            "/api/info",
            &[
                ("Authorization", &format!("Bearer {wrong}")),
                ("X-Forwarded-For", "198.51.100.1, 203.0.113.9"),
            ],
            "",
        );
        assert_eq!(status, 401);
        let log = audit(server);
        let line = log
            .iter()
            .find(|e| e["action"] == "token_refused")
            .expect("logged");
        assert_eq!(line["remote"], expected, "{line}");
    }
}

#[test]
fn names_that_mislead_are_refused_and_kept_composed() {
    let server = start_server(&temp_dir("limits-names").join("s.db"));
    let scenario = server.get("/api/scenario").json().to_string();
    let auth = format!("Bearer {}", server.token);
    for name in [
        ".",
        "..",
        "%20%20",
        "fair%E2%80%AEgpj",
        "fair%E2%80%8B",
        "a%00b",
    ] {
        let (status, body) = raw(
            &server,
            "POST",
            &format!("/api/scenarios/{name}"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            &scenario,
        );
        assert_eq!(status, 400, "{name}: {body}");
        assert!(body.contains("\"field\":\"name\""), "{name}: {body}");
        assert!(body.contains("\"code\":\"invalid_name\""), "{name}: {body}");
    }
    for name in ["li\u{200B}", "li\u{202E}", " "] {
        let reply = post(
            &server,
            "/api/users",
            &json!({"name": name, "role": "viewer"}).to_string(),
        );
        reply.assert_status(400);
    }
    // "Café" typed with a combining accent is the same scenario as the composed one.
    post(&server, "/api/scenarios/Cafe%CC%81", &scenario).assert_status(201);
    let listed = server.get("/api/scenarios").json();
    assert_eq!(listed[0]["scenario"], "Caf\u{e9}", "{listed}");
    server.get("/api/scenarios/Caf%C3%A9").assert_status(200);
}

#[test]
fn every_api_error_is_json_and_the_web_folder_serves_only_the_page() {
    let server = start_server(&temp_dir("limits-edges").join("s.db"));
    let auth = format!("Bearer {}", server.token);
    for path in [
        "/api/",
        "/api/scenarios/%FF%FE",
        "/api/tiles/1/2/3.mvt?rev=%FF",
    ] {
        let (status, body) = raw(&server, "GET", path, &[("Authorization", &auth)], "");
        assert!((400..500).contains(&status), "{path}: {status}");
        let value: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        assert!(value["error"].is_string(), "{path}: {body}");
    }
    for path in [
        "/package.json",
        "/package-lock.json",
        "/tests/e2e.test.mjs",
        "/node_modules/.package-lock.json",
    ] {
        let (status, _) = raw(&server, "GET", path, &[], "");
        assert_eq!(status, 404, "{path}");
    }
    for path in ["/", "/app.js", "/style.css"] {
        let (status, _) = raw(&server, "GET", path, &[], "");
        assert_eq!(status, 200, "{path}");
    }
}

#[test]
fn a_snap_distance_must_be_a_distance() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for bad in ["NaN", "inf", "-5", "0", "far"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
            .args(["coverage", "--roads"])
            .arg(root.join("data/campo-grande.osm.pbf"))
            .arg("--scenario")
            .arg(root.join("data/demo-scenario.geojson"))
            .arg(format!("--max-snap-m={bad}"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(
            stderr.contains("--max-snap-m") && stderr.contains("finite"),
            "{bad}: {stderr}"
        );
    }
}
