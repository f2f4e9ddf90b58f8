//! Checks shared by the webhook targets: what the engine receives must be usable.

use guichet_agent::{Inbound, LineType};
use guichet_fuzz::ensure;
use guichet_phone::PhoneNumber;

/// The engine's contract on an `Inbound` from a connector: a confidence in [0, 1], no empty
/// DTMF, and a caller number that classifies the same once normalized.
pub fn check_inbound(inbound: &Inbound) -> Result<(), String> {
    if let Some(confidence) = inbound.asr_confidence {
        ensure((0.0..=1.0).contains(&confidence), || {
            format!("asr_confidence {confidence} outside [0, 1] in {inbound:?}")
        })?;
    }
    ensure(inbound.dtmf.as_deref() != Some(""), || {
        format!("empty DTMF given as keys in {inbound:?}")
    })?;
    let line = LineType::of(&inbound.from);
    if let Some(normalized) = PhoneNumber::parse(&inbound.from).map(String::from) {
        ensure(normalized.starts_with('+'), || {
            format!(
                "PhoneNumber::parse({:?}) = {normalized:?} has no +",
                inbound.from
            )
        })?;
        let again = LineType::of(&normalized);
        ensure(again == line, || {
            format!(
                "line type of {:?} is {line:?} but of its E.164 form {normalized:?} is {again:?}",
                inbound.from
            )
        })?;
    }
    Ok(())
}
