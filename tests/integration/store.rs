//! The scenario store on a real SQLite file: versions chain, a save on a stale version is
//! refused, concurrent savers (separate connections, as separate server processes would be)
//! lose nothing, and a backup restores exactly what it held.

use patrolmap::store::{Store, StoreError};

use crate::common::temp_dir;

#[test]
fn versions_chain_and_a_stale_save_is_refused() {
    let dir = temp_dir("store-versions");
    let store = Store::open(&dir.join("s.db")).unwrap();
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
    let again = Store::open(&dir.join("s.db")).unwrap();
    assert_eq!(again.versions_count().unwrap(), 3);
    assert_eq!(again.integrity().unwrap(), "ok");
}

#[test]
fn concurrent_savers_lose_nothing() {
    let dir = temp_dir("store-concurrent");
    let path = dir.join("s.db");
    Store::open(&path).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = Store::open(&path).unwrap();
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
    let store = Store::open(&path).unwrap();
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
    store.restore(&backup).unwrap();
    assert_eq!(store.versions_count().unwrap(), 2);
    assert_eq!(store.load(v1.id).unwrap().1, "{\"n\":1}");
    assert_eq!(store.integrity().unwrap(), "ok");
    // Not a store: a clear error naming the file, and the store is untouched.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, "not a database at all, just text").unwrap();
    let err = store.restore(&junk).unwrap_err().to_string();
    assert!(err.contains("junk.db"), "{err}");
    assert_eq!(store.versions_count().unwrap(), 2);
}
