//! The command-map server over real HTTP: `patrolmap serve` started on a free loopback port
//! on the demo city, every endpoint and its errors, the OpenAPI document against the routes,
//! and the what-if numbers against the `coverage` command's.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::common::{add_stadium, temp_dir};

/// The server shared by these tests: started once, stopped when the test binary exits (its
/// standard input, a pipe held here, closes then).
pub(crate) struct Server {
    pub(crate) base: String,
    /// The admin's token.
    pub(crate) token: String,
    _child: Child,
}

/// Starts `patrolmap serve` on a free loopback port with the store at `db`.
pub(crate) fn start_server(db: &std::path::Path) -> Server {
    start_server_with(db, &[])
}

/// The same with more arguments. On a new store the server prints its first admin's token;
/// on one it has seen, a new token of that admin is made the way an operator would.
pub(crate) fn start_server_with(db: &std::path::Path, more: &[&str]) -> Server {
    start_server_on(db.to_str().unwrap(), !db.exists(), more)
}

/// The same on any store location (an SQLite file or a postgres:// address), `fresh` when the
/// store has never been served.
pub(crate) fn start_server_on(location: &str, fresh: bool, more: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--exit-on-stdin-close",
            "--db",
            location,
        ])
        .args(more)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start patrolmap serve");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("the server prints its address")
        .trim_end_matches('/')
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"),
        "{line}"
    );
    let token = if fresh {
        let mut sign_in = String::new();
        stdout.read_line(&mut sign_in).unwrap();
        let token = sign_in.rsplit("#token=").next().unwrap().trim().to_string();
        assert!(token.starts_with("pm_"), "{sign_in}");
        token
    } else {
        patrolmap::store::Store::open_location(location)
            .unwrap()
            .issue_token(&patrolmap::store::Actor::local("test"), "admin", None)
            .unwrap()
    };
    // Whatever else it prints is read and dropped, so the pipe never fills or closes.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    Server {
        base: url,
        token,
        _child: child,
    }
}

impl Server {
    /// Kills the server (SIGKILL), as a crash or a pulled plug would.
    pub(crate) fn kill(&mut self) {
        self._child.kill().unwrap();
        self._child.wait().unwrap();
    }

    /// `method` on `path` of this server as `token`'s user (none: no credentials at all).
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        token: Option<&str>,
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}"));
        let reply = match method {
            "GET" | "DELETE" => {
                let mut request = if method == "GET" {
                    agent().get(&url)
                } else {
                    agent().delete(&url)
                };
                if let Some(a) = &auth {
                    request = request.header("authorization", a);
                }
                request.call()
            }
            "POST" => {
                let mut request = agent().post(&url);
                if let Some(a) = &auth {
                    request = request.header("authorization", a);
                }
                request
                    .header("content-type", "application/json")
                    .send(body.unwrap_or(""))
            }
            other => panic!("{other}"),
        };
        read(reply.unwrap_or_else(|e| panic!("{method} {path}: {e}")))
    }

    /// `GET path` as this server's admin.
    pub(crate) fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, Some(&self.token))
    }
}

pub(crate) fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start_server(&temp_dir("server-store").join("scenarios.db")))
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: ureq::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    /// Asserts the status, showing the body when it is another.
    #[track_caller]
    pub(crate) fn assert_status(&self, status: u16) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub(crate) fn read(mut response: ureq::http::Response<ureq::Body>) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .body_mut()
        .with_config()
        .limit(200 * 1024 * 1024)
        .read_to_vec()
        .unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

/// `request` with the shared server's admin token.
pub(crate) fn signed<B>(request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
    signed_by(request, &server().token)
}

pub(crate) fn signed_by<B>(
    request: ureq::RequestBuilder<B>,
    token: &str,
) -> ureq::RequestBuilder<B> {
    request.header("authorization", format!("Bearer {token}"))
}

pub(crate) fn get(path: &str) -> Reply {
    read(
        signed(agent().get(format!("{}{path}", server().base)))
            .call()
            .unwrap(),
    )
}

fn get_with(path: &str, header: (&str, &str)) -> Reply {
    read(
        signed(agent().get(format!("{}{path}", server().base)))
            .header(header.0, header.1)
            .call()
            .unwrap(),
    )
}

pub(crate) fn post(path: &str, body: &str) -> Reply {
    read(
        signed(agent().post(format!("{}{path}", server().base)))
            .header("content-type", "application/json")
            .send(body)
            .unwrap(),
    )
}

/// A 4xx with a JSON error naming `field`.
#[track_caller]
pub(crate) fn assert_error(reply: &Reply, status: u16, field: Option<&str>) {
    reply.assert_status(status);
    let body = reply.json();
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    match field {
        Some(f) => assert_eq!(body["field"], f, "{body}"),
        None => assert!(body["field"].is_null(), "{body}"),
    }
}

pub(crate) fn demo_scenario() -> Value {
    get("/api/scenario").json()
}

#[test]
fn info_describes_the_demo_city() {
    let info = get("/api/info").json();
    assert_eq!(info["name"], "campo-grande");
    let bbox: Vec<f64> = serde_json::from_value(info["bbox"].clone()).unwrap();
    assert!(
        bbox[0] < -54.5 && bbox[2] > -54.6 && bbox[1] < bbox[3],
        "{bbox:?}"
    );
    assert_eq!(info["budgets_s"], json!([60.0, 180.0, 300.0]));
    assert_eq!(info["tiers"].as_array().unwrap().len(), 3);
}

#[test]
fn layers_split_the_scenario_by_kind() {
    let all = demo_scenario();
    let total = all["features"].as_array().unwrap().len();
    let mut sum = 0;
    for (layer, kind) in [
        ("units", "unit"),
        ("posts", "post"),
        ("checkpoints", "checkpoint"),
        ("key_sites", "key_site"),
        ("incidents", "incident"),
        ("patrol_lines", "patrol_line"),
        ("closures", "closure"),
    ] {
        let reply = get(&format!("/api/layers/{layer}"));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), "application/geo+json");
        let features = reply.json()["features"].as_array().unwrap().clone();
        assert!(features.iter().all(|f| f["properties"]["kind"] == kind));
        sum += features.len();
    }
    assert_eq!(sum, total, "every feature is in exactly one layer");
    assert!(get("/api/layers/checkpoints").json()["features"]
        .as_array()
        .is_some_and(|f| f.len() == 24));
    assert_error(&get("/api/layers/banks"), 404, Some("layer"));
}

/// The `coverage` command's JSON summary of the demo city and deployment, with `extra`
/// arguments, written to `out`.
fn demo_coverage_json(extra: &[&str], out: &std::path::Path) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let status = Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args([
            "coverage",
            "--roads",
            &format!("{root}/data/campo-grande.osm.pbf"),
        ])
        .args(["--scenario", &format!("{root}/data/demo-scenario.geojson")])
        .args(extra)
        .arg("--json")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

