fn main() -> std::process::ExitCode {
    patrolmap::cli::main()
}
