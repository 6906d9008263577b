//! The scenario store on a real SQLite file and on a real PostgreSQL (the same tests on both):
//! versions chain, a save on a stale version is refused, concurrent savers (separate
//! connections, as separate server processes would be) lose nothing, users and tokens, the
//! audit log; SQLite's backup restores exactly what it held; PostgreSQL's geometry tables hold
//! every saved feature for QGIS.

use patrolmap::store::{Actor, Role, Store, StoreError};

use crate::common::{temp_dir, test_stores};

#[test]
fn versions_chain_and_a_stale_save_is_refused() {
    for (engine, location) in test_stores("store-versions") {
        eprintln!("{engine}");
        versions_chain_on(&location);
    }
}

fn versions_chain_on(location: &str) {
    let store = Store::open_location(location).unwrap();
    let v1 = store
        .save("dragon-boat", None, "li", "first draft", "{\"a\":1}")
        .unwrap();
    assert_eq!(v1.parent, None);
    // Someone else also starts a new scenario of the same name: refused, told the latest.
    match store.save("dragon-boat", None, "wang", "mine", "{}") {
        Err(StoreError::Conflict { latest, base, .. }) => {
            assert_eq!((latest, base), (Some(v1.id), None))
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let v2 = store
        .save(
            "dragon-boat",
            Some(v1.id),
            "li",
            "moved post 3",
            "{\"a\":2}",
        )
        .unwrap();
    assert_eq!(v2.parent, Some(v1.id));
    // A save on v1 after v2 is refused; nothing is written.
    assert!(matches!(
        store.save("dragon-boat", Some(v1.id), "wang", "late", "{}"),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.versions_count().unwrap(), 2);
    let list = store.versions("dragon-boat").unwrap();
    assert_eq!(
        list.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![v1.id, v2.id]
    );
    assert_eq!(store.load(v1.id).unwrap().1, "{\"a\":1}");
    assert_eq!(store.load(v2.id).unwrap().0.message, "moved post 3");
    assert!(matches!(store.load(999), Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.versions("nothing"),
        Err(StoreError::NotFound(_))
    ));
    store.save("trade-fair", None, "zhao", "new", "{}").unwrap();
    let names: Vec<String> = store
        .scenarios()
        .unwrap()
        .into_iter()
        .map(|v| v.scenario)
        .collect();
    assert_eq!(names, vec!["dragon-boat", "trade-fair"]);
    // Reopened, everything is there.
    drop(store);
    let again = Store::open_location(location).unwrap();
    assert_eq!(again.versions_count().unwrap(), 3);
    assert_eq!(again.integrity().unwrap(), "ok");
}

#[test]
fn concurrent_savers_lose_nothing() {
    for (engine, location) in test_stores("store-concurrent") {
        eprintln!("{engine}");
        concurrent_savers_on(&location);
    }
}

fn concurrent_savers_on(path: &str) {
    Store::open_location(path).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.to_string();
            std::thread::spawn(move || {
                let store = Store::open_location(&path).unwrap();
                let mut saved = Vec::new();
                let mut conflicts = 0;
                while saved.len() < 20 {
                    let base = store
                        .versions("shared")
                        .ok()
                        .and_then(|v| v.last().map(|v| v.id));
                    match store.save(
                        "shared",
                        base,
                        &format!("planner-{t}"),
                        "edit",
                        &format!("{{\"t\":{t}}}"),
                    ) {
                        Ok(v) => saved.push(v.id),
                        Err(StoreError::Conflict { .. }) => conflicts += 1,
                        Err(e) => panic!("{e}"),
                    }
                }
                (saved, conflicts)
            })
        })
        .collect();
    let mut acknowledged: Vec<i64> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap().0)
        .collect();
    acknowledged.sort_unstable();
    let store = Store::open_location(path).unwrap();
    let versions = store.versions("shared").unwrap();
    // Every acknowledged save is there, and each stands on the one before it: one line of
    // history, no save overwritten.
    assert_eq!(
        versions.iter().map(|v| v.id).collect::<Vec<_>>(),
        acknowledged
    );
    for pair in versions.windows(2) {
        assert_eq!(pair[1].parent, Some(pair[0].id));
    }
    assert_eq!(versions.len(), 80);
}

