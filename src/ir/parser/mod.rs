//! The CLIF text parser: whole files (`test`, `target`, `set` lines, functions, `; run`
//! commands) into [`TestFile`], located errors otherwise.
//!
//! Entity numbers of values and blocks are kept as written (`v7` stays `v7`); preamble entities
//! (`ss`, `gv`, `sig`, `fn`, `const`) are numbered in declaration order and references are
//! mapped, so a file may declare `fn1` without `fn0`. Instruction operands are read by the
//! instruction's format from the opcode table; result types are derived from the table's type
//! rules and the controlling type (written as a suffix or inferred from an operand, which must
//! then be defined earlier in the text).

use super::dfg::{ExternalName, UserStackMapEntry};
use super::entity::{Block, Constant, FuncRef, GlobalValue, SigRef, StackSlot, Value};
use super::function::{DebugTag, Function, SourceLoc, SourcePos};
use super::lexer::{tokenize, LineMap, Spanned, Token, TokenStream};
use super::opcodes::{CtrlType, Opcode};
use super::runcmd::{run_command_body, RunCommand, RunParser};
use super::signature::CallConv;
use super::types::Type;
use std::collections::HashMap;
use std::fmt;

mod headers;
mod operands;
mod preamble;

pub use headers::{Header, HeaderKind};

/// A parse error: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub pos: SourcePos,
    /// Byte offset in the text, for showing the source line.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: error: {}", self.pos, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A function of a test file with its run commands.
#[derive(Clone, Debug)]
pub struct TestFunction {
    pub function: Function,
    pub run_commands: Vec<RunCommand>,
}

/// A parsed `.clif` file.
#[derive(Clone, Debug, Default)]
pub struct TestFile {
    pub headers: Vec<Header>,
    pub functions: Vec<TestFunction>,
}

/// Parses a whole CLIF file: header lines, then functions with their run commands.
pub fn parse_test_file(text: &str) -> Result<TestFile, ParseError> {
    let mut p = Parser {
        text,
        // Only run commands are read from comments.
        tokens: TokenStream::new(text, 0, |c| run_command_body(c).is_some()),
        lines: LineMap::new(text),
        default_call_conv: CallConv::Fast,
    };
    let mut file = TestFile {
        headers: p.headers()?,
        ..TestFile::default()
    };
    // As in Cranelift: signatures without a convention get the host's in files that run code
    // (compiled or interpreted).
    let runs = file.headers.iter().any(|h| {
        matches!(&h.kind, HeaderKind::Test { command, .. } if command == "run" || command == "interpret")
    });
    if runs {
        p.default_call_conv = CallConv::SystemV;
    }
    let mut starts = Vec::new();
    while let Some(tok) = p.peek() {
        match tok {
            Token::Ident("function") => {
                starts.push(p.offset());
                file.functions.push(TestFunction {
                    function: p.function()?,
                    run_commands: Vec::new(),
                });
            }
            Token::Ident(w @ ("test" | "target" | "set" | "feature")) => {
                return Err(p.error(&format!(
                    "expected 'function' ('{w}' lines come before the functions)"
                )))
            }
            _ => return Err(p.error("expected 'function', 'test', 'target', 'set' or 'feature'")),
        }
    }
    if let Some(e) = p.tokens.error() {
        return Err(p.error_at(e.offset, e.message.clone()));
    }
    let comments = p.tokens.take_comments();
    p.attach_run_commands(&comments, &starts, &mut file)?;
    Ok(file)
}

/// Parses the functions of a CLIF text, ignoring headers and run commands.
pub fn parse_functions(text: &str) -> Result<Vec<Function>, ParseError> {
    Ok(parse_test_file(text)?
        .functions
        .into_iter()
        .map(|f| f.function)
        .collect())
}

type PResult<T> = Result<T, ParseError>;

struct Parser<'a> {
    text: &'a str,
    tokens: TokenStream<'a>,
    lines: LineMap<'a>,
    /// The convention of signatures that name none.
    default_call_conv: CallConv,
}

/// Value and block numbers in text must be below this: they index tables directly.
const MAX_ENTITY_NUMBER: u32 = 1 << 24;

/// The entity prefixes Cranelift's lexer recognises; a word of one of them followed by a number
/// is an entity reference, never a keyword or a flag.
const ENTITY_PREFIXES: [&str; 17] = [
    "v",
    "block",
    "ss",
    "dss",
    "dt",
    "gv",
    "mt",
    "const",
    "fn",
    "sig",
    "u",
    "userextname",
    "extable",
    "tag",
    "region",
    "ret",
    "exn",
];

