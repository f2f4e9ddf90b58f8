//! The dialogue engine. SCAFFOLD: `types` is the contract other crates code against.

pub mod types;

pub use types::*;
