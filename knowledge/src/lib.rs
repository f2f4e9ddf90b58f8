//! The closed knowledge base of a commune: `commune.toml`, `fiches/*.md`, `synonyms.txt`,
//! and the questions of its recorded `dialogues/` with the national ones.
//!
//! - [`Knowledge::load`] reads, validates and indexes a folder; [`check`] reports every
//!   problem at once as `path:line: message` (French, for staff).
//! - [`Knowledge::search`] finds the fiches for what a caller said, with a confidence
//!   comparable across queries: see [`search`] for the analysis and the confidence, and
//!   [`text`] for the French analyzer ([`normalize`], [`terms`]).
//! - [`Knowledge::resemblance`] tells which topic the recorded questions most like a
//!   caller's were meant for (the folder's `dialogues/`, never the `test` split, and the
//!   national recorded questions): the engine's second opinion (see [`recorded`]).
//! - [`LiveKnowledge`] keeps the knowledge in service and swaps in a new version when the
//!   folder changes and is valid.
//! - Every commune also loads the national "qui fait quoi" catalogue shipped in the binary
//!   (`knowledge/national/`: CPAM, CAF, France Travail, 119, 3919…), which its own folder can
//!   override or disable fiche by fiche: see [`national_fiche_ids`] and the `load::national`
//!   module.
//! - A node serving many communes loads them on all cores ([`Knowledge::load_many`]) and
//!   watches them with one watcher ([`LiveKnowledge::watch_all`]); folders with the same
//!   searchable content (the starter pack, the national catalogue) share one search index
//!   (the `shared` module, [`indexes_in_use`]).
//! - [`Schedule`] evaluates opening hours (OpenStreetMap syntax, French public holidays).

mod knowledge;
mod lines;
mod live;
mod load;
pub mod model;
pub mod names;
mod problem;
pub mod recorded;
mod schedule;
pub mod search;
mod shared;
pub mod sms;
mod spelling;
mod synonyms;
pub mod text;
pub mod yaml;

pub use knowledge::{DEFAULT_HITS, Knowledge, Report, Stats, check};
pub use live::{DEBOUNCE, LiveKnowledge, WatchError, WatchGuard};
pub use load::SynonymGroup;
pub use load::checks::{is_short_number, is_web_address};
pub use load::national::{NATIONAL_DIR, fiche_ids as national_fiche_ids, is_national};
pub use model::*;
pub use problem::{LoadError, Problem, Severity};
pub use recorded::Resemblance;
pub use schedule::{DayHours, Schedule, ScheduleError};
pub use shared::indexes_in_use;
pub use text::{normalize, terms};
