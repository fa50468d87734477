use std::process::ExitCode;

use clap::Parser;

/// mimalloc for Rust allocations; its `override` feature also replaces the C
/// `malloc` family, so tree-sitter's parse trees use it too (no `unsafe`
/// `tree_sitter::set_allocator` call needed).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
