//! What the robot did on one turn, as seen from outside (in process or through a webhook): what
//! every backend of the replay returns and what scoring reads.

use guichet_agent::{Action, Decision};
use serde::{Deserialize, Serialize};

/// One reply of the robot, as seen from outside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// The texts said (voice) or written (SMS, chat), in order.
    pub say: Vec<String>,
    /// What the engine decided; `None` when the backend could not see it.
    pub decision: Option<Decision>,
    /// The actions taken; `None` when the backend could not see them (a webhook without the
    /// decision header's `actions`).
    pub actions: Option<Vec<Action>>,
}

/// The actions as recorded in a report: `Listen` keeps no speech-recognition hints (the whole
/// keyword list of the commune on every turn would swamp the report).
pub fn recorded_actions(actions: Vec<Action>) -> Vec<Action> {
    actions.iter().map(Action::without_hints).collect()
}
