//! The opcode table: every CLIF opcode with its text name, instruction format, operand and result
//! typing rules, and side effects.
//!
//! This table is the one description of the instruction set. The parser reads it to know what
//! follows an opcode name and how to infer result types; the printer to lay operands out; the
//! verifier to check types and terminators; and the rule language to turn each opcode into an
//! extractor term `(iadd x y)` whose arguments are the opcode's value operands, in table order.
//!
//! # Typing
//!
//! A polymorphic instruction has a *controlling type* ([`CtrlType`]): written as a suffix
//! (`iconst.i32`, `load.i64`) or inferred from one value operand (`iadd v1, v2` takes `v1`'s type).
//! The controlling type must be in [`OpcodeInfo::ctrl_types`]. Each fixed value operand and each
//! result has a [`TypeRule`] relative to the controlling type (same type, its lane type, `i8`, a
//! narrower integer, …). Calls take their variable operands and results from a signature.

use super::types::Type;
use std::fmt;

/// How an instruction's operands and immediates are laid out, in text and in
/// [`InstructionData`](super::instructions::InstructionData). Each format lists its immediates in
/// the order they are written.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum InstructionFormat {
    /// `nop`, `get_frame_pointer.i64`.
    NullAry,
    /// One value: `ineg v1`.
    Unary,
    /// `iconst.i32 7`.
    UnaryImm,
    /// `f16const 0x1.0p0`.
    UnaryIeee16,
    /// `f32const 0x1.0p0`.
    UnaryIeee32,
    /// `f64const 0x1.0p0`.
    UnaryIeee64,
    /// A constant-pool entry or literal: `vconst.i32x4 [1 2 3 4]`, `f128const 0x1.0p0`.
    UnaryConst,
    /// `global_value.i64 gv0`.
    UnaryGlobalValue,
    /// Two values: `iadd v1, v2`.
    Binary,
    /// A value and a lane index: `extractlane v1, 3`.
    BinaryImm8,
    /// A value and a 64-bit immediate: `iadd_imm v1, 8`.
    BinaryImm64,
    /// Three values: `select v1, v2, v3`.
    Ternary,
    /// Two values and a lane index: `insertlane v1, v2, 3`.
    TernaryImm8,
    /// Two vectors and a 16-byte lane mask: `shuffle v1, v2, [0 1 …]`.
    Shuffle,
    /// `icmp slt v1, v2`.
    IntCompare,
    /// `icmp_imm slt v1, 10`.
    IntCompareImm,
    /// `fcmp lt v1, v2`.
    FloatCompare,
    /// `uadd_overflow_trap v1, v2, user1`.
    IntAddTrap,
    /// `jump block1(v1)`.
    Jump,
    /// `brif v0, block1(v1), block2`.
    Brif,
    /// `br_table v0, block3, [block1, block2]`.
    BranchTable,
    /// `trap user1`.
    Trap,
    /// `trapz v0, int_divz`.
    CondTrap,
    /// `call fn0(v1, v2)`.
    Call,
    /// `call_indirect sig0, v1(v2)`.
    CallIndirect,
    /// `try_call fn0(v1), sig0, block1(ret0), [ tag1: block2(exn0) ]`.
    TryCall,
    /// `try_call_indirect v1(v2), sig0, block1(ret0), []`.
    TryCallIndirect,
    /// `func_addr.i64 fn0`.
    FuncAddr,
    /// `load.i64 notrap v1+8`.
    Load,
    /// Flags and one value, no offset: `atomic_load.i64 v1`, `bitcast.i64 little v1`.
    LoadNoOffset,
    /// `store notrap v1, v2+8`.
    Store,
    /// `atomic_store v1, v2`.
    StoreNoOffset,
    /// `stack_load.i64 ss0+8`, `stack_addr.i64 ss0`.
    StackLoad,
    /// `stack_store v1, ss0+8`.
    StackStore,
    /// `dynamic_stack_load.i32x4 dss0`.
    DynamicStackLoad,
    /// `dynamic_stack_store v1, dss0`.
    DynamicStackStore,
    /// `atomic_rmw.i32 little add v1, v2`.
    AtomicRmw,
    /// `atomic_cas v1, v2, v3`.
    AtomicCas,
    /// Any number of values: `return v1, v2`.
    MultiAry,
    /// `get_exception_handler_address.i64 block2, 0`.
    ExceptionHandlerAddress,
}

/// The kind of a non-value field of an instruction, in the order it is written.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ImmKind {
    Imm64,
    /// A lane index.
    Uimm8,
    Ieee16,
    Ieee32,
    Ieee64,
    /// A constant-pool entry (written inline as a literal or as `constN`).
    Constant,
    GlobalValue,
    IntCC,
    FloatCC,
    TrapCode,
    MemFlags,
    Offset32,
    StackSlot,
    DynamicStackSlot,
    FuncRef,
    SigRef,
    /// The table of a `br_table` (default block and targets).
    JumpTable,
    AtomicRmwOp,
    /// The 16 lane indices of a `shuffle`.
    ShuffleMask,
    /// A branch target with its arguments.
    BlockCall,
    /// The normal-return and handler targets of a `try_call`.
    ExceptionTable,
    /// A block, without arguments.
    Block,
}

