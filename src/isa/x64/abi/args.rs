//! Where the parameters and results of a signature live: the calling conventions' assignment
//! rules, turned into an [`AbiLayout`].
//!
//! | convention | integer args | float args | integer results | float results | stack args |
//! |---|---|---|---|---|---|
//! | `system_v`, `fast`, `cold`, `preserve_all` | rdi rsi rdx rcx r8 r9 | xmm0–7 | rax rdx (+rcx with LLVM extensions) | xmm0 xmm1 | caller pops |
//! | `tail` | as System V | as System V | rax rcx rdx rsi rdi r8 r9 r10 | xmm0–7 | callee pops (`ret imm16`) |
//! | `windows_fastcall` | rcx rdx r8 r9 by position | xmm0–3 by position | rax rdx | xmm0 | caller pops, after 32 bytes of shadow space |
//! | `winch` | as System V | as System V | the last result only: rax | the last result only: xmm0 | caller pops |
//!
//! Winch's other results are packed into the return area at their own sizes, the first at the
//! highest offset (see `winch_return_area`).
//!
//! Common rules (Cranelift 0.135's, which code compiled by rulesel must interoperate with):
//! - Stack arguments take 8-byte slots in parameter order (16 bytes, 16-aligned, for 128-bit
//!   floats and vectors); the whole argument area is a multiple of 16 bytes, so the stack stays
//!   16-aligned at the call.
//! - An `i128` is two 64-bit halves, low first. As arguments under `system_v` (and `cold`,
//!   which is `system_v` on x86-64) both halves go in registers or both on the stack
//!   (16-aligned); unlike GCC (but as Cranelift does), a register left over when an `i128`
//!   goes to the stack is not used by later arguments. Under every other convention, and for results under all of
//!   them, each half is assigned on its own like an `i64`: the low half may take the last
//!   register and the high half the first stack slot. Under `windows_fastcall` each half takes
//!   a position of its own, and an `i128` result comes back in rax:rdx (Cranelift's choice;
//!   GCC's `ms_abi` and LLVM since version 18 pass `__int128` by reference and return it in
//!   xmm0 instead).
//! - Windows x64 passes floats and vectors of 16 bytes or more (`f128`, `i32x4`…) by
//!   reference: the caller copies the value into its outgoing area and passes the copy's
//!   address in the value's positional slot. It returns them whole in xmm0 (as LLVM does; GCC
//!   12 returns `__float128` through a hidden pointer instead).
//! - Results that do not fit in the result registers go to a return area in the caller's frame
//!   when `enable_multi_ret_implicit_sret` is set; its address is a hidden argument in the
//!   first integer argument register (before the declared ones, as Cranelift does), and
//!   `AbiLayout::ret_area_ptr` says where. Without the flag such signatures are
//!   [`Unsupported`].
//! - An explicit `sret` parameter is passed like any pointer; on return its value is in rax as
//!   both conventions require, so rax is no longer free for other results.
//! - `uext`/`sext` narrow integers are widened to 64 bits by whoever produces them (the caller
//!   for arguments, the callee for results); the slot records the narrow type and
//!   [`AbiArg::extension`] the widening, see [`super::moves::Extend`].

use super::{align_to, Unsupported};
use crate::ir::{AbiParam, ArgumentExtension, ArgumentPurpose, CallConv, Signature, Type};
use crate::isa::x64::regs::{xmm, R10, R8, R9, RAX, RCX, RDI, RDX, RSI};
use crate::settings::Flags;
use regalloc2::{PReg, RegClass};

/// Where one register-sized part of a value lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArgSlot {
    /// In a register. `ty` is the part's type: the value's type, or `i64` for an `i128` half.
    Reg { reg: PReg, ty: Type },
    /// In memory, `offset` bytes from the start of the stack-argument area (for arguments) or of
    /// the return area (for results).
    Stack { offset: u32, ty: Type },
}

impl ArgSlot {
    pub fn ty(self) -> Type {
        match self {
            ArgSlot::Reg { ty, .. } | ArgSlot::Stack { ty, .. } => ty,
        }
    }
}

