//! The sandbox's fidelity tests: OAuth at the wire level, Gmail through the real google-gmail1
//! hub, faults, quotas and controls.

mod calendar;
mod drive;
mod faults;
mod gmail;
mod oauth;
mod support;
