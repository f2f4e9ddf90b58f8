//! The store suite on SQLite (a fresh database file per test).

use crate::suite;

use guichet_store::AnyStore;
use suite::store_suite;

struct Fixture {
    store: AnyStore,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn finish(self) {
        self.store.close().await;
    }
}

async fn open() -> Option<Fixture> {
    let dir = tempfile::tempdir().expect("temporary directory");
    // A sub-directory that does not exist yet: connect creates it, as for `data/`.
    let url = format!("sqlite://{}/data/guichet.db?mode=rwc", dir.path().display());
    let store = AnyStore::connect(&url).await.expect("open SQLite store");
    assert_eq!(store.backend(), "sqlite");
    Some(Fixture { store, _dir: dir })
}

store_suite!(open);

#[tokio::test]
async fn in_memory_database_works() {
    use guichet_store::{OutboxStore, SessionStore};
    let store = AnyStore::connect("sqlite::memory:")
        .await
        .expect("in-memory store");
    store.ping().await.expect("ping");
    assert_eq!(store.outbox_depth().await.expect("depth"), 0);
}

#[tokio::test]
async fn unsupported_url_is_a_clear_error() {
    let err = AnyStore::connect("mysql://root:secret@db/guichet")
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("unsupported database URL"), "{text}");
    assert!(
        !text.contains("secret"),
        "passwords never appear in errors: {text}"
    );
}

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    use guichet_store::AuditStore;
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/guichet.db?mode=rwc", dir.path().display());
    let store = AnyStore::connect(&url).await.expect("open");
    store
        .append_audit(&guichet_store::AuditEntry {
            at: chrono::Utc::now(),
            actor: "system".into(),
            commune: Some("demo".into()),
            action: "startup".into(),
            detail: String::new(),
        })
        .await
        .expect("audit");
    store.close().await;
    let again = AnyStore::connect(&url).await.expect("reopen");
    assert_eq!(
        again
            .list_audit(&["demo".to_string()], None, 10)
            .await
            .expect("list")
            .len(),
        1
    );
    again.close().await;
}

#[tokio::test]
async fn a_url_without_mode_creates_the_database_and_mode_rw_does_not() {
    use guichet_store::SessionStore;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("new/guichet.db");
    let store = AnyStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("a plain sqlite:// URL creates the database");
    store.ping().await.expect("ping");
    store.close().await;
    assert!(path.exists());

    let missing = dir.path().join("missing.db");
    let refused = AnyStore::connect(&format!("sqlite://{}?mode=rw", missing.display())).await;
    assert!(refused.is_err(), "mode=rw must not create a database");
    assert!(!missing.exists());
}
