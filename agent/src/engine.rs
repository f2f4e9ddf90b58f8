//! The dispatch of a turn: what the caller's message means given the pending question, and
//! which behaviour answers it.

use guichet_knowledge::Fiche;

use crate::handoff::AfterCallback;
use crate::intents;
use crate::policy::{Policy, Verdict};
use crate::rollout;
use crate::session::{Pending, Session};
use crate::turn::TurnInProgress;
use crate::types::{Action, Channel, Context, DecisionAction, Inbound, LineType, Reply};

/// "Je comprends que la situation soit agaçante."
pub const ANGER_ACK: &str = "Je comprends que la situation soit agaçante.";
/// The dialogue engine: pure and deterministic (no IO, no clock).
#[derive(Debug, Clone)]
pub struct Engine {
    pub policy: Policy,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(Policy::default())
    }
}

impl Engine {
    pub fn new(policy: Policy) -> Self {
        // The phone-number metadata is loaded on first use (about 0.2 s of CPU): load it now,
        // not during the first caller's turn.
        let _ = LineType::of("+33612345678");
        Self { policy }
    }

    /// The start of a conversation: the greeting (voice), nothing to say (SMS/chat: the first
    /// message is a request), or, outside the rollout, straight to the standard.
    pub fn start(&self, inbound: &Inbound, ctx: &Context) -> (Session, Reply) {
        let session = Session::new(
            inbound.conversation_id.clone(),
            inbound.channel,
            inbound.from.clone(),
        );
        let mut turn = TurnInProgress::new(&self.policy, ctx, inbound, session);
        turn.session.line = ctx.line;
        if !rollout::robot_answers(ctx.knowledge, &inbound.from, ctx.now) {
            turn.hand_off(
                "rollout_outside",
                "appel hors du déploiement du robot",
                None,
                AfterCallback::HangUp,
            );
            return finish_start(turn);
        }
        turn.decide(DecisionAction::Greet, "greeting", None);
        if turn.is_voice() {
            turn.say(ctx.knowledge.commune().greeting.clone());
            turn.actions.push(Action::Listen {
                hints: ctx.knowledge.hints().clone(),
            });
        }
        finish_start(turn)
    }

    /// One caller message: returns the new session and the reply with its decision trace.
    pub fn turn(&self, session: &Session, inbound: &Inbound, ctx: &Context) -> (Session, Reply) {
        let mut turn = TurnInProgress::new(&self.policy, ctx, inbound, session.clone());
        // A message without a number (a later API turn) keeps the one the conversation has.
        if !inbound.from.is_empty() {
            turn.session.from.clone_from(&inbound.from);
        }
        turn.session.line = ctx.line;
        turn.session.turn += 1;
        if turn.session.ended {
            turn.say("Cette conversation est terminée. Au revoir.");
            turn.decide(DecisionAction::Goodbye, "conversation_ended", None);
            turn.hang_up();
            return turn.finish();
        }
        if intents::dtmf_wants_human(inbound.dtmf.as_deref()) {
            turn.session.silences = 0;
            turn.hand_off(
                "dtmf_zero",
                "demande d'un agent (touche 0)",
                None,
                AfterCallback::Continue,
            );
        } else if turn.text.is_empty() {
            turn.silence();
        } else {
            turn.session.silences = 0;
            turn.respond();
        }
        turn.text_channel_intro();
        turn.finish()
    }
}

/// The start reply: nothing is remembered in the history.
fn finish_start(turn: TurnInProgress) -> (Session, Reply) {
    let say = turn
        .say
        .into_iter()
        .map(|text| crate::types::Utterance { text })
        .collect();
    (
        turn.session,
        Reply {
            say,
            actions: turn.actions,
            trace: turn.decision,
        },
    )
}

/// How the robot asks again, and what it notes for the standard.
struct AskAgain {
    rule: &'static str,
    note: &'static str,
    /// Why a human takes over when it is the second time in a row.
    second_time: &'static str,
    /// Said before the pending clarifying question.
    opening: &'static str,
    /// Said when no clarifying question is pending.
    prompt: [&'static str; 2],
}

impl AskAgain {
    /// A request not understood, under this rule.
    fn not_understood(rule: &'static str) -> Self {
        Self {
            rule,
            note: "demande non comprise, reformulation demandée",
            second_time: "demande non comprise deux fois de suite",
            opening: "Excusez-moi, je n'ai pas bien compris.",
            prompt: [
                "Excusez-moi, je n'ai pas bien compris votre demande.",
                "Pouvez-vous la redire en quelques mots ? Par exemple : « je voudrais refaire ma carte d'identité », \
                 ou « à quelle heure ouvre la mairie ? ».",
            ],
        }
    }

