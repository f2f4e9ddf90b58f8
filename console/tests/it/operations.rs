//! Operators' pages and jobs: statistics with suggestions and dialogue export, evaluation
//! history, first administrator, privacy export and erasure, retention.

use crate::common;

use axum::http::StatusCode;
use common::{Client, account, closed_hours_call, harness, signed_in};
use guichet_office::{accounts, privacy, retention};
use guichet_store::{
    AuditStore, EvalRunStore, NewEvalRun, OutboxStore, Role, SessionEnd, SessionStore, StaffStore,
    TicketStore,
};
use serde_json::json;

#[tokio::test]
async fn statistics_suggestion_and_dialogue_export() {
    let h = harness().await;
    closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    h.store
        .close_session(&SessionEnd::new(
            "villebourg",
            "CA-1",
            "hangup",
            h.clock.now(),
        ))
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
        .close_session(&SessionEnd::new(
            "villebourg",
            "CA-1",
            "hangup",
            h.clock.now(),
        ))
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
    let communes: Vec<_> = h
        .state
        .communes()
        .map(|commune| retention::Retention {
            commune: commune.id.clone(),
            days: commune.retention_days,
        })
        .collect();
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
        due_at: None,
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

// ----- The standardistes' desk: queue rows, callbacks, hand-over, filters and history -----

/// A ticket as the robot leaves it, with the caller's words in its transcript.
fn desk_ticket(
    h: &common::Harness,
    key: &str,
    kind: guichet_store::TicketKind,
    topic: &str,
    number: &str,
    words: &str,
) -> guichet_store::NewTicket {
    guichet_store::NewTicket {
        idempotency_key: format!("{key}:1:ticket:0"),
        tenant: "villebourg".into(),
        kind,
        channel: guichet_store::Channel::Voice,
        conversation_id: Some(key.into()),
        caller_number: Some(number.into()),
        topic: topic.into(),
        fiche: None,
        summary: format!("L'usager a dit : {words}"),
        transcript: json!([{ "caller": words, "robot": "Je vous passe un agent." }]),
        partner: None,
        reference: None,
        created_at: h.clock.now(),
        due_at: None,
    }
}

/// A page's HTML with the escapes of `/` and `'` undone (the templates escape them), to read
/// its text.
fn readable(body: &str) -> String {
    body.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
}

/// The queue's row of ticket `id` in a page.
fn row_of(body: &str, id: i64) -> &str {
    let at = body
        .find(&format!("data-ticket=\"{id}\""))
        .unwrap_or_else(|| panic!("ticket {id} is not listed:\n{body}"));
    let start = body[..at].rfind("<tr").unwrap_or(at);
    let end = body[start..]
        .find("</tr>")
        .map_or(body.len(), |e| start + e);
    &body[start..end]
}

#[tokio::test]
async fn queue_rows_say_who_why_and_since_when() {
    use guichet_store::TicketKind;
    let h = harness().await;
    let words = "bonjour <b>je</b> voudrais inscrire mon fils à l'école maternelle du quartier des \
                 Tilleuls pour la rentrée de septembre";
    let unknown = h
        .store
        .create_ticket(&desk_ticket(
            &h,
            "CA-D1",
            TicketKind::Transfer,
            "Demande non comprise",
            "+33612345678",
            words,
        ))
        .await
        .unwrap();
    let opening = h.clock.now() + chrono::Duration::hours(13);
    let callback = h
        .store
        .create_ticket(&guichet_store::NewTicket {
            due_at: Some(opening),
            ..desk_ticket(
                &h,
                "CA-D2",
                TicketKind::Callback,
                "Permis de construire",
                "+447700900123",
                "permis",
            )
        })
        .await
        .unwrap();
    let late = h
        .store
        .create_ticket(&desk_ticket(
            &h,
            "CA-D3",
            TicketKind::Callback,
            "Cantine",
            "0145678901",
            "cantine",
        ))
        .await
        .unwrap();
    h.clock.advance(chrono::Duration::minutes(12));
    let mut client = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut page = client.get("/console/file").await;
    assert_eq!(page.status, StatusCode::OK);
    page.body = readable(&page.body);
    assert!(
        page.body.contains("<title>(3) File d'attente"),
        "the title counts the open tickets"
    );

    // Who and why: the caller's first words (escaped, cut), the French number with a tel: link.
    let row = row_of(&page.body, unknown);
    assert!(
        row.contains("« bonjour &lt;b&gt;je&lt;/b&gt; voudrais inscrire"),
        "escaped: {row}"
    );
    assert!(
        !row.contains("<b>je</b>") && !row.contains("Tilleuls pour la rentrée"),
        "cut: {row}"
    );
    assert!(row.contains("…"), "{row}");
    assert!(
        row.contains("href=\"tel:+33612345678\"") && row.contains("06 12 34 56 78"),
        "{row}"
    );
    assert!(row.contains("depuis 12 min"), "{row}");
    // A callback: due time, attempts; a foreign number in international format.
    let row = row_of(&page.body, callback);
    assert!(row.contains("+44 7700 900123"), "{row}");
    assert!(row.contains("0/3 tentative"), "{row}");
    let due_hour = opening
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%-H h %M")
        .to_string();
    assert!(row.contains(&due_hour), "due {due_hour}: {row}");
    assert!(!row.contains("en retard"));
    // The callback due since its creation is overdue: highlighted and first.
    let row = row_of(&page.body, late);
    assert!(
        row.contains("overdue") && row.contains("en retard") && row.contains("01 45 67 89 01"),
        "{row}"
    );
    let first = page.body.find("data-ticket=").unwrap();
    assert!(
        page.body[first..].starts_with(&format!("data-ticket=\"{late}\"")),
        "overdue first"
    );

    // Closed: out of the queue, no growing wait, its handling time in the history.
    let csrf = page.csrf().expect("csrf");
    let closed = client
        .post(
            &format!("/console/tickets/{unknown}/terminer"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    // Later (within the login session's idle time): the handling time does not grow.
    h.clock.advance(chrono::Duration::minutes(20));
    let mut ticket = client.get(&format!("/console/tickets/{unknown}")).await;
    ticket.body = readable(&ticket.body);
    assert!(
        ticket.body.contains("Temps de traitement") && ticket.body.contains("12 min"),
        "{}",
        ticket.body
    );
    assert!(
        !ticket.body.contains("depuis"),
        "no wait on a closed ticket"
    );
    let history = client.get("/console/historique").await;
    let row = row_of(&history.body, unknown);
    assert!(row.contains("12 min") && !row.contains("depuis"), "{row}");
}

async fn failed_callback_attempts_are_gapped_and_text_the_citizen(backend: common::Backend) {
    use guichet_store::{OutboxFilter, TicketKind};
    let h = common::harness_on(&backend, guichet_console::ConsoleConfig::default()).await;
    let mobile = h
        .store
        .create_ticket(&desk_ticket(
            &h,
            "CA-S1",
            TicketKind::Callback,
            "Passeport",
            "+33612345678",
            "passeport",
        ))
        .await
        .unwrap();
    let landline = h
        .store
        .create_ticket(&desk_ticket(
            &h,
            "CA-S2",
            TicketKind::Callback,
            "Passeport",
            "+33145678901",
            "passeport",
        ))
        .await
        .unwrap();
    let client = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut first = Client::new(&h);
    first.cookies = client.cookies.clone();
    let csrf = first.csrf("/console/file").await;
    let (mut second, mut third) = (Client::new(&h), Client::new(&h));
    second.cookies = client.cookies.clone();
    third.cookies = client.cookies.clone();
    // Three clicks on « Injoignable » at once.
    let path = format!("/console/tickets/{mobile}/injoignable");
    let fields = [("csrf", csrf.as_str())];
    let (a, b, c) = tokio::join!(
        first.post(&path, &fields),
        second.post(&path, &fields),
        third.post(&path, &fields)
    );
    for page in [&a, &b, &c] {
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let ticket = h
        .store
        .get_ticket(mobile, &["villebourg".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.attempts, 1, "three clicks, one attempt");
    assert_eq!(
        ticket.due_at,
        Some(h.clock.now() + chrono::Duration::minutes(10))
    );
    let sms = h
        .store
        .list_outbox(&OutboxFilter {
            communes: vec!["villebourg".into()],
            ..OutboxFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0].to, "+33612345678");
    assert_eq!(sms[0].refusal, None);
    assert!(
        sms[0]
            .body
            .starts_with("Mairie de Villebourg : nous avons essayé de vous rappeler"),
        "{}",
        sms[0].body
    );
    let mut page = first.get(&format!("/console/tickets/{mobile}")).await;
    page.body = readable(&page.body);
    assert!(page.body.contains("SMS envoyé à l'usager"), "{}", page.body);
    assert!(page.body.contains("1/3 tentative"), "{}", page.body);
    // Ten minutes later the next attempt counts (and texts again).
    h.clock.advance(chrono::Duration::minutes(10));
    let again = first.post(&path, &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let ticket = h
        .store
        .get_ticket(mobile, &["villebourg".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.attempts, 2);
    // A landline gets no SMS; the ticket says so.
    let landline_path = format!("/console/tickets/{landline}/injoignable");
    first.post(&landline_path, &fields).await;
    let page = first.get(&format!("/console/tickets/{landline}")).await;
    assert!(
        page.body.contains("pas un mobile français"),
        "{}",
        page.body
    );
    let sms = h
        .store
        .list_outbox(&OutboxFilter {
            communes: vec!["villebourg".into()],
            ..OutboxFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        sms.len(),
        2,
        "one more SMS to the mobile, none to the landline"
    );
    assert!(sms.iter().all(|m| m.to == "+33612345678"));
}

async fn a_held_ticket_is_released_or_reassigned_by_its_holder_or_an_admin(
    backend: common::Backend,
) {
    use guichet_store::{TicketKind, TicketState};
    let h = common::harness_on(&backend, guichet_console::ConsoleConfig::default()).await;
    let id = h
        .store
        .create_ticket(&desk_ticket(
            &h,
            "CA-H1",
            TicketKind::Transfer,
            "Urbanisme",
            "+33612345678",
            "permis",
        ))
        .await
        .unwrap();
    let mut holder = signed_in(
        &h,
        "a@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut colleague = signed_in(
        &h,
        "b@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut admin = signed_in(&h, "admin@villebourg.example", Role::Admin, &["villebourg"]).await;
    let csrf = holder.csrf("/console/file").await;
    holder
        .post(
            &format!("/console/tickets/{id}/prendre"),
            &[("csrf", &csrf)],
        )
        .await;

    // A colleague may neither release nor reassign it: a French 403 page.
    let theirs = colleague.csrf("/console/file").await;
    let refused = colleague
        .post(
            &format!("/console/tickets/{id}/remettre"),
            &[("csrf", &theirs)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("accès"), "{}", refused.body);
    let page = colleague.get(&format!("/console/tickets/{id}")).await;
    assert!(
        !page.body.contains("id=\"release\""),
        "not offered to a colleague"
    );

    // The holder puts it back in the queue.
    let page = holder.get(&format!("/console/tickets/{id}")).await;
    assert!(page.body.contains("id=\"release\"") && page.body.contains("b@villebourg.example"));
    let released = holder
        .post(
            &format!("/console/tickets/{id}/remettre"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(released.status, StatusCode::SEE_OTHER, "{}", released.body);
    let ticket = h
        .store
        .get_ticket(id, &["villebourg".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ticket.state, ticket.claimed_by),
        (TicketState::Nouveau, None)
    );

    // Taken by the colleague, given by an admin to the first one.
    colleague
        .post(
            &format!("/console/tickets/{id}/prendre"),
            &[("csrf", &theirs)],
        )
        .await;
    let holder_id = h
        .store
        .get_staff_by_email("a@villebourg.example")
        .await
        .unwrap()
        .unwrap()
        .id;
    let admin_csrf = admin.csrf("/console/file").await;
    let bad = admin
        .post(
            &format!("/console/tickets/{id}/reattribuer"),
            &[("csrf", &admin_csrf), ("staff", "pas un nombre")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let given = admin
        .post(
            &format!("/console/tickets/{id}/reattribuer"),
            &[("csrf", &admin_csrf), ("staff", &holder_id.to_string())],
        )
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    let ticket = h
        .store
        .get_ticket(id, &["villebourg".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ticket.state, ticket.claimed_by),
        (TicketState::PrisEnCharge, Some(holder_id))
    );
    let page = holder.get(&format!("/console/tickets/{id}")).await;
    assert!(
        page.body
            .contains("Remis dans la file par a@villebourg.example"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Réattribué à a@villebourg.example par admin@villebourg.example")
    );
    let audit = h
        .store
        .list_audit(&["villebourg".into()], Some("ticket."), 50)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.entry.action.as_str()).collect();
    assert!(
        actions.contains(&"ticket.release") && actions.contains(&"ticket.reassign"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn the_queue_and_history_are_filtered_and_searched() {
    use guichet_store::TicketKind;
    let h = harness().await;
    let make = |key: &str, kind, topic: &str, number: &str, words: &str| {
        desk_ticket(&h, key, kind, topic, number, words)
    };
    let a = h
        .store
        .create_ticket(&make(
            "CA-F1",
            TicketKind::Callback,
            "Passeport",
            "+33612345678",
            "mon passeport",
        ))
        .await
        .unwrap();
    let b = h
        .store
        .create_ticket(&make(
            "CA-F2",
            TicketKind::Transfer,
            "Cantine",
            "+33698765432",
            "la facture est fausse",
        ))
        .await
        .unwrap();
    let mut client = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let listed = |body: &str, id: i64| body.contains(&format!("data-ticket=\"{id}\""));
    let page = client.get("/console/file?type=callback").await;
    assert!(listed(&page.body, a) && !listed(&page.body, b));
    assert!(
        readable(&page.body).contains("data-stream=\"/console/file/flux?type=callback\""),
        "the live stream keeps the filters"
    );
    let page = client.get("/console/file?sujet=Cantine").await;
    assert!(!listed(&page.body, a) && listed(&page.body, b));
    let page = client.get("/console/file?q=06+98+76+54+32").await;
    assert!(!listed(&page.body, a) && listed(&page.body, b));
    let page = client.get("/console/file?q=FACTURE").await;
    assert!(!listed(&page.body, a) && listed(&page.body, b));
    let page = client.get(&format!("/console/file?q=%23{a}")).await;
    assert!(listed(&page.body, a));
    // Nonsense is ignored, never an error.
    let page = client
        .get("/console/file?type=%00&etat=zzz&page=-1&miens=oui")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(listed(&page.body, a) && listed(&page.body, b));
    // « Les miens ».
    let csrf = page.csrf().unwrap();
    client
        .post(&format!("/console/tickets/{b}/prendre"), &[("csrf", &csrf)])
        .await;
    let page = client.get("/console/file?miens=1").await;
    assert!(!listed(&page.body, a) && listed(&page.body, b));

    // The history, a page of 25 at a time, searchable.
    for n in 0..27 {
        let id = h
            .store
            .create_ticket(&make(
                &format!("CA-H{n}"),
                TicketKind::Callback,
                "Voirie",
                "+33600000000",
                "un nid de poule",
            ))
            .await
            .unwrap();
        client
            .post(
                &format!("/console/tickets/{id}/terminer"),
                &[("csrf", &csrf)],
            )
            .await;
    }
    h.clock.advance(chrono::Duration::minutes(1));
    client
        .post(
            &format!("/console/tickets/{b}/terminer"),
            &[("csrf", &csrf)],
        )
        .await;
    let first = client.get("/console/historique").await;
    assert_eq!(first.body.matches("data-ticket=").count(), 25);
    assert!(listed(&first.body, b), "newest closed first");
    assert!(first.body.contains("href=\"?page=2\""));
    let second = client.get("/console/historique?page=2").await;
    assert_eq!(second.body.matches("data-ticket=").count(), 3);
    let found = client.get("/console/historique?q=facture").await;
    assert_eq!(found.body.matches("data-ticket=").count(), 1);
    assert!(listed(&found.body, b));
}

common::on_both_backends!(
    failed_callback_attempts_are_gapped_and_text_the_citizen,
    a_held_ticket_is_released_or_reassigned_by_its_holder_or_an_admin,
);
