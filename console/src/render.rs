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
            "ticket.html",
            "stats.html",
            "eval.html",
            "accounts.html",
            "account_created.html",
            "notifications.html",
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
    fn every_template_compiles_and_renders() {
        let templates = Templates::new();
        for name in [
            "login.html",
            "home.html",
            "queue.html",
            "queue_rows.html",
            "ticket.html",
            "stats.html",
            "eval.html",
            "accounts.html",
            "account_created.html",
            "notifications.html",
        ] {
            let html = templates.render(name, serde_json::json!({ "base": "/console" }));
            assert!(html.is_ok(), "{name}: {html:?}");
        }
    }
}
