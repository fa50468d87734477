use std::process::ExitCode;

use clap::Parser;

/// mimalloc for Rust allocations; its `override` feature also replaces the C
/// `malloc` family, so tree-sitter's parse trees use it too (no `unsafe`
/// `tree_sitter::set_allocator` call needed).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    palisade_alloc::keep_freed_memory();
    let cli = palisade::cli::Cli::parse();
    match palisade::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("palisade: error: {e:#}");
            ExitCode::from(palisade::cli::exit::ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn freed_memory_is_kept_for_the_scan() {
        palisade_alloc::keep_freed_memory();
        assert_eq!(
            palisade_alloc::purge_delay(),
            -1,
            "mimalloc was upgraded: see palisade_alloc::purge_delay"
        );
    }
}
