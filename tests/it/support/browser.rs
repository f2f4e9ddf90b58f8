//! A browser on a served console, over HTTP: keeps its cookies, does not follow redirects.

use reqwest::StatusCode;

/// A browser on one server (`base`, e.g. `http://127.0.0.1:8080`).
pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: Vec::new(),
        }
    }

    /// Whether the server set a cookie of this name (and did not clear it).
    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|(n, _)| n == name)
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let Some((name, value)) = header
                .to_str()
                .ok()
                .and_then(|h| h.split(';').next())
                .and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    /// `GET path` as an EventSource asks for it (`Accept: text/event-stream`).
    pub async fn event_stream(&mut self, path: &str) -> reqwest::Response {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    /// The page's HTML and its first CSRF field.
    pub async fn page(&mut self, path: &str) -> (String, String) {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let html = response.text().await.unwrap();
        let csrf = csrf_of(&html);
        (html, csrf)
    }

    /// Signs in; returns the login's answer (a redirect when it worked).
    pub async fn log_in(&mut self, email: &str, password: &str) -> reqwest::Response {
        let (_, csrf) = self.page("/console/connexion").await;
        self.post(
            "/console/connexion",
            &[("email", email), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    /// Replaces the signed-in account's password (`current`, e.g. its one-time password).
    pub async fn change_password(&mut self, current: &str, chosen: &str) {
        let (_, csrf) = self.page("/console/mot-de-passe").await;
        let changed = self
            .post(
                "/console/mot-de-passe",
                &[
                    ("csrf", csrf.as_str()),
                    ("current", current),
                    ("new", chosen),
                    ("confirm", chosen),
                ],
            )
            .await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER, "password change");
    }
}

/// The first CSRF field of a page, or "" when it has none.
pub fn csrf_of(html: &str) -> String {
    html.split_once("name=\"csrf\" value=\"")
        .and_then(|(_, rest)| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

/// Where a redirect points ("" when it is not one).
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}
