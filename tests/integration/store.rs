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

#[test]
fn users_tokens_and_the_audit_log() {
    use patrolmap::store::{Actor, Role, TokenCheck};
    let dir = temp_dir("store-users");
    let path = dir.join("s.db");
    let store = Store::open(&path).unwrap();
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
    // The token is not in the file: only its hash.
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    let wal = std::fs::read(dir.join("s.db-wal")).unwrap_or_default();
    let hex = &token[3..];
    for file in [&bytes, &wal] {
        assert!(!file.windows(hex.len()).any(|w| w == hex.as_bytes()));
    }
    let store = Store::open(&path).unwrap();
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
    use patrolmap::store::Actor;
    let dir = temp_dir("store-restore");
    let store = Store::open(&dir.join("s.db")).unwrap();
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
