//! Which fiche a search's hits point to: the best hit, or the question that clarifies it, or a
//! body that specialises it for the caller's public (or, from the recorded questions, the body
//! a recourse is beside, or a helpline for a person in danger); and its lead over the next hit
//! of another topic.

use guichet_knowledge::{Fiche, Hit, Resemblance};

use crate::turn::TurnInProgress;

/// Least share of the best fiche's confidence at which a body that specialises it
/// (`specialises:` in the fiche: the MSA for the CPAM, the CAF and the pension fund), or is a
/// recourse beside it (`recourse_for:`: the Défenseur des droits, France Victimes), is named
/// instead (see `TurnInProgress::best_match`), when the caller also said a word of its own public
/// (its title or keywords: "exploitant agricole", "discrimination", "victime") that the best
/// fiche's title and keywords do not have. Swept on batches 1–3 and 4 of the dev split
/// without that condition: 0.4 and 0.5 added a false answer to batches 1–3, 0.7 kept one of
/// 0.6's three gains. With it (2026-12-05, ninth pass, batches 1–6; fiches right / false
/// answers): 0.6 1386 / 43, 0.45 1387 / 43, 0.3 1387 / 43, 0.15 1386 / 44.
pub const SPECIALISED_RATIO: f32 = 0.45;

/// The best hit, and its lead over the next hit that is not the same topic (a clarifying
/// fiche and its options are the same topic).
pub(crate) struct Match<'k> {
    pub(crate) fiche: &'k Fiche,
    pub(crate) confidence: f32,
    pub(crate) margin: f32,
}

impl Match<'_> {
    /// Whether a guess at this match is worth a « vous appelez bien au sujet de… ? »: the
    /// caller said a distinctive word of the fiche's own title or keywords
    /// ([`Hit::keyword_concepts`]). A fiche found only through its answer's or its example
    /// questions' words is a stretch, not a topic to propose: « ah ben ça répond » was asked
    /// about the Défenseur des droits, « pfff crrr… » about the building permit, « un
    /// orthophoniste pour mon fils » about the MDPH. Not understood, the robot reads the
    /// recorded questions (`Policy::recorded_topic`: « un orthophoniste… » is a care provider's
    /// business) or asks to rephrase. A clarifying fiche only asks its question, and an unsure
    /// guess at a line for a person in danger keeps its own rules (`crate::emergency`).
    ///
    /// Measured on 2026-12-08 (thirty-first pass in `docs/tuning-log.md`), each dev batch
    /// against the demo commune without its own dialogues (fiches right / false answers / out
    /// of scope handled / turns right, over 8,419 scored turns): always asked 5,955 / 289 /
    /// 4,177 / 6,191; **only on a word of its own** 5,962 / 289 / 4,210 / 6,214 (32 turns set
    /// right, 9 callers about a noise, a dumped load, a lost jacket asked to rephrase rather
    /// than asked about the right topic). For the lines in danger too, 5,957 / 287 / 4,207 /
    /// 6,211: six women and children in danger lost their line. A sure match answered only on
    /// a word of its own (confirmed otherwise), 5,957 / 279 / 4,199 / 6,201: 10 false answers
    /// fewer, but 13 callers set wrong and some thirty right answers turned into questions.
    /// The demo's dialogues unchanged.
    pub(crate) fn worth_asking(&self, hits: &[Hit]) -> bool {
        self.fiche.clarify.is_some()
            || crate::emergency::is_danger_line(&self.fiche.id)
            || hits
                .iter()
                .any(|hit| hit.fiche_id == self.fiche.id && hit.keyword_concepts != 0)
    }
}

