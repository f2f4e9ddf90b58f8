//! The engine in this process: the dialogue's `from` (its line type), `at` (as the clock) and
//! channel are the context of every turn. Fast and deterministic.

use guichet_agent::{Context, Engine, Inbound, LineType, Reply, Session};
use guichet_knowledge::Knowledge;

use crate::dialogue::CallerTurn;
use crate::observed::{Observed, recorded_actions};
use crate::replay::{Bot, CallInfo, ReplayError};

pub struct InProcess<'k> {
    pub engine: Engine,
    pub knowledge: &'k Knowledge,
    /// The tenant named in every inbound message.
    pub tenant: String,
    /// Reports are replayed as delivered to every partner that takes them (a service whose
    /// notification routes carry what `commune.toml` declares).
    report_channels: Vec<String>,
}

impl<'k> InProcess<'k> {
    pub fn new(engine: Engine, knowledge: &'k Knowledge) -> Self {
        InProcess {
            engine,
            tenant: knowledge.commune().insee.clone(),
            report_channels: knowledge.reporting_partners(),
            knowledge,
        }
    }

    fn context(&self, call: &CallInfo<'_>) -> Context<'_> {
        Context {
            now: call.dialogue.at.to_utc(),
            line: LineType::of(&call.dialogue.from),
            knowledge: self.knowledge,
            report_channels: &self.report_channels,
        }
    }

    fn inbound(&self, call: &CallInfo<'_>, turn: Option<&CallerTurn>) -> Inbound {
        Inbound {
            tenant: self.tenant.clone(),
            channel: call.dialogue.channel,
            conversation_id: call.conversation_id.clone(),
            from: call.dialogue.from.clone(),
            text: turn.map(|turn| turn.caller.clone()).unwrap_or_default(),
            asr_confidence: turn.and_then(|turn| turn.asr_confidence),
            dtmf: turn.and_then(|turn| turn.dtmf.clone()),
        }
    }
}

fn observed(reply: Reply) -> Observed {
    Observed {
        say: reply
            .say
            .into_iter()
            .map(|utterance| utterance.text)
            .collect(),
        decision: Some(reply.trace),
        actions: Some(recorded_actions(reply.actions)),
    }
}

impl Bot for InProcess<'_> {
    type Call = Session;

    fn start(&self, call: &CallInfo<'_>) -> Result<(Session, Observed), ReplayError> {
        let (session, reply) = self
            .engine
            .start(&self.inbound(call, None), &self.context(call));
        Ok((session, observed(reply)))
    }

    fn turn(
        &self,
        session: &mut Session,
        call: &CallInfo<'_>,
        turn: &CallerTurn,
    ) -> Result<Observed, ReplayError> {
        let (next, reply) = self.engine.turn(
            session,
            &self.inbound(call, Some(turn)),
            &self.context(call),
        );
        *session = next;
        Ok(observed(reply))
    }
}
