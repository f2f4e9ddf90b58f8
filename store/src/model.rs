//! The records the store reads and writes. Backend-neutral: no SQL here.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::StoreError;

/// Declares a closed set of names stored as text, with `as_str`, `Display` and `FromStr`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database (and used in JSON).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::Invalid(format!(
                        concat!("unknown ", stringify!($name), " {:?}"),
                        other
                    ))),
                }
            }
        }
    };
}

text_enum! {
    /// How the citizen reached the desk.
    Channel {
        /// A phone call (speech / DTMF).
        Voice => "voice",
        /// Text messages.
        Sms => "sms",
        /// The generic JSON API (web chat…).
        Chat => "chat",
    }
}

text_enum! {
    /// What a ticket asks of the humans.
    TicketKind {
        /// The call is being transferred live: who is coming and why.
        Transfer => "transfer",
        /// Closed hours: call this number back.
        Callback => "callback",
        /// A request forwarded to a partner body (agglomération, …).
        Report => "report",
    }
}

text_enum! {
    /// Life cycle of a ticket: nouveau → pris en charge → terminé / injoignable.
    TicketState {
        /// Waiting for a standardiste.
        Nouveau => "nouveau",
        /// Claimed by a standardiste (`claimed_by`).
        PrisEnCharge => "pris_en_charge",
        /// Done.
        Termine => "termine",
        /// Callback tried the maximum number of times without an answer.
        Injoignable => "injoignable",
    }
}

text_enum! {
    /// How the dial of a live transfer to the standard ended (reported by the provider).
    DialOutcome {
        /// The standard picked up: the caller was passed on.
        Answered => "answered",
        /// Busy, no answer, failed, or the caller hung up while it rang: nobody took the call.
        Unanswered => "unanswered",
    }
}

impl DialOutcome {
    /// The session's `end_reason` once the dial's outcome is known (it was `transfer`).
    pub fn end_reason(self) -> &'static str {
        match self {
            DialOutcome::Answered => "transfer_answered",
            DialOutcome::Unanswered => "transfer_unanswered",
        }
    }
}

/// What [`crate::Store::record_dial_outcome`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialRecorded {
    /// The transfer's ticket.
    pub ticket_id: i64,
    /// The outcome the ticket holds: this report's, or a first report's when this one repeats.
    pub outcome: DialOutcome,
    /// False when the ticket already had an outcome (a retried webhook): nothing changed.
    pub changed: bool,
    /// Whether the ticket holds a number to call back.
    pub caller_known: bool,
}

impl TicketState {
    /// Whether the ticket still waits for someone (nouveau or pris en charge).
    pub fn is_open(self) -> bool {
        matches!(self, TicketState::Nouveau | TicketState::PrisEnCharge)
    }
}

text_enum! {
    /// Life cycle of an outbound SMS.
    OutboxState {
        /// Waiting to be sent at `next_attempt_at`.
        Pending => "pending",
        /// Leased by a worker until `next_attempt_at`; returns to the queue when the lease ends.
        Sending => "sending",
        /// Accepted by the provider (`provider_message_id`).
        Sent => "sent",
        /// The provider reported delivery to the handset.
        Delivered => "delivered",
        /// The provider reported that delivery failed (final).
        Failed => "failed",
        /// Given up: a permanent error or too many attempts (final).
        Dead => "dead",
        /// Never sent: the commune's SMS guard refused it (final; see `refusal`).
        Refused => "refused",
    }
}

text_enum! {
    /// Why the SMS guard refused an SMS (the outbox row keeps it).
    SmsRefusal {
        /// Not a French mobile number (metropolitan or overseas).
        Destination => "destination",
        /// The recipient already got the commune's daily number of SMS.
        RecipientCap => "plafond_destinataire",
        /// The commune's daily SMS budget is spent.
        Budget => "budget",
    }
}

impl SmsRefusal {
    /// What staff read in the console.
    pub fn message(self) -> &'static str {
        match self {
            SmsRefusal::Destination => {
                "refusé : le destinataire n'est pas un mobile français (métropole ou outre-mer)"
            }
            SmsRefusal::RecipientCap => {
                "refusé : ce destinataire a déjà reçu le nombre maximal de SMS du jour"
            }
            SmsRefusal::Budget => "refusé : le budget quotidien de SMS de la commune est épuisé",
        }
    }
}

