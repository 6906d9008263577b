//! Who gets in, over real HTTP: each role against each class of endpoint, missing, wrong and
//! expired tokens, the sign-in cookie, the public view, the audit log; and a scenario's
//! history: compare two versions with their coverage, restore an old one, export, delete.

use serde_json::{json, Value};

use crate::common::temp_dir;
use crate::server::{
    agent, assert_error, demo_scenario, get, post, read, server, signed, start_server_with, Reply,
};

/// `method` on `path` of the shared server with `token` (none: no credentials at all).
fn call(method: &str, path: &str, body: Option<&str>, token: Option<&str>) -> Reply {
    server().call(method, path, body, token)
}

/// A new user of `role` made by the admin over the API; their token.
fn add_user(name: &str, role: &str, query: &str) -> String {
    let reply = post(
        &format!("/api/users{query}"),
        &json!({"name": name, "role": role}).to_string(),
    );
    reply.assert_status(201);
    let token = reply.json()["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("pm_"));
    token
}

fn audit_has(action: &str, actor: &str, target: &str) -> bool {
    get("/api/audit")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|e| {
            e["action"] == action
                && e["actor"] == actor
                && e["target"] == target
                && e["remote"] == "127.0.0.1"
        })
}

#[test]
fn each_role_reaches_only_what_it_may() {
    let viewer = add_user("roles-viewer", "viewer", "");
    let planner = add_user("roles-planner", "planner", "");
    let expiring = add_user("roles-expiring", "admin", "?expires_in_s=1");
    let admin = server().token.clone();
    let scenario = demo_scenario().to_string();
    // The least role each needs: 0 viewer, 1 planner, 2 admin.
    let endpoints: Vec<(&str, &str, Option<&str>, usize)> = vec![
        ("GET", "/api/info", None, 0),
        ("GET", "/api/coverage", None, 0),
        ("GET", "/api/tiles/12/1430/2300.mvt", None, 0),
        ("GET", "/api/scenarios", None, 0),
        ("POST", "/api/whatif", Some(&scenario), 0),
        ("POST", "/api/scenarios/roles-test", Some(&scenario), 1),
        ("POST", "/api/scenario/import", Some(&scenario), 1),
        ("POST", "/api/versions/1/restore", None, 1),
        ("GET", "/api/users", None, 2),
        ("POST", "/api/users", Some("{}"), 2),
        ("GET", "/api/audit", None, 2),
        ("GET", "/api/audit.csv", None, 2),
        ("DELETE", "/api/scenarios/no-such-scenario", None, 2),
    ];
    std::thread::sleep(std::time::Duration::from_millis(2100)); // the expiring token expires
    let wrong = format!("pm_{}", "0".repeat(48));
    for (method, path, body, least) in &endpoints {
        for (token, what) in [(None, "none"), (Some(wrong.as_str()), "wrong")] {
            let reply = call(method, path, *body, token);
            assert_error(&reply, 401, Some("token"));
            assert!(reply.status == 401, "{method} {path} with {what} token");
        }
        let expired = call(method, path, *body, Some(&expiring));
        assert_error(&expired, 401, Some("token"));
        assert!(
            expired.json()["error"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{method} {path}: {}",
            expired.json()
        );
        for (rank, token) in [&viewer, &planner, &admin].iter().enumerate() {
            let reply = call(method, path, *body, Some(token));
            if rank < *least {
                assert_error(&reply, 403, None);
            } else {
                assert!(
                    reply.status != 401 && reply.status != 403,
                    "{method} {path} as rank {rank}: {} {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
        }
    }
    // The viewer's refused save left nothing behind; the planner's is the only version.
    let versions = get("/api/scenarios/roles-test").json();
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
    assert_eq!(versions[0]["author"], "roles-planner");
    assert!(audit_has("user_add", "admin", "roles-viewer"));
    assert!(audit_has("save", "roles-planner", "roles-test"));
    // A removed user is out at once, though their token was just checked.
    assert_eq!(call("GET", "/api/info", None, Some(&viewer)).status, 200);
    let removed = call("DELETE", "/api/users/roles-viewer", None, Some(&admin));
    assert_eq!(removed.status, 200);
    assert_error(
        &call("GET", "/api/info", None, Some(&viewer)),
        401,
        Some("token"),
    );
    assert!(audit_has("user_remove", "admin", "roles-viewer"));
    // An admin cannot lock themselves out.
    assert_error(
        &call("DELETE", "/api/users/admin", None, Some(&admin)),
        400,
        Some("name"),
    );
    // Bad user requests name their field.
    assert_error(
        &post("/api/users", "{\"name\": \"x\", \"role\": \"chief\"}"),
        400,
        Some("role"),
    );
    assert_error(
        &post("/api/users", "{\"name\": \"a b\", \"role\": \"viewer\"}"),
        400,
        Some("name"),
    );
    assert_error(
        &post(
            "/api/users",
            "{\"name\": \"roles-planner\", \"role\": \"viewer\"}",
        ),
        409,
        None,
    );
}

#[test]
fn the_web_view_signs_in_with_a_cookie() {
    let token = add_user("cookie-viewer", "viewer", "");
    let reply = call(
        "POST",
        "/api/session",
        Some(&json!({"token": token}).to_string()),
        None,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["user"], "cookie-viewer");
    assert_eq!(reply.json()["role"], "viewer");
    let set = reply.header("set-cookie").to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains(&token),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    // The cookie alone signs every request in, tiles included.
    let with_cookie = |path: &str| {
        read(
            agent()
                .get(format!("{}{path}", server().base))
                .header("cookie", &cookie)
                .call()
                .unwrap(),
        )
    };
    assert_eq!(with_cookie("/api/session").json()["user"], "cookie-viewer");
    assert_eq!(with_cookie("/api/tiles/12/1430/2300.mvt").status, 200);
    assert_error(&with_cookie("/api/users"), 403, None);
    // A wrong token is refused and the refusal is in the audit log.
    let refused = call(
        "POST",
        "/api/session",
        Some("{\"token\": \"pm_nope\"}"),
        None,
    );
    assert_error(&refused, 401, Some("token"));
    assert_error(
        &call("POST", "/api/session", Some("{}"), None),
        400,
        Some("token"),
    );
    assert_error(&call("GET", "/api/session", None, None), 401, Some("token"));
    assert!(audit_has("sign_in", "cookie-viewer", "session"));
    // Signing out clears the cookie.
    let out = call("DELETE", "/api/session", None, None);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    // The audit log as CSV: a header and a line per entry.
    let csv = get("/api/audit.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let text = String::from_utf8(csv.body).unwrap();
    assert!(text.starts_with("id,at,actor,action,target,detail,remote\n"));
    assert!(
        text.lines()
            .any(|l| l.contains(",cookie-viewer,sign_in,session,")),
        "{text}"
    );
}

#[test]
fn the_public_view_is_read_only_and_off_by_default() {
    let db = temp_dir("public-view").join("s.db");
    let public = start_server_with(&db, &["--public-view"]);
    let empty = "{\"type\": \"FeatureCollection\", \"features\": []}";
    let anonymous = |method: &str, path: &str| public.call(method, path, Some(empty), None);
    assert_eq!(anonymous("GET", "/api/info").status, 200);
    assert_eq!(anonymous("GET", "/api/coverage").status, 200);
    assert_eq!(anonymous("GET", "/api/tiles/12/1430/2300.mvt").status, 200);
    assert_eq!(anonymous("GET", "/api/session").json()["role"], "public");
    for (method, path) in [
        ("GET", "/api/scenarios"),
        ("POST", "/api/whatif"),
        ("POST", "/api/scenarios/x"),
        ("GET", "/api/audit"),
    ] {
        assert_error(&anonymous(method, path), 401, Some("token"));
    }
    // A signed-in admin still gets everything there.
    assert_eq!(public.get("/api/users").status, 200);
    // And the shared server, started without it, lets nobody in unsigned.
    assert_error(&call("GET", "/api/info", None, None), 401, Some("token"));
}

/// The tier shares of `summary`.
fn shares(summary: &Value) -> Vec<f64> {
    summary["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["share"].as_f64().unwrap())
        .collect()
}

#[test]
fn versions_are_compared_restored_exported_and_deleted() {
    let original = demo_scenario();
    let v1 = post(
        "/api/scenarios/history?message=start",
        &original.to_string(),
    );
    assert_eq!(v1.status, 201);
    let v1 = v1.json()["id"].as_i64().unwrap();
    // v2: the first unit removed, the second moved.
    let mut edited = original.clone();
    let features = edited["features"].as_array_mut().unwrap();
    let removed = features.remove(0)["properties"]["id"].clone();
    let moved = features[0]["properties"]["id"].clone();
    features[0]["geometry"]["coordinates"][0] = json!(-54.59);
    let v2 = post(
        &format!("/api/scenarios/history?base={v1}&message=edit"),
        &edited.to_string(),
    );
    assert_eq!(v2.status, 201);
    let v2 = v2.json()["id"].as_i64().unwrap();

    let compared = get(&format!("/api/compare?from={v1}&to={v2}"));
    compared.assert_status(200);
    let compared = compared.json();
    assert_eq!(compared["changes"]["removed"], json!([removed]));
    assert_eq!(compared["changes"]["moved"], json!([moved]));
    assert_eq!(compared["changes"]["added"], json!([]));
    // Each side's coverage is what a what-if of that scenario gives, and the difference is
    // theirs.
    let what_if_1 = post("/api/whatif", &original.to_string()).json();
    let what_if_2 = post("/api/whatif", &edited.to_string()).json();
    let (from, to) = (&compared["from"]["coverage"], &compared["to"]["coverage"]);
    assert_eq!(shares(from), shares(&what_if_1));
    assert_eq!(shares(to), shares(&what_if_2));
    for (i, d) in compared["difference"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let want = shares(&what_if_2)[i] - shares(&what_if_1)[i];
        assert!((d["share"].as_f64().unwrap() - want).abs() < 1e-12, "{d}");
    }
    assert_eq!(
        from["units"].as_u64().unwrap(),
        to["units"].as_u64().unwrap() + 1
    );
    // The revisions it made are there for the map.
    let rev = compared["to"]["coverage"]["rev"].as_u64().unwrap();
    assert_eq!(
        shares(&get(&format!("/api/coverage?rev={rev}")).json()),
        shares(to)
    );

    // Restore v1 on top of v2: a new version with v1's scenario; nothing lost in between.
    let restored = post(&format!("/api/versions/{v1}/restore?base={v2}"), "");
    restored.assert_status(201);
    let v3 = restored.json();
    assert_eq!(v3["parent"], v2);
    assert_eq!(v3["message"], format!("restored version {v1}"));
    let v3 = v3["id"].as_i64().unwrap();
    let history = get("/api/scenarios/history").json();
    assert_eq!(history.as_array().unwrap().len(), 3);
    // A restore from a stale view is refused like a stale save.
    let stale = post(&format!("/api/versions/{v1}/restore?base={v2}"), "");
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["latest"]["id"], v3);

    // Export: the same scenario as v1, as a download.
    let export = get(&format!("/api/versions/{v3}/export"));
    assert_eq!(export.status, 200);
    assert!(
        export.header("content-disposition").contains("history-v"),
        "{}",
        export.header("content-disposition")
    );
    let exported: Value = serde_json::from_slice(&export.body).unwrap();
    assert_eq!(exported, original);

    // Bad input names its field.
    assert_error(&get("/api/compare?from=1"), 400, Some("to"));
    assert_error(&get("/api/compare?from=x&to=2"), 400, Some("from"));
    assert_error(&get("/api/compare?from=1&to=99999999"), 404, None);
    assert_error(&post("/api/versions/zz/restore", ""), 400, Some("id"));

    // Deleted by the admin: gone, and in the audit log with who and from where.
    let deleted = read(
        signed(agent().delete(format!("{}/api/scenarios/history", server().base)))
            .call()
            .unwrap(),
    );
    assert_eq!(deleted.json()["versions"], 3);
    assert_error(&get("/api/scenarios/history"), 404, None);
    assert!(audit_has("restore", "admin", "history"));
    assert!(audit_has("delete", "admin", "history"));
}

/// Sends `request` over TLS to `address`, trusting only `cert`; the raw reply.
fn over_tls(address: &str, cert: &rcgen::Certificate, request: String) -> String {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.der().clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut reply = Vec::new();
        // A peer closing without close_notify still leaves what it sent.
        let _ = tls.read_to_end(&mut reply).await;
        String::from_utf8_lossy(&reply).into_owned()
    })
}

#[test]
fn the_server_speaks_tls_with_the_given_certificate() {
    use std::io::{Read, Write};
    let dir = temp_dir("tls");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    let cert = dir.join("cert.pem").to_str().unwrap().to_string();
    let key = dir.join("key.pem").to_str().unwrap().to_string();
    let secure = start_server_with(&dir.join("s.db"), &["--tls-cert", &cert, "--tls-key", &key]);
    assert!(secure.base.starts_with("https://"), "{}", secure.base);
    let address = secure.base.trim_start_matches("https://").to_string();
    let reply = over_tls(
        &address,
        &made.cert,
        format!(
            "GET /api/info HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            secure.token
        ),
    );
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("campo-grande"));
    // Browsers are told to come back over TLS only (issue 15).
    assert!(
        reply
            .to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{reply}"
    );
    // Over TLS the sign-in cookie is marked Secure.
    let body = json!({"token": secure.token}).to_string();
    let signed_in = over_tls(
        &address,
        &made.cert,
        format!(
            "POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(signed_in.starts_with("HTTP/1.1 200"), "{signed_in}");
    let cookie = signed_in
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap();
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut plain = std::net::TcpStream::connect(&address).unwrap();
    plain
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    plain
        .write_all(b"GET /api/info HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!String::from_utf8_lossy(&answer).contains("campo-grande"));
}

#[test]
fn a_bad_certificate_is_refused_before_anything_starts() {
    let dir = temp_dir("tls-bad");
    std::fs::write(dir.join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(dir.join("key.pem"), "not a key").unwrap();
    for (cert, key, names) in [
        ("cert.pem", "key.pem", "cert.pem"),
        ("missing.pem", "key.pem", "missing.pem"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
            .args(["serve", "--addr", "127.0.0.1:0", "--tls-cert"])
            .arg(dir.join(cert))
            .arg("--tls-key")
            .arg(dir.join(key))
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(names), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // One without the other is a usage error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args(["serve", "--tls-cert", "x.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn users_are_managed_and_the_audit_log_read_from_the_command_line() {
    let dir = temp_dir("cli-users");
    let db = dir.join("s.db");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
            .args(args)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap()
    };
    let added = run(&[
        "user",
        "add",
        "li",
        "--role",
        "planner",
        "--expires-in",
        "30d",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let token = String::from_utf8(added.stdout).unwrap().trim().to_string();
    let store = patrolmap::store::Store::open(&db).unwrap();
    match store.check_token(&token).unwrap() {
        patrolmap::store::TokenCheck::Valid { user, expires_at } => {
            assert_eq!(user.role, patrolmap::store::Role::Planner);
            let left = expires_at.unwrap() - patrolmap::store::now_s();
            assert!((30 * 86_400 - 5..=30 * 86_400).contains(&left), "{left}");
        }
        other => panic!("{other:?}"),
    }
    let second = run(&["user", "token", "li"]);
    assert!(second.status.success());
    let listed = String::from_utf8(run(&["user", "list"]).stdout).unwrap();
    assert!(listed.starts_with("li\tplanner\t2 live tokens"), "{listed}");
    // Bad input: a role that does not exist, a user twice, an unknown user, no store.
    let bad_role = run(&["user", "add", "wang", "--role", "chief"]);
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("viewer, planner, admin or feed"));
    let twice = run(&["user", "add", "li", "--role", "viewer"]);
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("exists already"));
    assert!(!run(&["user", "token", "nobody"]).status.success());
    let removed = run(&["user", "remove", "li"]);
    assert!(removed.status.success());
    assert_eq!(
        store.check_token(&token).unwrap(),
        patrolmap::store::TokenCheck::Unknown
    );
    // The audit log: every change, as lines and as CSV.
    let csv = dir.join("audit.csv");
    let written = run(&["audit", "--csv", csv.to_str().unwrap()]);
    assert!(written.status.success());
    let text = std::fs::read_to_string(&csv).unwrap();
    let actions: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(
        actions,
        ["user_add", "token_issue", "token_issue", "user_remove"]
    );
    assert!(text.lines().skip(1).all(|l| l.ends_with(",local")));
    let no_store = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args(["audit", "--db"])
        .arg(dir.join("nope.db"))
        .output()
        .unwrap();
    assert!(!no_store.status.success());
    assert!(String::from_utf8_lossy(&no_store.stderr).contains("nope.db"));
}

#[test]
fn a_postgres_store_serves_roles_versions_and_the_audit_log() {
    let Some((_, location)) = crate::common::test_stores("server-postgres")
        .into_iter()
        .find(|(engine, _)| *engine == "postgres")
    else {
        return; // said why in test_stores
    };
    let pg = crate::server::start_server_on(&location, true, &[]);
    let at = |method: &str, path: &str, body: Option<&str>, token: &str| {
        pg.call(method, path, body, Some(token))
    };
    let user = |name: &str, role: &str| {
        let reply = at(
            "POST",
            "/api/users",
            Some(&json!({"name": name, "role": role}).to_string()),
            &pg.token,
        );
        reply.assert_status(201);
        reply.json()["token"].as_str().unwrap().to_string()
    };
    let (planner, viewer) = (user("pg-planner", "planner"), user("pg-viewer", "viewer"));
    let scenario = at("GET", "/api/scenario", None, &viewer);
    let scenario = String::from_utf8(scenario.body).unwrap();
    let v1 = at(
        "POST",
        "/api/scenarios/pg-fair?message=one",
        Some(&scenario),
        &planner,
    );
    assert_eq!(v1.status, 201);
    let v1 = v1.json()["id"].as_i64().unwrap();
    assert_error(
        &at("POST", "/api/scenarios/pg-fair", Some(&scenario), &viewer),
        403,
        None,
    );
    let stale = at("POST", "/api/scenarios/pg-fair", Some(&scenario), &planner);
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["latest"]["id"], v1);
    let v2 = at(
        "POST",
        &format!("/api/scenarios/pg-fair?base={v1}&message=two"),
        Some(&scenario),
        &planner,
    );
    assert_eq!(v2.status, 201);
    let compared = at(
        "GET",
        &format!("/api/compare?from={v1}&to={}", v2.json()["id"]),
        None,
        &viewer,
    );
    assert_eq!(compared.status, 200);
    assert_eq!(compared.json()["changes"]["moved"], json!([]));
    let audit = at("GET", "/api/audit", None, &pg.token).json();
    let saves = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"] == "save" && e["actor"] == "pg-planner" && e["remote"] == "127.0.0.1"
        })
        .count();
    assert_eq!(saves, 2);
    assert_error(&at("GET", "/api/audit", None, &viewer), 403, None);
}
