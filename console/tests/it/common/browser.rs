//! Headless-Chromium helpers shared by the browser tests (`browser.rs`, `browser_office.rs`):
//! find and launch Chromium, wait for a page, sign in through the real form.

use std::path::PathBuf;
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser, BrowserConfig};
use futures_util::StreamExt;

/// Where Debian's package puts Chromium (override with `CHROMIUM`).
pub fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("CHROMIUM").ok().map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// A headless Chromium with a fresh profile; its event loop runs on a task.
pub async fn launch(
    executable: &PathBuf,
    profile: &std::path::Path,
) -> (Browser, tokio::task::JoinHandle<()>) {
    let config = BrowserConfig::builder()
        .chrome_executable(executable)
        .user_data_dir(profile)
        .no_sandbox()
        .args([
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .launch_timeout(Duration::from_secs(60))
        .request_timeout(Duration::from_secs(30))
        .build()
        .expect("browser configuration");
    let (browser, mut handler) = Browser::launch(config).await.expect("chromium starts");
    let events = tokio::spawn(async move {
        // Keep going on errors: a newer Chromium sends events this client does not know.
        while let Some(event) = handler.next().await {
            if let Err(error) = event {
                eprintln!("devtools: {error}");
            }
        }
    });
    (browser, events)
}

/// Waits until the page's HTML satisfies `done` (navigation after a form submit).
pub async fn wait_for(page: &Page, what: &str, done: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        if let Ok(html) = page.content().await
            && done(&html)
        {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let html = page.content().await.unwrap_or_default();
    panic!("timed out waiting for {what}; page is:\n{html}");
}

/// Signs in through the real login form; returns once a console page (any landing page)
/// shows the signed-in header.
pub async fn log_in(page: &Page, base: &str, email: &str, password: &str) {
    page.goto(format!("{base}/console/connexion"))
        .await
        .expect("login page");
    wait_for(page, "the login form", |html| {
        html.contains("id=\"login-submit\"")
    })
    .await;
    page.find_element("#email")
        .await
        .expect("email field")
        .click()
        .await
        .expect("focus")
        .type_str(email)
        .await
        .expect("type");
    page.find_element("#password")
        .await
        .expect("password field")
        .click()
        .await
        .expect("focus")
        .type_str(password)
        .await
        .expect("type");
    page.find_element("#login-submit")
        .await
        .expect("submit")
        .click()
        .await
        .expect("submit");
    wait_for(page, "the console after login", |html| {
        html.contains("Se déconnecter")
    })
    .await;
}

/// Where the screenshots go: the workspace's `target/screenshots/`.
pub fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Sets the page's viewport (CSS pixels), as a phone (`mobile`) or a desktop.
pub async fn viewport(page: &Page, width: i64, height: i64, mobile: bool) {
    use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
    page.execute(SetDeviceMetricsOverrideParams::new(
        width, height, 1.0, mobile,
    ))
    .await
    .expect("viewport");
}
