//! The last session of each conversation this node handled, kept in memory so that a call goes
//! on when the store cannot be reached (or still lacks this node's spooled turns). On a store
//! that several nodes share (PostgreSQL) it is read ONLY then: the store stays the reference.
//! On the embedded SQLite store this process writes every session, so what it remembers is
//! what the store holds and a turn reads it first (see `conversation::log::previous`).
//!
//! Bounded: at most [`SessionCache::capacity`] conversations and [`SessionCache::max_bytes`]
//! bytes (each entry's size estimated from its texts, [`Cached::approx_bytes`]); entries older
//! than their session timeout are dropped first, then the least recently updated.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use guichet_store::Channel;

use super::conversation::Envelope;

/// How many conversations a node remembers by default.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// How many bytes of sessions a node remembers by default (64 MiB).
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// What an entry costs besides its texts (maps, keys, fixed fields), estimated.
const ENTRY_OVERHEAD: usize = 512;

/// What the cache knows of one conversation.
#[derive(Debug, Clone)]
pub struct Cached {
    pub envelope: Arc<Envelope>,
    pub started_at: DateTime<Utc>,
    /// When the store considers the session expired (its `expires_at`).
    pub expires_at: DateTime<Utc>,
    pub channel: Channel,
    /// The caller's pseudonym (how an SMS conversation is found again by number).
    pub caller: Option<String>,
    /// The conversation ended with this turn: [`SessionCache::put`] forgets it.
    pub closed: bool,
}

impl Cached {
    /// An estimate of the memory this entry holds: its texts (history, topics, numbers, the
    /// last reply) and a fixed overhead. Caller text is bounded at every connector, and the
    /// history by `HISTORY_LEN`: an entry stays within tens of kilobytes.
    pub fn approx_bytes(&self) -> usize {
        let engine = &self.envelope.engine;
        let history: usize = engine
            .history
            .iter()
            .map(|exchange| exchange.caller.len() + exchange.robot.len() + 32)
            .sum();
        let topics: usize = engine.topics.iter().map(|topic| topic.len() + 24).sum();
        let last: usize = self
            .envelope
            .last
            .as_ref()
            .and_then(|last| last.reply.as_ref())
            .map(|reply| reply.say.iter().map(|u| u.text.len() + 24).sum::<usize>() + 256)
            .unwrap_or(0);
        ENTRY_OVERHEAD
            + engine.conversation_id.len()
            + engine.from.len()
            + self.caller.as_ref().map_or(0, String::len)
            + history
            + topics
            + last
    }
}

struct Entry {
    cached: Cached,
    bytes: usize,
    updated: Instant,
    keep_for: Duration,
    /// Order of the updates (the least recently updated goes first).
    tick: u64,
}

#[derive(Default)]
struct Entries {
    map: HashMap<(String, String), Entry>,
    next_tick: u64,
    /// Sum of the entries' `bytes`.
    bytes: usize,
}

pub struct SessionCache {
    capacity: usize,
    max_bytes: usize,
    entries: Mutex<Entries>,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache::with_limits(DEFAULT_CAPACITY, DEFAULT_MAX_BYTES)
    }
}

impl SessionCache {
    pub fn new(capacity: usize) -> SessionCache {
        SessionCache::with_limits(capacity, DEFAULT_MAX_BYTES)
    }

