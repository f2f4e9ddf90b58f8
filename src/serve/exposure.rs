//! Which doors of the service are open to the outside, decided once at start: a provider's
//! webhooks are routed only when its secret is configured (else 404), and a service bound to a
//! non-loopback address with no provider secret and no API key refuses to start.

use std::net::SocketAddr;

use anyhow::bail;

use super::config::{Provider, Settings};

/// The settings that lock a door: one of them (or an API key) is needed to serve beyond
/// loopback.
pub const SECRET_SETTINGS: &[&str] = &[
    "GUICHET__TWILIO__AUTH_TOKEN",
    "GUICHET__VONAGE__SIGNATURE_SECRET",
    "GUICHET__JAMBONZ__BASIC_PASSWORD",
    "GUICHET__JAMBONZ__WEBHOOK_SECRET",
];

/// The providers whose webhooks are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Providers {
    /// A Twilio auth token is configured (globally or for a commune).
    pub twilio: bool,
    /// A Vonage signature secret is configured.
    pub vonage: bool,
    /// jambonz Basic credentials or a webhook secret are configured.
    pub jambonz: bool,
}

impl Providers {
    pub fn of(settings: &Settings) -> Providers {
        Providers {
            twilio: settings.provider_configured(Provider::Twilio),
            vonage: settings.provider_configured(Provider::Vonage),
            jambonz: settings.provider_configured(Provider::Jambonz),
        }
    }

    pub fn any(self) -> bool {
        self.twilio || self.vonage || self.jambonz
    }

    /// For the start-up log: `twilio,vonage,jambonz`, or `none`.
    pub fn names(self) -> String {
        let names: Vec<&str> = [
            ("twilio", self.twilio),
            ("vonage", self.vonage),
            ("jambonz", self.jambonz),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(",")
        }
    }
}

/// Whether `listen` only accepts connections from this machine.
pub fn is_loopback(listen: SocketAddr) -> bool {
    listen.ip().is_loopback()
}

/// Refuses to serve beyond loopback with every door unlocked (`api_keys`: the number of live
/// API keys in the store), or with signature checks turned off.
pub fn check_bind(settings: &Settings, api_keys: i64) -> anyhow::Result<()> {
    if is_loopback(settings.listen) {
        return Ok(());
    }
    let providers = Providers::of(settings);
    if !providers.any() && api_keys == 0 {
        bail!(
            "refus de démarrer : {listen} n'est pas une adresse locale et aucun accès n'est protégé. \
             Définissez le secret d'un fournisseur ({settings}) ou créez une clé d'API \
             (guichet apikey create --commune … --name …), ou écoutez sur 127.0.0.1 — \
             refusing to listen on {listen} with no provider secret and no API key: set one of \
             {settings}, create an API key, or listen on loopback",
            listen = settings.listen,
            settings = SECRET_SETTINGS.join(", "),
        );
    }
    if (providers.twilio && !settings.twilio.verify_signatures)
        || (providers.vonage && !settings.vonage.verify_signatures)
    {
        bail!(
            "refus de démarrer : la vérification des signatures est désactivée \
             (verify_signatures = false), ce qui n'est permis que sur 127.0.0.1 — \
             signature checks are off, which is only allowed on loopback (listen = {})",
            settings.listen
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::config::Secret;

    #[test]
    fn a_public_bind_needs_a_locked_door() {
        let mut settings = Settings::demo();
        assert!(check_bind(&settings, 0).is_ok(), "loopback: the demo");
        settings.listen = "0.0.0.0:8080".parse().unwrap();
        let error = check_bind(&settings, 0).unwrap_err().to_string();
        assert!(error.contains("refus de démarrer"), "{error}");
        assert!(error.contains("GUICHET__TWILIO__AUTH_TOKEN"), "{error}");
        assert!(
            error.contains("GUICHET__JAMBONZ__WEBHOOK_SECRET"),
            "{error}"
        );
        assert!(check_bind(&settings, 1).is_ok(), "an API key locks the API");
        settings.vonage.signature_secret = Some(Secret::new("s"));
        assert!(check_bind(&settings, 0).is_ok());
        settings.vonage.verify_signatures = false;
        assert!(check_bind(&settings, 0).is_err(), "unchecked signatures");
    }

    #[test]
    fn providers_follow_their_secrets() {
        let mut settings = Settings::demo();
        assert_eq!(Providers::of(&settings).names(), "none");
        settings.communes.get_mut("demo").unwrap().twilio.auth_token = Some(Secret::new("t"));
        assert_eq!(Providers::of(&settings).names(), "twilio");
        settings.vonage.signature_secret = Some(Secret::new("s"));
        assert_eq!(Providers::of(&settings).names(), "twilio,vonage");
        settings.jambonz.basic_password = Some(Secret::new("p"));
        assert_eq!(
            Providers::of(&settings).names(),
            "twilio,vonage",
            "a Basic password without its user locks nothing"
        );
        settings.jambonz.basic_user = "guichet".into();
        assert_eq!(Providers::of(&settings).names(), "twilio,vonage,jambonz");
    }

    #[test]
    fn a_jambonz_webhook_secret_locks_a_door() {
        let mut settings = Settings::demo();
        settings.listen = "0.0.0.0:8080".parse().unwrap();
        assert!(check_bind(&settings, 0).is_err());
        settings.jambonz.webhook_secret = Some(Secret::new("whsec"));
        assert!(check_bind(&settings, 0).is_ok());
    }
}