/// Where a whole parameter or result lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArgLoc {
    /// In one slot.
    Slot(ArgSlot),
    /// An `i128` as two 64-bit halves.
    Pair { lo: ArgSlot, hi: ArgSlot },
    /// In memory; `pointer` holds its address. The caller makes the copy at `copy_offset` within
    /// its by-reference area (see [`AbiLayout::byref_area_offset`]).
    ByRef { pointer: ArgSlot, copy_offset: u32 },
    /// A `sarg(size)` struct: `size` bytes copied into the stack-argument area at `offset`. The IR
    /// value is a pointer: to the source for the caller, to this copy for the callee.
    StructArg { offset: u32, size: u32 },
}

/// One parameter or result with its location.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AbiArg {
    /// The IR type of the value.
    pub ty: Type,
    pub loc: ArgLoc,
    pub extension: ArgumentExtension,
    pub purpose: ArgumentPurpose,
}

/// The complete assignment of a signature's parameters and results to locations.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AbiLayout {
    pub call_conv: CallConv,
    /// One per signature parameter, in order.
    pub args: Vec<AbiArg>,
    /// One per signature result, in order. `ArgSlot::Stack` offsets are in the return area.
    pub rets: Vec<AbiArg>,
    /// Where the hidden return-area pointer is passed, when some result is in the return area.
    pub ret_area_ptr: Option<ArgSlot>,
    /// The explicit `sret` parameter, whose value the callee returns in rax.
    pub sret_param: Option<usize>,
    /// Bytes of stack arguments (Windows: including the 32-byte shadow space), a multiple of 16.
    pub stack_arg_size: u32,
    /// Bytes of the return area, a multiple of 16.
    pub stack_ret_size: u32,
    /// Bytes the caller needs for copies of by-reference arguments, a multiple of 16.
    pub byref_size: u32,
    /// The callee removes the stack arguments (`ret stack_arg_size`); the `tail` convention.
    pub callee_pops_args: bool,
}

/// The Windows x64 shadow space: the callee may spill its four register arguments there.
pub const WINDOWS_SHADOW_SPACE: u32 = 32;

const SYSV_INT_ARGS: [PReg; 6] = [RDI, RSI, RDX, RCX, R8, R9];
const SYSV_FLOAT_ARGS: [PReg; 8] = [
    xmm(0),
    xmm(1),
    xmm(2),
    xmm(3),
    xmm(4),
    xmm(5),
    xmm(6),
    xmm(7),
];
const WINDOWS_INT_ARGS: [PReg; 4] = [RCX, RDX, R8, R9];
/// r11 is not among them: Cranelift keeps it as a scratch register of the tail-call sequence.
const TAIL_INT_RETS: [PReg; 8] = [RAX, RCX, RDX, RSI, RDI, R8, R9, R10];
const SYSV_INT_RETS_LLVM: [PReg; 3] = [RAX, RDX, RCX];

/// The registers a convention assigns, in order.
struct RegisterOrder {
    int: &'static [PReg],
    float: &'static [PReg],
    /// Windows: argument `i` takes slot `i` of whichever class it needs; the other class's
    /// slot `i` goes unused.
    positional: bool,
}

fn arg_registers(cc: CallConv) -> RegisterOrder {
    match cc {
        CallConv::WindowsFastcall => RegisterOrder {
            int: &WINDOWS_INT_ARGS,
            float: &SYSV_FLOAT_ARGS[..4],
            positional: true,
        },
        _ => RegisterOrder {
            int: &SYSV_INT_ARGS,
            float: &SYSV_FLOAT_ARGS,
            positional: false,
        },
    }
}

fn ret_registers(cc: CallConv, flags: &Flags) -> RegisterOrder {
    let (int, float): (&'static [PReg], &'static [PReg]) = match cc {
        CallConv::Tail => (&TAIL_INT_RETS, &SYSV_FLOAT_ARGS),
        CallConv::WindowsFastcall => (&SYSV_INT_RETS_LLVM[..2], &SYSV_FLOAT_ARGS[..1]),
        CallConv::Winch => (&SYSV_INT_RETS_LLVM[..1], &SYSV_FLOAT_ARGS[..1]),
        _ if flags.enable_llvm_abi_extensions => (&SYSV_INT_RETS_LLVM, &SYSV_FLOAT_ARGS[..2]),
        _ => (&SYSV_INT_RETS_LLVM[..2], &SYSV_FLOAT_ARGS[..2]),
    };
    RegisterOrder {
        int,
        float,
        positional: false,
    }
}

