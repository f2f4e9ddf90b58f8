//! `guichet kb import service-public`: draft fiches from service-public.fr's "vos droits" fiches.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use guichet_opendata::{StarterPack, import_service_public};

#[derive(clap::Subcommand)]
pub enum Source {
    /// The starter pack's fiches from DILA's vosdroits zip (or an unpacked folder), as drafts
    ServicePublic {
        /// The `vosdroits-latest.zip` of lecomarquage.service-public.fr, or its unpacked folder
        #[arg(long)]
        from: PathBuf,
        /// The commune's knowledge folder (made by `guichet commune init`)
        #[arg(long)]
        commune: PathBuf,
        /// Another starter pack (TOML) than the shipped one
        #[arg(long)]
        pack: Option<PathBuf>,
    },
}

pub fn run(source: Source) -> anyhow::Result<ExitCode> {
    let Source::ServicePublic {
        from,
        commune,
        pack,
    } = source;
    let pack = match pack {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            StarterPack::parse(&text).with_context(|| path.display().to_string())?
        }
        None => StarterPack::shipped(),
    };
    let report = import_service_public(&from, &commune, &pack)?;
    let list = |ids: &[String]| {
        if ids.is_empty() {
            "-".to_owned()
        } else {
            ids.join(", ")
        }
    };
    println!("{} : import service-public.fr", commune.display());
    println!("  nouveaux brouillons : {}", report.written.len());
    println!("  brouillons mis à jour : {}", report.updated.len());
    println!("  inchangés : {}", report.unchanged.len());
    println!(
        "  modifiés par les services, conservés : {}",
        list(&report.kept)
    );
    println!("  à relire (source modifiée) : {}", list(&report.flagged));
    if !report.missing.is_empty() {
        println!("  absents de cette publication : {}", list(&report.missing));
    }
    for note in &report.notes {
        println!("  à vérifier : {note}");
    }
    println!(
        "Les brouillons ne sont pas lus aux appelants : relisez-les et publiez-les dans la console \
         (Fiches à relire) ou passez « status: publiee »."
    );
    Ok(ExitCode::SUCCESS)
}
