//! Store throughput on the embedded SQLite backend: what one webhook turn costs the store
//! (`load_session` + `save_turn` with an SMS), and one outbox cycle (claim + mark sent).
//! Run: `cargo bench -p guichet-store`.

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use guichet_store::*;
use serde_json::json;

fn record(conversation: &str, seq: i64) -> TurnRecord {
    let at = Utc
        .with_ymd_and_hms(2026, 3, 10, 9, 0, 0)
        .single()
        .unwrap_or_default();
    TurnRecord {
        session: SessionRecord {
            tenant: "demo".into(),
            conversation_id: conversation.into(),
            channel: Channel::Voice,
            caller: Some(pseudonymise("+33612345678", b"bench")),
            state: json!({"turns": seq, "topic": "passeport", "misunderstood": 0}),
            started_at: at,
            updated_at: at,
            expires_at: at + chrono::Duration::seconds(600),
            closed_at: None,
            end_reason: None,
        },
        turn: Turn {
            seq,
            at,
            caller_text: "je voudrais refaire mon passeport".into(),
            reply_text: "Pour renouveler un passeport, prenez rendez-vous en ligne.".into(),
            decision: json!({"action": "answer", "fiche": "passeport-renouvellement",
                             "score": 0.91, "margin": 0.4}),
            action: "answer".into(),
            fiche: Some("passeport-renouvellement".into()),
            confidence: Some(0.91),
            reply: None,
            message_id: None,
        },
        tickets: Vec::new(),
        outbox: vec![NewOutboxMessage {
            idempotency_key: format!("{conversation}:{seq}:sms"),
            tenant: "demo".into(),
            conversation_id: Some(conversation.into()),
            to: "+33612345678".into(),
            sender: "VILLEBOURG".into(),
            body: "Passeport : https://villebourg.fr/passeport".into(),
            refusal: None,
            limits: None,
            created_at: at,
        }],
    }
}

fn sqlite(c: &mut Criterion) {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        eprintln!("cannot start a tokio runtime");
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("cannot create a temporary directory");
        return;
    };
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let store = match runtime.block_on(AnyStore::connect(&url)) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("cannot open the store: {e}");
            return;
        }
    };

    c.bench_function("sqlite/ping (one round trip)", |b| {
        b.iter(|| runtime.block_on(async { black_box(store.ping().await.is_ok()) }))
    });

    let mut seq = 0_i64;
    c.bench_function("sqlite/turn (load_session + save_turn with SMS)", |b| {
        b.iter(|| {
            seq += 1;
            let conversation = format!("CA{}", seq / 8);
            runtime.block_on(async {
                let session = store.load_session("demo", &conversation).await;
                let saved = store.save_turn(&record(&conversation, seq)).await;
                black_box((session.is_ok(), saved.is_ok()))
            })
        })
    });

    let now = Utc::now();
    c.bench_function("sqlite/outbox cycle (claim 1 + mark sent)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let claimed = store
                    .claim_due_outbox(1, now, Duration::from_secs(30))
                    .await
                    .unwrap_or_default();
                for message in &claimed {
                    let _ = store.mark_outbox_sent(message.id, "SMbench", now).await;
                }
                black_box(claimed.len())
            })
        })
    });
}

criterion_group!(benches, sqlite);
criterion_main!(benches);