/// How a value of a type is passed, before registers are considered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    /// One general-purpose register or an 8-byte stack slot.
    Int,
    /// One XMM register, or a stack slot of `stack_size` bytes aligned to its size.
    Float { stack_size: u32 },
    /// Two general-purpose registers or two 8-byte stack slots.
    IntPair,
}

/// Windows x64 passes floats and vectors of 16 bytes or more as a pointer to a copy (an `i128`
/// is two halves, as Cranelift passes it).
fn passed_by_reference(ty: Type, cc: CallConv) -> bool {
    cc == CallConv::WindowsFastcall && ty.bits() >= 128 && (ty.is_float() || ty.is_vector())
}

/// Does an `i128` argument under `cc` take two registers or two stack slots together (System
/// V's rule), rather than one half at a time?
fn i128_args_paired(cc: CallConv) -> bool {
    cc == CallConv::SystemV
}

fn shape(ty: Type, cc: CallConv, flags: &Flags) -> Result<Shape, Unsupported> {
    let windows = cc == CallConv::WindowsFastcall;
    let wide = ty == Type::I128 || ty == Type::F128;
    if wide && windows && !flags.enable_llvm_abi_extensions {
        return Err(Unsupported(format!(
            "{ty} in a windows_fastcall signature without enable_llvm_abi_extensions"
        )));
    }
    if ty == Type::I128 && cc == CallConv::Winch {
        return Err(Unsupported("i128 in a winch signature".into()));
    }
    let shape = if ty == Type::I128 {
        Shape::IntPair
    } else if ty.is_int() {
        Shape::Int
    } else if (ty.is_float() || ty.is_vector()) && ty.bits() <= 128 {
        Shape::Float {
            stack_size: ty.bytes().max(8),
        }
    } else {
        return Err(Unsupported(format!("values of type {ty} in a signature")));
    };
    Ok(shape)
}

/// Hands out registers and stack slots in assignment order.
struct Assigner {
    regs: RegisterOrder,
    next_int: usize,
    next_float: usize,
    /// Bytes of stack (or return area) assigned so far.
    stack: u32,
}

impl Assigner {
    fn new(regs: RegisterOrder, stack_start: u32) -> Assigner {
        Assigner {
            regs,
            next_int: 0,
            next_float: 0,
            stack: stack_start,
        }
    }

    fn reg(&mut self, class: RegClass) -> Option<PReg> {
        let (list, next) = match class {
            RegClass::Int => (self.regs.int, self.next_int),
            _ => (self.regs.float, self.next_float),
        };
        let next = if self.regs.positional {
            self.next_int
        } else {
            next
        };
        let reg = list.get(next).copied();
        if self.regs.positional {
            self.next_int += 1;
        } else if reg.is_some() {
            match class {
                RegClass::Int => self.next_int += 1,
                _ => self.next_float += 1,
            }
        }
        reg
    }

    /// Two consecutive integer registers, or none; either way two are consumed (so a register
    /// left when an `i128` goes to the stack is not used by later arguments, as in Cranelift).
    fn int_pair(&mut self) -> Option<(PReg, PReg)> {
        let lo = self.regs.int.get(self.next_int).copied();
        let hi = self.regs.int.get(self.next_int + 1).copied();
        self.next_int += 2;
        lo.zip(hi)
    }

    /// A stack slot of `size` bytes aligned to `align` (a power of two).
    fn stack(&mut self, size: u32, align: u32) -> Result<u32, Unsupported> {
        let offset = align_to(self.stack, align);
        self.stack = offset
            .checked_add(size)
            .filter(|end| *end <= MAX_AREA)
            .ok_or_else(|| Unsupported("more than 64 KiB of stack arguments or results".into()))?;
        Ok(offset)
    }
}

/// The largest argument or return area: `ret imm16` pops at most 65535 bytes, and the same bound
/// keeps all area offsets small.
const MAX_AREA: u32 = 0xfff0;

