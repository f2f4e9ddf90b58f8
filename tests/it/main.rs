//! Integration tests, one binary for the crate (each file a module): one link instead of one
//! per file, which keeps the build's time and disk in bounds.

mod attacks;
mod attacks_console;
mod call_flows;
mod cli_output;
mod deploy_kit;
mod eval_url;
mod faults;
mod new_commune;
mod observability;
mod serve_console;
mod serve_jambonz;
mod serve_outbox;
mod serve_robustness;
mod serve_twilio;
mod serve_vonage;
mod support;
mod two_nodes;