#[test]
fn a_backup_restores_what_it_held() {
    let dir = temp_dir("store-backup");
    let store = Store::open(&dir.join("s.db")).unwrap();
    let v1 = store.save("fair", None, "li", "one", "{\"n\":1}").unwrap();
    store
        .save("fair", Some(v1.id), "li", "two", "{\"n\":2}")
        .unwrap();
    let backup = dir.join("backup.db");
    store.backup(&backup).unwrap();
    let latest = store.versions("fair").unwrap().last().unwrap().id;
    store
        .save("fair", Some(latest), "li", "three", "{\"n\":3}")
        .unwrap();
    assert_eq!(store.versions_count().unwrap(), 3);
    let kept = store.restore(&backup).unwrap();
    assert_eq!(store.versions_count().unwrap(), 2);
    // The store as it was is kept beside it, whole.
    assert!(kept.starts_with(&dir), "{}", kept.display());
    assert_eq!(Store::open(&kept).unwrap().versions_count().unwrap(), 3);
    assert_eq!(store.load(v1.id).unwrap().1, "{\"n\":1}");
    assert_eq!(store.integrity().unwrap(), "ok");
    // Not a store: a clear error naming the file, and the store is untouched.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, "not a database at all, just text").unwrap();
    let err = store.restore(&junk).unwrap_err().to_string();
    assert!(err.contains("junk.db"), "{err}");
    assert_eq!(store.versions_count().unwrap(), 2);
}

/// A store with a few versions, users and audit lines, and how many of each it holds.
fn store_with_history(path: &std::path::Path) -> (Store, (i64, usize, usize)) {
    let store = Store::open(path).unwrap();
    let v1 = store.save("fair", None, "li", "one", "{\"n\":1}").unwrap();
    store
        .save("fair", Some(v1.id), "li", "two", "{\"n\":2}")
        .unwrap();
    store
        .add_user(&Actor::local("test"), "wang", Role::Planner, None)
        .unwrap();
    let counts = counts_of(&store);
    (store, counts)
}

fn counts_of(store: &Store) -> (i64, usize, usize) {
    (
        store.versions_count().unwrap(),
        store.users().unwrap().len(),
        store.audit_log(1_000_000).unwrap().len(),
    )
}

/// Issue 15: `db restore` of an empty file, another application's database or a damaged
/// store is refused, naming the file and what is wrong; the store keeps every version, user
/// and audit line, and the file given is not written to.
#[test]
fn a_restore_never_destroys_the_store() {
    let dir = temp_dir("store-restore-refused");
    let (store, counts) = store_with_history(&dir.join("s.db"));
    let empty = dir.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let other = dir.join("crm.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('a')").unwrap();
    }
    let damaged = dir.join("damaged.db");
    {
        let (other_store, _) = store_with_history(&dir.join("damaged-source.db"));
        other_store.backup(&damaged).unwrap();
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = 4096.min(bytes.len() / 2);
    for b in &mut bytes[page..page * 2] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    for (file, reason) in [
        (&empty, "empty"),
        (&other, "customers"),
        (&damaged, "damaged"),
    ] {
        let before = std::fs::read(file).unwrap();
        let err = store.restore(file).unwrap_err().to_string();
        assert!(
            err.contains(&file.display().to_string()) && err.contains(reason),
            "{err}"
        );
        assert_eq!(counts_of(&store), counts, "{}", file.display());
        assert_eq!(
            std::fs::read(file).unwrap(),
            before,
            "{} was written",
            file.display()
        );
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        assert!(!dir.join(format!("{name}-wal")).exists());
    }
    // Served or opened, another application's database is refused and left as it was.
    let before = std::fs::read(&other).unwrap();
    let err = Store::open(&other).err().expect("refused").to_string();
    assert!(
        err.contains("crm.db") && err.contains("not a patrolmap store"),
        "{err}"
    );
    assert_eq!(std::fs::read(&other).unwrap(), before);
    // A damaged store does not open: it says how to restore.
    let err = Store::open(&damaged).err().expect("refused").to_string();
    assert!(
        err.contains("quick check") && err.contains("db restore"),
        "{err}"
    );
    // A backup onto something else names that file, not the store, and leaves it.
    let text = dir.join("notes.txt");
    std::fs::write(&text, "shift notes").unwrap();
    let err = store.backup(&text).unwrap_err().to_string();
    assert!(err.contains("notes.txt") && !err.contains("s.db"), "{err}");
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "shift notes");
}