impl AbiLayout {
    /// The registers the results come back in (and rax when it returns the `sret` pointer):
    /// a function must not restore them in its epilogue, even under `preserve_all`.
    pub fn result_regs(&self) -> regalloc2::PRegSet {
        let mut set = regalloc2::PRegSet::empty();
        for r in &self.rets {
            let slots = match r.loc {
                ArgLoc::Slot(s) => [Some(s), None],
                ArgLoc::Pair { lo, hi } => [Some(lo), Some(hi)],
                _ => [None, None],
            };
            for slot in slots.into_iter().flatten() {
                if let ArgSlot::Reg { reg, .. } = slot {
                    set.add(reg);
                }
            }
        }
        if self.sret_param.is_some() {
            set.add(RAX);
        }
        set
    }

    /// Assigns every parameter and result of `sig` to a location.
    pub fn compute(sig: &Signature, flags: &Flags) -> Result<AbiLayout, Unsupported> {
        let cc = sig.call_conv;
        if matches!(cc, CallConv::AppleAarch64 | CallConv::Probestack) {
            return Err(Unsupported(format!(
                "the {cc} calling convention on x86-64"
            )));
        }
        let sret_param = sig.special_param_index(ArgumentPurpose::StructReturn);
        if let Some(i) = sret_param {
            if sig.params[i].value_type != Type::I64 {
                return Err(Unsupported("an sret parameter that is not i64".into()));
            }
        }

        let mut rets = Assigner::new(ret_registers(cc, flags), 0);
        if sret_param.is_some() {
            rets.next_int = 1;
        }
        let mut ret_locs = Vec::with_capacity(sig.returns.len());
        for (i, ret) in sig.returns.iter().enumerate() {
            let is_last = i + 1 == sig.returns.len();
            let usable = cc != CallConv::Winch || is_last;
            ret_locs.push(assign_ret(&mut rets, ret, usable, cc, flags)?);
        }
        if cc == CallConv::Winch {
            rets.stack = winch_return_area(&mut ret_locs);
        }
        let stack_ret_size = align_to(rets.stack, 16);

        let shadow = if cc == CallConv::WindowsFastcall {
            WINDOWS_SHADOW_SPACE
        } else {
            0
        };
        let mut args = Assigner::new(arg_registers(cc), shadow);
        // The return-area pointer takes the first integer register (position 0 under Windows).
        let ret_area_ptr = if stack_ret_size > 0 {
            Some(int_slot(&mut args, Type::I64)?)
        } else {
            None
        };
        let mut byref_size = 0;
        let mut arg_locs = Vec::with_capacity(sig.params.len());
        for param in &sig.params {
            arg_locs.push(assign_arg(&mut args, &mut byref_size, param, cc, flags)?);
        }
        Ok(AbiLayout {
            call_conv: cc,
            args: arg_locs,
            rets: ret_locs,
            ret_area_ptr,
            sret_param,
            stack_arg_size: align_to(args.stack, 16),
            stack_ret_size,
            byref_size,
            callee_pops_args: cc == CallConv::Tail,
        })
    }

    /// Where the return area starts in the caller's outgoing area: right above the arguments.
    pub fn ret_area_offset(&self) -> u32 {
        self.stack_arg_size
    }

    /// Where the copies of by-reference arguments start in the caller's outgoing area.
    pub fn byref_area_offset(&self) -> u32 {
        self.stack_arg_size + self.stack_ret_size
    }

    /// The bytes at the bottom of the caller's frame a call with this signature needs: stack
    /// arguments, return area and by-reference copies, in that order from the stack pointer up.
    pub fn outgoing_area_size(&self) -> u32 {
        self.stack_arg_size + self.stack_ret_size + self.byref_size
    }

    /// The bytes at the start of the stack-argument area that carry no argument: the Windows
    /// shadow space.
    pub fn shadow_space(&self) -> u32 {
        if self.call_conv == CallConv::WindowsFastcall {
            WINDOWS_SHADOW_SPACE
        } else {
            0
        }
    }

