//! Integration tests, one binary for the crate (each file a module): one link instead of one
//! per file, which keeps the build's time and disk in bounds.

mod behaviours;
mod common;
mod dialogues;
mod opening;
mod places;
mod public_test;
mod recorded;
mod whereabouts;
