//! Instruction operands, read by the instruction's format: values, immediates, flags, branch
//! targets, jump and exception tables, inline constants.

use super::{entity_number, word_is_identifier, Ctx, PResult, Parser};
use crate::ir::condcodes::{FloatCC, IntCC};
use crate::ir::dfg::ConstantData;
use crate::ir::entity::{Constant, ExceptionTable, Value};
use crate::ir::function::Function;
use crate::ir::immediates::{parse_int_bits, Ieee128, Ieee16, Ieee32, Ieee64, Imm64, Offset32};
use crate::ir::instructions::{
    BlockArg, BlockCall, ExceptionItem, ExceptionTableData, InstructionData, JumpTableData,
};
use crate::ir::lexer::Token;
use crate::ir::memflags::MemFlags;
use crate::ir::opcodes::{AtomicRmwOp, InstructionFormat, Opcode};
use crate::ir::trapcode::TrapCode;
use crate::ir::types::Type;

impl<'a> Parser<'a> {
    pub(super) fn comma(&mut self) -> PResult<()> {
        self.expect(Token::Comma)
    }

    /// Memory flags up to the first word that is not one: flag words, trap codes and one
    /// declared alias region (`region2`).
    pub(super) fn memflags(&mut self, ctx: &Ctx) -> PResult<MemFlags> {
        let mut flags = MemFlags::default();
        while let Some(Token::Ident(w)) = self.peek() {
            let at = self.offset();
            if let Some(n) = entity_number(w, "region") {
                if flags.alias_region.is_some() {
                    return Err(self.error_at(at, "a memory access has at most one alias region"));
                }
                if n >= ctx.alias_regions {
                    return Err(self.error_at(at, format!("undeclared alias region {w}")));
                }
                flags.alias_region = Some(n);
            } else if !word_is_identifier(w) {
                break;
            } else {
                match flags.set_by_name(w) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => return Err(self.error_at(at, e.0)),
                }
            }
            self.bump();
        }
        Ok(flags)
    }

    pub(super) fn offset32(&mut self) -> PResult<Offset32> {
        match self.peek() {
            Some(Token::Integer(s)) if s.starts_with(['+', '-']) => {
                let at = self.offset();
                self.bump();
                Offset32::parse(s).map_err(|e| self.error_at(at, e))
            }
            _ => Ok(Offset32(0)),
        }
    }

    pub(super) fn imm64(&mut self) -> PResult<Imm64> {
        let (text, at) = self.integer("an integer immediate")?;
        Imm64::parse(text).map_err(|e| self.error_at(at, e))
    }

    pub(super) fn uimm8(&mut self) -> PResult<u8> {
        let (text, at) = self.integer("a lane index")?;
        parse_int_bits(text, 8)
            .ok()
            .filter(|_| !text.starts_with('-'))
            .map(|b| b as u8)
            .ok_or_else(|| self.error_at(at, format!("bad lane index '{text}'")))
    }

    pub(super) fn float_text(&mut self, what: &str) -> PResult<(&'a str, usize)> {
        match self.peek() {
            Some(Token::Float(s)) | Some(Token::Integer(s)) => {
                let at = self.offset();
                self.bump();
                Ok((s, at))
            }
            _ => Err(self.error(&format!("expected {what}"))),
        }
    }

    pub(super) fn trap_code(&mut self) -> PResult<TrapCode> {
        let (word, at) = self.ident("a trap code")?;
        TrapCode::parse(word)
            .ok_or_else(|| self.error_at(at, format!("unknown trap code '{word}'")))
    }

    pub(super) fn int_cc(&mut self) -> PResult<IntCC> {
        let (word, at) = self.ident("an integer condition code")?;
        IntCC::parse(word)
            .ok_or_else(|| self.error_at(at, format!("unknown integer condition code '{word}'")))
    }

    /// `v1, v2, …` up to `)`, having read `(`.
    pub(super) fn value_list_until_paren(&mut self) -> PResult<Vec<Value>> {
        let mut values = Vec::new();
        if self.eat(Token::RParen) {
            return Ok(values);
        }
        loop {
            values.push(self.value()?);
            if self.eat(Token::RParen) {
                return Ok(values);
            }
            if !self.eat(Token::Comma) {
                return Err(self.error("expected ',' or ')'"));
            }
        }
    }

    pub(super) fn block_call(&mut self, func: &mut Function, ctx: &mut Ctx) -> PResult<BlockCall> {
        let block = self.block_ref(func, ctx)?;
        let mut args = Vec::new();
        if self.eat(Token::LParen) && !self.eat(Token::RParen) {
            loop {
                let (word, at) = self.ident("a block argument")?;
                let arg = if let Some(n) = entity_number(word, "v") {
                    BlockArg::Value(Value::from_u32(n))
                } else if let Some(n) = entity_number(word, "ret") {
                    BlockArg::TryCallRet(n)
                } else if let Some(n) = entity_number(word, "exn") {
                    BlockArg::TryCallExn(n)
                } else {
                    return Err(
                        self.error_at(at, format!("expected a block argument, found '{word}'"))
                    );
                };
                args.push(arg);
                if self.eat(Token::RParen) {
                    break;
                }
                if !self.eat(Token::Comma) {
                    return Err(self.error("expected ',' or ')' in block arguments"));
                }
            }
        }
        Ok(BlockCall {
            block,
            args: func.dfg.make_block_arg_list(&args),
        })
    }

    /// `sig0, block1(ret0), [ context v3, tag1: block2(exn0), default: block3 ]`.
    pub(super) fn exception_table(
        &mut self,
        func: &mut Function,
        ctx: &mut Ctx,
    ) -> PResult<ExceptionTable> {
        let sig = self.sig_ref(ctx)?;
        self.comma()?;
        let normal_return = self.block_call(func, ctx)?;
        let mut items = Vec::new();
        self.comma()?;
        self.expect(Token::LBracket)?;
        if !self.eat(Token::RBracket) {
            loop {
                let (word, at) = self.ident("an exception tag, 'default' or 'context'")?;
                let item = if word == "context" {
                    ExceptionItem::Context(self.value()?)
                } else if word == "default" {
                    self.expect(Token::Colon)?;
                    ExceptionItem::Default(self.block_call(func, ctx)?)
                } else if let Some(digits) = word.strip_prefix("tag") {
                    let tag = digits
                        .parse::<u32>()
                        .ok()
                        .filter(|_| entity_number(word, "tag").is_some())
                        .ok_or_else(|| {
                            let why = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                                format!("exception tag '{word}' is out of range (tags are 32-bit: tag0 to tag{})", u32::MAX)
                            } else {
                                format!("expected an exception tag such as tag1, found '{word}'")
                            };
                            self.error_at(at, why)
                        })?;
                    self.expect(Token::Colon)?;
                    ExceptionItem::Tag(tag, self.block_call(func, ctx)?)
                } else {
                    return Err(self.error_at(
                        at,
                        format!(
                            "expected an exception tag, 'default' or 'context', found '{word}'"
                        ),
                    ));
                };
                items.push(item);
                if self.eat(Token::RBracket) {
                    break;
                }
                if !self.eat(Token::Comma) {
                    return Err(self.error("expected ',' or ']' in exception table"));
                }
            }
        }
        Ok(func
            .dfg
            .exception_tables
            .push(ExceptionTableData::new(sig, normal_return, &items)))
    }

    /// A constant operand of `vconst`/`f128const`: `constN`, `[lanes]` or a literal.
    pub(super) fn constant_operand(
        &mut self,
        func: &mut Function,
        ctx: &Ctx,
        opcode: Opcode,
        ctrl: Option<Type>,
    ) -> PResult<Constant> {
        let at = self.offset();
        if let Some(Token::Ident(w)) = self.peek() {
            if let Some(n) = entity_number(w, "const") {
                self.bump();
                return ctx
                    .constants
                    .get(&n)
                    .copied()
                    .ok_or_else(|| self.error_at(at, format!("undeclared constant const{n}")));
            }
        }
        let data = if opcode == Opcode::F128const {
            let (text, at) = self.float_text("an f128 literal")?;
            let f = Ieee128::parse(text).map_err(|e| self.error_at(at, e))?;
            ConstantData(f.0.to_le_bytes().to_vec())
        } else {
            self.typed_constant(ctrl.unwrap_or(Type::I8X16))?
        };
        Ok(func.dfg.constants.push(data))
    }

    /// A constant of type `ty`: lanes in brackets (`[1 2 3 4]`) or one integer.
    pub(super) fn typed_constant(&mut self, ty: Type) -> PResult<ConstantData> {
        let at = self.offset();
        if ty.bits() > 128 {
            return Err(self.error_at(at, format!("constants of type {ty} are not supported")));
        }
        let size = ty.bytes() as usize;
        if self.eat(Token::LBracket) {
            let lane = ty.lane_type();
            let mut bytes = Vec::with_capacity(size);
            for _ in 0..ty.lane_count() {
                let (text, at) = self.float_text("a lane value")?;
                let bits = match lane {
                    Type::F16 => Ieee16::parse(text).map(|f| u128::from(f.0)),
                    Type::F32 => Ieee32::parse(text).map(|f| u128::from(f.0)),
                    Type::F64 => Ieee64::parse(text).map(|f| u128::from(f.0)),
                    Type::F128 => Ieee128::parse(text).map(|f| f.0),
                    _ => parse_int_bits(text, lane.bits()),
                }
                .map_err(|e| self.error_at(at, e))?;
                let lane_bytes = lane.bytes() as usize;
                bytes.extend_from_slice(&bits.to_le_bytes()[..lane_bytes]);
            }
            if !self.eat(Token::RBracket) {
                return Err(self.error(&format!("expected ']' after {} lanes", ty.lane_count())));
            }
            Ok(ConstantData(bytes))
        } else {
            let (text, at) = self.integer("a constant")?;
            let bits = parse_int_bits(text, ty.bits()).map_err(|e| self.error_at(at, e))?;
            Ok(ConstantData(bits.to_le_bytes()[..size].to_vec()))
        }
    }

    pub(super) fn shuffle_mask(&mut self) -> PResult<[u8; 16]> {
        let mut mask = [0u8; 16];
        if self.eat(Token::LBracket) {
            for m in mask.iter_mut() {
                let at = self.offset();
                *m = self.uimm8()?;
                if *m >= 32 {
                    return Err(
                        self.error_at(at, format!("shuffle lane index {m} is out of range 0..32"))
                    );
                }
            }
            self.expect(Token::RBracket)?;
        } else {
            let (text, at) = self.integer("a shuffle mask")?;
            let bits = parse_int_bits(text, 128).map_err(|e| self.error_at(at, e))?;
            mask = bits.to_le_bytes();
        }
        Ok(mask)
    }

    /// The operands of `opcode`, laid out by its format.
    pub(super) fn operands(
        &mut self,
        func: &mut Function,
        ctx: &mut Ctx,
        opcode: Opcode,
        ctrl: Option<Type>,
        op_at: usize,
    ) -> PResult<InstructionData> {
        use InstructionData as D;
        Ok(match opcode.format() {
            InstructionFormat::NullAry => D::NullAry { opcode },
            InstructionFormat::Unary => D::Unary {
                opcode,
                arg: self.value()?,
            },
            InstructionFormat::UnaryImm => {
                let (text, at) = self.integer("an integer immediate")?;
                let bits = ctrl.map_or(64, |t| t.bits());
                let value = parse_int_bits(text, bits).map_err(|e| self.error_at(at, e))?;
                D::UnaryImm {
                    opcode,
                    imm: Imm64(value as u64 as i64),
                }
            }
            InstructionFormat::UnaryIeee16 => {
                let (text, at) = self.float_text("an f16 literal")?;
                D::UnaryIeee16 {
                    opcode,
                    imm: Ieee16::parse(text).map_err(|e| self.error_at(at, e))?,
                }
            }
            InstructionFormat::UnaryIeee32 => {
                let (text, at) = self.float_text("an f32 literal")?;
                D::UnaryIeee32 {
                    opcode,
                    imm: Ieee32::parse(text).map_err(|e| self.error_at(at, e))?,
                }
            }
            InstructionFormat::UnaryIeee64 => {
                let (text, at) = self.float_text("an f64 literal")?;
                D::UnaryIeee64 {
                    opcode,
                    imm: Ieee64::parse(text).map_err(|e| self.error_at(at, e))?,
                }
            }
            InstructionFormat::UnaryConst => D::UnaryConst {
                opcode,
                constant: self.constant_operand(func, ctx, opcode, ctrl)?,
            },
            InstructionFormat::UnaryGlobalValue => D::UnaryGlobalValue {
                opcode,
                global_value: self.global_value_ref(ctx)?,
            },
            InstructionFormat::Binary => {
                let a = self.value()?;
                self.comma()?;
                D::Binary {
                    opcode,
                    args: [a, self.value()?],
                }
            }
            InstructionFormat::BinaryImm8 => {
                let arg = self.value()?;
                self.comma()?;
                D::BinaryImm8 {
                    opcode,
                    arg,
                    imm: self.uimm8()?,
                }
            }
            InstructionFormat::BinaryImm64 => {
                let arg = self.value()?;
                self.comma()?;
                D::BinaryImm64 {
                    opcode,
                    arg,
                    imm: self.imm64()?,
                }
            }
            InstructionFormat::Ternary => {
                let a = self.value()?;
                self.comma()?;
                let b = self.value()?;
                self.comma()?;
                D::Ternary {
                    opcode,
                    args: [a, b, self.value()?],
                }
            }
            InstructionFormat::TernaryImm8 => {
                let a = self.value()?;
                self.comma()?;
                let b = self.value()?;
                self.comma()?;
                D::TernaryImm8 {
                    opcode,
                    args: [a, b],
                    imm: self.uimm8()?,
                }
            }
            InstructionFormat::Shuffle => {
                let a = self.value()?;
                self.comma()?;
                let b = self.value()?;
                self.comma()?;
                D::Shuffle {
                    opcode,
                    args: [a, b],
                    mask: self.shuffle_mask()?,
                }
            }
            InstructionFormat::IntCompare => {
                let cond = self.int_cc()?;
                let a = self.value()?;
                self.comma()?;
                D::IntCompare {
                    opcode,
                    cond,
                    args: [a, self.value()?],
                }
            }
            InstructionFormat::IntCompareImm => {
                let cond = self.int_cc()?;
                let arg = self.value()?;
                self.comma()?;
                D::IntCompareImm {
                    opcode,
                    cond,
                    arg,
                    imm: self.imm64()?,
                }
            }
            InstructionFormat::FloatCompare => {
                let (word, at) = self.ident("a float condition code")?;
                let cond = FloatCC::parse(word).ok_or_else(|| {
                    self.error_at(at, format!("unknown float condition code '{word}'"))
                })?;
                let a = self.value()?;
                self.comma()?;
                D::FloatCompare {
                    opcode,
                    cond,
                    args: [a, self.value()?],
                }
            }
            InstructionFormat::IntAddTrap => {
                let a = self.value()?;
                self.comma()?;
                let b = self.value()?;
                self.comma()?;
                D::IntAddTrap {
                    opcode,
                    args: [a, b],
                    code: self.trap_code()?,
                }
            }
            InstructionFormat::Jump => D::Jump {
                opcode,
                destination: self.block_call(func, ctx)?,
            },
            InstructionFormat::Brif => {
                let arg = self.value()?;
                self.comma()?;
                let then = self.block_call(func, ctx)?;
                self.comma()?;
                D::Brif {
                    opcode,
                    arg,
                    blocks: [then, self.block_call(func, ctx)?],
                }
            }
            InstructionFormat::BranchTable => {
                let arg = self.value()?;
                self.comma()?;
                let default = self.block_call(func, ctx)?;
                let mut table = Vec::new();
                self.comma()?;
                self.expect(Token::LBracket)?;
                if !self.eat(Token::RBracket) {
                    loop {
                        table.push(self.block_call(func, ctx)?);
                        if self.eat(Token::RBracket) {
                            break;
                        }
                        if !self.eat(Token::Comma) {
                            return Err(self.error("expected ',' or ']' in jump table"));
                        }
                    }
                }
                D::BranchTable {
                    opcode,
                    arg,
                    table: func
                        .dfg
                        .jump_tables
                        .push(JumpTableData::new(default, &table)),
                }
            }
            InstructionFormat::Trap => D::Trap {
                opcode,
                code: self.trap_code()?,
            },
            InstructionFormat::CondTrap => {
                let arg = self.value()?;
                self.comma()?;
                D::CondTrap {
                    opcode,
                    arg,
                    code: self.trap_code()?,
                }
            }
            InstructionFormat::Call => {
                let func_ref = self.func_ref(ctx)?;
                self.expect(Token::LParen)?;
                let args = self.value_list_until_paren()?;
                D::Call {
                    opcode,
                    func_ref,
                    args: func.dfg.make_value_list(&args),
                }
            }
            InstructionFormat::CallIndirect => {
                let sig_ref = self.sig_ref(ctx)?;
                self.comma()?;
                let mut args = vec![self.value()?];
                self.expect(Token::LParen)?;
                args.extend(self.value_list_until_paren()?);
                D::CallIndirect {
                    opcode,
                    sig_ref,
                    args: func.dfg.make_value_list(&args),
                }
            }
            InstructionFormat::TryCall => {
                let func_ref = self.func_ref(ctx)?;
                self.expect(Token::LParen)?;
                let args = self.value_list_until_paren()?;
                self.comma()?;
                let exception = self.exception_table(func, ctx)?;
                D::TryCall {
                    opcode,
                    func_ref,
                    args: func.dfg.make_value_list(&args),
                    exception,
                }
            }
            InstructionFormat::TryCallIndirect => {
                let mut args = vec![self.value()?];
                self.expect(Token::LParen)?;
                args.extend(self.value_list_until_paren()?);
                self.comma()?;
                let exception = self.exception_table(func, ctx)?;
                D::TryCallIndirect {
                    opcode,
                    args: func.dfg.make_value_list(&args),
                    exception,
                }
            }
            InstructionFormat::FuncAddr => D::FuncAddr {
                opcode,
                func_ref: self.func_ref(ctx)?,
            },
            InstructionFormat::Load => {
                let flags = self.memflags(ctx)?;
                let arg = self.value()?;
                D::Load {
                    opcode,
                    flags,
                    arg,
                    offset: self.offset32()?,
                }
            }
            InstructionFormat::LoadNoOffset => D::LoadNoOffset {
                opcode,
                flags: self.memflags(ctx)?,
                arg: self.value()?,
            },
            InstructionFormat::Store => {
                let flags = self.memflags(ctx)?;
                let a = self.value()?;
                self.comma()?;
                let b = self.value()?;
                D::Store {
                    opcode,
                    flags,
                    args: [a, b],
                    offset: self.offset32()?,
                }
            }
            InstructionFormat::StoreNoOffset => {
                let flags = self.memflags(ctx)?;
                let a = self.value()?;
                self.comma()?;
                D::StoreNoOffset {
                    opcode,
                    flags,
                    args: [a, self.value()?],
                }
            }
            InstructionFormat::StackLoad => {
                let stack_slot = self.stack_slot_ref(ctx)?;
                D::StackLoad {
                    opcode,
                    stack_slot,
                    offset: self.offset32()?,
                }
            }
            InstructionFormat::StackStore => {
                let arg = self.value()?;
                self.comma()?;
                let stack_slot = self.stack_slot_ref(ctx)?;
                D::StackStore {
                    opcode,
                    arg,
                    stack_slot,
                    offset: self.offset32()?,
                }
            }
            InstructionFormat::DynamicStackLoad | InstructionFormat::DynamicStackStore => {
                return Err(self.error_at(
                    op_at,
                    format!("{opcode} is not supported: rulesel has no dynamic stack slots"),
                ));
            }
            InstructionFormat::AtomicRmw => {
                let flags = self.memflags(ctx)?;
                let (word, at) = self.ident("an atomic operation")?;
                let op = AtomicRmwOp::parse(word).ok_or_else(|| {
                    self.error_at(at, format!("unknown atomic operation '{word}'"))
                })?;
                let a = self.value()?;
                self.comma()?;
                D::AtomicRmw {
                    opcode,
                    flags,
                    op,
                    args: [a, self.value()?],
                }
            }
            InstructionFormat::AtomicCas => {
                let flags = self.memflags(ctx)?;
                let a = self.value()?;
                self.comma()?;
                let b = self.value()?;
                self.comma()?;
                D::AtomicCas {
                    opcode,
                    flags,
                    args: [a, b, self.value()?],
                }
            }
            InstructionFormat::MultiAry => {
                let mut args = Vec::new();
                let on_line = |p: &Self| {
                    p.is_on_line_of(op_at)
                        && matches!(p.peek(), Some(Token::Ident(w)) if entity_number(w, "v").is_some())
                };
                if on_line(self) {
                    loop {
                        args.push(self.value()?);
                        if !self.eat(Token::Comma) {
                            break;
                        }
                    }
                }
                D::MultiAry {
                    opcode,
                    args: func.dfg.make_value_list(&args),
                }
            }
            InstructionFormat::ExceptionHandlerAddress => {
                let block = self.block_ref(func, ctx)?;
                self.comma()?;
                D::ExceptionHandlerAddress {
                    opcode,
                    block,
                    imm: self.imm64()?,
                }
            }
        })
    }
}
