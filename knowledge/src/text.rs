//! French text analysis: the one place where French text is normalised and turned into terms.
//!
//! Two steps, used identically on fiches (at index time) and on what callers say (at query
//! time):
//!
//! 1. [`normalize`]: lowercase, accent folding (`é` → `e`, `œ` → `oe`; speech recognisers and
//!    SMS often drop accents, so both sides are folded), elision (`l'`, `d'`, `qu'`, `j'`, `m'`,
//!    `n'`, `s'`, `c'`, `t'`, `jusqu'`, `lorsqu'`, `puisqu'` are dropped), and every character
//!    that is not a letter or a digit (punctuation, hyphens, apostrophes) becomes a space.
//!    The engine uses it to compare short replies ("il est expiré" ≈ "Il est EXPIRE !").
//! 2. [`terms`]: the normalised words, French stop words *and* the filler words of spoken
//!    French ("euh", "bah", "alors", "voilà", "bonjour", "je voudrais", "s'il vous plaît",
//!    "madame"…) removed, then stemmed by tantivy's Snowball French stemmer
//!    (`renouveler`, `renouvellement` → `renouvel`) with a final `-e`/`-s` trim, because
//!    unaccented input ("volee", "decede") defeats some Snowball rules. The fiches are indexed
//!    as these terms, so the index and the queries cannot disagree.
//!
//! Filler words are removed rather than down-weighted: they say nothing about the topic, and
//! keeping them would let a fiche that happens to contain "bonjour" win a query made of them.

use std::collections::HashSet;
use std::sync::LazyLock;