#[test]
fn coverage_of_the_loaded_scenario_is_the_coverage_commands() {
    let dir = temp_dir("server-coverage");
    let out = dir.join("c.json");
    let cli = demo_coverage_json(&[], &out);
    let served = get("/api/coverage").json();
    assert_eq!(served["rev"], 0);
    assert_eq!(served["units"], cli["units"]);
    let close = |a: &Value, b: &Value| (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-6;
    for (s, c) in served["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .zip(cli["coverage"].as_array().unwrap())
    {
        assert!(close(&s["covered_m"], &c["covered_m"]), "{s} vs {c}");
    }
    for (s, c) in served["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(cli["tiers"].as_array().unwrap())
    {
        assert!(close(&s["covered_m"], &c["covered_m"]), "{s} vs {c}");
    }
    // Checkpoints met per tier, counted from the CLI's points.
    let points = cli["points"].as_array().unwrap();
    for i in 0..3 {
        let met = points
            .iter()
            .filter(|p| p["kind"] == "checkpoint" && p["tiers_met"][i] == true)
            .count();
        assert_eq!(served["checkpoints"]["met"][i], met);
    }
    assert_eq!(served["checkpoints"]["count"], 24);
}

#[test]
fn whatif_follows_the_edits() {
    let scenario = demo_scenario();
    let base = get("/api/coverage").json();

    // The same scenario gives the same numbers under a new revision.
    let same = post("/api/whatif", &scenario.to_string());
    assert_eq!(same.status, 200);
    let same = same.json();
    assert!(same["rev"].as_u64().unwrap() > 0);
    assert_eq!(same["tiers"], base["tiers"]);
    assert!(same["tiles"]
        .as_str()
        .unwrap()
        .ends_with(&format!("rev={}", same["rev"])));
    // Its revision is kept: coverage by revision answers the same.
    let again = get(&format!("/api/coverage?rev={}", same["rev"])).json();
    assert_eq!(again["tiers"], same["tiers"]);

    // Removing every unit but one shrinks coverage; moving that one changes it.
    let mut one = scenario.clone();
    let features = one["features"].as_array_mut().unwrap();
    let first_unit = features
        .iter()
        .position(|f| f["properties"]["kind"] == "unit")
        .unwrap();
    let unit = features[first_unit].clone();
    features.retain(|f| !matches!(f["properties"]["kind"].as_str(), Some("unit" | "post")));
    features.push(unit);
    let lone = post("/api/whatif", &one.to_string()).json();
    assert_eq!(lone["units"], 1);
    let share = |v: &Value, i: usize| v["coverage"][i]["share"].as_f64().unwrap();
    assert!(share(&lone, 2) < share(&base, 2));
    assert!(share(&lone, 2) > 0.0);

    // Adding a unit where an uncovered checkpoint is makes that checkpoint meet tier 1.
    let missed = base["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "checkpoint" && p["tiers_met"][0] == false && p["refused"].is_null())
        .expect("the demo has a checkpoint missing tier 1")["id"]
        .clone();
    let at = scenario["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == missed)
        .unwrap()["geometry"]
        .clone();
    let mut more = scenario.clone();
    more["features"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "Feature",
        "properties": {"kind": "unit", "id": "added", "mode": "car"}, "geometry": at}));
    let added = post("/api/whatif", &more.to_string()).json();
    let point = added["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == missed)
        .unwrap()
        .clone();
    assert_eq!(point["tiers_met"][0], true, "{point}");
    assert_eq!(point["nearest"][0]["unit"], "added");
    assert!(
        added["checkpoints"]["met"][0].as_u64() > base["checkpoints"]["met"][0].as_u64(),
        "{} vs {}",
        added["checkpoints"],
        base["checkpoints"]
    );
}

#[test]
fn whatif_rejects_bad_scenarios_with_json_errors() {
    assert_error(&post("/api/whatif", ""), 400, Some("body"));
    assert_error(&post("/api/whatif", "{not json"), 400, Some("body"));
    assert_error(
        &post("/api/whatif", r#"{"type":"Feature"}"#),
        400,
        Some("body"),
    );
    // A feature it cannot read is reported, not fatal.
    let reply = post(
        "/api/whatif",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"unit","mode":"boat"},"geometry":{"type":"Point","coordinates":[-54.6,-20.46]}}]}"#,
    );
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["units"], 0);
    assert!(body["scenario_problems"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("mode"));
    // A body over the limit is refused from its announced length, before it is sent: only
    // the headers go out here (a client streaming all of it would meet a closed connection).
    let reply = headers_only_post("/api/whatif", 17 * 1024 * 1024);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    let body: Value = serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["field"], "body", "{body}");
}

/// Sends a POST's headers announcing `length` bytes and no body; returns the raw reply.
fn headers_only_post(path: &str, length: usize) -> String {
    use std::io::{Read, Write};
    let address = server().base.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        server().token
    )
    .unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn closing_a_road_turns_it_closed_in_the_tiles() {
    let scenario = demo_scenario();
    let unit = scenario["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["kind"] == "unit")
        .unwrap()
        .clone();
    let [lon, lat] = [
        unit["geometry"]["coordinates"][0].as_f64().unwrap(),
        unit["geometry"]["coordinates"][1].as_f64().unwrap(),
    ];
    let road = get(&format!("/api/roads/at?lon={lon}&lat={lat}"));
    assert_eq!(road.status, 200);
    let road = road.json();
    assert_eq!(road["geometry"]["type"], "LineString");
    let edge = road["properties"]["edge"].as_u64().unwrap();
    let mut closed = scenario.clone();
    closed["features"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "Feature",
        "properties": {"kind": "closure", "id": "works"}, "geometry": road["geometry"]}));
    let reply = post("/api/whatif", &closed.to_string()).json();
    assert!(reply["closed_edges"].as_u64().unwrap() >= 1, "{reply}");
    assert_eq!(reply["engine"], "dijkstra");
    // The closed edge is drawn as closed at detail zoom.
    let middle = &road["properties"]["middle"];
    let (z, x, y) = tile_of(middle[0].as_f64().unwrap(), middle[1].as_f64().unwrap(), 16);
    let tile = get(&format!("/api/tiles/{z}/{x}/{y}.mvt?rev={}", reply["rev"]));
    assert_eq!(tile.status, 200);
    let features = mvt::decode(&tile.body);
    assert!(
        features
            .iter()
            .any(|f| f.id == Some(edge)
                && f.props.get("kind") == Some(&mvt::Val::S("closed".into()))),
        "edge {edge} is closed in its tile"
    );
    let open = get(&format!("/api/tiles/{z}/{x}/{y}.mvt"));
    assert!(!mvt::decode(&open.body)
        .iter()
        .any(|f| f.props.get("kind") == Some(&mvt::Val::S("closed".into()))));
    let off_road = get("/api/roads/at?lon=0&lat=0");
    assert_error(&off_road, 400, Some("lon"));
    // Its own code, so the map can say "no road near here" in the user's language.
    assert_eq!(off_road.json()["code"], "no_road_near");
}

/// The XYZ tile holding a point.
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let r = lat.to_radians();
    let y =
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (z, x, y)
}

#[test]
fn tiles_carry_tiers_and_times_and_compress() {
    let info = get("/api/info").json();
    let bbox: Vec<f64> = serde_json::from_value(info["bbox"].clone()).unwrap();
    let (mid_lon, mid_lat) = ((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0);
    // Low zoom: one feature per tier, merged; all of the city's car road in one tile.
    let (z, x, y) = tile_of(mid_lon, mid_lat, 10);
    let low = get(&format!("/api/tiles/{z}/{x}/{y}.mvt"));
    assert_eq!(low.status, 200);
    assert_eq!(
        low.header("content-type"),
        "application/vnd.mapbox-vector-tile"
    );
    let features = mvt::decode(&low.body);
    let tiers: Vec<i64> = features
        .iter()
        .filter_map(|f| match f.props.get("tier") {
            Some(mvt::Val::I(t)) => Some(*t),
            _ => None,
        })
        .collect();
    let mut sorted = tiers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        tiers.len(),
        "one feature per tier below zoom 14"
    );
    assert!(sorted.contains(&0) && sorted.contains(&3), "{sorted:?}");
    // Detail zoom: per-piece features with their arrival time, within their tier's budget.
    let (z, x, y) = tile_of(mid_lon, mid_lat, 15);
    let detail = mvt::decode(&get(&format!("/api/tiles/{z}/{x}/{y}.mvt")).body);
    let budgets = [60, 180, 300];
    let mut timed = 0;
    for f in &detail {
        if let (Some(mvt::Val::I(tier)), Some(mvt::Val::I(t))) =
            (f.props.get("tier"), f.props.get("t_s"))
        {
            timed += 1;
            assert!(*t <= budgets[*tier as usize] + 1, "t_s {t} in tier {tier}");
            if *tier > 0 {
                assert!(
                    *t >= budgets[*tier as usize - 1] - 1,
                    "t_s {t} in tier {tier}"
                );
            }
        }
    }
    assert!(timed > 0, "a detail tile of the centre has timed pieces");
    // A tile far from the city is empty.
    assert!(get("/api/tiles/10/0/0.mvt").body.is_empty());
    // Compression on request.
    let gz = get_with(
        &format!("/api/tiles/{z}/{x}/{y}.mvt"),
        ("accept-encoding", "gzip"),
    );
    assert_eq!(gz.header("content-encoding"), "gzip");
    let br = get_with("/api/scenario", ("accept-encoding", "br"));
    assert_eq!(br.header("content-encoding"), "br");
    // Errors.
    assert_error(&get("/api/tiles/21/0/0.mvt"), 400, Some("z"));
    assert_error(&get("/api/tiles/2/9/0.mvt"), 400, Some("z"));
    assert_error(&get("/api/tiles/a/0/0.mvt"), 400, Some("z"));
    assert_error(&get("/api/tiles/1/0/0.png"), 404, Some("y"));
    assert_error(&get("/api/tiles/1/0/0.mvt?rev=999999"), 404, Some("rev"));
}

