//! Long work seen and stopped while it runs (issue 17): a request sent with `progress=ID` is
//! followed at `GET /api/work/ID` (its stage and steps, as the algorithms report them) and
//! stopped by `DELETE /api/work/ID`, over real HTTP.

use std::time::{Duration, Instant};

use crate::common::temp_dir;
use crate::server::{agent, read, start_server, Server};

fn ask_suggestions(
    server: &Server,
    id: &str,
) -> std::thread::JoinHandle<(u16, serde_json::Value, f64)> {
    let url = format!(
        "{}/api/optimize?add=5&candidates=nodes&budget_s=300&units=3&time_limit_s=60&progress={id}",
        server.base
    );
    let token = server.token.clone();
    let body = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo-scenario.geojson"),
    )
    .unwrap();
    std::thread::spawn(move || {
        let started = Instant::now();
        let reply = read(
            agent()
                .post(&url)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .send(&body)
                .unwrap(),
        );
        let json = serde_json::from_slice(&reply.body).unwrap_or_default();
        (reply.status, json, started.elapsed().as_secs_f64())
    })
}

#[test]
fn long_work_reports_its_stage_and_stops_when_told() {
    let server = start_server(&temp_dir("work-progress").join("scenarios.db"));
    assert_eq!(server.get("/api/work/nothing-here-1").status, 404);
    assert_eq!(server.get("/api/work/x?progress=1").status, 404);
    let demo = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo-scenario.geojson"),
    )
    .unwrap();
    let bad = server.call(
        "POST",
        "/api/optimize?add=1&progress=no%20spaces",
        Some(&demo),
        Some(&server.token),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["field"], "progress");

    let id = "suggest-0000001";
    let request = ask_suggestions(&server, id);
    // The matrix of every road node counts its candidates as it goes.
    let deadline = Instant::now() + Duration::from_secs(50);
    let mut seen = Vec::new();
    loop {
        let reply = server.get(&format!("/api/work/{id}"));
        if reply.status == 200 {
            let p = reply.json();
            let stage = p["stage"].as_str().unwrap().to_string();
            if stage == "matrix" {
                assert!(p["total"].as_u64().unwrap() > 1000, "{p}");
                assert!(p["done"].as_u64().unwrap() <= p["total"].as_u64().unwrap());
                assert!(p["time_left_s"].as_f64().unwrap() <= 60.0);
            }
            if seen.last() != Some(&stage) {
                seen.push(stage.clone());
            }
            if stage == "matrix" && p["done"].as_u64().unwrap() > 0 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no matrix progress seen: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Told to stop, the work ends at once (not after its 60 s) and says why.
    let told = Instant::now();
    let stopped = server.call(
        "DELETE",
        &format!("/api/work/{id}"),
        None,
        Some(&server.token),
    );
    assert_eq!(stopped.status, 200);
    assert!(["matrix", "search"].contains(&stopped.json()["stage"].as_str().unwrap()));
    let (status, body, _) = request.join().unwrap();
    assert!(
        told.elapsed() < Duration::from_secs(20),
        "{:?}",
        told.elapsed()
    );
    assert!(status >= 400, "{status} {body}");
    // Ended: still answered a moment, as done.
    let after = server.get(&format!("/api/work/{id}")).json();
    assert_eq!(after["stage"], "done", "{after}");
    // Without a sign-in, nothing is said.
    assert_eq!(
        server
            .call("GET", &format!("/api/work/{id}"), None, None)
            .status,
        401
    );
}