/// The daily limits of the SMS guard, checked by the store in the same write as the insert (two
/// concurrent SMS never both pass the last place).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsLimits {
    /// Start of the commune's day (local midnight): SMS queued since count.
    pub day_start: DateTime<Utc>,
    /// SMS per recipient per day.
    pub per_recipient: i64,
    /// SMS per commune per day.
    pub daily_budget: i64,
}

text_enum! {
    /// What an API key may do.
    ApiKeyKind {
        /// A server of the commune: may give the caller's number and the channel.
        Server => "server",
        /// A chat widget, its key visible to anyone: chat only, no number, never an SMS.
        Public => "public",
    }
}

/// An API key to store (only the hash of its token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub tenant: String,
    pub name: String,
    pub kind: ApiKeyKind,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A stored API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: i64,
    pub tenant: String,
    pub name: String,
    pub kind: ApiKeyKind,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl OutboxState {
    /// Whether the message still needs the worker (pending or sending).
    pub fn is_queued(self) -> bool {
        matches!(self, OutboxState::Pending | OutboxState::Sending)
    }
}

text_enum! {
    /// What a staff account may do in the console.
    Role {
        /// Takes tickets from the queue.
        Standardiste => "standardiste",
        /// Edits the knowledge folder.
        Editeur => "editeur",
        /// Reads statistics and evaluations.
        Operateur => "operateur",
        /// Manages accounts.
        Admin => "admin",
    }
}

/// A conversation's persisted state, so that any node can continue it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The commune (tenant id).
    pub tenant: String,
    /// Conversation id (provider call id, SMS conversation id, chat id); unique per tenant.
    pub conversation_id: String,
    /// Channel of the conversation (kept from the first save).
    pub channel: Channel,
    /// The caller's number, pseudonymised with [`crate::pseudonymise`]; `None` if withheld.
    /// Kept from the first save.
    pub caller: Option<String>,
    /// The engine's session, serialised by the caller.
    pub state: Value,
    /// When the conversation started (kept from the first save).
    pub started_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// After this instant the session is expired (inactivity timeout).
    pub expires_at: DateTime<Utc>,
    /// When the conversation ended, if it did.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it ended: free text chosen by the caller, e.g. `goodbye`, `hangup`, `transfer`,
    /// `expired` (set by [`crate::Store::cleanup_expired_sessions`]).
    pub end_reason: Option<String>,
}

impl SessionRecord {
    /// Whether the conversation can go on at `now`: not closed and not expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.closed_at.is_none() && self.expires_at > now
    }
}

/// One exchange of a conversation (the transcript line with its decision trace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Sequence number within the conversation, from 1 (0 may be the greeting).
    /// `(tenant, conversation_id, seq)` is unique: saving it twice is a no-op.
    pub seq: i64,
    /// When the turn happened.
    pub at: DateTime<Utc>,
    /// What the caller said or wrote (empty for the greeting or a silence).
    pub caller_text: String,
    /// What the robot answered (all utterances joined).
    pub reply_text: String,
    /// The engine's decision trace, serialised by the caller.
    pub decision: Value,
    /// The decision's action (`answer`, `clarify`, `transfer`, …).
    pub action: String,
    /// The fiche the decision is about, if any.
    pub fiche: Option<String>,
    /// Confidence of the decision, if any.
    pub confidence: Option<f64>,
    /// What the provider was answered, serialised by the caller, to answer a retried webhook
    /// identically; `None` for turns saved before it was kept.
    #[serde(default)]
    pub reply: Option<Value>,
    /// The provider's id of the message this turn answers (an SMS), unique in a conversation:
    /// a retried webhook with the same id is this turn again. `None` for turns whose sequence
    /// number is their identity (a call's turns, numbered in our callback URLs).
    #[serde(default)]
    pub message_id: Option<String>,
}

/// A stored turn with its conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRow {
    /// The commune.
    pub tenant: String,
    /// The conversation.
    pub conversation_id: String,
    /// The turn.
    #[serde(flatten)]
    pub turn: Turn,
}