    /// The call put on hold ("attendez, je cherche mes lunettes").
    const HOLD: Self = Self {
        rule: "hold_on",
        note: "l'appelant fait patienter, question reposée",
        second_time: "l'appelant fait encore patienter",
        opening: "Je vous attends.",
        prompt: [
            "Je vous attends, prenez votre temps.",
            "Quand vous voulez, dites-moi en quelques mots le motif de votre appel.",
        ],
    };

    /// A question to the assistant about itself ("vous êtes un robot ?").
    const ABOUT_THE_ASSISTANT: Self = Self {
        rule: "about_the_assistant",
        note: "l'appelant interroge l'assistant sur lui-même, question reposée",
        second_time: "l'appelant n'a pas donné le motif de son appel",
        opening: "Je suis l'assistant téléphonique de la mairie.",
        prompt: [
            "Je suis l'assistant téléphonique de la mairie : je réponds aux questions sur les démarches \
             et les services de la commune, et je peux vous passer un agent.",
            "En quelques mots, quel est le motif de votre appel ?",
        ],
    };

    /// Only words about the line ("allô ?", "je vous entends mal").
    const LINE: Self = Self {
        rule: "line_check",
        note: "l'appelant parle de la ligne, question reposée",
        second_time: "l'appelant entend mal, ligne difficile",
        opening: "Je vous entends bien.",
        prompt: [
            "Je vous entends bien.",
            "En quelques mots, quel est le motif de votre appel ?",
        ],
    };
}

impl<'a> TurnInProgress<'a> {
    /// A message (not silence), read against the pending question.
    fn respond(&mut self) {
        // A person in danger now (an emergency in progress, a person who speaks of taking their
        // life) wins over the pending question and over whatever fiche the words also match:
        // the line they need first.
        if let Some((line, rule)) = crate::emergency::line_for_danger_now(&self.text)
            && let Some(fiche) = self.fiche(line)
        {
            self.session.pending = Pending::Nothing;
            return self.handle_fiche(fiche, rule);
        }
        let pending = std::mem::take(&mut self.session.pending);
        // An explicit request for a human wins over whatever question is pending ("non je veux
        // parler à un agent, la facture est fausse" to the satisfaction question).
        if self.wants_human() && !matches!(pending, Pending::HumanOffer { .. }) {
            return self.request(None);
        }
        if pending.is_yes_no()
            && pending != Pending::Satisfaction
            && intents::is_firm_goodbye(&self.text)
        {
            return self.goodbye();
        }
        let yes_no = if pending.is_yes_no() {
            self.yes_no()
        } else {
            None
        };
        match (pending, yes_no) {
            (Pending::Satisfaction, Some(useful)) => self.record_satisfaction(useful),
            (Pending::Confirm { fiche }, Some(true)) => match self.fiche(&fiche) {
                Some(fiche) => self.handle_fiche(fiche, "confirmed"),
                None => self.request(None),
            },
            (Pending::Confirm { .. }, Some(false)) => self.not_understood("confirm_rejected", None),
            (Pending::ReportOffer { fiche, partner }, Some(true)) => match self.fiche(&fiche) {
                Some(fiche) => self.accept_report(fiche, &partner),
                None => self.request(None),
            },
            (Pending::ReportOffer { .. }, Some(false)) => self.decline_offer("report_declined"),
            (Pending::HumanOffer { fiche }, Some(true)) => {
                let fiche = fiche.as_deref().and_then(|id| self.fiche(id));
                self.hand_off(
                    "human_offer_accepted",
                    "l'appelant a accepté de parler à un agent",
                    fiche,
                    AfterCallback::Continue,
                );
            }
            (Pending::HumanOffer { .. }, Some(false)) => self.decline_offer("human_offer_declined"),
            (Pending::AnythingElse, Some(true)) => {
                self.say("Je vous écoute.");
                self.decide(DecisionAction::Clarify, "anything_else_yes", None);
                self.note("à l'écoute d'une autre demande");
            }
            (Pending::AnythingElse, Some(false)) => self.goodbye(),
            (Pending::Clarify { fiche }, _) => self.clarify_reply(&fiche),
            (Pending::ReportPlace { fiche, partner }, _) => {
                self.report_place_reply(&fiche, &partner)
            }
            _ => self.request(None),
        }
    }

