//! The eval harness: replays recorded dialogues against the dialogue engine (in process or over
//! a running server's Twilio webhook), scores every turn against its expectations, computes the
//! figures operators watch (fiche accuracy, misroute and false-answer rates, per split and tag…) and writes reports (terminal table,
//! JSON, JUnit XML, self-contained HTML). A JSON report is also the baseline of the next run.

pub mod baseline;
pub mod dialogue;
pub mod export;
pub mod false_answers;
pub mod gates;
pub mod history;
pub mod http;
pub mod http_jambonz;
pub mod inprocess;
pub mod metrics;
pub mod observed;
pub mod progress;
pub mod ratio;
pub mod replay;
pub mod report;
pub mod run;
pub mod score;

pub use dialogue::{CallerTurn, Dialogue, Expect, LoadError, LoadErrors, OneOrMany, Split};
pub use metrics::{Figures, Metrics};
pub use observed::Observed;
pub use ratio::Ratio;
pub use replay::{Bot, CallInfo, DialogueRun, ReplayError, ReplayedTurn, replay_all};
pub use report::Report;
pub use run::{EvalError, Evaluation, FileFormat, Options, evaluate, write_reports};