/// A ticket to create (in a turn, or on its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// Unique key making creation idempotent, e.g. `"{conversation}:{seq}:ticket"`:
    /// a retried webhook never creates a second ticket.
    pub idempotency_key: String,
    /// The commune.
    pub tenant: String,
    /// Transfer, callback or report.
    pub kind: TicketKind,
    /// Channel the caller used.
    pub channel: Channel,
    /// The conversation it comes from, if any.
    pub conversation_id: Option<String>,
    /// The caller's number IN CLEAR (a human must call back); `None` if withheld.
    pub caller_number: Option<String>,
    /// Short topic (e.g. the fiche's title).
    pub topic: String,
    /// The fiche concerned, if any.
    pub fiche: Option<String>,
    /// Short French summary of what the caller said and what the robot already answered.
    pub summary: String,
    /// The conversation's transcript, as JSON chosen by the caller.
    pub transcript: Value,
    /// The partner body a report goes to (key of `commune.toml`'s `[partners.*]`).
    pub partner: Option<String>,
    /// A reference given to the citizen or by the partner.
    pub reference: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When a callback is due (the opening the robot promised, « dès l'ouverture »); `None`:
    /// due at once.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
}

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Ticket number.
    pub id: i64,
    /// Idempotency key it was created with.
    pub idempotency_key: String,
    /// The commune.
    pub tenant: String,
    /// Transfer, callback or report.
    pub kind: TicketKind,
    /// Current state.
    pub state: TicketState,
    /// Channel the caller used.
    pub channel: Channel,
    /// The conversation it comes from, if any.
    pub conversation_id: Option<String>,
    /// Caller number in clear; `None` if withheld or anonymised by retention.
    pub caller_number: Option<String>,
    /// Short topic.
    pub topic: String,
    /// Fiche concerned.
    pub fiche: Option<String>,
    /// French summary (emptied by retention).
    pub summary: String,
    /// Transcript JSON (`null` after retention).
    pub transcript: Value,
    /// Partner body of a report.
    pub partner: Option<String>,
    /// Reference.
    pub reference: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Staff id holding it.
    pub claimed_by: Option<i64>,
    /// When it was claimed.
    pub claimed_at: Option<DateTime<Utc>>,
    /// Staff id who closed it (terminé / injoignable).
    pub closed_by: Option<i64>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Unanswered callback attempts so far.
    pub attempts: i32,
    /// How the dial of a live transfer ended, once the provider said it (a callback ticket with
    /// an outcome `unanswered` was a transfer nobody took).
    pub dial_outcome: Option<DialOutcome>,
    /// When retention anonymised it.
    pub anonymised_at: Option<DateTime<Utc>>,
    /// When a callback is due: the opening promised at creation, then the earliest next try
    /// after an unanswered attempt; `None`: due since its creation.
    pub due_at: Option<DateTime<Utc>>,
    /// When the last unanswered callback attempt was recorded.
    pub last_attempt_at: Option<DateTime<Utc>>,
}

impl Ticket {
    /// When the ticket is due: its due time, else its creation.
    pub fn due(&self) -> DateTime<Utc> {
        self.due_at.unwrap_or(self.created_at)
    }
}

/// A note a standardiste added to a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketNote {
    /// Note id.
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Staff id of the author.
    pub author: Option<i64>,
    /// The text.
    pub body: String,
}

/// Which tickets to list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketFilter {
    /// Communes the viewer may see; an empty list matches nothing.
    pub communes: Vec<String>,
    /// States to include; empty means all states.
    pub states: Vec<TicketState>,
    /// Only tickets created at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// At most this many (newest first).
    pub limit: Option<i64>,
    /// Kinds to include; empty means all kinds.
    pub kinds: Vec<TicketKind>,
    /// Only tickets of exactly this topic.
    pub topic: Option<String>,
    /// Only tickets held (claimed) by this staff member.
    pub claimed_by: Option<i64>,
    /// Only tickets matching this search.
    pub search: Option<TicketSearch>,
    /// Newest closed first (the history) instead of newest created first.
    pub by_closing: bool,
    /// Skips this many (pagination, with `limit`).
    pub offset: Option<i64>,
}

