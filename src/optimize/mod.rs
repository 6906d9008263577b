//! Where the next posts go: candidate-to-demand coverage on patrolmap's own travel times
//! ([`matrix`]), then selection ([`greedy`]: lazy greedy, 1-swap improvement, and an upper
//! bound on the optimum, so every answer carries its gap). Pure: no files.
//!
//! The first part of issue 6 (maximal coverage of road length within one budget, existing
//! posts kept); fewest posts, reinforcement, the exact program and event plans build on it.

pub mod greedy;
pub mod matrix;