    /// The bytes `ret` pops on return: the stack arguments when the callee pops them.
    pub fn callee_pop_size(&self) -> u32 {
        if self.callee_pops_args {
            self.stack_arg_size
        } else {
            0
        }
    }
}

/// Winch's return area, as Cranelift lays it out (code compiled by Winch writes it): every
/// result but the last is on the stack, packed at its own size, unaligned (in 8-byte aligned
/// slots of at least 8 bytes when some result is extended, an `f16` or an `i8x2`), and the
/// first result at the highest offset. Returns the area's size before rounding.
fn winch_return_area(rets: &mut [AbiArg]) -> u32 {
    let padded = rets.iter().any(|r| {
        r.extension != ArgumentExtension::None
            || r.ty == Type::F16
            || (r.ty.is_vector() && r.ty.lane_type() == Type::I8 && r.ty.lane_count() == 2)
    });
    let size_of = |ty: Type| {
        if padded {
            ty.bytes().max(8)
        } else {
            ty.bytes()
        }
    };
    let mut end = 0;
    for r in rets.iter_mut() {
        if let ArgLoc::Slot(ArgSlot::Stack { offset, ty }) = &mut r.loc {
            let size = size_of(*ty);
            if padded {
                end = align_to(end, size);
            }
            *offset = end;
            end += size;
        }
    }
    for r in rets.iter_mut() {
        if let ArgLoc::Slot(ArgSlot::Stack { offset, ty }) = &mut r.loc {
            *offset = end - *offset - size_of(*ty);
        }
    }
    end
}

fn assign_ret(
    a: &mut Assigner,
    ret: &AbiParam,
    registers_usable: bool,
    cc: CallConv,
    flags: &Flags,
) -> Result<AbiArg, Unsupported> {
    let ty = ret.value_type;
    let shape = shape(ty, cc, flags)?;
    let overflow = |a: &mut Assigner, size: u32| {
        if flags.enable_multi_ret_implicit_sret {
            a.stack(size, size)
        } else {
            Err(Unsupported(format!(
                "too many results to fit in registers under {cc} \
                 (set enable_multi_ret_implicit_sret or use an sret parameter)"
            )))
        }
    };
    let loc = match shape {
        // Each half on its own, like an i64.
        Shape::IntPair => {
            let half = |a: &mut Assigner| -> Result<ArgSlot, Unsupported> {
                Ok(
                    match registers_usable.then(|| a.reg(RegClass::Int)).flatten() {
                        Some(reg) => ArgSlot::Reg { reg, ty: Type::I64 },
                        None => ArgSlot::Stack {
                            offset: overflow(a, 8)?,
                            ty: Type::I64,
                        },
                    },
                )
            };
            let lo = half(a)?;
            let hi = half(a)?;
            ArgLoc::Pair { lo, hi }
        }
        Shape::Int | Shape::Float { .. } => {
            let class = if shape == Shape::Int {
                RegClass::Int
            } else {
                RegClass::Float
            };
            match registers_usable.then(|| a.reg(class)).flatten() {
                Some(reg) => ArgLoc::Slot(ArgSlot::Reg { reg, ty }),
                None => {
                    let size = match shape {
                        Shape::Float { stack_size } => stack_size,
                        _ => 8,
                    };
                    ArgLoc::Slot(ArgSlot::Stack {
                        offset: overflow(a, size)?,
                        ty,
                    })
                }
            }
        }
    };
    Ok(AbiArg {
        ty,
        loc,
        extension: ret.extension,
        purpose: ret.purpose,
    })
}

