//! The `amplifier` binary: a thin shell that hands the command line to [`amplifier::cli`].

fn main() -> std::process::ExitCode {
    amplifier::cli::main()
}