/// Whether Cranelift's lexer would read `word` as a plain identifier (an opcode, flag or
/// keyword), not as an entity reference or a type.
fn word_is_identifier(word: &str) -> bool {
    let is_entity = ENTITY_PREFIXES
        .iter()
        .any(|prefix| entity_number(word, prefix).is_some());
    !is_entity && Type::parse(word).is_none()
}

/// The number in an entity name such as `v12` for prefix `v`.
fn entity_number(word: &str, prefix: &str) -> Option<u32> {
    let digits = word.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

/// Per-function parsing state: maps from written preamble numbers to entities.
#[derive(Default)]
struct Ctx {
    stack_slots: HashMap<u32, StackSlot>,
    global_values: HashMap<u32, GlobalValue>,
    sigs: HashMap<u32, SigRef>,
    funcs: HashMap<u32, FuncRef>,
    constants: HashMap<u32, Constant>,
    /// Blocks referenced, with where, to check they are all defined.
    block_refs: Vec<(Block, usize)>,
    /// Aliases written, with where.
    aliases: Vec<(Value, Value, usize)>,
    /// How many alias regions the preamble declared.
    alias_regions: u32,
}

impl<'a> Parser<'a> {
    // ---- token access ----

    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.current().map(|s| s.token)
    }

    /// Moves past the current token.
    fn bump(&mut self) {
        self.tokens.advance();
    }

    /// The offset of the current token (the end of text at the end, the unreadable character
    /// at one).
    fn offset(&self) -> usize {
        match (self.tokens.current(), self.tokens.error()) {
            (Some(s), _) => s.start,
            (None, Some(e)) => e.offset,
            (None, None) => self.text.len(),
        }
    }

    fn found(&self) -> String {
        self.peek()
            .map_or_else(|| "end of file".into(), |t| t.describe())
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            pos: self.lines.pos(offset),
            offset,
            message: message.into(),
        }
    }

    /// "expected X, found Y" at the current token; at a character the lexer cannot read, that
    /// character is the error.
    fn error(&self, expected: &str) -> ParseError {
        if let (None, Some(e)) = (self.tokens.current(), self.tokens.error()) {
            return self.error_at(e.offset, e.message.clone());
        }
        self.error_at(self.offset(), format!("{expected}, found {}", self.found()))
    }

    fn eat(&mut self, token: Token<'_>) -> bool {
        if self.peek() == Some(token) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: Token<'_>) -> PResult<()> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error(&format!("expected {}", token.describe())))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<(&'a str, usize)> {
        match self.peek() {
            Some(Token::Ident(s)) => {
                let at = self.offset();
                self.bump();
                Ok((s, at))
            }
            _ => Err(self.error(&format!("expected {what}"))),
        }
    }

    /// An entity reference with the given prefix (`ss`, `block`, …).
    fn entity(&mut self, prefix: &str, what: &str) -> PResult<(u32, usize)> {
        match self.peek() {
            Some(Token::Ident(s)) => match entity_number(s, prefix) {
                // Values and blocks keep their numbers, so bound them to keep tables small.
                Some(n) if n >= MAX_ENTITY_NUMBER => Err(self.error_at(
                    self.offset(),
                    format!("{s} is numbered too high (the limit is {MAX_ENTITY_NUMBER})"),
                )),
                Some(n) => {
                    let at = self.offset();
                    self.bump();
                    Ok((n, at))
                }
                None => Err(self.error(&format!("expected {what}"))),
            },
            _ => Err(self.error(&format!("expected {what}"))),
        }
    }

    fn integer(&mut self, what: &str) -> PResult<(&'a str, usize)> {
        match self.peek() {
            Some(Token::Integer(s)) => {
                let at = self.offset();
                self.bump();
                Ok((s, at))
            }
            _ => Err(self.error(&format!("expected {what}"))),
        }
    }

    fn is_on_line_of(&self, offset: usize) -> bool {
        self.tokens
            .current()
            .is_some_and(|s| self.lines.line(s.start) == self.lines.line(offset))
    }

    // ---- run commands ----

    /// Reads each `; run` comment and gives it to the function it follows.
    fn attach_run_commands(
        &self,
        comments: &[Spanned<'a>],
        starts: &[usize],
        file: &mut TestFile,
    ) -> PResult<()> {
        for c in comments {
            let Token::Comment(text) = c.token else {
                continue;
            };
            let Some(body) = run_command_body(text) else {
                continue;
            };
            // A run command belongs to the function before it and is typed by that function's
            // signature, whatever name it writes (as in Cranelift, whose files rely on this).
            let owner = starts.partition_point(|&s| s < c.start);
            if owner == 0 {
                return Err(self.error_at(c.start, "run command before any function"));
            }
            let current = &file.functions[owner - 1].function;
            let body_start = c.start + body;
            let (tokens, _) = tokenize(&self.text[body_start..c.end], body_start)
                .map_err(|e| self.error_at(e.offset, e.message))?;
            let mut rp = RunParser {
                tokens: &tokens,
                pos: 0,
                end: c.end,
            };
            let located = |(offset, message): (usize, String)| self.error_at(offset, message);
            let command = if tokens.is_empty() {
                let name = match &current.name {
                    ExternalName::TestCase(n) => n.clone(),
                    other => other.to_string(),
                };
                RunCommand {
                    pos: self.lines.pos(c.start),
                    function: name,
                    args: Vec::new(),
                    expectation: super::runcmd::Expectation::True,
                }
            } else {
                let name = rp.callee().map_err(located)?;
                let sig = current.signature.clone();
                let (args, expectation) = rp.rest(&sig).map_err(located)?;
                RunCommand {
                    pos: self.lines.pos(c.start),
                    function: name,
                    args,
                    expectation,
                }
            };
            file.functions[owner - 1].run_commands.push(command);
        }
        Ok(())
    }

    // ---- functions ----

    fn function(&mut self) -> PResult<Function> {
        let start = self.offset();
        self.expect(Token::Ident("function"))?;
        let name = self.external_name()?;
        let signature = self.signature()?;
        let mut func = Function::new(name, signature);
        func.source_locs.function = Some(self.lines.pos(start));
        self.expect(Token::LBrace)?;
        let mut ctx = Ctx::default();
        while let Some(Token::Ident(word)) = self.peek() {
            if entity_number(word, "block").is_some() {
                break;
            }
            self.preamble_decl(&mut func, &mut ctx)?;
        }
        while let Some(tok) = self.peek() {
            if tok == Token::RBrace {
                break;
            }
            self.block(&mut func, &mut ctx)?;
        }
        self.expect(Token::RBrace)?;
        self.finish_function(&mut func, &ctx)?;
        Ok(func)
    }

    fn finish_function(&self, func: &mut Function, ctx: &Ctx) -> PResult<()> {
        for &(block, at) in &ctx.block_refs {
            if !func.layout.is_block_inserted(block) {
                return Err(self.error_at(at, format!("{block} is not defined")));
            }
        }
        for &(alias, _, at) in &ctx.aliases {
            let target = func.dfg.resolve_aliases(alias);
            if let super::dfg::ValueDef::Alias(_) = func.dfg.value_def(target) {
                return Err(self.error_at(at, format!("alias {alias} is part of a cycle")));
            }
            if !func.dfg.value_is_defined(target) {
                return Err(
                    self.error_at(at, format!("alias {alias} refers to undefined {target}"))
                );
            }
            let ty = func.dfg.value_type(target);
            func.dfg.set_alias_type(alias, ty);
        }
        Ok(())
    }

    // ---- entity references ----

    fn value(&mut self) -> PResult<Value> {
        let (n, _) = self.entity("v", "a value")?;
        Ok(Value::from_u32(n))
    }

    fn block_ref(&mut self, func: &mut Function, ctx: &mut Ctx) -> PResult<Block> {
        let (n, at) = self.entity("block", "a block")?;
        let block = Block::from_u32(n);
        func.dfg.ensure_block(block);
        ctx.block_refs.push((block, at));
        Ok(block)
    }

    // ---- blocks and instructions ----

    fn block(&mut self, func: &mut Function, ctx: &mut Ctx) -> PResult<()> {
        let (n, at) = self.entity("block", "a block or '}'")?;
        let block = Block::from_u32(n);
        func.dfg.ensure_block(block);
        if func.layout.is_block_inserted(block) {
            return Err(self.error_at(at, format!("{block} is defined twice")));
        }
        func.layout.append_block(block);
        func.source_locs.blocks[block] = Some(self.lines.pos(at));
        if self.eat(Token::LParen) && !self.eat(Token::RParen) {
            loop {
                let v_at = self.offset();
                let v = self.value()?;
                self.expect(Token::Colon)?;
                let ty = self.ty()?;
                if func.dfg.value_is_defined(v) {
                    return Err(self.error_at(v_at, format!("{v} is defined twice")));
                }
                func.dfg.attach_block_param(block, v, ty);
                if self.eat(Token::RParen) {
                    break;
                }
                if !self.eat(Token::Comma) {
                    return Err(self.error("expected ',' or ')' in block parameters"));
                }
            }
        }
        if self.eat(Token::Ident("cold")) {
            func.layout.set_cold(block);
        }
        self.expect(Token::Colon)?;
        loop {
            match self.peek() {
                None | Some(Token::RBrace) => return Ok(()),
                Some(Token::Ident(w)) if entity_number(w, "block").is_some() => return Ok(()),
                Some(Token::Ident("function")) => {
                    return Err(
                        self.error(&format!("expected '}}' to close function {}", func.name))
                    )
                }
                _ => self.inst(func, ctx, block)?,
            }
        }
    }

    /// `[<debug tags>] [@srcloc] [results =] opcode[.type] operands [, stack_map=[...]]`, or an
    /// alias `vA -> vB`.
    fn inst(&mut self, func: &mut Function, ctx: &mut Ctx, block: Block) -> PResult<()> {
        let tags = self.debug_tags(ctx)?;
        let srcloc = self.srcloc()?;
        let start = self.offset();
        let mut results = Vec::new();
        if let Some(Token::Ident(w)) = self.peek() {
            if entity_number(w, "v").is_some() {
                let first = self.value()?;
                if self.eat(Token::Arrow) {
                    let target = self.value()?;
                    // Cranelift allows an alias to be written again with the same target.
                    if func.dfg.value_def(first) == super::dfg::ValueDef::Alias(target) {
                        return Ok(());
                    }
                    if func.dfg.value_is_defined(first) {
                        return Err(self.error_at(start, format!("{first} is defined twice")));
                    }
                    func.dfg.make_alias(first, target);
                    ctx.aliases.push((first, target, start));
                    return Ok(());
                }
                results.push((first, start));
                while self.eat(Token::Comma) {
                    let at = self.offset();
                    results.push((self.value()?, at));
                }
                self.expect(Token::Equal)?;
            }
        }
        let (name, op_at) = self.ident("an instruction")?;
        let opcode = Opcode::from_name(name)
            .ok_or_else(|| self.error_at(op_at, format!("unknown opcode '{name}'")))?;
        let info = opcode.info();
        let suffix = if self.eat(Token::Dot) {
            let at = self.offset();
            Some((self.ty()?, at))
        } else {
            None
        };
        let explicit = match (info.ctrl, suffix) {
            (CtrlType::Explicit, None) => {
                return Err(self.error_at(
                    op_at,
                    format!("{name} needs a type suffix, such as {name}.i64"),
                ))
            }
            (CtrlType::NotPolymorphic, Some((_, at))) => {
                return Err(self.error_at(at, format!("{name} does not take a type suffix")))
            }
            (_, s) => s,
        };
        if let Some((ty, at)) = explicit {
            if !info.ctrl_types.contains(ty) {
                return Err(self.error_at(
                    at,
                    format!(
                        "{name} does not accept type {ty} (expected {})",
                        info.ctrl_types.describe()
                    ),
                ));
            }
        }
        let data = self.operands(func, ctx, opcode, explicit.map(|(t, _)| t), op_at)?;
        let inst = func.dfg.make_inst(data);
        let ctrl = match (info.ctrl, explicit) {
            (_, Some((t, _))) => t,
            (CtrlType::FromArg(n), None) => {
                let arg = func.dfg.inst_args(inst)[usize::from(n)];
                let ty = func.dfg.value_type(arg);
                if ty.is_invalid() {
                    return Err(self.error_at(
                        op_at,
                        format!("cannot infer the type of {name}: {arg} is not defined before this point; write {name}.TYPE"),
                    ));
                }
                if !info.ctrl_types.contains(ty) {
                    return Err(self.error_at(
                        op_at,
                        format!(
                            "{name} does not accept type {ty} of {arg} (expected {})",
                            info.ctrl_types.describe()
                        ),
                    ));
                }
                ty
            }
            _ => Type::INVALID,
        };
        let types = self.result_types(func, inst, ctrl, op_at)?;
        if types.len() != results.len() {
            return Err(self.error_at(
                start,
                format!(
                    "{name} has {} result(s) but {} value(s) are defined",
                    types.len(),
                    results.len()
                ),
            ));
        }
        for &(v, at) in &results {
            if func.dfg.value_is_defined(v) || results.iter().filter(|r| r.0 == v).count() > 1 {
                return Err(self.error_at(at, format!("{v} is defined twice")));
            }
        }
        let values: Vec<Value> = results.iter().map(|r| r.0).collect();
        func.dfg.attach_results(inst, &values, &types);
        func.layout.append_inst(inst, block);
        func.source_locs.insts[inst] = Some(self.lines.pos(start));
        func.srclocs[inst] = srcloc;
        if !tags.is_empty() {
            func.debug_tags.insert(inst, tags);
        }
        if self.eat(Token::Comma) {
            let entries = self.stack_map(ctx, opcode, op_at)?;
            func.dfg.user_stack_maps.insert(inst, entries);
        }
        Ok(())
    }

    /// `<ss0, 7, …>` before an instruction; empty when absent.
    fn debug_tags(&mut self, ctx: &Ctx) -> PResult<Vec<DebugTag>> {
        let mut tags = Vec::new();
        if !self.eat(Token::LAngle) {
            return Ok(tags);
        }
        while !self.eat(Token::RAngle) {
            match self.peek() {
                Some(Token::Integer(_)) => {
                    tags.push(DebugTag::User(self.u32_literal("a debug tag")?))
                }
                Some(Token::Ident(w)) if entity_number(w, "ss").is_some() => {
                    tags.push(DebugTag::StackSlot(self.stack_slot_ref(ctx)?))
                }
                _ => return Err(self.error("expected a number or a stack slot in debug tags")),
            }
            if !self.eat(Token::Comma) {
                self.expect(Token::RAngle)?;
                break;
            }
        }
        Ok(tags)
    }

    /// `@00c7` before an instruction (hexadecimal, at most 32 bits).
    fn srcloc(&mut self) -> PResult<Option<SourceLoc>> {
        let Some(Token::SourceLoc(text)) = self.peek() else {
            return Ok(None);
        };
        let at = self.offset();
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error_at(
                at,
                format!("source location '@{text}' is not a hexadecimal number"),
            ));
        }
        let n = u32::from_str_radix(text, 16).map_err(|_| {
            self.error_at(
                at,
                format!("source location '@{text}' does not fit in 32 bits"),
            )
        })?;
        self.bump();
        // Cranelift's "no location" is all ones; it is not written.
        Ok((n != u32::MAX).then_some(SourceLoc(n)))
    }

    /// `stack_map = [i32 @ ss0+4, …]` after a call's operands (the comma is read).
    fn stack_map(
        &mut self,
        ctx: &Ctx,
        opcode: Opcode,
        op_at: usize,
    ) -> PResult<Vec<UserStackMapEntry>> {
        let (word, at) = self.ident("'stack_map'")?;
        if word != "stack_map" {
            return Err(self.error_at(at, format!("expected 'stack_map', found '{word}'")));
        }
        if !opcode.is_call() || opcode.is_return() {
            return Err(self.error_at(
                op_at,
                format!("a stack map can only be attached to a call that returns, not {opcode}"),
            ));
        }
        self.expect(Token::Equal)?;
        self.expect(Token::LBracket)?;
        let mut entries = Vec::new();
        while !self.eat(Token::RBracket) {
            let ty = self.ty()?;
            // `@ss0` (no space) lexes as a would-be source location.
            let slot = match self.peek() {
                Some(Token::SourceLoc(w)) if entity_number(w, "ss").is_some() => {
                    let at = self.offset() + 1;
                    self.bump();
                    let n = entity_number(w, "ss").unwrap_or(0);
                    self.declared_stack_slot(ctx, n, at)?
                }
                _ => {
                    self.expect(Token::At)?;
                    self.stack_slot_ref(ctx)?
                }
            };
            let offset = match self.peek() {
                Some(Token::Integer(s)) if s.starts_with('+') => self.u32_literal("an offset")?,
                _ => {
                    self.expect(Token::Plus)?;
                    self.u32_literal("an offset")?
                }
            };
            entries.push(UserStackMapEntry { ty, slot, offset });
            if !self.eat(Token::Comma) {
                self.expect(Token::RBracket)?;
                break;
            }
        }
        Ok(entries)
    }

    fn result_types(
        &self,
        func: &Function,
        inst: super::entity::Inst,
        ctrl: Type,
        at: usize,
    ) -> PResult<Vec<Type>> {
        let opcode = func.dfg.inst(inst).opcode();
        let info = opcode.info();
        if opcode.results_from_signature() {
            let sig = func
                .dfg
                .call_signature(inst)
                .and_then(|s| func.dfg.signatures.get(s));
            return Ok(sig.map_or_else(Vec::new, |s| {
                s.returns.iter().map(|r| r.value_type).collect()
            }));
        }
        info.results
            .iter()
            .map(|rule| {
                rule.derive(ctrl).ok_or_else(|| {
                    self.error_at(
                        at,
                        format!("{opcode} has no result type for controlling type {ctrl}"),
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
