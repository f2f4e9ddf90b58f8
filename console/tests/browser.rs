//! End to end in headless Chromium (DevTools protocol): a standardiste logs in through the real
//! form, sees the ticket a closed-hours call created, claims it and marks it done; a second
//! browser session, of another commune, never sees it.
//!
//! Without Chromium the test prints "skipped: chromium not found" and passes, unless
//! `GUICHET_REQUIRE_BROWSER=1` is set (CI), where it fails.

mod common;

use std::net::SocketAddr;

use chromiumoxide::Page;
use common::browser::{chromium, launch, log_in, wait_for};
use common::{account, closed_hours_call, harness};
use guichet_store::{Role, Store, TicketState};

async fn click_and_wait(
    page: &Page,
    selector: &str,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .expect("click");
    wait_for(page, what, done).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standardiste_takes_a_callback_in_a_real_browser() {
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
    let (agent, agent_pw) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let (other, other_pw) = account(
        &h,
        "agent@autreville.example",
        Role::Standardiste,
        &["autreville"],
    )
    .await;
    let id = closed_hours_call(
        &h,
        "villebourg",
        "CA-browser",
        "+33612345678",
        "Acte de naissance",
    )
    .await;

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

    // Standardiste of Villebourg.
    let profile = tempfile::tempdir().expect("profile dir");
    let (mut browser, events) = launch(&executable, profile.path()).await;
    let page = browser.new_page("about:blank").await.expect("page");
    log_in(&page, &base, &agent, &agent_pw).await;
    let queue = wait_for(&page, "the ticket in the queue", |html| {
        html.contains("Acte de naissance")
    })
    .await;
    assert!(queue.contains("+33612345678"));
    page.goto(format!("{base}/console/tickets/{id}"))
        .await
        .expect("ticket page");
    let ticket = wait_for(&page, "the ticket page", |html| {
        html.contains("id=\"claim\"")
    })
    .await;
    assert!(
        ticket.contains("Un agent vous rappellera"),
        "transcript shown"
    );
    let claimed = click_and_wait(&page, "#claim", "the claimed ticket", |html| {
        html.contains("Pris en charge par agent@villebourg.example")
    })
    .await;
    assert!(claimed.contains("id=\"close\""));
    let after = click_and_wait(&page, "#close", "the queue after closing", |html| {
        html.contains("Aucun ticket en attente")
    })
    .await;
    assert!(!after.contains("Acte de naissance"));
    let stored = h
        .store
        .get_ticket(id, &["villebourg".into()])
        .await
        .expect("store")
        .expect("ticket");
    assert_eq!(stored.state, TicketState::Termine);

    // Standardiste of Autreville, in a second browser.
    let other_profile = tempfile::tempdir().expect("profile dir");
    let (mut other_browser, other_events) = launch(&executable, other_profile.path()).await;
    let second = closed_hours_call(
        &h,
        "villebourg",
        "CA-browser-2",
        "+33611111111",
        "Encombrants",
    )
    .await;
    let other_page = other_browser.new_page("about:blank").await.expect("page");
    log_in(&other_page, &base, &other, &other_pw).await;
    let their_queue = wait_for(&other_page, "the other commune's queue", |html| {
        html.contains("Aucun ticket en attente")
    })
    .await;
    assert!(!their_queue.contains("Encombrants"));
    assert!(!their_queue.contains("+33611111111"));
    other_page
        .goto(format!("{base}/console/tickets/{second}"))
        .await
        .expect("ticket page");
    let refused = wait_for(&other_page, "the 404 page", |html| {
        html.contains("introuvable")
    })
    .await;
    assert!(!refused.contains("Encombrants"));

    // Meanwhile the first standardiste's live queue shows the new ticket without a reload.
    page.goto(format!("{base}/console/file"))
        .await
        .expect("queue");
    let third = closed_hours_call(
        &h,
        "villebourg",
        "CA-browser-3",
        "+33622222222",
        "Cantine scolaire",
    )
    .await;
    h.state.notify_tickets_changed();
    let live = wait_for(&page, "the live update", |html| {
        html.contains("Cantine scolaire")
    })
    .await;
    assert!(live.contains(&format!("data-ticket=\"{third}\"")));

    browser.close().await.ok();
    other_browser.close().await.ok();
    browser.wait().await.ok();
    other_browser.wait().await.ok();
    events.abort();
    other_events.abort();
    server.abort();
}
