//! Every fuzz target in one test binary (one link instead of nine; the targets run in
//! parallel test threads, each for `GUICHET_FUZZ_SECONDS`).

mod common;
mod knowledge_folder;

mod annuaire_json;
mod api_json;
mod commune_toml;
mod dialogue_yaml;
mod fiche;
mod jambonz_json;
mod opening_hours;
mod signatures;
mod twilio_form;
mod vonage_json;
mod vosdroits_xml;
