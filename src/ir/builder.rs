//! Building functions from Rust, without text.
//!
//! [`FunctionBuilder`] keeps a current block; [`FunctionBuilder::ins`] appends instructions to
//! it through typed helpers whose result types come from the opcode table. The builder does not
//! verify: run [`verify_function`](super::verifier::verify_function) on the result, as the text
//! parser's callers do.
//!
//! ```
//! use rulesel::ir::builder::FunctionBuilder;
//! use rulesel::ir::{verify_function, AbiParam, CallConv, ExternalName, Function, IntCC, Signature, Type};
//!
//! // function %max(i32, i32) -> i32
//! let mut sig = Signature::new(CallConv::SystemV);
//! sig.params = vec![AbiParam::new(Type::I32); 2];
//! sig.returns = vec![AbiParam::new(Type::I32)];
//! let mut func = Function::new(ExternalName::TestCase("max".into()), sig);
//! let mut b = FunctionBuilder::new(&mut func);
//! let entry = b.create_block();
//! let (x, y) = (b.append_block_param(entry, Type::I32), b.append_block_param(entry, Type::I32));
//! let done = b.create_block();
//! let result = b.append_block_param(done, Type::I32);
//! b.switch_to_block(entry);
//! let x_greater = b.ins().icmp(IntCC::SignedGreaterThan, x, y);
//! b.ins().brif(x_greater, done, &[x], done, &[y]);
//! b.switch_to_block(done);
//! b.ins().return_(&[result]);
//! assert!(verify_function(&func).is_ok());
//! assert!(func.to_string().contains("v3 = icmp sgt v0, v1"));
//! ```

use super::condcodes::{FloatCC, IntCC};
use super::dfg::ExtFuncData;
use super::entity::{Block, FuncRef, GlobalValue, Inst, SigRef, StackSlot, Value};
use super::function::{Function, GlobalValueData, StackSlotData};
use super::immediates::{Ieee32, Ieee64, Imm64, Offset32};
use super::instructions::InstructionData;
use super::memflags::MemFlags;
use super::opcodes::{CtrlType, Opcode};
use super::signature::Signature;
use super::trapcode::TrapCode;
use super::types::Type;

/// Appends blocks and instructions to a function.
pub struct FunctionBuilder<'f> {
    func: &'f mut Function,
    current: Option<Block>,
}

impl<'f> FunctionBuilder<'f> {
    pub fn new(func: &'f mut Function) -> FunctionBuilder<'f> {
        FunctionBuilder {
            func,
            current: None,
        }
    }

    /// The function built so far.
    pub fn func(&self) -> &Function {
        self.func
    }

    /// A new block, not yet in the layout (it joins when first switched to).
    pub fn create_block(&mut self) -> Block {
        self.func.dfg.make_block()
    }

    pub fn append_block_param(&mut self, block: Block, ty: Type) -> Value {
        self.func.dfg.append_block_param(block, ty)
    }

    /// Gives `block` one parameter per parameter of the function's signature.
    pub fn append_block_params_for_function_params(&mut self, block: Block) -> Vec<Value> {
        let types: Vec<Type> = self
            .func
            .signature
            .params
            .iter()
            .map(|p| p.value_type)
            .collect();
        types
            .into_iter()
            .map(|t| self.append_block_param(block, t))
            .collect()
    }

    /// Makes `block` current, appending it to the layout the first time.
    pub fn switch_to_block(&mut self, block: Block) {
        if !self.func.layout.is_block_inserted(block) {
            self.func.layout.append_block(block);
        }
        self.current = Some(block);
    }

    pub fn current_block(&self) -> Option<Block> {
        self.current
    }

    pub fn create_stack_slot(&mut self, data: StackSlotData) -> StackSlot {
        self.func.stack_slots.push(data)
    }

    pub fn create_global_value(&mut self, data: GlobalValueData) -> GlobalValue {
        self.func.global_values.push(data)
    }

    pub fn import_signature(&mut self, sig: Signature) -> SigRef {
        self.func.dfg.signatures.push(sig)
    }

    pub fn import_function(&mut self, data: ExtFuncData) -> FuncRef {
        self.func.dfg.ext_funcs.push(data)
    }

    /// Instruction helpers appending to the current block. Panics if no block is current: that
    /// is a bug in the caller, not bad input.
    pub fn ins(&mut self) -> InstBuilder<'_, 'f> {
        let block = self
            .current
            .expect("switch_to_block before inserting instructions");
        InstBuilder {
            builder: self,
            block,
        }
    }
}

/// Appends one instruction to the builder's current block.
pub struct InstBuilder<'a, 'f> {
    builder: &'a mut FunctionBuilder<'f>,
    block: Block,
}

impl InstBuilder<'_, '_> {
    /// Appends `data`; results are typed by the opcode table (or the callee's signature for
    /// calls) given `ctrl`, which is used only for opcodes whose type is written explicitly.
    pub fn build(mut self, data: InstructionData, ctrl: Type) -> Inst {
        self.push(data, ctrl)
    }