#[test]
fn users_tokens_and_the_audit_log() {
    for (engine, location) in test_stores("store-users") {
        eprintln!("{engine}");
        users_on(&location);
    }
}

/// Every byte the store keeps: the SQLite file and its journal, or PostgreSQL's rows as text.
fn stored_text(location: &str) -> Vec<u8> {
    if location.starts_with("postgres") {
        let mut client = postgres::Client::connect(location, postgres::NoTls).unwrap();
        let mut all = Vec::new();
        for table in ["users", "tokens", "audit", "versions"] {
            for row in client
                .query(&format!("SELECT t::text FROM {table} t"), &[])
                .unwrap()
            {
                all.extend(row.get::<_, String>(0).into_bytes());
            }
        }
        all
    } else {
        let mut all = std::fs::read(location).unwrap();
        all.extend(std::fs::read(format!("{location}-wal")).unwrap_or_default());
        all
    }
}

fn users_on(location: &str) {
    use patrolmap::store::{Actor, Role, TokenCheck};
    let store = Store::open_location(location).unwrap();
    let admin = Actor {
        name: "chen".into(),
        remote: "10.0.0.9".into(),
    };
    let token = store.add_user(&admin, "li", Role::Planner, None).unwrap();
    match store.check_token(&token).unwrap() {
        TokenCheck::Valid { user, expires_at } => {
            assert_eq!((user.name.as_str(), user.role), ("li", Role::Planner));
            assert_eq!(expires_at, None);
        }
        other => panic!("{other:?}"),
    }
    // A token one character off, or of another form, is nobody's.
    let mut wrong = token.clone().into_bytes();
    let last = wrong.len() - 1;
    wrong[last] = if wrong[last] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();
    assert_eq!(store.check_token(&wrong).unwrap(), TokenCheck::Unknown);
    assert_eq!(store.check_token("li").unwrap(), TokenCheck::Unknown);
    // The token is not stored: only its hash.
    drop(store);
    let stored = stored_text(location);
    let hex = &token[3..];
    assert!(stored.len() > 100);
    assert!(!stored.windows(hex.len()).any(|w| w == hex.as_bytes()));
    let store = Store::open_location(location).unwrap();
    // A second user, a duplicate, an expired token.
    assert!(store.add_user(&admin, "li", Role::Viewer, None).is_err());
    let short = store
        .add_user(&admin, "wang", Role::Viewer, Some(-1))
        .unwrap();
    assert_eq!(store.check_token(&short).unwrap(), TokenCheck::Expired);
    let users = store.users().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!((users[1].name.as_str(), users[1].tokens), ("wang", 0));
    // Removed: their tokens go with them.
    store.remove_user(&admin, "li").unwrap();
    assert_eq!(store.check_token(&token).unwrap(), TokenCheck::Unknown);
    assert!(store.remove_user(&admin, "li").is_err());
    // Every change is in the audit log, with who and from where, newest first.
    store.save_by(&admin, "fair", None, "first", "{}").unwrap();
    let log = store.audit_log(100).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "save",
            "user_remove",
            "token_issue",
            "user_add",
            "token_issue",
            "user_add"
        ]
    );
    assert!(log
        .iter()
        .all(|e| e.actor == "chen" && e.remote == "10.0.0.9"));
    assert_eq!(log[0].detail, "version 1: first");
    // A refused save writes no audit line.
    assert!(store.save_by(&admin, "fair", None, "stale", "{}").is_err());
    assert_eq!(store.audit_log(100).unwrap().len(), log.len());
}

