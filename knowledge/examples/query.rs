//! Prints the hits for each argument against a knowledge folder (default: the demo commune).
//!
//! `cargo run -p guichet-knowledge --example query -- "mon passeport est expiré"`
//! (set `GUICHET_COMMUNE` to use another folder).

use std::path::PathBuf;
use std::process::ExitCode;

use guichet_knowledge::Knowledge;

fn main() -> ExitCode {
    let dir = std::env::var_os("GUICHET_COMMUNE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../communes/demo"));
    let knowledge = match Knowledge::load(&dir) {
        Ok(knowledge) => knowledge,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    for query in std::env::args().skip(1) {
        println!("« {query} » terms {:?}", guichet_knowledge::terms(&query));
        for hit in knowledge.search(&query) {
            println!(
                "  {:<32} confidence {:.2}  score {:.2}",
                hit.fiche_id, hit.confidence, hit.score
            );
        }
    }
    ExitCode::SUCCESS
}
