use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = palisade::cli::Cli::parse();
    match palisade::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("palisade: error: {e:#}");
            ExitCode::from(palisade::cli::exit::ERROR)
        }
    }
}