/// What a search looks for: a ticket matches when ANY of the given parts does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketSearch {
    /// The ticket number.
    pub id: Option<i64>,
    /// The caller's number (any spelling; compared in E.164).
    pub number: Option<String>,
    /// Words found, case-insensitively, in the topic, the summary or the transcript.
    pub words: Option<String>,
}

impl TicketSearch {
    /// The words, lower-cased, as a `LIKE` pattern (`%`, `_` and backslash escaped with a backslash), if any.
    pub fn like_pattern(&self) -> Option<String> {
        let words = self.words.as_deref()?.trim();
        if words.is_empty() {
            return None;
        }
        let mut pattern = String::from("%");
        for c in words.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        Some(pattern)
    }

    /// The number in E.164, if one was given and is a phone number.
    pub fn number_e164(&self) -> Option<String> {
        self.number.as_deref().and_then(crate::e164)
    }
}

/// The rule of unanswered callback attempts ([`crate::Store::ticket_unreachable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRule {
    /// Attempts after which the ticket becomes `injoignable`.
    pub max_attempts: i32,
    /// Minimum time between two recorded attempts: an attempt within it of the last one is
    /// refused (a double click spends one attempt). Also the earliest next try.
    pub min_gap: chrono::Duration,
}

/// Who takes a ticket from its holder ([`crate::Store::hand_over_ticket`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HandOver {
    /// The staff member acting: the holder, or an administrator (`admin`).
    pub actor: i64,
    /// Whether the actor is an administrator (may hand over anyone's ticket).
    pub admin: bool,
    /// The new holder; `None`: back in the queue (`nouveau`, unclaimed).
    pub to: Option<i64>,
    /// When.
    pub at: DateTime<Utc>,
    /// The note written in the ticket's history, by the actor.
    pub note: String,
}

/// Result of a conditional ticket change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The change was made.
    Applied,
    /// The ticket exists (in the viewer's communes) but its state forbids the change
    /// (e.g. someone else claimed it first).
    Refused,
    /// No such ticket in the viewer's communes.
    NotFound,
}

/// An SMS to send (decided in a turn, or on its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewOutboxMessage {
    /// Unique key making the send idempotent, e.g. `"{provider call id}:{seq}:sms:0"`: a
    /// retried webhook never queues the same SMS twice.
    pub idempotency_key: String,
    /// The commune.
    pub tenant: String,
    /// The conversation it comes from, if any.
    pub conversation_id: Option<String>,
    /// Recipient number in E.164, in clear (needed to send it; removed by retention).
    pub to: String,
    /// Sender id (commune.toml's SMS sender name or number).
    pub sender: String,
    /// Text.
    pub body: String,
    /// Creation time; the message is due immediately.
    pub created_at: DateTime<Utc>,
    /// Refused before it reaches the store (its destination): kept as `refused`.
    #[serde(default)]
    pub refusal: Option<SmsRefusal>,
    /// The commune's daily limits, checked atomically by the store; `None`: none.
    #[serde(default)]
    pub limits: Option<SmsLimits>,
}

/// A stored outbound SMS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Row id.
    pub id: i64,
    /// Idempotency key.
    pub idempotency_key: String,
    /// The commune.
    pub tenant: String,
    /// The conversation it comes from.
    pub conversation_id: Option<String>,
    /// Recipient (empty once anonymised by retention).
    pub to: String,
    /// Sender id.
    pub sender: String,
    /// Text (empty once anonymised by retention).
    pub body: String,
    /// State.
    pub state: OutboxState,
    /// Send attempts started so far (incremented by each claim).
    pub attempts: i32,
    /// Pending: when to try next. Sending: when the worker's lease ends.
    pub next_attempt_at: DateTime<Utc>,
    /// Last error reported by a worker or the provider.
    pub last_error: Option<String>,
    /// The provider's id for the message, once sent.
    pub provider_message_id: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Why the SMS guard refused it (state `refused`).
    pub refusal: Option<SmsRefusal>,
}