#[test]
fn an_old_version_is_restored_as_the_newest() {
    for (engine, location) in test_stores("store-restore") {
        eprintln!("{engine}");
        restore_on(&location);
    }
}

fn restore_on(location: &str) {
    use patrolmap::store::Actor;
    let store = Store::open_location(location).unwrap();
    let li = Actor::local("li");
    let v1 = store
        .save_by(&li, "fair", None, "one", "{\"n\":1}")
        .unwrap();
    let v2 = store
        .save_by(&li, "fair", Some(v1.id), "two", "{\"n\":2}")
        .unwrap();
    // From a stale view: refused.
    assert!(store.restore_version(&li, v1.id, Some(v1.id)).is_err());
    let v3 = store.restore_version(&li, v1.id, Some(v2.id)).unwrap();
    assert_eq!(v3.parent, Some(v2.id));
    assert_eq!(store.load(v3.id).unwrap().1, "{\"n\":1}");
    assert_eq!(store.versions("fair").unwrap().len(), 3);
    assert_eq!(store.delete_scenario(&li, "fair").unwrap(), 3);
    assert!(store.versions("fair").is_err());
    assert!(store.delete_scenario(&li, "fair").is_err());
}

#[test]
fn postgres_keeps_every_saved_feature_as_postgis_geometry() {
    let Some((_, location)) = test_stores("store-postgis")
        .into_iter()
        .find(|(engine, _)| *engine == "postgres")
    else {
        return; // said why in test_stores
    };
    let store = Store::open_location(&location).unwrap();
    assert!(store.is_postgres());
    let root = env!("CARGO_MANIFEST_DIR");
    let demo = std::fs::read_to_string(format!("{root}/data/demo-scenario.geojson")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&demo).unwrap();
    let v1 = store.save("demo", None, "li", "one", &demo).unwrap();
    // A second version with the first feature moved: the latest view has the moved one.
    let mut moved = parsed.clone();
    let first = &mut moved["features"][0];
    let id = first["properties"]["id"].as_str().unwrap().to_string();
    first["geometry"] = serde_json::json!({"type": "Point", "coordinates": [-54.6, -20.45]});
    store
        .save("demo", Some(v1.id), "li", "two", &moved.to_string())
        .unwrap();
    let mut client = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    let features = parsed["features"].as_array().unwrap();
    let per_version: i64 = client
        .query_one("SELECT count(*) FROM latest_features", &[])
        .unwrap()
        .get(0);
    assert_eq!(per_version as usize, features.len());
    let all: i64 = client
        .query_one("SELECT count(*) FROM features", &[])
        .unwrap()
        .get(0);
    assert_eq!(all as usize, 2 * features.len());
    // Every geometry is valid, in WGS 84, of the type the GeoJSON says.
    let rows = client
        .query(
            "SELECT kind, GeometryType(geom), ST_SRID(geom), ST_IsValid(geom) FROM latest_features",
            &[],
        )
        .unwrap();
    for row in &rows {
        assert_eq!(row.get::<_, i32>(2), 4326);
        assert!(row.get::<_, bool>(3));
    }
    let kinds = |f: &serde_json::Value| {
        f["properties"]["kind"]
            .as_str()
            .unwrap_or("unit")
            .to_string()
    };
    let mut want: Vec<String> = features.iter().map(kinds).collect();
    let mut got: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let (x, y): (f64, f64) = {
        let row = client
            .query_one(
                "SELECT ST_X(geom), ST_Y(geom) FROM latest_features WHERE feature_id = $1",
                &[&id],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((x, y), (-54.6, -20.45));
    assert_eq!(store.integrity().unwrap(), "ok");
    // Deleting the scenario takes its geometry with it.
    store
        .delete_scenario(&patrolmap::store::Actor::local("li"), "demo")
        .unwrap();
    let left: i64 = client
        .query_one("SELECT count(*) FROM features", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    // An SQLite backup of a PostgreSQL store is refused with what to use instead.
    let err = store
        .backup(&temp_dir("store-postgis-backup").join("b.db"))
        .unwrap_err();
    assert!(err.to_string().contains("pg_dump"), "{err}");
}

/// Issue 15: what SQLite stores, PostgreSQL stores: a position with an altitude (valid RFC
/// 7946), a NUL in a property; a NUL in a message is dropped by both alike. PostgreSQL's
/// geometry rows hold the point (in 2D).
#[test]
fn both_engines_store_altitudes_and_nuls() {
    let geojson = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"unit","id":"u\u00001","name":"a\u0000b"},"geometry":{"type":"Point","coordinates":[-54.6,-20.46,532.5]}}]}"#;
    for (engine, location) in test_stores("store-altitude") {
        let store = Store::open_location(&location).unwrap();
        let v = store
            .save("fair", None, "li", "with a NUL \0 inside", geojson)
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        let (version, text) = store.load(v.id).unwrap();
        assert_eq!(text, geojson, "{engine}");
        assert_eq!(version.message, "with a NUL  inside", "{engine}");
        assert_eq!(store.integrity().unwrap(), "ok", "{engine}");
        if engine == "postgres" {
            let mut client = postgres::Client::connect(&location, postgres::NoTls).unwrap();
            let row = client
                .query_one(
                    "SELECT ST_X(geom), ST_NDims(geom) FROM features WHERE version_id = $1",
                    &[&v.id],
                )
                .unwrap();
            assert_eq!(row.get::<_, f64>(0), -54.6);
            assert_eq!(row.get::<_, i16>(1), 2);
        }
    }
}