#[test]
fn isochrone_ranks_the_units_that_reach_a_point() {
    let scenario = demo_scenario();
    let unit = scenario["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["kind"] == "unit" && f["properties"]["mode"] == "car")
        .unwrap()
        .clone();
    let c = &unit["geometry"]["coordinates"];
    let reply = get(&format!("/api/isochrone?lon={}&lat={}&limit=5", c[0], c[1]));
    assert_eq!(reply.status, 200);
    let r = reply.json();
    let units = r["units"].as_array().unwrap();
    assert!(!units.is_empty() && units.len() <= 5);
    // The unit standing there is first, arriving after its turnout only.
    assert_eq!(units[0]["id"], unit["properties"]["id"]);
    let turnout = unit["properties"]["turnout_s"].as_f64().unwrap_or(0.0);
    assert!(
        (units[0]["time_s"].as_f64().unwrap() - turnout).abs() < 1.0,
        "{r}"
    );
    let times: Vec<f64> = units
        .iter()
        .map(|u| u["time_s"].as_f64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "ranked: {times:?}");
    let ids: std::collections::HashSet<_> = units.iter().map(|u| u["id"].to_string()).collect();
    assert_eq!(ids.len(), units.len(), "distinct units");
    assert_eq!(r["nearest_s"], units[0]["time_s"]);
    assert_eq!(r["tiers_met"][0], true, "{r}");

    assert_error(&get("/api/isochrone?lat=-20.4"), 400, Some("lon"));
    assert_error(&get("/api/isochrone?lon=abc&lat=-20.4"), 400, Some("lon"));
    assert_error(&get("/api/isochrone?lon=-54.6&lat=95"), 400, Some("lat"));
    let off_road = get("/api/isochrone?lon=10&lat=10");
    assert_error(&off_road, 400, Some("lon"));
    assert_eq!(off_road.json()["code"], "no_road_near");
    assert_eq!(
        get("/api/isochrone?lon=abc&lat=-20.4").json()["code"],
        "invalid_parameter"
    );
    assert_error(
        &get(&format!(
            "/api/isochrone?lon={}&lat={}&rev=123456",
            c[0], c[1]
        )),
        404,
        Some("rev"),
    );
}

#[test]
fn overlays_are_feature_collections() {
    let overlay = get("/api/coverage/overlay").json();
    let pieces = overlay["features"].as_array().unwrap();
    assert!(!pieces.is_empty());
    assert!(pieces.iter().all(|f| f["geometry"]["type"] == "LineString"));
    let polygons = get("/api/coverage/polygons").json();
    assert_eq!(polygons["features"].as_array().unwrap().len(), 3);
    let gaps = get("/api/coverage/gaps?limit=3").json();
    let gaps = gaps["features"].as_array().unwrap();
    assert!(!gaps.is_empty() && gaps.len() <= 9);
    assert!(gaps
        .iter()
        .all(|g| g["properties"]["rank"].as_u64().unwrap() <= 3));
    let last = get("/api/coverage/gaps?limit=2&tier=2").json();
    let last = last["features"].as_array().unwrap();
    assert!(!last.is_empty() && last.len() <= 2);
    assert!(last.iter().all(|g| g["properties"]["tier"] == 2));
    assert_error(&get("/api/coverage/gaps?tier=3"), 400, Some("tier"));
    assert_error(&get("/api/coverage/gaps?limit=-1"), 400, Some("limit"));
    assert_error(&get("/api/coverage?rev=x"), 400, Some("rev"));
}

#[test]
fn import_and_export_round_trip() {
    let csv = "kind,id,lon,lat,mode\nunit,u1,-54.62,-20.46,car\ncheckpoint,c1,-54.61,-20.45,\n";
    let reply = read(
        signed(agent().post(format!("{}/api/scenario/import?format=csv", server().base)))
            .header("content-type", "text/csv")
            .send(csv)
            .unwrap(),
    );
    assert_eq!(reply.status, 200);
    let imported = reply.json();
    assert_eq!(imported["counts"]["units"], 1);
    assert_eq!(imported["counts"]["checkpoints"], 1);
    let scenario = imported["scenario"].clone();
    let exported = post("/api/scenario/export", &scenario.to_string());
    assert_eq!(exported.status, 200);
    assert!(exported
        .header("content-disposition")
        .contains("attachment"));
    assert_eq!(exported.json(), scenario);
    assert_error(
        &post("/api/scenario/import?format=xlsx", csv),
        400,
        Some("format"),
    );
    assert_error(&post("/api/scenario/export", "[]"), 400, Some("body"));
}

/// `text` as `encoding` (GBK, UTF-8 with BOM, …), encoded by the system's iconv: an
/// independent encoder, not the decoder under test.
fn encoded(text: &str, encoding: &str) -> Vec<u8> {
    use std::io::Write;
    let mut iconv = std::process::Command::new("iconv")
        .args(["-f", "UTF-8", "-t", encoding])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("iconv (libc-bin)");
    iconv
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = iconv.wait_with_output().unwrap();
    assert!(out.status.success(), "iconv -t {encoding}");
    out.stdout
}

/// A CSV as Chinese Excel saves it (GBK, Chinese headers and kinds), and as UTF-8 with a BOM:
/// read with the right text and coordinates, the encoding said.
#[test]
fn a_chinese_excel_csv_imports_in_gbk_and_with_a_bom() {
    let csv = "类型,编号,名称,经度,纬度,方式\n岗亭,k1,岳塘区一号岗亭,-54.62,-20.46,car\n必巡点,c1,学校门口,-54.61,-20.45,\n警力,u1,车巡一组,-54.60,-20.44,foot\n";
    for (encoding, said) in [("GBK", "gb18030"), ("UTF-8", "utf-8")] {
        let mut bytes = encoded(csv, encoding);
        if encoding == "UTF-8" {
            bytes.splice(0..0, [0xef, 0xbb, 0xbf]);
        }
        let reply = read(
            signed(agent().post(format!("{}/api/scenario/import?format=csv", server().base)))
                .header("content-type", "text/csv")
                .send(&bytes[..])
                .unwrap(),
        );
        assert_eq!(
            reply.status,
            200,
            "{encoding}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let imported = reply.json();
        let said = if encoding == "UTF-8" {
            "utf-8-bom"
        } else {
            said
        };
        assert_eq!(imported["encoding"], said);
        assert_eq!(imported["problems"], json!([]), "{imported}");
        assert_eq!(imported["counts"]["units"], 2);
        assert_eq!(imported["counts"]["checkpoints"], 1);
        let features = imported["scenario"]["features"].as_array().unwrap();
        let post = features
            .iter()
            .find(|f| f["properties"]["id"] == "k1")
            .unwrap();
        assert_eq!(post["properties"]["name"], "岳塘区一号岗亭");
        assert_eq!(post["properties"]["kind"], "post");
        assert_eq!(post["geometry"]["coordinates"], json!([-54.62, -20.46]));
        let gate = features
            .iter()
            .find(|f| f["properties"]["id"] == "c1")
            .unwrap();
        assert_eq!(gate["properties"]["name"], "学校门口");
    }
    // Bytes that are no text at all: refused, saying so.
    let reply = read(
        signed(agent().post(format!("{}/api/scenario/import?format=csv", server().base)))
            .header("content-type", "text/csv")
            .send(&b"lon,lat\n\xff\xff\xff"[..])
            .unwrap(),
    );
    assert_error(&reply, 400, Some("body"));
    assert!(reply.json()["error"].as_str().unwrap().contains("GBK"));
}

#[test]
fn the_openapi_document_matches_the_routes() {
    let doc = get("/api/openapi.json").json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        "/api/info",
        "/api/scenario",
        "/api/layers/{layer}",
        "/api/coverage",
        "/api/coverage/overlay",
        "/api/coverage/polygons",
        "/api/coverage/gaps",
        "/api/coverage/day",
        "/api/isochrone",
        "/api/roads/at",
        "/api/whatif",
        "/api/scenario/import",
        "/api/scenario/export",
        "/api/patrol/plan",
        "/api/patrol/edit",
        "/api/optimize",
        "/api/event/plan",
        "/api/scenarios",
        "/api/scenarios/{name}",
        "/api/versions/{id}",
        "/api/versions/{id}/restore",
        "/api/versions/{id}/export",
        "/api/compare",
        "/api/session",
        "/api/users",
        "/api/users/{name}",
        "/api/users/{name}/tokens",
        "/api/audit",
        "/api/audit.csv",
        "/api/tiles/{z}/{x}/{y}.mvt",
        "/api/openapi.json",
        "/api/events",
        "/api/search",
        "/api/basemap.json",
        "/api/basemap/{z}/{x}/{y}.mvt",
        "/api/coverage/areas/{z}/{x}/{y}.mvt",
        "/api/work/{id}",
        "/api/patrol/timetable",
        "/api/convert",
        "/api/ogc",
        "/api/ogc/conformance",
        "/api/ogc/collections",
        "/api/ogc/collections/{collection}",
        "/api/ogc/collections/{collection}/items",
        "/api/ogc/collections/{collection}/items/{feature}",
        "/api/live/positions",
        "/api/live/units",
        "/api/live/status",
        "/api/live/coverage",
        "/api/live/incident",
        "/api/live/alerts",
        "/api/live/events",
        "/api/live/moveup",
        "/api/live/moveup/accept",
        "/api/live/drill",
    ];
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort();
    let mut want = expected.to_vec();
    want.sort();
    assert_eq!(documented, want);
    // A saved scenario, so its paths exist.
    let saved = post(
        "/api/scenarios/openapi-sample",
        &demo_scenario().to_string(),
    );
    let saved = match saved.status {
        201 => saved.json()["id"].as_i64().unwrap(),
        _ => saved.json()["latest"]["id"].as_i64().unwrap(),
    };
    let sample = |p: &str| {
        p.replace("{layer}", "units")
            .replace("{name}", "openapi-sample")
            .replace("{id}", &saved.to_string())
            .replace("{z}", "12")
            .replace("{x}", "1430")
            .replace("{y}", "2300")
    };
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            // Who may call it is stated with it (the guard reads it from here).
            assert!(
                ["public", "read", "view", "plan", "admin", "feed"]
                    .contains(&op["x-patrolmap-access"].as_str().unwrap_or("")),
                "{method} {path} says who may call it"
            );
            assert!(
                op["responses"]
                    .as_object()
                    // A save creates: 201.
                    .is_some_and(|r| r.contains_key("200") || r.contains_key("201")),
                "{method} {path} documents its success"
            );
            // Every documented operation exists: anything but the router's 404 or 405 (a
            // handler's 404 names what it did not find). Deletions aim at nothing.
            let url = format!("{}{}", server().base, sample(path));
            if path == "/api/events" || path == "/api/live/events" {
                // A stream: its status and type, not its two minutes of body.
                let stream = signed(agent().get(&url)).call().unwrap();
                assert_eq!(stream.status(), 200);
                let kind = stream
                    .headers()
                    .get("content-type")
                    .unwrap()
                    .to_str()
                    .unwrap();
                assert!(kind.starts_with("text/event-stream"), "{kind}");
                continue;
            }
            let reply = match method.as_str() {
                "get" => read(signed(agent().get(&url)).call().unwrap()),
                "post" => read(signed(agent().post(&url)).send("").unwrap()),
                "delete" => read(
                    signed(agent().delete(url.replace("openapi-sample", "no-such-thing")))
                        .call()
                        .unwrap(),
                ),
                other => panic!("unexpected method {other}"),
            };
            let routed = reply.status != 405
                && !(reply.status == 404
                    && reply.json()["error"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("no such API endpoint")));
            assert!(routed, "{method} {path}: {}", reply.status);
        }
    }
    // And what is not documented is not routed.
    assert_error(&get("/api/units"), 404, None);
    assert_error(&post("/api/info", "{}"), 405, None);
}