impl InstructionFormat {
    /// The number of value operands written before any variable part.
    pub fn fixed_value_count(self) -> usize {
        use InstructionFormat::*;
        match self {
            NullAry
            | UnaryImm
            | UnaryIeee16
            | UnaryIeee32
            | UnaryIeee64
            | UnaryConst
            | UnaryGlobalValue
            | Jump
            | Trap
            | Call
            | TryCall
            | FuncAddr
            | StackLoad
            | DynamicStackLoad
            | MultiAry
            | ExceptionHandlerAddress => 0,
            Unary | BinaryImm8 | BinaryImm64 | IntCompareImm | Brif | BranchTable | CondTrap
            | CallIndirect | TryCallIndirect | Load | LoadNoOffset | StackStore
            | DynamicStackStore => 1,
            Binary | TernaryImm8 | Shuffle | IntCompare | FloatCompare | IntAddTrap | Store
            | StoreNoOffset | AtomicRmw => 2,
            Ternary | AtomicCas => 3,
        }
    }

    /// Whether a variable number of value operands follows the fixed ones (call arguments,
    /// return values).
    pub fn has_variable_values(self) -> bool {
        use InstructionFormat::*;
        matches!(
            self,
            Call | CallIndirect | TryCall | TryCallIndirect | MultiAry
        )
    }

    /// The non-value fields of this format, in text order.
    pub fn immediates(self) -> &'static [ImmKind] {
        use ImmKind as K;
        use InstructionFormat::*;
        match self {
            NullAry | Unary | Binary | Ternary | MultiAry => &[],
            UnaryImm | BinaryImm64 => &[K::Imm64],
            UnaryIeee16 => &[K::Ieee16],
            UnaryIeee32 => &[K::Ieee32],
            UnaryIeee64 => &[K::Ieee64],
            UnaryConst => &[K::Constant],
            UnaryGlobalValue => &[K::GlobalValue],
            BinaryImm8 | TernaryImm8 => &[K::Uimm8],
            Shuffle => &[K::ShuffleMask],
            IntCompare => &[K::IntCC],
            IntCompareImm => &[K::IntCC, K::Imm64],
            FloatCompare => &[K::FloatCC],
            IntAddTrap | Trap | CondTrap => &[K::TrapCode],
            Jump => &[K::BlockCall],
            Brif => &[K::BlockCall, K::BlockCall],
            BranchTable => &[K::JumpTable],
            Call => &[K::FuncRef],
            CallIndirect => &[K::SigRef],
            TryCall => &[K::FuncRef, K::ExceptionTable],
            TryCallIndirect => &[K::ExceptionTable],
            FuncAddr => &[K::FuncRef],
            Load | Store => &[K::MemFlags, K::Offset32],
            LoadNoOffset | StoreNoOffset | AtomicCas => &[K::MemFlags],
            StackLoad | StackStore => &[K::StackSlot, K::Offset32],
            DynamicStackLoad | DynamicStackStore => &[K::DynamicStackSlot],
            AtomicRmw => &[K::MemFlags, K::AtomicRmwOp],
            ExceptionHandlerAddress => &[K::Block, K::Imm64],
        }
    }
}

/// Where an instruction's controlling type comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CtrlType {
    /// The instruction is not polymorphic; all its types are fixed.
    NotPolymorphic,
    /// Written as a suffix: `iconst.i64`, `load.f32`.
    Explicit,
    /// The type of the value operand with this index; a suffix may still be written.
    FromArg(u8),
}

/// A set of types a controlling type may be drawn from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TypeSet {
    /// Every type.
    Any,
    /// Scalar integers.
    Int,
    /// Integers, scalar or vector.
    IntOrVector,
    /// Scalar integers up to 64 bits (`iconcat`).
    IntUpTo64,
    /// Scalar integers of at least 16 bits (`isplit`).
    IntFrom16,
    /// Floats, scalar or vector.
    FloatOrVector,
    /// Any vector.
    Vector,
    /// Integer vectors.
    IntVector,
    /// Pointer-sized integers: `i32` or `i64`.
    Addr,
    /// `i8x16` alone.
    I8x16,
    /// `i64` alone.
    I64,
}

impl TypeSet {
    pub fn contains(self, t: Type) -> bool {
        if t.is_invalid() {
            return false;
        }
        match self {
            TypeSet::Any => true,
            TypeSet::Int => t.is_int(),
            TypeSet::IntOrVector => t.has_int_lanes(),
            TypeSet::IntUpTo64 => t.is_int() && t.bits() <= 64,
            TypeSet::IntFrom16 => t.is_int() && t.bits() >= 16,
            TypeSet::FloatOrVector => t.has_float_lanes(),
            TypeSet::Vector => t.is_vector(),
            TypeSet::IntVector => t.is_vector() && t.has_int_lanes(),
            TypeSet::Addr => t == Type::I32 || t == Type::I64,
            TypeSet::I8x16 => t == Type::I8X16,
            TypeSet::I64 => t == Type::I64,
        }
    }

    /// A short description for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            TypeSet::Any => "any type",
            TypeSet::Int => "a scalar integer type",
            TypeSet::IntOrVector => "an integer type",
            TypeSet::IntUpTo64 => "an integer type of at most 64 bits",
            TypeSet::IntFrom16 => "an integer type of at least 16 bits",
            TypeSet::FloatOrVector => "a float type",
            TypeSet::Vector => "a vector type",
            TypeSet::IntVector => "an integer vector type",
            TypeSet::Addr => "i32 or i64",
            TypeSet::I8x16 => "i8x16",
            TypeSet::I64 => "i64",
        }
    }
}