    pub fn with_limits(capacity: usize, max_bytes: usize) -> SessionCache {
        SessionCache {
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(ENTRY_OVERHEAD),
            entries: Mutex::new(Entries::default()),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The estimated bytes held (see [`Cached::approx_bytes`]).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().map.is_empty()
    }

    /// Forgets a conversation (it ended).
    pub fn remove(&self, tenant: &str, conversation_id: &str) {
        let mut entries = self.lock();
        if let Some(entry) = entries
            .map
            .remove(&(tenant.to_string(), conversation_id.to_string()))
        {
            entries.bytes -= entry.bytes;
        }
    }

    /// Remembers the session after a turn, for `keep_for` (the conversation's timeout); an
    /// ended conversation is forgotten instead (no turn will follow it).
    pub fn put(
        &self,
        tenant: &str,
        conversation_id: &str,
        cached: Cached,
        keep_for: std::time::Duration,
    ) {
        if cached.closed {
            self.remove(tenant, conversation_id);
            return;
        }
        let now = Instant::now();
        let bytes = cached.approx_bytes();
        let mut entries = self.lock();
        let key = (tenant.to_string(), conversation_id.to_string());
        if let Some(previous) = entries.map.remove(&key) {
            entries.bytes -= previous.bytes;
        }
        if entries.map.len() >= self.capacity || entries.bytes + bytes > self.max_bytes {
            evict(
                &mut entries,
                self.capacity,
                self.max_bytes.saturating_sub(bytes),
                now,
            );
        }
        // Two turns of one conversation saved at once may be remembered in either order: the
        // later turn stays.
        if entries
            .map
            .get(&key)
            .is_some_and(|entry| entry.cached.envelope.seq > cached.envelope.seq)
        {
            return;
        }
        let tick = entries.next_tick;
        entries.next_tick += 1;
        entries.bytes += bytes;
        entries.map.insert(
            key,
            Entry {
                cached,
                bytes,
                updated: now,
                keep_for,
                tick,
            },
        );
    }

    /// The session last handled here, unless it timed out.
    pub fn get(&self, tenant: &str, conversation_id: &str) -> Option<Cached> {
        let now = Instant::now();
        let mut entries = self.lock();
        let key = (tenant.to_string(), conversation_id.to_string());
        let entry = entries.map.get(&key)?;
        if now.duration_since(entry.updated) > entry.keep_for {
            if let Some(entry) = entries.map.remove(&key) {
                entries.bytes -= entry.bytes;
            }
            return None;
        }
        Some(entry.cached.clone())
    }

    /// The latest open conversation of a caller pseudonym on a channel, unless it timed out.
    pub fn active_for_caller(
        &self,
        tenant: &str,
        channel: Channel,
        caller: &str,
    ) -> Option<String> {
        let now = Instant::now();
        self.lock()
            .map
            .iter()
            .filter(|((entry_tenant, _), entry)| {
                entry_tenant == tenant
                    && entry.cached.channel == channel
                    && entry.cached.caller.as_deref() == Some(caller)
                    && now.duration_since(entry.updated) <= entry.keep_for
            })
            .max_by_key(|(_, entry)| entry.tick)
            .map(|((_, conversation_id), _)| conversation_id.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Makes room for one entry: drops timed-out entries, then the least recently updated tenth
/// (more if needed) until fewer than `capacity` entries hold at most `max_bytes`.
fn evict(entries: &mut Entries, capacity: usize, max_bytes: usize, now: Instant) {
    entries
        .map
        .retain(|_, entry| now.duration_since(entry.updated) <= entry.keep_for);
    entries.bytes = entries.map.values().map(|entry| entry.bytes).sum();
    if entries.map.len() < capacity && entries.bytes <= max_bytes {
        return;
    }
    let mut oldest: Vec<(u64, usize)> = entries
        .map
        .values()
        .map(|entry| (entry.tick, entry.bytes))
        .collect();
    oldest.sort_unstable();
    let mut count = entries.map.len();
    let mut bytes = entries.bytes;
    let mut cutoff = None;
    for (dropped, (tick, size)) in oldest.into_iter().enumerate() {
        let enough = dropped >= (capacity / 10).max(1) && count < capacity && bytes <= max_bytes;
        if enough {
            break;
        }
        count -= 1;
        bytes -= size;
        cutoff = Some(tick);
    }
    if let Some(cutoff) = cutoff {
        entries.map.retain(|_, entry| entry.tick > cutoff);
        entries.bytes = bytes;
    }
}

#[cfg(test)]
mod tests {
    use guichet_agent::{Channel, Engine, Inbound, LineType};
    use guichet_knowledge::Knowledge;

    use super::*;

    fn envelope(seq: u32) -> Envelope {
        let knowledge = Knowledge::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("communes/demo"),
        )
        .unwrap();
        let inbound = Inbound {
            tenant: "demo".into(),
            channel: Channel::Voice,
            conversation_id: "CA1".into(),
            from: "+33612345678".into(),
            text: String::new(),
            asr_confidence: None,
            dtmf: None,
        };
        let ctx = guichet_agent::Context {
            now: Utc::now(),
            line: LineType::of(&inbound.from),
            knowledge: &knowledge,
            report_channels: &[],
        };
        let (engine, _) = Engine::default().start(&inbound, &ctx);
        Envelope {
            engine,
            seq,
            last: None,
            caller: None,
        }
    }

    fn cached(seq: u32) -> Cached {
        Cached {
            envelope: Arc::new(envelope(seq)),
            started_at: Utc::now(),
            expires_at: Utc::now() + chrono::Duration::hours(1),
            channel: guichet_store::Channel::Sms,
            caller: Some("pseudo".into()),
            closed: false,
        }
    }

    #[test]
    fn keeps_the_latest_session_of_each_conversation() {
        let cache = SessionCache::new(10);
        let hour = Duration::from_secs(3600);
        cache.put("a", "c1", cached(0), hour);
        cache.put("a", "c1", cached(1), hour);
        cache.put("b", "c1", cached(5), hour);
        assert_eq!(cache.get("a", "c1").unwrap().envelope.seq, 1);
        assert_eq!(cache.get("b", "c1").unwrap().envelope.seq, 5);
        assert!(cache.get("a", "c2").is_none());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn finds_the_latest_open_conversation_of_a_caller() {
        let cache = SessionCache::new(10);
        let hour = Duration::from_secs(3600);
        cache.put("a", "older", cached(1), hour);
        cache.put("a", "newer", cached(1), hour);
        let closed = Cached {
            closed: true,
            ..cached(2)
        };
        cache.put("a", "closed", closed, hour);
        let voice = Cached {
            channel: guichet_store::Channel::Voice,
            ..cached(1)
        };
        cache.put("a", "voice", voice, hour);
        assert_eq!(
            cache
                .active_for_caller("a", guichet_store::Channel::Sms, "pseudo")
                .as_deref(),
            Some("newer")
        );
        assert_eq!(
            cache.active_for_caller("a", guichet_store::Channel::Sms, "other"),
            None
        );
        assert_eq!(
            cache.active_for_caller("b", guichet_store::Channel::Sms, "pseudo"),
            None
        );
    }

    #[test]
    fn timed_out_sessions_are_forgotten() {
        let cache = SessionCache::new(10);
        cache.put("a", "old", cached(1), Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get("a", "old").is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn stays_within_its_bytes_dropping_the_oldest() {
        let one = cached(1);
        let size = one.approx_bytes();
        assert!(size >= ENTRY_OVERHEAD);
        let cache = SessionCache::with_limits(1_000, size * 10);
        let hour = Duration::from_secs(3600);
        for i in 0..100 {
            cache.put("a", &format!("c{i}"), one.clone(), hour);
            assert!(cache.bytes() <= cache.max_bytes(), "{}", cache.bytes());
        }
        assert!(cache.len() <= 10, "{}", cache.len());
        assert_eq!(cache.bytes(), cache.len() * size);
        assert!(cache.get("a", "c99").is_some(), "the newest is kept");
        assert!(cache.get("a", "c0").is_none(), "the oldest is dropped");
        cache.remove("a", "c99");
        assert_eq!(cache.bytes(), cache.len() * size);
    }

    #[test]
    fn stays_within_its_capacity_dropping_the_oldest() {
        let cache = SessionCache::new(20);
        let hour = Duration::from_secs(3600);
        let one = cached(1);
        for i in 0..50 {
            cache.put("a", &format!("c{i}"), one.clone(), hour);
        }
        assert!(cache.len() <= 20, "{}", cache.len());
        assert!(cache.get("a", "c49").is_some(), "the newest is kept");
        assert!(cache.get("a", "c0").is_none(), "the oldest is dropped");
    }
}
