//! Integration tests, one binary for the crate (each file a module): one link instead of one
//! per file, which keeps the build's time and disk in bounds.

mod fixture;
mod live;
mod national;
mod routing;
mod search;
mod validation;
