//! `guichet eval --url` against a live, in-process `guichet serve` on 127.0.0.1: demo voice
//! dialogues recorded during opening hours go through the signed Twilio webhooks (then the
//! jambonz ones, Basic credentials and `Jambonz-Signature`), the engine,
//! the store and the TwiML rendering, are scored, and must decide exactly what the in-process
//! replay decides (the service honours the dialogue's instant, `X-Guichet-Now`, because it runs
//! on a frozen test clock).

use crate::support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use guichet::serve::config::SmsProvider;
use guichet_agent::{Action, Channel};
use guichet_connectors::jambonz::BasicCredentials;
use guichet_eval::gates::Gates;
use guichet_eval::http::{HttpOptions, WebhookProvider, parse_base_url};
use guichet_eval::{Evaluation, Options, evaluate};
use guichet_knowledge::{Knowledge, ScheduleQuery};
use guichet_store::SessionStore;
use support::*;

/// Dialogues replayed: enough to cover answers, clarifications, SMS and transfers.
const SUBSET: usize = 20;

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("communes/demo")
}

/// The first `SUBSET` single-dialogue voice files of the demo whose call is during opening hours.
fn voice_dialogues_during_opening_hours() -> Vec<PathBuf> {
    let knowledge = Knowledge::load(&demo()).unwrap();
    let fiches: BTreeSet<String> = knowledge.fiches().iter().map(|f| f.id.clone()).collect();
    let folder = demo().join("dialogues");
    let dialogues = guichet_eval::dialogue::load(std::slice::from_ref(&folder), &fiches).unwrap();
    let chosen: Vec<PathBuf> = dialogues
        .iter()
        .filter(|dialogue| {
            dialogue.channel == Channel::Voice
                && !dialogue.id.contains('#')
                && knowledge.opening_hours().is_open(dialogue.at.to_utc())
        })
        .take(SUBSET)
        .map(|dialogue| folder.join(&dialogue.id))
        .collect();
    assert_eq!(
        chosen.len(),
        SUBSET,
        "not enough voice dialogues in the demo"
    );
    chosen
}

fn options(dialogues: &[PathBuf], http: Option<HttpOptions>) -> Options {
    Options {
        commune: demo(),
        dialogues: dialogues.to_vec(),
        http,
        gates: Gates::default(),
        baseline: None,
        split: None,
        policy: None,
    }
}

fn kinds(actions: Option<&[Action]>) -> Vec<std::mem::Discriminant<Action>> {
    actions
        .unwrap_or_default()
        .iter()
        .map(std::mem::discriminant)
        .collect()
}

async fn run(options: Options) -> Evaluation {
    tokio::task::spawn_blocking(move || evaluate(&options))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_dialogues_replay_over_the_twilio_webhooks_as_in_process() {
    replay_over(WebhookProvider::Twilio).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_dialogues_replay_over_the_jambonz_webhooks_as_in_process() {
    replay_over(WebhookProvider::Jambonz).await;
}

/// The demo dialogues through `provider`'s webhooks decide what they decide in process.
async fn replay_over(provider: WebhookProvider) {
    // The service signs and links its TwiML with its public URL: it must be the one the eval
    // posts to, so the port is chosen before the service starts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let public = format!("http://127.0.0.1:{port}");
    let h = Harness::start_with(SmsProvider::Twilio, open_hours(), |settings| {
        settings.listen = format!("127.0.0.1:{port}").parse().unwrap();
        settings.public_url = Some(public.clone());
    })
    .await;

    let dialogues = voice_dialogues_during_opening_hours();
    let mut http = HttpOptions::new(parse_base_url(&public).unwrap(), MAIRIE);
    http.provider = provider;
    match provider {
        WebhookProvider::Twilio => http.auth_token = Some(h.token()),
        WebhookProvider::Jambonz => {
            http.jambonz_secret = Some(JAMBONZ_WEBHOOK_SECRET.into());
            http.jambonz_basic = Some(BasicCredentials {
                username: JAMBONZ_USER.into(),
                password: JAMBONZ_PASSWORD.into(),
            });
        }
    }
    let over_http = run(options(&dialogues, Some(http))).await;
    let in_process = run(options(&dialogues, None)).await;

    let report = &over_http.report;
    assert_eq!(report.mode, format!("{public}/"));
    assert_eq!(report.dialogues.len(), SUBSET);
    assert!(over_http.skipped.is_empty(), "{:?}", over_http.skipped);
    assert!(
        report.figures.metrics.scored_turns >= SUBSET,
        "{} scored turns",
        report.figures.metrics.scored_turns
    );
    assert!(report.figures.metrics.fiche_accuracy.total > 0);

    let mut compared = 0;
    for (remote, local) in report.dialogues.iter().zip(&in_process.report.dialogues) {
        assert_eq!(remote.id, local.id);
        assert!(
            remote.start_error.is_none(),
            "{}: {:?}",
            remote.id,
            remote.start_error
        );
        assert_eq!(remote.turns.len(), local.turns.len(), "{}", remote.id);
        for (remote_turn, local_turn) in remote.turns.iter().zip(&local.turns) {
            let at = format!("{} tour {}", remote.id, remote_turn.number);
            assert!(remote_turn.error.is_none(), "{at}: {:?}", remote_turn.error);
            let remote_got = remote_turn.got.as_ref().unwrap();
            let local_got = local_turn.got.as_ref().unwrap();
            assert!(remote_got.decision.is_some(), "{at}: no decision header");
            assert!(remote_got.actions.is_some(), "{at}: no actions header");
            assert_eq!(remote_got.decision, local_got.decision, "{at}");
            // Same actions; a report's reference is drawn from the call id, which differs.
            assert_eq!(
                kinds(remote_got.actions.as_deref()),
                kinds(local_got.actions.as_deref()),
                "{at}"
            );
            assert_eq!(remote_turn.verdict, local_turn.verdict, "{at}");
            compared += 1;
        }
        assert_eq!(remote.passed, local.passed, "{}", remote.id);
    }
    assert!(compared >= SUBSET, "{compared} turns compared");
    assert_eq!(
        report.figures.metrics.fiche_accuracy,
        in_process.report.figures.metrics.fiche_accuracy
    );
    assert_eq!(
        report.figures.metrics.misroute,
        in_process.report.figures.metrics.misroute
    );

    // Every call went through the store, at the dialogue's instant (not the frozen clock).
    let sessions = h
        .service
        .state
        .store
        .sessions_between(
            "villebourg",
            chrono::DateTime::<chrono::Utc>::MIN_UTC,
            chrono::DateTime::<chrono::Utc>::MAX_UTC,
        )
        .await
        .unwrap();
    let stored: BTreeSet<String> = sessions.iter().map(|s| s.started_at.to_rfc3339()).collect();
    let recorded: BTreeSet<String> = report
        .dialogues
        .iter()
        .map(|run| {
            chrono::DateTime::parse_from_rfc3339(&run.at)
                .unwrap()
                .to_utc()
                .to_rfc3339()
        })
        .collect();
    assert_eq!(sessions.len(), SUBSET);
    assert_eq!(stored, recorded);
    h.stop().await;
}
