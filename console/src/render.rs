//! Templates (embedded at build time; auto-escaped HTML).

use minijinja::Environment;
use serde::Serialize;

use crate::error::Result;

/// The console's templates.
pub(crate) struct Templates {
    env: Environment<'static>,
}

macro_rules! templates {
    ($env:ident, $($name:literal),+ $(,)?) => {
        $(
            // The templates ship inside the crate; a syntax error is a build defect caught by
            // the tests, so it is reported at render time rather than panicking here.
            if let Err(error) = $env.add_template($name, include_str!(concat!("../templates/", $name))) {
                tracing::error!(template = $name, %error, "console template does not compile");
            }
        )+
    };
}

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        templates!(
            env,
            "base.html",
            "login.html",
            "home.html",
            "queue.html",
            "queue_rows.html",
            "queue_filters.html",
            "queue_history.html",
            "ticket.html",
            "stats.html",
            "eval.html",
            "accounts.html",
            "account_created.html",
            "notifications.html",
            "suggestions.html",
            "drafts.html",
            "draft_edit.html",
            "password.html",
            "error.html",
            "fiche_edit.html",
        );
        Templates { env }
    }

    pub fn render<S: Serialize>(&self, name: &str, context: S) -> Result<String> {
        Ok(self.env.get_template(name)?.render(context)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile_and_escape() {
        let templates = Templates::new();
        let user = serde_json::json!({
            "base": "/console",
            "user": { "email": "<b>a@b.example</b>", "role": "Éditeur", "communes": "demo" },
            "csrf": "t",
            "nav": {},
        });
        let html = templates.render("home.html", &user).expect("home renders");
        assert!(
            html.contains("&lt;b&gt;a@b.example") && !html.contains("<b>"),
            "auto-escaped: {html}"
        );
        let login = templates
            .render(
                "login.html",
                serde_json::json!({ "base": "/console", "login_csrf": "x", "email": "" }),
            )
            .expect("login renders");
        assert!(login.contains("name=\"csrf\" value=\"x\""));
        let rows = templates
            .render(
                "queue_rows.html",
                serde_json::json!({ "base": "/console", "tickets": [] }),
            )
            .expect("rows render");
        assert!(rows.contains("Aucun ticket en attente"));
    }
}
