//! Target instruction sets. Only x86-64 for now.

pub mod x64;
