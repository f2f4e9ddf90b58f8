//! Operators' pages and jobs: statistics with suggestions and dialogue export, evaluation
//! history, first administrator, privacy export and erasure, retention.

mod common;

use axum::http::StatusCode;
use common::{Client, account, closed_hours_call, harness, signed_in};
use guichet_console::{accounts, privacy, retention};
use guichet_store::{NewEvalRun, Role, Store};
use serde_json::json;

#[tokio::test]
async fn statistics_suggestion_and_dialogue_export() {
    let h = harness().await;
    closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    h.store
        .close_session("villebourg", "CA-1", "hangup", h.clock.now())
        .await
        .expect("close");
    h.clock.advance(chrono::Duration::minutes(5));
    let (ops, password) = account(
        &h,
        "ops@villebourg.example",
        Role::Operateur,
        &["villebourg"],
    )
    .await;
    let mut client = Client::new(&h);
    client.login(&ops, &password).await;
    let page = client.get("/console/statistiques?jours=1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<span class=\"big\">1</span> appel ou message"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("100,0\u{a0}%</span> à rappeler"),
        "the one call was a callback: {}",
        page.body
    );

    // A fallback turn to attach to a fiche.
    let now = h.clock.now();
    let record = guichet_store::TurnRecord {
        session: guichet_store::SessionRecord {
            tenant: "villebourg".into(),
            conversation_id: "CA-2".into(),
            channel: guichet_store::Channel::Voice,
            caller: None,
            state: json!({}),
            started_at: now,
            updated_at: now,
            expires_at: now + chrono::Duration::minutes(10),
            closed_at: Some(now),
            end_reason: Some("hangup".into()),
        },
        turn: guichet_store::Turn {
            seq: 1,
            at: now,
            caller_text: "mon papier pour le bébé".into(),
            reply_text: "Je n'ai pas compris.".into(),
            decision: json!({ "action": "fallback" }),
            action: "fallback".into(),
            fiche: None,
            confidence: Some(0.1),
            reply: None,
            message_id: None,
        },
        tickets: vec![],
        outbox: vec![],
    };
    h.store.save_turn(&record).await.expect("turn");
    h.clock.advance(chrono::Duration::minutes(1));
    let page = client.get("/console/statistiques?jours=1").await;
    assert!(
        page.body.contains("mon papier pour le bébé"),
        "{}",
        page.body
    );
    let csrf = page.csrf().expect("csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("commune", "villebourg"),
        ("conversation_id", "CA-2"),
        ("seq", "1"),
        ("fiche", "etat-civil"),
    ];
    let suggested = client
        .post("/console/statistiques/suggestion", &fields)
        .await;
    assert_eq!(
        suggested.status,
        StatusCode::SEE_OTHER,
        "{}",
        suggested.body
    );
    let dir = h.dir.path().join("villebourg").join("suggestions");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("suggestions dir")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).expect("read");
    assert!(text.contains("fiche: etat-civil"));
    assert!(text.contains("mon papier pour le bébé"));
    assert!(text.contains("ops@villebourg.example"));
    let exported = client.post("/console/statistiques/dialogue", &fields).await;
    assert_eq!(exported.status, StatusCode::OK);
    assert!(exported.headers.get("content-disposition").is_some());
    let dialogue: serde_json::Value = serde_yaml_ng::from_str(&exported.body).expect("yaml");
    assert_eq!(dialogue["turns"][0]["caller"], "mon papier pour le bébé");
    assert_eq!(dialogue["turns"][0]["expect"]["fiche"], "etat-civil");
    // An unknown fiche is refused.
    let bad = client
        .post(
            "/console/statistiques/suggestion",
            &[
                ("csrf", csrf.as_str()),
                ("commune", "villebourg"),
                ("conversation_id", "CA-2"),
                ("seq", "1"),
                ("fiche", "../../etc"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let audit = h
        .store
        .list_audit(&["villebourg".into()], None, 50)
        .await
        .expect("audit");
    assert!(audit.iter().any(|a| a.entry.action == "suggestion.create"));
    assert!(audit.iter().any(|a| a.entry.action == "dialogue.export"));
}

#[tokio::test]
async fn evaluation_history_is_shown() {
    let h = harness().await;
    h.store
        .insert_eval_run(&NewEvalRun {
            at: h.clock.now(),
            commune: "villebourg".into(),
            metrics: json!({ "1_fiches_justes": 0.9512, "détails": { "dialogues": 319 } }),
            report: json!({}),
        })
        .await
        .expect("run");
    let mut client = signed_in(
        &h,
        "ops@villebourg.example",
        Role::Operateur,
        &["villebourg"],
    )
    .await;
    let page = client.get("/console/evaluation").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Précision des fiches"), "{}", page.body);
    assert!(page.body.contains("95,1\u{a0}%"));
    assert!(page.body.contains("319"));
    assert!(!page.body.contains("1_fiches_justes"), "no code shown");
}

#[tokio::test]
async fn first_start_creates_one_admin() {
    let h = harness().await;
    let communes = vec!["villebourg".to_string()];
    let created = accounts::ensure_first_admin(&h.store, &communes, h.clock.now())
        .await
        .expect("store")
        .expect("an admin on an empty store");
    assert_eq!(created.email, accounts::FIRST_ADMIN_EMAIL);
    assert!(
        accounts::ensure_first_admin(&h.store, &communes, h.clock.now())
            .await
            .expect("store")
            .is_none()
    );
    let mut client = Client::new(&h);
    let login = client.login(&created.email, &created.password).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    // A one-time password: every page leads to the password change until one is chosen.
    let before = client.get("/console/comptes").await;
    assert_eq!(before.status, StatusCode::SEE_OTHER);
    assert!(
        before
            .location()
            .is_some_and(|to| to.ends_with("/mot-de-passe")),
        "{:?}",
        before.location()
    );
    let csrf = client.csrf("/console/mot-de-passe").await;
    let chosen = "un mot de passe choisi par l'admin";
    let changed = client
        .post(
            "/console/mot-de-passe",
            &[
                ("csrf", csrf.as_str()),
                ("current", created.password.as_str()),
                ("new", chosen),
                ("confirm", chosen),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    assert_eq!(client.get("/console/comptes").await.status, StatusCode::OK);
}

#[tokio::test]
async fn privacy_export_and_erase() {
    let h = harness().await;
    let key = privacy::PseudonymKey {
        bytes: b"test-key".to_vec(),
        is_dev_default: false,
    };
    let id = closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    closed_hours_call(&h, "villebourg", "CA-2", "+33699999999", "Autre usager").await;
    let export = privacy::export(&h.store, "06 12 34 56 78", &key, "test", h.clock.now())
        .await
        .expect("export");
    let json = serde_json::to_value(&export).expect("json");
    assert_eq!(json["number"], "+33612345678");
    assert_eq!(json["tickets"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["turns"].as_array().map(Vec::len), Some(1));
    assert!(!json.to_string().contains("+33699999999"));
    let report = privacy::erase(&h.store, "+33612345678", &key, "test", h.clock.now())
        .await
        .expect("erase");
    assert_eq!(report.sessions_deleted, 1);
    assert_eq!(report.tickets_anonymised, 1);
    let ticket = h
        .store
        .get_ticket(id, &["villebourg".into()])
        .await
        .expect("store")
        .expect("ticket");
    assert_eq!(ticket.caller_number, None);
    let again = privacy::export(&h.store, "+33612345678", &key, "test", h.clock.now())
        .await
        .expect("export");
    assert!(again.records.sessions.is_empty() && again.records.tickets.is_empty());
    let audit = h.store.list_audit(&[], None, 10).await.unwrap_or_default();
    assert!(
        audit
            .iter()
            .all(|a| !a.entry.detail.contains("+33612345678")),
        "no number in clear in the audit log"
    );
}

#[tokio::test]
async fn retention_purges_old_transcripts_and_anonymises_closed_tickets() {
    let h = harness().await;
    let id = closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    h.store
        .close_session("villebourg", "CA-1", "hangup", h.clock.now())
        .await
        .expect("close");
    let agent = accounts::add_staff(
        &h.store,
        "a@villebourg.example",
        Role::Standardiste,
        &["villebourg".into()],
        h.clock.now(),
    )
    .await
    .expect("agent");
    h.store
        .close_ticket(id, &["villebourg".into()], agent.id, h.clock.now())
        .await
        .expect("close ticket");
    let communes: Vec<_> = h.state.communes().cloned().collect();
    let early = retention::retention_pass(
        &h.store,
        &communes,
        h.clock.now() + chrono::Duration::days(10),
    )
    .await
    .expect("pass");
    assert!(early.iter().all(|(_, r)| r.turns_deleted == 0));
    let late = retention::retention_pass(
        &h.store,
        &communes,
        h.clock.now() + chrono::Duration::days(91),
    )
    .await
    .expect("pass");
    let villebourg = late
        .iter()
        .find(|(c, _)| c == "villebourg")
        .map(|(_, r)| *r)
        .unwrap_or_default();
    assert_eq!(villebourg.turns_deleted, 1);
    assert_eq!(villebourg.tickets_anonymised, 1);
    let ticket = h
        .store
        .get_ticket(id, &["villebourg".into()])
        .await
        .expect("store")
        .expect("ticket");
    assert!(ticket.anonymised_at.is_some());
    assert_eq!(ticket.caller_number, None);
}

#[tokio::test]
async fn a_ticket_page_says_how_its_transfer_ended() {
    use guichet_store::{Channel, DialOutcome, NewTicket, TicketKind};
    let h = harness().await;
    let transfer = |conversation: &str| NewTicket {
        idempotency_key: format!("{conversation}:1:ticket:0"),
        tenant: "villebourg".into(),
        kind: TicketKind::Transfer,
        channel: Channel::Voice,
        conversation_id: Some(conversation.into()),
        caller_number: Some("+33612345678".into()),
        topic: "État civil".into(),
        fiche: None,
        summary: "L'usager demande un agent.".into(),
        transcript: serde_json::json!([]),
        partner: None,
        reference: None,
        created_at: h.clock.now(),
    };
    let mut client = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    for (conversation, outcome, label) in [
        ("CA-T1", DialOutcome::Answered, "transféré, décroché"),
        (
            "CA-T2",
            DialOutcome::Unanswered,
            "transfert sans réponse du standard",
        ),
    ] {
        let id = h
            .store
            .create_ticket(&transfer(conversation))
            .await
            .unwrap();
        let before = client.get(&format!("/console/tickets/{id}")).await;
        assert!(!before.body.contains(label));
        h.store
            .record_dial_outcome("villebourg", conversation, outcome, h.clock.now())
            .await
            .unwrap()
            .expect("a transfer ticket");
        let after = client.get(&format!("/console/tickets/{id}")).await;
        assert_eq!(after.status, StatusCode::OK);
        assert!(after.body.contains(label), "{}", after.body);
    }
}