    fn push(&mut self, data: InstructionData, ctrl: Type) -> Inst {
        let func = &mut *self.builder.func;
        let inst = func.dfg.make_inst(data);
        let info = data.opcode().info();
        let ctrl = match info.ctrl {
            CtrlType::FromArg(n) => func
                .dfg
                .inst_args(inst)
                .get(usize::from(n))
                .map_or(Type::INVALID, |&v| func.dfg.value_type(v)),
            CtrlType::Explicit => ctrl,
            CtrlType::NotPolymorphic => Type::INVALID,
        };
        let types: Vec<Type> = if data.opcode().results_from_signature() {
            func.dfg
                .call_signature(inst)
                .and_then(|s| func.dfg.signatures.get(s))
                .map_or_else(Vec::new, |s| {
                    s.returns.iter().map(|r| r.value_type).collect()
                })
        } else {
            // An underivable type (a bad controlling type) is left INVALID for the verifier.
            info.results
                .iter()
                .map(|r| r.derive(ctrl).unwrap_or(Type::INVALID))
                .collect()
        };
        func.dfg.make_results(inst, &types);
        func.layout.append_inst(inst, self.block);
        inst
    }

    /// Appends `data` and returns its first result.
    fn value(mut self, data: InstructionData, ctrl: Type) -> Value {
        let inst = self.push(data, ctrl);
        self.builder
            .func
            .dfg
            .first_result(inst)
            .expect("opcode defines a result")
    }

    /// Any one-operand instruction (`ineg`, `bnot`, `uextend`, …); `ty` is its explicit type if
    /// it has one.
    pub fn unary(self, opcode: Opcode, ty: Type, arg: Value) -> Value {
        self.value(InstructionData::Unary { opcode, arg }, ty)
    }

    /// Any two-operand instruction (`iadd`, `fmul`, `ishl`, …).
    pub fn binary(self, opcode: Opcode, x: Value, y: Value) -> Value {
        self.value(
            InstructionData::Binary {
                opcode,
                args: [x, y],
            },
            Type::INVALID,
        )
    }

    /// Any three-operand instruction (`select`, `fma`, `bitselect`, …).
    pub fn ternary(self, opcode: Opcode, x: Value, y: Value, z: Value) -> Value {
        self.value(
            InstructionData::Ternary {
                opcode,
                args: [x, y, z],
            },
            Type::INVALID,
        )
    }

    /// `iconst.ty imm`; the immediate is truncated to the type's width.
    pub fn iconst(self, ty: Type, imm: i64) -> Value {
        let imm = Imm64(imm).zero_extend_from(ty.bits());
        self.value(
            InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            },
            ty,
        )
    }

    pub fn f32const(self, value: f32) -> Value {
        let imm = Ieee32(value.to_bits());
        self.value(
            InstructionData::UnaryIeee32 {
                opcode: Opcode::F32const,
                imm,
            },
            Type::INVALID,
        )
    }