/// Exponential backoff of outbox retries; the single place this rule lives.
///
/// After the `n`-th failed attempt (n ≥ 1) the message waits `base × 2^(n−1)`, capped at
/// `max_delay`; once `attempts` reaches `max_attempts` it is dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max_delay: Duration,
    /// Attempts after which a failing message becomes `dead`.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    /// 5 s, 10 s, 20 s, … capped at 10 min; dead after 8 attempts (about 21 minutes).
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// Delay before the next attempt after `attempts` attempts failed.
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
        self.base
            .checked_mul(1u32 << exponent)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// Whether a message that failed `attempts` times must be given up.
    pub fn exhausted(&self, attempts: i32) -> bool {
        attempts >= self.max_attempts
    }
}

/// What a worker reports after a failed send attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Timeout, 429, 5xx: retry with backoff (dead once the policy is exhausted).
    Transient,
    /// The provider refused the message for good: dead now.
    Permanent,
}

/// What became of a message after [`crate::Store::mark_outbox_failed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Back to `pending`, due at this instant.
    RetryAt(DateTime<Utc>),
    /// Dead-lettered.
    Dead,
    /// No such message, or it is no longer being sent (already final).
    Ignored,
}

/// A delivery report from the provider's status callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Delivered to the handset.
    Delivered,
    /// Delivery failed.
    Failed,
}

/// Everything one turn produces, saved in ONE transaction by [`crate::Store::save_turn`].
/// Serialisable: the service spools it to disk when the store is unreachable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    /// The session after the turn (inserted or replaced; `started_at` of an existing row is kept).
    pub session: SessionRecord,
    /// The turn itself.
    pub turn: Turn,
    /// Tickets the turn creates.
    pub tickets: Vec<NewTicket>,
    /// SMS the turn sends.
    pub outbox: Vec<NewOutboxMessage>,
}

/// What [`crate::Store::save_turn`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnSaved {
    /// False when the turn was already saved (a retried webhook: same `seq` and no message id,
    /// or the same message id at any `seq`) or when `conflict` is set: nothing was written.
    pub inserted: bool,
    /// The turn's `seq` is taken by ANOTHER message's turn (two messages of one conversation
    /// handled at once, here or on another node): nothing was written, and the turn must be
    /// worked out again from the session as it now is (compare-and-swap on the sequence).
    pub conflict: bool,
    /// Ids of the turn's tickets (new or already existing), in the order given; empty when the
    /// stored turn at this `seq` is not this one (a conflict, or a message already saved at
    /// another `seq`: its tickets are that turn's).
    pub ticket_ids: Vec<i64>,
    /// Ids of the turn's outbox messages, as `ticket_ids`.
    pub outbox_ids: Vec<i64>,
    /// Those of them the SMS guard refused, with the reason.
    pub refused: Vec<(i64, SmsRefusal)>,
}

/// A staff account to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewStaff {
    /// Login e-mail; stored lower-cased and trimmed, unique.
    pub email: String,
    /// Password hash (argon2id PHC string) computed by the caller.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Communes the account belongs to.
    pub communes: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The password is a one-time password, to be changed at the first login.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A staff account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    /// Account id.
    pub id: i64,
    /// Login e-mail (lower case).
    pub email: String,
    /// Password hash (argon2id PHC string).
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Communes the account belongs to.
    pub communes: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// The password is a one-time password: the console asks for a new one before anything
    /// else. Cleared by [`crate::Store::set_staff_password`].
    #[serde(default)]
    pub must_change_password: bool,
}

/// A console login session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffSession {
    /// Hash of the cookie token (never store the token itself).
    pub token_hash: String,
    /// The account.
    pub staff_id: i64,
    /// CSRF token bound to the session.
    pub csrf_token: String,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// One line of the audit log (every staff action).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (e-mail, or `system`).
    pub actor: String,
    /// Commune concerned, if any.
    pub commune: Option<String>,
    /// What (e.g. `ticket.claim`).
    pub action: String,
    /// Details (free text or JSON text).
    pub detail: String,
}

/// A stored audit line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Row id.
    pub id: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// An evaluation run to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvalRun {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// The commune evaluated.
    pub commune: String,
    /// Headline metrics.
    pub metrics: Value,
    /// Full JSON report.
    pub report: Value,
}