/// The type a value operand must have, or a result has, relative to the controlling type `c`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TypeRule {
    /// Exactly `c`.
    Ctrl,
    /// This type, whatever `c` is.
    Fixed(Type),
    /// The lane type of `c` (`extractlane` result, `splat` operand).
    Lane,
    /// A boolean-like result: `i8` for scalars, the integer vector of `c`'s shape for vectors.
    Truthy,
    /// Half as wide as `c` (`isplit` results).
    HalfWidth,
    /// Twice as wide as `c` (`iconcat` result).
    DoubleWidth,
    /// Lanes half as wide, twice as many (`snarrow` result).
    SplitLanes,
    /// Lanes twice as wide, half as many (`swiden_low` result).
    MergeLanes,
    /// Operands only: any scalar integer (shift amounts, conditions).
    ScalarInt,
    /// Operands only: an address, `i32` or `i64`.
    Addr,
    /// Operands only: same kind and lane count as `c`, narrower lanes (`uextend` operand).
    Narrower,
    /// Operands only: same kind and lane count as `c`, wider lanes (`ireduce` operand).
    Wider,
    /// Operands only: any type of the same total width as `c` (`bitcast` operand).
    SameSize,
    /// Operands only: any vector (`vhigh_bits` operand).
    AnyVector,
    /// Operands only: any type with integer lanes (`bmask` operand).
    IntLanes,
    /// Operands only: a float type with `c`'s lane count (`fcvt_to_sint` operand).
    FloatSameLanes,
    /// Operands only: an integer type with `c`'s lane count (`fcvt_from_sint` operand).
    IntSameLanes,
}

impl TypeRule {
    /// The one type this rule allows given controlling type `c`, if the rule fixes a type.
    pub fn derive(self, c: Type) -> Option<Type> {
        match self {
            TypeRule::Ctrl => Some(c),
            TypeRule::Fixed(t) => Some(t),
            TypeRule::Lane => Some(c.lane_type()),
            TypeRule::Truthy if c.is_vector() => Some(c.as_int()),
            TypeRule::Truthy => Some(Type::I8),
            TypeRule::HalfWidth => c.half_width(),
            TypeRule::DoubleWidth => c.double_width(),
            TypeRule::SplitLanes => c.half_width()?.lane_type().by(c.lane_count() * 2),
            TypeRule::MergeLanes if c.is_vector() => {
                c.double_width()?.lane_type().by(c.lane_count() / 2)
            }
            _ => None,
        }
    }

    /// Whether a value of type `t` satisfies this rule when the controlling type is `c`.
    pub fn accepts(self, c: Type, t: Type) -> bool {
        if let Some(exact) = self.derive(c) {
            return exact == t;
        }
        let same_shape_kind = |wider: bool| {
            t.lane_count() == c.lane_count()
                && t.has_int_lanes() == c.has_int_lanes()
                && if wider {
                    t.lane_bits() > c.lane_bits()
                } else {
                    t.lane_bits() < c.lane_bits()
                }
        };
        match self {
            TypeRule::ScalarInt => t.is_int(),
            TypeRule::Addr => t == Type::I32 || t == Type::I64,
            TypeRule::Narrower => same_shape_kind(false),
            TypeRule::Wider => same_shape_kind(true),
            TypeRule::SameSize => t.bits() == c.bits(),
            TypeRule::AnyVector => t.is_vector(),
            TypeRule::IntLanes => t.has_int_lanes(),
            TypeRule::FloatSameLanes => t.has_float_lanes() && t.lane_count() == c.lane_count(),
            TypeRule::IntSameLanes => t.has_int_lanes() && t.lane_count() == c.lane_count(),
            _ => false,
        }
    }

    /// A description of the expected type for error messages.
    pub fn describe(self, c: Type) -> String {
        if let Some(t) = self.derive(c) {
            return t.to_string();
        }
        match self {
            TypeRule::ScalarInt => "a scalar integer".into(),
            TypeRule::Addr => "i32 or i64".into(),
            TypeRule::Narrower => format!("a type narrower than {c}"),
            TypeRule::Wider => format!("a type wider than {c}"),
            TypeRule::SameSize => format!("a {}-bit type", c.bits()),
            TypeRule::AnyVector => "a vector".into(),
            TypeRule::IntLanes => "an integer type".into(),
            TypeRule::FloatSameLanes => format!("a float type with {} lanes", c.lane_count()),
            TypeRule::IntSameLanes => format!("an integer type with {} lanes", c.lane_count()),
            _ => format!("no type (invalid for {c})"),
        }
    }
}

/// Properties of an opcode, as a bit set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct OpcodeFlags(u16);

impl OpcodeFlags {
    pub const NONE: OpcodeFlags = OpcodeFlags(0);
    /// Ends a block; must be the last instruction of its block.
    pub const TERMINATOR: OpcodeFlags = OpcodeFlags(1);
    /// Transfers control to blocks named in the instruction.
    pub const BRANCH: OpcodeFlags = OpcodeFlags(2);
    /// Calls a function.
    pub const CALL: OpcodeFlags = OpcodeFlags(4);
    /// Returns from the function.
    pub const RETURN: OpcodeFlags = OpcodeFlags(8);
    /// May trap (loads and stores unless `notrap`, divisions, conditional traps).
    pub const CAN_TRAP: OpcodeFlags = OpcodeFlags(16);
    pub const CAN_LOAD: OpcodeFlags = OpcodeFlags(32);
    pub const CAN_STORE: OpcodeFlags = OpcodeFlags(64);
    /// Has an effect not described by the other flags; never removed or reordered.
    pub const OTHER_SIDE_EFFECTS: OpcodeFlags = OpcodeFlags(128);

    pub const fn union(self, other: OpcodeFlags) -> OpcodeFlags {
        OpcodeFlags(self.0 | other.0)
    }

