//! The rule language: lexer, parser, checker, match-tree compiler and executor.