/// A stored evaluation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRun {
    /// Row id.
    pub id: i64,
    /// The run.
    #[serde(flatten)]
    pub run: NewEvalRun,
}

/// What [`crate::Store::purge_before`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PurgeReport {
    /// Transcript lines deleted.
    pub turns_deleted: u64,
    /// Ended sessions deleted.
    pub sessions_deleted: u64,
    /// Closed tickets anonymised (number, summary, transcript, notes removed).
    pub tickets_anonymised: u64,
    /// Finished outbox messages deleted.
    pub outbox_deleted: u64,
    /// Tickets still open past the retention period: closed as `injoignable` (and anonymised
    /// with the closed ones, counted in `tickets_anonymised` too).
    #[serde(default)]
    pub tickets_expired: u64,
    /// Ticket notifications (sent or given up) deleted.
    #[serde(default)]
    pub notifications_deleted: u64,
    /// Audit entries deleted: the commune's, and those of no commune (logins, with the
    /// staff's e-mail and address).
    #[serde(default)]
    pub audit_deleted: u64,
}

/// Normalises a staff e-mail: trimmed, lower-cased. The one rule for e-mail comparison.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Everything stored about one caller (RGPD access request).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CallerRecords {
    /// Conversations whose caller pseudonym matches.
    pub sessions: Vec<SessionRecord>,
    /// Their transcript lines.
    pub turns: Vec<TurnRow>,
    /// Tickets holding the number in clear.
    pub tickets: Vec<Ticket>,
    /// SMS sent to the number.
    pub outbox: Vec<OutboxMessage>,
}

/// What [`crate::Store::erase_caller`] removed (RGPD erasure request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErasureReport {
    /// Conversations deleted.
    pub sessions_deleted: u64,
    /// Transcript lines deleted.
    pub turns_deleted: u64,
    /// Tickets anonymised.
    pub tickets_anonymised: u64,
    /// SMS deleted.
    pub outbox_deleted: u64,
}

impl NewOutboxMessage {
    /// Refuses a message that cannot be sent (empty key, recipient or body).
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.idempotency_key.trim().is_empty() {
            return Err(StoreError::Invalid("SMS without idempotency key".into()));
        }
        if self.to.trim().is_empty() {
            return Err(StoreError::Invalid("SMS without recipient".into()));
        }
        if self.body.trim().is_empty() {
            return Err(StoreError::Invalid("SMS with an empty body".into()));
        }
        Ok(())
    }
}

impl NewApiKey {
    /// Refuses a key without commune, name or hash.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.tenant.trim().is_empty() || self.name.trim().is_empty() {
            return Err(StoreError::Invalid(
                "API key without commune or name".into(),
            ));
        }
        if self.token_hash.len() != 64 || !self.token_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Invalid(
                "API key hash: 64 hex digits (SHA-256) expected".into(),
            ));
        }
        Ok(())
    }
}

impl NewTicket {
    /// Refuses a ticket without idempotency key.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.idempotency_key.trim().is_empty() {
            return Err(StoreError::Invalid("ticket without idempotency key".into()));
        }
        Ok(())
    }
}

/// Parses a stored enum text, reporting a corrupt row instead of panicking.
pub(crate) fn parse_stored<T: FromStr>(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt {
        table,
        column,
        detail: format!("unexpected value {text:?}"),
    })
}

/// The outcome of a failed attempt under a policy; shared by both backends.
pub(crate) fn retry_outcome(
    kind: FailureKind,
    policy: &RetryPolicy,
    attempts: i32,
    now: DateTime<Utc>,
) -> RetryOutcome {
    if kind == FailureKind::Permanent || policy.exhausted(attempts) {
        return RetryOutcome::Dead;
    }
    let delay =
        chrono::Duration::from_std(policy.delay_after(attempts)).unwrap_or(chrono::Duration::MAX);
    match now.checked_add_signed(delay) {
        Some(at) => RetryOutcome::RetryAt(at),
        None => RetryOutcome::Dead,
    }
}

