//! The telephony providers in the configuration: which one a commune is reached through
//! (`[communes.X] provider`), whether each can be served, and `[jambonz]`.

use anyhow::bail;
use serde::Deserialize;

use super::{CommuneSettings, Secret, Settings, SmsProvider};

/// The telephony provider a commune is reached through (`[communes.X] provider`): its calls
/// and SMS come from this provider's webhooks only, and its SMS go out through this provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Twilio,
    Vonage,
    Jambonz,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Twilio => "twilio",
            Provider::Vonage => "vonage",
            Provider::Jambonz => "jambonz",
        }
    }

    /// The SMS provider of a commune on this provider.
    pub fn sms(self) -> SmsProvider {
        match self {
            Provider::Twilio => SmsProvider::Twilio,
            Provider::Vonage => SmsProvider::Vonage,
            Provider::Jambonz => SmsProvider::Jambonz,
        }
    }
}

/// What a commune may set for its jambonz calls.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommuneJambonz {
    /// The commune's voice (vendor-specific, e.g. `fr-FR-DeniseNeural`); default `[jambonz] voice`.
    pub voice: Option<String>,
}

/// `[jambonz]`: the commune's own SIP trunk through a jambonz (self-hosted or hosted). Its
/// webhooks are served when Basic credentials or a webhook secret are set (both are checked
/// when both are set); SMS go out through its REST API with `api_key`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JambonzSettings {
    /// The user of the HTTP Basic credentials set on the application's webhooks (self-hosted).
    pub basic_user: String,
    /// Their password (`GUICHET__JAMBONZ__BASIC_PASSWORD`).
    pub basic_password: Option<Secret>,
    /// The account's webhook secret: requests carry a `Jambonz-Signature` (hosted platform;
    /// `GUICHET__JAMBONZ__WEBHOOK_SECRET`).
    pub webhook_secret: Option<Secret>,
    /// How old (or early) a signature's timestamp may be, in seconds.
    pub max_signature_age_seconds: u64,
    /// The REST API: `https://api.jambonz.cloud`, or the API server of a self-hosted jambonz.
    pub api_base_url: String,
    pub account_sid: String,
    /// An account-level API key (`GUICHET__JAMBONZ__API_KEY`), for outbound SMS.
    pub api_key: Option<Secret>,
    /// The SMPP carrier by its jambonz name, when the account has several.
    pub sms_carrier: Option<String>,
    /// Text-to-speech vendor of the `say` verbs (`default`: the application's).
    pub synthesizer_vendor: String,
    /// The voice, unless the commune sets its own.
    pub voice: Option<String>,
    /// Speech recogniser vendor of the `gather` verbs (`default`: the application's).
    pub recognizer_vendor: String,
    /// Weight of the speech hints (vendor-specific scale).
    pub hints_boost: Option<u32>,
    /// Number presented to the standard on a transfer; none: the caller's own number.
    pub transfer_caller_id: Option<String>,
    /// Seconds of silence before a `gather` reports a timeout.
    pub listen_timeout_seconds: u32,
    /// Seconds the standard's phone rings before a transfer counts as unanswered.
    pub ring_timeout_seconds: u32,
}

impl JambonzSettings {
    /// The webhook check, or `None` when nothing is configured (the routes then answer 404).
    pub fn verifier(&self) -> Option<guichet_connectors::jambonz::WebhookVerifier> {
        let basic = self.basic_password.as_ref().map(|password| {
            guichet_connectors::jambonz::BasicCredentials {
                username: self.basic_user.clone(),
                password: password.expose().to_string(),
            }
        });
        guichet_connectors::jambonz::WebhookVerifier::new(
            basic,
            self.webhook_secret.as_ref().map(Secret::expose),
            self.max_signature_age_seconds,
        )
        .ok()
    }
}

impl Default for JambonzSettings {
    fn default() -> Self {
        JambonzSettings {
            basic_user: String::new(),
            basic_password: None,
            webhook_secret: None,
            max_signature_age_seconds: guichet_connectors::jambonz::auth::DEFAULT_TOLERANCE_SECONDS,
            api_base_url: guichet_connectors::jambonz::client::DEFAULT_BASE_URL.into(),
            account_sid: String::new(),
            api_key: None,
            sms_carrier: None,
            synthesizer_vendor: "default".into(),
            voice: None,
            recognizer_vendor: "default".into(),
            hints_boost: Some(10),
            transfer_caller_id: None,
            listen_timeout_seconds: 8,
            ring_timeout_seconds: 30,
        }
    }
}