    pub fn contains(self, other: OpcodeFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Everything the table says about one opcode.
#[derive(Clone, Copy, Debug)]
pub struct OpcodeInfo {
    /// The CLIF text name (`iadd`).
    pub name: &'static str,
    pub format: InstructionFormat,
    pub ctrl: CtrlType,
    /// The controlling types allowed (ignored when not polymorphic).
    pub ctrl_types: TypeSet,
    /// Type rules of the fixed value operands, in order. Variable operands (call arguments,
    /// return values) are typed by a signature.
    pub args: &'static [TypeRule],
    /// Type rules of the results. Calls have none here: their results come from the signature.
    pub results: &'static [TypeRule],
    pub flags: OpcodeFlags,
}

impl OpcodeInfo {
    /// The number of value operands, or `None` when it varies (calls, `return`).
    pub fn value_arity(&self) -> Option<usize> {
        (!self.format.has_variable_values()).then_some(self.args.len())
    }

    /// The non-value fields, in text order.
    pub fn immediates(&self) -> &'static [ImmKind] {
        self.format.immediates()
    }

    pub fn is_terminator(&self) -> bool {
        self.flags.contains(OpcodeFlags::TERMINATOR)
    }

    pub fn is_branch(&self) -> bool {
        self.flags.contains(OpcodeFlags::BRANCH)
    }

    pub fn is_call(&self) -> bool {
        self.flags.contains(OpcodeFlags::CALL)
    }

    pub fn is_return(&self) -> bool {
        self.flags.contains(OpcodeFlags::RETURN)
    }

    pub fn can_trap(&self) -> bool {
        self.flags.contains(OpcodeFlags::CAN_TRAP)
    }

    pub fn can_load(&self) -> bool {
        self.flags.contains(OpcodeFlags::CAN_LOAD)
    }

    pub fn can_store(&self) -> bool {
        self.flags.contains(OpcodeFlags::CAN_STORE)
    }

    pub fn has_other_side_effects(&self) -> bool {
        self.flags.contains(OpcodeFlags::OTHER_SIDE_EFFECTS)
    }

    /// Whether an instruction with this opcode may be removed when its results are unused, or
    /// moved: it cannot trap, store, call, branch, or have another effect.
    pub fn is_pure(&self) -> bool {
        !(self.is_terminator()
            || self.is_call()
            || self.can_trap()
            || self.can_store()
            || self.has_other_side_effects())
    }
}

const TERM: OpcodeFlags = OpcodeFlags::TERMINATOR;
const BRANCH: OpcodeFlags = OpcodeFlags::TERMINATOR.union(OpcodeFlags::BRANCH);
const CALL: OpcodeFlags = OpcodeFlags::CALL;
const RET: OpcodeFlags = OpcodeFlags::TERMINATOR.union(OpcodeFlags::RETURN);
const TAIL: OpcodeFlags = RET.union(OpcodeFlags::CALL);
const TRAP: OpcodeFlags = OpcodeFlags::CAN_TRAP;
const LOAD: OpcodeFlags = OpcodeFlags::CAN_LOAD.union(OpcodeFlags::CAN_TRAP);
const STORE: OpcodeFlags = OpcodeFlags::CAN_STORE.union(OpcodeFlags::CAN_TRAP);
const ATOMIC: OpcodeFlags = LOAD.union(STORE).union(OpcodeFlags::OTHER_SIDE_EFFECTS);
const SIDE: OpcodeFlags = OpcodeFlags::OTHER_SIDE_EFFECTS;
const STACK_LOAD: OpcodeFlags = OpcodeFlags::CAN_LOAD;
const STACK_STORE: OpcodeFlags = OpcodeFlags::CAN_STORE;
const PURE: OpcodeFlags = OpcodeFlags::NONE;

macro_rules! opcodes {
    ($($variant:ident $name:literal $format:ident $ctrl:expr, $set:ident [$($arg:expr),*] -> [$($res:expr),*] $flags:expr;)*) => {
        /// A CLIF opcode. See [`Opcode::info`] for everything known about it.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub enum Opcode { $($variant,)* }

        impl Opcode {
            /// Every opcode, in table order (`Opcode::ALL[op.index()] == op`).
            pub const ALL: &'static [Opcode] = &[$(Opcode::$variant,)*];
        }

        static TABLE: &[OpcodeInfo] = &[$(OpcodeInfo {
            name: $name,
            format: InstructionFormat::$format,
            ctrl: $ctrl,
            ctrl_types: TypeSet::$set,
            args: &[$($arg),*],
            results: &[$($res),*],
            flags: $flags,
        },)*];
    };
}

use CtrlType::{Explicit, FromArg, NotPolymorphic as Fixed0};
use TypeRule::*;

const I8: TypeRule = Fixed(Type::I8);
const I32: TypeRule = Fixed(Type::I32);
const I8X16: TypeRule = Fixed(Type::I8X16);
const A0: CtrlType = FromArg(0);
const A1: CtrlType = FromArg(1);

opcodes! {
    // Control flow.
    Jump "jump" Jump Fixed0, Any [] -> [] BRANCH;
    Brif "brif" Brif A0, Int [Ctrl] -> [] BRANCH;
    BrTable "br_table" BranchTable Fixed0, Any [I32] -> [] BRANCH;
    Debugtrap "debugtrap" NullAry Fixed0, Any [] -> [] SIDE;
    Trap "trap" Trap Fixed0, Any [] -> [] TERM.union(TRAP);
    Trapz "trapz" CondTrap A0, Int [Ctrl] -> [] TRAP;
    Trapnz "trapnz" CondTrap A0, Int [Ctrl] -> [] TRAP;
    Return "return" MultiAry Fixed0, Any [] -> [] RET;
    Call "call" Call Fixed0, Any [] -> [] CALL;
    CallIndirect "call_indirect" CallIndirect A0, Addr [Ctrl] -> [] CALL;
    ReturnCall "return_call" Call Fixed0, Any [] -> [] TAIL;
    ReturnCallIndirect "return_call_indirect" CallIndirect A0, Addr [Ctrl] -> [] TAIL;
    TryCall "try_call" TryCall Fixed0, Any [] -> [] BRANCH.union(CALL);
    TryCallIndirect "try_call_indirect" TryCallIndirect A0, Addr [Ctrl] -> [] BRANCH.union(CALL);
    FuncAddr "func_addr" FuncAddr Explicit, Addr [] -> [Ctrl] PURE;
    GetExceptionHandlerAddress "get_exception_handler_address" ExceptionHandlerAddress Explicit, Addr [] -> [Ctrl] PURE;
    StackSwitch "stack_switch" Ternary A0, Addr [Ctrl, Ctrl, Ctrl] -> [Ctrl] ATOMIC.union(CALL);

    // Lanes.
    Splat "splat" Unary Explicit, Vector [Lane] -> [Ctrl] PURE;
    Swizzle "swizzle" Binary Fixed0, Any [I8X16, I8X16] -> [I8X16] PURE;
    X86Pshufb "x86_pshufb" Binary Fixed0, Any [I8X16, I8X16] -> [I8X16] PURE;
    Insertlane "insertlane" TernaryImm8 A0, Vector [Ctrl, Lane] -> [Ctrl] PURE;
    Extractlane "extractlane" BinaryImm8 A0, Vector [Ctrl] -> [Lane] PURE;
    ExtractVector "extract_vector" BinaryImm8 A0, Vector [Ctrl] -> [Ctrl] PURE;
    Shuffle "shuffle" Shuffle A0, I8x16 [Ctrl, Ctrl] -> [Ctrl] PURE;
    ScalarToVector "scalar_to_vector" Unary Explicit, Vector [Lane] -> [Ctrl] PURE;
    VanyTrue "vany_true" Unary A0, Vector [Ctrl] -> [I8] PURE;
    VallTrue "vall_true" Unary A0, Vector [Ctrl] -> [I8] PURE;
    VhighBits "vhigh_bits" Unary Explicit, Int [AnyVector] -> [Ctrl] PURE;

    // Memory.
    Load "load" Load Explicit, Any [Addr] -> [Ctrl] LOAD;
    Store "store" Store A0, Any [Ctrl, Addr] -> [] STORE;
    Uload8 "uload8" Load Explicit, IntOrVector [Addr] -> [Ctrl] LOAD;
    Sload8 "sload8" Load Explicit, IntOrVector [Addr] -> [Ctrl] LOAD;
    Istore8 "istore8" Store A0, IntOrVector [Ctrl, Addr] -> [] STORE;
    Uload16 "uload16" Load Explicit, IntOrVector [Addr] -> [Ctrl] LOAD;
    Sload16 "sload16" Load Explicit, IntOrVector [Addr] -> [Ctrl] LOAD;
    Istore16 "istore16" Store A0, IntOrVector [Ctrl, Addr] -> [] STORE;
    // As in Cranelift, the 32-bit forms always load into or store from an i64, so their
    // controlling type is the address's (`uload32 v0` infers it; `uload32.i32` names it).
    Uload32 "uload32" Load A0, Addr [Ctrl] -> [Fixed(Type::I64)] LOAD;
    Sload32 "sload32" Load A0, Addr [Ctrl] -> [Fixed(Type::I64)] LOAD;
    Istore32 "istore32" Store A0, I64 [Ctrl, Addr] -> [] STORE;
    Uload8x8 "uload8x8" Load A0, Addr [Ctrl] -> [Fixed(Type::I16X8)] LOAD;
    Sload8x8 "sload8x8" Load A0, Addr [Ctrl] -> [Fixed(Type::I16X8)] LOAD;
    Uload16x4 "uload16x4" Load A0, Addr [Ctrl] -> [Fixed(Type::I32X4)] LOAD;
    Sload16x4 "sload16x4" Load A0, Addr [Ctrl] -> [Fixed(Type::I32X4)] LOAD;
    Uload32x2 "uload32x2" Load A0, Addr [Ctrl] -> [Fixed(Type::I64X2)] LOAD;
    Sload32x2 "sload32x2" Load A0, Addr [Ctrl] -> [Fixed(Type::I64X2)] LOAD;
    StackLoad "stack_load" StackLoad Explicit, Any [] -> [Ctrl] STACK_LOAD;
    StackStore "stack_store" StackStore A0, Any [Ctrl] -> [] STACK_STORE;
    StackAddr "stack_addr" StackLoad Explicit, Addr [] -> [Ctrl] PURE;
    DynamicStackLoad "dynamic_stack_load" DynamicStackLoad Explicit, Vector [] -> [Ctrl] STACK_LOAD;
    DynamicStackStore "dynamic_stack_store" DynamicStackStore A0, Vector [Ctrl] -> [] STACK_STORE;
    DynamicStackAddr "dynamic_stack_addr" DynamicStackLoad Explicit, Addr [] -> [Ctrl] PURE;
    GlobalValue "global_value" UnaryGlobalValue Explicit, Any [] -> [Ctrl] PURE;
    SymbolValue "symbol_value" UnaryGlobalValue Explicit, Addr [] -> [Ctrl] PURE;
    TlsValue "tls_value" UnaryGlobalValue Explicit, Addr [] -> [Ctrl] PURE;
    GetPinnedReg "get_pinned_reg" NullAry Explicit, Addr [] -> [Ctrl] SIDE;
    SetPinnedReg "set_pinned_reg" Unary A0, Addr [Ctrl] -> [] SIDE;
    GetFramePointer "get_frame_pointer" NullAry Explicit, Addr [] -> [Ctrl] PURE;
    GetStackPointer "get_stack_pointer" NullAry Explicit, Addr [] -> [Ctrl] PURE;
    GetReturnAddress "get_return_address" NullAry Explicit, Addr [] -> [Ctrl] PURE;
    AtomicRmw "atomic_rmw" AtomicRmw Explicit, Int [Addr, Ctrl] -> [Ctrl] ATOMIC;
    AtomicCas "atomic_cas" AtomicCas A1, Int [Addr, Ctrl, Ctrl] -> [Ctrl] ATOMIC;
    AtomicLoad "atomic_load" LoadNoOffset Explicit, Int [Addr] -> [Ctrl] ATOMIC;
    AtomicStore "atomic_store" StoreNoOffset A0, Int [Ctrl, Addr] -> [] ATOMIC;
    Fence "fence" NullAry Fixed0, Any [] -> [] SIDE;
    SequencePoint "sequence_point" NullAry Fixed0, Any [] -> [] SIDE;

    // Constants.
    Iconst "iconst" UnaryImm Explicit, IntUpTo64 [] -> [Ctrl] PURE;
    F16const "f16const" UnaryIeee16 Fixed0, Any [] -> [Fixed(Type::F16)] PURE;
    F32const "f32const" UnaryIeee32 Fixed0, Any [] -> [Fixed(Type::F32)] PURE;
    F64const "f64const" UnaryIeee64 Fixed0, Any [] -> [Fixed(Type::F64)] PURE;
    F128const "f128const" UnaryConst Fixed0, Any [] -> [Fixed(Type::F128)] PURE;
    Vconst "vconst" UnaryConst Explicit, Vector [] -> [Ctrl] PURE;
    Nop "nop" NullAry Fixed0, Any [] -> [] PURE;

    // Selection.
    Select "select" Ternary A1, Any [ScalarInt, Ctrl, Ctrl] -> [Ctrl] PURE;
    SelectSpectreGuard "select_spectre_guard" Ternary A1, Any [ScalarInt, Ctrl, Ctrl] -> [Ctrl] PURE;
    Bitselect "bitselect" Ternary A0, Any [Ctrl, Ctrl, Ctrl] -> [Ctrl] PURE;
    Blendv "blendv" Ternary A0, Vector [Ctrl, Ctrl, Ctrl] -> [Ctrl] PURE;

    // Integer arithmetic.
    Icmp "icmp" IntCompare A0, IntOrVector [Ctrl, Ctrl] -> [Truthy] PURE;
    IcmpImm "icmp_imm" IntCompareImm A0, Int [Ctrl] -> [Truthy] PURE;
    Iadd "iadd" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Isub "isub" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Ineg "ineg" Unary A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Iabs "iabs" Unary A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Imul "imul" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Umulhi "umulhi" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Smulhi "smulhi" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    SqmulRoundSat "sqmul_round_sat" Binary A0, IntVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    X86Pmulhrsw "x86_pmulhrsw" Binary A0, IntVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Udiv "udiv" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] TRAP;
    Sdiv "sdiv" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] TRAP;
    Urem "urem" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] TRAP;
    Srem "srem" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] TRAP;
    IaddImm "iadd_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] PURE;
    ImulImm "imul_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] PURE;
    UdivImm "udiv_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] TRAP;
    SdivImm "sdiv_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] TRAP;
    UremImm "urem_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] TRAP;
    SremImm "srem_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] TRAP;
    IrsubImm "irsub_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] PURE;
    SaddOverflowCin "sadd_overflow_cin" Ternary A0, Int [Ctrl, Ctrl, I8] -> [Ctrl, I8] PURE;
    UaddOverflowCin "uadd_overflow_cin" Ternary A0, Int [Ctrl, Ctrl, I8] -> [Ctrl, I8] PURE;
    UaddOverflow "uadd_overflow" Binary A0, Int [Ctrl, Ctrl] -> [Ctrl, I8] PURE;
    SaddOverflow "sadd_overflow" Binary A0, Int [Ctrl, Ctrl] -> [Ctrl, I8] PURE;
    UsubOverflow "usub_overflow" Binary A0, Int [Ctrl, Ctrl] -> [Ctrl, I8] PURE;
    SsubOverflow "ssub_overflow" Binary A0, Int [Ctrl, Ctrl] -> [Ctrl, I8] PURE;
    UmulOverflow "umul_overflow" Binary A0, Int [Ctrl, Ctrl] -> [Ctrl, I8] PURE;
    SmulOverflow "smul_overflow" Binary A0, Int [Ctrl, Ctrl] -> [Ctrl, I8] PURE;
    UaddOverflowTrap "uadd_overflow_trap" IntAddTrap A0, Int [Ctrl, Ctrl] -> [Ctrl] TRAP;
    SsubOverflowBin "ssub_overflow_bin" Ternary A0, Int [Ctrl, Ctrl, I8] -> [Ctrl, I8] PURE;
    UsubOverflowBin "usub_overflow_bin" Ternary A0, Int [Ctrl, Ctrl, I8] -> [Ctrl, I8] PURE;
    Smin "smin" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Umin "umin" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Smax "smax" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Umax "umax" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    AvgRound "avg_round" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    UaddSat "uadd_sat" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    SaddSat "sadd_sat" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    UsubSat "usub_sat" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    SsubSat "ssub_sat" Binary A0, IntOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    IaddPairwise "iadd_pairwise" Binary A0, IntVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    X86Pmaddubsw "x86_pmaddubsw" Binary Fixed0, Any [I8X16, I8X16] -> [Fixed(Type::I16X8)] PURE;

    // Bitwise operations.
    Band "band" Binary A0, Any [Ctrl, Ctrl] -> [Ctrl] PURE;
    Bor "bor" Binary A0, Any [Ctrl, Ctrl] -> [Ctrl] PURE;
    Bxor "bxor" Binary A0, Any [Ctrl, Ctrl] -> [Ctrl] PURE;
    Bnot "bnot" Unary A0, Any [Ctrl] -> [Ctrl] PURE;
    BandNot "band_not" Binary A0, Any [Ctrl, Ctrl] -> [Ctrl] PURE;
    BorNot "bor_not" Binary A0, Any [Ctrl, Ctrl] -> [Ctrl] PURE;
    BxorNot "bxor_not" Binary A0, Any [Ctrl, Ctrl] -> [Ctrl] PURE;
    BandImm "band_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] PURE;
    BorImm "bor_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] PURE;
    BxorImm "bxor_imm" BinaryImm64 A0, Int [Ctrl] -> [Ctrl] PURE;
    Rotl "rotl" Binary A0, IntOrVector [Ctrl, ScalarInt] -> [Ctrl] PURE;
    Rotr "rotr" Binary A0, IntOrVector [Ctrl, ScalarInt] -> [Ctrl] PURE;
    RotlImm "rotl_imm" BinaryImm64 A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    RotrImm "rotr_imm" BinaryImm64 A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Ishl "ishl" Binary A0, IntOrVector [Ctrl, ScalarInt] -> [Ctrl] PURE;
    Ushr "ushr" Binary A0, IntOrVector [Ctrl, ScalarInt] -> [Ctrl] PURE;
    Sshr "sshr" Binary A0, IntOrVector [Ctrl, ScalarInt] -> [Ctrl] PURE;
    IshlImm "ishl_imm" BinaryImm64 A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    UshrImm "ushr_imm" BinaryImm64 A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    SshrImm "sshr_imm" BinaryImm64 A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Bitrev "bitrev" Unary A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Clz "clz" Unary A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Cls "cls" Unary A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Ctz "ctz" Unary A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Bswap "bswap" Unary A0, IntOrVector [Ctrl] -> [Ctrl] PURE;
    Popcnt "popcnt" Unary A0, IntOrVector [Ctrl] -> [Ctrl] PURE;

    // Floating point.
    Fcmp "fcmp" FloatCompare A0, FloatOrVector [Ctrl, Ctrl] -> [Truthy] PURE;
    Fadd "fadd" Binary A0, FloatOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Fsub "fsub" Binary A0, FloatOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Fmul "fmul" Binary A0, FloatOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Fdiv "fdiv" Binary A0, FloatOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Sqrt "sqrt" Unary A0, FloatOrVector [Ctrl] -> [Ctrl] PURE;
    Fma "fma" Ternary A0, FloatOrVector [Ctrl, Ctrl, Ctrl] -> [Ctrl] PURE;
    Fneg "fneg" Unary A0, FloatOrVector [Ctrl] -> [Ctrl] PURE;
    Fabs "fabs" Unary A0, FloatOrVector [Ctrl] -> [Ctrl] PURE;
    Fcopysign "fcopysign" Binary A0, FloatOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Fmin "fmin" Binary A0, FloatOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Fmax "fmax" Binary A0, FloatOrVector [Ctrl, Ctrl] -> [Ctrl] PURE;
    Ceil "ceil" Unary A0, FloatOrVector [Ctrl] -> [Ctrl] PURE;
    Floor "floor" Unary A0, FloatOrVector [Ctrl] -> [Ctrl] PURE;
    Trunc "trunc" Unary A0, FloatOrVector [Ctrl] -> [Ctrl] PURE;
    Nearest "nearest" Unary A0, FloatOrVector [Ctrl] -> [Ctrl] PURE;

    // Conversions.
    Bitcast "bitcast" LoadNoOffset Explicit, Any [SameSize] -> [Ctrl] PURE;
    Bmask "bmask" Unary Explicit, IntOrVector [IntLanes] -> [Ctrl] PURE;
    Ireduce "ireduce" Unary Explicit, IntOrVector [Wider] -> [Ctrl] PURE;
    Snarrow "snarrow" Binary A0, IntVector [Ctrl, Ctrl] -> [SplitLanes] PURE;
    Unarrow "unarrow" Binary A0, IntVector [Ctrl, Ctrl] -> [SplitLanes] PURE;
    Uunarrow "uunarrow" Binary A0, IntVector [Ctrl, Ctrl] -> [SplitLanes] PURE;
    SwidenLow "swiden_low" Unary A0, IntVector [Ctrl] -> [MergeLanes] PURE;
    SwidenHigh "swiden_high" Unary A0, IntVector [Ctrl] -> [MergeLanes] PURE;
    UwidenLow "uwiden_low" Unary A0, IntVector [Ctrl] -> [MergeLanes] PURE;
    UwidenHigh "uwiden_high" Unary A0, IntVector [Ctrl] -> [MergeLanes] PURE;
    Uextend "uextend" Unary Explicit, IntOrVector [Narrower] -> [Ctrl] PURE;
    Sextend "sextend" Unary Explicit, IntOrVector [Narrower] -> [Ctrl] PURE;
    Fpromote "fpromote" Unary Explicit, FloatOrVector [Narrower] -> [Ctrl] PURE;
    Fdemote "fdemote" Unary Explicit, FloatOrVector [Wider] -> [Ctrl] PURE;
    Fvdemote "fvdemote" Unary Fixed0, Any [Fixed(Type::F64X2)] -> [Fixed(Type::F32X4)] PURE;
    FvpromoteLow "fvpromote_low" Unary Fixed0, Any [Fixed(Type::F32X4)] -> [Fixed(Type::F64X2)] PURE;
    FcvtToUint "fcvt_to_uint" Unary Explicit, IntOrVector [FloatSameLanes] -> [Ctrl] TRAP;
    FcvtToSint "fcvt_to_sint" Unary Explicit, IntOrVector [FloatSameLanes] -> [Ctrl] TRAP;
    FcvtToUintSat "fcvt_to_uint_sat" Unary Explicit, IntOrVector [FloatSameLanes] -> [Ctrl] PURE;
    FcvtToSintSat "fcvt_to_sint_sat" Unary Explicit, IntOrVector [FloatSameLanes] -> [Ctrl] PURE;
    X86Cvtt2dq "x86_cvtt2dq" Unary Explicit, IntVector [FloatSameLanes] -> [Ctrl] PURE;
    FcvtFromUint "fcvt_from_uint" Unary Explicit, FloatOrVector [IntSameLanes] -> [Ctrl] PURE;
    FcvtFromSint "fcvt_from_sint" Unary Explicit, FloatOrVector [IntSameLanes] -> [Ctrl] PURE;
    Isplit "isplit" Unary A0, IntFrom16 [Ctrl] -> [HalfWidth, HalfWidth] PURE;
    Iconcat "iconcat" Binary A0, IntUpTo64 [Ctrl, Ctrl] -> [DoubleWidth] PURE;
}

