//! Integration tests, one binary for the crate (each file a module): one link instead of one
//! per file, which keeps the build's time and disk in bounds.

mod pg_events;
mod postgres;
mod sqlite;
mod suite;
mod unavailable;
