//! End to end in headless Chromium (DevTools protocol): a standardiste logs in through the real
//! form, sees the ticket a closed-hours call created, claims it and marks it done; a second
//! browser session, of another commune, never sees it.
//!
//! Without Chromium the test prints "skipped: chromium not found" and passes, unless
//! `GUICHET_REQUIRE_BROWSER=1` is set (CI), where it fails.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use chromiumoxide::Page;
use common::browser::{chromium, launch, log_in, screenshots, viewport, wait_for};
use common::{account, closed_hours_call, harness};
use guichet_store::{OutboxStore, Role, TicketState, TicketStore};

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

/// Evaluates `expression` in the page and reads its value.
async fn eval<T: serde::de::DeserializeOwned>(page: &Page, expression: &str) -> T {
    page.evaluate(expression)
        .await
        .unwrap_or_else(|e| panic!("{expression}: {e}"))
        .into_value()
        .unwrap_or_else(|e| panic!("{expression}: {e}"))
}

/// Waits until `expression` is true in the page.
async fn wait_until(page: &Page, what: &str, expression: &str) {
    for _ in 0..100 {
        if let Ok(result) = page.evaluate(expression).await
            && result.into_value::<bool>().unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let html = page.content().await.unwrap_or_default();
    panic!("timed out waiting for {what} ({expression}); page is:\n{html}");
}

/// Saves a full-page screenshot at `width`; the width is set again afterwards (a full-page
/// capture clears the viewport's override).
async fn screenshot(page: &Page, name: &str, width: i64) {
    use chromiumoxide::page::ScreenshotParams;
    let path = screenshots().join(format!("{name}.png"));
    viewport(page, width, 900, false).await;
    page.save_screenshot(ScreenshotParams::builder().full_page(true).build(), &path)
        .await
        .expect("screenshot");
    viewport(page, width, 900, false).await;
    println!("screenshot: {}", path.display());
}

/// The page is no wider than the screen (no horizontal scrolling); else names what sticks out.
async fn assert_no_horizontal_overflow(page: &Page, width: i64, what: &str) {
    let scroll: i64 = eval(page, "document.documentElement.scrollWidth").await;
    if scroll > width {
        let wide: Vec<String> = eval(
            page,
            &format!(
                "Array.from(document.querySelectorAll('body *'))
                   .filter(e => e.getBoundingClientRect().right > {width} + 1
                     && !Array.from(e.children).some(c => c.getBoundingClientRect().right > {width} + 1))
                   .slice(0, 40)
                   .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 30))"
            ),
        )
        .await;
        panic!("{what}: the page is {scroll} px wide on a {width} px screen: {wide:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_flow_end_to_end_live_and_at_phone_width() {
    use guichet_store::OutboxFilter;
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
    let older =
        closed_hours_call(&h, "villebourg", "CA-flow-0", "+33611111111", "Encombrants").await;

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
    viewport(&page, 1366, 900, false).await;
    log_in(&page, &base, &agent, &agent_pw).await;
    wait_until(
        &page,
        "the live stream",
        "document.getElementById('live').className === 'live on'",
    )
    .await;
    assert_eq!(
        eval::<String>(&page, "document.title").await,
        "(1) File d'attente — console"
    );

    // The keyboard is on the older ticket's link when a new ticket comes in, live.
    page.evaluate(format!(
        "document.querySelector('tr[data-ticket=\"{older}\"] a').focus()"
    ))
    .await
    .expect("focus");
    let id = closed_hours_call(&h, "villebourg", "CA-flow", "+33612345678", "Passeport").await;
    h.state.notify_tickets_changed();
    wait_until(
        &page,
        "the new row",
        &format!("!!document.querySelector('tr[data-ticket=\"{id}\"]')"),
    )
    .await;
    let announced: String = eval(&page, "document.getElementById('announce').textContent").await;
    assert_eq!(announced, "Nouveau ticket : Rappel : Passeport");
    assert_eq!(
        eval::<String>(&page, "document.title").await,
        "(2) File d'attente — console"
    );
    let focused: String = eval(
        &page,
        "document.activeElement.closest('tr') ? document.activeElement.closest('tr').dataset.ticket : ''",
    )
    .await;
    assert_eq!(focused, older.to_string(), "the focus stayed on its row");
    let row: String = eval(
        &page,
        &format!("document.querySelector('tr[data-ticket=\"{id}\"]').textContent"),
    )
    .await;
    assert!(
        row.contains("06 12 34 56 78") && row.contains("0/3 tentative"),
        "{row}"
    );
    screenshot(&page, "queue-desktop", 1366).await;

    // Taken, called back without an answer (the citizen gets an SMS), then closed.
    page.goto(format!("{base}/console/tickets/{id}"))
        .await
        .expect("ticket page");
    wait_for(&page, "the ticket page", |html| {
        html.contains("id=\"claim\"")
    })
    .await;
    click_and_wait(&page, "#claim", "the claimed ticket", |html| {
        html.contains("Pris en charge par agent@villebourg.example")
            && html.contains("id=\"unreachable\"")
    })
    .await;
    screenshot(&page, "ticket-desktop", 1366).await;
    click_and_wait(
        &page,
        "#unreachable",
        "the queue after the attempt",
        |html| html.contains("1/3 tentative"),
    )
    .await;
    let sms = h
        .store
        .list_outbox(&OutboxFilter {
            communes: vec!["villebourg".into()],
            ..OutboxFilter::default()
        })
        .await
        .expect("outbox");
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0].to, "+33612345678");
    page.goto(format!("{base}/console/tickets/{id}"))
        .await
        .expect("ticket page");
    let ticket = wait_for(&page, "the ticket after the attempt", |html| {
        html.contains("id=\"close\"")
    })
    .await;
    assert!(
        ticket.contains("SMS envoyé à l'usager"),
        "the SMS is on the ticket"
    );
    click_and_wait(&page, "#close", "the queue after closing", |html| {
        !html.contains("Passeport")
    })
    .await;

    // Found again in the history, by a search typed in the form.
    page.goto(format!("{base}/console/historique"))
        .await
        .expect("history");
    wait_for(&page, "the history", |html| {
        html.contains("Historique des tickets clos")
    })
    .await;
    page.find_element("input[name=q]")
        .await
        .expect("search field")
        .click()
        .await
        .expect("focus")
        .type_str("06 12 34 56 78")
        .await
        .expect("type");
    click_and_wait(
        &page,
        "form.filters button[type=submit]",
        "the search result",
        |html| {
            html.contains("Historique des tickets clos")
                && html.contains("value=\"06 12 34 56 78\"")
        },
    )
    .await;
    let rows: Vec<String> = eval(
        &page,
        "Array.from(document.querySelectorAll('tr[data-ticket]')).map(r => r.dataset.ticket)",
    )
    .await;
    assert_eq!(rows, [id.to_string()]);

    // Phone width: no horizontal scrolling, the table is cards.
    viewport(&page, 360, 900, false).await;
    let older_ticket = format!("/console/tickets/{older}");
    for (path, name) in [
        ("/console/file", "queue-phone"),
        (older_ticket.as_str(), "ticket-phone"),
        ("/console/historique", ""),
    ] {
        page.goto(format!("{base}{path}")).await.expect("page");
        wait_until(&page, "the page", "document.readyState === 'complete'").await;
        assert_no_horizontal_overflow(&page, 360, path).await;
        if !name.is_empty() {
            screenshot(&page, name, 360).await;
        }
    }
    page.goto(format!("{base}/console/file"))
        .await
        .expect("queue");
    wait_until(
        &page,
        "the live stream",
        "document.getElementById('live').className === 'live on'",
    )
    .await;
    let display: String = eval(
        &page,
        "getComputedStyle(document.querySelector('table.queue thead')).display",
    )
    .await;
    assert_eq!(display, "none", "cards at 360 px");

    // The stream drops (signed out in another tab): said in words; signed in again: cleared.
    let other_tab = browser
        .new_page(format!("{base}/console/file"))
        .await
        .expect("tab");
    wait_for(&other_tab, "the other tab", |html| {
        html.contains("Se déconnecter")
    })
    .await;
    click_and_wait(
        &other_tab,
        "header form button.link",
        "the login page",
        |html| html.contains("id=\"login-submit\""),
    )
    .await;
    wait_until(
        &page,
        "the lost connection",
        "document.getElementById('live').textContent === 'Connexion perdue — nouvelle tentative…'",
    )
    .await;
    log_in(&other_tab, &base, &agent, &agent_pw).await;
    wait_until(
        &page,
        "the connection back",
        "document.getElementById('live').className === 'live on'",
    )
    .await;
    assert_eq!(
        eval::<String>(&page, "document.getElementById('live').textContent").await,
        "● en direct"
    );

    browser.close().await.ok();
    browser.wait().await.ok();
    events.abort();
    server.abort();
}