/// The operation of an `atomic_rmw`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AtomicRmwOp {
    Add,
    Sub,
    And,
    Nand,
    Or,
    Xor,
    Xchg,
    Umin,
    Umax,
    Smin,
    Smax,
}

impl AtomicRmwOp {
    pub const ALL: [AtomicRmwOp; 11] = [
        AtomicRmwOp::Add,
        AtomicRmwOp::Sub,
        AtomicRmwOp::And,
        AtomicRmwOp::Nand,
        AtomicRmwOp::Or,
        AtomicRmwOp::Xor,
        AtomicRmwOp::Xchg,
        AtomicRmwOp::Umin,
        AtomicRmwOp::Umax,
        AtomicRmwOp::Smin,
        AtomicRmwOp::Smax,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AtomicRmwOp::Add => "add",
            AtomicRmwOp::Sub => "sub",
            AtomicRmwOp::And => "and",
            AtomicRmwOp::Nand => "nand",
            AtomicRmwOp::Or => "or",
            AtomicRmwOp::Xor => "xor",
            AtomicRmwOp::Xchg => "xchg",
            AtomicRmwOp::Umin => "umin",
            AtomicRmwOp::Umax => "umax",
            AtomicRmwOp::Smin => "smin",
            AtomicRmwOp::Smax => "smax",
        }
    }

    pub fn parse(s: &str) -> Option<AtomicRmwOp> {
        AtomicRmwOp::ALL.into_iter().find(|op| op.name() == s)
    }
}

