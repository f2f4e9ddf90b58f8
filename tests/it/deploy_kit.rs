//! The deployment kit (`deploy/`) and the operators' docs (`docs/deploiement.md`,
//! `docs/exploitation.md`) against the code they describe: the example configuration goes
//! through the service's own loader and covers every setting; the compose file, the Caddyfile,
//! the Dockerfile and the systemd unit hold what the docs promise (the image's health check is
//! run against a real service); every variable, route, metric and command the docs name exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use guichet::serve::{self, Settings};
use serde_yaml_ng::Value as Yaml;

// ---------------------------------------------------------------------------------------------
// Files

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A source file without its `#[cfg(test)]` module.
fn source(relative: &str) -> String {
    let text = read(relative);
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "guichet-deploy-kit-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether the process environment could change what `Settings::load` reads.
fn guichet_variables_set() -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(key, _)| key.into_string().ok())
        .filter(|key| key.to_ascii_uppercase().starts_with("GUICHET__"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The settings, read from the Rust sources: every key the service deserialises.

#[derive(Debug, Clone)]
struct Field {
    name: String,
    ty: String,
    /// `#[serde(flatten)]`: its struct's fields sit at this level.
    flatten: bool,
}

/// `pub struct Name { pub field: Type, … }` blocks (fields marked `#[serde(skip)]` left out), and
/// `pub struct Name(pub Inner);` wrappers as `Name → Inner`.
fn structs(source: &str) -> (BTreeMap<String, Vec<Field>>, BTreeMap<String, String>) {
    let mut blocks = BTreeMap::new();
    let mut wrappers = BTreeMap::new();
    let mut current: Option<(String, Vec<Field>)> = None;
    let mut skip_next = false;
    let mut flatten_next = false;
    for line in source.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("pub struct ") {
            if let Some(name) = rest.strip_suffix(" {") {
                current = Some((name.trim().to_string(), Vec::new()));
            } else if let Some((name, inner)) = rest.split_once("(pub ") {
                let inner = inner.trim_end_matches(");");
                wrappers.insert(name.to_string(), last_segment(inner));
            }
            continue;
        }
        let Some((_, fields)) = current.as_mut() else {
            continue;
        };
        if line == "}" {
            let (name, fields) = current.take().unwrap();
            blocks.insert(name, fields);
            continue;
        }
        if trimmed.starts_with("#[serde(") {
            skip_next |= trimmed.contains("skip)")
                || trimmed.contains("skip,")
                || trimmed.contains("skip_deserializing");
            flatten_next |= trimmed.contains("flatten");
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("pub ")
            && let Some((name, ty)) = rest.split_once(": ")
        {
            if !skip_next {
                fields.push(Field {
                    name: name.to_string(),
                    ty: ty.trim_end_matches(',').to_string(),
                    flatten: flatten_next,
                });
            }
            skip_next = false;
            flatten_next = false;
        }
    }
    (blocks, wrappers)
}

fn last_segment(path: &str) -> String {
    path.rsplit("::").next().unwrap_or(path).trim().to_string()
}

/// One segment of a key path: a key, any key of a map (`[communes.<id>]`), or any element of a
/// list (`[[notifications.routes]]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Key(String),
    AnyKey,
    AnyElement,
}

/// Every leaf setting, as its key path from the top of the file.
fn setting_paths() -> Vec<Vec<Segment>> {
    let (mut blocks, mut wrappers) = structs(&source("src/serve/config.rs"));
    let (provider_blocks, provider_wrappers) = structs(&source("src/serve/config/providers.rs"));
    blocks.extend(provider_blocks);
    wrappers.extend(provider_wrappers);
    let (mut notify_blocks, notify_wrappers) = structs(&source("delivery/src/notify/config.rs"));
    for file in ["destination", "smtp"] {
        notify_blocks.extend(structs(&source(&format!("delivery/src/notify/{file}.rs"))).0);
    }
    for name in [
        "NotificationConfig",
        "SmtpConfig",
        "NotificationRoute",
        "RouteDestinations",
    ] {
        let fields = notify_blocks
            .get(name)
            .unwrap_or_else(|| panic!("delivery/src/notify/config.rs has no struct {name}"));
        blocks.insert(name.to_string(), fields.clone());
    }
    wrappers.extend(notify_wrappers);
    assert!(blocks.contains_key("Settings"), "no Settings struct found");
    let mut paths = Vec::new();
    walk(&blocks, &wrappers, "Settings", &mut Vec::new(), &mut paths);
    paths
}

fn walk(
    blocks: &BTreeMap<String, Vec<Field>>,
    wrappers: &BTreeMap<String, String>,
    name: &str,
    prefix: &mut Vec<Segment>,
    out: &mut Vec<Vec<Segment>>,
) {
    for field in &blocks[name] {
        if !field.flatten {
            prefix.push(Segment::Key(field.name.clone()));
        }
        let mut ty = field.ty.as_str();
        let mut container = Vec::new();
        loop {
            if let Some(inner) = ty.strip_prefix("Option<") {
                ty = inner.strip_suffix('>').unwrap_or(inner);
            } else if let Some(inner) = ty.strip_prefix("Vec<") {
                ty = inner.strip_suffix('>').unwrap_or(inner);
                container.push(Segment::AnyElement);
            } else if let Some(inner) = ty.strip_prefix("BTreeMap<String, ") {
                ty = inner.strip_suffix('>').unwrap_or(inner);
                container.push(Segment::AnyKey);
            } else {
                break;
            }
        }
        let mut target = last_segment(ty);
        while let Some(inner) = wrappers.get(&target) {
            target = inner.clone();
        }
        if blocks.contains_key(&target) {
            let depth = prefix.len();
            prefix.extend(container);
            walk(blocks, wrappers, &target, prefix, out);
            prefix.truncate(depth);
        } else {
            out.push(prefix.clone());
        }
        if !field.flatten {
            prefix.pop();
        }
    }
}

/// The keys the service refuses in the main file (`SECRET_KEYS` of config.rs).
fn secret_keys() -> Vec<String> {
    let text = source("src/serve/config.rs");
    let start = text
        .find("const SECRET_KEYS")
        .expect("config.rs declares SECRET_KEYS");
    let body = &text[start..];
    let body = &body[body.find("= &[").unwrap() + 4..body.find("];").unwrap()];
    let keys: Vec<String> = body
        .split(',')
        .map(|key| key.trim().trim_matches('"').to_string())
        .filter(|key| !key.is_empty())
        .collect();
    assert!(
        keys.len() >= 4
            && keys
                .iter()
                .all(|key| key.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
        "SECRET_KEYS not read: {keys:?}"
    );
    keys
}

/// The keys that are secrets in one section only (`SECRET_PATHS` of config.rs, `jambonz.api_key`).
fn secret_paths() -> Vec<String> {
    let text = source("src/serve/config.rs");
    let start = text
        .find("const SECRET_PATHS")
        .expect("config.rs declares SECRET_PATHS");
    let body = &text[start..];
    let body = &body[body.find("= &[").unwrap() + 4..body.find("];").unwrap()];
    body.split(',')
        .map(|key| key.trim().trim_matches('"').to_string())
        .filter(|key| !key.is_empty())
        .collect()
}

fn is_secret(path: &[Segment], secrets: &[String]) -> bool {
    matches!(path.last(), Some(Segment::Key(key)) if secrets.contains(key))
        || secret_paths().contains(&render(path))
}

/// The environment variable of a key path (`<ID>` for a commune), or `None` for a key inside a
/// list, which no variable can reach.
fn variable_of(path: &[Segment]) -> Option<String> {
    let mut parts = vec!["GUICHET".to_string()];
    for segment in path {
        match segment {
            Segment::Key(key) => parts.push(key.to_ascii_uppercase()),
            Segment::AnyKey => parts.push("<ID>".into()),
            Segment::AnyElement => return None,
        }
    }
    Some(parts.join("__"))
}

fn render(path: &[Segment]) -> String {
    path.iter()
        .map(|segment| match segment {
            Segment::Key(key) => key.clone(),
            Segment::AnyKey => "<id>".into(),
            Segment::AnyElement => "[]".into(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `GUICHET__…` variables named in `text`.
fn variables_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("GUICHET__") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || "_<>".contains(c)))
            .unwrap_or(tail.len());
        let name = tail[..end].trim_end_matches('_');
        if name.len() > "GUICHET".len() {
            found.insert(name.to_string());
        }
        rest = &tail[end.max("GUICHET__".len())..];
    }
    found
}

/// Whether `variable` reaches a real setting (a commune segment may be any id).
fn variable_is_a_setting(variable: &str, paths: &[Vec<Segment>]) -> bool {
    if ["GUICHET__DATABASE__URL", "GUICHET__DATABASE_URL"].contains(&variable) {
        return true;
    }
    let Some(rest) = variable.strip_prefix("GUICHET__") else {
        return false;
    };
    let parts: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
    paths.iter().any(|path| {
        path.len() == parts.len()
            && path
                .iter()
                .zip(&parts)
                .all(|(segment, part)| match segment {
                    Segment::Key(key) => key == part,
                    Segment::AnyKey => !part.is_empty(),
                    Segment::AnyElement => false,
                })
    })
}

// ---------------------------------------------------------------------------------------------
// The example configuration

const EXAMPLE: &str = "deploy/config.example.toml";

/// The example with its optional settings switched on: commented lines that hold a key or a
/// table header lose their `# `.
fn example_enabled() -> String {
    read(EXAMPLE)
        .lines()
        .map(|line| {
            let Some(rest) = line.strip_prefix('#') else {
                return line.to_string();
            };
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let key = rest
                .split_once('=')
                .map(|(key, _)| key.trim())
                .filter(|key| {
                    !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                });
            let header = rest.starts_with('[') && rest.trim_end().ends_with(']');
            if header || key.is_some() {
                rest.to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn has_path(value: &toml::Value, path: &[Segment]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    match (first, value) {
        (Segment::Key(key), toml::Value::Table(table)) => {
            table.get(key).is_some_and(|inner| has_path(inner, rest))
        }
        (Segment::AnyKey, toml::Value::Table(table)) => {
            table.values().any(|inner| has_path(inner, rest))
        }
        (Segment::AnyElement, toml::Value::Array(items)) => {
            items.iter().any(|inner| has_path(inner, rest))
        }
        _ => false,
    }
}

/// Every leaf key of a TOML document, as the rendered paths of [`render`] would name it when
/// `maps` lists the tables whose keys are ids.
fn toml_leaves(value: &toml::Value, prefix: &str, maps: &[&str], out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, inner) in table {
                let segment = if maps.contains(&prefix) { "<id>" } else { key };
                let path = if prefix.is_empty() {
                    segment.to_string()
                } else {
                    format!("{prefix}.{segment}")
                };
                toml_leaves(inner, &path, maps, out);
            }
        }
        toml::Value::Array(items)
            if items.iter().all(toml::Value::is_table) && !items.is_empty() =>
        {
            for item in items {
                toml_leaves(item, &format!("{prefix}.[]"), maps, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

#[test]
fn the_example_configuration_holds_the_defaults() {
    let settings = Settings::load(Some(&root().join(EXAMPLE))).expect("the example loads");
    let set = guichet_variables_set();
    if !set.is_empty() {
        eprintln!("skipped the comparison with the defaults: {set:?} are set");
        return;
    }
    // Settings has no PartialEq; its Debug shows every field (secrets redacted).
    assert_eq!(
        format!("{settings:#?}"),
        format!("{:#?}", Settings::demo()),
        "deploy/config.example.toml must hold the defaults (plus the demo commune)"
    );
    assert_eq!(settings.listen.port(), 8080);
    assert_eq!(settings.database_url, guichet_store::DEFAULT_SQLITE_URL);
    assert!(settings.twilio.verify_signatures && settings.vonage.verify_signatures);
    assert!(settings.notifications.is_none());
}

#[test]
fn the_example_documents_every_setting_and_only_real_ones() {
    let secrets = secret_keys();
    let paths = setting_paths();
    assert!(paths.len() > 40, "too few settings found: {paths:?}");
    let example = read(EXAMPLE);
    let enabled: toml::Value = toml::from_str(&example_enabled()).expect("enabled example is TOML");

    let missing: Vec<String> = paths
        .iter()
        .filter(|path| !is_secret(path, &secrets) && !has_path(&enabled, path))
        .map(|path| render(path))
        .collect();
    assert!(
        missing.is_empty(),
        "settings missing from the example: {missing:?}"
    );

    for path in paths.iter().filter(|path| is_secret(path, &secrets)) {
        let Some(Segment::Key(key)) = path.last() else {
            unreachable!()
        };
        match variable_of(path) {
            Some(variable) if !path.contains(&Segment::AnyKey) => assert!(
                example.contains(&variable),
                "the example should name {variable} for the secret {}",
                render(path)
            ),
            _ => assert!(
                example.contains(key.as_str()),
                "the example should mention the secret {}",
                render(path)
            ),
        }
    }

    let known: BTreeSet<String> = paths.iter().map(|path| render(path)).collect();
    let mut leaves = BTreeSet::new();
    toml_leaves(&enabled, "", &["communes"], &mut leaves);
    let unknown: Vec<&String> = leaves.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "keys of the example the service does not read: {unknown:?}"
    );
}

#[test]
fn the_enabled_example_loads_with_a_secrets_file() {
    let dir = scratch("secrets");
    let secrets = dir.join("secrets.toml");
    std::fs::write(
        &secrets,
        r#"[twilio]
auth_token = "twilio-token-from-the-secrets-file"

[communes.demo.twilio]
auth_token = "demo-own-token"

[privacy]
pseudonym_key = "pseudonym-key-from-the-secrets-file"

[jambonz]
webhook_secret = "jambonz-webhook-secret"

[notifications.smtp]
host = "smtp.villebourg.example"
from = "Guichet <guichet@villebourg.example>"
password = "smtp-password"

[[notifications.routes]]
commune = "demo"
partner = "agglomeration"
webhook_url = "https://signalements.example/api"
webhook_token = "webhook-token"
"#,
    )
    .unwrap();
    let line = "secrets_file = \"/run/secrets/guichet.toml\"";
    let enabled = example_enabled();
    assert!(enabled.contains(line), "the example shows `{line}`");
    let enabled = enabled.replace(
        line,
        &format!("secrets_file = {:?}", secrets.display().to_string()),
    );
    let file = dir.join("guichet.toml");
    std::fs::write(&file, &enabled).unwrap();

    let settings = Settings::load(Some(&file)).expect("the enabled example loads");
    assert_eq!(settings.communes.len(), 2, "demo and the second commune");
    assert_eq!(
        settings.communes["villebourg"].numbers,
        ["+33130000001", "+33757000001"]
    );
    assert_eq!(
        settings.voice.twilio_voice.as_deref(),
        Some("Polly.Lea-Neural")
    );
    assert!(settings.public_base().starts_with("https://"));
    if guichet_variables_set().is_empty() {
        let secret =
            |s: &Option<guichet::serve::config::Secret>| s.as_ref().map(|s| s.expose().to_string());
        assert_eq!(
            secret(&settings.twilio.auth_token).as_deref(),
            Some("twilio-token-from-the-secrets-file")
        );
        assert_eq!(
            secret(&settings.communes["demo"].twilio.auth_token).as_deref(),
            Some("demo-own-token")
        );
        assert_eq!(
            secret(&settings.privacy.pseudonym_key).as_deref(),
            Some("pseudonym-key-from-the-secrets-file")
        );
    }
    let notifications = settings.notifications.expect("[notifications] enabled").0;
    // As the example says: a list in the secrets file replaces the main file's.
    assert_eq!(notifications.routes.len(), 1, "{:?}", notifications.routes);
    assert_eq!(
        notifications.routes[0].to.webhook_token.as_deref(),
        Some("webhook-token")
    );
    let smtp = notifications.smtp.clone().expect("smtp");
    assert_eq!(smtp.host, "smtp.villebourg.example", "the main file's host");
    assert_eq!(smtp.password.as_deref(), Some("smtp-password"));
    assert_eq!(smtp.port, 587);
    assert_eq!(smtp.security, guichet_delivery::SmtpSecurity::default());
    // The commented values are the defaults.
    let defaults = guichet_delivery::NotificationConfig::default();
    assert_eq!(
        guichet_delivery::NotificationConfig {
            smtp: None,
            routes: Vec::new(),
            ..notifications.clone()
        },
        defaults
    );
    guichet_delivery::Notifier::new(notifications, chrono::Utc::now())
        .expect("the example's notifications are valid");

    // The main file refuses a secret, and names its variable.
    let with_secret = enabled.replacen("[privacy]\n", "[privacy]\npseudonym_key = \"oops\"\n", 1);
    assert_ne!(with_secret, enabled);
    std::fs::write(&file, with_secret).unwrap();
    let error = format!("{:#}", Settings::load(Some(&file)).unwrap_err());
    assert!(error.contains("GUICHET__PRIVACY__PSEUDONYM_KEY"), "{error}");
    assert!(!error.contains("oops"), "{error}");
    // So does a webhook token in a list of routes, as the guide says.
    std::fs::write(&file, format!("{enabled}\nwebhook_token = \"oops\"\n")).unwrap();
    let error = format!("{:#}", Settings::load(Some(&file)).unwrap_err());
    assert!(
        error.contains("notifications.routes.webhook_token"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// Docker

/// The Dockerfile's logical lines (continuations joined), comments left out.
fn dockerfile_instructions() -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in read("deploy/Dockerfile").lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

fn healthcheck_command() -> Vec<String> {
    let instructions = dockerfile_instructions();
    let healthcheck = instructions
        .iter()
        .find(|line| line.starts_with("HEALTHCHECK "))
        .expect("the Dockerfile has a HEALTHCHECK");
    let json = &healthcheck[healthcheck.find("CMD [").expect("exec form") + 4..];
    serde_json::from_str(json).expect("HEALTHCHECK CMD is a JSON array")
}

#[test]
fn the_dockerfile_builds_in_two_stages_and_runs_unprivileged() {
    let instructions = dockerfile_instructions();
    let from: Vec<&String> = instructions
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(from.len(), 2, "{from:?}");
    assert!(
        from[0].starts_with("FROM rust:1-bookworm AS "),
        "{}",
        from[0]
    );
    assert_eq!(from[1], "FROM debian:bookworm-slim");
    let joined = instructions.join("\n");
    assert!(joined.contains("--mount=type=cache,target=/usr/local/cargo/registry"));
    assert!(joined.contains("cargo build --release --locked -p guichet --bin guichet"));
    let runtime = &joined[joined.find("FROM debian:bookworm-slim").unwrap()..];
    assert!(runtime.contains("apt-get install -y --no-install-recommends ca-certificates "));
    for tool in ["curl", "wget"] {
        assert!(
            !runtime.contains(tool),
            "the runtime image installs no {tool}"
        );
    }
    assert!(runtime.contains("useradd --system --uid 10001"));
    let user = instructions
        .iter()
        .rfind(|l| l.starts_with("USER "))
        .unwrap();
    assert_eq!(user, "USER 10001:10001");
    let volume = instructions
        .iter()
        .find(|l| l.starts_with("VOLUME "))
        .unwrap();
    let volumes: Vec<String> = serde_json::from_str(&volume["VOLUME ".len()..]).unwrap();
    assert_eq!(volumes, ["/srv/guichet/communes", "/srv/guichet/data"]);
    assert!(instructions.contains(&"EXPOSE 8080".to_string()));
    assert!(instructions.contains(&"ENV GUICHET__LISTEN=0.0.0.0:8080".to_string()));
    assert!(instructions.contains(&"WORKDIR /srv/guichet".to_string()));
    assert!(instructions.contains(&"ENTRYPOINT [\"guichet\"]".to_string()));
    // What the image copies exists, and the default paths of the settings land in the volumes.
    assert!(root().join("communes/demo/commune.toml").is_file());
    let defaults = Settings::default();
    assert!(defaults.database_url.starts_with("sqlite://data/"));
    assert!(defaults.spool_dir.starts_with("data"));
    assert_eq!(
        Settings::demo().communes["demo"].dir,
        PathBuf::from("communes/demo")
    );
    let ignore = read(".dockerignore");
    for excluded in ["target", "data", ".git", "**/.env"] {
        assert!(
            ignore.lines().any(|l| l.trim() == excluded),
            ".dockerignore lacks {excluded}"
        );
    }
}

fn run_healthcheck(listen: &str) -> std::process::ExitStatus {
    let command = healthcheck_command();
    Command::new(&command[0])
        .args(&command[1..])
        .env("GUICHET__LISTEN", listen)
        .output()
        .expect("running the health check")
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_health_check_asks_the_running_service() {
    let command = healthcheck_command();
    assert_eq!(command[0], "bash");
    assert!(command.iter().any(|part| part.contains("GET /healthz ")));
    let dir = scratch("health");
    let mut settings = Settings::demo();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.database_url = format!("sqlite://{}/guichet.db?mode=rwc", dir.display());
    settings.spool_dir = dir.join("spool");
    settings.watch_knowledge = false;
    let running = serve::start(settings).await.expect("the service starts");
    let listen = format!("0.0.0.0:{}", running.address.port());
    let up = tokio::task::spawn_blocking({
        let listen = listen.clone();
        move || run_healthcheck(&listen)
    })
    .await
    .unwrap();
    assert!(up.success(), "health check of a running service: {up}");
    running.shutdown().await.unwrap();
    let down = tokio::task::spawn_blocking(move || run_healthcheck(&listen))
        .await
        .unwrap();
    assert!(
        !down.success(),
        "health check of a stopped service must fail"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// Compose and Caddy

fn compose() -> Yaml {
    let mut value: Yaml =
        serde_yaml_ng::from_str(&read("deploy/compose.yaml")).expect("compose.yaml is YAML");
    value.apply_merge().expect("merge keys");
    value
}

fn yaml_str<'a>(value: &'a Yaml, path: &[&str]) -> &'a str {
    let mut here = value;
    for key in path {
        here = &here[*key];
    }
    here.as_str()
        .unwrap_or_else(|| panic!("{} is not a string: {here:?}", path.join(".")))
}

/// `${NAME…}` references of a compose or Caddy text.
fn interpolated(text: &str, open: &str) -> BTreeSet<String> {
    text.match_indices(open)
        .map(|(at, _)| {
            let name: String = text[at + open.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            name
        })
        .collect()
}

#[test]
fn compose_runs_postgres_two_nodes_and_a_tls_proxy() {
    let compose = compose();
    let services = compose["services"].as_mapping().expect("services");
    let names: BTreeSet<&str> = services.keys().filter_map(Yaml::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["caddy", "guichet-1", "guichet-2", "postgres"])
    );

    let postgres = &compose["services"]["postgres"];
    assert!(yaml_str(postgres, &["image"]).starts_with("postgres:15"));
    let test = serde_yaml_ng::to_string(&postgres["healthcheck"]["test"]).unwrap();
    assert!(test.contains("pg_isready"), "{test}");
    let volume = postgres["volumes"][0].as_str().unwrap();
    let (name, target) = volume.split_once(':').unwrap();
    assert_eq!(target, "/var/lib/postgresql/data");
    let declared = compose["volumes"].as_mapping().expect("named volumes");
    assert!(declared.contains_key(name), "volume {name} is declared");
    let db = yaml_str(postgres, &["environment", "POSTGRES_DB"]);
    let user = yaml_str(postgres, &["environment", "POSTGRES_USER"]);

    let mut data_volumes = BTreeSet::new();
    for node in ["guichet-1", "guichet-2"] {
        let service = &compose["services"][node];
        let env = &service["environment"];
        let url = yaml_str(env, &["GUICHET__DATABASE__URL"]);
        assert!(
            url.starts_with(&format!("postgres://{user}:${{POSTGRES_PASSWORD"))
                && url.ends_with(&format!("@postgres:5432/{db}")),
            "{node}: {url}"
        );
        assert_eq!(
            yaml_str(&service["depends_on"]["postgres"], &["condition"]),
            "service_healthy"
        );
        let public = yaml_str(env, &["GUICHET__PUBLIC_URL"]);
        assert!(public.starts_with("https://${GUICHET_DOMAIN"), "{public}");
        assert_eq!(yaml_str(env, &["GUICHET__LISTEN"]), "0.0.0.0:8080");
        assert_eq!(
            yaml_str(env, &["GUICHET__CONSOLE__TRUST_FORWARDED_FOR"]),
            "true"
        );
        let command: Vec<&str> = service["command"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(Yaml::as_str)
            .collect();
        let target = yaml_str(&service["configs"][0], &["target"]);
        assert_eq!(command, ["serve", "--config", target]);
        assert_eq!(yaml_str(&service["env_file"], &[]), ".env");
        let volumes: Vec<&str> = service["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(Yaml::as_str)
            .collect();
        assert!(
            volumes
                .iter()
                .any(|v| v.ends_with(":/srv/guichet/communes"))
        );
        let data = volumes
            .iter()
            .find(|v| v.ends_with(":/srv/guichet/data"))
            .expect("a data volume");
        data_volumes.insert(data.to_string());
        assert!(service["stop_grace_period"].as_str().is_some());
    }
    assert_eq!(data_volumes.len(), 2, "each node has its own spool");

    let caddy = &compose["services"]["caddy"];
    assert!(yaml_str(caddy, &["image"]).starts_with("caddy:2"));
    let ports = serde_yaml_ng::to_string(&caddy["ports"]).unwrap();
    assert!(
        ports.contains("443:443") && ports.contains("80:80"),
        "{ports}"
    );
    assert!(
        serde_yaml_ng::to_string(&caddy["volumes"])
            .unwrap()
            .contains("./Caddyfile:/etc/caddy/Caddyfile")
    );

    let caddyfile = read("deploy/Caddyfile");
    assert!(
        caddyfile.contains("{$GUICHET_DOMAIN} {"),
        "the site is the public host"
    );
    assert!(caddyfile.contains("reverse_proxy guichet-1:8080 guichet-2:8080"));
    assert!(caddyfile.contains("health_uri /healthz"));
    assert!(
        caddyfile.contains("respond /metrics 403"),
        "metrics stay off the public site"
    );
    for name in interpolated(&caddyfile, "{$") {
        assert!(
            !caddy["environment"][name.as_str()].is_null(),
            "caddy gets {name}"
        );
    }
}

#[test]
fn compose_takes_every_secret_from_the_env_file() {
    let text = read("deploy/compose.yaml");
    let compose = compose();
    let env_example = read("deploy/.env.example");
    let declared = |name: &str| {
        env_example.lines().any(|line| {
            let line = line.trim_start_matches('#');
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
        })
    };
    for name in interpolated(&text, "${") {
        assert!(declared(&name), ".env.example should declare {name}");
    }
    for (service, definition) in compose["services"].as_mapping().unwrap() {
        let Some(environment) = definition["environment"].as_mapping() else {
            continue;
        };
        for (key, value) in environment {
            let key = key.as_str().unwrap();
            let value = value.as_str().unwrap_or_default();
            let sensitive = ["TOKEN", "SECRET", "PASSWORD", "KEY"]
                .iter()
                .any(|word| key.contains(word));
            if sensitive {
                assert!(
                    value.starts_with("${"),
                    "{service:?}: {key} must come from deploy/.env, not be written in compose.yaml"
                );
            }
            assert!(!value.contains("password@") && !value.contains(":secret@"));
        }
    }
    // Every secret a variable can reach is shown in .env.example.
    let secrets = secret_keys();
    for path in setting_paths()
        .iter()
        .filter(|path| is_secret(path, &secrets))
    {
        if let Some(variable) = variable_of(path) {
            let shown = variable.replace("<ID>", "VILLEBOURG");
            assert!(declared(&shown), ".env.example should show {shown}");
        }
    }
    // And every GUICHET__ variable there or in compose.yaml is a real setting.
    let paths = setting_paths();
    for variable in variables_in(&env_example).union(&variables_in(&text)) {
        assert!(
            variable_is_a_setting(variable, &paths),
            "{variable} is no setting"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// systemd

fn unit_directives() -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in read("deploy/guichet.service").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) = line.split_once('=').expect("key=value");
        out.push((section.clone(), key.to_string(), value.to_string()));
    }
    out
}

#[test]
fn the_systemd_unit_is_hardened() {
    let directives = unit_directives();
    let values = |key: &str| -> Vec<&str> {
        directives
            .iter()
            .filter(|(section, k, _)| section == "Service" && k == key)
            .map(|(_, _, v)| v.as_str())
            .collect()
    };
    let one = |key: &str| -> &str {
        let found = values(key);
        assert_eq!(found.len(), 1, "[Service] {key}: {found:?}");
        found[0]
    };
    for (key, value) in [
        ("DynamicUser", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("StateDirectory", "guichet"),
        ("ConfigurationDirectory", "guichet"),
        ("Restart", "on-failure"),
        ("CapabilityBoundingSet", ""),
        ("WorkingDirectory", "/var/lib/guichet"),
    ] {
        assert_eq!(one(key), value, "[Service] {key}");
    }
    assert!(values("SystemCallFilter").contains(&"@system-service"));
    assert!(one("TimeoutStopSec").ends_with('s'));
    assert!(one("MemoryMax").ends_with('G') || one("MemoryMax").ends_with('M'));
    let credential = one("LoadCredential");
    let (name, file) = credential.split_once(':').unwrap();
    assert_eq!(file, "/etc/guichet/secrets.toml");
    assert!(values("Environment").contains(&format!("GUICHET__SECRETS_FILE=%d/{name}").as_str()));
    let paths = setting_paths();
    for environment in values("Environment") {
        let variable = environment.split('=').next().unwrap();
        assert!(variable_is_a_setting(variable, &paths), "{variable}");
    }

    // ExecStart runs a real subcommand with a real flag.
    let exec: Vec<&str> = one("ExecStart").split_whitespace().collect();
    assert_eq!(exec[..2], ["/usr/local/bin/guichet", "serve"]);
    assert_eq!(exec[2..], ["--config", "/etc/guichet/guichet.toml"]);
    assert!(help(&["serve"]).contains("--config <FILE>"));

    // systemd's own check, where systemd is installed.
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if !analyze.exists() {
        eprintln!("systemd-analyze not installed: skipped `systemd-analyze verify`");
        return;
    }
    let dir = scratch("unit");
    let unit = dir.join("guichet.service");
    std::fs::write(
        &unit,
        read("deploy/guichet.service")
            .replace("/usr/local/bin/guichet", env!("CARGO_BIN_EXE_guichet")),
    )
    .unwrap();
    let output = Command::new(analyze)
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The docs

const DEPLOYMENT: &str = "docs/deploiement.md";
const OPERATIONS: &str = "docs/exploitation.md";

#[test]
fn the_deployment_guide_names_every_secret_variable() {
    let guide = read(DEPLOYMENT);
    let secrets = secret_keys();
    for path in setting_paths()
        .iter()
        .filter(|path| is_secret(path, &secrets))
    {
        match variable_of(path) {
            Some(variable) => assert!(guide.contains(&variable), "{DEPLOYMENT} lacks {variable}"),
            None => {
                let Some(Segment::Key(key)) = path.last() else {
                    unreachable!()
                };
                assert!(
                    guide.contains(&format!("`{key}`")),
                    "{DEPLOYMENT} lacks `{key}` ({})",
                    render(path)
                );
            }
        }
    }
    // The variables the code names itself (the database URL, the pseudonym key of the CLI).
    let code = source("src/serve/config.rs") + &source("office/src/privacy.rs");
    for variable in variables_in(&code).iter().filter(|v| !v.contains('<')) {
        assert!(
            guide.contains(variable.as_str()),
            "{DEPLOYMENT} lacks {variable}"
        );
    }
    assert!(guide.contains("secrets_file"));
}

#[test]
fn the_docs_name_only_real_variables_routes_and_metrics() {
    let paths = setting_paths();
    let routes = source("src/serve/app.rs");
    let console_routes = source("console/src/routes/mod.rs");
    let metrics = source("src/serve/metrics.rs");
    for doc in [DEPLOYMENT, OPERATIONS] {
        let text = read(doc);
        for variable in variables_in(&text) {
            assert!(
                variable_is_a_setting(&variable, &paths),
                "{doc}: {variable} is no setting"
            );
        }
        for prefix in ["/twilio/", "/vonage/", "/jambonz/", "/api/v1/", "/console/"] {
            for (at, _) in text.match_indices(prefix) {
                // A file path (`deploy/jambonz/README.md`), not a route.
                if text[..at].ends_with(|c: char| c.is_ascii_alphanumeric()) {
                    continue;
                }
                let route: String = text[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "/_-.{}".contains(*c))
                    .collect();
                let route = route.trim_end_matches(['.', '/']);
                if route.len() <= prefix.len() {
                    continue;
                }
                let known = match route.strip_prefix("/console") {
                    Some(page) => console_routes.contains(&format!("at(\"{page}\")")),
                    None => routes.contains(&format!("\"{route}\"")),
                };
                assert!(known, "{doc}: no route {route}");
            }
        }
        for (at, _) in text.match_indices("guichet_") {
            if at > 0 && text[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-') {
                continue;
            }
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            let base = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(&name);
            if ["guichet_store", "guichet_console"].contains(&base) {
                continue; // crate names, not metrics
            }
            assert!(
                metrics.contains(&format!("\"{base}\"")),
                "{doc}: no metric {name}"
            );
        }
    }
    let guide = read(DEPLOYMENT);
    for path in [
        "/twilio/voice",
        "/twilio/sms",
        "/twilio/status",
        "/vonage/answer",
        "/vonage/event",
        "/vonage/sms",
        "/vonage/status",
        "/jambonz/call",
        "/jambonz/gather",
        "/jambonz/dial",
        "/jambonz/status",
        "/jambonz/sms",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(routes.contains(&format!("\"{path}\"")), "app.rs has {path}");
        assert!(guide.contains(path), "{DEPLOYMENT} should give {path}");
    }
    // Every metric the service defines is described.
    for (at, _) in metrics.match_indices("\"guichet_") {
        let name: String = metrics[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        assert!(
            guide.contains(&format!("`{name}")),
            "{DEPLOYMENT} lacks the metric {name}"
        );
    }
}

/// `guichet <args> --help`.
fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(args)
        .arg("--help")
        .output()
        .expect("running guichet");
    assert!(
        output.status.success(),
        "guichet {} --help: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The subcommands a help text lists.
fn subcommands(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .filter(|name| name != "help")
        .collect()
}

/// What follows each `guichet` word of a Markdown file's code blocks (continuations joined):
/// the candidate command lines.
fn guichet_commands(text: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut in_code = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        let line = line.split(" #").next().unwrap_or(line);
        if let Some(part) = line.trim_end().strip_suffix('\\') {
            pending.push_str(part);
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        let words: Vec<String> = full.split_whitespace().map(str::to_string).collect();
        for (at, word) in words.iter().enumerate() {
            if word == "guichet" || word.ends_with("/guichet") {
                commands.push(words[at + 1..].to_vec());
            }
        }
    }
    commands
}

#[test]
fn the_commands_in_the_docs_exist() {
    let top = subcommands(&help(&[]));
    assert!(top.contains("serve") && top.contains("privacy"), "{top:?}");
    let mut checked = 0;
    for doc in [DEPLOYMENT, OPERATIONS] {
        for words in guichet_commands(&read(doc)) {
            let Some(first) = words.first() else { continue };
            if !top.contains(first) {
                continue; // `guichet` as a user, a folder or a service name
            }
            let mut path: Vec<&str> = Vec::new();
            let mut text = help(&[]);
            for word in &words {
                if subcommands(&text).contains(word) {
                    path.push(word);
                    text = help(&path);
                } else {
                    break;
                }
            }
            for word in &words {
                if let Some(flag) = word.strip_prefix("--") {
                    let flag = flag.split('=').next().unwrap();
                    assert!(
                        text.contains(&format!("--{flag}")),
                        "{doc}: `guichet {}` has no --{flag}",
                        path.join(" ")
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} guichet commands found in the docs"
    );
}