/// New state and the states it may replace, for a delivery report; shared by both backends.
pub(crate) fn delivery_transition(
    status: DeliveryStatus,
) -> (&'static str, &'static [&'static str]) {
    match status {
        DeliveryStatus::Delivered => ("delivered", &["sending", "sent", "failed"]),
        DeliveryStatus::Failed => ("failed", &["sending", "sent"]),
    }
}

// ----- ticket notifications (e-mail, webhook) -----

text_enum! {
    /// How a ticket notification is delivered.
    NotificationChannel {
        /// An e-mail through the configured SMTP server.
        Email => "email",
        /// A JSON POST to a URL.
        Webhook => "webhook",
    }
}

text_enum! {
    /// Life cycle of a ticket notification: pending → sending → sent, or → failed (retried
    /// at `next_attempt_at`) → … → dead.
    NotificationState {
        /// Never tried yet; due at `next_attempt_at`.
        Pending => "pending",
        /// Leased by a worker until `lease_until`; due again once the lease ends (a crashed
        /// worker).
        Sending => "sending",
        /// Delivered (final).
        Sent => "sent",
        /// The last attempt failed; retried at `next_attempt_at`.
        Failed => "failed",
        /// Given up: a permanent error or too many attempts (final).
        Dead => "dead",
    }
}

impl NotificationState {
    /// Whether the notification is finished (sent or dead).
    pub fn is_final(self) -> bool {
        matches!(self, NotificationState::Sent | NotificationState::Dead)
    }
}

/// A notification to queue: one ticket to one destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNotification {
    /// The commune of the ticket.
    pub tenant: String,
    /// The ticket.
    pub ticket_id: i64,
    /// Stable key of the destination, without any secret, e.g. `email:mairie@villebourg.fr`
    /// or `webhook:https://agglo.example/hook`. `(ticket_id, destination)` is unique: queueing
    /// the same notification twice (two nodes, a restart) is a no-op.
    pub destination: String,
    /// E-mail or webhook.
    pub channel: NotificationChannel,
    /// Creation time; the notification is due immediately.
    pub created_at: DateTime<Utc>,
}

impl NewNotification {
    /// Refuses a notification without destination.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.destination.trim().is_empty() {
            return Err(StoreError::Invalid(
                "notification without destination".into(),
            ));
        }
        Ok(())
    }
}

/// A stored ticket notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Row id.
    pub id: i64,
    /// The commune.
    pub tenant: String,
    /// The ticket.
    pub ticket_id: i64,
    /// Stable key of the destination (see [`NewNotification::destination`]).
    pub destination: String,
    /// E-mail or webhook.
    pub channel: NotificationChannel,
    /// State.
    pub state: NotificationState,
    /// Attempts started so far (incremented by each claim).
    pub attempts: i32,
    /// Pending or failed: when to try (again). `None` once sending or final.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Sending: when the worker's lease ends.
    pub lease_until: Option<DateTime<Utc>>,
    /// Last error reported by a worker.
    pub last_error: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// Which notifications to list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotificationFilter {
    /// Communes the viewer may see; an empty list matches nothing.
    pub communes: Vec<String>,
    /// States to include; empty means all states.
    pub states: Vec<NotificationState>,
    /// At most this many (newest first).
    pub limit: Option<i64>,
}

/// Counts per state from `(state, count)` rows: every state of `all`, in its order, zero when
/// absent; shared by both backends (notifications, outbox).
pub(crate) fn counts_by_state<S: Copy + PartialEq + FromStr>(
    all: &[S],
    rows: Vec<(String, i64)>,
    table: &'static str,
) -> Result<Vec<(S, i64)>, StoreError> {
    let mut counts: Vec<(S, i64)> = all.iter().map(|s| (*s, 0)).collect();
    for (text, count) in rows {
        let state: S = parse_stored(&text, table, "state")?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
            slot.1 += count;
        }
    }
    Ok(counts)
}

// ----- outbox listing (console) -----

/// Which SMS of the outbox to list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutboxFilter {
    /// Communes the viewer may see; an empty list matches nothing.
    pub communes: Vec<String>,
    /// States to include; empty means all states.
    pub states: Vec<OutboxState>,
    /// At most this many (most recently changed first).
    pub limit: Option<i64>,
}
