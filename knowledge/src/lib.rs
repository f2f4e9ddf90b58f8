//! The closed knowledge base of a commune: `commune.toml`, `fiches/*.md`, `synonyms.txt`.
//!
//! SCAFFOLD: the public API below is the contract other crates code against. The knowledge
//! owner fills in the implementation (loading, validation, index, search, hot reload).

pub mod model;

pub use model::*;