impl fmt::Display for AtomicRmwOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Opcode {
    /// The table row of this opcode.
    pub fn info(self) -> &'static OpcodeInfo {
        &TABLE[self as usize]
    }

    /// The opcode's CLIF name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The position of this opcode in [`Opcode::ALL`], for dense per-opcode tables.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The opcode with this CLIF name.
    pub fn from_name(name: &str) -> Option<Opcode> {
        Opcode::ALL.iter().copied().find(|op| op.name() == name)
    }

    pub fn format(self) -> InstructionFormat {
        self.info().format
    }

    pub fn is_terminator(self) -> bool {
        self.info().is_terminator()
    }

    pub fn is_branch(self) -> bool {
        self.info().is_branch()
    }

    pub fn is_call(self) -> bool {
        self.info().is_call()
    }

    pub fn is_return(self) -> bool {
        self.info().is_return()
    }

    /// Whether the instruction's results are its callee's returns (`call`, `call_indirect`),
    /// not derived from the opcode's table row. `stack_switch` is a call without a signature.
    pub fn results_from_signature(self) -> bool {
        matches!(
            self.format(),
            InstructionFormat::Call | InstructionFormat::CallIndirect
        ) && !self.is_terminator()
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(Opcode::ALL.len(), TABLE.len());
        assert!(Opcode::ALL.len() >= 160, "{}", Opcode::ALL.len());
        for (i, &op) in Opcode::ALL.iter().enumerate() {
            let info = op.info();
            assert_eq!(op.index(), i);
            assert_eq!(Opcode::from_name(info.name), Some(op));
            // Fixed operands are exactly those the format writes.
            assert_eq!(info.args.len(), info.format.fixed_value_count(), "{op}");
            if let CtrlType::FromArg(n) = info.ctrl {
                assert_eq!(info.args[usize::from(n)], TypeRule::Ctrl, "{op}");
            }
            if info.is_branch() || info.is_return() {
                assert!(info.is_terminator(), "{op}");
            }
        }
        assert_eq!(Opcode::from_name("iadd_imm"), Some(Opcode::IaddImm));
        assert!(Opcode::Iadd.info().is_pure() && !Opcode::Udiv.info().is_pure());
        assert!(!Opcode::Store.info().is_pure() && !Opcode::Call.info().is_pure());
        assert_eq!(Opcode::from_name("nosuch"), None);
    }

    #[test]
    fn type_rules() {
        let v = Type::I16X8;
        assert_eq!(TypeRule::SplitLanes.derive(v), Some(Type::I8X16));
        assert_eq!(TypeRule::MergeLanes.derive(v), Some(Type::I32X4));
        assert_eq!(TypeRule::Truthy.derive(Type::F32X4), Some(Type::I32X4));
        assert_eq!(TypeRule::Truthy.derive(Type::F64), Some(Type::I8));
        assert!(TypeRule::Narrower.accepts(Type::I64, Type::I8));
        assert!(!TypeRule::Narrower.accepts(Type::I64, Type::I64));
        assert!(TypeRule::SameSize.accepts(Type::I8X16, Type::I128));
        assert!(TypeSet::Addr.contains(Type::I64) && !TypeSet::Addr.contains(Type::I8));
    }
}
