//! The store suite on PostgreSQL. Reads `GUICHET_TEST_DATABASE_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`); without it every test reports itself skipped
//! and passes. Each test runs in its own fresh schema, dropped at the end (even on failure).

use crate::suite;

use guichet_store::AnyStore;
use guichet_store::testkit::{TestSchema, test_database_url};
use suite::store_suite;

struct Fixture {
    store: AnyStore,
    schema: TestSchema,
}

impl Fixture {
    async fn finish(self) {
        self.store.close().await;
        drop(self.schema);
    }
}

async fn open() -> Option<Fixture> {
    let url = test_database_url()?;
    let schema = TestSchema::create(&url)
        .await
        .unwrap_or_else(|e| panic!("test database URL is set but PostgreSQL is unreachable: {e}"));
    let store = schema.store(6).await.expect("open PostgreSQL store");
    Some(Fixture {
        store: AnyStore::Postgres(store),
        schema,
    })
}

store_suite!(open);
