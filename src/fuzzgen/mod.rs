//! Random valid CLIF, for differential testing against Cranelift's interpreter.
//!
//! ```text
//!  seed ─generate─▶ program::Module ─to_clif─▶ text ─┬─ rulesel: parse, verify, compile, JIT ─┐
//!        (config, signatures, functions)              │  (some functions: Cranelift's x64)    │
//!                        ▲                            └─ Cranelift: reader, verifier, interpreter ┴▶ compare
//!                        └──────────── minimise (while the two still disagree) ◀── mismatch
//! ```
//!
//! [`generate`] needs nothing but this crate; the runner ([`differential`]) needs the `oracle`
//! feature, which brings in `cranelift-codegen`, `cranelift-reader` and
//! `cranelift-interpreter`, so the default build never compiles Cranelift.
//!
//! Running a campaign: `cargo run --release --features oracle -- fuzz --seed 1 --count 100000`
//! (`--calls`, `--depth`, `--funcs`, `--out DIR`, `--stats`). Each mismatch is minimised into
//! `DIR/mismatch-seed…-module….clif`, a run test that `rulesel run` reproduces; constructs
//! rulesel declines as unsupported are listed and their modules not counted.

#[cfg(feature = "oracle")]
pub mod campaign;
pub mod config;
#[cfg(feature = "oracle")]
pub mod cranelift;
#[cfg(feature = "oracle")]
pub mod differential;
pub mod generate;
pub mod lowered;
#[cfg(feature = "oracle")]
pub mod minimise;
mod ops;
pub mod program;
pub mod stats;
mod vectors;

pub use generate::{generate_module, Limits};
pub use program::Module;
