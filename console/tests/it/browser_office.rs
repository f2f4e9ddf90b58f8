//! The office pages in headless Chromium at a desktop width (1366 px) and a phone width
//! (360 px): screenshots to `target/screenshots/stats-{desktop,phone}.png`, and no horizontal
//! scrolling of the page at 360 px (wide tables and charts scroll inside their own box).
//!
//! Without Chromium the test prints "skipped: chromium not found" and passes, unless
//! `GUICHET_REQUIRE_BROWSER=1` is set (CI), where it fails.

use crate::common;

use std::net::SocketAddr;

use chromiumoxide::Page;
use chromiumoxide::page::ScreenshotParams;
use common::browser::{chromium, launch, log_in, screenshots, viewport, wait_for};
use common::{account, closed_hours_call, harness};
use guichet_store::{Channel, Role, SessionRecord, SessionStore, Turn, TurnRecord};
use serde_json::json;

/// Resizes the page's viewport (as a phone when `mobile`) and reloads it.
async fn resize(page: &Page, width: i64, height: i64, mobile: bool) {
    viewport(page, width, height, mobile).await;
    page.reload().await.expect("reload");
}

/// How far the page's content is wider than its viewport, in CSS pixels (0: no overflow).
async fn horizontal_overflow(page: &Page) -> i64 {
    page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        .await
        .expect("evaluate")
        .into_value::<i64>()
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_pages_read_at_desktop_and_phone_width() {
    let required = std::env::var("GUICHET_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let Some(executable) = chromium() else {
        assert!(
            !required,
            "GUICHET_REQUIRE_BROWSER=1 but chromium was not found"
        );
        println!("skipped: chromium not found");
        return;
    };
    let h = harness().await;
    // An administrator: the one role that sees every page of the console.
    let (ops, password) =
        account(&h, "admin@villebourg.example", Role::Admin, &["villebourg"]).await;
    // A few days of calls: callbacks, a long misunderstood request, a call going on.
    for day in 0..6 {
        closed_hours_call(
            &h,
            "villebourg",
            &format!("CB-{day}"),
            "+33612345678",
            "Voirie",
        )
        .await;
        let now = h.clock.now();
        let record = TurnRecord {
            session: SessionRecord {
                tenant: "villebourg".into(),
                conversation_id: format!("LOST-{day}"),
                channel: Channel::Voice,
                caller: None,
                state: json!({}),
                started_at: now,
                updated_at: now,
                expires_at: now + chrono::Duration::minutes(10),
                closed_at: Some(now),
                end_reason: Some("hangup".into()),
            },
            turn: Turn {
                seq: 1,
                at: now,
                caller_text: "inscription de mon fils à l'école maternelle pour la rentrée de septembre prochain avec la cantine et la garderie du soir".into(),
                reply_text: "Je n'ai pas compris.".into(),
                decision: json!({ "action": "fallback" }),
                action: "fallback".into(),
                fiche: None,
                confidence: None,
                reply: None,
                message_id: None,
            },
            tickets: vec![],
            outbox: vec![],
        };
        h.store.save_turn(&record).await.expect("turn");
        h.clock.advance(chrono::Duration::hours(23));
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let app = h.app.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("console serves");
    });
    let base = format!("http://{address}");
    let profile = tempfile::tempdir().expect("profile dir");
    let (mut browser, events) = launch(&executable, profile.path()).await;
    let page = browser.new_page("about:blank").await.expect("page");
    log_in(&page, &base, &ops, &password).await;
    page.goto(format!("{base}/console/statistiques?jours=7"))
        .await
        .expect("statistics");
    let loaded = |html: &str| html.contains("Issue des appels") && html.contains("<svg");
    let html = wait_for(&page, "the statistics page", loaded).await;
    assert!(html.contains("Taux de perte") || html.contains("taux de perte"));

    let folder = screenshots();
    resize(&page, 1366, 900, false).await;
    wait_for(&page, "the statistics page at 1366 px", loaded).await;
    assert_eq!(horizontal_overflow(&page).await, 0, "overflow at 1366 px");
    let desktop = folder.join("stats-desktop.png");
    page.save_screenshot(
        ScreenshotParams::builder().full_page(true).build(),
        &desktop,
    )
    .await
    .expect("desktop screenshot");

    resize(&page, 360, 780, true).await;
    wait_for(&page, "the statistics page at 360 px", loaded).await;
    assert_eq!(
        horizontal_overflow(&page).await,
        0,
        "the page scrolls sideways at 360 px"
    );
    let phone = folder.join("stats-phone.png");
    page.save_screenshot(ScreenshotParams::builder().full_page(true).build(), &phone)
        .await
        .expect("phone screenshot");
    for shot in [&desktop, &phone] {
        let size = std::fs::metadata(shot).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} is {size} bytes", shot.display());
    }
    println!("screenshots: {} and {}", desktop.display(), phone.display());

    // Every other page of the office, at a phone's width and a laptop's: no sideways scrolling.
    for (path, title) in [
        ("/console/suggestions", "Suggestions à relire"),
        ("/console/evaluation", "Évaluation"),
        ("/console/brouillons", "Fiches à relire"),
        ("/console/comptes", "Comptes"),
        ("/console/notifications", "Notifications des tickets"),
        ("/console/historique", "Historique des tickets clos"),
    ] {
        page.goto(format!("{base}{path}")).await.expect("page");
        let heading = format!("<h1>{title}</h1>");
        let shown = |html: &str| html.contains(&heading);
        for (width, mobile) in [(360, true), (1366, false)] {
            resize(&page, width, 900, mobile).await;
            wait_for(&page, path, shown).await;
            assert_eq!(
                horizontal_overflow(&page).await,
                0,
                "{path} scrolls sideways at {width} px"
            );
        }
    }

    browser.close().await.ok();
    browser.wait().await.ok();
    events.abort();
    server.abort();
}