use tantivy::tokenizer::{Language, RemoveLongFilter, Stemmer, TextAnalyzer, WhitespaceTokenizer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Name under which the French analyzer is registered in the index.
pub const ANALYZER_NAME: &str = "guichet_fr";

/// Elided words: the part before the apostrophe is dropped (`l'état` → `etat`).
const ELIDED: &[&str] = &[
    "l", "d", "qu", "j", "m", "n", "s", "c", "t", "jusqu", "lorsqu", "puisqu", "quoiqu",
];

/// French stop words, already folded (no accents), as [`normalize`] outputs them; the elided
/// words ([`ELIDED`]) are stop words too.
const STOP_WORDS: &[&str] = &[
    "a", "ai", "aie", "aient", "aies", "ait", "as", "au", "aura", "aurai", "auraient", "aurais",
    "aurait", "auras", "aurez", "auriez", "aurions", "aurons", "auront", "aux", "avaient", "avais",
    "avait", "avec", "avez", "aviez", "avions", "avoir", "avons", "ayant", "ayez", "ayons", "ce",
    "ceci", "cela", "ces", "cet", "cette", "ci", "comme", "dans", "de", "des", "du", "elle",
    "elles", "en", "es", "est", "et", "etaient", "etais", "etait", "etant", "ete", "etes", "etiez",
    "etions", "etre", "eu", "eue", "eues", "eumes", "eurent", "eus", "eusse", "eut", "eux", "fut",
    "furent", "fus", "ici", "il", "ils", "je", "la", "le", "les", "leur", "leurs", "lui", "ma",
    "mais", "me", "meme", "mes", "moi", "mon", "ne", "ni", "nos", "notre", "nous", "on", "ont",
    "ou", "par", "pas", "pour", "que", "quel", "quelle", "quelles", "quels", "qui", "sa", "sans",
    "se", "sera", "serai", "seraient", "serais", "serait", "seras", "serez", "seriez", "serions",
    "serons", "seront", "ses", "si", "soi", "soient", "sois", "soit", "sommes", "son", "sont",
    "soyez", "soyons", "suis", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos",
    "votre", "vous", "y", "ca", "ya", "quoi", "dont", "lorsque", "puis", "tout", "tous", "toute",
    "toutes", "plus", "tres", "bien", "aussi", "encore", "deja", "peu", "trop", "lequel",
    "laquelle", "celui", "celle", "ceux", "celles", "chez", "vers", "entre", "sous", "depuis",
    "pendant",
    // "rien" only negates ("je n'ai toujours rien reçu": the topic is "reçu"); "ailleurs" is
    // where, never what (and unknown to a folder, it was corrected to "bailleur").
    "rien", "ailleurs",
    // Conjunctions: "parce" would stem to "parc" and find the parks in every "parce que".
    "parce", "puisque", "afin",
    // Elisions glued by speech recognisers and SMS ("j'ai" → "jai").
    "jai", "cest", "quest", "nest", "nai", "sest", "quil", "quils", "quon", "sil", "sils", "jen",
    "jy", "ny", "lai", "jsuis", "chui", "jsais", "chais",
];

/// Filler words and politeness formulas of spoken French, and verbs that only frame a request
/// ("je voudrais savoir comment faire pour…"). They never help to tell two fiches apart.
const FILLER_WORDS: &[&str] = &[
    "euh",
    "heu",
    "hum",
    "bah",
    "ben",
    "beh",
    "bon",
    "alors",
    "voila",
    "voici",
    "donc",
    "enfin",
    "bref",
    "hein",
    "genre",
    "truc",
    "machin",
    "oui",
    "ouais",
    "non",
    "ok",
    "okay",
    "daccord",
    "bonjour",
    "bonsoir",
    "allo",
    "salut",
    "merci",
    "madame",
    "monsieur",
    "mademoiselle",
    "svp",
    "stp",
    "plait",
    "excusez",
    "excuse",
    "pardon",
    "desole",
    "voudrais",
    "voudrait",
    "voudrions",
    "voudriez",
    "veux",
    "veut",
    "voulais",
    "voulait",
    "aimerais",
    "aimerait",
    "souhaite",
    "souhaiterais",
    "souhaiterait",
    "souhaitais",
    "besoin",
    "renseignement",
    "renseignements",
    "information",
    "informations",
    "savoir",
    "sais",
    "sait",
    // Hedges: "je crois que", "je pense que" soften a request, they never name its topic.
    "crois",
    "croit",
    "croyais",
    "pense",
    "pensais",
    "appelle",
    "appelais",
    "appeler",
    "comment",
    "faire",
    "fait",
    "fais",
    "faites",
    "faisons",
    "faisait",
    "faisais",
    "font",
    "faut",
    "fallait",
    "dois",
    "doit",
    "devrais",
    "peux",
    "peut",
    "pouvez",
    "pourriez",
    "pourrais",
    "pourrait",
    "pouvoir",
    "dire",
    "dites",
    "question",
    "demander",
    "demandais",
    "concernant",
    "niveau",
    "quand",
    "combien",
    "pourquoi",
    "aujourdhui",
    "maintenant",
    "actuellement",
    "juste",
    "petit",
    "petite",
    "vraiment",
    // Intensifiers: how much, never what ("t'es complètement débile" found the suicide
    // prevention line's "je me sens complètement désespéré").
    "completement",
    "totalement",
    "tellement",
    "carrement",
    "vachement",
    "absolument",
    "franchement",
    "serieusement",
    "quelque",
    "chose",
    "quelqu",
    // The assistant itself: a caller who names it ("ce répondeur de merde", "votre robot
    // comprend rien") names no topic.
    "robot",
    "robots",
    "repondeur",
    "repondeurs",
    "chatbot",
    // What a caller says to check the line, not the topic ("vous m'entendez ?").
    "entendez",
    "entends",
    "attendez",
    "attends",
    // Interjections and the abbreviations of written messages.
    "ah",
    "oh",
    "eh",
    "hm",
    "hmm",
    "mmh",
    "bof",
    "pff",
    "bjr",
    "bsr",
    "slt",
    "cmt",
    "pr",
    "pq",
    "pk",
    "qd",
    "tjs",
    "bcp",
    // Frame verbs' other forms ("il faudrait", "ils veulent", "on m'a dit que").
    "faudrait",
    "faudra",
    "pourra",
    "pourrez",
    "pourront",
    "pourrions",
    "peuvent",
    "veulent",
    "voulez",
    "voulons",
    "voudraient",
    "devez",
    "doivent",
    "devrait",
    "dis",
    "dit",
    "disent",
    "disait",
];

/// Stop words, filler words, and the elided words written apart, as transcripts do
/// ("c est", "j ai"): the same words as before an apostrophe.
static STOP_SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    STOP_WORDS
        .iter()
        .chain(FILLER_WORDS)
        .chain(ELIDED)
        .copied()
        .collect()
});

