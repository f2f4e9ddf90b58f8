//! The thresholds the engine decides on: one place, public so the eval can report them.

use serde::{Deserialize, Serialize};

/// Decision thresholds, on the knowledge base's `confidence` (in [0, 1], comparable across
/// queries) and on the speech recogniser's transcription confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// At or above: answer straight away (if the margin is enough and the ASR is sure).
    pub answer_confidence: f32,
    /// At or above (and below `answer_confidence`, or with a thin margin / unsure ASR):
    /// ask "Vous appelez bien au sujet de … ?". Below: not understood.
    pub confirm_confidence: f32,
    /// Minimum lead of the best fiche over the next unrelated one to answer without confirming.
    pub min_margin: f32,
    /// Below this transcription confidence, a confident match is confirmed first.
    pub low_asr_confidence: f32,
    /// When the best fiche is one option of a clarifying fiche that scores at least this share
    /// of its confidence, and the caller said none of the options' words, the clarifying
    /// question is asked ("un passeport" → "perdu, volé, expiré ?") rather than guessing.
    pub family_ratio: f32,
}

impl Default for Policy {
    /// The operating point, chosen on the **dev** split of the demo commune's dialogues
    /// (`guichet eval --split dev`: the demo's recorded dialogues, 176 out-of-scope questions
    /// and 60 in-scope paraphrases; the `test` split is never looked at for this) with the
    /// national catalogue loaded. Swept (answer / confirm → committed fiches right of 512,
    /// misroutes, false answers of 685 scored turns, out-of-scope handled of 314):
    ///
    /// | answer | confirm | fiche right | misroutes | false answers | out of scope ok |
    /// |---|---|---|---|---|---|
    /// | 0.22 | 0.20 (before) | 484 | 9 | 31 (4.5 %) | 258 |
    /// | 0.30 | 0.25 | 475 | 9 | 22 (3.2 %) | 259 |
    /// | 0.30 | 0.30 | 456 | 9 | 22 | 266 |
    /// | **0.35** | **0.25** | **475** | **6** | **16 (2.3 %)** | **250** |
    /// | 0.40 | 0.25 | 475 | 6 | 12 (1.8 %) | 245 |
    ///
    /// The sweep's best row, 0.35 / 0.25, halves the false answers on dev, but between 0.25 and
    /// 0.35 the robot then asks "vous appelez bien au sujet de … ?" where the demo's recorded
    /// dialogues (`agent/tests/it/dialogues.rs`, 54 of their 449 turns) expect a direct answer:
    /// spoken requests that name their topic among many other words score 0.25–0.45. Until
    /// those requests score higher (a search that weighs the words no fiche covers), the
    /// operating point stays at 0.22 / 0.20 and the national catalogue alone brings the false
    /// answers down (dev: 8.6 % → 4.5 %). Two search changes were swept and **not** kept,
    /// since they cost right answers on dev for no fewer false answers: weighing a word
    /// unknown to the folder 1.5× or 2× (462/512 right), and requiring the fiche to cover a
    /// word used by at most 3 or 5 fiches (462/512).
    ///
    /// Swept again (issue 14, item 4) with `guichet eval --no-record --split dev
    /// --answer-confidence A --confirm-confidence C` (the replay in process with other
    /// thresholds), on two general search rules, each against the same 512 / 685 / 314 turns:
    ///
    /// - *foreign words*: each query word that no fiche and no synonym uses lowers every
    ///   fiche's confidence (×0.8 or ×0.65, at most twice);
    /// - *stretched match*: a fiche whose most informative covered word is used by more than
    ///   3 fiches, while the query says a word of the folder that is more informative and
    ///   that the fiche lacks ("carte" without "vitale"), weighs ×0.6.
    ///
    /// | rule | answer / confirm | fiche right | false answers | out of scope ok |
    /// |---|---|---|---|---|
    /// | none | 0.22 / 0.20 | 485 | 31 (4.5 %) | 259 |
    /// | none | 0.30 / 0.25 | 476 | 22 (3.2 %) | 260 |
    /// | none | 0.35 / 0.25 | 476 | 16 (2.3 %) | 249 |
    /// | foreign ×0.8 | 0.35 / 0.25 | 446 | 12 (1.8 %) | 249 |
    /// | foreign ×0.65 | 0.35 / 0.25 | 420 | 10 (1.5 %) | 245 |
    /// | stretched ×0.6 | 0.22 / 0.20 | 475 | 37 (5.4 %) | 257 |
    /// | both (×0.8, ×0.6) | 0.35 / 0.25 | 437 | 14 (2.0 %) | 248 |
    ///
    /// Neither rule was kept: a word the folder does not know is as often the caller's own
    /// circumstances ("ma fille est étudiante") as the topic ("carte bleue"), so weighing it
    /// turns right answers into confirmations (−30 to −65 right answers for −4 to −6 false
    /// answers); and the stretched-match factor moves the doubt from the first fiche to the
    /// second, which is as often wrong (more false answers, not fewer). The remaining false
    /// answers on dev are mostly one rare word of a fiche said in another sense ("votre
    /// prénom" → `changement-prenom`, "mes congés" → `adil`, "résilier mon abonnement
    /// internet" → `eau-potable`): telling them apart needs knowledge of French outside the
    /// folder (word frequencies, or the national catalogue extended to those bodies), not a
    /// threshold. The operating point therefore stays at 0.22 / 0.20.
    ///
    /// Swept again on 2026-12-04, after the national catalogue gained the bodies of no public
    /// service (`competence: aucune`: banks, insurers, telecoms, energy, employers…) and the
    /// deflection fiches their bodies' vocabulary (dev: 520 turns expecting a fiche, 693 scored,
    /// 314 out of scope):
    ///
    /// | answer / confirm | fiche right | false answers | out of scope ok |
    /// |---|---|---|---|
    /// | 0.18 / 0.15 | 496 (95.4 %) | 6 (0.9 %) | 296 |
    /// | 0.20 / 0.18 | 496 | 6 | 297 |
    /// | **0.22 / 0.20** | **496** | **6** | **297 (94.6 %)** |
    /// | 0.25 / 0.20 | 496 | 6 | 293 |
    /// | 0.30 / 0.22 | 496 | 6 | 287 |
    /// | 0.30 / 0.25 | 487 | 6 | 287 |
    /// | 0.35 / 0.25 | 487 | 6 | 275 (87.6 %) |
    ///
    /// The false answers no longer move with the thresholds: the ones left score well above
    /// 0.35 (a word of a fiche said in another sense), so raising the bar only turns the
    /// catalogue's confident redirections ("ça, c'est la CPAM") into « vous appelez bien au
    /// sujet de… ? » questions. 0.22 / 0.20 stays the operating point: the top of a plateau
    /// from 0.20 to 0.22, where every figure is at its best.
    ///
    /// Generalisation, measured on 2026-12-04 (issue 14): a second dev batch was written
    /// before any change, in other styles than the first (long spoken sentences with the topic
    /// in the middle, circumstances, colloquial words, spelled acronyms):
    /// `hors-perimetre/dev/*-2.yaml` (183 out-of-scope questions) and
    /// `paraphrases/dev-2.yaml` (76 in-scope paraphrases). The unchanged engine scored on it
    /// alone 137/203 fiches right (67.5 %), 98/183 out of scope handled (53.6 %) and 27/259
    /// false answers (10.4 %), against 95.4 % / 94.6 % / 0.9 % on the first dev batch: the
    /// honest estimate of what the engine did on phrasings it had not been fitted to. Then,
    /// measured on the first batch ("old", 520 / 693 / 314 turns), the fresh batch ("fresh",
    /// 202 / 259 / 183) and the demo gate (`dialogues/*.yaml`, 336 fiche turns), at 0.22 / 0.20:
    ///
    /// | change (cumulative) | old: right / false / oos ok | fresh: right / false / oos ok | gate right |
    /// |---|---|---|---|
    /// | none | 496 / 6 / 297 | 137 / 27 / 98 | 327 |
    /// | catalogue vocabulary (kept) | 502 / 4 / 300 | 165 / 18 / 138 | 326 |
    /// | + unsure guess at a body of no public service not confirmed (kept) | 502 / 4 / 300 | 165 / 18 / 142 | 326 |
    /// | + phatic and quantity words (kept) | 502 / 4 / 300 | 165 / 15 / 145 | 326 |
    /// | + generic words weigh ×0.5 (kept) | 503 / 4 / 301 | 165 / 15 / 146 | 327 |
    /// | **+ a fiche's own phrase said: confidence ≥ 0.5 (kept)** | **504 / 4 / 300** | **173 / 15 / 158** | **328** |
    /// | same, floor 0.25 / 0.3 | 503 / 4 / 301 ; 503 / 4 / 300 | 168 / 15 / 148 ; 168 / 15 / 151 | 327 |
    /// | same, floor 0.4 / 0.45 | 502 / 5 / 300 ; 503 / 5 / 300 | 173 / 14 / 155 ; 173 / 14 / 158 | 326 ; 327 |
    /// | same, floor 0.55 / 0.6 / 0.7 | 503 / 4–5 / 300 | 173 / 15 / 158 | 327 |
    /// | same, generic words ×0.25 (*) | 500 / 8 / 302 | 167 / 14 / 149 | 324 |
    /// | same, generic words ×0 (*) | 498 / 7 / 301 | 167 / 14 / 149 | 322 |
    /// | words unknown to the folder weigh ×0.8 or ×0.6 (*) | ±0 | +1 right, +1 oos | ±0 |
    ///
    /// (*) swept with a first version of the vocabulary that also held words merely repeating
    /// the fresh batch's small talk ("capitale", "cousin", "boulangerie"…), taken out before
    /// committing as vocabulary keyed to utterances; the differences between rows hold.
    ///
    /// - *Catalogue vocabulary*: each body's fiche names more of what a standardiste knows of
    ///   its domain (missions, benefits, documents, acronyms, everyday and former names:
    ///   Assedic, CMG, FICP, Carsat, PCH, RQTH, tutelle, vice caché…), in the national
    ///   catalogue and in the demo's own copies of the deflection fiches.
    /// - *Unsure guess at a body of no public service*: when the best match is a fiche of
    ///   `competence: aucune` (bank, insurer, employer, weather…) with only a middling
    ///   confidence, the robot asks to reformulate instead of « vous appelez bien au sujet
    ///   de… ? »: a "oui" would only lead to "cela ne relève pas de la mairie".
    /// - *Phatic and quantity words*: "vous m'entendez", "attendez" are fillers; "nouveau",
    ///   "dix ans", "le mois" are generic words (they qualify a topic, never name one: "un
    ///   nouveau chéquier" no longer finds `passeport` through "nouveau").
    /// - *Generic words weigh half* their IDF in the confidence (`GENERIC_WEIGHT` in the
    ///   search): "carte de résident de dix ans" is carried by "résident", not by "dix ans".
    ///   Lower factors gain little on the fresh batch and lose right answers (and add false
    ///   answers) on the old batch and the gate.
    /// - *A fiche's own phrase*: when the query says, word for word and uncorrected, a keyword
    ///   of two words or more that only one fiche has ("carte Vitale", "indemnités
    ///   journalières", "mise sous tutelle"), that fiche's confidence is at least 0.5
    ///   (`PHRASE_CONFIDENCE` in the search), however long the sentence around it: 8 more
    ///   right fiches and 12 more out-of-scope questions handled on the fresh batch. Its cost:
    ///   a phrase said in another sense now answers ("déposer une plainte au sujet des services
    ///   municipaux" → `plainte`, "la caisse de retraite" in a request for a marriage
    ///   certificate → `assurance-retraite`), at the same count of false answers overall.
    /// - *Unknown words lighter* was tried and not kept: almost no word stays unknown (the
    ///   catalogue's vocabulary and the edit-distance correction absorb them), so it moved
    ///   nothing.
    ///
    /// The thresholds swept again with all kept changes (old right / false / oos ok; fresh
    /// right / false / oos ok; gate right):
    ///
    /// | answer / confirm | old | fresh | gate |
    /// |---|---|---|---|
    /// | 0.20 / 0.18 | 504 / 4 / 300 | 173 / 15 / 158 | 328 |
    /// | 0.22 / 0.20 (before) | 504 / 4 / 300 | 173 / 15 / 158 | 328 |
    /// | 0.25 / 0.20 | 504 / 4 / 298 | 173 / 14 / 157 | 328 |
    /// | **0.30 / 0.22** | **503 / 4 / 296** | **172 / 12 / 155** | **327** |
    /// | 0.35 / 0.25 | 499 / 3 / 294 | 168 / 10 / 147 | 323 (96.1 %) |
    ///
    /// The operating point moves to 0.30 / 0.22: it takes 3 false answers off the fresh batch
    /// (whole dev split: 19 → 16 of 952, 2.0 → 1.7 %) for 3 + 4 redirections turned into
    /// « vous appelez bien au sujet de… ? » (out of scope handled 92.2 → 90.7 %) and 2 right
    /// answers (93.8 → 93.5 %): a confirmation question costs the caller a "oui", a false
    /// answer sends them away misinformed. The recorded demo dialogues
    /// (`agent/tests/it/dialogues.rs`) and the demo gate (97.3 %) pass there. 0.35 / 0.25
    /// would take 2 more false answers for 10 more redirections and 8 right answers (gate
    /// 96.1 %). What is left on the fresh batch at 0.30 / 0.22 (12 false answers of 259,
    /// 4.6 %; 28 of 183 out-of-scope questions not handled, most of them a middling-confidence
    /// confirmation) is mostly a word or phrase of another fiche said in another sense ("ma
    /// grand-mère est tombée" → the cemetery's "tombe", "le complément de mode de garde pour
    /// ma nounou" → `creche`), and long sentences whose topic weighs little among the
    /// caller's circumstances: telling these apart needs more than word statistics over the
    /// folder.
    ///
    /// Generalisation measured a third time on 2026-12-04 (issue 14): a third dev batch was
    /// written before any change, in phrasings of its own (long rambling sentences, elderly or
    /// upset callers, transcription faults, a fiche's word in another sense: "le bac de ma
    /// fille", "une prime à la naissance", "mon compteur Linky"): `hors-perimetre/dev/*-3.yaml`
    /// (138 out-of-scope questions over every category of the issue) and
    /// `paraphrases/dev-3.yaml` (63 in-scope paraphrases). The unchanged engine at 0.30 / 0.22
    /// scored on it alone 122/157 fiches right (77.7 %), 9/201 false answers (4.5 %) and
    /// 100/138 out of scope handled (72.5 %), against 93.5 % / 1.7 % / 90.7 % on the first two
    /// batches: the honest estimate, in line with what the test split gave (85.9 % / 3.6 % /
    /// 79.5 %). Then, at 0.30 / 0.22, on the whole dev split (879 turns expecting a fiche,
    /// 1153 scored, 635 out of scope), on batch 3 alone (157 / 201 / 138), on batches 1–2 alone
    /// and on the demo gate (`dialogues/*.yaml`: fiche right of 336, turns right of 457; the
    /// recorded-dialogue test needs 95 % and at most 10 % failing turns). "Fiche right" counts
    /// a confirmation of the right fiche as right: the thresholds move the false answers, the
    /// out-of-scope handling and the gate's turns, hardly the fiche figure.
    ///
    /// | change (cumulative when kept) | whole dev: right / false / oos ok | batch 3 | batches 1–2 | gate: fiche / turns |
    /// |---|---|---|---|---|
    /// | none | 797 / 25 / 551 | 122 / 9 / 100 | 675 / 16 / 451 | 327 / 426 |
    /// | **uncovered information capped at 3 rare words (kept)** | 801 / 25 / 553 | 125 / 8 / 100 | 676 / 17 / 453 | 329 / 432 |
    /// | same, cap 1.5 ; 2 ; 4 | 801 / 30 / 554 ; 802 / 29 / 556 ; 798 / 26 / 552 | 130 / 12 / 103 ; 127 / 10 / 102 ; 122 / 9 / 100 | 671 / 18 ; 675 / 19 ; 676 / 17 | 328 ; 328 ; 328 |
    /// | **+ the caller's family words are generic (kept)** | 803 / 22 / 554 | 127 / 7 / 100 | 676 / 15 / 454 | 329 / 432 |
    /// | same, with "femme", "conjoint", "compagnon", "grand", "parents", "beau" | 802 / 22 / 552 | 127 / 7 / 100 | 675 / 15 / 452 | 329 |
    /// | **+ catalogue vocabulary (kept)** | **812 / 21 / 565** | **134 / 6 / 109** | **678 / 15 / 456** | **329 / 433** |
    /// | a query word whose written form no fiche uses (same stem only: "tombée" ~ "tombe") weighs ×0.85 ; ×0.7 ; ×0.5, no cap | 796 / 24 / 549 ; 795 / 23 / 547 ; 792 / 23 / 547 | 122 / 8 / 100 ; 123 / 8 / 101 ; 122 / 8 / 100 | 674 / 16 ; 672 / 15 ; 670 / 15 | 326 ; 325 ; 324 |
    /// | same ×0.85 ; ×0.7, with the cap | 801 / 24 / 551 ; 801 / 23 / 551 | 125 / 7 / 100 ; 127 / 7 / 101 | 676 / 17 ; 674 / 16 | 328 ; 327 |
    /// | a word corrected by edit distance counts in the total at its weight (×0.5 ; fully), no cap | 797 / 26 / 552 ; 798 / 26 / 552 | 122 / 10 ; 123 / 10 | 675 / 16 | 327 |
    /// | phrase floor 0 ; 0.29 ; 0.35 ; 0.4 ; 0.45 instead of 0.5, with cap and family words | 794 / 23 / 532 ; 798 / 22 / 531 ; 800 / 20 / 549 ; 802 / 23 / 551 ; 803 / 22 / 554 | 125–128 / 7–8 / 96–101 | 669–675 / 12–15 | 327–328 |
    ///
    /// - *Uncovered information capped* (`UNCOVERED_CAP` in the search): the share of the
    ///   query a fiche covers no longer falls below what three rare words left uncovered
    ///   allow. In a long spoken sentence the topic is one clause among the caller's
    ///   circumstances; every further circumstance used to push the named topic down into a
    ///   confirmation or a "pas compris". A lower cap gains more right answers on batch 3 but
    ///   adds false answers everywhere (a word of a fiche said in another sense rises too);
    ///   a higher one gains nothing.
    /// - *Family words are generic*: "ma fille", "mon mari", "mon frère" say whom the request
    ///   is for, never what it is; they weigh half, like the numerals and the days.
    /// - *Catalogue vocabulary*: each body's fiche names more of its own domain (arrêt de
    ///   travail, taxi conventionné, prime à la naissance, rupture conventionnelle, CPF,
    ///   revenus locatifs, foyer fiscal, AVS, malfaçon, escroquerie, message d'adieu, fièvre…).
    ///   Batch 3's gain here is fitted (its misses showed the gaps); batches 1–2 show the
    ///   honest effect, +2 right fiches and +2 out-of-scope questions handled. Two phrases
    ///   were taken out again: "demande d'allocation" made France Travail the answer to "fin de
    ///   droits… une demande de RSA", and "quotient familial" in `impots` took the canteen's
    ///   own phrase away from it.
    /// - Not kept: weighing a word that matches a fiche only through its stem ("tombée" for
    ///   the cemetery's "tombe") takes one or two false answers off but as many right answers
    ///   (inflections such as "renouvelé" are the same case); counting corrected words lighter
    ///   moves nothing; the phrase floor stays at 0.5. A larger minimum margin was looked at
    ///   and not swept: on the whole dev split, committed answers with a margin between 0.05
    ///   and 0.10 are 35 right for 10 wrong, and the gate's 16 are all right.
    ///
    /// The thresholds swept again with all kept changes (same columns):
    ///
    /// | answer / confirm | whole dev | batch 3 | batches 1–2 | gate |
    /// |---|---|---|---|---|
    /// | 0.25 / 0.20 | 814 / 25 / 572 | 134 / 7 / 111 | 680 / 18 / 461 | 330 / 441 |
    /// | 0.30 / 0.22 (before) | 812 / 21 / 565 | 134 / 6 / 109 | 678 / 15 / 456 | 329 / 433 |
    /// | **0.35 / 0.22** | **812 / 18 / 557** | **134 / 4 / 108** | **678 / 14 / 449** | **329 / 429** |
    /// | 0.38 / 0.22 | 812 / 15 / 552 | 134 / 2 / 106 | 678 / 13 / 446 | 329 / 423 |
    /// | 0.40 / 0.22 | 812 / 14 / 548 | 134 / 2 / 104 | 678 / 12 / 444 | 329 / 416 |
    ///
    /// (Confirmation at 0.20 or 0.25 instead of 0.22: ±1 right answer, ±1 out-of-scope
    /// question, no false answer.) What is left on batch 3 at 0.30 / 0.22 is a word of a fiche
    /// said in another sense ("à quelle heure ferme le Carrefour" → `horaires-mairie`, "mon
    /// virement pour le loyer" → `adil`, "salarié agricole… arrêt maladie" → `cpam` rather than
    /// `msa`) and neighbouring fiches ("combien de temps… une fois le dossier déposé" →
    /// `titre-suivi` rather than `titre-delais`).
    ///
    /// The operating point moves to 0.35 / 0.22. With the cap, the requests that name their
    /// topic among many words now score above 0.35, so raising the bar no longer costs right
    /// fiches on dev (812 from 0.30 to 0.40): it turns 3 false answers of 21 into « vous
    /// appelez bien au sujet de… ? » (whole dev 1.8 → 1.6 %; batch 3: 6 → 4), for 8
    /// redirections that become confirmations (out of scope handled 89.0 → 87.7 %) and 4 turns
    /// of the recorded dialogues (433 → 429 of 457; the gate's fiche figure stays 329/336).
    /// Every figure is better than before this pass (797 / 25 / 551, gate 327 / 426). 0.38
    /// would take 3 more false answers for 5 more redirections and 6 more turns of the
    /// recorded dialogues (423, below the point before this pass).
    ///
    /// Generalisation measured a fourth time on 2026-12-04 (issue 14), since the third pass's
    /// gains on dev did not carry over to the test split (85.9 % / 3.6 % / 78.0 %): a fourth
    /// dev batch was written before any change, of new *situations* rather than new wordings
    /// (`hors-perimetre/dev/*-4.yaml`, 164 out-of-scope questions over the 33 categories;
    /// `paraphrases/dev-4.yaml`, 77 in-scope paraphrases), and kept out of the tuning: each
    /// change below was chosen on batches 1–3 and the demo's recorded dialogues ("b1–3": 879
    /// turns expecting a fiche, 1153 scored, 635 out of scope; the gate's turns right of 457),
    /// and batch 4 (192 / 241 / 164) is reported after, as the honest estimate. At 0.35 / 0.22
    /// (right / false answers / out of scope handled):
    ///
    /// | change (cumulative when kept) | b1–3 | gate turns | batch 4 |
    /// |---|---|---|---|
    /// | none | 812 / 18 / 557 | 429 | 110 (57.3 %) / 15 (6.2 %) / 75 (45.7 %) |
    /// | **an emergency in progress first (kept)** | 815 / 17 / 561 | 429 | 115 / 15 / 80 |
    /// | **an unsure guess at a danger line given, not asked (kept)** | **815 / 17 / 566** | **429** | **115 (59.9 %) / 15 (6.2 %) / 80 (48.8 %)** |
    /// | same, without the rival-line exception (counted from the replay's decisions) | 815 / 19 / 566 | 429 | — |
    /// | phrase floor outside the ranking (search, see `confidence.rs`) | 806 / 16 / 551 | — | 114 / 14 / 78 |
    /// | phrase floor on the first hit only | 806 / 20 / 552 | — | 114 / 14 / 79 |
    /// | a lone covered concept that fits no variant weighs ×0.8 ; ×0.65 | 814 / 17 / 568 ; 814 / 17 / 567 | gate fiche 328 | 115 / 15 / 80–82 |
    ///
    /// (The two first commits of this pass give batch 4 as 187 / 236 / 159 turns: their count
    /// put the `119-4.yaml` file with the demo's dialogues; the rows here are recounted.)
    ///
    /// - *An emergency in progress first* (`crate::emergency`): a caller who describes a person
    ///   in danger now (not breathing, unconscious, a fall without getting up, bleeding, a fit,
    ///   poisoning), a fire or violence happening now is deflected to the national `urgences`
    ///   fiche (15, 17, 18, 112) before any search and whatever question is pending: "ma grand
    ///   mère est tombée elle arrive plus à se relever" answered the cemetery fiche (the stem of
    ///   "tombe") at 0.51. The phrases name the states the emergency services ask about, not a
    ///   dialogue's words; words that also tell a past event ("un AVC l'an dernier", "blessé sur
    ///   le chantier", "l'incendie" where a document was lost, a smell of gas, which the energy
    ///   fiche answers with its own emergency number) are left out. On b1–3 it changes exactly
    ///   the four emergency turns the search missed (one false answer, three confirmations).
    /// - *An unsure guess at a danger line* (15, 119, 3919, 3114) is deflected at once instead
    ///   of « vous appelez bien au sujet de : violences conjugales ? »: a caller in danger pays
    ///   more for the question than another caller pays for a number they did not need. When
    ///   another danger line scores at least 70 % as well (a child beaten at home: 119 or
    ///   3919?), the question is still asked: without that exception two wrong lines were given
    ///   on b1–3. It moves five confirmations to the right line on b1–3 and nothing on batch 4.
    /// - Not kept: the phrase floor (`PHRASE_CONFIDENCE`) kept out of the ranking, or given to
    ///   the first hit only, takes one false answer off at best ("le complément mode de garde
    ///   pour ma nounou" no longer goes to `creche` through "mode de garde") but loses 9 right
    ///   fiches: the floor's reranking is what names the topic in long sentences. A query whose
    ///   only covered concept fits none of the fiche's question variants ("c'est quoi votre
    ///   prénom" → `changement-prenom`) weighed lower removes no false answer (that one stays
    ///   above the answer threshold) and costs one right fiche of the gate.
    ///
    /// The thresholds swept again with both kept changes (b1–3 right / false / oos ok, the
    /// gate's turns right, batch 4):
    ///
    /// | answer / confirm | b1–3 | gate turns | batch 4 |
    /// |---|---|---|---|
    /// | 0.30 / 0.22 | 815 / 20 / 571 | 433 | 115 / 17 / 82 |
    /// | **0.35 / 0.22** | **815 / 17 / 566** | **429** | **115 / 15 / 80** |
    /// | 0.35 / 0.25 | 812 / 17 / 565 | 429 | 110 / 15 / 83 |
    /// | 0.38 / 0.22 | 815 / 14 / 561 | 423 | 115 / 13 / 79 |
    /// | 0.40 / 0.22 | 815 / 13 / 557 | 416 | 115 / 12 / 79 |
    ///
    /// The operating point stays at 0.35 / 0.22, for the reason of the third pass: 0.38 or
    /// 0.40 takes 3–4 false answers off b1–3 (and 2–3 off batch 4) for 5–9 redirections turned
    /// into confirmations and 6–13 turns of the recorded dialogues. What batch 4 shows is not
    /// a threshold matter: most of its misses are situations the catalogue's vocabulary does
    /// not name (a deflection expected, a "pas compris" or a confirmation of the right body
    /// given), and its false answers are a word of another fiche in another sense.
    ///
    /// Fifth pass, 2026-12-04 (issue 14): limits on the phrase floor (`PHRASE_CONFIDENCE` in
    /// the search), chosen on b1–3 and the gate, batch 4 reported after. On b1–3 five of the
    /// 17 false answers are scored at the floor ("déposer une plainte au sujet… des services
    /// municipaux" → `plainte`, "le complément mode de garde pour ma nounou" → `creche`,
    /// "refusé de me louer… en fauteuil roulant… discrimination" → `mdph`, "salarié dans une
    /// exploitation maraîchère… arrêt maladie" → `cpam`, "le papier du mariage pour la caisse
    /// de retraite" → `assurance-retraite`); "c'est quoi votre prénom" (0.80) and "mes allocs
    /// ont été suspendues" (→ `rsa`, 0.60) are scored so without it. Each limit applies only to
    /// a fiche whose own phrase is said ("rare": a non-generic word used by at most two fiches,
    /// or unknown to the folder; "covered mass": the IDF mass of the query the fiche covers,
    /// as in `coverage`). At 0.35 / 0.22 (b1–3 right / false / oos ok; gate fiche / turns;
    /// batch 4 right / false / oos ok):
    ///
    /// | floor holds… | b1–3 | gate | batch 4 |
    /// |---|---|---|---|
    /// | **always (kept)** | **815 / 17 / 566** | **329 / 429** | **115 / 15 / 80** |
    /// | unless one rare word is left uncovered ; two | 803 / 20 / 538 ; 805 / 21 / 548 | 329 / 424 ; 328 / 427 | 112 / 13 / 74 ; 114 / 13 / 76 |
    /// | same, words known to the folder only: one ; two | 803 / 21 / 545 ; 811 / 18 / 563 | 328 / 428 ; 328 / 430 | 111 / 13 / 74 ; 113 / 14 / 79 |
    /// | × covered / (covered + k × rare uncovered), k = 0.5 ; 1 | 811 / 19 / 549 ; 805 / 20 / 540 | 328 / 426 ; 329 / 424 | 115 / 13 / 76 ; 112 / 13 / 74 |
    /// | same, known words only, k = 0.5 ; 1 | 813 / 18 / 556 ; 807 / 20 / 549 | 328 / 430 ; 328 / 428 | 115 / 14 / 77 ; 112 / 13 / 75 |
    /// | unless another candidate covers more mass, ×1 ; ×1.2 ; ×1.5 ; ×2 | 809 / 19 / 561 ; 812 / 19 / 565 ; 814 / 19 / 566 ; 814 / 18 / 567 | 328 / 428 ; 327 / 428 ; 329 / 429 ; 329 / 429 | 114 / 15 / 79 ; 115 / 15 / 80 ; 116 / 16 / 81 ; 114 / 16 / 80 |
    /// | same, non-generic mass only, ×1 ; ×1.2 | 809 / 20 / 561 ; 812 / 20 / 566 | 328 / 428 ; 327 / 428 | 114 / 15 / 79 ; 115 / 15 / 80 |
    /// | unless a candidate covering more mass also holds every word of the phrase (anywhere ; questions, title, keywords) | 813 / 17 / 564 ; 815 / 17 / 566 | 329 / 428 ; 329 / 429 | 116 / 16 / 80 |
    /// | × (own covered mass / best rival's)¹ ; ² | 814 / 20 / 567 ; 814 / 18 / 564 | 327 / 429 | 114 / 15 / 79 |
    ///
    /// None was kept: none takes a false answer off b1–3, and most add one to four. They take
    /// at most three of the floor's five off, but as many others come: in a long spoken
    /// sentence the caller's circumstances nearly always hold a rare word of another fiche,
    /// and without the floor that fiche wins ("mon avocat me demande l'acte de mariage pour le divorce" →
    /// `point-justice`, "je viens d'accoucher de jumeaux… une prime à la naissance" →
    /// `declaration-naissance`, "blessée sur le chantier… un accident du travail" →
    /// `urgences`, "mon numéro fiscal je l'ai perdu" → `cni-perte`, "une voiture d'occasion
    /// avec un vice caché" → `carte-grise`). Neither the rarity of the words left over nor how
    /// much a rival covers tells a topic ("l'acte de mariage pour le divorce") from a
    /// qualifier ("le papier du mariage pour la caisse de retraite"): that is syntax and
    /// sense, not word statistics over the folder. Even without the floor, "le complément mode
    /// de garde" stays `creche` (0.39, first), and the expected fiche of the other four scores
    /// 0.24–0.31: a confirmation at best. On batch 4 the rarity limits take 1–2 false answers
    /// off for 0–4 right fiches and 1–6 out-of-scope questions handled, the rival limits none
    /// (0 to +1): not a gain that b1–3 would have chosen. The operating point, the floor
    /// and the figures stay those of the fourth pass (whole dev: 930/1071 fiches right,
    /// 32/1394 false answers, 646/799 out of scope handled).
    ///
    /// A fix, not a tuning (same day): an elided word written apart by a transcript ("c est",
    /// "qu il") was a stop word for every letter but `c`, so "c" weighed as the rarest word and
    /// diluted every fiche. Every elided word is now a stop word (`knowledge/src/text.rs`).
    /// Whole dev: 930/1071 fiches right (=), 1179/1394 turns right (+2), 33/1394 false answers
    /// (+1: "la carte de bus scolaire" → `transports` instead of `transport-scolaire`, 0.47),
    /// 647/799 out of scope handled (+1).
    ///
    /// Sixth pass, 2026-12-04 (issue 14): generalisation again. A fifth dev batch was written
    /// first, before any change, of situations unlike batches 1–4
    /// (`hors-perimetre/dev/*-5.yaml`, 161 out-of-scope questions over the 33 categories;
    /// `paraphrases/dev-5.yaml`, 77 in-scope paraphrases), measured on the unchanged engine,
    /// committed alone, and kept out of the tuning: every change below was chosen on batches
    /// 1–3 with the demo's dialogues ("b1–3": 879 turns expecting a fiche, 1153 scored, 635
    /// out of scope) and batch 4 (192 / 241 / 164), and batch 5 (190 / 238 / 161) was measured
    /// only before and after. At 0.35 / 0.22 (fiches right / false answers / out of scope
    /// handled; the gate: `dialogues/*.yaml`, fiche right of 336 / turns right of 457):
    ///
    /// | change (cumulative when kept) | b1–3 | gate | batch 4 |
    /// |---|---|---|---|
    /// | none | 815 / 18 / 567 | 329 / 430 | 115 / 15 / 80 |
    /// | **20 search candidates instead of 12 (kept; `CANDIDATES` in the search)** | 817 / 18 / 569 | 329 / 430 | 115 / 15 / 80 |
    /// | 30 ; 60 ; 200 candidates | as 20 | as 20 | as 20 |
    /// | **+ a body that specialises the best match named (MSA; kept)** | 818 / 17 / 570 | 329 / 430 | 116 / 15 / 81 |
    /// | same, at 0.4 ; 0.5 ; 0.7 of the best confidence instead of 0.6 | 816 / 19 / 568 ; 816 / 19 / 568 ; 817 / 18 / 569 | 329 / 430 | 115 / 16 / 80 ; 116 / 15 / 81 ; 116 / 15 / 81 |
    /// | **+ the Défenseur des droits specialises ADIL, MDPH, employer, Éducation nationale (kept)** | 818 / 16 / 571 | 329 / 430 | 116 / 15 / 81 |
    /// | **+ France Victimes specialises the police complaint and point-justice (kept)** | 819 / 15 / 572 | 329 / 430 | 116 / 15 / 81 |
    /// | + 3919 and 119 specialise the police complaint and France Victimes (not kept: moves nothing) | 819 / 15 / 572 | 329 / 430 | 116 / 15 / 81 |
    /// | + catalogue vocabulary, first draft with the callers' phrasings (not kept) | 822 / 16 / 573 | 328 / 429 | 139 / 13 / 106 |
    /// | **+ catalogue vocabulary, the bodies' official remits only (kept)** | 821 / 16 / 572 | 328 / 429 | 130 / 16 / 98 |
    /// | **+ hedges ("je crois", "je pense") are stop words (kept)** | 822 / 16 / 572 | 328 / 429 | 130 / 14 / 100 |
    /// | + "demande d'emploi" taken out of France Travail's vocabulary (kept) | 823 / 15 / 572 | 329 / 429 | 130 / 14 / 100 |
    /// | **+ "éco-prêt à taux zéro", "location de voiture", "taux plein", "taux d'incapacité" taken out (kept)** | **822 / 15 / 573** | **328 / 429** | **130 / 14 / 100** |
    ///
    /// Batch 5, the holdout, on the unchanged engine and after: **135 → 137 / 190 fiches right
    /// (71.1 → 72.1 %), 18 → 16 / 238 false answers (7.6 → 6.7 %), 95 → 97 / 161 out of scope
    /// handled (59.0 → 60.2 %)**. Whole dev split (all five batches): 1067 → 1089 / 1261 fiches
    /// right, 51 → 45 / 1632 false answers (3.1 → 2.8 %), 744 → 770 / 960 out of scope handled.
    /// The last row exists for the IDF: "prêt", "taux" and "voiture" used by more fiches made
    /// "le taux pour un prêt pour acheter une voiture" an `adil` confirmation instead of the
    /// bank's (the behaviour test of an unsure guess at a matter of no public service). The
    /// gate loses one fiche on the way ("des macarons… pour les visiteurs", 0.28 behind the
    /// weather's 0.29, was 0.30 ahead): a sentence at the edge of two fiches flips with any
    /// change of the words' weights.
    ///
    /// - *More candidates*: BM25 only picks the fiches that get a confidence, and its length
    ///   normalisation pushes down a fiche with a long vocabulary (the catalogue's bodies) below
    ///   fiches that share the sentence's everyday words: "mon bébé… trente-neuf de fièvre… on
    ///   est samedi soir" never scored `urgences` (13th by BM25). About 3 % more time per turn.
    /// - *Specialised bodies* (`specialises:` in a fiche, `SPECIALISED_RATIO` in the engine):
    ///   the MSA is the CPAM, the CAF and the pension fund of farm workers; the Défenseur des
    ///   droits takes housing, disability, work and school matters when they are a
    ///   discrimination; France Victimes takes a police or court matter when the caller asks
    ///   for help as a victim. When the best match is the general body and the specialised one
    ///   scores at least 0.6 of it (the caller said what makes them its public), the specialised
    ///   body is named and the general one no longer counts against the margin.
    /// - *Catalogue vocabulary*: each body's fiche names more of its official remit (what its
    ///   site and service-public.fr list: cumul emploi-retraite, retraite progressive, CNED,
    ///   conseil de discipline, DGCCRF, date de péremption, éco-PTZ, étiquette énergie, CIVI,
    ///   habilitation familiale, taux d'incapacité, information préoccupante…). A first draft
    ///   also held the callers' own phrasings ("la bat", "m'enferme", "peur de sortir",
    ///   "loyer d'avance"): it did better on batch 4 (139 / 13 / 106) because it was written
    ///   from batch 4's misses, so it was cut back to the official names before keeping it.
    ///   Words that misled b1–3 were taken out: "capital décès" ("la capitale de l'Australie"
    ///   → `cpam`), "orientation sexuelle" ("contester une orientation au collège"),
    ///   "huissiers" (`banque-de-france` for a bailiff's visit), "convocation", "demande
    ///   d'emploi" ("une demande de RSA" → France Travail), "ex-mari" (`violences-femmes` for a
    ///   joint bank account), "RSA jeune actif".
    /// - *Hedges*: "je crois que", "je pense que" never name a topic; "crois" from the 119's
    ///   question "je crois qu'un enfant est maltraité" sent "mots croisés" to the 119.
    /// - Not kept: deflecting straight to a national body guessed with middling confidence
    ///   (0.22–0.35) and a margin of at least 0.05, as for the danger lines: counted from the
    ///   replay's decisions, 9 right for 3 wrong on b1–3 and 6 for 3 on batch 4, so 3 more
    ///   false answers on each for 6–9 redirections. The phrase floor held only for a phrase
    ///   said before the first "qui" or "dont" (what follows a relative pronoun qualifies:
    ///   "l'allocation logement de ma mère qui est en maison de retraite"), with or without an
    ///   exception for the presentative "j'ai un fils qui…": b1–3 822 / 15 / 571, batch 4
    ///   128–129 / 13 / 99, three right fiches lost because "à qui envoyer", "qui peut nous
    ///   conseiller" are questions, not relative clauses; telling them apart needs a parser.
    ///
    /// The thresholds swept again with the kept changes (b1–3; gate fiche / turns; batch 4):
    ///
    /// | answer / confirm | b1–3 | gate | batch 4 |
    /// |---|---|---|---|
    /// | 0.30 / 0.22 | 822 / 20 / 578 | 328 / 433 | 130 / 15 / 104 |
    /// | **0.35 / 0.22** | **822 / 15 / 573** | **328 / 429** | **130 / 14 / 100** |
    /// | 0.35 / 0.25 | 819 / 15 / 572 | 327 / 429 | 128 / 14 / 103 |
    /// | 0.38 / 0.22 | 822 / 13 / 567 | 328 / 422 | 130 / 13 / 97 |
    ///
    /// The operating point stays at 0.35 / 0.22, for the third pass's reason: 0.38 takes 2 false
    /// answers off b1–3 and 1 off batch 4 for 6 + 3 redirections turned into confirmations and
    /// 7 turns of the recorded dialogues.
    ///
    /// What the holdout says: the gains on batch 4 (+15 fiches, +20 out-of-scope questions)
    /// hardly carry to batch 5 (+2, +2; false answers −2): most of batch 4's gain is
    /// vocabulary chosen from its misses, however official the words. The engine's remaining
    /// weakness on unseen phrasings is not a threshold nor a missing body: a caller's
    /// situation told in everyday words ("il a des marques", "je vois plus de raison") shares
    /// no word with the body's remit, and a qualifier said as a fiche's own phrase still wins
    /// the phrase floor ("l'allocation logement de ma mère qui est en maison de retraite" →
    /// `apa-personnes-agees`).
    ///
    /// Seventh pass, 2026-12-05 (issue 14; thresholds unchanged): the national catalogue's
    /// vocabulary broadened from each body's remit, not from the dialogues: 10 to 20 everyday
    /// situations per body as spoken questions ("on m'a radié de France Travail", "mon mari
    /// m'insulte et me rabaisse", "le déménageur a cassé mes meubles") and the remit's keywords
    /// (Visale, code RIO, solde de tout compte, CDAPH, vigicrues…), in the demo's copies too.
    /// Each question and keyword set was measured added (or taken out) alone, then together,
    /// on batches 1–4 with the demo's dialogues ("b14": 1071 turns expecting a fiche, 1394
    /// scored, 799 out of scope) and the gate; kept only what added no false answer and lost no
    /// gate fiche or turn. About one item in six was dropped: a child's everyday words
    /// ("enfant", "maison", "nuit") made the 119 a candidate everywhere, and a Défenseur des
    /// droits that names housing or family situations took ADIL's callers. Before / after
    /// (fiches right / false answers / out of scope handled / turns right; the sixth pass's
    /// engine, before the national synonyms):
    ///
    /// | set | before | after |
    /// |---|---|---|
    /// | b14 | 952 / 29 / 673 / 1204 | 982 / 25 / 714 / 1247 |
    /// | gate (fiche / turns of 336 / 457) | 328 / 429 | 328 / 431 |
    /// | batch 5, holdout (190 / 238 / 161) | 137 / 16 / 97 / 164 | 150 / 13 / 110 / 178 |
    ///
    /// Unlike the sixth pass, most of the gain carries to the holdout (+13 fiches, +13 out of
    /// scope, −3 false answers): situations described in everyday words are what callers say.
    /// One caveat: the first batch-5 run printed, through the measuring script's summary filter
    /// (its pattern "Hors périmètre" also matches failing lines), some 20 of batch 5's failing
    /// questions; their situations were left out of this pass's vocabulary. With the national
    /// synonyms and the generic-phrase rule of the same day, b14 goes 953 / 26 / 675 / 1203 →
    /// 978 / 24 / 713 / 1242 and the gate 327 / 426 → 326 / 428 (one `stationnement` turn no
    /// longer right; taking back any single body's additions does not restore it).
    ///
    /// The same pass, in the search (`knowledge/src/search`), chosen on b14 and the gate:
    ///
    /// | change (cumulative when kept) | b14 | gate: fiche / turns |
    /// |---|---|---|
    /// | none | 952 / 29 / 673 / 1204 | 328 / 429 |
    /// | circumstance clauses ("parce que…", "depuis que…") weigh as generic words (not kept, see `confidence.rs`) | 952 / 29 / 673 / 1204 | 328 / 429 |
    /// | national spoken-French synonyms alone ("boulot", "proprio", "chômedu"…) | 953 / 31 / 676 / 1208 | 328 / 430, 2 false |
    /// | **+ a synonym entry no fiche uses weighs as the fiches' word (kept)** | 953 / 27 / 675 / 1203 | 327 / 426 |
    /// | **+ a keyword of generic words and numbers floors nothing (kept)** | 953 / 26 / 675 / 1203 | 327 / 426 |
    /// | **+ the national catalogue above (merged)** | **978 / 24 / 713 / 1242** | **326 / 428** |
    ///
    /// - *Synonym weight*: a synonym group's weight was the largest IDF of its entries, and an
    ///   entry no fiche uses ("chômedu", "paumé", "rdv") has the IDF of a word in no fiche, the
    ///   largest of all: every spoken synonym made its concept the rarest of the folder, so
    ///   "en fin de droits au chômage… une demande de RSA" went to France Travail. It now weighs
    ///   as the entries the fiches use. The gate's cost (−1 fiche, −3 turns: "j'ai paumé mon
    ///   passeport", "rdv nécessaire ?" now confirmed) is that of answers the inflated weight
    ///   gave by accident.
    /// - *Generic phrases*: "seize ans" is the recensement fiche's own phrase; said in "ma fille
    ///   de seize ans… voulait disparaître", it floored that fiche at 0.5. A phrase of generic
    ///   words and numbers qualifies a request, it names none (the rule of `GENERIC_WEIGHT`).
    ///
    /// Batch 5, the holdout, before this pass and after all of it: **137 → 151 / 190 fiches
    /// right (72.1 → 79.5 %), 16 → 13 / 238 false answers (6.7 → 5.5 %), 97 → 112 / 161 out of
    /// scope handled (60.2 → 69.6 %)**. Whole dev split: 1089 → 1129 / 1261 fiches right,
    /// 45 → 37 / 1632 false answers (2.8 → 2.3 %), 770 → 825 / 960 out of scope handled.
    ///
    /// Not kept: the demo commune's own fiches broadened the same way (80 questions and 82
    /// keywords over 27 fiches, each kept only where b14 and the gate gained): b14 952 / 29 /
    /// 673 / 1204 → 973 / 21 / 676 / 1230 and the gate 328 / 429 → 331 / 437, but the holdout
    /// stayed where it was (137 / 16 / 97 → 138 / 17 / 95): chosen line by line on b14, the
    /// additions fitted b14's phrasings rather than how callers speak. Drafting all 79 mairie
    /// fiches at once, before that selection, gave 47 false answers on b14 instead of 29: more
    /// question variants let out-of-scope sentences fit a mairie fiche everywhere.
    ///
    /// Eighth pass, 2026-12-05 (issue 14; thresholds unchanged). A sixth dev batch was written
    /// blind first, from the fiches' titles only (233 out-of-scope questions, 69 paraphrases),
    /// as this pass's holdout; batch 5, the seventh pass's holdout, joined the tuning data.
    /// The catalogue's bodies got the situations callers describe without naming the body or
    /// its jargon, said with a mairie's words ("un papier de la CAF", "un courrier des
    /// impôts"), or after their circumstances: 100 questions and 89 keywords over 18 bodies
    /// ("collègue" left the employer's), each measured alone on b14 and the gate and kept when
    /// it added no false answer and lost nothing (written without reading a dialogue). Two questions of the 119 and the 3919
    /// whose everyday words ("le week-end", "mon téléphone") made those lines catch unrelated
    /// sentences in batch 5 were taken out. In the words: "parce", "puisque", "afin" are stop
    /// words ("parce" stemmed to "parc"); "week-end" qualifies like "semaine"; "couper",
    /// "coupé", "coupure" no longer stem to "coup", the blows of the violence lines ("ça
    /// coupe, je vous entends mal" found the emergency services); "ch" is never an elided "c'"
    /// before an "h" ("chantez" was read "c'hantez" and found France Victimes' "ça me hante",
    /// caught by the routing test's out-of-scope list). Insults said to the robot
    /// are irritation (`intents.rs`): with nothing else named, the caller gets a human.
    ///
    /// | set (fiches right / false answers / out of scope handled / turns right) | before | after |
    /// |---|---|---|
    /// | b14 (1071 / 1394 / 799) | 978 / 24 / 713 / 1242 | 992 / 21 / 734 / 1265 |
    /// | batch 5 (190 / 238 / 161) | 150 / 13 / 112 / 182 | 154 / 13 / 120 / 189 |
    /// | gate (fiche / turns of 336 / 457, false) | 326 / 428 / 1 | 326 / 428 / 1 |
    /// | **batch 6, holdout (286 / 302 / 233)** | **237 / 13 / 148 / 203** | **237 / 15 / 157 / 211** |
    ///
    /// On the holdout the pass handles 9 more out-of-scope questions (63.5 → 67.4 %) and gets 8
    /// more turns right, for 2 more false answers (4.3 → 5.0 %). The holdout is far below the
    /// tuning batches (b14: 91.9 % out of scope handled): each pass of vocabulary, chosen on
    /// the batches it was measured on, carries only a part of its gain to sentences written
    /// apart, and its mistakes are the same words in other senses. The sweep of the whole dev
    /// split without batch 6 (1261 / 1632) still puts the operating point at 0.35: at 0.40 it
    /// loses 58 right fiches for 3 false answers less.
    ///
    /// Ninth pass, 2026-12-05 (issue 14; thresholds unchanged). A seventh dev batch was written
    /// blind first (236 out-of-scope questions, 73 paraphrases) as the holdout; batch 6 joined
    /// the tuning data. Batches 6 and 7 had expected deflections to fiches no public service
    /// handles (the caller's bank, insurer…), which the robot never makes: such turns now
    /// expect a fallback naming the fiche (the eval refuses the deflection), relabelled by
    /// their expected fiche alone. Then, each measured on batches 1–6 and the gate: words about
    /// the line left out of the search (`line.rs`); a specialised body named only for a word of
    /// its own public (`engine.rs`, `SPECIALISED_RATIO` re-swept); BM25 weighing 0.12 in the
    /// ranking (`RANK_SCORE_WEIGHT` in the search, swept 0.02–0.5); "un conseiller" a request
    /// for a human only when short or with a verb of speaking; a sure match on a danger line
    /// given even to a caller whose words read as irritation; a smell of gas an emergency;
    /// the CCAS's "aide de la commune". The threshold sweep over batches 1–6 with the demo's
    /// dialogues (1548 fiche turns / 1934 scored) keeps 0.35: fiches right / false answers at
    /// 0.30 1375 / 45, 0.35 1332 / 45, 0.40 1261 / 41, 0.45 1205 / 37 (the decisions
    /// themselves, at 0.35 / 0.22: 1407 / 46): 0.40 loses 71 right fiches for 4 false answers
    /// less. Swept again and left as they were: the
    /// uncovered cap (2, 3, 4), the fit's and the specificity's floors (0.45–0.65, 0.5–0.7),
    /// the answer's and the questions' BM25 boosts (0.3–1.0, 2–4).
    ///
    /// False answers as the eval counted them when the pass began (a fallback naming a body
    /// never counted; since this pass, one naming the wrong body does: b14 +3, batch 7 +3):
    ///
    /// | set (fiches right / false answers / out of scope handled / turns right) | before | after |
    /// |---|---|---|
    /// | b14 (1071 / 1394 / 799; 1072 fiche turns after) | 992 / 21 / 734 / 1265 | 1004 / 19 / 734 / 1270 |
    /// | batch 5 (190 / 238 / 161) | 154 / 13 / 120 / 189 | 158 / 10 / 123 / 194 |
    /// | batch 6 (286 / 302 / 233), relabelled | 237 / 15 / 191 / 245 | 245 / 14 / 195 / 254 |
    /// | gate (fiche / turns of 336 / 457, false) | 326 / 428 / 1 | 329 / 428 / 1 |
    /// | **batch 7, holdout (290 / 309 / 236)**, relabelled | **241 / 14 / 193 / 250** | **248 / 12 / 195 / 255** |
    ///
    /// Tenth pass, 2026-12-05 (issue 14; thresholds unchanged). An eighth dev batch was written
    /// blind first (236 out-of-scope questions, 96 paraphrases over 78 fiches) as the holdout;
    /// batch 7 joined the tuning data. Each change measured on b14, batches 5–7 and the gate,
    /// kept only when no turn there went from right to wrong for nothing: a call put on hold
    /// ("attendez, je cherche mes lunettes", "ne quittez pas, je vous passe mon mari") waited
    /// for, not searched (`line.rs`); a question to the assistant about itself answered with
    /// what it is (`small_talk.rs`); gas read whatever words come between "ça sent" and it;
    /// "après" and "midi" generic words; a spelling correction keeps the word's first sound
    /// ("bêtise" was corrected to "métier"), and the numbers said in words are generic;
    /// words of taking one's life name the 3114 whatever else the sentence matches
    /// (`emergency.rs`). Tried and not kept: prepositions of place ("devant", "près") as stop
    /// words (two right turns lost, the bus still sent to the mairie's address), "dit", "vais",
    /// "va" as filler words (two false answers more: "je vais venir tout casser" then matched
    /// a fiche). The threshold sweep over batches 1–7 with the demo's dialogues (1838 fiche
    /// turns / 2243 scored; fiches right / false answers if answered only from that
    /// confidence): 0.30 1620 / 53, **0.35 1564 / 53**, 0.40 1471 / 49, 0.45 1393 / 44: 0.40
    /// would lose 93 right fiches for 4 false answers less.
    ///
    /// | set (fiches right / false answers / out of scope handled / turns right) | before | after |
    /// |---|---|---|
    /// | b14 (1072 / 1394 / 799) | 1004 / 22 / 734 / 1270 | 1006 / 21 / 736 / 1274 |
    /// | batch 5 (190 / 238 / 161) | 158 / 10 / 123 / 194 | 159 / 9 / 126 / 198 |
    /// | batch 6 (286 / 302 / 233) | 245 / 14 / 195 / 254 | 245 / 13 / 195 / 254 |
    /// | batch 7 (290 / 309 / 236) | 248 / 15 / 195 / 255 | 250 / 11 / 200 / 260 |
    /// | gate (fiche / turns of 336 / 457, false) | 329 / 428 / 1 | 329 / 429 / 1 |
    /// | **batch 8, holdout (314 / 332 / 236)** | **245 / 24 / 182 / 250** | **247 / 23 / 183 / 251** |
    fn default() -> Self {
        Self {
            answer_confidence: 0.35,
            confirm_confidence: 0.22,
            min_margin: 0.05,
            low_asr_confidence: 0.5,
            family_ratio: 0.7,
        }
    }
}

