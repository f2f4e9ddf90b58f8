//! The operators' figures as a mayor reads them: the statistics page (every call counted, in
//! French, with charts and the agents' delays) and the Évaluation page (French labels, the
//! CI's thresholds, verdicts, each run's report).

use crate::common;

use axum::http::StatusCode;
use common::{Harness, closed_hours_call, harness, signed_in};
use guichet_store::{
    Channel, EvalRunStore, NewEvalRun, Role, SessionRecord, SessionStore, StaffStore, TicketStore,
    Transition, Turn, TurnRecord,
};
use serde_json::json;

/// Saves one turn of a conversation (its session ended or not).
async fn said(h: &Harness, conversation: &str, text: &str, action: &str, ended: bool) {
    let now = h.clock.now();
    let record = TurnRecord {
        session: SessionRecord {
            tenant: "villebourg".into(),
            conversation_id: conversation.into(),
            channel: Channel::Voice,
            caller: None,
            state: json!({}),
            started_at: now,
            updated_at: now,
            expires_at: now + chrono::Duration::minutes(10),
            closed_at: ended.then_some(now),
            end_reason: ended.then(|| "hangup".to_string()),
        },
        turn: Turn {
            seq: 1,
            at: now,
            caller_text: text.into(),
            reply_text: "…".into(),
            decision: json!({ "action": action, "rule": "middling_confidence" }),
            action: action.into(),
            fiche: None,
            confidence: Some(0.9),
            reply: None,
            message_id: None,
        },
        tickets: vec![],
        outbox: vec![],
    };
    h.store.save_turn(&record).await.expect("turn saved");
}

#[tokio::test]
async fn every_call_is_counted_in_french_with_charts_and_delays() {
    let h = harness().await;
    let villebourg = vec!["villebourg".to_string()];
    // Two callbacks asked for, still open (their sessions too): never « rappels 0,0 % ».
    let first = closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    closed_hours_call(&h, "villebourg", "CA-2", "+33698765432", "École").await;
    // A conversation still going on, and the same misunderstood request three times.
    said(&h, "CA-3", "bonjour", "answer", false).await;
    for (i, text) in [
        "Permis de construire ?",
        "permis de construire",
        "PERMIS DE CONSTRUIRE",
    ]
    .iter()
    .enumerate()
    {
        h.clock.advance(chrono::Duration::seconds(1));
        said(&h, &format!("LOST-{i}"), text, "fallback", true).await;
    }
    // The first callback is taken 4 min 5 s after it came, and done 2 minutes later.
    h.clock.advance(chrono::Duration::seconds(-3));
    let mut ops = signed_in(
        &h,
        "ops@villebourg.example",
        Role::Operateur,
        &["villebourg"],
    )
    .await;
    let agent = h
        .store
        .get_staff_by_email("ops@villebourg.example")
        .await
        .expect("read")
        .expect("the operator");
    h.clock.advance(chrono::Duration::seconds(245));
    assert_eq!(
        h.store
            .claim_ticket(first, &villebourg, agent.id, h.clock.now())
            .await
            .expect("claim"),
        Transition::Applied
    );
    h.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(
        h.store
            .close_ticket(first, &villebourg, agent.id, h.clock.now())
            .await
            .expect("close"),
        Transition::Applied
    );

    let page = ops.get("/console/statistiques?jours=7").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(
        body.contains("<span class=\"big\">6</span> appels et messages"),
        "{body}"
    );
    // Shares of all six calls: 2 callbacks, 3 lost, 1 still going on.
    assert!(
        body.contains("33,3\u{a0}%</span> à rappeler (2 ; 1 rappel encore à faire)"),
        "{body}"
    );
    assert!(
        body.contains("50,0\u{a0}%</span> taux de perte (3 sans réponse"),
        "{body}"
    );
    assert!(
        body.contains("16,7\u{a0}%</span> encore en cours (1)"),
        "{body}"
    );
    // The agents' delays, French durations.
    assert!(body.contains("<td>4 min 05 s</td>"), "waiting time: {body}");
    assert!(
        body.contains("<td>2 min 00 s</td>"),
        "handling time: {body}"
    );
    // French dates; day and week charts drawn on the server, no inline style.
    assert!(body.contains("9 mars 2026 à"), "{body}");
    assert_eq!(body.matches("<svg viewBox=").count(), 2, "{body}");
    assert!(body.contains("class=\"seg callback\""), "{body}");
    assert!(!body.contains("style="), "the CSP forbids inline styles");
    assert!(
        !body.contains(" %<") && !body.contains(".0 %"),
        "no decimal point"
    );
    // The repeated request is one row with its count, no fiche chosen in advance, no code.
    assert_eq!(body.matches("class=\"said\">").count(), 1, "{body}");
    assert!(
        body.contains("PERMIS DE CONSTRUIRE</td>\n    <td data-label=\"Fois\">3</td>"),
        "{body}"
    );
    assert!(body.contains("Demande non comprise"), "{body}");
    assert!(body.contains("<option value=\"\" selected>— Choisir une fiche —</option>"));
    assert!(!body.contains("value=\"etat-civil\" selected"), "{body}");
    for code in [">fallback", ">answer", "middling_confidence", ">callback<"] {
        assert!(!body.contains(code), "raw code {code} shown: {body}");
    }
}

