//! The declarations of a function's preamble (`ss`, `gv`, `sig`, `fn`, `const`, `region`,
//! `stack_limit`), signatures and external names.

use super::{entity_number, word_is_identifier, Ctx, PResult, Parser};
use crate::ir::dfg::{ConstantData, ExtFuncData, ExternalName};
use crate::ir::entity::{FuncRef, GlobalValue, SigRef, StackSlot};
use crate::ir::function::{AliasRegionData, Function, GlobalValueData, StackSlotData};
use crate::ir::immediates::{parse_int_bits, Imm64};
use crate::ir::lexer::Token;
use crate::ir::signature::{AbiParam, ArgumentExtension, ArgumentPurpose, CallConv, Signature};
use crate::ir::types::Type;

impl<'a> Parser<'a> {
    /// One preamble line; the caller has seen that it does not start a block.
    pub(super) fn preamble_decl(&mut self, func: &mut Function, ctx: &mut Ctx) -> PResult<()> {
        let (word, at) = self.ident("a declaration")?;
        if word == "stack_limit" {
            self.expect(Token::Equal)?;
            let gv = self.global_value_ref(ctx)?;
            if func.stack_limit.is_some() {
                return Err(self.error_at(at, "stack_limit is declared twice"));
            }
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
            let patchable = self.eat(Token::Ident("patchable"));
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
                patchable,
            };
            ctx.funcs.insert(n, func.dfg.ext_funcs.push(data));
        } else if let Some(n) = entity_number(word, "const") {
            self.expect(Token::Equal)?;
            let data = match self.peek() {
                Some(Token::Ident(t)) if Type::parse(t).is_some() => {
                    let ty = self.ty()?;
                    self.typed_constant(ty)?
                }
                Some(Token::Integer(s)) if s.starts_with("0x") => {
                    let lit_at = self.offset();
                    self.bump();
                    self.hex_constant(s, lit_at)?
                }
                _ => {
                    return Err(
                        self.error("expected a hex constant such as 0x0011 or a typed constant")
                    )
                }
            };
            if ctx.constants.contains_key(&n) {
                return Err(duplicate(self, "constant"));
            }
            ctx.constants.insert(n, func.dfg.constants.push(data));
        } else if let Some(n) = entity_number(word, "region") {
            // Cranelift numbers regions by position, so they are declared in order.
            if n as usize != func.alias_regions.len() {
                return Err(self.error_at(
                    at,
                    format!(
                        "alias regions are declared in order: expected region{}, found {word}",
                        func.alias_regions.len()
                    ),
                ));
            }
            self.expect(Token::Equal)?;
            let (text, id_at) = self.integer("an alias region's user id")?;
            let user_id = text
                .parse::<u32>()
                .map_err(|_| self.error_at(id_at, format!("bad alias region user id '{text}'")))?;
            let description = match self.peek() {
                Some(Token::String(s)) => {
                    self.bump();
                    s.to_string()
                }
                _ => return Err(self.error("expected a quoted description of the alias region")),
            };
            func.alias_regions.push(AliasRegionData {
                user_id,
                description,
            });
            ctx.alias_regions += 1;
        } else if entity_number(word, "dt").is_some() || entity_number(word, "dss").is_some() {
            return Err(self.error_at(
                at,
                format!("{word}: dynamic vector types are not supported yet (no x86-64 lowering)"),
            ));
        } else {
            return Err(self.error_at(
                at,
                format!("expected a declaration (ss, gv, sig, fn, const, region, stack_limit) or a block, found '{word}'"),
            ));
        }
        Ok(())
    }

    /// The bytes of a hex constant, least significant first; the digit count sets the length.
    pub(super) fn hex_constant(&self, text: &str, at: usize) -> PResult<ConstantData> {
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

    /// `explicit_slot SIZE [, align = N] [, key = N]`, flags in any order.
    fn stack_slot_decl(&mut self) -> PResult<StackSlotData> {
        let (kind, at) = self.ident("a stack slot kind")?;
        if kind != "explicit_slot" {
            let why = if kind == "explicit_dynamic_slot" {
                "dynamic vector types are not supported yet".to_string()
            } else {
                format!("unknown stack slot kind '{kind}' (expected explicit_slot)")
            };
            return Err(self.error_at(at, why));
        }
        let size = self.u32_literal("a slot size")?;
        let mut data = StackSlotData::explicit(size, 0);
        while self.eat(Token::Comma) {
            let (flag, at) = self.ident("'align' or 'key'")?;
            self.expect(Token::Equal)?;
            match flag {
                "align" => {
                    let at = self.offset();
                    let align = self.u32_literal("an alignment")?;
                    if !align.is_power_of_two() {
                        return Err(
                            self.error_at(at, format!("alignment {align} is not a power of two"))
                        );
                    }
                    data.align_shift = align.trailing_zeros() as u8;
                }
                "key" => {
                    let (text, at) = self.integer("a key")?;
                    let bits = parse_int_bits(text, 64)
                        .ok()
                        .filter(|_| !text.starts_with('-'))
                        .ok_or_else(|| self.error_at(at, format!("bad key '{text}'")))?;
                    data.key = Some(bits as u64);
                }
                _ => {
                    return Err(self.error_at(
                        at,
                        format!("unknown stack slot flag '{flag}' (expected align or key)"),
                    ))
                }
            }
        }
        Ok(data)
    }

    pub(super) fn u32_literal(&mut self, what: &str) -> PResult<u32> {
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
                    let flags_at = self.offset();
                    let flags = self.memflags(ctx)?;
                    if !(flags.notrap() && flags.aligned) {
                        return Err(
                            self.error_at(flags_at, "global-value load must be notrap and aligned")
                        );
                    }
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
            "dyn_scale_target_const" => Err(self.error_at(
                at,
                "dyn_scale_target_const: dynamic vector types are not supported yet",
            )),
            _ => Err(self.error_at(at, format!("unknown global value kind '{kind}'"))),
        }
    }

    // ---- names and signatures ----

    /// `%name` or `uN:M`.
    pub(super) fn external_name(&mut self) -> PResult<ExternalName> {
        match self.peek() {
            Some(Token::Name(n)) => {
                self.bump();
                Ok(ExternalName::TestCase(n.to_string()))
            }
            Some(Token::Ident(s)) if entity_number(s, "u").is_some() => {
                let namespace = entity_number(s, "u").unwrap_or(0);
                self.bump();
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

    pub(super) fn ty(&mut self) -> PResult<Type> {
        let (word, at) = self.ident("a type")?;
        Type::parse(word).ok_or_else(|| self.error_at(at, format!("unknown type '{word}'")))
    }

    fn abi_param(&mut self) -> PResult<AbiParam> {
        let mut param = AbiParam::new(self.ty()?);
        loop {
            match self.peek() {
                Some(Token::Ident("uext")) => param.extension = ArgumentExtension::Uext,
                Some(Token::Ident("sext")) => param.extension = ArgumentExtension::Sext,
                Some(Token::Ident("normal")) => param.purpose = ArgumentPurpose::Normal,
                Some(Token::Ident("sret")) => param.purpose = ArgumentPurpose::StructReturn,
                Some(Token::Ident("vmctx")) => param.purpose = ArgumentPurpose::VMContext,
                Some(Token::Ident("sarg")) => {
                    self.bump();
                    self.expect(Token::LParen)?;
                    let size = self.u32_literal("a struct size")?;
                    self.expect(Token::RParen)?;
                    param.purpose = ArgumentPurpose::StructArgument(size);
                    continue;
                }
                _ => return Ok(param),
            }
            self.bump();
        }
    }

    /// `(params) [-> returns] [call_conv]`; the convention defaults to `fast`, or to the host's
    /// (`system_v`) in a file with `test run`, as in Cranelift.
    pub(super) fn signature(&mut self) -> PResult<Signature> {
        let mut sig = Signature::new(self.default_call_conv);
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
        // As in Cranelift, a word after a signature can only be its calling convention.
        if let Some(Token::Ident(word)) = self.peek() {
            if word_is_identifier(word) && word != "stack_limit" {
                let at = self.offset();
                sig.call_conv = CallConv::parse(word).ok_or_else(|| {
                    self.error_at(at, format!("unknown calling convention '{word}'"))
                })?;
                self.bump();
            }
        }
        Ok(sig)
    }

    // ---- entity references ----

    pub(super) fn global_value_ref(&mut self, ctx: &Ctx) -> PResult<GlobalValue> {
        let (n, at) = self.entity("gv", "a global value")?;
        ctx.global_values
            .get(&n)
            .copied()
            .ok_or_else(|| self.error_at(at, format!("undeclared global value gv{n}")))
    }

    pub(super) fn sig_ref(&mut self, ctx: &Ctx) -> PResult<SigRef> {
        let (n, at) = self.entity("sig", "a signature reference")?;
        ctx.sigs
            .get(&n)
            .copied()
            .ok_or_else(|| self.error_at(at, format!("undeclared signature sig{n}")))
    }

    pub(super) fn func_ref(&mut self, ctx: &Ctx) -> PResult<FuncRef> {
        let (n, at) = self.entity("fn", "a function reference")?;
        ctx.funcs
            .get(&n)
            .copied()
            .ok_or_else(|| self.error_at(at, format!("undeclared function fn{n}")))
    }

    pub(super) fn stack_slot_ref(&mut self, ctx: &Ctx) -> PResult<StackSlot> {
        let (n, at) = self.entity("ss", "a stack slot")?;
        self.declared_stack_slot(ctx, n, at)
    }

    pub(super) fn declared_stack_slot(&self, ctx: &Ctx, n: u32, at: usize) -> PResult<StackSlot> {
        ctx.stack_slots
            .get(&n)
            .copied()
            .ok_or_else(|| self.error_at(at, format!("undeclared stack slot ss{n}")))
    }
}