/// Is this normalised word a stop word or a filler word (never used for ranking)? An
/// interjection drawn out in writing ("hmmm", "euhhh", "pfffff") is its filler: no French word
/// has a letter three times in a row, so the run is squeezed to one or two letters and looked
/// up again (uncorrected, "hmmm" became the "homme" of the domestic violence line).
pub fn is_stop_word(word: &str) -> bool {
    STOP_SET.contains(word)
        || (has_drawn_out_letter(word)
            && (STOP_SET.contains(squeezed(word, 1).as_str())
                || STOP_SET.contains(squeezed(word, 2).as_str())))
}

/// A letter three times in a row.
fn has_drawn_out_letter(word: &str) -> bool {
    let mut chars = word.chars();
    let (mut before, mut last) = (chars.next(), chars.next());
    for c in chars {
        if before == Some(c) && last == Some(c) {
            return true;
        }
        (before, last) = (last, Some(c));
    }
    false
}

/// `word` with each run of one letter cut to at most `keep` letters.
fn squeezed(word: &str, keep: usize) -> String {
    let mut out = String::with_capacity(word.len());
    let mut run = 0;
    let mut last = None;
    for c in word.chars() {
        run = if last == Some(c) { run + 1 } else { 1 };
        last = Some(c);
        if run <= keep {
            out.push(c);
        }
    }
    out
}

/// Words whose stem would collide with another word's, and the term they stand for instead:
/// "mairie" and "maire" both stem to "mair"; "couper" and "coupé" to "coup", the blows of the
/// violence lines ("ça coupe, je vous entends mal" found the emergency services). Once accents
/// are folded, "bâtiment" and "bâtir" stem to the "bat" of "il me bat" ("bâtiment" alone found
/// the domestic violence line), and "traîner" to "train" (a stray dog that "traîne dans le
/// parc" was a case for the SNCF); "rater" to the "rat" of vermin (rats in the yard were a
/// missed train); "monter" to the "mont" of "montant" ("le prix a monté" found the pension
/// fund); "punaise" to the "pun" of "puni" ("punaises" alone found the child in danger line);
/// "armée" to the "arm" of a weapon; "garant" to the "gar" of "gare".
const STEM_COLLISIONS: &[(&str, &str)] = &[
    ("mairie", "mairie"),
    ("mairies", "mairie"),
    ("coupe", "couper"),
    ("coupes", "couper"),
    ("couper", "couper"),
    ("coupee", "couper"),
    ("coupees", "couper"),
    ("coupent", "couper"),
    ("coupait", "couper"),
    ("coupez", "couper"),
    ("coupure", "couper"),
    ("coupures", "couper"),
    ("batiment", "batiment"),
    ("batiments", "batiment"),
    ("batir", "batir"),
    ("bati", "batir"),
    ("batie", "batir"),
    ("batis", "batir"),
    ("baties", "batir"),
    ("batit", "batir"),
    ("batissent", "batir"),
    ("batisse", "batir"),
    ("traine", "trainer"),
    ("traines", "trainer"),
    ("trainer", "trainer"),
    ("trainent", "trainer"),
    ("trainait", "trainer"),
    ("trainaient", "trainer"),
    ("trainee", "trainer"),
    ("trainees", "trainer"),
    ("trainez", "trainer"),
    ("rate", "rater"),
    ("rater", "rater"),
    ("rates", "rater"),
    ("ratee", "rater"),
    ("ratees", "rater"),
    ("ratez", "rater"),
    ("ratent", "rater"),
    ("monte", "monter"),
    ("monter", "monter"),
    ("montes", "monter"),
    ("montent", "monter"),
    ("montee", "monter"),
    ("montees", "monter"),
    ("montait", "monter"),
    ("punaise", "punaise"),
    ("punaises", "punaise"),
    ("armee", "armee"),
    ("armees", "armee"),
    // Minding a child is not the duty of a doctor or a custody ("faire garder mon bébé" found
    // the emergency numbers' "médecin de garde").
    ("garder", "garder"),
    // The participle of a short noun keeps the noun's stem ("un mur tagué" is a tag, not an
    // unknown "tagu").
    ("tague", "tag"),
    ("tagues", "tag"),
    ("taguer", "tag"),
    // A guarantor is not a railway station: "garant" stems to the "gar" of "gare" and "garer"
    // ("la mairie c'est où, près de la gare ?" found the housing agency's "garant" at 0.55).
    ("garant", "garant"),
    ("garants", "garant"),
    ("garante", "garant"),
    ("garantes", "garant"),
];

