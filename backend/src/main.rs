//! The `lem-panel` binary: see `lem_panel::cli`.

fn main() -> std::process::ExitCode {
    lem_panel::cli::main()
}
