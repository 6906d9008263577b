//! Patrol routes over the mandatory patrol lines and checkpoints.
//!
//! [`matching`] turns the lines a planner draws into the road edges (and directions) a patrol
//! must travel; [`requirements`] gathers what a plan must cover: every matched line and every
//! checkpoint placed on its road, with what could not be placed and why. Pure: no files.

pub mod matching;
pub mod paths;
pub mod postman;
pub mod requirements;