    /// A yes or a no to the pending question: a plain one, or one followed by words that are
    /// not a request the knowledge base understands ("oui transmettez-le").
    fn yes_no(&self) -> Option<bool> {
        if let Some(answer) = intents::yes_no(&self.text) {
            return Some(answer);
        }
        let leaning = intents::leaning(&self.text)?;
        let hits = self.kb().search(&self.inbound.text);
        let understood = self.best_match(&hits).is_some_and(|best| {
            self.policy.verdict(best.confidence, best.margin, None) != Verdict::NotUnderstood
        });
        (!understood).then_some(leaning)
    }

    /// The reply to a clarifying question: an option said in words ("il est expiré"), or in
    /// other words that, read with the topic ("carte d'identité" + "elle est plus valable"),
    /// lead to one of the options' fiches; else a new request (topic switch, or not understood).
    fn clarify_reply(&mut self, fiche_id: &str) {
        let Some(fiche) = self.fiche(fiche_id) else {
            return self.request(None);
        };
        let Some(clarify) = &fiche.clarify else {
            return self.request(None);
        };
        let option = crate::clarify::option_for(clarify, &self.text).or_else(|| {
            crate::clarify::option_by_terms(clarify, &self.inbound.text, self.kb().synonyms())
        });
        if let Some(target) = option.and_then(|option| self.fiche(&option.goto)) {
            return self.handle_fiche(target, "clarify_option");
        }
        let with_topic = format!("{} {}", fiche.title, self.inbound.text);
        let hits = self.kb().search(&with_topic);
        let is_option = |id: &str| clarify.options.iter().any(|option| option.goto == id);
        if let Some(top) = hits.first()
            && is_option(&top.fiche_id)
            && top.confidence >= self.policy.answer_confidence
            && let Some(target) = self.fiche(&top.fiche_id)
        {
            self.decision.confidence = Some(top.confidence);
            return self.handle_fiche(target, "clarify_option_by_topic");
        }
        self.request(Some(fiche))
    }

    /// The line for a person in danger (119, 3919, 3114, 15) that the message surely names,
    /// with its confidence.
    fn sure_danger_line(&self) -> Option<(&'a Fiche, f32)> {
        let hits = self.kb().search(&self.inbound.text);
        let best = self.best_match(&hits)?;
        let verdict =
            self.policy
                .verdict(best.confidence, best.margin, self.inbound.asr_confidence);
        (matches!(verdict, Verdict::Answer) && crate::emergency::is_danger_line(&best.fiche.id))
            .then_some((best.fiche, best.confidence))
    }

    /// An explicit request for a human that is still one once the words about the line ("allô,
    /// y a quelqu'un ?") and the questions to the assistant ("vous êtes une vraie personne ?")
    /// are set aside. (The message is only rewritten when it reads as such a request: most
    /// turns are not, and the rewriting costs a third of a turn's time.)
    fn wants_human(&self) -> bool {
        intents::wants_human(&self.text)
            && intents::wants_human(&crate::small_talk::without_questions_to_the_assistant(
                &crate::line::without_line_talk(&self.text),
            ))
    }

