//! Live operations over real HTTP on the demo city: a feed's positions (each refused one
//! with why), the board, the live coverage against the plan's, the 110 call's package against
//! the who-reaches ranking (a forward search from every unit), statuses, and a restarted
//! server's board from the store.

use serde_json::{json, Value};

use crate::common::temp_dir;
use crate::server::{start_server_with, Server};

fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A user of `role` on `server`, and their token.
fn user(server: &Server, name: &str, role: &str) -> String {
    let reply = server.call(
        "POST",
        "/api/users",
        Some(&json!({"name": name, "role": role}).to_string()),
        Some(&server.token),
    );
    reply.assert_status(201);
    reply.json()["token"].as_str().unwrap().to_string()
}

/// The demo plan's units (not posts): id and position.
fn plan_units(server: &Server) -> Vec<(String, [f64; 2])> {
    let scenario = server.get("/api/scenario").json();
    scenario["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["kind"] == "unit")
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                f["properties"]["id"].as_str().unwrap().to_string(),
                [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()],
            )
        })
        .collect()
}

fn post(server: &Server, path: &str, body: &Value, token: &str) -> crate::server::Reply {
    server.call("POST", path, Some(&body.to_string()), Some(token))
}

/// `patrolmap live simulate` on the demo city's roads with `scenario`, for the caller's flags.
fn live_simulate(scenario: &std::path::Path) -> std::process::Command {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"));
    command
        .args(["live", "simulate", "--roads"])
        .arg(format!("{root}/data/campo-grande.osm.pbf"))
        .arg("--scenario")
        .arg(scenario);
    command
}

/// The times of a drill report's calls, in order.
fn call_times(report: &Value) -> Vec<f64> {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call")
        .map(|e| e["time_s"].as_f64().unwrap())
        .collect()
}

/// The demo scenario's file.
fn demo_scenario_path() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo-scenario.geojson")
}

/// The demo city prepared with the default profiles and its plan, once for every test here.
fn demo_city() -> &'static (patrolmap::city::City, patrolmap::scenario::Scenario) {
    use patrolmap::network::{self, NoProgress, ProfileSet};
    static DEMO: std::sync::OnceLock<(patrolmap::city::City, patrolmap::scenario::Scenario)> =
        std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let roads = network::load(
            format!("{root}/data/campo-grande.osm.pbf").as_ref(),
            &NoProgress,
        )
        .unwrap();
        let city = patrolmap::city::City::prepare(
            "demo".into(),
            roads,
            ProfileSet::default(),
            Default::default(),
        );
        let text = std::fs::read_to_string(format!("{root}/data/demo-scenario.geojson")).unwrap();
        let plan = patrolmap::scenario::read_geojson_str(&text).unwrap();
        (city, plan)
    })
}