    pub fn f64const(self, value: f64) -> Value {
        let imm = Ieee64(value.to_bits());
        self.value(
            InstructionData::UnaryIeee64 {
                opcode: Opcode::F64const,
                imm,
            },
            Type::INVALID,
        )
    }

    pub fn iadd(self, x: Value, y: Value) -> Value {
        self.binary(Opcode::Iadd, x, y)
    }

    pub fn isub(self, x: Value, y: Value) -> Value {
        self.binary(Opcode::Isub, x, y)
    }

    pub fn imul(self, x: Value, y: Value) -> Value {
        self.binary(Opcode::Imul, x, y)
    }

    pub fn band(self, x: Value, y: Value) -> Value {
        self.binary(Opcode::Band, x, y)
    }

    pub fn bor(self, x: Value, y: Value) -> Value {
        self.binary(Opcode::Bor, x, y)
    }

    pub fn bxor(self, x: Value, y: Value) -> Value {
        self.binary(Opcode::Bxor, x, y)
    }

    pub fn ishl(self, x: Value, amount: Value) -> Value {
        self.binary(Opcode::Ishl, x, amount)
    }

    pub fn ushr(self, x: Value, amount: Value) -> Value {
        self.binary(Opcode::Ushr, x, amount)
    }

    pub fn sshr(self, x: Value, amount: Value) -> Value {
        self.binary(Opcode::Sshr, x, amount)
    }

    pub fn fadd(self, x: Value, y: Value) -> Value {
        self.binary(Opcode::Fadd, x, y)
    }

    pub fn fmul(self, x: Value, y: Value) -> Value {
        self.binary(Opcode::Fmul, x, y)
    }

    /// `iadd_imm x, imm`.
    pub fn iadd_imm(self, x: Value, imm: i64) -> Value {
        self.value(
            InstructionData::BinaryImm64 {
                opcode: Opcode::IaddImm,
                arg: x,
                imm: Imm64(imm),
            },
            Type::INVALID,
        )
    }

    /// `icmp cond x, y`: an `i8` that is 1 when the condition holds.
    pub fn icmp(self, cond: IntCC, x: Value, y: Value) -> Value {
        self.value(
            InstructionData::IntCompare {
                opcode: Opcode::Icmp,
                cond,
                args: [x, y],
            },
            Type::INVALID,
        )
    }

    pub fn fcmp(self, cond: FloatCC, x: Value, y: Value) -> Value {
        self.value(
            InstructionData::FloatCompare {
                opcode: Opcode::Fcmp,
                cond,
                args: [x, y],
            },
            Type::INVALID,
        )
    }

    /// `select c, x, y`: `x` if `c` is non-zero, else `y`.
    pub fn select(self, c: Value, x: Value, y: Value) -> Value {
        self.ternary(Opcode::Select, c, x, y)
    }

    pub fn uextend(self, ty: Type, x: Value) -> Value {
        self.unary(Opcode::Uextend, ty, x)
    }

    pub fn sextend(self, ty: Type, x: Value) -> Value {
        self.unary(Opcode::Sextend, ty, x)
    }

    pub fn ireduce(self, ty: Type, x: Value) -> Value {
        self.unary(Opcode::Ireduce, ty, x)
    }

    /// `load.ty flags addr+offset`.
    pub fn load(self, ty: Type, flags: MemFlags, addr: Value, offset: i32) -> Value {
        self.value(
            InstructionData::Load {
                opcode: Opcode::Load,
                flags,
                arg: addr,
                offset: Offset32(offset),
            },
            ty,
        )
    }

    /// `store flags value, addr+offset`.
    pub fn store(self, flags: MemFlags, value: Value, addr: Value, offset: i32) -> Inst {
        self.build(
            InstructionData::Store {
                opcode: Opcode::Store,
                flags,
                args: [value, addr],
                offset: Offset32(offset),
            },
            Type::INVALID,
        )
    }

