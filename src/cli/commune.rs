//! `guichet commune init`: a new commune's knowledge folder from DILA's directory export.

use std::path::PathBuf;
use std::process::ExitCode;

use guichet_opendata::init_folder;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Write commune.toml (name, address, phone, hours, annexes, local offices as partners) from
    /// the Annuaire de l'administration JSON export
    Init {
        /// INSEE code of the commune (e.g. 78490)
        #[arg(long)]
        insee: String,
        /// The directory export (JSON) downloaded from data.gouv.fr
        #[arg(long)]
        directory: PathBuf,
        /// The folder to create [default: communes/<insee>]
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Init {
            insee,
            directory,
            out,
        } => {
            let out = out.unwrap_or_else(|| PathBuf::from("communes").join(insee.trim()));
            let draft = init_folder(&directory, &insee, &out)?;
            println!(
                "{} : dossier de la commune de {} créé",
                out.display(),
                draft.name
            );
            if !draft.services.is_empty() {
                println!("  autres sites : {}", draft.services.join(", "));
            }
            println!("  partenaires : {}", draft.partners.join(", "));
            for note in &draft.notes {
                println!("  à vérifier : {note}");
            }
            println!(
                "Étape suivante : guichet kb import service-public --from vosdroits-latest.zip --commune {}",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