impl Settings {
    /// Every provider a commune or `[sms]` names has what it needs.
    pub(super) fn validate_providers(&self) -> anyhow::Result<()> {
        if self.jambonz.basic_password.is_some() && self.jambonz.basic_user.trim().is_empty() {
            bail!("GUICHET__JAMBONZ__BASIC_PASSWORD needs [jambonz] basic_user");
        }
        self.check_sms_provider("[sms] provider", self.sms.provider)?;
        for (id, commune) in &self.communes {
            if let Some(provider) = commune.provider
                && !self.provider_configured(provider)
            {
                bail!(
                    "[communes.{id}] provider = \"{}\" but that provider's webhook secret is not set",
                    provider.name()
                );
            }
        }
        Ok(())
    }

    /// Whether a provider's webhooks can be served (its secret is set).
    pub fn provider_configured(&self, provider: Provider) -> bool {
        match provider {
            Provider::Twilio => {
                self.twilio.auth_token.is_some()
                    || self
                        .communes
                        .values()
                        .any(|commune| commune.twilio.auth_token.is_some())
            }
            Provider::Vonage => self.vonage.signature_secret.is_some(),
            Provider::Jambonz => self.jambonz.verifier().is_some(),
        }
    }

    /// The provider a commune's SMS go out through: its own `provider` when that provider's
    /// SMS sending is configured, else `[sms] provider` (a commune on jambonz without an SMPP
    /// carrier keeps Twilio or Vonage for its SMS).
    pub fn sms_provider_of(&self, commune: &CommuneSettings) -> SmsProvider {
        match commune.provider.map(Provider::sms) {
            Some(own) if self.sms_configured(own) => own,
            _ => self.sms.provider,
        }
    }

    fn sms_configured(&self, provider: SmsProvider) -> bool {
        match provider {
            SmsProvider::None => false,
            SmsProvider::Twilio => {
                !self.twilio.account_sid.is_empty() && self.twilio.auth_token.is_some()
            }
            SmsProvider::Vonage => {
                !self.vonage.api_key.is_empty() && self.vonage.api_secret.is_some()
            }
            SmsProvider::Jambonz => {
                !self.jambonz.account_sid.is_empty() && self.jambonz.api_key.is_some()
            }
        }
    }

    fn check_sms_provider(&self, origin: &str, provider: SmsProvider) -> anyhow::Result<()> {
        match provider {
            SmsProvider::Twilio
                if self.twilio.account_sid.is_empty() || self.twilio.auth_token.is_none() =>
            {
                bail!(
                    "{origin} = \"twilio\" needs [twilio] account_sid and GUICHET__TWILIO__AUTH_TOKEN"
                )
            }
            SmsProvider::Vonage
                if self.vonage.api_key.is_empty() || self.vonage.api_secret.is_none() =>
            {
                bail!(
                    "{origin} = \"vonage\" needs [vonage] api_key and GUICHET__VONAGE__API_SECRET"
                )
            }
            SmsProvider::Jambonz
                if self.jambonz.account_sid.is_empty() || self.jambonz.api_key.is_none() =>
            {
                bail!(
                    "{origin} = \"jambonz\" needs [jambonz] account_sid and GUICHET__JAMBONZ__API_KEY"
                )
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commune_is_tied_to_a_served_provider_and_its_sms_follow_it_when_they_can() {
        let mut settings = Settings::demo();
        settings.sms.provider = SmsProvider::None;
        settings.communes.get_mut("demo").unwrap().provider = Some(Provider::Jambonz);
        let error = settings.validate().unwrap_err().to_string();
        assert!(
            error.contains("[communes.demo] provider = \"jambonz\""),
            "{error}"
        );

        settings.jambonz.webhook_secret = Some(Secret::new("whsec"));
        settings.validate().unwrap();
        let demo = settings.communes["demo"].clone();
        assert_eq!(
            settings.sms_provider_of(&demo),
            SmsProvider::None,
            "no SMPP account: [sms] provider"
        );
        settings.jambonz.account_sid = "acc".into();
        settings.jambonz.api_key = Some(Secret::new("key"));
        assert_eq!(settings.sms_provider_of(&demo), SmsProvider::Jambonz);

        settings.jambonz.basic_password = Some(Secret::new("pw"));
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("basic_user"), "{error}");
        settings.jambonz.api_key = Some(Secret::new(" "));
        settings.jambonz.basic_user = "jambonz".into();
        let error = settings.validate().unwrap_err().to_string();
        assert!(
            error.contains("GUICHET__JAMBONZ__API_KEY is set but empty"),
            "{error}"
        );
    }
}