/// Words that say where or when but not what: they help a request that names its topic, but
/// cannot carry a fiche by themselves ("la météo pour demain", "votre mairie").
pub(crate) const GENERIC_WORDS: &[&str] = &[
    // "je suis de passage", "au passage": a visit, not the "passage en seconde" of the
    // Éducation nationale, which answered « bonjour je suis de passage » at 0.53.
    "passage",
    "mairie",
    "ville",
    "villebourg",
    "commune",
    "demain",
    "aujourdhui",
    "hier",
    "soir",
    "matin",
    // "après-midi" is two words once folded, and the rarer "midi" outweighed the place named
    // with it ("la bibliothèque est ouverte le samedi après-midi" → the mairie's hours).
    "apres",
    "midi",
    "semaine",
    "week",
    "end",
    "weekend",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "numero",
    // How new, how long, how many: they qualify the topic ("un nouveau chéquier", "ma carte
    // de résident de dix ans") and never name one.
    "nouveau",
    "nouvelle",
    "nouvel",
    "an",
    "ans",
    "annee",
    "mois",
    "jour",
    "jours",
    "heure",
    "heures",
    "fois",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "vingt",
    "trente",
    "quarante",
    "cinquante",
    "soixante",
    "cent",
    "cents",
    "mille",
    // Who the request is for: the caller's family qualifies the topic ("le passeport de mon
    // mari", "ma fille a eu vingt ans") and never names one.
    "fille",
    "fils",
    "mere",
    "maman",
    "pere",
    "papa",
    "mari",
    "epouse",
    "epoux",
    "frere",
    "soeur",
    "cousin",
    "cousine",
    "oncle",
    "tante",
    "neveu",
    "niece",
];

/// Is this normalised word one of the [`GENERIC_WORDS`] (where, when or for whom, never what)?
pub fn is_generic_word(word: &str) -> bool {
    GENERIC_WORDS.contains(&word)
}

/// The stems of [`GENERIC_WORDS`].
static GENERIC_TERMS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut stemmer = WordStemmer::new();
    GENERIC_WORDS
        .iter()
        .map(|word| stemmer.stem(word))
        .collect()
});

/// The stems of [`GENERIC_WORDS`]: words that say where, when or for whom, never what.
pub(crate) fn generic_terms() -> &'static HashSet<String> {
    &GENERIC_TERMS
}

static STEMMER: LazyLock<TextAnalyzer> = LazyLock::new(|| {
    TextAnalyzer::builder(WhitespaceTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(Stemmer::new(Language::French))
        .build()
});

/// The analyzer registered in the index as [`ANALYZER_NAME`]: the fiches are indexed as the
/// space-separated output of [`terms`], so the index only splits on spaces.
pub fn build_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WhitespaceTokenizer::default()).build()
}