    /// A new request: a human, no Internet, goodbye, or a topic from the knowledge base.
    pub(crate) fn request(&mut self, clarifying: Option<&'a Fiche>) {
        let angry = crate::anger::is_angry(&self.text);
        if angry {
            self.say(crate::engine::ANGER_ACK);
        }
        if self.wants_human() {
            // A person in danger who asks to talk to someone ("mon mari me frappe, je voudrais
            // juste parler à quelqu'un") gets the line whose listeners are there day and night,
            // not a callback from the mairie.
            if let Some((line, confidence)) = self.sure_danger_line() {
                self.decision.confidence = Some(confidence);
                return self.handle_fiche(line, "danger_line_over_human");
            }
            return self.hand_off(
                "explicit_human_request",
                "l'appelant a demandé à parler à un agent",
                None,
                AfterCallback::Continue,
            );
        }
        if intents::cannot_go_online(&self.text) {
            return self.hand_off(
                "no_internet",
                "l'appelant n'a pas accès aux démarches en ligne",
                None,
                AfterCallback::Continue,
            );
        }
        if !angry && intents::is_goodbye(&self.text) {
            return self.goodbye();
        }
        if !angry && crate::small_talk::asks_about_the_assistant(&self.text) {
            return self.ask_again(AskAgain::ABOUT_THE_ASSISTANT, clarifying);
        }
        // Words of irritation, words about the line and a caller saying they are lost say
        // nothing of the topic ("inadmissible" must not find the complaints fiche, "je vous
        // entends mal" the emergency services, "je suis perdue" a lost identity card): search
        // what is left.
        let line_talk = crate::line::is_about_the_line(&self.text);
        let rewritten = angry || line_talk || crate::lost::says_lost(&self.text);
        // Each removal leaves a message without such words as it is.
        let rest = if rewritten {
            crate::lost::without_lost(&crate::line::without_line_talk(
                &crate::anger::without_anger(&self.text),
            ))
        } else {
            String::new()
        };
        let hold = crate::line::opens_with_hold(&self.text);
        let how = if hold { AskAgain::HOLD } else { AskAgain::LINE };
        if line_talk && !angry && guichet_knowledge::terms(&rest).is_empty() {
            return self.ask_again(how, clarifying);
        }
        let inbound = self.inbound;
        let searched = if rewritten { &rest } else { &inbound.text };
        let hits = self.kb().search(searched);
        // An irritated caller whose remaining words hardly name anything ("votre mairie ne sert
        // à rien") is not asked to confirm a guess: a human takes over.
        let topic_named = !angry || guichet_knowledge::terms(&rest).len() >= 2;
        let best = self.best_match(&hits);
        if let Some(best) = &best {
            self.decision.confidence = Some(best.confidence);
            self.decision.margin = Some(best.margin);
        }
        let verdict = best.as_ref().map_or(Verdict::NotUnderstood, |best| {
            // A clarifying fiche only asks a question (the caller can still switch topic): a
            // thin margin over a neighbour does not need a confirmation first.
            let margin = if best.fiche.clarify.is_some() {
                f32::INFINITY
            } else {
                best.margin
            };
            self.policy
                .verdict(best.confidence, margin, self.inbound.asr_confidence)
        });
        // The recorded questions most like this one, read once for every rule below.
        let resemblance = self.kb().resemblance(searched);
        let resemblance = resemblance.as_ref();
        // A body that specialises the match, or a helpline close behind it, when recorded
        // callers meant it (see `TurnInProgress::recorded_specialist`).
        let best = best.map(|best| self.recorded_specialist(best, &hits, resemblance));
        // Their second opinion (see `Policy::second_opinion`): a sure-looking match meant for
        // another topic is confirmed first, a middling one meant for this topic answered.
        let reconsidered = best.as_ref().map_or(verdict, |best| {
            // A sure helpline for a person in danger is never held back: a close second line
            // is given with it (see below).
            if verdict == Verdict::NotUnderstood
                || crate::emergency::is_never_doubted(&best.fiche.id)
            {
                return verdict;
            }
            self.policy.second_opinion(
                verdict,
                (best.fiche, best.confidence),
                &hits,
                resemblance,
                |topic| self.related(best.fiche, topic),
                self.inbound.asr_confidence,
            )
        });
        let doubted = verdict == Verdict::Answer && reconsidered == Verdict::Confirm;
        // Unsure of its match, the robot asks about the topic the recorded questions most like
        // the caller's were meant for, if any (see `Policy::recorded_reading`); else a guess is
        // asked about only on a word of the fiche's own (see `Match::worth_asking`). A guess at
        // a matter no public service handles (the caller's bank, employer…) is not worth a
        // confirmation: a « oui » would only lead to « not the mairie's ». Such a request is
        // read as not understood, and the recorded questions may still name whose it is.
        let reading = best
            .as_ref()
            .filter(|_| reconsidered == Verdict::Confirm)
            .and_then(|best| self.recorded_reading(best, &hits, resemblance));
        let verdict = match &best {
            Some(best)
                if reconsidered == Verdict::Confirm
                    && reading.is_none()
                    && !best.worth_asking(&hits) =>
            {
                Verdict::NotUnderstood
            }
            Some(best)
                if reconsidered == Verdict::Confirm && !best.fiche.competence.is_public() =>
            {
                Verdict::NotUnderstood
            }
            _ => reconsidered,
        };
        // On hold, only a sure request for a public service is taken (see `crate::line`).
        let sure_public = matches!(verdict, Verdict::Answer)
            && best
                .as_ref()
                .is_some_and(|best| best.fiche.competence.is_public());
        // Where the mairie is, when it is open: in words the search cannot read (`crate::mairie`).
        if !hold && self.answers_about_the_mairie(matches!(verdict, Verdict::Answer)) {
            return;
        }
        // Unsure, the search gives its guess at a line for a person in danger straight away
        // when it can (`TurnInProgress::gives_unsure_line`, below); else a line the recorded
        // questions most like the caller's first words were meant for is given
        // (`Policy::recorded_line`), then the search's guess at another line.
        let unsure_line = best.as_ref().is_some_and(|best| {
            verdict == Verdict::Confirm && self.gives_unsure_line(best, &hits, resemblance)
        });
        if !hold
            && !angry
            && !unsure_line
            && clarifying.is_none()
            && verdict != Verdict::Answer
            && let Some(line) = self.recorded_danger_line(resemblance)
        {
            self.handle_fiche(line, "recorded_line");
            if let Some(best) = best.filter(|best| {
                best.fiche.id != line.id && crate::emergency::is_danger_line(&best.fiche.id)
            }) {
                self.also_give_line(best.fiche);
            }
            return;
        }
        match (best, verdict) {
            _ if hold && !sure_public => self.ask_again(AskAgain::HOLD, clarifying),
            (Some(best), Verdict::Answer)
                if clarifying.is_some_and(|pending| pending.id == best.fiche.id) =>
            {
                // The same topic again, without an option: ask the question again.
                self.not_understood("clarify_repeat", clarifying);
            }
            // A sure match on a line for a person in danger is given even to a caller whose
            // words read as irritation ("j'en peux plus, je veux en finir"): distress, not
            // anger at the robot, and at night a human would only be a callback.
            // Another such line close behind is given too ("mon compagnon me frappe… avec les
            // enfants": the 119 and the 3919), the caller hearing both numbers.
            (Some(best), Verdict::Answer)
                if topic_named || crate::emergency::is_danger_line(&best.fiche.id) =>
            {
                self.handle_fiche(best.fiche, "best_match");
                if crate::emergency::is_danger_line(&best.fiche.id)
                    && let Some(rival) = crate::emergency::other_danger_line(
                        &hits,
                        &best.fiche.id,
                        best.confidence * crate::emergency::SECOND_LINE_SHARE,
                    )
                    .and_then(|hit| self.fiche(&hit.fiche_id))
                {
                    self.also_give_line(rival);
                }
            }
            (Some(_), Verdict::Answer | Verdict::Confirm) if angry => self.hand_off(
                "anger",
                "appelant mécontent, sujet incertain",
                None,
                AfterCallback::Continue,
            ),
            // A guess to confirm does not reset the count of misunderstandings: a caller
            // who says "non" after a reformulation goes to a human, never round in circles.
            // An unsure guess at a line for a person in danger given straight away (see
            // `TurnInProgress::gives_unsure_line`).
            (Some(best), Verdict::Confirm) if unsure_line => {
                self.handle_fiche(best.fiche, "danger_line")
            }
            // The topic the recorded questions read (see `reading` above): asked about, or named
            // when it is no public service's business.
            (Some(_), Verdict::Confirm) if let Some(other) = reading => {
                self.ask_or_name(other, "recorded_reading")
            }
            (Some(best), Verdict::Confirm) if doubted => {
                self.confirm(best.fiche, "resembles_another_topic")
            }
            (Some(best), Verdict::Confirm) => self.confirm(best.fiche, "middling_confidence"),
            _ if angry => self.hand_off(
                "anger",
                "appelant mécontent, demande non comprise",
                None,
                AfterCallback::Continue,
            ),
            // Nothing the search is sure enough of, no question pending: the topic the recorded
            // questions most like the caller's were meant for, when they agree strongly enough,
            // is asked about (a matter of no public service is named) rather than asking the
            // caller to start again (see `Policy::recorded_topic`). Only for the call's first
            // request: the recorded questions are callers' first words, and a later one leans
            // on what was said before (« et je peux déplacer un rendez-vous déjà pris »).
            _ if clarifying.is_none()
                && self.session.topics.is_empty()
                && let Some(fiche) = self.recorded_guess(resemblance) =>
            {
                self.ask_or_name(fiche, "recorded_topic")
            }
            _ => self.not_understood("not_understood", clarifying),
        }
    }

