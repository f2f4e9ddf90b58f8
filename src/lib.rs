//! The `guichet` service as a library, so integration tests can run it in-process.
//! The command line (`src/main.rs`) uses it for `guichet serve`.

pub mod serve;
