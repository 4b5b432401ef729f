//! The CLIF text parser: whole files (`test`, `target`, `set` lines, functions, `; run`
//! commands) into [`TestFile`], located errors otherwise.
//!
//! Entity numbers of values and blocks are kept as written (`v7` stays `v7`); preamble entities
//! (`ss`, `gv`, `sig`, `fn`, `const`) are numbered in declaration order and references are
//! mapped, so a file may declare `fn1` without `fn0`. Instruction operands are read by the
//! instruction's format from the opcode table; result types are derived from the table's type
//! rules and the controlling type (written as a suffix or inferred from an operand, which must
//! then be defined earlier in the text).

use super::dfg::{ConstantData, ExtFuncData, ExternalName};
use super::entity::{Block, Constant, FuncRef, GlobalValue, SigRef, StackSlot, Value};
use super::function::{Function, GlobalValueData, SourcePos, StackSlotData, StackSlotKind};
use super::immediates::{parse_int_bits, Imm64};
use super::lexer::{tokenize, LineMap, Spanned, Token};
use super::opcodes::{CtrlType, Opcode};
use super::runcmd::{run_command_body, RunCommand, RunParser};
use super::signature::{AbiParam, ArgumentExtension, ArgumentPurpose, CallConv, Signature};
use super::types::Type;
use std::collections::HashMap;

mod operands;
use std::fmt;

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

/// A header line of a test file, in file order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Header {
    /// `test run`: the words after `test`.
    Test(Vec<String>),
    /// `target x86_64 sse41 has_avx`: the ISA and its flags as written.
    Target { isa: String, flags: Vec<String> },
    /// `set opt_level=speed`: one setting.
    Set { name: String, value: Option<String> },
}

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

/// Parses a whole CLIF file.
pub fn parse_test_file(text: &str) -> Result<TestFile, ParseError> {
    let lines = LineMap::new(text);
    let (tokens, comments) = tokenize(text, 0).map_err(|e| ParseError {
        pos: lines.pos(e.offset),
        offset: e.offset,
        message: e.message,
    })?;
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
        lines,
    };
    let mut file = TestFile::default();
    let mut starts = Vec::new();
    while let Some(tok) = p.peek() {
        match tok {
            Token::Ident("test" | "target" | "set") => file.headers.extend(p.header_line()?),
            Token::Ident("function") => {
                starts.push(p.offset());
                file.functions.push(TestFunction {
                    function: p.function()?,
                    run_commands: Vec::new(),
                });
            }
            _ => return Err(p.error("expected 'function', 'test', 'target' or 'set'")),
        }
    }
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
    tokens: Vec<Spanned<'a>>,
    pos: usize,
    lines: LineMap<'a>,
}

/// Entity numbers in text must be below this.
const MAX_ENTITY_NUMBER: u32 = 1 << 24;

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
}