#[test]
fn live_positions_drive_the_board_the_coverage_and_the_call() {
    let dir = temp_dir("live-http");
    let db = dir.join("s.db");
    let server = start_server_with(&db, &[]);
    let feed = user(&server, "gateway", "feed");
    let planner = user(&server, "duty", "planner");
    let units = plan_units(&server);
    assert_eq!(units.len(), 11);

    // Nothing counted before any position came.
    let board = server.get("/api/live/units").json();
    assert_eq!(board["units"].as_array().unwrap().len(), 11);
    assert_eq!(board["counted"], 0);
    assert!(board["units"][0]["stale"].as_bool().unwrap());

    // A feed may send positions and nothing else; a planner may not send them.
    let empty = json!({"positions": []});
    post(&server, "/api/live/positions", &empty, &feed).assert_status(200);
    post(&server, "/api/live/positions", &empty, &planner).assert_status(403);
    let refused = server.call("GET", "/api/live/units", None, Some(&feed));
    refused.assert_status(403);
    assert!(refused.json()["error"].as_str().unwrap().contains("feed"));

    // Every unit where the plan has it, standing; then the broken ones a gateway sends.
    let now = now_s().floor();
    let mut positions: Vec<Value> = units
        .iter()
        .map(|(id, p)| json!({"unit": id, "lon": p[0], "lat": p[1], "time": now - 5.0}))
        .collect();
    let (first, p0) = (&units[0].0, units[0].1);
    positions.extend([
        json!({"unit": "nobody", "lon": p0[0], "lat": p0[1], "time": now}),
        json!({"unit": first, "lon": p0[0], "lat": p0[1], "time": now - 60.0}),
        json!({"unit": units[1].0, "lon": p0[0], "lat": p0[1], "time": now + 3600.0}),
        json!({"unit": units[2].0, "lon": 0.0, "lat": 0.0, "time": now}),
        json!({"unit": units[3].0, "lon": p0[0], "lat": p0[1], "time": "yesterday"}),
        json!({"unit": units[4].0, "lat": p0[1], "time": now}),
    ]);
    let reply = post(
        &server,
        "/api/live/positions",
        &json!({"positions": positions}),
        &feed,
    );
    reply.assert_status(200);
    let taken = reply.json();
    assert_eq!(taken["taken"], 11, "{taken}");
    let codes: Vec<(u64, &str)> = taken["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (11, "unknown_unit"),
            (12, "out_of_order"),
            (13, "in_future"),
            (14, "far_from_roads"),
            (15, "bad_field"),
            (16, "bad_field")
        ],
        "{taken}"
    );
    assert_eq!(taken["refused"][5]["field"], "lon");

    // The live coverage of every unit where the plan has it is the plan's coverage.
    let board = server.get("/api/live/units").json();
    assert_eq!(board["counted"], 11);
    let live = server.get("/api/live/coverage").json();
    let plan = server.get("/api/coverage").json();
    for k in 0..3 {
        let (a, b) = (
            live["tiers"][k]["covered_m"].as_f64().unwrap(),
            plan["tiers"][k]["covered_m"].as_f64().unwrap(),
        );
        assert!(
            (a - b).abs() <= 1e-6 * b.max(1.0),
            "tier {k}: live {a} plan {b}"
        );
    }
    assert!(live["tiles"]
        .as_str()
        .unwrap()
        .contains(&format!("rev={}", live["rev"])));
    // Asked again with nothing changed: the same revision, not evaluated again.
    assert_eq!(server.get("/api/live/coverage").json()["rev"], live["rev"]);

    // The call's package equals who-reaches' ranking of the plan's units at the same point
    // (a forward search from every unit, against the call's one backward search).
    let call = [p0[0] + 0.004, p0[1] - 0.003];
    let package = post(
        &server,
        "/api/live/incident",
        &json!({"lon": call[0], "lat": call[1], "limit": 50, "priority": 1}),
        &planner,
    );
    package.assert_status(200);
    let package = package.json();
    assert_eq!(package["priority"], 1);
    let who = server
        .get(&format!(
            "/api/isochrone?lon={}&lat={}&limit=50",
            call[0], call[1]
        ))
        .json();
    let want: Vec<(String, f64)> = who["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["kind"] == "unit")
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["time_s"].as_f64().unwrap(),
            )
        })
        .collect();
    let got: Vec<(String, f64)> = package["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["unit"].as_str().unwrap().to_string(),
                u["eta_s"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(!got.is_empty());
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.0, w.0);
        assert!((g.1 - w.1).abs() < 1e-6, "{g:?} vs {w:?}");
    }
    let route = package["units"][0]["route"].as_array().unwrap();
    assert!(route.len() >= 2);
    assert_eq!(package["position"], who["position"]);
    let tiers = package["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 3);
    for (k, t) in tiers.iter().enumerate() {
        let within = got
            .iter()
            .filter(|u| u.1 <= t["budget_s"].as_f64().unwrap())
            .count();
        assert_eq!(t["arriving"], within);
        assert_eq!(
            t["met"],
            within >= t["units"].as_u64().unwrap() as usize,
            "tier {k}"
        );
    }

    // Every unit where the plan has it: the plan's coverage, so no alert.
    let alerts = server.get("/api/live/alerts").json();
    assert_eq!(alerts["active"], json!([]), "{alerts}");
    assert_eq!(alerts["level"], 0.9);

    // All units sent away: the alerts are raised (pushed to the map as events too), and
    // cleared when they are back.
    let events = {
        let url = format!("{}/api/live/events", server.base);
        let token = server.token.clone();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut response = crate::server::agent()
                .get(&url)
                .header("authorization", format!("Bearer {token}"))
                .call()
                .unwrap();
            let reader = std::io::BufReader::new(response.body_mut().as_reader());
            for line in std::io::BufRead::lines(reader) {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        rx
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ids: Vec<&String> = units.iter().map(|u| &u.0).collect();
    post(
        &server,
        "/api/live/status",
        &json!({"units": ids, "status": "en_route"}),
        &planner,
    )
    .assert_status(200);
    server.get("/api/live/coverage").assert_status(200);
    let raised = server.get("/api/live/alerts").json();
    let active = raised["active"].as_array().unwrap();
    assert!(active.iter().any(|a| a["kind"] == "tier"), "{raised}");
    assert!(
        active
            .iter()
            .any(|a| a["kind"] == "site" && a["site_kind"] == "checkpoint"),
        "{raised}"
    );
    for a in active {
        assert!(a["raised_s"].as_f64().unwrap() >= now - 60.0);
        assert!(a["cleared_s"].is_null());
    }
    let mut pushed = None;
    while let Ok(line) = events.recv_timeout(std::time::Duration::from_secs(10)) {
        if let Some(data) = line.strip_prefix("data: ") {
            let v: Value = serde_json::from_str(data).unwrap();
            if v["change"] == "raised" {
                pushed = Some(v);
                break;
            }
        }
    }
    let pushed = pushed.expect("an alert event is pushed");
    assert!(
        active.iter().any(|a| a["key"] == pushed["alert"]["key"]),
        "{pushed}"
    );
    post(
        &server,
        "/api/live/status",
        &json!({"units": ids, "status": "available"}),
        &planner,
    )
    .assert_status(200);
    server.get("/api/live/coverage").assert_status(200);
    let cleared = server.get("/api/live/alerts").json();
    assert_eq!(cleared["active"], json!([]), "{cleared}");
    let recent = cleared["recent"].as_array().unwrap();
    assert_eq!(recent.len(), active.len());
    assert!(recent
        .iter()
        .all(|a| a["cleared_s"].as_f64() >= a["raised_s"].as_f64()));

    // Sending the first unit: it is busy, not in the next package, and the coverage moves.
    let sent = &got[0].0;
    let bad = post(
        &server,
        "/api/live/status",
        &json!({"units": [sent, "nobody"], "status": "en_route"}),
        &planner,
    );
    crate::server::assert_error(&bad, 400, Some("units"));
    let board = post(
        &server,
        "/api/live/status",
        &json!({"units": [sent], "status": "en_route"}),
        &planner,
    );
    board.assert_status(200);
    assert_eq!(board.json()["counted"], 10);
    let again = post(
        &server,
        "/api/live/incident",
        &json!({"lon": call[0], "lat": call[1]}),
        &planner,
    )
    .json();
    assert_eq!(again["not_counted"]["busy"], 1);
    assert!(again["units"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["unit"] != *sent));
    let moved = server.get("/api/live/coverage").json();
    assert_ne!(moved["rev"], live["rev"]);
    assert!(
        moved["tiers"][0]["covered_m"].as_f64().unwrap()
            <= live["tiers"][0]["covered_m"].as_f64().unwrap()
    );

    // Move-up with the first unit away: at most two moves of other units, each to its own
    // place, each restoring something, measured before and after.
    let proposal = post(
        &server,
        "/api/live/moveup",
        &json!({"max_moves": 2}),
        &planner,
    );
    proposal.assert_status(200);
    let proposal = proposal.json();
    let moves = proposal["moves"].as_array().unwrap();
    assert!(!moves.is_empty() && moves.len() <= 2, "{proposal}");
    assert!(moves
        .iter()
        .all(|m| m["unit"] != *sent && m["travel_s"].as_f64().unwrap().is_finite()));
    assert_ne!(
        moves.first().map(|m| &m["unit"]),
        moves.get(1).map(|m| &m["unit"])
    );
    assert!(moves.iter().all(|m| m["gain_m"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_f64().unwrap())
        .sum::<f64>()
        > 0.0));
    assert_eq!(proposal["targets"], 20);
    let before: f64 = proposal["tier_shares_before"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    let live_now: f64 = server.get("/api/live/coverage").json()["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["share"].as_f64().unwrap())
        .sum();
    assert!((before - live_now).abs() < 1e-9, "{before} vs {live_now}");
    crate::server::assert_error(
        &post(
            &server,
            "/api/live/moveup",
            &json!({"max_moves": 0}),
            &planner,
        ),
        400,
        Some("max_moves"),
    );
    let accept = json!({"moves": [{"unit": moves[0]["unit"], "to": moves[0]["to"]}]});
    let board = post(&server, "/api/live/moveup/accept", &accept, &planner);
    board.assert_status(200);
    let told = board.json()["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == moves[0]["unit"])
        .unwrap()
        .clone();
    assert_eq!(told["move_to"], moves[0]["to"]);
    post(&server, "/api/live/moveup/accept", &accept, &feed).assert_status(403);

    // On the move: no turnout, and it leaves the way it heads.
    let moving = post(
        &server,
        "/api/live/positions",
        &json!({"positions": [{"unit": units[5].0, "lon": units[5].1[0], "lat": units[5].1[1], "time": now - 1.0, "heading_deg": 90, "speed_kph": 40}]}),
        &feed,
    );
    assert_eq!(moving.json()["taken"], 1);

    // Bad calls.
    let no_road = post(
        &server,
        "/api/live/incident",
        &json!({"lon": 0.0, "lat": 0.0}),
        &planner,
    );
    crate::server::assert_error(&no_road, 400, Some("lon"));
    let bad_standard = post(
        &server,
        "/api/live/incident",
        &json!({"lon": call[0], "lat": call[1], "standard": "soon"}),
        &planner,
    );
    crate::server::assert_error(&bad_standard, 400, Some("standard"));

    // A restarted server has the board back: the positions and the status.
    drop(server);
    let server = start_server_with(&db, &[]);
    let board = server.get("/api/live/units").json();
    let of = |id: &str| {
        board["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(of(sent)["status"], "en_route");
    assert_eq!(of(&units[5].0)["speed_kph"], 40.0);
    assert_eq!(board["counted"], 10, "{board}");
}

/// A store made before the feed role (its users table's check lists three roles) takes a
/// feed user once opened by this patrolmap, its users kept.
#[test]
fn a_store_from_before_the_feed_role_takes_a_feed() {
    use patrolmap::store::{Actor, Role, Store};
    let dir = temp_dir("live-old-store");
    let path = dir.join("old.db");
    {
        let store = Store::open(&path).unwrap();
        store
            .add_user(&Actor::local("t"), "old", Role::Planner, None)
            .unwrap();
    }
    {
        // Put the old table back, as a store of the last release has it.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE u2 (name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('viewer', 'planner', 'admin')), created_at INTEGER NOT NULL);
             INSERT INTO u2 SELECT * FROM users; DROP TABLE users; ALTER TABLE u2 RENAME TO users;",
        )
        .unwrap();
        let refused = c.execute("INSERT INTO users VALUES ('gw', 'feed', 0)", []);
        assert!(refused.is_err(), "the old check refuses a feed");
    }
    let store = Store::open(&path).unwrap();
    store
        .add_user(&Actor::local("t"), "gw", Role::Feed, None)
        .unwrap();
    let users = store.users().unwrap();
    let roles: Vec<(String, Role)> = users.iter().map(|u| (u.name.clone(), u.role)).collect();
    assert!(roles.contains(&("old".into(), Role::Planner)));
    assert!(roles.contains(&("gw".into(), Role::Feed)));
}

/// Alerts on the demo city: nothing when live is the plan; with the units gone, every tier
/// below its level and every site the plan met at a tier raised once (not again while they
/// last); all cleared, with their times, when the units are back.
#[test]
fn alerts_rise_once_and_clear_against_the_plan() {
    use patrolmap::live::alerts::Alerts;
    let (city, plan_scenario) = demo_city();
    let plan = city.evaluate(plan_scenario.clone());
    let mut gone = plan_scenario.clone();
    gone.units
        .retain(|u| u.kind == patrolmap::scenario::UnitKind::Post);
    let without = city.evaluate(gone);
    let standard = &city.options.standard;
    let mut alerts = Alerts::default();
    assert!(alerts
        .update(standard, plan.assessment(), plan.assessment(), 0.9, 10.0)
        .is_empty());
    let raised = alerts.update(standard, plan.assessment(), without.assessment(), 0.9, 20.0);
    assert!(raised
        .iter()
        .all(|c| c.change == "raised" && c.alert.raised_s == 20.0));
    // Every tier whose share fell below 90 % of the plan's, and every site met in the plan
    // and not now.
    let (p, w) = (plan.assessment(), without.assessment());
    let tiers: Vec<usize> = (0..standard.tiers.len())
        .filter(|&k| w.share(w.tiers[k].covered_m) < 0.9 * p.share(p.tiers[k].covered_m))
        .collect();
    assert!(!tiers.is_empty());
    let mut sites = 0;
    for (a, b) in p.points.iter().zip(&w.points) {
        if a.kind == "incident" {
            continue;
        }
        for (x, y) in a
            .tiers_met
            .iter()
            .flatten()
            .zip(b.tiers_met.iter().flatten())
        {
            sites += usize::from(*x && !*y);
        }
    }
    assert!(sites > 0);
    assert_eq!(
        raised.iter().filter(|c| c.alert.kind == "tier").count(),
        tiers.len()
    );
    assert_eq!(
        raised.iter().filter(|c| c.alert.kind == "site").count(),
        sites
    );
    // Still so: nothing new.
    assert!(alerts.update(standard, p, w, 0.9, 30.0).is_empty());
    assert_eq!(alerts.active().count(), tiers.len() + sites);
    let cleared = alerts.update(standard, p, p, 0.9, 40.0);
    assert_eq!(cleared.len(), tiers.len() + sites);
    assert!(cleared.iter().all(|c| c.change == "cleared"
        && c.alert.cleared_s == Some(40.0)
        && c.alert.raised_s == 20.0));
    assert_eq!(alerts.active().count(), 0);
    assert_eq!(alerts.recent().count(), tiers.len() + sites);
}

/// On the demo city with three units away, move-up's first move is the best single move of
/// every counted unit to every place of the plan, as plain Dijkstras on each unit's mode graph
/// and a count of units per node and tier find it.
#[test]
fn move_up_on_the_demo_city_is_the_best_single_move() {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashMap};

    use patrolmap::city::MoveTarget;
    use patrolmap::live::moveup::{propose, MoveUpOptions};
    use patrolmap::live::{Board, BoardOptions, PositionReport, Status};
    use patrolmap::network::ProfileGraph;
    use patrolmap::scenario::UnitKind;

    let (city, plan) = demo_city();
    let modes = city.open_roads();
    let mut board = Board::new(plan, BoardOptions::default());
    let reports: Vec<PositionReport> = plan
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Unit)
        .map(|u| PositionReport {
            unit: u.id.clone(),
            lon_lat: u.position,
            time_s: 0.0,
            heading_deg: None,
            speed_kph: None,
        })
        .collect();
    assert!(board
        .apply(&city.network, &modes, &reports, 0.0)
        .iter()
        .all(|v| v.is_ok()));
    let away: Vec<String> = board.units().iter().take(3).map(|u| u.id.clone()).collect();
    for id in &away {
        board.set_status(id, Status::EnRoute).unwrap();
    }
    let targets: Vec<[f64; 2]> = MoveTarget::of_plan(plan)
        .iter()
        .map(|t| t.position)
        .collect();
    let standard = &city.options.standard;
    let options = MoveUpOptions {
        max_moves: 1,
        movers_per_target: 100,
        max_travel_s: 1e9,
        max_snap_m: 200.0,
    };
    let got = propose(
        &city.network,
        &modes,
        plan,
        &board,
        standard,
        &targets,
        &options,
        0.0,
    );

    // Plain Dijkstra from an edge point on a mode graph, up to `cutoff` seconds.
    let dijkstra =
        |graph: &ProfileGraph, edge: u32, fraction: f64, cutoff: f64| -> HashMap<u32, f64> {
            let e = &city.network.edges[edge as usize];
            let mut dist: HashMap<u32, f64> = HashMap::new();
            let mut heap = BinaryHeap::new();
            for (node, forward, part) in [(e.to, true, 1.0 - fraction), (e.from, false, fraction)] {
                if graph.allows(edge, forward) {
                    heap.push(Reverse((
                        (part * graph.time_s(edge, forward)).to_bits(),
                        node,
                    )));
                }
            }
            while let Some(Reverse((bits, v))) = heap.pop() {
                let t = f64::from_bits(bits);
                if t > cutoff || dist.contains_key(&v) {
                    continue;
                }
                dist.insert(v, t);
                for (w, dt, _) in graph.forward.arcs(v) {
                    if !dist.contains_key(&w) {
                        heap.push(Reverse(((t + dt).to_bits(), w)));
                    }
                }
            }
            dist
        };
    let car = modes[0].graph;
    let mut weight = vec![0.0; city.network.nodes.len()];
    for (e, edge) in city.network.edges.iter().enumerate() {
        if car.edge_direction[e].is_some() {
            weight[edge.from as usize] += edge.length_m / 2.0;
            weight[edge.to as usize] += edge.length_m / 2.0;
        }
    }
    let graph_of = |m| modes.iter().find(|x| x.mode == m).unwrap();
    let largest = 300.0;
    // Units per node and tier: posts and counted units.
    let mut count = vec![vec![0i64; weight.len()]; standard.tiers.len()];
    let add = |reach: &HashMap<u32, f64>, start: f64, sign: i64, count: &mut Vec<Vec<i64>>| {
        for (k, tier) in standard.tiers.iter().enumerate() {
            for (&v, &t) in reach {
                if t + start <= tier.budget_s {
                    count[k][v as usize] += sign;
                }
            }
        }
    };
    for post in plan.units.iter().filter(|u| u.kind == UnitKind::Post) {
        let m = graph_of(post.mode);
        let s = m.index.snap(post.position, 200.0).unwrap();
        add(
            &dijkstra(m.graph, s.edge, s.fraction, largest),
            post.turnout_s,
            1,
            &mut count,
        );
    }
    let mut counted = Vec::new();
    for u in board.units().iter().filter(|u| !away.contains(&u.id)) {
        let fix = u.fix.as_ref().unwrap();
        let m = graph_of(u.mode);
        let unit = &plan.units[u.unit];
        let full = dijkstra(
            m.graph,
            fix.on_road.edge,
            fix.on_road.fraction,
            f64::INFINITY,
        );
        let reach: HashMap<u32, f64> = full
            .iter()
            .filter(|(_, &t)| t <= largest)
            .map(|(&v, &t)| (v, t))
            .collect();
        add(&reach, unit.turnout_s, 1, &mut count);
        counted.push((u, m, unit.turnout_s, full, reach));
    }
    let mut best = 0.0f64;
    for p in &targets {
        let s = modes[0].index.snap(*p, 200.0).unwrap();
        let e = &city.network.edges[s.edge as usize];
        for (u, m, turnout, full, reach) in &counted {
            if m.graph.edge_direction[s.edge as usize].is_none() {
                continue;
            }
            let fix = u.fix.as_ref().unwrap();
            let mut arrive = f64::INFINITY;
            if m.graph.allows(s.edge, true) {
                arrive = arrive.min(full.get(&e.from).copied().unwrap_or(f64::INFINITY));
            }
            if m.graph.allows(s.edge, false) {
                arrive = arrive.min(full.get(&e.to).copied().unwrap_or(f64::INFINITY));
            }
            if fix.on_road.edge == s.edge {
                arrive = 0.0;
            }
            if !arrive.is_finite() {
                continue;
            }
            let there = dijkstra(m.graph, s.edge, s.fraction, largest);
            let mut gain = 0.0;
            for (k, tier) in standard.tiers.iter().enumerate() {
                let mut delta: HashMap<u32, i64> = HashMap::new();
                for (&v, &t) in reach.iter() {
                    if t + turnout <= tier.budget_s {
                        *delta.entry(v).or_default() -= 1;
                    }
                }
                for (&v, &t) in &there {
                    if t + turnout <= tier.budget_s {
                        *delta.entry(v).or_default() += 1;
                    }
                }
                for (v, d) in delta {
                    let before = count[k][v as usize];
                    let need = tier.units as i64;
                    gain += weight[v as usize]
                        * (f64::from(u8::from(before + d >= need))
                            - f64::from(u8::from(before >= need)));
                }
            }
            best = best.max(gain);
        }
    }
    assert!(best > 0.0);
    let first: f64 = got[0].gain_m.iter().sum();
    assert!(
        (first - best).abs() <= 1e-6 * best,
        "move-up {first} vs best {best}"
    );
    assert!(!away.contains(&board.units()[got[0].unit].id));
}

/// Larson's hypercube queue, solved exactly: `n` units, calls at `rates[j]` per second at
/// place `j` sent to the first free unit of `preference[j]` (lost when none is free), each
/// busy for an exponential time of rate `mu`. Its busy probabilities and, per place and
/// unit, the share of all calls that unit takes first.
#[allow(clippy::needless_range_loop)] // states are bit sets: their numbers are the point
fn hypercube(
    n: usize,
    rates: &[f64],
    preference: &[Vec<usize>],
    mu: f64,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let states = 1usize << n;
    // Incoming transitions of each state, and each state's total out rate.
    let mut incoming: Vec<Vec<(usize, f64)>> = vec![Vec::new(); states];
    let mut out = vec![0.0; states];
    for s in 0..states {
        for (j, &rate) in rates.iter().enumerate() {
            if let Some(&u) = preference[j].iter().find(|&&u| s & (1 << u) == 0) {
                incoming[s | (1 << u)].push((s, rate));
                out[s] += rate;
            }
        }
        for i in 0..n {
            if s & (1 << i) != 0 {
                incoming[s & !(1 << i)].push((s, mu));
                out[s] += mu;
            }
        }
    }
    // Gauss-Seidel on the balance equations, normalised each sweep.
    let mut pi = vec![1.0 / states as f64; states];
    for _ in 0..20_000 {
        let mut change = 0.0f64;
        for s in 0..states {
            let inflow: f64 = incoming[s].iter().map(|&(from, r)| pi[from] * r).sum();
            let next = inflow / out[s];
            change = change.max((next - pi[s]).abs());
            pi[s] = next;
        }
        let total: f64 = pi.iter().sum();
        pi.iter_mut().for_each(|p| *p /= total);
        if change < 1e-15 {
            break;
        }
    }
    let busy = (0..n)
        .map(|i| {
            (0..states)
                .filter(|s| s & (1 << i) != 0)
                .map(|s| pi[s])
                .sum()
        })
        .collect();
    let all: f64 = rates.iter().sum();
    let mut first = vec![vec![0.0; n]; rates.len()];
    for s in 0..states {
        for (j, &rate) in rates.iter().enumerate() {
            if let Some(&u) = preference[j].iter().find(|&&u| s & (1 << u) == 0) {
                first[j][u] += pi[s] * rate / all;
            }
        }
    }
    (busy, first)
}

/// The drill simulation agrees with the hypercube model on the demo city: 7 car units at
/// their posts, 6 places where the scenario has incidents, one unit a call, exponential busy
/// times; each unit's busy share and each place's dispatch shares within four standard errors
/// of ten seeded runs.
#[test]
fn the_drill_agrees_with_the_hypercube_model() {
    use patrolmap::live::simulate::{
        poisson_calls, run, travel_times, Busy, Drill, MoveUp, FLAT_DAY,
    };
    use patrolmap::live::{Responder, Target};
    use patrolmap::network::TravelMode;
    use patrolmap::scenario::UnitKind;

    let (city, plan) = demo_city();
    let modes = city.open_roads();
    let posts: Vec<Responder> = plan
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Unit && u.mode == TravelMode::Car)
        .enumerate()
        .map(|(i, u)| {
            let s = modes[0].index.snap(u.position, 200.0).unwrap();
            Responder {
                unit: i,
                mode_index: 0,
                edge: s.edge,
                fraction: s.fraction,
                forward: None,
                start_s: 0.0,
            }
        })
        .collect();
    let n = posts.len();
    assert_eq!(n, 7);
    let places: Vec<Target> = plan
        .incidents
        .iter()
        .take(6)
        .map(|site| {
            let s = modes[0].index.snap(site.position, 200.0).unwrap();
            Target {
                edge: s.edge,
                fraction: s.fraction,
            }
        })
        .collect();
    let travel = travel_times(
        &city.network,
        &modes,
        &posts,
        &places,
        f64::INFINITY,
        &patrolmap::stop::Stop::never(),
    )
    .unwrap();
    let preference: Vec<Vec<usize>> = travel
        .iter()
        .map(|row| {
            let mut order: Vec<usize> = (0..n).filter(|&u| row[u].is_finite()).collect();
            order.sort_by(|&a, &b| row[a].total_cmp(&row[b]).then(a.cmp(&b)));
            order
        })
        .collect();
    assert!(preference.iter().all(|p| p.len() == n));
    // Uneven places; the units busy about 40 % of the time.
    let weights = [3.0, 1.0, 2.0, 1.0, 4.0, 1.0];
    let mean_s = 1200.0;
    let rate_per_hour = 0.45 * n as f64 * 3600.0 / mean_s;
    let all = weights.iter().sum::<f64>();
    let rates: Vec<f64> = weights
        .iter()
        .map(|w| rate_per_hour / 3600.0 * w / all)
        .collect();
    let (busy, first) = hypercube(n, &rates, &preference, 1.0 / mean_s);

    let horizon_s = 6000.0 * 3600.0;
    let runs: Vec<_> = (0..10u64)
        .map(|seed| {
            let drill = Drill {
                travel_s: travel.clone(),
                turnout_s: vec![0.0; n],
                weights: weights.to_vec(),
                calls: poisson_calls(&weights, rate_per_hour, &FLAT_DAY, horizon_s, seed),
                units_per_call: 1,
                busy: Busy::Exponential { mean_s },
                move_up: MoveUp::none(),
                patrols: Vec::new(),
                alert_level: 0.9,
                horizon_s,
                seed,
            };
            run(&drill, &Default::default())
        })
        .collect();
    let agree = |what: &str, samples: Vec<f64>, exact: f64| {
        let m = samples.iter().sum::<f64>() / samples.len() as f64;
        let var = samples.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (samples.len() - 1) as f64;
        let se = (var / samples.len() as f64).sqrt();
        assert!(
            (m - exact).abs() <= 4.0 * se + 1e-4,
            "{what}: simulated {m:.5} ± {se:.5}, hypercube {exact:.5}"
        );
    };
    for (i, &exact) in busy.iter().enumerate() {
        agree(
            &format!("unit {i} busy"),
            runs.iter().map(|r| r.busy_share[i]).collect(),
            exact,
        );
    }
    for (j, row) in first.iter().enumerate() {
        for (i, &exact) in row.iter().enumerate() {
            agree(
                &format!("place {j} unit {i} dispatch share"),
                runs.iter()
                    .map(|r| r.first_sent[j][i] as f64 / r.calls as f64)
                    .collect(),
                exact,
            );
        }
    }
    // The check can fail: with the units this busy, a drill that always sent the nearest
    // unit (busy or not) would give each place's nearest unit all its calls, far from these.
    let always_nearest: f64 = (0..first.len())
        .map(|j| (first[j][preference[j][0]] - weights[j] / all).abs())
        .sum();
    assert!(always_nearest > 0.1, "{always_nearest}");
}

/// `patrolmap live simulate`: the same seed, the same drill; move-up policies side by side
/// on the same calls; its JSON the reports; a bad flag said. `patrolmap live replay`: a broken tracks file named with its line and column.
#[test]
fn the_live_commands_drill_and_refuse_broken_input() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = temp_dir("live-cli");
    let drill = |seed: &str, out: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
            .args([
                "live",
                "simulate",
                "--roads",
                &format!("{root}/data/campo-grande.osm.pbf"),
                "--scenario",
                &format!("{root}/data/demo-scenario.geojson"),
                "--calls-per-hour",
                "4",
                "--hours",
                "12",
                "--seed",
                seed,
                "--move-up",
                "none,greedy",
                "--json",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let (a, b, c) = (dir.join("a.json"), dir.join("b.json"), dir.join("c.json"));
    let first = drill("5", &a);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let table = String::from_utf8_lossy(&first.stdout);
    assert!(table.contains("unit(s) within 1 min"), "{table}");
    let header = table.lines().find(|l| l.contains("move-up")).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["move-up", "none", "greedy"]
    );
    drill("5", &b);
    drill("6", &c);
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    let run: Value = serde_json::from_str(&read(&a)).unwrap();
    let (report, greedy) = (&run["reports"][0], &run["reports"][1]);
    assert_eq!(run["units"].as_array().unwrap().len(), 11);
    assert!(run["units"][0]["unit"].is_string());
    assert_eq!(report["policy"], "none");
    assert_eq!(greedy["policy"], "greedy");
    assert_eq!(report["moves"], 0);
    assert!(greedy["moves"].as_u64().unwrap() > 0);
    // The same calls for both: the call events at the same times and places.
    let calls = |r: &Value| -> Vec<(f64, u64)> {
        r["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "call")
            .map(|e| (e["time_s"].as_f64().unwrap(), e["place"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(calls(report), calls(greedy));
    assert!(report["calls"].as_u64().unwrap() > 20);
    assert_eq!(report["tier_shares"].as_array().unwrap().len(), 3);
    assert_eq!(report["busy_share"].as_array().unwrap().len(), 11);
    let free: f64 = report["free_share"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((free - 1.0).abs() < 1e-9, "{free}");

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args([
            "live",
            "simulate",
            "--roads",
            "x.osm.pbf",
            "--scenario",
            "y.geojson",
            "--hours",
            "0",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--hours must be more than 0"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args(["live", "simulate", "--roads", "x", "--scenario", "y"])
        .args(["--move-up", "none,fastest"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        said.contains("unknown move-up policy \"fastest\""),
        "{said}"
    );

    let tracks = dir.join("tracks.csv");
    std::fs::write(
        &tracks,
        "unit,time,lon,lat\ncar-1,1764806400,-54.6,-20.46\ncar-1,yesterday,-54.6,-20.46\n",
    )
    .unwrap();
    let replay = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args([
            "live",
            "replay",
            tracks.to_str().unwrap(),
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "pm_x",
        ])
        .output()
        .unwrap();
    assert!(!replay.status.success());
    let said = String::from_utf8_lossy(&replay.stderr);
    assert!(
        said.contains("tracks.csv") && said.contains("line 3, time"),
        "{said}"
    );
}

/// `POST /api/live/drill` answers what `patrolmap live simulate` prints for the same seed
/// (one engine behind both), refuses bad asks naming the field, and is not the feed's.
#[test]
fn the_drill_on_the_api_is_the_command_lines() {
    let dir = temp_dir("live-drill-api");
    let server = start_server_with(&dir.join("s.db"), &[]);
    let ask = json!({"calls_per_hour": 4, "hours": 12, "seed": 5, "move_up": ["none", "greedy"]});
    let reply = post(&server, "/api/live/drill", &ask, &server.token);
    reply.assert_status(200);
    let api = reply.json();
    let out = dir.join("cli.json");
    let cli = live_simulate(&demo_scenario_path())
        .args(["--calls-per-hour", "4", "--hours", "12", "--seed", "5"])
        .args(["--move-up", "none,greedy", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let cli: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(api["reports"], cli["reports"]);
    assert_eq!(api["units"], cli["units"]);
    assert_eq!(api["places"], cli["places"]);
    let places = api["places"].as_array().unwrap().len();
    assert!(places > 0);
    for e in api["reports"][1]["events"].as_array().unwrap() {
        if e["kind"] == "call" {
            assert!((e["place"].as_u64().unwrap() as usize) < places);
        } else {
            assert!((e["post"].as_u64().unwrap() as usize) < 11);
        }
    }

    for (body, field, said) in [
        (json!({"hours": 0}), "hours", "hours must be more than 0"),
        (
            json!({"move_up": ["fastest"]}),
            "move_up",
            "unknown move-up policy",
        ),
        (
            json!({"move_up": ["none", "none"]}),
            "move_up",
            "asked twice",
        ),
        (
            json!({"calls_per_hour": 1000, "hours": 100}),
            "calls_per_hour",
            "at most 10000",
        ),
        (json!({"hourz": 3}), "body", "unknown field"),
        (json!({"by_hour": [1, 2]}), "by_hour", "24 weights"),
        (
            json!({"history": [{"time": "soon", "lon": 1, "lat": 2}]}),
            "history",
            "history[0]: needs time",
        ),
    ] {
        let reply = post(&server, "/api/live/drill", &body, &server.token);
        reply.assert_status(400);
        let error = reply.json();
        assert_eq!(error["field"], field, "{error}");
        assert!(error["error"].as_str().unwrap().contains(said), "{error}");
    }
    // A history: each call where and when it came, the drill as long as its span.
    let p = api["places"][0].clone();
    let history = json!({"history": [
        {"time": "2026-12-04T08:20:00+08:00", "lon": p[0], "lat": p[1]},
        {"time": 1796342400.0 + 1500.0, "lon": p[0], "lat": p[1]},
    ]});
    let reply = post(&server, "/api/live/drill", &history, &server.token);
    reply.assert_status(200);
    let replayed = reply.json();
    let times = call_times(&replayed["reports"][0]);
    assert_eq!(times, [1200.0, 1500.0]);
    assert_eq!(replayed["places"].as_array().unwrap().len(), 2);
    let feed = user(&server, "gateway", "feed");
    post(&server, "/api/live/drill", &json!({}), &feed).assert_status(403);
}

/// Patrols in a drill: the routes of a patrol plan (the map's, sent to `POST /api/live/drill`,
/// and the same plan's file given to `patrolmap live simulate --patrols`) give one drill; each
/// patrol is where its route is (every point of its round on the plan's line), is sent to
/// calls, and the coverage moves with it.
#[test]
fn a_drill_drives_the_patrol_plan_and_the_api_is_the_command_lines() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = temp_dir("live-drill-patrols");
    let server = start_server_with(&dir.join("s.db"), &[]);
    let scenario = std::fs::read_to_string(format!("{root}/data/demo-scenario.geojson")).unwrap();
    let planned = server.call(
        "POST",
        "/api/patrol/plan?units=2&shift_s=7200&coverage_every_s=0",
        Some(&scenario),
        Some(&server.token),
    );
    planned.assert_status(200);
    let plan = planned.json();
    let lines = plan["routes"]["features"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 2);
    let routes: Vec<Value> = lines
        .iter()
        .map(|f| {
            let p = &f["properties"];
            json!({"unit": p["unit"], "depot": p["depot"], "steps": p["steps"]})
        })
        .collect();
    let ask = json!({"calls_per_hour": 6, "hours": 8, "seed": 9, "move_up": ["none", "greedy"], "routes": routes});
    let reply = post(&server, "/api/live/drill", &ask, &server.token);
    reply.assert_status(200);
    let api = reply.json();
    let file = dir.join("plan.geojson");
    std::fs::write(&file, plan["routes"].to_string()).unwrap();
    let out = dir.join("cli.json");
    let cli = live_simulate(&demo_scenario_path())
        .args(["--calls-per-hour", "6", "--hours", "8", "--seed", "9"])
        .args(["--move-up", "none,greedy", "--patrols"])
        .arg(&file)
        .arg("--json")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert!(String::from_utf8_lossy(&cli.stderr).contains("2 patrol routes from"));
    assert!(
        String::from_utf8_lossy(&cli.stdout).contains("13 units (2 on patrol)"),
        "{}",
        String::from_utf8_lossy(&cli.stdout)
    );
    let cli: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(api["reports"], cli["reports"]);
    assert_eq!(api["units"], cli["units"]);

    // The plan's patrols join the scenario's 11 units (they are its posts' patrols).
    let units = api["units"].as_array().unwrap();
    assert_eq!(units.len(), 13);
    for (k, line) in lines.iter().enumerate() {
        let unit = &units[11 + k];
        assert_eq!(unit["unit"], line["properties"]["unit"]);
        let step_s = unit["route_step_s"].as_f64().unwrap();
        assert_eq!(step_s, 60.0);
        let round_s = line["properties"]["duration_s"].as_f64().unwrap();
        let points = unit["route"].as_array().unwrap();
        // One point a minute of its round.
        assert!((points.len() as f64 - round_s / step_s).abs() < 1.0 + 1e-9);
        // Every point of the round lies on the plan's line (within a metre).
        let line: Vec<[f64; 2]> =
            serde_json::from_value(line["geometry"]["coordinates"].clone()).unwrap();
        for p in points {
            let p = [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()];
            let off_m = line
                .windows(2)
                .map(|w| segment_distance_m(p, w[0], w[1]))
                .fold(f64::INFINITY, f64::min);
            assert!(off_m < 1.0, "{} off its line by {off_m} m", unit["unit"]);
        }
    }
    for report in api["reports"].as_array().unwrap() {
        let sent = &report["dispatches"];
        assert!(
            sent[11].as_u64().unwrap() + sent[12].as_u64().unwrap() > 0,
            "{sent}"
        );
        // Patrols are not moved up.
        for e in report["events"].as_array().unwrap() {
            if e["kind"] == "move" {
                assert!(e["unit"].as_u64().unwrap() < 11 && e["post"].as_u64().unwrap() < 11);
            }
        }
    }
    // Without the routes the drill has two units fewer, and the coverage no longer moves
    // between calls.
    let mut standing = ask.clone();
    standing.as_object_mut().unwrap().remove("routes");
    let reply = post(&server, "/api/live/drill", &standing, &server.token);
    let standing = reply.json();
    assert_eq!(standing["units"].as_array().unwrap().len(), 11);
    let changes = |run: &Value| run["reports"][0]["coverage"].as_array().unwrap().len();
    assert!(
        changes(&api) > changes(&standing) + 20,
        "{} {}",
        changes(&api),
        changes(&standing)
    );

    // A broken plan file is named, and so is what is wrong with it.
    for (text, said) in [
        ("{\"type\": \"FeatureCollection\", \"features\": [", "not JSON"),
        ("{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", \"properties\": {}, \"geometry\": {\"type\": \"Point\", \"coordinates\": [0, 0]}}]}", "feature 0: the geometry must be a LineString"),
    ] {
        std::fs::write(&file, text).unwrap();
        let done = live_simulate(&demo_scenario_path())
            .arg("--patrols")
            .arg(&file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&done.stderr);
        assert!(!done.status.success());
        assert!(err.contains("plan.geojson") && err.contains(said), "{err}");
    }
    // A broken route is named.
    let broken = json!({"routes": [{"unit": "x", "depot": 0, "steps": [[99999999, 1]]}]});
    let reply = post(&server, "/api/live/drill", &broken, &server.token);
    reply.assert_status(400);
    assert!(
        reply.json()["field"]
            .as_str()
            .unwrap()
            .starts_with("routes[0]"),
        "{}",
        reply.json()
    );
}

/// How far `p` is from the segment `a`-`b`, in metres (flat near the points).
fn segment_distance_m(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let k = (p[1].to_radians()).cos();
    let (ax, ay, bx, by) = (
        (a[0] - p[0]) * k,
        a[1] - p[1],
        (b[0] - p[0]) * k,
        b[1] - p[1],
    );
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (ax + t * dx, ay + t * dy);
    (x * x + y * y).sqrt() * 111_195.0
}

/// A scenario's incidents with a `time` are its call history: `live simulate` replays them at
/// their times unless a rate is asked; a time that does not read is said at import and the
/// incident kept without it; the time is written back with the scenario.
#[test]
fn a_scenarios_timed_incidents_are_the_drills_calls() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = temp_dir("live-timed-incidents");
    let mut scenario: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/data/demo-scenario.geojson")).unwrap(),
    )
    .unwrap();
    let mut timed = 0;
    for f in scenario["features"].as_array_mut().unwrap() {
        if f["properties"]["kind"] == "incident" {
            f["properties"]["time"] = match timed {
                0 => json!("2026-12-04T08:05:00+08:00"),
                1 => json!(1796342400.0 + 2400.0),
                2 => json!("yesterday"),
                _ => Value::Null,
            };
            timed += 1;
        }
    }
    assert!(timed >= 3);
    // One more call, far from every road of the city.
    scenario["features"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "Feature",
        "properties": {"kind": "incident", "id": "far", "time": 1796342400.0 + 1000.0},
        "geometry": {"type": "Point", "coordinates": [-50.0, -20.0]}}));
    let file = dir.join("timed.geojson");
    std::fs::write(&file, scenario.to_string()).unwrap();
    let read = patrolmap::scenario::read_geojson_str(&scenario.to_string()).unwrap();
    let bad: Vec<_> = read
        .problems
        .iter()
        .filter(|p| p.code == patrolmap::scenario::ProblemCode::BadTime)
        .collect();
    assert_eq!(bad.len(), 1, "{:?}", read.problems);
    assert_eq!(bad[0].field.as_deref(), Some("time"));
    assert!(bad[0].reason.contains("yesterday"));
    assert_eq!(
        read.incidents.iter().filter(|s| s.time_s.is_some()).count(),
        3
    );
    // Written back with its time, read again the same.
    let written = patrolmap::scenario::write::to_geojson(&read);
    let again = patrolmap::scenario::read_geojson_str(&written.to_string()).unwrap();
    let timed = |s: &patrolmap::scenario::Scenario| -> Vec<(String, Option<f64>)> {
        s.incidents
            .iter()
            .map(|i| (i.id.clone(), i.time_s))
            .collect()
    };
    assert_eq!(timed(&again), timed(&read));

    let simulate = |extra: &[&str], out: &std::path::Path| {
        live_simulate(&file)
            .args(extra)
            .arg("--json")
            .arg(out)
            .output()
            .unwrap()
    };
    let out = dir.join("replayed.json");
    let done = simulate(&[], &out);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let said = String::from_utf8_lossy(&done.stderr);
    assert!(said.contains("replaying the 3 incidents"), "{said}");
    assert!(
        said.contains("left out (off the roads or after the drill's end): 1"),
        "{said}"
    );
    assert!(String::from_utf8_lossy(&done.stdout).starts_with("2 calls over 1 h"));
    let run: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let times = call_times(&run["reports"][0]);
    assert_eq!(times, [300.0, 2400.0]);
    assert_eq!(run["calls_left_out"], 1);
    // A rate asked: generated calls over the day, the times left aside.
    let done = simulate(&["--calls-per-hour", "3"], &out);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(!String::from_utf8_lossy(&done.stderr).contains("replaying"));
    assert!(String::from_utf8_lossy(&done.stdout).contains("calls over 24 h"));
}

/// `patrolmap live simulate --history`: past calls (a GBK CSV as Chinese Excel saves it)
/// replayed at their places and times; `--by-hour`: generated calls only in the hours that
/// weigh; broken files and flags said.
#[test]
fn a_drill_replays_a_call_history_and_a_day_by_hour() {
    let dir = temp_dir("live-history");
    let (_, plan) = demo_city();
    let sites: Vec<[f64; 2]> = plan.incidents.iter().take(5).map(|s| s.position).collect();
    // 08:10 local on 2026-12-04 (UTC+8) is 00:10 UTC; every 7 minutes after.
    let start = 1796342400.0 + 600.0;
    let mut csv = String::from("编号,time,lon,lat,类别\n");
    for (i, p) in sites.iter().enumerate() {
        csv.push_str(&format!(
            "{i},{},{},{},盗窃\n",
            start + 420.0 * i as f64,
            p[0],
            p[1]
        ));
    }
    let history = dir.join("calls.csv");
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    std::fs::write(&history, &gbk).unwrap();
    let simulate = |extra: &[&str], out: &std::path::Path| {
        live_simulate(&demo_scenario_path())
            .args(extra)
            .arg("--json")
            .arg(out)
            .output()
            .unwrap()
    };
    let out = dir.join("history.json");
    let done = simulate(&["--history", history.to_str().unwrap()], &out);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let run: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let report = &run["reports"][0];
    assert_eq!(report["calls"], 5);
    let calls: Vec<(f64, [f64; 2])> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call")
        .map(|e| {
            let p = &run["places"][e["place"].as_u64().unwrap() as usize];
            (
                e["time_s"].as_f64().unwrap(),
                [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()],
            )
        })
        .collect();
    let want: Vec<(f64, [f64; 2])> = sites
        .iter()
        .enumerate()
        .map(|(i, &p)| (600.0 + 420.0 * i as f64, p))
        .collect();
    assert_eq!(calls, want);
    // One hour: the history's span.
    assert!(String::from_utf8_lossy(&done.stdout).starts_with("5 calls over 1 h"));

    let mut hours = vec!["0"; 24];
    hours[3] = "1";
    let by_hour = hours.join(",");
    let out = dir.join("by-hour.json");
    let done = simulate(&["--calls-per-hour", "2", "--by-hour", &by_hour], &out);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let run: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let times = call_times(&run["reports"][0]);
    // 48 calls a day, all between 03:00 and 04:00.
    assert!(times.len() > 20, "{}", times.len());
    assert!(times
        .iter()
        .all(|t| (3.0 * 3600.0..4.0 * 3600.0).contains(t)));

    let broken = dir.join("broken.csv");
    std::fs::write(
        &broken,
        "time,lon,lat\n1796342400,-54.6,-20.4\nsoon,-54.6,-20.4\n",
    )
    .unwrap();
    for (extra, said) in [
        (
            vec!["--history", broken.to_str().unwrap()],
            "broken.csv: line 3, time: \"soon\" is neither Unix seconds nor RFC 3339",
        ),
        (vec!["--by-hour", "1,2,3"], "--by-hour needs 24 weights"),
        (
            vec![
                "--history",
                broken.to_str().unwrap(),
                "--calls-per-hour",
                "3",
            ],
            "cannot be used with",
        ),
    ] {
        let failed = simulate(&extra, &dir.join("none.json"));
        assert!(!failed.status.success());
        let stderr = String::from_utf8_lossy(&failed.stderr);
        assert!(stderr.contains(said), "{stderr}");
    }
}