fn assign_arg(
    a: &mut Assigner,
    byref_size: &mut u32,
    param: &AbiParam,
    cc: CallConv,
    flags: &Flags,
) -> Result<AbiArg, Unsupported> {
    let ty = param.value_type;
    let loc = if let ArgumentPurpose::StructArgument(size) = param.purpose {
        if cc == CallConv::WindowsFastcall {
            return Err(Unsupported("sarg parameters under windows_fastcall".into()));
        }
        if size > MAX_AREA {
            return Err(Unsupported(format!(
                "a sarg({size}) parameter (at most {MAX_AREA} bytes)"
            )));
        }
        let size = align_to(size.max(8), 8);
        ArgLoc::StructArg {
            offset: a.stack(size, 8)?,
            size,
        }
    } else {
        let shape = shape(ty, cc, flags)?;
        if passed_by_reference(ty, cc) {
            let copy_offset = align_to(*byref_size, 16);
            *byref_size = copy_offset + align_to(ty.bytes(), 16);
            ArgLoc::ByRef {
                pointer: int_slot(a, Type::I64)?,
                copy_offset,
            }
        } else {
            match shape {
                Shape::Int => ArgLoc::Slot(int_slot(a, ty)?),
                Shape::Float { stack_size } => ArgLoc::Slot(match a.reg(RegClass::Float) {
                    Some(reg) => ArgSlot::Reg { reg, ty },
                    None => ArgSlot::Stack {
                        offset: a.stack(stack_size, stack_size)?,
                        ty,
                    },
                }),
                Shape::IntPair if i128_args_paired(cc) => match a.int_pair() {
                    Some((lo, hi)) => pair_in_regs(lo, hi),
                    None => pair_on_stack(a.stack(16, 16)?),
                },
                Shape::IntPair => {
                    let lo = int_slot(a, Type::I64)?;
                    let hi = int_slot(a, Type::I64)?;
                    ArgLoc::Pair { lo, hi }
                }
            }
        }
    };
    Ok(AbiArg {
        ty,
        loc,
        extension: param.extension,
        purpose: param.purpose,
    })
}

fn int_slot(a: &mut Assigner, ty: Type) -> Result<ArgSlot, Unsupported> {
    Ok(match a.reg(RegClass::Int) {
        Some(reg) => ArgSlot::Reg { reg, ty },
        None => ArgSlot::Stack {
            offset: a.stack(8, 8)?,
            ty,
        },
    })
}

fn pair_in_regs(lo: PReg, hi: PReg) -> ArgLoc {
    ArgLoc::Pair {
        lo: ArgSlot::Reg {
            reg: lo,
            ty: Type::I64,
        },
        hi: ArgSlot::Reg {
            reg: hi,
            ty: Type::I64,
        },
    }
}

fn pair_on_stack(offset: u32) -> ArgLoc {
    ArgLoc::Pair {
        lo: ArgSlot::Stack {
            offset,
            ty: Type::I64,
        },
        hi: ArgSlot::Stack {
            offset: offset + 8,
            ty: Type::I64,
        },
    }
}

impl std::fmt::Display for ArgSlot {
    /// `rdi`, `xmm3`, or `stack+16` (an offset in the argument or return area).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgSlot::Reg { reg, ty } => f.write_str(crate::isa::x64::regs::name(
                *reg,
                ty.bytes().clamp(1, 8) as u8,
            )),
            ArgSlot::Stack { offset, .. } => write!(f, "stack+{offset}"),
        }
    }
}

impl std::fmt::Display for ArgLoc {
    /// A slot; `lo:hi` for a pair; `&pointer` for by-reference (copy offset in brackets);
    /// `sarg+offset(size)` for a struct argument.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgLoc::Slot(slot) => write!(f, "{slot}"),
            ArgLoc::Pair { lo, hi } => write!(f, "{lo}:{hi}"),
            ArgLoc::ByRef {
                pointer,
                copy_offset,
            } => write!(f, "&{pointer}[copy+{copy_offset}]"),
            ArgLoc::StructArg { offset, size } => write!(f, "sarg+{offset}({size})"),
        }
    }
}

impl std::fmt::Display for AbiLayout {
    /// `args: rdi, rsi; rets: rax; stack args 0, rets 0` plus the hidden pointers when present;
    /// a compact form for tests and lowering traces.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |locs: &[AbiArg]| {
            locs.iter()
                .map(|a| a.loc.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "args: {}; rets: {}", list(&self.args), list(&self.rets))?;
        if let Some(ptr) = self.ret_area_ptr {
            write!(f, "; ret area ptr: {ptr}")?;
        }
        write!(
            f,
            "; stack args {}, rets {}",
            self.stack_arg_size, self.stack_ret_size
        )?;
        if self.byref_size > 0 {
            write!(f, ", byref {}", self.byref_size)?;
        }
        Ok(())
    }
}