impl<'a> TurnInProgress<'a> {
    /// The best hit and its margin over the next hit of another topic; when a specific fiche
    /// barely leads the clarifying fiche it belongs to, the clarifying fiche (ask, don't guess);
    /// when a body that specialises the best fiche for a public of its own is nearly as likely
    /// ([`SPECIALISED_RATIO`]), that body. A fiche and the bodies that specialise it are one
    /// topic for the margin: the MSA does not make the CPAM's answer unsure.
    pub(crate) fn best_match(&self, hits: &[Hit]) -> Option<Match<'a>> {
        let top = hits.first()?;
        let mut fiche = self.fiche(&top.fiche_id)?;
        let confidence = top.confidence;
        // A specific fiche whose distinguishing words the caller did not say ("je voudrais
        // faire un passeport" → not "perdu", "expiré"…): ask the clarifying fiche's question.
        if let Some(parent) = hits
            .iter()
            .skip(1)
            .filter(|hit| hit.confidence >= top.confidence * self.policy.family_ratio)
            .filter_map(|hit| self.fiche(&hit.fiche_id))
            .find(|parent| goes_to(parent, &fiche.id))
            && let Some(clarify) = &parent.clarify
            && crate::clarify::option_for(clarify, &self.text).is_none()
            && crate::clarify::option_by_terms(clarify, &self.inbound.text, self.kb().synonyms())
                .is_none()
        {
            // The family keeps the best confidence: the topic is sure, the variant is not.
            fiche = parent;
        }
        // A body that takes the best fiche's mission over for a public of its own (or is a
        // recourse beside it), nearly as likely, when the caller said what makes them its
        // public, a word of its title or keywords that the best fiche's do not have
        // ("exploitant agricole" with "allocations familiales": the MSA, not the CAF; "on m'a
        // volé mon portable dans le bus": the complaint, not France Victimes, whose "bus" is
        // only an example question's). The topic's confidence stays. Not when the caller asks
        // for the best fiche's own service ("je veux porter plainte": the complaint, whoever the
        // victim; see `crate::wish`).
        if let Some(special) = hits
            .iter()
            .skip(1)
            .filter(|hit| hit.confidence >= top.confidence * SPECIALISED_RATIO)
            .filter(|hit| hit.keyword_concepts & !top.keyword_concepts != 0)
            .filter_map(|hit| self.fiche(&hit.fiche_id))
            .find(|special| specialises(special, &fiche.id))
            && !crate::wish::asks_for(&self.text, &fiche.keywords)
        {
            fiche = special;
        }
        let next = hits
            .iter()
            .find(|hit| !self.related(fiche, &hit.fiche_id))
            .map_or(0.0, |hit| hit.confidence);
        Some(Match {
            fiche,
            confidence,
            margin: (confidence - next).max(0.0),
        })
    }

    /// The match, or a body that specialises it for a public of its own (`specialises:`: the
    /// MSA for the CPAM) when the recorded questions most like the caller's were meant for that
    /// body, from a strength of [`crate::Policy::recorded_reading`] (« mon père a été paysan
    /// toute sa vie, il touche une toute petite retraite » → the MSA), unless the caller asks
    /// for the match's own service (« je veux porter plainte », see `crate::wish`). The search
    /// alone names such a body only when the caller said a word of its public and it scores
    /// nearly as well (see [`SPECIALISED_RATIO`]); callers often say their public in other
    /// words (« éleveur », « le tracteur »). The topic's confidence stays.
    ///
    /// The other way round only for a recourse (`recourse_for:`): a match on the Défenseur des
    /// droits or France Victimes goes to the body they are a recourse beside when the recorded
    /// callers meant that body (« ma cheffe refuse mes congés d'août » → the employer first;
    /// « mon voisin m'a menacé avec un couteau, je veux que ce soit enregistré » → the
    /// complaint). Not for a body of a public: recorded callers asking the CPAM do not say
    /// whether the caller farms, and the MSA would be given back to the CPAM for callers who
    /// said « pépinière » or « maraîcher » (twenty-seventh and twenty-eighth passes in
    /// `docs/tuning-log.md`).
    ///
    /// And a helpline for a person in danger that the search found close behind, when the
    /// recorded callers meant it (see [`recorded_line`]).
    pub(crate) fn recorded_specialist(
        &self,
        best: Match<'a>,
        hits: &[Hit],
        resemblance: Option<&Resemblance<'_>>,
    ) -> Match<'a> {
        let other = self
            .policy
            .recorded_specialist(resemblance)
            .and_then(|topic| self.fiche(topic))
            .filter(|other| {
                specialises(other, &best.fiche.id)
                    || is_recourse_for(best.fiche, &other.id)
                    || recorded_line(&best, other, hits)
            })
            .filter(|_| !crate::wish::asks_for(&self.text, &best.fiche.keywords));
        Match {
            fiche: other.unwrap_or(best.fiche),
            ..best
        }
    }

    /// One topic for the margin and the recorded questions: the same fiche, a clarifying
    /// fiche and its options, a fiche and the bodies that specialise it or are a recourse
    /// beside it.
    pub(crate) fn related(&self, a: &Fiche, b: &str) -> bool {
        a.id == b
            || goes_to(a, b)
            || specialises(a, b)
            || self
                .fiche(b)
                .is_some_and(|b| goes_to(b, &a.id) || specialises(b, &a.id))
    }

    /// Whether a topic of the recorded questions is a public service's (a fiche not
    /// published here counts as one: it is never named as no public service's business).
    fn is_public_topic(&self, topic: &str) -> bool {
        self.fiche(topic)
            .is_none_or(|fiche| fiche.competence.is_public())
    }

    /// The fiche the recorded questions most like the caller's were meant for, strongly
    /// enough, when the search understood nothing (see [`crate::Policy::recorded_topic`]);
    /// never a line for a person in danger, which the recorded questions alone do not give.
    pub(crate) fn recorded_guess(
        &self,
        resemblance: Option<&Resemblance<'_>>,
    ) -> Option<&'a Fiche> {
        let topic = self
            .policy
            .recorded_topic(resemblance, |topic| self.is_public_topic(topic))?;
        self.fiche(topic)
            .filter(|fiche| !crate::emergency::is_danger_line(&fiche.id))
    }

    /// A helpline for a person in danger that the recorded questions most like the caller's
    /// were meant for, strongly enough to be given although the search is unsure (see
    /// [`crate::Policy::recorded_line`]).
    pub(crate) fn recorded_danger_line(
        &self,
        resemblance: Option<&Resemblance<'_>>,
    ) -> Option<&'a Fiche> {
        let topic = self.policy.recorded_line(resemblance)?;
        self.fiche(topic)
            .filter(|fiche| crate::emergency::is_danger_line(&fiche.id))
    }

    /// The topic to ask about (or, a matter of no public service, to name) instead of an
    /// unsure `best` match, read from the recorded questions (see
    /// [`crate::Policy::recorded_reading`]): not when the caller said a word of the match's own
    /// title or keywords that the other topic's lack, never a line for a person in danger.
    pub(crate) fn recorded_reading(
        &self,
        best: &Match<'a>,
        hits: &[Hit],
        resemblance: Option<&Resemblance<'_>>,
    ) -> Option<&'a Fiche> {
        let other = self.policy.recorded_reading(
            resemblance,
            |topic| self.related(best.fiche, topic),
            |topic| self.is_public_topic(topic),
        )?;
        let keyword_concepts = |id: &str| {
            hits.iter()
                .find(|hit| hit.fiche_id == id)
                .map_or(0, |hit| hit.keyword_concepts)
        };
        if keyword_concepts(&best.fiche.id) & !keyword_concepts(other) != 0 {
            return None;
        }
        self.fiche(other)
            .filter(|fiche| !crate::emergency::is_danger_line(&fiche.id))
    }

    /// Whether an unsure guess at a line for a person in danger (119, 3919, 3114, 15) is given
    /// straight away rather than asked about: it leads (no other topic is nearly as likely:
    /// `Policy::leads_for_danger_line`), no other such line is nearly as likely, and the
    /// recorded questions most like the caller's were not meant for another topic.
    pub(crate) fn gives_unsure_line(
        &self,
        best: &Match<'a>,
        hits: &[Hit],
        resemblance: Option<&Resemblance<'_>>,
    ) -> bool {
        crate::emergency::is_danger_line(&best.fiche.id)
            && self.policy.leads_for_danger_line(best.margin)
            && crate::emergency::other_danger_line(
                hits,
                &best.fiche.id,
                best.confidence * crate::emergency::RIVAL_SHARE,
            )
            .is_none()
            && !self.doubts_danger_line(best.fiche, resemblance)
    }

    /// Whether an unsure guess at `line`, a line for a person in danger, is asked about rather
    /// than given (see [`crate::Policy::doubts_danger_line`]).
    pub(crate) fn doubts_danger_line(
        &self,
        line: &Fiche,
        resemblance: Option<&Resemblance<'_>>,
    ) -> bool {
        self.policy
            .doubts_danger_line(resemblance, |topic| self.related(line, topic))
    }
}

