//! A new commune from DILA's open data (Licence Ouverte 2.0).
//!
//! - [`directory`] reads the national directory of public services (Annuaire de
//!   l'administration) and [`hours`] turns its opening periods into OpenStreetMap syntax;
//!   [`commune`] writes `commune.toml` from it (`guichet commune init`).
//! - [`vosdroits`] reads service-public.fr's "vos droits" XML fiches (zip or folder);
//!   [`starter`] is the shipped, editable list of procedures a mairie is asked about most;
//!   [`draft`] writes a draft fiche from both; [`import`] puts the drafts in a commune folder and
//!   imports again from a newer release without overwriting what staff edited.

pub mod commune;
pub mod directory;
pub mod draft;
pub mod folder;
pub mod hours;
pub mod import;
pub mod review;
pub mod starter;
pub mod vosdroits;

pub use commune::{CommuneDraft, InitError, commune_toml};
pub use directory::{DirectoryError, ServiceRecord, parse_directory};
pub use folder::{FolderError, import_service_public, init_folder};
pub use import::{ImportError, ImportReport, Manifest, import, read_manifest};
pub use starter::StarterPack;
pub use vosdroits::{FicheError, Publication, parse_publication, read_fiches};
