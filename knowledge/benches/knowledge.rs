//! Index build time for a generated 1,000-fiche folder, and search latency on the demo commune.
//!
//! `cargo bench -p guichet-knowledge`. Besides criterion's means, prints the p50/p99 of single
//! searches over the routing phrasings (targets on 2 cores: build < 1 s, search p99 < 200 µs).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use guichet_knowledge::Knowledge;

const WORDS: &[&str] = &[
    "carte",
    "passeport",
    "naissance",
    "mariage",
    "décès",
    "école",
    "cantine",
    "crèche",
    "permis",
    "travaux",
    "voirie",
    "éclairage",
    "bruit",
    "chien",
    "marché",
    "salle",
    "association",
    "impôt",
    "facture",
    "eau",
    "bus",
    "déchets",
    "encombrants",
    "recensement",
    "élections",
    "procuration",
    "logement",
    "aide",
    "handicap",
    "sport",
    "piscine",
    "bibliothèque",
    "cimetière",
    "concession",
    "stationnement",
    "fourrière",
    "police",
    "urbanisme",
    "cadastre",
    "terrasse",
    "benne",
    "arbre",
    "jardin",
    "vélo",
    "trottoir",
    "graffiti",
    "inondation",
    "canicule",
    "vaccin",
    "jeunesse",
];

/// Writes a valid folder of `count` fiches, each with 4 questions, keywords and an answer.
fn generate_folder(dir: &Path, count: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("fiches"))?;
    std::fs::write(
        dir.join("commune.toml"),
        "name = \"Banc\"\nopening_hours = \"Mo-Fr 08:30-17:30; PH off\"\ngreeting = \"Bonjour\"\n\
         [transfer]\nnumber = \"+33130000000\"\n[sms]\nsender = \"BANC\"\n",
    )?;
    let word = |seed: usize| WORDS[seed % WORDS.len()];
    for index in 0..count {
        let (a, b, c) = (
            word(index),
            word(index / WORDS.len() + 7),
            word(index * 7 + 3),
        );
        let text = format!(
            "---\nid: fiche-{index}\ntitle: {a} et {b} numéro {index}\ncompetence: commune\n\
             questions:\n  - je voudrais des informations sur {a} {b}\n  - comment faire pour {a} avec {c}\n\
             \x20 - c'est au sujet de {b} et {c}\n  - j'ai un problème de {a} {index}\n\
             keywords: [{a}, {b}, code{index}]\n---\nPour {a} et {b}, la mairie vous reçoit sur \
             rendez-vous avec les pièces demandées ; pour {c}, consultez le site de la ville.\n"
        );
        std::fs::write(dir.join("fiches").join(format!("fiche-{index}.md")), text)?;
    }
    Ok(())
}

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../communes/demo")
}

fn routing_phrasings() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/routing.tsv");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split('\t').next().map(str::to_owned))
        .collect()
}

fn print_percentiles(knowledge: &Knowledge, phrasings: &[String]) {
    let mut samples: Vec<Duration> = Vec::new();
    for _ in 0..20 {
        for phrasing in phrasings {
            let started = Instant::now();
            black_box(knowledge.search(black_box(phrasing)));
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    let at = |share: f64| samples[((samples.len() as f64 * share) as usize).min(samples.len() - 1)];
    println!(
        "search latency over {} searches: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        samples[samples.len() - 1]
    );
}

fn benches(c: &mut Criterion) {
    let temp = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let folder = temp.path().join("mille");
    generate_folder(&folder, 1000).unwrap_or_else(|error| panic!("generate: {error}"));
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("load_1000_fiches", |b| {
        b.iter(|| Knowledge::load(black_box(&folder)).unwrap_or_else(|error| panic!("{error}")))
    });
    group.finish();

    let demo = Knowledge::load(&demo_dir()).unwrap_or_else(|error| panic!("{error}"));
    let phrasings = routing_phrasings();
    assert!(
        !phrasings.is_empty(),
        "tests/routing.tsv is needed for the search bench"
    );
    let mut next = 0;
    c.bench_function("search_demo_routing_phrasings", |b| {
        b.iter(|| {
            next = (next + 1) % phrasings.len();
            black_box(demo.search(black_box(&phrasings[next])))
        })
    });
    print_percentiles(&demo, &phrasings);
}

criterion_group!(knowledge, benches);
criterion_main!(knowledge);