/// `line`, a helpline for a person in danger that is never doubted (the 119, the 3919, the
/// 3114), is named instead of an uncertain `best` match, the recorded questions most like the
/// caller's being meant for it: the search found it close behind, at least
/// [`crate::emergency::SECOND_LINE_SHARE`] of the match's confidence, a share at which a sure
/// line would give it too. « mon compagnon me prend mon téléphone et ma carte bleue, il
/// contrôle tout » → the 3919, not the bank; « ma voisine se fait frapper par son mari… qui
/// peut l'aider » → the 3919 before the 119. Asking « vous appelez bien au sujet de… ? » or
/// naming a bank costs a person in danger more than a number they did not need. Not when the
/// caller asks for the match's own service, as for a body (see `crate::wish`).
fn recorded_line(best: &Match<'_>, line: &Fiche, hits: &[Hit]) -> bool {
    line.id != best.fiche.id
        && crate::emergency::is_never_doubted(&line.id)
        && best.confidence < crate::emergency::CERTAIN_MATCH
        && hits.iter().any(|hit| {
            hit.fiche_id == line.id
                && hit.confidence >= best.confidence * crate::emergency::SECOND_LINE_SHARE
        })
}

/// `from` asks a question one of whose answers leads to `to`.
fn goes_to(from: &Fiche, to: &str) -> bool {
    from.clarify
        .as_ref()
        .is_some_and(|clarify| clarify.options.iter().any(|option| option.goto == to))
}

/// `from` takes `to`'s mission over for a public of its own (`specialises:`), or is a recourse
/// or a support beside it (`recourse_for:`).
fn specialises(from: &Fiche, to: &str) -> bool {
    from.specialises.iter().any(|id| id == to) || is_recourse_for(from, to)
}

/// `from` is a recourse or a support beside `to` (`recourse_for:`).
fn is_recourse_for(from: &Fiche, to: &str) -> bool {
    from.recourse_for.iter().any(|id| id == to)
}
