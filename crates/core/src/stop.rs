//! When long work must stop: a deadline and a cancel flag, shared by whoever asked for the
//! work (a request, a command) and the algorithms doing it; and how far the work has got
//! ([`Stop::stage`], [`Stop::advance`], [`Stop::progress`]), so the one handle every long
//! computation takes carries both what the asker wants (stop) and what it wants to see.
//!
//! The algorithms poll [`Stop::should_stop`] in their loops (between searches of the matrix
//! build, greedy rounds, branch-and-bound nodes, subgradient steps, shift samples) and answer
//! with what they have, or [`Stopped`] when they have nothing yet. The server cancels a
//! request's [`Stop`] when the client goes away or the request runs out of time, so its work
//! ends and frees its compute slot instead of running on unseen. Pure: no I/O.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A deadline and a cancel flag. Clones share the flag; [`Stop::within`] makes one with an
/// earlier deadline that still sees the same cancellation.
///
/// ```
/// use std::time::Duration;
/// use patrolmap_core::stop::Stop;
/// let stop = Stop::after(Duration::from_secs(60));
/// let phase = stop.within(Duration::from_secs(1));
/// assert!(!phase.should_stop());
/// stop.cancel();
/// assert!(phase.should_stop() && phase.is_cancelled());
/// assert!(Stop::after(Duration::ZERO).should_stop());
/// assert!(!Stop::never().should_stop());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Stop {
    cancelled: Arc<AtomicBool>,
    deadline: Option<Instant>,
    progress: Arc<Progress>,
    /// Polls left before it says stop ([`Stop::after_polls`]); `None` in real work.
    polls_left: Option<Arc<AtomicU64>>,
}

/// The stage long work is in and its steps done, shared by every clone of a [`Stop`].
#[derive(Debug)]
struct Progress {
    stage: Mutex<&'static str>,
    done: AtomicU64,
    total: AtomicU64,
    started: Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            stage: Mutex::new("waiting"),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

/// How far long work has got, as the map shows it.
///
/// ```
/// use std::time::Duration;
/// use patrolmap_core::stop::Stop;
/// let stop = Stop::after(Duration::from_secs(30));
/// stop.stage("matrix", 2000);
/// stop.within(Duration::from_secs(1)).advance(340); // a phase reports to the same work
/// let p = stop.progress();
/// assert_eq!((p.stage, p.done, p.total), ("matrix", 340, 2000));
/// assert!(p.time_left_s.unwrap() <= 30.0);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct WorkProgress {
    /// What it is doing: `waiting` (for a free slot), `matrix` (who reaches what),
    /// `search` (the best choice), `routes` (patrol routes), `improving` (the routes made
    /// shorter until the time allowed ends), `done`.
    pub stage: &'static str,
    /// Steps of the stage done.
    pub done: u64,
    /// Steps of the stage in all (0 when it is not counted in steps: it runs until its time).
    pub total: u64,
    /// Seconds since the work began.
    pub elapsed_s: f64,
    /// Seconds left before its deadline, if it has one.
    pub time_left_s: Option<f64>,
}

/// Why work stopped before it was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    /// Whoever asked gave up (a closed connection, a request over its time).
    #[error("the work was cancelled")]
    Cancelled,
    /// The time allowed ran out.
    #[error("the time allowed ran out")]
    OutOfTime,
}

impl Stop {
    /// Never stops unless cancelled.
    pub fn never() -> Stop {
        Stop::default()
    }

    /// Stops `time` from now.
    pub fn after(time: Duration) -> Stop {
        Stop {
            cancelled: Arc::default(),
            deadline: Instant::now().checked_add(time),
            progress: Arc::default(),
            polls_left: None,
        }
    }

    /// Says go on to its first `polls` polls of [`Stop::should_stop`] and stop from then on,
    /// whatever the clock: for tests of where long work polls, which must not depend on the
    /// speed of the machine. Clones share the count.
    ///
    /// ```
    /// use patrolmap_core::stop::Stop;
    /// let stop = Stop::after_polls(2);
    /// let clone = stop.clone();
    /// assert!(!stop.should_stop() && !clone.should_stop());
    /// assert!(stop.should_stop() && clone.should_stop());
    /// ```
    pub fn after_polls(polls: u64) -> Stop {
        Stop {
            polls_left: Some(Arc::new(AtomicU64::new(polls))),
            ..Stop::default()
        }
    }

    /// The same flag with a deadline `time` from now, or this one's if that is sooner (a
    /// phase of the work that may take only part of the time).
    pub fn within(&self, time: Duration) -> Stop {
        let mine = Instant::now().checked_add(time);
        let deadline = match (self.deadline, mine) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Stop {
            cancelled: self.cancelled.clone(),
            deadline,
            progress: self.progress.clone(),
            polls_left: self.polls_left.clone(),
        }
    }

    /// A share (0..1) of the time left, for a phase that must leave the rest to others.
    pub fn share(&self, fraction: f64) -> Stop {
        match self.remaining() {
            Some(left) => self.within(left.mul_f64(fraction.clamp(0.0, 1.0))),
            None => self.clone(),
        }
    }

    /// Tells every holder of this flag to stop.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether it was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Whether the work should stop now: cancelled, or past the deadline.
    pub fn should_stop(&self) -> bool {
        let out_of_polls = self.polls_left.as_ref().is_some_and(|left| {
            left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_err()
        });
        out_of_polls || self.is_cancelled() || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// `Err` with the reason when the work should stop.
    pub fn check(&self) -> Result<(), Stopped> {
        if self.is_cancelled() {
            Err(Stopped::Cancelled)
        } else if self.should_stop() {
            Err(Stopped::OutOfTime)
        } else {
            Ok(())
        }
    }

    /// The deadline, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The work enters `stage`, of `total` steps (0: not counted in steps).
    pub fn stage(&self, stage: &'static str, total: u64) {
        *self
            .progress
            .stage
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = stage;
        self.progress.done.store(0, Ordering::Relaxed);
        self.progress.total.store(total, Ordering::Relaxed);
    }

    /// `steps` more steps of the stage are done.
    pub fn advance(&self, steps: u64) {
        self.progress.done.fetch_add(steps, Ordering::Relaxed);
    }

    /// How far the work has got.
    pub fn progress(&self) -> WorkProgress {
        let p = &self.progress;
        WorkProgress {
            stage: *p.stage.lock().unwrap_or_else(|e| e.into_inner()),
            done: p.done.load(Ordering::Relaxed),
            total: p.total.load(Ordering::Relaxed),
            elapsed_s: p.started.elapsed().as_secs_f64(),
            time_left_s: self.remaining().map(|d| d.as_secs_f64()),
        }
    }

    /// The time left before the deadline (none: no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

/// Cancels its [`Stop`] when dropped: held by a request's future, so the work it started ends
/// when the client goes away (the future is dropped) as well as when it finishes.
#[derive(Debug)]
pub struct CancelOnDrop(pub Stop);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_keeps_the_earlier_deadline_and_the_flag() {
        let outer = Stop::after(Duration::from_millis(1));
        let inner = outer.within(Duration::from_secs(3600));
        assert_eq!(inner.deadline(), outer.deadline());
        std::thread::sleep(Duration::from_millis(3));
        assert_eq!(inner.check(), Err(Stopped::OutOfTime));
        let never = Stop::never();
        let part = never.share(0.5);
        assert!(part.deadline().is_none());
        {
            let _guard = CancelOnDrop(never.clone());
        }
        assert_eq!(part.check(), Err(Stopped::Cancelled));
    }
}
