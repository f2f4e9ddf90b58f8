//! Reading a knowledge folder and the checks that span several files.

pub(crate) mod checks;
mod commune_file;
mod fiche_file;
pub(crate) mod national;
mod synonyms_file;

use std::collections::HashMap;
use std::path::Path;

pub(crate) use commune_file::LoadedCommune;
pub(crate) use fiche_file::FicheLines;
pub(crate) use fiche_file::competence_key as competence_name;
#[cfg(test)]
pub(crate) use fiche_file::parse_fiche;
pub use synonyms_file::SynonymGroup;

use crate::model::{Competence, Fiche, FicheStatus};
use crate::problem::Problems;
use crate::recorded::Question;
use crate::sms::{SmsEncoding, sms_size};

/// Everything read from a folder (possibly with errors recorded in the problems).
pub(crate) struct Folder {
    pub commune: Option<LoadedCommune>,
    pub fiches: Vec<Fiche>,
    pub lines: Vec<FicheLines>,
    pub synonyms: Vec<SynonymGroup>,
    /// The national recorded questions the commune reads (none when it turns them off).
    pub national_questions: &'static [Question],
}

pub(crate) fn read_folder(dir: &Path, problems: &mut Problems) -> Folder {
    let commune = commune_file::load_commune(&dir.join("commune.toml"), problems);
    let own_synonyms = synonyms_file::load_synonyms(&dir.join("synonyms.txt"), problems);
    let fiches_dir = dir.join("fiches");
    let mut paths: Vec<_> = match std::fs::read_dir(&fiches_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
            .collect(),
        Err(error) => {
            problems.error(
                &fiches_dir,
                0,
                format!("dossier des fiches illisible ou absent ({error})"),
            );
            Vec::new()
        }
    };
    paths.sort();
    let mut fiches = Vec::with_capacity(paths.len());
    let mut lines = Vec::with_capacity(paths.len());
    for path in &paths {
        if let Some((fiche, fiche_lines)) = fiche_file::load_fiche(path, problems) {
            fiches.push(fiche);
            lines.push(fiche_lines);
        }
    }
    let mut commune = commune;
    let mut synonyms = Vec::new();
    let national_questions = add_national(
        dir,
        &mut commune,
        &mut fiches,
        &mut lines,
        &mut synonyms,
        problems,
    );
    synonyms.extend(own_synonyms);
    let mut folder = Folder {
        commune,
        fiches,
        lines,
        synonyms,
        national_questions,
    };
    check_ids_and_gotos(&folder, problems);
    check_partners(&mut folder, problems);
    check_sms(&folder, problems);
    folder
}

/// Adds the national catalogue (see [`national`]): its fiches that the commune neither
/// overrides (same id) nor disables, its partners that `commune.toml` does not define (and the
/// phone or website of those it defines without), and its synonyms (before the commune's own).
/// Returns its recorded questions, unless the commune turns them off.
fn add_national(
    dir: &Path,
    commune: &mut Option<LoadedCommune>,
    fiches: &mut Vec<Fiche>,
    lines: &mut Vec<FicheLines>,
    synonyms: &mut Vec<SynonymGroup>,
    problems: &mut Problems,
) -> &'static [Question] {
    let catalogue = national::catalogue(problems);
    synonyms.extend(catalogue.synonyms.iter().cloned());
    let disabled = commune
        .as_ref()
        .map(|commune| commune.national_disabled.clone())
        .unwrap_or_default();
    for (id, line) in &disabled {
        if !catalogue.fiches.iter().any(|(fiche, _)| &fiche.id == id) {
            let known: Vec<&str> = catalogue
                .fiches
                .iter()
                .map(|(fiche, _)| fiche.id.as_str())
                .collect();
            problems.error(
                &dir.join("commune.toml"),
                *line,
                format!(
                    "[national] disabled : « {id} » n'est pas une fiche du catalogue national ({})",
                    known.join(", ")
                ),
            );
        }
    }
    let own: std::collections::HashSet<String> =
        fiches.iter().map(|fiche| fiche.id.clone()).collect();
    for (fiche, fiche_lines) in &catalogue.fiches {
        if own.contains(&fiche.id) || disabled.iter().any(|(id, _)| *id == fiche.id) {
            continue;
        }
        fiches.push(fiche.clone());
        lines.push(fiche_lines.clone());
    }
    if let Some(commune) = commune {
        for (key, national) in &catalogue.partners {
            match commune.commune.partners.get_mut(key) {
                // The local body first; the national number and site where it gives none (an
                // agency of the CPAM whose only number is the 36 46).
                Some(local) => {
                    local.phone = local.phone.take().or_else(|| national.phone.clone());
                    local.website = local.website.take().or_else(|| national.website.clone());
                }
                None => {
                    commune
                        .commune
                        .partners
                        .insert(key.clone(), national.clone());
                }
            }
        }
    }
    let questions = commune.as_ref().is_none_or(|c| c.national_questions);
    if questions { &catalogue.questions } else { &[] }
}

