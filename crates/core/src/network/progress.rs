//! Progress reporting for long loads, kept abstract so that the library draws nothing itself.

/// Receives progress from long operations; the CLI draws a bar, tests and the server ignore it.
pub trait LoadProgress: Sync {
    /// A new stage starts with `total` units of work (0 when unknown).
    fn start(&self, stage: &str, total: u64);
    /// `n` more units of the current stage are done.
    fn advance(&self, n: u64);
    /// The current stage is done.
    fn finish(&self) {}
}

/// Progress that goes nowhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl LoadProgress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
}
