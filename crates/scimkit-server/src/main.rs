//! `scimkit-server`: see the crate documentation, or run it with `--help`.
#![forbid(unsafe_code)]

/// mimalloc rather than the system allocator: a write allocates many small values on one
/// worker thread that another frees, which glibc's malloc serialises (docs/decisions.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    scimkit_server::main_with_args(std::env::args().skip(1))
}