impl<'a> Parser<'a> {
    // ---- token access ----

    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).map(|s| s.token)
    }

    /// The offset of the current token (the end of text at the end).
    fn offset(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.text.len(), |s| s.start)
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

    /// "expected X, found Y" at the current token.
    fn error(&self, expected: &str) -> ParseError {
        self.error_at(self.offset(), format!("{expected}, found {}", self.found()))
    }

    fn eat(&mut self, token: Token<'_>) -> bool {
        if self.peek() == Some(token) {
            self.pos += 1;
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
                self.pos += 1;
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
                    self.pos += 1;
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
                self.pos += 1;
                Ok((s, at))
            }
            _ => Err(self.error(&format!("expected {what}"))),
        }
    }

    fn is_on_line_of(&self, offset: usize) -> bool {
        self.tokens
            .get(self.pos)
            .is_some_and(|s| self.lines.line(s.start) == self.lines.line(offset))
    }

    // ---- headers and run commands ----

    /// A `test`, `target` or `set` line: the words up to the end of the line.
    fn header_line(&mut self) -> PResult<Vec<Header>> {
        let start = self.offset();
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line = &self.text[start..line_end];
        let line = line.split(';').next().unwrap_or(line);
        while self
            .tokens
            .get(self.pos)
            .is_some_and(|s| s.start < line_end)
        {
            self.pos += 1;
        }
        let mut words = line.split_whitespace().map(str::to_string);
        let keyword = words.next().unwrap_or_default();
        let rest: Vec<String> = words.collect();
        Ok(match keyword.as_str() {
            "test" => vec![Header::Test(rest)],
            "target" => {
                let mut rest = rest.into_iter();
                let isa = rest
                    .next()
                    .ok_or_else(|| self.error_at(start, "expected an ISA name after 'target'"))?;
                vec![Header::Target {
                    isa,
                    flags: rest.collect(),
                }]
            }
            _ => {
                if rest.is_empty() {
                    return Err(self.error_at(start, "expected a setting after 'set'"));
                }
                rest.into_iter()
                    .map(|w| match w.split_once('=') {
                        Some((n, v)) => Header::Set {
                            name: n.into(),
                            value: Some(v.into()),
                        },
                        None => Header::Set {
                            name: w,
                            value: None,
                        },
                    })
                    .collect()
            }
        })
    }

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

    fn external_name(&mut self) -> PResult<ExternalName> {
        match self.peek() {
            Some(Token::Name(n)) => {
                self.pos += 1;
                Ok(ExternalName::TestCase(n.to_string()))
            }
            Some(Token::Ident(s)) if entity_number(s, "u").is_some() => {
                let namespace = entity_number(s, "u").unwrap_or(0);
                self.pos += 1;
                self.expect(Token::Colon)?;
                let (text, at) = self.integer("a user name index")?;
                let index = text
                    .parse::<u32>()
                    .map_err(|_| self.error_at(at, format!("bad user name index '{text}'")))?;
                Ok(ExternalName::User { namespace, index })
            }
            _ => Err(self.error("expected a function name such as %f or u0:1")),
        }
    }

    fn ty(&mut self) -> PResult<Type> {
        let (word, at) = self.ident("a type")?;
        Type::parse(word).ok_or_else(|| self.error_at(at, format!("unknown type '{word}'")))
    }

    fn abi_param(&mut self) -> PResult<AbiParam> {
        let mut param = AbiParam::new(self.ty()?);
        loop {
            match self.peek() {
                Some(Token::Ident("uext")) => param.extension = ArgumentExtension::Uext,
                Some(Token::Ident("sext")) => param.extension = ArgumentExtension::Sext,
                Some(Token::Ident("sret")) => param.purpose = ArgumentPurpose::StructReturn,
                Some(Token::Ident("vmctx")) => param.purpose = ArgumentPurpose::VMContext,
                Some(Token::Ident("sarg")) => {
                    self.pos += 1;
                    self.expect(Token::LParen)?;
                    let (text, at) = self.integer("a struct size")?;
                    let size = text
                        .parse::<u32>()
                        .map_err(|_| self.error_at(at, format!("bad struct size '{text}'")))?;
                    self.expect(Token::RParen)?;
                    param.purpose = ArgumentPurpose::StructArgument(size);
                    continue;
                }
                _ => return Ok(param),
            }
            self.pos += 1;
        }
    }

    /// `(params) [-> returns] [call_conv]`; the convention defaults to `fast`, as in Cranelift.
    fn signature(&mut self) -> PResult<Signature> {
        let mut sig = Signature::new(CallConv::Fast);
        self.expect(Token::LParen)?;
        if !self.eat(Token::RParen) {
            loop {
                sig.params.push(self.abi_param()?);
                if self.eat(Token::RParen) {
                    break;
                }
                if !self.eat(Token::Comma) {
                    return Err(self.error("expected ',' or ')' in parameter list"));
                }
            }
        }
        if self.eat(Token::Arrow) {
            loop {
                sig.returns.push(self.abi_param()?);
                if !self.eat(Token::Comma) {
                    break;
                }
            }
        }
        if let Some(Token::Ident(word)) = self.peek() {
            if let Some(cc) = CallConv::parse(word) {
                self.pos += 1;
                sig.call_conv = cc;
            }
        }
        Ok(sig)
    }

    fn preamble_decl(&mut self, func: &mut Function, ctx: &mut Ctx) -> PResult<()> {
        let (word, at) = self.ident("a declaration")?;
        if word == "stack_limit" {
            self.expect(Token::Equal)?;
            let gv = self.global_value_ref(ctx)?;
            func.stack_limit = Some(gv);
            return Ok(());
        }
        let duplicate =
            |p: &Self, kind: &str| p.error_at(at, format!("{kind} {word} is declared twice"));
        if let Some(n) = entity_number(word, "ss") {
            self.expect(Token::Equal)?;
            let data = self.stack_slot_decl()?;
            if ctx.stack_slots.contains_key(&n) {
                return Err(duplicate(self, "stack slot"));
            }
            ctx.stack_slots.insert(n, func.stack_slots.push(data));
        } else if let Some(n) = entity_number(word, "gv") {
            self.expect(Token::Equal)?;
            let data = self.global_value_decl(ctx)?;
            if ctx.global_values.contains_key(&n) {
                return Err(duplicate(self, "global value"));
            }
            ctx.global_values.insert(n, func.global_values.push(data));
        } else if let Some(n) = entity_number(word, "sig") {
            self.expect(Token::Equal)?;
            let sig = self.signature()?;
            if ctx.sigs.contains_key(&n) {
                return Err(duplicate(self, "signature"));
            }
            ctx.sigs.insert(n, func.dfg.signatures.push(sig));
        } else if let Some(n) = entity_number(word, "fn") {
            self.expect(Token::Equal)?;
            let colocated = self.eat(Token::Ident("colocated"));
            let name = self.external_name()?;
            let signature = if self.peek() == Some(Token::LParen) {
                // As in Cranelift, an inline signature takes the next signature number, and
                // later code may refer to it by that number.
                let sig = self.signature()?;
                let sig_ref = func.dfg.signatures.push(sig);
                ctx.sigs.entry(sig_ref.as_u32()).or_insert(sig_ref);
                sig_ref
            } else {
                self.sig_ref(ctx)?
            };
            if ctx.funcs.contains_key(&n) {
                return Err(duplicate(self, "function"));
            }
            let data = ExtFuncData {
                name,
                signature,
                colocated,
            };
            ctx.funcs.insert(n, func.dfg.ext_funcs.push(data));
        } else if let Some(n) = entity_number(word, "const") {
            self.expect(Token::Equal)?;
            let (text, lit_at) = match self.peek() {
                Some(Token::Integer(s)) if s.starts_with("0x") => {
                    let at = self.offset();
                    self.pos += 1;
                    (s, at)
                }
                _ => return Err(self.error("expected a hex constant such as 0x0011")),
            };
            let data = self.hex_constant(text, lit_at)?;
            if ctx.constants.contains_key(&n) {
                return Err(duplicate(self, "constant"));
            }
            ctx.constants.insert(n, func.dfg.constants.push(data));
        } else {
            return Err(self.error_at(
                at,
                format!("expected a declaration (ss, gv, sig, fn, const, stack_limit) or a block, found '{word}'"),
            ));
        }
        Ok(())
    }

    /// The bytes of a hex constant, least significant first; the digit count sets the length.
    fn hex_constant(&self, text: &str, at: usize) -> PResult<ConstantData> {
        let digits: Vec<u8> = text[2..]
            .bytes()
            .filter(|&b| b != b'_')
            .map(|b| (b as char).to_digit(16).map(|d| d as u8))
            .collect::<Option<_>>()
            .ok_or_else(|| self.error_at(at, format!("bad hex constant '{text}'")))?;
        let mut bytes = Vec::with_capacity(digits.len().div_ceil(2));
        for pair in digits.rchunks(2) {
            bytes.push(pair.iter().fold(0u8, |acc, &d| (acc << 4) | d));
        }
        Ok(ConstantData(bytes))
    }

    fn stack_slot_decl(&mut self) -> PResult<StackSlotData> {
        let (kind, at) = self.ident("a stack slot kind")?;
        if kind != "explicit_slot" {
            return Err(self.error_at(
                at,
                format!("unsupported stack slot kind '{kind}' (expected explicit_slot)"),
            ));
        }
        let size = self.u32_literal("a slot size")?;
        let mut align_shift = 0;
        if self.eat(Token::Comma) {
            self.expect(Token::Ident("align"))?;
            self.expect(Token::Equal)?;
            let at = self.offset();
            let align = self.u32_literal("an alignment")?;
            if !align.is_power_of_two() {
                return Err(self.error_at(at, format!("alignment {align} is not a power of two")));
            }
            align_shift = align.trailing_zeros() as u8;
        }
        Ok(StackSlotData {
            kind: StackSlotKind::Explicit,
            size,
            align_shift,
        })
    }

    fn u32_literal(&mut self, what: &str) -> PResult<u32> {
        let (text, at) = self.integer(what)?;
        let bits = parse_int_bits(text, 32)
            .ok()
            .filter(|_| !text.starts_with('-'))
            .ok_or_else(|| self.error_at(at, format!("bad {what} '{text}'")))?;
        Ok(bits as u32)
    }

    fn global_value_decl(&mut self, ctx: &Ctx) -> PResult<GlobalValueData> {
        let (kind, at) = self.ident("a global value kind")?;
        match kind {
            "vmctx" => Ok(GlobalValueData::VMContext),
            "load" | "iadd_imm" => {
                self.expect(Token::Dot)?;
                let global_type = self.ty()?;
                if kind == "load" {
                    let flags = self.memflags();
                    let base = self.global_value_ref(ctx)?;
                    let offset = self.offset32()?;
                    Ok(GlobalValueData::Load {
                        base,
                        offset,
                        global_type,
                        flags,
                    })
                } else {
                    let base = self.global_value_ref(ctx)?;
                    self.expect(Token::Comma)?;
                    let offset = self.imm64()?;
                    Ok(GlobalValueData::IAddImm {
                        base,
                        offset,
                        global_type,
                    })
                }
            }
            "symbol" => {
                let colocated = self.eat(Token::Ident("colocated"));
                let tls = self.eat(Token::Ident("tls"));
                let name = self.external_name()?;
                let offset = match self.peek() {
                    Some(Token::Integer(s)) if s.starts_with(['+', '-']) => self.imm64()?,
                    _ => Imm64(0),
                };
                Ok(GlobalValueData::Symbol {
                    name,
                    offset,
                    colocated,
                    tls,
                })
            }
            _ => Err(self.error_at(at, format!("unknown global value kind '{kind}'"))),
        }
    }

    // ---- entity references ----

    fn global_value_ref(&mut self, ctx: &Ctx) -> PResult<GlobalValue> {
        let (n, at) = self.entity("gv", "a global value")?;
        ctx.global_values
            .get(&n)
            .copied()
            .ok_or_else(|| self.error_at(at, format!("undeclared global value gv{n}")))
    }

    fn sig_ref(&mut self, ctx: &Ctx) -> PResult<SigRef> {
        let (n, at) = self.entity("sig", "a signature reference")?;
        ctx.sigs
            .get(&n)
            .copied()
            .ok_or_else(|| self.error_at(at, format!("undeclared signature sig{n}")))
    }

    fn func_ref(&mut self, ctx: &Ctx) -> PResult<FuncRef> {
        let (n, at) = self.entity("fn", "a function reference")?;
        ctx.funcs
            .get(&n)
            .copied()
            .ok_or_else(|| self.error_at(at, format!("undeclared function fn{n}")))
    }

    fn stack_slot_ref(&mut self, ctx: &Ctx) -> PResult<StackSlot> {
        let (n, at) = self.entity("ss", "a stack slot")?;
        ctx.stack_slots
            .get(&n)
            .copied()
            .ok_or_else(|| self.error_at(at, format!("undeclared stack slot ss{n}")))
    }

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

    fn inst(&mut self, func: &mut Function, ctx: &mut Ctx, block: Block) -> PResult<()> {
        let start = self.offset();
        let mut results = Vec::new();
        if let Some(Token::Ident(w)) = self.peek() {
            if entity_number(w, "v").is_some() {
                let first = self.value()?;
                if self.eat(Token::Arrow) {
                    let target = self.value()?;
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
        Ok(())
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
        if info.is_call() && !info.is_terminator() {
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
