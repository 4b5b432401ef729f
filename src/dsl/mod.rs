//! The rule language: lexer, parser, checker, match-tree compiler and executor.

pub mod ast;
pub mod diag;
pub mod lexer;
pub mod parse;