#[test]
fn the_page_is_served_with_a_strict_policy() {
    let page = get("/");
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("/app.js"));
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("http"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    // No way out of the web folder.
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/vendor/maplibre-gl/../../../../Cargo.toml",
    ] {
        let reply = get(path);
        assert!(
            !String::from_utf8_lossy(&reply.body).contains("[package]"),
            "{path} escaped the web folder"
        );
    }
}

/// A small Mapbox Vector Tile reader, written apart from the encoder so the tests check the
/// bytes against the format, not against the encoder's own idea of it.
mod mvt {
    use std::collections::HashMap;

    #[derive(Clone, Debug, PartialEq)]
    pub enum Val {
        S(String),
        I(i64),
        Other,
    }

    pub struct Feature {
        pub id: Option<u64>,
        pub props: HashMap<String, Val>,
    }

    fn varint(b: &[u8], at: &mut usize) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[*at];
            *at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    /// (field, wire type, payload or varint) of each field of a message.
    fn fields(b: &[u8]) -> Vec<(u64, u64, Vec<u8>, u64)> {
        let mut at = 0;
        let mut out = Vec::new();
        while at < b.len() {
            let key = varint(b, &mut at);
            let (field, wire) = (key >> 3, key & 7);
            match wire {
                0 => {
                    let v = varint(b, &mut at);
                    out.push((field, wire, Vec::new(), v));
                }
                2 => {
                    let len = varint(b, &mut at) as usize;
                    out.push((field, wire, b[at..at + len].to_vec(), 0));
                    at += len;
                }
                1 => {
                    out.push((field, wire, b[at..at + 8].to_vec(), 0));
                    at += 8;
                }
                5 => {
                    out.push((field, wire, b[at..at + 4].to_vec(), 0));
                    at += 4;
                }
                w => panic!("wire type {w}"),
            }
        }
        out
    }

    fn packed(b: &[u8]) -> Vec<u64> {
        let mut at = 0;
        let mut out = Vec::new();
        while at < b.len() {
            out.push(varint(b, &mut at));
        }
        out
    }

    /// Every feature of every layer, with its properties; checks the geometry commands.
    pub fn decode(tile: &[u8]) -> Vec<Feature> {
        let mut out = Vec::new();
        for (field, _, layer, _) in fields(tile) {
            assert_eq!(field, 3, "a tile holds only layers");
            let lf = fields(&layer);
            let keys: Vec<String> = lf
                .iter()
                .filter(|f| f.0 == 3)
                .map(|f| String::from_utf8(f.2.clone()).unwrap())
                .collect();
            let values: Vec<Val> = lf
                .iter()
                .filter(|f| f.0 == 4)
                .map(|f| match fields(&f.2).first() {
                    Some((1, _, s, _)) => Val::S(String::from_utf8(s.clone()).unwrap()),
                    Some((6, _, _, v)) => Val::I(((v >> 1) as i64) ^ -((v & 1) as i64)),
                    Some((4, _, _, v)) => Val::I(*v as i64),
                    _ => Val::Other,
                })
                .collect();
            assert!(lf.iter().any(|f| f.0 == 15 && f.3 == 2), "version 2");
            for (_, _, feature, _) in lf.iter().filter(|f| f.0 == 2) {
                let ff = fields(feature);
                let id = ff.iter().find(|f| f.0 == 1).map(|f| f.3);
                let tags = ff
                    .iter()
                    .find(|f| f.0 == 2)
                    .map(|f| packed(&f.2))
                    .unwrap_or_default();
                let geometry = ff.iter().find(|f| f.0 == 4).map(|f| packed(&f.2)).unwrap();
                assert_eq!(
                    ff.iter().find(|f| f.0 == 3).map(|f| f.3),
                    Some(2),
                    "linestring"
                );
                // MoveTo(1) then LineTo(n ≥ 1), repeated.
                let mut at = 0;
                while at < geometry.len() {
                    assert_eq!(geometry[at], 9, "MoveTo 1");
                    let line_to = geometry[at + 3];
                    assert_eq!(line_to & 7, 2, "LineTo");
                    assert!(line_to >> 3 >= 1);
                    at += 4 + 2 * (line_to >> 3) as usize;
                }
                assert_eq!(at, geometry.len());
                let props = tags
                    .chunks(2)
                    .map(|kv| (keys[kv[0] as usize].clone(), values[kv[1] as usize].clone()))
                    .collect();
                out.push(Feature { id, props });
            }
        }
        out
    }
}