    /// `stack_addr.ty slot+offset`.
    pub fn stack_addr(self, ty: Type, slot: StackSlot, offset: i32) -> Value {
        self.value(
            InstructionData::StackLoad {
                opcode: Opcode::StackAddr,
                stack_slot: slot,
                offset: Offset32(offset),
            },
            ty,
        )
    }

    /// `call fn(args)`; the results are those of the callee's signature.
    pub fn call(self, func_ref: FuncRef, args: &[Value]) -> Inst {
        let args = self.builder.func.dfg.make_value_list(args);
        self.build(
            InstructionData::Call {
                opcode: Opcode::Call,
                func_ref,
                args,
            },
            Type::INVALID,
        )
    }

    /// `jump block(args)`.
    pub fn jump(self, block: Block, args: &[Value]) -> Inst {
        let destination = self.builder.func.dfg.block_call(block, args);
        self.build(
            InstructionData::Jump {
                opcode: Opcode::Jump,
                destination,
            },
            Type::INVALID,
        )
    }

    /// `brif c, then(then_args), else(else_args)`.
    pub fn brif(
        self,
        c: Value,
        then_block: Block,
        then_args: &[Value],
        else_block: Block,
        else_args: &[Value],
    ) -> Inst {
        let dfg = &mut self.builder.func.dfg;
        let blocks = [
            dfg.block_call(then_block, then_args),
            dfg.block_call(else_block, else_args),
        ];
        self.build(
            InstructionData::Brif {
                opcode: Opcode::Brif,
                arg: c,
                blocks,
            },
            Type::INVALID,
        )
    }

    /// `return values`.
    pub fn return_(self, values: &[Value]) -> Inst {
        let args = self.builder.func.dfg.make_value_list(values);
        self.build(
            InstructionData::MultiAry {
                opcode: Opcode::Return,
                args,
            },
            Type::INVALID,
        )
    }

    /// `trap code`.
    pub fn trap(self, code: TrapCode) -> Inst {
        self.build(
            InstructionData::Trap {
                opcode: Opcode::Trap,
                code,
            },
            Type::INVALID,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::dfg::ExternalName;
    use crate::ir::parser::parse_functions;
    use crate::ir::signature::{AbiParam, CallConv};
    use crate::ir::verifier::verify_function;

    #[test]
    fn built_function_verifies_and_round_trips() {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.push(AbiParam::new(Type::I64));
        sig.returns.push(AbiParam::new(Type::I64));
        let mut func = Function::new(ExternalName::TestCase("sum".into()), sig);
        let mut b = FunctionBuilder::new(&mut func);
        let slot = b.create_stack_slot(StackSlotData::explicit(8, 3));
        let entry = b.create_block();
        let n = b.append_block_params_for_function_params(entry)[0];
        let header = b.create_block();
        let (i, acc) = (
            b.append_block_param(header, Type::I64),
            b.append_block_param(header, Type::I64),
        );
        let exit = b.create_block();
        b.switch_to_block(entry);
        let zero = b.ins().iconst(Type::I64, 0);
        b.ins().jump(header, &[zero, zero]);
        b.switch_to_block(header);
        let acc2 = b.ins().iadd(acc, i);
        let i2 = b.ins().iadd_imm(i, 1);
        let more = b.ins().icmp(IntCC::UnsignedLessThan, i2, n);
        b.ins().brif(more, header, &[i2, acc2], exit, &[]);
        b.switch_to_block(exit);
        let addr = b.ins().stack_addr(Type::I64, slot, 0);
        b.ins().store(MemFlags::trusted(), acc2, addr, 0);
        let back = b.ins().load(Type::I64, MemFlags::trusted(), addr, 0);
        b.ins().return_(&[back]);
        assert_eq!(verify_function(&func), Ok(()));
        let text = func.to_string();
        let reparsed = &parse_functions(&text).unwrap()[0];
        assert_eq!(reparsed.to_string(), text);
        assert!(text.contains("v8 = load.i64 notrap aligned v7"), "{text}");
    }
}