/// Issue 16: a what-if's inputs are kept for every server: read back by id, the first kept
/// under an id stays (a second write of the id only renews it), unknown ids are none.
#[test]
fn revisions_are_kept_for_every_server() {
    for (engine, location) in test_stores("store-revisions") {
        let store = Store::open_location(&location).unwrap();
        store.keep_revision(42, "city-a", "{\"n\":1}").unwrap();
        store.keep_revision(42, "city-a", "{\"n\":2}").unwrap();
        let kept = store.revision(42).unwrap().expect(engine);
        assert_eq!(
            (kept.city.as_str(), kept.scenario.as_str()),
            ("city-a", "{\"n\":1}"),
            "{engine}"
        );
        assert_eq!(store.revision(43).unwrap(), None, "{engine}");
        // Another connection (another server) sees it.
        let other = Store::open_location(&location).unwrap();
        assert!(other.revision(42).unwrap().is_some(), "{engine}");
        // Saves stay durable and work as before after an unsynced write.
        store.save("fair", None, "li", "one", "{}").unwrap();
        assert_eq!(store.versions_count().unwrap(), 1);
    }
}

/// Issue 15: a store made before stores were marked (no `application_id`, only the store's
/// own tables) is still a store: opened, kept whole, and marked.
#[test]
fn a_store_from_before_the_mark_still_opens() {
    let dir = temp_dir("store-unmarked");
    let path = dir.join("old.db");
    {
        let (store, counts) = store_with_history(&path);
        drop(store);
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA application_id = 0; PRAGMA user_version = 0; DROP TABLE revisions;",
        )
        .unwrap();
        drop(c);
        let store = Store::open(&path).unwrap();
        assert_eq!(counts_of(&store), counts);
    }
    let c = rusqlite::Connection::open(&path).unwrap();
    let id: i64 = c
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id, patrolmap::store::sql::APPLICATION_ID);
}
