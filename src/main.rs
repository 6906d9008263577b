fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`| head`) would panic; the
    // default action ends the process quietly instead, like any Unix tool.
    #[cfg(unix)]
    // SAFETY: setting a signal's action to the default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    patrolmap::cli::main()
}
