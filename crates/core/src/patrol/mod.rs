//! Patrol routes over the mandatory patrol lines and checkpoints.
//!
//! [`matching`] turns the lines a planner draws into the road edges (and directions) a patrol
//! must travel; [`requirements`] gathers what a plan must cover: every matched line and every
//! checkpoint placed on its road, with what could not be placed and why; [`postman`] makes
//! one closed tour through all of it and [`plan`] cuts that tour into balanced routes for
//! several units, and [`balance`] plans them again with the min-max core of [`minmax`]
//! (the shorter kept); [`edit`] reroutes a route through a street a planner drags it to;
//! [`check`] verifies any plan, however it was made; [`timeline`] says where
//! each unit is at any moment of the shift; [`report`] is the one answer both edges give.
//! For a whole shift, [`shift`] makes a timetable per unit from the schedules of
//! [`crate::scenario::schedule`] (how often, in which hours, breaks at the post),
//! [`shift_check`] verifies one independently and [`shift_report`] is its answer.
//! Pure: no files.

pub mod balance;
pub mod check;
pub mod edit;
pub mod matching;
pub mod minmax;
pub mod mmkwrpp;
pub mod paths;
pub mod plan;
pub mod postman;
pub mod report;
pub mod requirements;
pub mod routes_read;
pub mod sequence;
pub mod shift;
pub mod shift_check;
pub mod shift_report;
pub mod timeline;