    /// A topic the recorded questions read: a public service's is asked about (« vous appelez
    /// bien au sujet de… ? »); a matter of no public service is named straight away, a « oui »
    /// would only lead to « not the mairie's ».
    fn ask_or_name(&mut self, fiche: &Fiche, rule: &'static str) {
        if fiche.competence.is_public() {
            self.confirm(fiche, rule)
        } else {
            self.handle_fiche(fiche, rule)
        }
    }

    /// Not understood: ask to rephrase once (with an example, or the pending clarifying
    /// question again); a second time in a row, hand off.
    fn not_understood(&mut self, rule: &'static str, clarifying: Option<&Fiche>) {
        self.ask_again(AskAgain::not_understood(rule), clarifying)
    }

    /// Asks again: the pending clarifying question, else the motive of the call. A request
    /// not understood twice in a row (or words about a bad line twice) goes to a human.
    fn ask_again(&mut self, how: AskAgain, clarifying: Option<&Fiche>) {
        self.session.misunderstandings = self.session.misunderstandings.saturating_add(1);
        if self.session.misunderstandings >= 2 {
            return self.hand_off_not_understood("two_misunderstandings", how.second_time);
        }
        self.decide(DecisionAction::Fallback, how.rule, None);
        self.note(how.note);
        match clarifying.and_then(|fiche| fiche.clarify.as_ref().map(|clarify| (fiche, clarify))) {
            Some((fiche, clarify)) => {
                self.say(how.opening);
                self.say(crate::speech::speakable(&clarify.question));
                self.session.pending = Pending::Clarify {
                    fiche: fiche.id.clone(),
                };
                self.decision.fiche = Some(fiche.id.clone());
            }
            None => {
                for sentence in how.prompt {
                    self.say(sentence);
                }
            }
        }
    }

