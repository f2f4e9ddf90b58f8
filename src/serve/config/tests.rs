//! The settings: loading, environment, validation.

use super::*;

#[test]
fn secrets_in_the_main_file_are_refused() {
    let dir = std::env::temp_dir().join(format!("guichet-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("guichet.toml");
    std::fs::write(
        &file,
        "[twilio]\naccount_sid = \"AC1\"\nauth_token = \"oops\"\n",
    )
    .unwrap();
    let error = Settings::load(Some(&file)).unwrap_err().to_string();
    assert!(error.contains("GUICHET__TWILIO__AUTH_TOKEN"), "{error}");
    assert!(!error.contains("oops"));
    std::fs::write(&file, "listen = \"127.0.0.1:9999\"\n[communes.villebourg]\ndir = \"communes/demo\"\nnumbers = [\"+33130000001\"]\n").unwrap();
    let settings = Settings::load(Some(&file)).unwrap();
    assert_eq!(settings.listen.port(), 9999);
    assert_eq!(
        settings.communes["villebourg"].numbers,
        vec!["+33130000001".to_string()]
    );
    assert!(settings.twilio.verify_signatures);
    assert_eq!(format!("{:?}", Secret::new("hidden")), "<redacted>");
    let _ = std::fs::remove_dir_all(&dir);
}

fn vars(pairs: &[(&str, &str)]) -> config::Map<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn both_database_url_spellings_reach_database_url() {
    let documented = configuration_environment(vars(&[
        ("GUICHET__DATABASE__URL", "postgres://documented"),
        ("GUICHET__DATABASE_URL", "postgres://field"),
        ("GUICHET__LISTEN", "127.0.0.1:1"),
    ]));
    assert_eq!(
        documented,
        vars(&[
            ("GUICHET__DATABASE_URL", "postgres://documented"),
            ("GUICHET__LISTEN", "127.0.0.1:1"),
        ])
    );
    let field = configuration_environment(vars(&[("GUICHET__DATABASE_URL", "sqlite://x")]));
    assert_eq!(database_url_in(&field).as_deref(), Some("sqlite://x"));
    let empty = configuration_environment(vars(&[("GUICHET__DATABASE__URL", " ")]));
    assert!(empty.is_empty());
}

/// The settings read from `environment` alone, as `GUICHET__…` variables.
fn settings_from(environment: config::Map<String, String>) -> Settings {
    Config::builder()
        .add_source(
            Environment::with_prefix("GUICHET")
                .prefix_separator("__")
                .separator("__")
                .source(Some(environment)),
        )
        .build()
        .unwrap()
        .try_deserialize()
        .unwrap()
}

#[test]
fn documented_database_variable_is_read_by_the_configuration() {
    let environment = configuration_environment(vars(&[(
        "GUICHET__DATABASE__URL",
        "sqlite://documented.db",
    )]));
    let settings = settings_from(environment);
    assert_eq!(settings.database_url, "sqlite://documented.db");
}

#[test]
fn the_log_section_defaults_to_text_and_reads_the_environment() {
    let defaults = Settings::default();
    assert_eq!(defaults.log.format, LogFormat::Text);
    assert_eq!(defaults.log.level, "info");
    let environment = vars(&[
        ("GUICHET__LOG__FORMAT", "json"),
        ("GUICHET__LOG__LEVEL", "guichet=debug,warn"),
    ]);
    let settings = settings_from(environment);
    assert_eq!(settings.log.format, LogFormat::Json);
    assert_eq!(settings.log.level, "guichet=debug,warn");
}

#[test]
fn an_empty_secret_is_refused() {
    let mut settings = Settings::demo();
    settings.twilio.auth_token = Some(Secret::new("  "));
    let error = settings.validate().unwrap_err().to_string();
    assert!(
        error.contains("GUICHET__TWILIO__AUTH_TOKEN is set but empty"),
        "{error}"
    );
    settings.twilio.auth_token = Some(Secret::new("token"));
    assert!(settings.validate().is_ok());
}

#[test]
fn a_lease_shorter_than_a_send_is_refused() {
    let mut settings = Settings::demo();
    settings.outbox.lease_seconds = 10;
    settings.outbox.request_timeout_ms = 10_000;
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("outbox.lease_seconds (10)"), "{error}");
    assert!(error.contains("sent twice"), "{error}");
    settings.outbox.request_timeout_ms = 9_000;
    assert!(settings.validate().is_ok());
}
