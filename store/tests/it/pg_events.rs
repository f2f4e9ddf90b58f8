//! The ticket feed on PostgreSQL (`LISTEN guichet_tickets`): what one node writes reaches the
//! other nodes' feeds, other schemas' tickets do not, and a listener whose connection is killed
//! comes back by itself. Reads `GUICHET_TEST_DATABASE_URL`; without it the tests report
//! themselves skipped and pass. Each test runs in its own schema, dropped at the end.

use std::time::Duration;

use chrono::Utc;
use guichet_store::testkit::{TestSchema, test_database_url};
use guichet_store::{
    AnyStore, Channel, FeedStatus, NewTicket, TicketChange, TicketKind, TicketStore, Transition,
};
use serde_json::json;
use tokio::sync::broadcast;

/// How long a change may take to travel from one node to another's feed.
const DELIVERY: Duration = Duration::from_secs(5);
/// How long a killed listener may take to listen again (first retry after 200 ms).
const RECOVERY: Duration = Duration::from_secs(15);

/// A store on `schema`, as one `guichet serve` node opens it.
async fn node(schema: &TestSchema) -> AnyStore {
    AnyStore::Postgres(schema.store(4).await.expect("open PostgreSQL store"))
}

fn ticket(tenant: &str, key: &str) -> NewTicket {
    NewTicket {
        idempotency_key: key.into(),
        tenant: tenant.into(),
        kind: TicketKind::Callback,
        channel: Channel::Voice,
        conversation_id: Some(format!("conv-{key}")),
        caller_number: Some("+33612345678".into()),
        topic: "Passeport".into(),
        fiche: Some("passeport".into()),
        summary: "Rappel demandé en dehors des horaires d'ouverture.".into(),
        transcript: json!([{"caller": "un agent s'il vous plaît", "robot": "…"}]),
        partner: None,
        reference: None,
        created_at: Utc::now(),
        due_at: None,
    }
}

/// Waits until the feed listens; returns the listener's backend pid.
async fn listening(status: &mut tokio::sync::watch::Receiver<FeedStatus>, within: Duration) -> i32 {
    let seen = tokio::time::timeout(
        within,
        status.wait_for(|s| matches!(s, FeedStatus::Listening { .. })),
    )
    .await
    .expect("the feed listens in time")
    .map(|s| *s)
    .expect("the feed is running");
    match seen {
        FeedStatus::Listening { backend_pid } => backend_pid,
        other => unreachable!("waited for Listening, got {other:?}"),
    }
}

/// The next change other than a resync.
async fn next_commune(changes: &mut broadcast::Receiver<TicketChange>) -> String {
    tokio::time::timeout(DELIVERY, async {
        loop {
            match changes.recv().await.expect("the feed is open") {
                TicketChange::Commune(tenant) => return tenant,
                TicketChange::Resync => continue,
            }
        }
    })
    .await
    .expect("the change reaches the other node's feed within 5 s")
}

#[tokio::test]
async fn what_one_node_writes_reaches_the_other_nodes_feed() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = TestSchema::create(&url).await.expect("create test schema");
    let elsewhere = TestSchema::create(&url).await.expect("create other schema");
    let a = node(&schema).await;
    let b = node(&schema).await;
    let other_deployment = node(&elsewhere).await;

    let feed = b.ticket_change_feed().expect("PostgreSQL has a feed");
    let mut status = feed.status();
    let listener_pid = listening(&mut status, DELIVERY).await;
    let mut changes = feed.subscribe();

    // Another schema of the same database (channels are database-wide) does not wake us:
    // its notification is sent first, so it would be received first.
    other_deployment
        .create_ticket(&ticket("ailleurs", "elsewhere-1"))
        .await
        .unwrap();
    let id = a.create_ticket(&ticket("villebourg", "t-1")).await.unwrap();
    assert_eq!(next_commune(&mut changes).await, "villebourg");

    // A change of state (a claim on node A) is seen too.
    let communes = vec!["villebourg".to_string()];
    assert_eq!(
        a.claim_ticket(id, &communes, 1, Utc::now()).await.unwrap(),
        Transition::Applied
    );
    assert_eq!(next_commune(&mut changes).await, "villebourg");
    // A refused claim changes nothing and says nothing.
    assert_eq!(
        a.claim_ticket(id, &communes, 2, Utc::now()).await.unwrap(),
        Transition::Refused
    );
    a.create_ticket(&ticket("autre-commune", "t-2"))
        .await
        .unwrap();
    assert_eq!(next_commune(&mut changes).await, "autre-commune");

    // The node's own writes come back through its feed as well.
    b.create_ticket(&ticket("villebourg", "t-3")).await.unwrap();
    assert_eq!(next_commune(&mut changes).await, "villebourg");

    // The last feed dropped, its connection is closed.
    drop(feed);
    let AnyStore::Postgres(pg) = &a else {
        unreachable!("a PostgreSQL node")
    };
    tokio::time::timeout(DELIVERY, async {
        loop {
            let open: i64 =
                sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = $1")
                    .bind(listener_pid)
                    .fetch_one(pg.pool())
                    .await
                    .unwrap();
            if open == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the listener's connection is closed when the feed is dropped");
    for store in [a, b, other_deployment] {
        store.close().await;
    }
    drop(schema);
    drop(elsewhere);
}

#[tokio::test]
async fn the_listener_comes_back_after_its_connection_is_killed() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = TestSchema::create(&url).await.expect("create test schema");
    let a = node(&schema).await;
    let b = node(&schema).await;
    let feed = b.ticket_change_feed().expect("PostgreSQL has a feed");
    let mut status = feed.status();
    let first_pid = listening(&mut status, DELIVERY).await;
    let mut changes = feed.subscribe();

    let AnyStore::Postgres(pg) = &a else {
        unreachable!("a PostgreSQL node")
    };
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first_pid)
        .fetch_one(pg.pool())
        .await
        .unwrap();
    assert!(
        terminated,
        "the listener's backend {first_pid} was terminated"
    );

    // It listens again on a new backend, and says that changes may have been missed.
    let second_pid = tokio::time::timeout(RECOVERY, async {
        loop {
            status.changed().await.expect("the feed is running");
            if let FeedStatus::Listening { backend_pid } = *status.borrow_and_update()
                && backend_pid != first_pid
            {
                return backend_pid;
            }
        }
    })
    .await
    .expect("the listener reconnects");
    assert_ne!(second_pid, first_pid);
    let resync = tokio::time::timeout(DELIVERY, changes.recv())
        .await
        .expect("a resync is announced")
        .unwrap();
    assert_eq!(resync, TicketChange::Resync);

    a.create_ticket(&ticket("villebourg", "after-reconnect"))
        .await
        .unwrap();
    assert_eq!(next_commune(&mut changes).await, "villebourg");

    // Closing the store stops the feed.
    b.close().await;
    tokio::time::timeout(DELIVERY, status.wait_for(|s| *s == FeedStatus::Stopped))
        .await
        .expect("the feed stops with its store")
        .unwrap();
    a.close().await;
    drop(schema);
}

#[tokio::test]
async fn sqlite_has_no_feed() {
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::connect(&format!(
        "sqlite://{}/guichet.db?mode=rwc",
        dir.path().display()
    ))
    .await
    .unwrap();
    assert!(store.ticket_change_feed().is_none());
    store.close().await;
}