#[test]
fn patrol_plans_over_http_pass_their_check() {
    let scenario = demo_scenario();
    let reply = post(
        "/api/patrol/plan?units=2&shift_s=28800",
        &scenario.to_string(),
    );
    reply.assert_status(200);
    let plan = reply.json();
    let routes = plan["routes"]["features"].as_array().unwrap();
    assert_eq!(routes.len(), 2);
    for r in routes {
        let coords = r["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(coords.first(), coords.last(), "closed at its post");
        assert!(r["properties"]["timetable"].as_array().is_some());
        // A time for every vertex, never going back, ending at the route's duration.
        let times: Vec<f64> = serde_json::from_value(r["properties"]["times_s"].clone()).unwrap();
        assert_eq!(times.len(), coords.len());
        assert!(times.windows(2).all(|w| w[0] <= w[1] + 1e-9));
        let duration = r["properties"]["duration_s"].as_f64().unwrap();
        assert!(
            (times[times.len() - 1] - duration).abs() < 1e-6,
            "{} vs {duration}",
            times[times.len() - 1]
        );
    }
    assert_eq!(
        plan["check"]["lines_covered"],
        plan["check"]["lines_matched"]
    );
    assert!(plan["longest_s"].as_f64() >= plan["longest_lower_bound_s"].as_f64());
    // Only what no patrol can reach may be reported missing.
    let unreachable = plan["unreachable_edges"].as_array().unwrap().len();
    let missed = plan["check"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "checkpoint_missed")
        .count();
    assert!(missed <= unreachable, "{}", plan["check"]);

    assert_error(
        &post("/api/patrol/plan?units=0", &scenario.to_string()),
        400,
        Some("units"),
    );
    assert_error(
        &post("/api/patrol/plan?shift_s=abc", &scenario.to_string()),
        400,
        Some("shift_s"),
    );
    assert_error(
        &post(
            "/api/patrol/plan",
            r#"{"type":"FeatureCollection","features":[]}"#,
        ),
        400,
        Some("body"),
    );
}

/// The shift timetable over HTTP: the same answer as the command line gives (the same
/// library call), checked, with what it misses said; bad parameters named.
#[test]
fn a_shift_timetable_over_http_is_confirmed_by_its_check() {
    let mut scenario = demo_scenario();
    for f in scenario["features"].as_array_mut().unwrap() {
        let p = &mut f["properties"];
        match p["kind"].as_str() {
            Some("patrol_line") => p["every"] = json!("2h"),
            Some("checkpoint") => p["windows"] = json!("09:00-10:00, 14:00-15:00"),
            Some("post") => p["break"] = json!("30m in 11:30-13:30"),
            _ => {}
        }
    }
    let reply = post(
        "/api/patrol/timetable?units=3&shift_s=28800&shift_start=08:00",
        &scenario.to_string(),
    );
    reply.assert_status(200);
    let t = reply.json();
    assert_eq!(t["shift_start"], "08:00");
    assert_eq!(t["timetables"].as_array().unwrap().len(), 3);
    let check = &t["check"];
    assert_eq!(check["breaks_taken"], 3, "{check}");
    // Every pass the check finds missed is in the plan's list of what it misses.
    let missed_passes = t["missed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] != "break")
        .count() as u64;
    assert_eq!(
        check["passes_required"].as_u64().unwrap() - check["passes_made"].as_u64().unwrap(),
        missed_passes,
        "{}",
        t["missed"]
    );
    for f in check["findings"].as_array().unwrap() {
        assert!(
            f["kind"] == "line_pass_missed" || f["kind"] == "checkpoint_visit_missed",
            "{f}"
        );
    }
    for r in t["routes"]["features"].as_array().unwrap() {
        let times: Vec<f64> = serde_json::from_value(r["properties"]["times_s"].clone()).unwrap();
        assert_eq!(
            times.len(),
            r["geometry"]["coordinates"].as_array().unwrap().len()
        );
        assert!(times.windows(2).all(|w| w[0] <= w[1] + 1e-9));
        assert!(times[times.len() - 1] <= 28800.0 + 1e-6);
    }
    assert_error(
        &post(
            "/api/patrol/timetable?shift_start=25:00",
            &scenario.to_string(),
        ),
        400,
        Some("shift_start"),
    );
    assert_error(
        &post("/api/patrol/timetable?shift_s=90000", &scenario.to_string()),
        400,
        Some("shift_s"),
    );
    // A post whose break does not read is named, not quietly left out of the timetable.
    let at = scenario["features"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f["properties"]["kind"] == "post")
        .unwrap();
    scenario["features"][at]["properties"]["break"] = json!("lunch");
    let refused = post("/api/patrol/timetable", &scenario.to_string());
    assert_error(&refused, 400, Some("break"));
    let message = refused.json()["error"].as_str().unwrap().to_string();
    assert!(
        message.contains(&format!("feature {at}:")) && message.contains("lunch"),
        "{message}"
    );
}

/// A plan sent back unchanged gives the same routes; dragged onto another street, the route
/// drives that street, stays continuous, legal and closed, and is checked and measured again.
#[test]
fn patrol_routes_are_edited_by_dragging_over_http() {
    let scenario = demo_scenario();
    let reply = post(
        "/api/patrol/plan?units=2&shift_s=28800&coverage_every_s=300",
        &scenario.to_string(),
    );
    reply.assert_status(200);
    let plan = reply.json();
    // The coverage over the shift, sampled every 5 minutes.
    let over = &plan["shift_coverage"];
    assert_eq!(over["samples"], 97);
    for tier in over["tiers"].as_array().unwrap() {
        let shares: Vec<f64> = serde_json::from_value(tier["share_by_sample"].clone()).unwrap();
        assert_eq!(shares.len(), 97);
        let mean = shares.iter().sum::<f64>() / 97.0;
        assert!((tier["mean_share"].as_f64().unwrap() - mean).abs() < 1e-9);
        assert!(shares
            .iter()
            .all(|&s| s >= tier["worst_share"].as_f64().unwrap()));
    }
    let routes: Vec<Value> = plan["routes"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| json!({"unit": f["properties"]["unit"], "depot": f["properties"]["depot"], "steps": f["properties"]["steps"]}))
        .collect();

    // Unchanged: the same durations and the same check.
    let body = json!({"scenario": scenario, "routes": routes});
    let same = post(
        "/api/patrol/edit?shift_s=28800&coverage_every_s=0",
        &body.to_string(),
    );
    same.assert_status(200);
    let same = same.json();
    assert!((same["total_s"].as_f64().unwrap() - plan["total_s"].as_f64().unwrap()).abs() < 1e-6);
    assert_eq!(same["check"], plan["check"]);
    assert!(same["shift_coverage"].is_null());

    // Dragged: route 0 takes the street in the middle of route 1.
    let coords = |r: usize| {
        plan["routes"]["features"][r]["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .clone()
    };
    let (c0, c1) = (coords(0), coords(1));
    let (from, to) = (c0[c0.len() / 3].clone(), c1[c1.len() / 2].clone());
    let street = get(&format!("/api/roads/at?lon={}&lat={}", to[0], to[1])).json();
    let street_edge = street["properties"]["edge"].as_u64().unwrap();
    let body = json!({"scenario": scenario, "routes": routes, "drag": {"route": 0, "from": from, "to": to}});
    let dragged = post(
        "/api/patrol/edit?shift_s=28800&coverage_every_s=600",
        &body.to_string(),
    );
    dragged.assert_status(200);
    let dragged = dragged.json();
    let steps: Vec<(u64, u64)> = serde_json::from_value::<Vec<[u64; 2]>>(
        dragged["routes"]["features"][0]["properties"]["steps"].clone(),
    )
    .unwrap()
    .into_iter()
    .map(|[e, f]| (e, f))
    .collect();
    assert!(
        steps.iter().any(|s| s.0 == street_edge),
        "the route drives the dragged-to street"
    );
    assert_ne!(json!(steps), routes[0]["steps"]);
    for f in dragged["check"]["findings"].as_array().unwrap() {
        assert!(
            !["jump", "one_way", "not_closed"].contains(&f["kind"].as_str().unwrap()),
            "{f}"
        );
    }
    assert_eq!(dragged["shift_coverage"]["samples"], 49);

    // Bad edits say which field.
    let bad = |body: Value, field: &str| {
        assert_error(
            &post("/api/patrol/edit", &body.to_string()),
            400,
            Some(field),
        );
    };
    bad(json!({"routes": routes}), "scenario");
    bad(json!({"scenario": scenario, "routes": []}), "routes");
    bad(
        json!({"scenario": scenario, "routes": [{"unit": "a", "depot": 0, "steps": [[1u64 << 40, 1]]}]}),
        "routes[0].steps",
    );
    bad(
        json!({"scenario": scenario, "routes": [{"unit": "a", "steps": []}]}),
        "routes[0].depot",
    );
    bad(
        json!({"scenario": scenario, "routes": routes, "drag": {"route": 9, "from": from, "to": to}}),
        "drag.route",
    );
    bad(
        json!({"scenario": scenario, "routes": routes, "drag": {"route": 0, "from": from, "to": [0.0, 0.0]}}),
        "drag.to",
    );
    assert_error(
        &post(
            "/api/patrol/edit?coverage_every_s=1",
            &json!({"scenario": scenario, "routes": routes}).to_string(),
        ),
        400,
        Some("coverage_every_s"),
    );
}

/// The demo scenario with a stadium (its own standard), a gate and a no-go pitch.
fn event_scenario() -> Value {
    let mut scenario = demo_scenario();
    add_stadium(&mut scenario);
    scenario
}

#[test]
fn posts_are_suggested_and_events_planned_over_http() {
    let scenario = demo_scenario().to_string();
    // The most road within 120 s by 3 more posts: ranked, bounded, better than before.
    let reply = post(
        "/api/optimize?add=3&budget_s=120&time_limit_s=60",
        &scenario,
    );
    reply.assert_status(200);
    let a = reply.json();
    let added = a["added"].as_array().unwrap();
    assert_eq!(added.len(), 3);
    let gains: Vec<f64> = added.iter().map(|p| p["gain"].as_f64().unwrap()).collect();
    assert!(gains.iter().all(|&g| g > 0.0));
    let (before, after, bound) = (
        a["share_before"].as_f64().unwrap(),
        a["share"].as_f64().unwrap(),
        a["upper_bound_share"].as_f64().unwrap(),
    );
    assert!(
        before < after && after <= bound + 1e-12 && bound <= 1.0,
        "{a}"
    );
    // The fewest posts for every checkpoint within 60 s.
    let reply = post(
        "/api/optimize?cover=checkpoints&budget_s=60&time_limit_s=60",
        &scenario,
    );
    reply.assert_status(200);
    let c = reply.json();
    assert!(c["lower_bound"].as_u64().unwrap() as usize <= c["added"].as_array().unwrap().len());
    // An event plan: every tier at least as met after as before.
    let reply = post(
        "/api/event/plan?time_limit_s=60",
        &event_scenario().to_string(),
    );
    reply.assert_status(200);
    let plan = reply.json();
    assert_eq!(plan["standard"], "60:1,180:2");
    assert!(!plan["posts"].as_array().unwrap().is_empty());
    for t in plan["compliance"].as_array().unwrap() {
        assert!(
            t["road_met_after_m"].as_f64().unwrap() >= t["road_met_before_m"].as_f64().unwrap(),
            "{t}"
        );
    }
    // Bad input: 400s naming the field.
    assert_error(&post("/api/optimize?add=0", &scenario), 400, Some("add"));
    assert_error(
        &post("/api/optimize?cover=trees", &scenario),
        400,
        Some("cover"),
    );
    assert_error(
        &post("/api/optimize?targets=60:9", &scenario),
        400,
        Some("targets"),
    );
    assert_error(
        &post("/api/optimize?candidates=grid:1", &scenario),
        400,
        Some("candidates"),
    );
    assert_error(
        &post("/api/optimize?candidates=scenario", &scenario),
        400,
        Some("body"),
    );
    assert_error(&post("/api/optimize", "{}"), 400, Some("body"));
    assert_error(&post("/api/event/plan", &scenario), 400, Some("body"));
    assert_error(
        &post("/api/event/plan?area=arena", &event_scenario().to_string()),
        400,
        Some("area"),
    );
    assert_error(
        &post(
            "/api/event/plan?standard=fast",
            &event_scenario().to_string(),
        ),
        400,
        Some("standard"),
    );
}

#[test]
fn scenarios_are_saved_as_versions_and_a_stale_save_is_refused() {
    let mut scenario = demo_scenario();
    let first = post(
        "/api/scenarios/端午龙舟?message=first&author=li",
        &scenario.to_string(),
    );
    first.assert_status(201);
    let v1 = first.json()["id"].as_i64().unwrap();
    // Planner B also starts from nothing: refused, told the latest.
    let stale = post("/api/scenarios/端午龙舟", &scenario.to_string());
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["latest"]["id"], v1);
    assert_eq!(stale.json()["field"], "base");
    // A moves a unit and saves on v1.
    let moved_id = scenario["features"][0]["properties"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    scenario["features"][0]["geometry"]["coordinates"][0] = json!(-54.6);
    let second = post(
        &format!("/api/scenarios/端午龙舟?base={v1}&message=moved"),
        &scenario.to_string(),
    );
    second.assert_status(201);
    let v2 = second.json()["id"].as_i64().unwrap();
    // B, still on v1, is refused and told what moved.
    let late = post(
        &format!("/api/scenarios/端午龙舟?base={v1}"),
        &demo_scenario().to_string(),
    );
    assert_eq!(late.status, 409);
    let body = late.json();
    assert_eq!(body["latest"]["id"], v2);
    assert_eq!(body["changes"]["moved"], json!([moved_id]));
    // The versions, the list, one version's scenario.
    let versions = get("/api/scenarios/端午龙舟").json();
    let ids: Vec<i64> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![v1, v2]);
    assert_eq!(versions[1]["parent"], v1);
    assert!(get("/api/scenarios")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"] == v2));
    let opened = get(&format!("/api/versions/{v2}")).json();
    assert_eq!(
        opened["scenario"]["features"][0]["geometry"]["coordinates"][0],
        json!(-54.6)
    );
    // Bad input.
    assert_error(&get("/api/scenarios/nothing-here"), 404, None);
    assert_error(&get("/api/versions/999999"), 404, None);
    assert_error(&get("/api/versions/abc"), 400, Some("id"));
    assert_error(
        &post("/api/scenarios/x?base=abc", &scenario.to_string()),
        400,
        Some("base"),
    );
    assert_error(&post("/api/scenarios/x", "{}"), 400, Some("body"));
}

#[test]
fn a_server_killed_mid_save_keeps_every_acknowledged_save() {
    for (engine, location) in crate::common::test_stores("server-kill") {
        eprintln!("{engine}");
        killed_mid_save_on(&location);
    }
}

fn killed_mid_save_on(db: &str) {
    let mut first = start_server_on(db, true, &[]);
    let body = demo_scenario().to_string();
    // A stream of saves; the server is killed (SIGKILL) while they keep coming.
    let base = first.base.clone();
    let token = first.token.clone();
    let saver = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        let mut parent: Option<i64> = None;
        for _ in 0..10_000 {
            let url = match parent {
                Some(p) => format!("{base}/api/scenarios/stream?base={p}"),
                None => format!("{base}/api/scenarios/stream"),
            };
            let reply = signed_by(agent().post(&url), &token)
                .header("content-type", "application/json")
                .send(&body);
            match reply {
                Ok(r) if r.status() == 201 => {
                    let id = read(r).json()["id"].as_i64().unwrap();
                    acknowledged.push(id);
                    parent = Some(id);
                }
                _ => break, // the server is gone
            }
        }
        acknowledged
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    first._child.kill().unwrap(); // SIGKILL
    first._child.wait().unwrap();
    let acknowledged = saver.join().unwrap();
    assert!(
        acknowledged.len() >= 5,
        "only {} saves before the kill",
        acknowledged.len()
    );
    // Restarted on the same store: intact, every acknowledged save there, one line of history.
    let second = start_server_on(db, false, &[]);
    let versions = second.get("/api/scenarios/stream").json();
    let ids: Vec<i64> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.len() >= acknowledged.len() && ids.len() <= acknowledged.len() + 1,
        "{} stored, {} acknowledged",
        ids.len(),
        acknowledged.len()
    );
    assert_eq!(&ids[..acknowledged.len()], &acknowledged[..]);
    let store = patrolmap::store::Store::open_location(db).unwrap();
    assert_eq!(store.integrity().unwrap(), "ok");
    drop(second);
}

/// `value` against `schema` of the OpenAPI document `doc` (its `$ref`s, types, required
/// properties and items): the places where they disagree.
fn schema_mismatches(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return schema_mismatches(doc, &doc["components"]["schemas"][name], value, at);
    }
    // One of several (an optional value is `oneOf: [null, its schema]`): the value fits one.
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            let each: Vec<Vec<String>> = options
                .iter()
                .map(|o| schema_mismatches(doc, o, value, at))
                .collect();
            if each.iter().any(Vec::is_empty) {
                return Vec::new();
            }
            return vec![format!("{at}: {value} fits none of {key}: {each:?}")];
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all
            .iter()
            .flat_map(|o| schema_mismatches(doc, o, value, at))
            .collect();
    }
    let mut out = Vec::new();
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let fits = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        "null" => value.is_null(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|t| fits(t)) {
        out.push(format!("{at}: {value} is not {types:?}"));
        return out;
    }
    for name in schema["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap();
        if value.get(name).is_none() {
            out.push(format!("{at}.{name}: missing"));
        }
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        if let Some(v) = value.get(name) {
            out.extend(schema_mismatches(doc, property, v, &format!("{at}.{name}")));
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate().take(5) {
            out.extend(schema_mismatches(doc, items, v, &format!("{at}[{i}]")));
        }
    }
    out
}

/// Issue 16: the coverage summary and who reaches a point are typed bodies: the document
/// describes them (not an untyped `Object`), and real answers of `/api/coverage`,
/// `/api/whatif` and `/api/isochrone` match that description.
#[test]
fn the_coverage_summary_is_typed_in_the_document_and_answers_match_it() {
    let doc = get("/api/openapi.json").json();
    let schema_of = |path: &str, method: &str| {
        doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    };
    for (path, method) in [("/api/coverage", "get"), ("/api/whatif", "post")] {
        let schema = schema_of(path, method);
        assert_eq!(
            schema["$ref"], "#/components/schemas/CoverageSummary",
            "{path}"
        );
    }
    let schema = schema_of("/api/coverage", "get");
    let coverage = get("/api/coverage").json();
    assert_eq!(
        schema_mismatches(&doc, &schema, &coverage, "coverage"),
        Vec::<String>::new()
    );
    let whatif = post("/api/whatif", &demo_scenario().to_string()).json();
    assert_eq!(
        schema_mismatches(&doc, &schema, &whatif, "whatif"),
        Vec::<String>::new()
    );
    assert!(whatif["tiles"].is_string() && whatif["timings_ms"]["request"].is_number());
    // Who reaches a point: its own typed report.
    let who_schema = schema_of("/api/isochrone", "get");
    assert_eq!(who_schema["$ref"], "#/components/schemas/WhoReaches");
    let who = get("/api/isochrone?lon=-54.585&lat=-20.46").json();
    assert_eq!(
        schema_mismatches(&doc, &who_schema, &who, "isochrone"),
        Vec::<String>::new()
    );
    assert!(!who["units"].as_array().unwrap().is_empty());
    // The checker itself catches a body that does not match.
    let mut wrong = coverage.clone();
    wrong["tiers"][0]["share"] = json!("high");
    wrong.as_object_mut().unwrap().remove("units");
    assert_eq!(schema_mismatches(&doc, &schema, &wrong, "wrong").len(), 2);
}

/// Issue 16: every success body in the OpenAPI document has its schema (none is a bare
/// `object`), and real answers of every JSON endpoint asked here match the document.
#[test]
fn every_success_body_is_typed_and_real_answers_match_the_document() {
    let doc = get("/api/openapi.json").json();
    let mut untyped = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                if !status.starts_with('2') || path == "/api/openapi.json" {
                    continue;
                }
                for (content_type, content) in response["content"].as_object().into_iter().flatten()
                {
                    let schema = &content["schema"];
                    let items = &schema["items"];
                    let typed = schema.get("$ref").is_some()
                        || schema.get("properties").is_some()
                        || schema["type"] == "string"
                        || (schema["type"] == "array"
                            && (items.get("$ref").is_some() || items["type"] == "integer"));
                    if !typed {
                        untyped.push(format!("{method} {path} {status} {content_type}: {schema}"));
                    }
                }
            }
        }
    }
    assert_eq!(untyped, Vec::<String>::new());
    let schema_of = |path: &str, method: &str, status: &str| {
        let content = &doc["paths"][path][method]["responses"][status]["content"];
        let (_, c) = content.as_object().unwrap().iter().next().unwrap();
        c["schema"].clone()
    };
    let check = |path: &str, method: &str, status: &str, reply: Reply| {
        reply.assert_status(status.parse().unwrap());
        let value = reply.json();
        assert_eq!(
            schema_mismatches(&doc, &schema_of(path, method, status), &value, path),
            Vec::<String>::new(),
            "{path}"
        );
        value
    };
    let scenario = demo_scenario().to_string();
    check("/api/info", "get", "200", get("/api/info"));
    check("/api/session", "get", "200", get("/api/session"));
    check(
        "/api/layers/{layer}",
        "get",
        "200",
        get("/api/layers/units"),
    );
    check(
        "/api/coverage/gaps",
        "get",
        "200",
        get("/api/coverage/gaps?limit=3"),
    );
    check("/api/coverage/day", "get", "200", get("/api/coverage/day"));
    check(
        "/api/roads/at",
        "get",
        "200",
        get("/api/roads/at?lon=-54.585&lat=-20.46"),
    );
    check(
        "/api/scenario/import",
        "post",
        "200",
        post("/api/scenario/import", &scenario),
    );
    check(
        "/api/patrol/plan",
        "post",
        "200",
        post("/api/patrol/plan?units=2&coverage_every_s=0", &scenario),
    );
    check(
        "/api/optimize",
        "post",
        "200",
        post("/api/optimize?add=2&candidates=grid:500", &scenario),
    );
    let name = "typed-bodies";
    let first = check(
        "/api/scenarios/{name}",
        "post",
        "201",
        post(&format!("/api/scenarios/{name}?message=first"), &scenario),
    );
    let second = check(
        "/api/scenarios/{name}",
        "post",
        "201",
        post(
            &format!("/api/scenarios/{name}?base={}", first["id"]),
            &scenario,
        ),
    );
    // A stale save: its conflict body is typed too.
    check(
        "/api/scenarios/{name}",
        "post",
        "409",
        post(
            &format!("/api/scenarios/{name}?base={}", first["id"]),
            &scenario,
        ),
    );
    check("/api/scenarios", "get", "200", get("/api/scenarios"));
    check(
        "/api/scenarios/{name}",
        "get",
        "200",
        get(&format!("/api/scenarios/{name}")),
    );
    check(
        "/api/versions/{id}",
        "get",
        "200",
        get(&format!("/api/versions/{}", first["id"])),
    );
    let compared = check(
        "/api/compare",
        "get",
        "200",
        get(&format!(
            "/api/compare?from={}&to={}",
            first["id"], second["id"]
        )),
    );
    assert_eq!(compared["difference"].as_array().unwrap().len(), 3);
    check("/api/users", "get", "200", get("/api/users"));
    check("/api/audit", "get", "200", get("/api/audit?limit=5"));
    check("/api/live/units", "get", "200", get("/api/live/units"));
    check("/api/live/alerts", "get", "200", get("/api/live/alerts"));
    check(
        "/api/live/coverage",
        "get",
        "200",
        get("/api/live/coverage"),
    );
    let unit = demo_scenario()["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["kind"] == "unit")
        .unwrap()
        .clone();
    let at = &unit["geometry"]["coordinates"];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let positions = json!({"positions": [
        {"unit": unit["properties"]["id"], "lon": at[0], "lat": at[1], "time": now},
        {"unit": "nobody", "lon": at[0], "lat": at[1], "time": now}]});
    check(
        "/api/live/positions",
        "post",
        "200",
        post("/api/live/positions", &positions.to_string()),
    );
    check(
        "/api/live/incident",
        "post",
        "200",
        post(
            "/api/live/incident",
            &json!({"lon": at[0], "lat": at[1]}).to_string(),
        ),
    );
    check(
        "/api/live/status",
        "post",
        "200",
        post(
            "/api/live/status",
            &json!({"units": [unit["properties"]["id"]], "status": "available"}).to_string(),
        ),
    );
}

