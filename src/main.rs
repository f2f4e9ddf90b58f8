//! The `guichet` command: wiring only, no business rules.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// Guichet: a 24/7 first-level phone and SMS desk for a French town hall.
#[derive(Parser)]
#[command(name = "guichet", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the webhook service and the web console
    #[command(next_help_heading = "Service")]
    Serve(cli::serve::Args),
    /// Talk to the dialogue engine in the terminal
    Chat(cli::chat::Args),
    /// Check, search and describe a knowledge folder; import national fiches
    #[command(subcommand)]
    Kb(cli::kb::Command),
    /// A new commune from the national directory of public services
    #[command(subcommand)]
    Commune(cli::commune::Command),
    /// Replay recorded dialogues, score them, report
    Eval(cli::eval::Args),
    /// Recorded dialogues: export stored conversations as eval dialogues
    #[command(subcommand)]
    Dialogues(cli::dialogues::Command),
    /// Simulate signed calls against a running server and measure it
    Loadtest(cli::loadtest::Args),
    /// Staff accounts of the web console
    #[command(subcommand)]
    Staff(cli::staff::Command),
    /// Keys of the JSON API (create, list, revoke)
    #[command(subcommand)]
    Apikey(cli::apikey::Command),
    /// Answer citizens' access and erasure requests (RGPD)
    #[command(subcommand)]
    Privacy(cli::privacy::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.command.only_prints() {
        end_quietly_on_closed_pipe();
    }
    let result = match cli.command {
        Command::Serve(args) => cli::serve::run(args),
        Command::Chat(args) => cli::chat::run(args),
        Command::Kb(command) => cli::kb::run(command),
        Command::Commune(command) => cli::commune::run(command),
        Command::Eval(args) => cli::eval::run(args),
        Command::Dialogues(command) => cli::dialogues::run(command),
        Command::Loadtest(args) => cli::loadtest::run(args),
        Command::Staff(command) => cli::staff::run(command),
        Command::Privacy(command) => cli::privacy::run(command),
        Command::Apikey(command) => cli::apikey::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

impl Command {
    /// A command that reads files or the database and prints (its output may be piped into
    /// `head`), as opposed to one that holds network connections (`serve`, `loadtest`), where
    /// a closed connection must stay an error, never a signal that ends the process.
    fn only_prints(&self) -> bool {
        !matches!(self, Command::Serve(_) | Command::Loadtest(_))
    }
}

/// Rust ignores `SIGPIPE`, so `println!` panics with a stack trace when the reader of the
/// output goes away (`guichet kb search … | head -1`). Restores the default action, as every
/// Unix tool has it: the command ends, silently, when no one reads any more.
fn end_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called once at start, before any thread is spawned; `SIG_DFL` is a valid action
    // for `SIGPIPE` and the previous handler (ignore) is not needed again.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