    /// An empty message: reprompt once; a second silence in a row ends the call (or
    /// transfers, when the mairie is open on the voice channel).
    fn silence(&mut self) {
        self.session.silences = self.session.silences.saturating_add(1);
        if self.session.silences >= 2 {
            if self.is_voice() && self.mairie_is_open() {
                return self.hand_off(
                    "silence_twice",
                    "l'appelant ne répond plus",
                    None,
                    AfterCallback::Continue,
                );
            }
            self.say("Je ne vous entends pas. N'hésitez pas à rappeler la mairie. Au revoir.");
            self.decide(DecisionAction::Goodbye, "silence_twice", None);
            self.note("deux silences : fin de l'appel");
            return self.hang_up();
        }
        self.decide(DecisionAction::Fallback, "silence_reprompt", None);
        self.note("silence : relance");
        self.say("Je ne vous entends pas.");
        match self.session.pending.clone() {
            Pending::Clarify { fiche } => {
                if let Some(clarify) = self.fiche(&fiche).and_then(|fiche| fiche.clarify.as_ref()) {
                    self.say(crate::speech::speakable(&clarify.question));
                }
            }
            Pending::Nothing => self.say("En quelques mots, quel est le motif de votre appel ?"),
            Pending::ReportPlace { .. } => self.say(crate::report::WHERE_QUESTION),
            _ => self.say("Pouvez-vous répéter, s'il vous plaît ?"),
        }
    }

    /// A declined offer (report or human): a firm goodbye ends the call, else "autre chose ?".
    fn decline_offer(&mut self, rule: &str) {
        if intents::is_firm_goodbye(&self.text) {
            return self.goodbye();
        }
        self.say("Très bien.");
        self.ask_anything_else();
        self.decide(DecisionAction::Clarify, rule, None);
        self.note("offre déclinée");
    }

    /// The caller is done: the satisfaction question first if the robot answered something,
    /// else goodbye and hang up.
    fn goodbye(&mut self) {
        if self.session.resolved && self.session.satisfaction.is_none() {
            let how = if self.session.channel == Channel::Voice {
                "Dites"
            } else {
                "Répondez"
            };
            self.say(format!(
                "Ma réponse vous a-t-elle été utile ? {how} oui ou non."
            ));
            self.session.pending = Pending::Satisfaction;
            self.decide(DecisionAction::Goodbye, "satisfaction_question", None);
            self.note("question de satisfaction");
            return;
        }
        self.say(format!(
            "Merci de votre appel. La mairie de {} vous souhaite une bonne journée. Au revoir.",
            self.kb().commune().name
        ));
        self.decide(DecisionAction::Goodbye, "goodbye", None);
        self.note("fin de l'appel");
        self.hang_up();
    }

    fn record_satisfaction(&mut self, useful: bool) {
        self.session.satisfaction = Some(useful);
        self.decision.satisfaction = Some(useful);
        self.say("Merci pour votre réponse. Au revoir et bonne journée.");
        self.decide(DecisionAction::Goodbye, "satisfaction_recorded", None);
        self.note(if useful {
            "satisfaction : utile"
        } else {
            "satisfaction : pas utile"
        });
        self.hang_up();
    }
}
