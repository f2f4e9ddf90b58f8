//! The dialogue engine: from what the caller says to what a good standardiste would do.
//!
//! Pure, synchronous and deterministic: [`Engine::start`] and [`Engine::turn`] take the
//! caller's message ([`Inbound`]), the state of the conversation ([`Session`]) and a
//! [`Context`] (the instant, the caller's [`LineType`], the commune's knowledge), and return
//! the new session and a [`Reply`] (what to say, the actions, the [`Decision`] trace). Nothing
//! is read from a clock, a file or the network.
//!
//! # Modules
//! - [`engine`]: the dispatch of a turn, `best_match` (which fiche the hits point to);
//!   [`policy`]: the thresholds; [`session`]: the state.
//! - [`intents`]: French lexicons (yes/no, goodbye, human request, no Internet); beside it,
//!   `anger` (irritation, insults), `line` (words about the call's line: "allô ?", and a
//!   call put on hold: "attendez"), `lost` (a caller who says they are lost: "je suis un peu
//!   perdue") and `small_talk` (questions to the assistant about itself); `wish` (the caller
//!   asks for a fiche's own service: "je veux porter plainte"); `mairie` (where the
//!   mairie is and when it is open: the commune's own fiche, else `commune.toml`; the same
//!   of its other sites, and of a partner's office within its deflection);
//!   [`emergency`]: a person in danger now, answered with the emergency numbers or the 3114
//!   first.
//! - `answer` (answer, deflect, report), `clarify` (clarify, confirm), `handoff` (transfer or
//!   callback), `sms` (SMS to mobiles only), [`tickets`] (summaries, references),
//!   [`rollout`], [`speech`] (speech-friendly text). Phone numbers, the caller's [`LineType`]
//!   included, are read by `guichet_phone`.
//!
//! # The session state machine
//!
//! `pending` is the question the robot asked last; each caller message is read against it.
//! A message that is neither yes nor no where one is expected is handled as a new REQUEST.
//!
//! ```text
//!  start ──(outside rollout)──► transfer (open) / callback ticket + hang up (closed)
//!    │
//!    ▼ greeting (voice) / nothing (SMS: the first message is a request)
//! ┌───────────────────────── REQUEST (pending = Nothing) ─────────────────────────────────┐
//! │ an emergency in progress ("il ne respire plus"), words of suicide, whatever is         │
//! │ pending ─► EMERGENCY (the 15/17/18/112, or the 3114)                                   │
//! │ DTMF 0, "un agent", "pas Internet", anger without topic, handoff:always ─► HANDOFF      │
//! │ "au revoir", "non merci" ───────────────────────────────────────────────► GOODBYE      │
//! │ "attendez…", "vous êtes un robot ?", only "allô ?" ─► "je vous attends / je suis…"     │
//! │ "où est la mairie ?", "vous ouvrez quand ?" and no other topic sure ─► the commune's   │
//! │ fiche, else its address / its hours from commune.toml (a site named: the site's own)   │
//! │ search: confidence ≥ answer and margin ≥ min and ASR sure ─► FICHE                     │
//! │         confidence ≥ confirm ─► ask "Vous appelez bien au sujet de … ?"  [Confirm]      │
//! │         else ─► fallback "reformulez" (misunderstandings += 1; at 2 ─► HANDOFF)         │
//! │ silence ─► reprompt (silences += 1; at 2 ─► transfer if open, else goodbye + hang up)   │
//! └────────────────────────────────────────────────────────────────────────────────────────┘
//!  EMERGENCY: the national `urgences` fiche (15, 17, 18, 112), deflected as FICHE below
//!  FICHE: clarify? ─► ask the fiche's question                               [Clarify]
//!         other competence ─► deflect: who, how, SMS link, then
//!                partner takes reports ? "je transmets votre signalement ?" [ReportOffer]
//!                                      : "parler à un agent ?"              [HumanOffer]
//!         commune ─► answer (+ SMS link to a mobile)                        [AnythingElse]
//!                    landline: where to find it + "parler à un agent ?"     [HumanOffer]
//!  [Clarify]     option ("il est expiré") ─► FICHE(goto); other request ─► REQUEST (switch)
//!  [Confirm]     oui ─► FICHE; non ─► fallback (misunderstanding; a guess never resets the count)
//!  [ReportOffer] oui ─► place said? report ticket + reference (SMS) ─► [AnythingElse]
//!                       : "à quelle adresse ?" [ReportPlace] ─► report ticket…; non ─► [AnythingElse]
//!  [HumanOffer]  oui ─► HANDOFF; non ─► [AnythingElse]
//!  [AnythingElse] oui ─► "Je vous écoute." (REQUEST); non ─► GOODBYE
//!  HANDOFF: voice and mairie open ─► transfer + ticket (ended)
//!           else ─► callback ticket ("elle ouvrira lundi à 13 heures 30") ─► [AnythingElse]
//!  GOODBYE: robot resolved something ? "Ma réponse vous a-t-elle été utile ?" [Satisfaction]
//!                                     : "Au revoir" + hang up (ended)
//!  [Satisfaction] oui/non ─► recorded in the Decision, thanks, hang up (ended)
//! ```

mod anger;
mod answer;
mod apology;
mod best_match;
mod clarify;
pub mod emergency;
pub mod engine;
mod handoff;
pub mod intents;
mod line;
mod lost;
mod mairie;
mod place;
pub mod policy;
mod report;
pub mod rollout;
pub mod session;
mod small_talk;
mod sms;
pub mod speech;
pub mod tickets;
mod turn;
pub mod types;
mod whisper;
mod wish;

pub use answer::{HUMAN_OFFER, OUTSIDE_PUBLIC_SERVICE};
pub use apology::technical_problem;
pub use clarify::option_for;
pub use engine::{ANGER_ACK, Engine};
pub use policy::{Policy, Verdict};
pub use session::{Exchange, HISTORY_LEN, Pending, Session};
pub use turn::ANYTHING_ELSE;
pub use types::*;
pub use whisper::whisper_to_standard;