/// What the confidence of the best match allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Answer,
    Confirm,
    NotUnderstood,
}

impl Policy {
    /// The one rule that turns a match into answer / confirm / not understood.
    pub fn verdict(&self, confidence: f32, margin: f32, asr_confidence: Option<f32>) -> Verdict {
        let asr_unsure = asr_confidence.is_some_and(|asr| asr < self.low_asr_confidence);
        if confidence < self.confirm_confidence {
            Verdict::NotUnderstood
        } else if confidence >= self.answer_confidence && margin >= self.min_margin && !asr_unsure {
            Verdict::Answer
        } else {
            Verdict::Confirm
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_thresholds() {
        let policy = Policy::default();
        assert_eq!(policy.verdict(0.9, 0.5, None), Verdict::Answer);
        assert_eq!(policy.verdict(0.9, 0.5, Some(0.95)), Verdict::Answer);
        assert_eq!(
            policy.verdict(0.9, 0.5, Some(0.2)),
            Verdict::Confirm,
            "unsure transcription"
        );
        assert_eq!(
            policy.verdict(0.9, 0.0, None),
            Verdict::Confirm,
            "two fiches tie"
        );
        assert_eq!(
            policy.verdict(policy.confirm_confidence + 0.01, 0.5, None),
            Verdict::Confirm
        );
        assert_eq!(policy.verdict(0.05, 0.05, None), Verdict::NotUnderstood);
    }
}
