//! One module per subcommand; each owns its arguments and its `run`.

pub mod apikey;
pub mod chat;
pub mod commune;
pub mod dialogues;
pub mod eval;
pub mod kb;
pub mod kb_import;
pub mod loadtest;
pub mod privacy;
pub mod serve;
pub mod staff;

use anyhow::Context as _;
use guichet_store::AnyStore;

/// Where the store is: `--database`, else the service's environment rule
/// ([`guichet::serve::config::database_url_from_env`]), else the embedded SQLite file.
pub(crate) fn database_url(flag: Option<String>) -> String {
    flag.filter(|url| !url.trim().is_empty())
        .or_else(guichet::serve::config::database_url_from_env)
        .unwrap_or_else(|| guichet_store::DEFAULT_SQLITE_URL.to_string())
}

/// Connects to the store on a fresh runtime and runs `work`.
pub(crate) fn with_store<T>(
    database: Option<String>,
    work: impl AsyncFnOnce(AnyStore) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let url = database_url(database);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let store = AnyStore::connect(&url)
            .await
            .context("connecting the store")?;
        let result = work(store.clone()).await;
        store.close().await;
        result
    })
}