fn check_ids_and_gotos(folder: &Folder, problems: &mut Problems) {
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (index, fiche) in folder.fiches.iter().enumerate() {
        if fiche.id.is_empty() {
            continue;
        }
        if let Some(&other) = first_seen.get(fiche.id.as_str()) {
            problems.error(
                &fiche.path,
                folder.lines[index].id,
                format!(
                    "identifiant « {} » déjà utilisé par la fiche {}",
                    fiche.id,
                    folder.fiches[other]
                        .path
                        .file_name()
                        .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
                ),
            );
        } else {
            first_seen.insert(&fiche.id, index);
        }
    }
    for (index, fiche) in folder.fiches.iter().enumerate() {
        let Some(clarify) = &fiche.clarify else {
            continue;
        };
        for (option, goto_line) in clarify.options.iter().zip(&folder.lines[index].gotos) {
            if option.goto.is_empty() {
                continue;
            }
            match first_seen.get(option.goto.as_str()) {
                None => problems.error(
                    &fiche.path,
                    *goto_line,
                    format!(
                        "l'option mène à la fiche « {} », qui n'existe pas",
                        option.goto
                    ),
                ),
                Some(&target)
                    if fiche.status == FicheStatus::Publiee
                        && folder.fiches[target].status != FicheStatus::Publiee =>
                {
                    problems.error(
                        &fiche.path,
                        *goto_line,
                        format!(
                            "l'option mène à la fiche « {} », qui n'est pas publiée (statut {}) : \
                             publiez-la ou retirez l'option",
                            option.goto,
                            folder.fiches[target].status.as_str()
                        ),
                    )
                }
                Some(_) => {}
            }
        }
    }
    check_clarify_cycles(folder, &first_seen, problems);
    check_relations(folder, &first_seen, problems);
}

/// A body names the fiches it specialises or is a recourse for by id: an id the folder does not
/// hold is a typo (warned: the relation is ignored), unless it is a national fiche the commune
/// disabled.
fn check_relations(folder: &Folder, ids: &HashMap<&str, usize>, problems: &mut Problems) {
    let disabled: Vec<&str> = folder
        .commune
        .as_ref()
        .map(|commune| {
            commune
                .national_disabled
                .iter()
                .map(|(id, _)| id.as_str())
                .collect()
        })
        .unwrap_or_default();
    for (index, fiche) in folder.fiches.iter().enumerate() {
        let lines = &folder.lines[index];
        let relations = [
            ("specialises", &fiche.specialises, lines.specialises),
            ("recourse_for", &fiche.recourse_for, lines.recourse_for),
        ];
        for (key, targets, line) in relations {
            for id in targets {
                if !ids.contains_key(id.as_str()) && !disabled.contains(&id.as_str()) {
                    problems.warning(
                        &fiche.path,
                        line,
                        format!("{key} : la fiche « {id} » n'existe pas ; ce lien est ignoré"),
                    );
                }
            }
        }
    }
}

