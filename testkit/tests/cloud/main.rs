//! The fake clouds themselves: that they refuse what the official API descriptions forbid,
//! and that the compact descriptions they check against agree with the official ones. The
//! Hetzner and DigitalOcean clients are tested against them in `providers/tests/cloud`.
//!
//! # Layout
//! * `fake`: that the fakes refuse what the descriptions forbid.
//! * `compact`: that the compact descriptions the fakes use agree with the official ones.

mod common;
mod compact;
mod fake;
