//! SMS: sent only to mobiles on the voice channel (on the SMS/chat channel the reply itself is
//! the text), and what they say.

use std::borrow::Cow;

use guichet_knowledge::Fiche;
use guichet_knowledge::sms::in_gsm7;
use guichet_phone::is_withheld;

use crate::turn::TurnInProgress;
use crate::types::{Action, Channel, LineType};

impl TurnInProgress<'_> {
    /// A link can be texted: a voice call from a mobile whose number is not withheld.
    pub fn can_text(&self) -> bool {
        self.is_voice() && self.ctx.line == LineType::Mobile && !is_withheld(&self.session.from)
    }

    /// The text channel (SMS or chat): links go in the reply itself.
    pub fn is_text_channel(&self) -> bool {
        matches!(self.session.channel, Channel::Sms | Channel::Chat)
    }

    /// Texts the caller, in the GSM-7 alphabet (see [`in_gsm7`]): a name with « Î » or « ê »
    /// from `commune.toml` does not make the commune pay a UCS-2 SMS.
    pub fn send_sms(&mut self, text: String) {
        let text = match in_gsm7(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(folded) => folded,
        };
        self.actions.push(Action::SendSms {
            to: self.session.from.clone(),
            text,
        });
    }

    /// The SMS a fiche sends: its own text, else its title and link.
    pub fn fiche_sms(&self, fiche: &Fiche) -> Option<String> {
        if let Some(text) = fiche.sms_text() {
            return Some(text);
        }
        let link = fiche.link.as_deref()?;
        Some(format!(
            "Mairie de {} - {} : {link}",
            self.kb().commune().name,
            fiche.title
        ))
    }

    /// The SMS with a report's reference; `to_partner`: "à la Communauté d'agglomération…".
    pub fn report_sms(
        &self,
        fiche: &Fiche,
        to_partner: &str,
        reference: &str,
        delivered: bool,
    ) -> String {
        let state = if delivered {
            "est transmis"
        } else {
            "est enregistré et sera transmis"
        };
        format!(
            "Mairie de {} : votre signalement ({}) {state} {to_partner}. Référence : {reference}.",
            self.kb().commune().name,
            fiche.title
        )
    }

    /// On the SMS/chat channel, the first reply says who is writing.
    pub fn text_channel_intro(&mut self) {
        if self.is_text_channel() && self.session.turn == 1 {
            let intro = format!(
                "Mairie de {}, assistant automatique :",
                self.kb().commune().name
            );
            self.say.insert(0, intro);
        }
    }
}