#[tokio::test]
async fn evaluation_runs_are_judged_against_the_ci_gates_with_their_reports() {
    let h = harness().await;
    let report =
        guichet_eval::Report::new("Villebourg", "in-process", Vec::new(), &Default::default());
    let run = |commune: &str, metrics| NewEvalRun {
        at: h.clock.now(),
        commune: commune.into(),
        metrics,
        report: guichet_eval::history::report_value(&report),
    };
    let passing = h
        .store
        .insert_eval_run(&run(
            "villebourg",
            json!({ "1_fiches_justes": 0.985, "2_fausses_routes": 0.004,
                    "détails": { "fausses_réponses": 0.0 } }),
        ))
        .await
        .expect("run");
    h.clock.advance(chrono::Duration::minutes(1));
    let failing = h
        .store
        .insert_eval_run(&run(
            "villebourg",
            json!({ "1_fiches_justes": 0.93, "2_fausses_routes": 0.02,
                    "détails": { "fausses_réponses": 0.005, "dialogues": 1319 } }),
        ))
        .await
        .expect("run");
    let elsewhere = h
        .store
        .insert_eval_run(&run("autreville", json!({ "1_fiches_justes": 0.99 })))
        .await
        .expect("run");
    let mut ops = signed_in(
        &h,
        "ops@villebourg.example",
        Role::Operateur,
        &["villebourg"],
    )
    .await;
    let page = ops.get("/console/evaluation").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    for text in [
        "Précision des fiches",
        "Taux de mauvaise orientation",
        "Taux de fausses réponses",
        "au moins 95,0\u{a0}%",
        "au plus 1,0\u{a0}%",
        "93,0\u{a0}%",
        "✘ Non respecté",
        "2 seuils ne sont pas respectés",
        "Tous les seuils sont respectés",
        "class=\"fail\"",
        "class=\"pass\"",
        "1\u{202f}319",
    ] {
        assert!(body.contains(text), "{text} missing: {body}");
    }
    assert!(
        !body.contains("1_fiches_justes") && !body.contains("0.93"),
        "{body}"
    );
    for id in [passing, failing] {
        assert!(body.contains(&format!("/evaluation/{id}/rapport?commune=villebourg")));
    }

    let report_page = ops
        .get(&format!(
            "/console/evaluation/{passing}/rapport?commune=villebourg"
        ))
        .await;
    assert_eq!(report_page.status, StatusCode::OK, "{}", report_page.body);
    assert!(report_page.body.contains("<html"));
    let csp = report_page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        csp.contains("sandbox") && !csp.contains("script-src"),
        "{csp}"
    );
    // Another commune's run, a run under the wrong commune, a bad id: not found, in French.
    for path in [
        format!("/console/evaluation/{elsewhere}/rapport?commune=autreville"),
        format!("/console/evaluation/{elsewhere}/rapport?commune=villebourg"),
        "/console/evaluation/..%2F..%2Fetc%2Fpasswd/rapport".to_string(),
    ] {
        let refused = ops.get(&path).await;
        assert!(
            matches!(
                refused.status,
                StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST
            ),
            "{path}: {}",
            refused.status
        );
        assert!(refused.body.contains("lang=\"fr\""), "{}", refused.body);
        assert!(!refused.body.contains("root:"), "{}", refused.body);
    }
    // Standardistes do not see the Évaluation page nor its reports.
    let mut agent = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let forbidden = agent
        .get(&format!(
            "/console/evaluation/{passing}/rapport?commune=villebourg"
        ))
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    // Signed out: the login form.
    let anonymous = common::Client::new(&h)
        .get(&format!(
            "/console/evaluation/{passing}/rapport?commune=villebourg"
        ))
        .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}
