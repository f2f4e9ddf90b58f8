//! Integration tests, one binary for the crate (each file a module): one link instead of one
//! per file, which keeps the build's time and disk in bounds.

mod browser;
mod browser_office;
mod common;
mod notifications;
mod operations;
mod security;
mod statistics;
mod suggestions;