/// Stems normalised words (French Snowball, then a final `-e`/`-s` trim that makes the stems of
/// unaccented input agree: "volee"/"vole", "photos"/"photo", "pacs"/"pacse").
pub(crate) struct WordStemmer {
    analyzer: TextAnalyzer,
}

impl WordStemmer {
    pub fn new() -> Self {
        Self {
            analyzer: STEMMER.clone(),
        }
    }

    /// The stem of one normalised word (not a stop word).
    pub fn stem(&mut self, word: &str) -> String {
        if let Some((_, term)) = STEM_COLLISIONS.iter().find(|(said, _)| *said == word) {
            return (*term).to_owned();
        }
        let mut stream = self.analyzer.token_stream(word);
        let mut stem = if stream.advance() {
            stream.token().text.clone()
        } else {
            word.to_owned()
        };
        while stem.len() > 3 && (stem.ends_with('e') || stem.ends_with('s')) {
            stem.pop();
        }
        stem
    }

    /// The terms of a normalised text.
    pub fn terms(&mut self, normalized: &str) -> Vec<String> {
        normalized
            .split(' ')
            .filter(|word| !word.is_empty() && !is_stop_word(word))
            .map(|word| self.stem(word))
            .collect()
    }
}

/// Lowercase, fold accents, drop elided articles and pronouns, turn punctuation into spaces.
///
/// The result is a sequence of words separated by single spaces, with no leading or trailing
/// space. `normalize("Qu'est-ce que l'État ?")` is `"est ce que etat"`.
pub fn normalize(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => folded.push_str("oe"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'ß' => folded.push_str("ss"),
            '\'' | '’' | 'ʼ' | '‘' | '`' | '´' => folded.push('\''),
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => folded.push(' '),
        }
    }
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        let parts: Vec<&str> = word.split('\'').filter(|part| !part.is_empty()).collect();
        let last = parts.len().saturating_sub(1);
        let mut index = 0;
        while index < parts.len() {
            let part = parts[index];
            if part == "aujourd" && parts.get(index + 1) == Some(&"hui") {
                push_word(&mut out, "aujourdhui");
                index += 2;
                continue;
            }
            if index < last && ELIDED.contains(&part) {
                index += 1;
                continue;
            }
            push_word(&mut out, part);
            index += 1;
        }
    }
    join_spelled_letters(&out)
}

/// Joins a spelled acronym ("p l u", "r s a", "c c a s") into one word: a run of at least
/// [`SPELLED_MIN_LETTERS`] single letters. "y" never starts or continues a run ("il y a").
fn join_spelled_letters(text: &str) -> String {
    let is_letter = |word: &str| {
        let mut chars = word.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic() && c != 'y')
    };
    let words: Vec<&str> = text.split(' ').collect();
    if words.iter().filter(|word| is_letter(word)).count() < SPELLED_MIN_LETTERS {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < words.len() {
        let run = words[index..]
            .iter()
            .take_while(|word| is_letter(word))
            .count();
        if run >= SPELLED_MIN_LETTERS {
            push_word(&mut out, &words[index..index + run].concat());
            index += run;
        } else {
            push_word(&mut out, words[index]);
            index += 1;
        }
    }
    out
}

/// Shortest run of single letters read as a spelled acronym.
const SPELLED_MIN_LETTERS: usize = 3;

fn push_word(out: &mut String, word: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(word);
}

/// The terms of a text: normalised, stop and filler words removed, stemmed (French).
pub fn terms(text: &str) -> Vec<String> {
    analyze_normalized(&normalize(text))
}

/// [`terms`] for a text that is already [`normalize`]d.
pub(crate) fn analyze_normalized(normalized: &str) -> Vec<String> {
    WordStemmer::new().terms(normalized)
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