/// Issue 17 (and 19): more patrol units than there is work on the demo city gives idle units
/// listed, never an empty route (an empty LineString is not GeoJSON, and broke the map).
#[test]
fn more_patrol_units_than_work_gives_idle_units_not_empty_routes() {
    let plan = post(
        "/api/patrol/plan?units=40&coverage_every_s=0",
        &demo_scenario().to_string(),
    )
    .json();
    let routes = plan["routes"]["features"].as_array().unwrap();
    for r in routes {
        let line = r["geometry"]["coordinates"].as_array().unwrap();
        assert!(
            line.len() >= 2,
            "{}: {} positions",
            r["properties"]["unit"],
            line.len()
        );
    }
    let idle = plan["idle_units"].as_array().unwrap();
    assert!(
        !idle.is_empty(),
        "the demo city has work for fewer than 40 units"
    );
    assert_eq!(routes.len() + idle.len(), 40);
    assert_eq!(plan["units"], 40);
}

/// Issue 17: streets are found by part of their name, letter case and accents aside, those
/// starting with it first; an empty query finds nothing; the answer is typed.
#[test]
fn streets_are_found_by_name() {
    let found = get("/api/search?q=afonso%20pena").json();
    let streets = found["streets"].as_array().unwrap();
    assert!(!streets.is_empty(), "{found}");
    assert!(streets[0]["name"].as_str().unwrap().contains("Afonso Pena"));
    let [w, s, e, n] = [0, 1, 2, 3].map(|i| streets[0]["bbox"][i].as_f64().unwrap());
    let [lon, lat] = [0, 1].map(|i| streets[0]["position"][i].as_f64().unwrap());
    assert!(w <= lon && lon <= e && s <= lat && lat <= n);
    // Accents and case aside: "AVENIDA" finds avenues.
    let upper = get("/api/search?q=AVENIDA&limit=3").json();
    assert_eq!(upper["streets"].as_array().unwrap().len(), 3);
    for hit in upper["streets"].as_array().unwrap() {
        assert!(
            hit["name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .starts_with("avenida"),
            "{hit}"
        );
    }
    assert!(get("/api/search?q=").json()["streets"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_error(
        &get(&format!("/api/search?q={}", "x".repeat(101))),
        400,
        Some("q"),
    );
}

/// issue 20: a server with car speeds by time of day (`serve --speeds`; the demo city's by
/// default) measures a what-if at a chosen hour as the `coverage` command does at that hour
/// (the server on a customised hierarchy, the command with Dijkstra), keeps the hour with the
/// revision (another server evaluates it again from the store at the same hour), and charts
/// each tier by hour, the hours of one period alike. A bad hour, or any hour on a server
/// without speeds, is refused naming `at`.
#[test]
fn coverage_at_a_time_of_day_over_http() {
    let root = env!("CARGO_MANIFEST_DIR");
    let speeds = format!("{root}/data/demo-speeds.csv");
    let text = std::fs::read_to_string(&speeds).unwrap();
    let mut starts: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let dir = temp_dir("server-speeds");
    let db = dir.join("s.db");
    let mut a = start_server_with(&db, &["--speeds", &speeds]);
    let info = a.get("/api/info").json();
    assert_eq!(info["speeds"]["rows"], text.lines().count() - 1);
    assert_eq!(info["speeds"]["period_starts"], json!(starts));
    let scenario = a.get("/api/scenario").json().to_string();
    let at = |server: &Server, time: &str| {
        let reply = server.call(
            "POST",
            &format!("/api/whatif?at={time}"),
            Some(&scenario),
            Some(&server.token),
        );
        reply.assert_status(200);
        reply.json()
    };
    let free = a.get("/api/coverage").json();
    let rush = at(&a, "08:00");
    assert_eq!(rush["at"], "08:00");
    assert_eq!(rush["engine"], "phast");
    let share = |s: &Value, k: usize| s["tiers"][k]["share"].as_f64().unwrap();
    assert!(
        share(&rush, 2) < share(&free, 2),
        "{} vs {}",
        share(&rush, 2),
        share(&free, 2)
    );

    // The coverage command at 08:00 of the same file.
    let cli = demo_coverage_json(&["--speeds", &speeds, "--at", "08:00"], &dir.join("c.json"));
    for k in 0..3 {
        let (s, c) = (
            &rush["tiers"][k]["covered_m"],
            &cli["tiers"][k]["covered_m"],
        );
        assert!(
            (s.as_f64().unwrap() - c.as_f64().unwrap()).abs() < 1e-6,
            "tier {k}: {s} vs {c}"
        );
    }

    // The day chart: 24 hours; each hour is its period's coverage (08:00 is the what-if's, and
    // 07:00-09:00 share the 07:00 period, 18:00 the 17:00 one), and the night is another.
    let day = a
        .get(&format!("/api/coverage/day?rev={}", rush["rev"]))
        .json();
    let hours = day["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(hours[8]["period_start"], "07:00");
    let evening = at(&a, "18:00");
    let tier = |hour: usize, k: usize| hours[hour]["tier_shares"][k].as_f64().unwrap();
    for k in 0..3 {
        assert!((tier(8, k) - share(&rush, k)).abs() < 1e-12);
        assert_eq!(tier(7, k), tier(9, k));
        assert!((tier(18, k) - share(&evening, k)).abs() < 1e-12);
    }
    assert_ne!(hours[8]["tier_shares"], hours[3]["tier_shares"]);

    // Bad hours name `at`.
    for bad in ["8am", "24:00", "08:60"] {
        let reply = a.call(
            "POST",
            &format!("/api/whatif?at={bad}"),
            Some(&scenario),
            Some(&a.token),
        );
        assert_error(&reply, 400, Some("at"));
    }

    // Who reaches a checkpoint (the 110 call's package) at the revision's hour: never sooner
    // than at free flow, and later at some.
    let sites: Vec<Value> = serde_json::from_str::<Value>(&scenario).unwrap()["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["kind"] == "checkpoint")
        .map(|f| f["geometry"]["coordinates"].clone())
        .collect();
    let mut later = 0;
    for c in &sites {
        let ask = |rev: &Value| {
            let path = format!("/api/isochrone?lon={}&lat={}&rev={rev}", c[0], c[1]);
            a.get(&path).json()["nearest_s"]
                .as_f64()
                .unwrap_or(f64::INFINITY)
        };
        let (free_s, rush_s) = (ask(&json!(0)), ask(&rush["rev"]));
        assert!(
            rush_s >= free_s - 1e-9,
            "{c}: {rush_s} s at 08:00, {free_s} s at free flow"
        );
        later += usize::from(rush_s > free_s + 1.0);
    }
    assert!(later > 0);

    // Another server on the same store evaluates the revision again at its hour.
    a.kill();
    let b = start_server_with(&db, &["--speeds", &speeds]);
    let again = b.get(&format!("/api/coverage?rev={}", rush["rev"])).json();
    assert_eq!(again["at"], "08:00");
    assert_eq!(again["tiers"], rush["tiers"]);

    // A server without speeds says so, instead of answering at free flow.
    let plain = start_server_with(
        &temp_dir("server-no-speeds").join("s.db"),
        &["--roads", &format!("{root}/data/campo-grande.osm.pbf")],
    );
    assert!(plain.get("/api/info").json()["speeds"].is_null());
    let reply = plain.call(
        "POST",
        "/api/whatif?at=08:00",
        Some(&scenario),
        Some(&plain.token),
    );
    assert_error(&reply, 400, Some("at"));
    assert_error(&plain.get("/api/coverage/day"), 400, Some("rev"));
}

/// issue 20 item 2: a folder of road files served as one province: each city listed with its
/// bounds, each city's tiers adding up to the province's, Campo Grande's the same as when it
/// is served alone (the demo units are all there; Columbus has none), and a folder without
/// road files refused naming it.
#[test]
fn a_folder_of_road_files_is_served_as_one_province() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = temp_dir("province");
    let folder = dir.join("hunan");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        format!("{root}/data/campo-grande.osm.pbf"),
        folder.join("campo-grande.osm.pbf"),
    )
    .unwrap();
    std::fs::copy(
        crate::common::shared_data("columbus.osm.pbf"),
        folder.join("columbus.osm.pbf"),
    )
    .unwrap();
    std::fs::write(folder.join("notes.txt"), "not roads").unwrap();
    let scenario = format!("{root}/data/demo-scenario.geojson");
    let province = start_server_with(
        &dir.join("s.db"),
        &["--roads", folder.to_str().unwrap(), "--scenario", &scenario],
    );
    let info = province.get("/api/info").json();
    assert_eq!(info["name"], "hunan");
    let names: Vec<&str> = info["cities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["campo-grande", "columbus"]);
    // Campo Grande's bounds are the demo city's.
    assert_eq!(info["cities"][0]["bbox"], get("/api/info").json()["bbox"]);

    let coverage = province.get("/api/coverage").json();
    let alone = get("/api/coverage").json();
    let cities = coverage["cities"].as_array().unwrap();
    for k in 0..3 {
        let sum: f64 = cities
            .iter()
            .map(|c| c["length_m"].as_f64().unwrap() * c["tier_shares"][k].as_f64().unwrap())
            .sum();
        let total = coverage["tiers"][k]["covered_m"].as_f64().unwrap();
        assert!(
            (sum - total).abs() < 1e-6 * total.max(1.0),
            "tier {k}: {sum} vs {total}"
        );
        let (a, b) = (
            cities[0]["tier_shares"][k].as_f64().unwrap(),
            alone["tiers"][k]["share"].as_f64().unwrap(),
        );
        assert!((a - b).abs() < 1e-9, "tier {k}: {a} vs alone {b}");
        assert_eq!(cities[1]["tier_shares"][k], 0.0);
    }
    assert!(alone["cities"].as_array().unwrap().is_empty());

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--roads",
            empty.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty") && err.contains("no road files"),
        "{err}"
    );
    // The same file twice would count its roads twice.
    let twice = folder.join("campo-grande.osm.pbf");
    let out = Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args(["serve", "--addr", "127.0.0.1:0", "--roads"])
        .args([twice.to_str().unwrap(), "--roads", folder.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("given twice"), "{err}");
}
