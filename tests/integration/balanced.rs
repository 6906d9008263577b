//! Issue 16: two `patrolmap serve` behind a real load balancer (Debian's nginx) on loopback,
//! sharing one PostgreSQL store: a what-if made through one server has its tiles and
//! coverage served by the other (it evaluates the revision again from the store), and when
//! one server is killed the map goes on through the balancer. Runs when
//! `PATROLMAP_TEST_POSTGRES` is set and nginx is installed (scripts/test and .ci/run do both).

use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use crate::common::{postgres_schema, temp_dir};
use crate::server::{agent, read, start_server_on, Reply, Server};

/// nginx on a free loopback port in front of `upstreams`, with its files in `dir`.
struct Balancer {
    base: String,
    child: Child,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn balancer(dir: &std::path::Path, upstreams: &[&Server]) -> Option<Balancer> {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let port = free_port();
    let servers: String = upstreams
        .iter()
        .map(|s| {
            format!(
                "server {} max_fails=1 fail_timeout=30s;\n",
                s.base.trim_start_matches("http://")
            )
        })
        .collect();
    let d = dir.display();
    let conf = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         client_max_body_size 16m;\n\
         upstream patrolmap {{\n{servers}}}\n\
         server {{\n  listen 127.0.0.1:{port};\n  location / {{\n   proxy_pass http://patrolmap;\n\
         proxy_next_upstream error timeout http_502;\n   proxy_connect_timeout 2s;\n\
         proxy_set_header X-Forwarded-For $remote_addr;\n  }}\n }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let child = Command::new(nginx)
        .args(["-p", &d.to_string(), "-c"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Balancer { base, child });
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "nginx did not start: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
}

fn get(base: &str, token: &str, path: &str) -> Reply {
    read(
        agent()
            .get(format!("{base}{path}"))
            .header("authorization", format!("Bearer {token}"))
            .call()
            .unwrap(),
    )
}

fn whatif(base: &str, token: &str, scenario: &Value) -> Value {
    let reply = read(
        agent()
            .post(format!("{base}/api/whatif"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(scenario.to_string())
            .unwrap(),
    );
    reply.assert_status(200);
    reply.json()
}

/// The demo scenario with its first unit moved by `step` (a planner's drag).
fn dragged(scenario: &Value, step: f64) -> Value {
    let mut s = scenario.clone();
    let features = s["features"].as_array_mut().unwrap();
    let unit = features
        .iter_mut()
        .find(|f| f["properties"]["kind"] == "unit")
        .unwrap();
    let c = unit["geometry"]["coordinates"].as_array().unwrap().clone();
    unit["geometry"]["coordinates"] = json!([c[0].as_f64().unwrap() + step, c[1]]);
    s
}

#[test]
fn two_servers_behind_nginx_serve_each_others_revisions() {
    let Ok(url) = std::env::var("PATROLMAP_TEST_POSTGRES") else {
        eprintln!("two servers behind nginx: not tested (PATROLMAP_TEST_POSTGRES is not set; scripts/test sets it)");
        return;
    };
    let store = postgres_schema(&url, "balanced");
    let mut first = start_server_on(&store, true, &[]);
    let second = start_server_on(&store, false, &[]);
    let dir = temp_dir("balanced");
    let Some(nginx) = balancer(&dir, &[&first, &second]) else {
        eprintln!(
            "two servers behind nginx: not tested (nginx is not installed; .ci/run installs it)"
        );
        return;
    };
    let token = first.token.clone();
    let scenario = get(&first.base, &token, "/api/scenario").json();

    // A what-if through the first; its coverage and tiles from the second, which never saw
    // it: the same numbers, the same tile bytes.
    let made = whatif(&first.base, &token, &dragged(&scenario, 0.004));
    let rev = made["rev"].as_u64().unwrap();
    let there = get(&second.base, &token, &format!("/api/coverage?rev={rev}"));
    there.assert_status(200);
    assert_eq!(there.json()["tiers"], made["tiers"]);
    let tile = "/api/tiles/14/5708/9144.mvt";
    let a = get(&first.base, &token, &format!("{tile}?rev={rev}"));
    let b = get(&second.base, &token, &format!("{tile}?rev={rev}"));
    a.assert_status(200);
    b.assert_status(200);
    assert_eq!(a.body, b.body);
    // The same question is the same revision on every server.
    let again = whatif(&second.base, &token, &dragged(&scenario, 0.004));
    assert_eq!(again["rev"], made["rev"]);

    // Through the balancer, a planner's session: a what-if, then its tiles, spread over both.
    let through = whatif(&nginx.base, &token, &dragged(&scenario, -0.003));
    let rev = through["rev"].as_u64().unwrap();
    for x in 5706..5711 {
        get(
            &nginx.base,
            &token,
            &format!("/api/tiles/14/{x}/9144.mvt?rev={rev}"),
        )
        .assert_status(200);
    }
    // One server dies; the map goes on: the same revision's tiles, and new what-ifs.
    first.kill();
    for x in 5706..5711 {
        get(
            &nginx.base,
            &token,
            &format!("/api/tiles/14/{x}/9145.mvt?rev={rev}"),
        )
        .assert_status(200);
    }
    get(&nginx.base, &token, &format!("/api/coverage?rev={rev}")).assert_status(200);
    let after = whatif(&nginx.base, &token, &dragged(&scenario, 0.002));
    assert!(after["rev"].as_u64().unwrap() > 0);
}
