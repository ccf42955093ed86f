//! `scimkit-server`: see the crate documentation, or run it with `--help`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    scimkit_server::main_with_args(std::env::args().skip(1))
}
