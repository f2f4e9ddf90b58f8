//! A Twilio webhook body: `application/x-www-form-urlencoded` parameters, in the order received.

use crate::WebhookError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    params: Vec<(String, String)>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Result<Form, WebhookError> {
        let params = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|error| WebhookError::MalformedForm(error.to_string()))?;
        Ok(Form { params })
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Form {
        Form {
            params: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The first value of a parameter, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A parameter that must be present and not empty.
    pub fn require(&self, name: &'static str) -> Result<&str, WebhookError> {
        match self.get(name) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(WebhookError::MissingField(name)),
        }
    }

    /// A parameter that may be absent; an empty value counts as absent.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }

    /// The body, form-encoded again (for clients and tests).
    pub fn encode(&self) -> String {
        serde_urlencoded::to_string(&self.params).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reads_fields() {
        let form =
            Form::parse(b"CallSid=CA1&From=%2B33612345678&SpeechResult=bonjour+madame&Empty=")
                .unwrap();
        assert_eq!(form.get("From"), Some("+33612345678"));
        assert_eq!(form.get("SpeechResult"), Some("bonjour madame"));
        assert_eq!(form.optional("Empty"), None);
        assert_eq!(
            form.require("Missing"),
            Err(WebhookError::MissingField("Missing"))
        );
    }

    #[test]
    fn odd_bodies_are_read_leniently_not_panicking() {
        let form = Form::parse(b"a=%ZZ%&b").unwrap();
        assert_eq!(form.get("a"), Some("%ZZ%"));
        assert_eq!(form.get("b"), Some(""));
        let binary = Form::parse(&[b'k', b'=', 0xff, 0xfe]).unwrap();
        assert_eq!(binary.get("k"), Some("\u{fffd}\u{fffd}"));
    }

    #[test]
    fn encode_round_trips() {
        let form = Form::from_pairs([("To", "+33612345678"), ("Body", "Héllo & co")]);
        assert_eq!(Form::parse(form.encode().as_bytes()).unwrap(), form);
    }
}
