use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Not yet available
    Todo,
}

pub fn run(_command: Command) -> anyhow::Result<ExitCode> {
    super::not_yet_available("dialogues")
}