/// A clarification must end on an answer: following `goto`s must never come back.
fn check_clarify_cycles(folder: &Folder, ids: &HashMap<&str, usize>, problems: &mut Problems) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; folder.fiches.len()];
    let mut reported = std::collections::HashSet::new();
    for start in 0..folder.fiches.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative depth-first walk: (fiche, next option to follow).
        let mut stack = vec![(start, 0usize)];
        marks[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let options = folder.fiches[node]
                .clarify
                .as_ref()
                .map_or(&[][..], |c| &c.options[..]);
            if *next >= options.len() {
                marks[node] = Mark::Done;
                stack.pop();
                continue;
            }
            let option_index = *next;
            *next += 1;
            let Some(&target) = ids.get(options[option_index].goto.as_str()) else {
                continue;
            };
            match marks[target] {
                Mark::New => {
                    marks[target] = Mark::Active;
                    stack.push((target, 0));
                }
                Mark::Active => {
                    let cycle_start = stack.iter().position(|&(n, _)| n == target).unwrap_or(0);
                    let mut names: Vec<&str> = stack[cycle_start..]
                        .iter()
                        .map(|&(n, _)| folder.fiches[n].id.as_str())
                        .collect();
                    names.push(folder.fiches[target].id.as_str());
                    if reported.insert((node, option_index)) {
                        let line = folder.lines[node]
                            .gotos
                            .get(option_index)
                            .copied()
                            .unwrap_or(1);
                        problems.error(
                            &folder.fiches[node].path,
                            line,
                            format!("les précisions tournent en rond : {}", names.join(" → ")),
                        );
                    }
                }
                Mark::Done => {}
            }
        }
    }
}

/// Resolves each fiche's partner (default: its competence's name) and checks it is defined.
fn check_partners(folder: &mut Folder, problems: &mut Problems) {
    let Some(commune) = &folder.commune else {
        return;
    };
    let partners = &commune.commune.partners;
    for (fiche, lines) in folder.fiches.iter_mut().zip(&folder.lines) {
        // The commune answers itself; no public body is in charge of `aucune`: no partner.
        if matches!(fiche.competence, Competence::Commune | Competence::Aucune)
            && fiche.partner.is_none()
        {
            continue;
        }
        let explicit = fiche.partner.is_some();
        let key = fiche
            .partner
            .clone()
            .unwrap_or_else(|| fiche_file::competence_key(fiche.competence).to_owned());
        if !partners.contains_key(&key) {
            let line = if explicit {
                lines.partner.unwrap_or(lines.competence)
            } else {
                lines.competence
            };
            let hint = if explicit {
                String::new()
            } else {
                " (sans champ « partner », la compétence sert de clé)".to_owned()
            };
            problems.error(
                &fiche.path,
                line,
                format!("partenaire « {key} » non défini dans commune.toml : ajoutez une section [partners.{key}]{hint}"),
            );
        }
        fiche.partner = Some(key);
    }
}

/// Warns when an SMS no longer fits in two segments once `{link}` is expanded.
fn check_sms(folder: &Folder, problems: &mut Problems) {
    for (fiche, lines) in folder.fiches.iter().zip(&folder.lines) {
        let Some(template) = &fiche.sms else { continue };
        if template.contains("{link}") && fiche.link.is_none() {
            problems.error(
                &fiche.path,
                lines.sms,
                "le SMS contient {link} mais la fiche n'a pas de lien (champ « link »)",
            );
            continue;
        }
        let Some(text) = fiche.sms_text() else {
            continue;
        };
        let size = sms_size(&text);
        if size.segments > 2 {
            let (encoding, limit) = match size.encoding {
                SmsEncoding::Gsm7 => ("", 306),
                SmsEncoding::Ucs2 => (
                    ", à cause d'un caractère spécial (ê, ç, ô…) qui réduit chaque SMS à 67 caractères",
                    134,
                ),
            };
            problems.warning(
                &fiche.path,
                lines.sms,
                format!(
                    "le SMS, lien compris, fait {} caractères et partira en {} SMS (2 au plus : {limit} caractères{encoding})",
                    size.units, size.segments
                ),
            );
        }
    }
}
