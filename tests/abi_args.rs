//! Argument and result assignment for every calling convention, checked against the System V
//! AMD64 psABI and the Windows x64 convention (and, for Cranelift's own conventions, against
//! Cranelift's choices).

use rulesel::ir::{AbiParam, ArgumentExtension, ArgumentPurpose, CallConv, Signature, Type};
use rulesel::isa::x64::abi::moves::{
    arg_passes, call_plan, callee_amode, caller_amode, outgoing_amode, ret_passes, sret_return,
    ArgPass, Extend, Place,
};
use rulesel::isa::x64::abi::AbiLayout;
use rulesel::isa::x64::amode::Amode;
use rulesel::isa::x64::regs::{R9, RAX, RCX, RDI};
use rulesel::settings::Flags;

/// A parameter list in a compact notation: `i64 i8:uext i16:sext i64:sret i64:vmctx i64:sarg24`.
fn params(list: &str) -> Vec<AbiParam> {
    list.split_whitespace()
        .map(|p| {
            let (ty, attr) = p.split_once(':').unwrap_or((p, ""));
            let ty = Type::parse(ty).unwrap_or_else(|| panic!("bad type in test: {ty}"));
            match attr {
                "" => AbiParam::new(ty),
                "uext" => AbiParam::new(ty).uext(),
                "sext" => AbiParam::new(ty).sext(),
                "sret" => AbiParam::special(ty, ArgumentPurpose::StructReturn),
                "vmctx" => AbiParam::special(ty, ArgumentPurpose::VMContext),
                sarg => AbiParam::special(
                    ty,
                    ArgumentPurpose::StructArgument(sarg[4..].parse().unwrap()),
                ),
            }
        })
        .collect()
}

fn sig(cc: CallConv, args: &str, rets: &str) -> Signature {
    Signature {
        params: params(args),
        returns: params(rets),
        call_conv: cc,
    }
}

fn describe_with(cc: CallConv, args: &str, rets: &str, flags: &Flags) -> String {
    match AbiLayout::compute(&sig(cc, args, rets), flags) {
        Ok(layout) => layout.to_string(),
        Err(e) => e.to_string(),
    }
}

fn describe(cc: CallConv, args: &str, rets: &str) -> String {
    describe_with(cc, args, rets, &Flags::default())
}

fn implicit_sret() -> Flags {
    Flags {
        enable_multi_ret_implicit_sret: true,
        ..Flags::default()
    }
}

fn llvm() -> Flags {
    Flags {
        enable_llvm_abi_extensions: true,
        ..Flags::default()
    }
}

#[test]
fn system_v_family_all_integer() {
    for cc in [CallConv::SystemV, CallConv::Fast, CallConv::PreserveAll] {
        assert_eq!(
            describe(cc, "i64 i64 i64 i64 i64 i64 i64 i64", "i64"),
            "args: rdi, rsi, rdx, rcx, r8, r9, stack+0, stack+8; rets: rax; stack args 16, rets 0",
            "{cc}"
        );
    }
    // An odd number of stack slots still gives a 16-byte-aligned area.
    assert_eq!(
        describe(CallConv::SystemV, "i32 i32 i32 i32 i32 i32 i32", ""),
        "args: edi, esi, edx, ecx, r8d, r9d, stack+0; rets: ; stack args 16, rets 0"
    );
}

#[test]
fn system_v_all_float() {
    assert_eq!(
        describe(
            CallConv::SystemV,
            "f64 f64 f64 f64 f64 f64 f64 f64 f32 f64",
            "f64 f32"
        ),
        "args: xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, stack+0, stack+8; \
         rets: xmm0, xmm1; stack args 16, rets 0"
    );
}

#[test]
fn system_v_mixed_uses_independent_counters() {
    assert_eq!(
        describe(CallConv::SystemV, "i64 f64 i32 f32 i8 f64 i16", "i32 f64"),
        "args: rdi, xmm0, esi, xmm1, dl, xmm2, cx; rets: eax, xmm0; stack args 0, rets 0"
    );
    // 12 mixed arguments: 6 integers and 6 floats fit, the rest go to the stack in order.
    assert_eq!(
        describe(
            CallConv::SystemV,
            "i64 f64 i64 f64 i64 f64 i64 f64 i64 f64 i64 f64 i64 f64 i64 f64 f64 f64",
            ""
        ),
        "args: rdi, xmm0, rsi, xmm1, rdx, xmm2, rcx, xmm3, r8, xmm4, r9, xmm5, stack+0, xmm6, \
         stack+8, xmm7, stack+16, stack+24; rets: ; stack args 32, rets 0"
    );
}

#[test]
fn system_v_i128_halves() {
    assert_eq!(
        describe(CallConv::SystemV, "i64 i128 i128", "i128"),
        "args: rdi, rsi:rdx, rcx:r8; rets: rax:rdx; stack args 0, rets 0"
    );
    // Only r9 is left: the whole i128 goes to the stack, 16-aligned.
    assert_eq!(
        describe(
            CallConv::SystemV,
            "i64 i64 i64 i64 i64 i64 i128 i64 i128",
            ""
        ),
        "args: rdi, rsi, rdx, rcx, r8, r9, stack+0:stack+8, stack+16, stack+32:stack+40; \
         rets: ; stack args 48, rets 0"
    );
    // And r9 is not used by the next integer either (Cranelift takes two registers for an
    // i128 even when it goes to the stack; GCC would put the i64 in r9).
    assert_eq!(
        describe(CallConv::SystemV, "i64 i64 i64 i64 i64 i128 i64", ""),
        "args: rdi, rsi, rdx, rcx, r8, stack+0:stack+8, stack+16; rets: ; stack args 32, rets 0"
    );
    // Outside System V the halves are assigned one at a time: the low half takes r9, the high
    // half the first stack slot.
    assert_eq!(
        describe(CallConv::Fast, "i64 i64 i64 i64 i64 i128 i64", ""),
        "args: rdi, rsi, rdx, rcx, r8, r9:stack+0, stack+8; rets: ; stack args 16, rets 0"
    );
    // Results too, under System V as well: with LLVM's third result register the high half of
    // an i128 after an i64 goes to rcx.
    assert_eq!(
        describe_with(CallConv::SystemV, "", "i64 i128", &llvm()),
        "args: ; rets: rax, rdx:rcx; stack args 0, rets 0"
    );
    // The runtest issue-6640: eight i8s then an i128 under `tail`.
    assert_eq!(
        describe(CallConv::Tail, "i8 i8 i8 i8 i8 i8 i8 i8 i128", "i128"),
        "args: dil, sil, dl, cl, r8b, r9b, stack+0, stack+8, stack+16:stack+24; \
         rets: rax:rcx; stack args 32, rets 0"
    );
}

#[test]
fn wide_floats_and_vectors_take_xmm_registers_or_16_byte_slots() {
    assert_eq!(
        describe(
            CallConv::SystemV,
            "f128 i32x4 f64 f64 f64 f64 f64 f64 f64 i64x2 f32",
            "f128"
        ),
        "args: xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, stack+0, stack+16, stack+32; \
         rets: xmm0; stack args 48, rets 0"
    );
    assert_eq!(
        describe(CallConv::SystemV, "i32x8", ""),
        "not supported yet: values of type i32x8 in a signature"
    );
}

#[test]
fn narrow_arguments_record_their_extension() {
    let s = sig(
        CallConv::SystemV,
        "i8:uext i16:sext i32:uext i64:sext i8",
        "i8:sext",
    );
    let layout = AbiLayout::compute(&s, &Flags::default()).unwrap();
    assert_eq!(layout.args[0].extension, ArgumentExtension::Uext);
    let extends: Vec<Option<Extend>> = arg_passes(&layout)
        .into_iter()
        .map(|p| match p {
            ArgPass::Part(part) => part.extend,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let ext = |from, signed| Some(Extend { from, signed });
    assert_eq!(
        extends,
        vec![
            ext(Type::I8, false),
            ext(Type::I16, true),
            ext(Type::I32, false),
            None, // already 64 bits
            None, // no attribute: upper bits are undefined
        ]
    );
    assert_eq!(ret_passes(&layout)[0].extend, ext(Type::I8, true));
}

#[test]
fn over_large_returns_need_implicit_sret() {
    assert_eq!(
        describe(CallConv::SystemV, "i64", "i64 i64 i64"),
        "not supported yet: too many results to fit in registers under system_v \
         (set enable_multi_ret_implicit_sret or use an sret parameter)"
    );
    assert_eq!(
        describe_with(
            CallConv::SystemV,
            "i64",
            "i64 i64 i64 f64 f64 f64 i128",
            &implicit_sret()
        ),
        "args: rsi; rets: rax, rdx, stack+0, xmm0, xmm1, stack+8, stack+16:stack+24; \
         ret area ptr: rdi; stack args 0, rets 32"
    );
    // The pointer comes first, in rdi, before the declared arguments (as Cranelift does).
    assert_eq!(
        describe_with(
            CallConv::SystemV,
            "i64 i64 i64 i64 i64 i64 i64",
            "i64 i64 i64",
            &implicit_sret()
        ),
        "args: rsi, rdx, rcx, r8, r9, stack+0, stack+8; rets: rax, rdx, stack+0; \
         ret area ptr: rdi; stack args 16, rets 16"
    );
    // LLVM's extension gives System V a third integer result register.
    assert_eq!(
        describe_with(CallConv::SystemV, "", "i64 i64 i64", &llvm()),
        "args: ; rets: rax, rdx, rcx; stack args 0, rets 0"
    );
    // `tail` has eight integer (r11 is Cranelift's scratch register) and eight float result
    // registers.
    assert_eq!(
        describe(
            CallConv::Tail,
            "",
            "i64 i64 i64 i64 i64 i64 i64 i64 f64 f64 f64 f64 f64 f64 f64 f64"
        ),
        "args: ; rets: rax, rcx, rdx, rsi, rdi, r8, r9, r10, xmm0, xmm1, xmm2, xmm3, xmm4, \
         xmm5, xmm6, xmm7; stack args 0, rets 0"
    );
    assert_eq!(
        describe(CallConv::Tail, "", "i64 i64 i64 i64 i64 i64 i64 i64 i64"),
        "not supported yet: too many results to fit in registers under tail \
         (set enable_multi_ret_implicit_sret or use an sret parameter)"
    );
}

#[test]
fn explicit_sret_is_returned_in_rax() {
    let s = sig(CallConv::SystemV, "i64:sret i64", "i64");
    let layout = AbiLayout::compute(&s, &Flags::default()).unwrap();
    assert_eq!(
        layout.to_string(),
        "args: rdi, rsi; rets: rdx; stack args 0, rets 0"
    );
    assert_eq!(sret_return(&layout), Some((0, RAX)));
    assert_eq!(
        describe(CallConv::SystemV, "i32:sret", ""),
        "not supported yet: an sret parameter that is not i64"
    );
}

#[test]
fn struct_arguments_and_vmctx() {
    assert_eq!(
        describe(CallConv::SystemV, "i64:vmctx i64:sarg20 i32 i64:sarg8", ""),
        "args: rdi, sarg+0(24), esi, sarg+24(8); rets: ; stack args 32, rets 0"
    );
    assert_eq!(
        describe(CallConv::WindowsFastcall, "i64:sarg8", ""),
        "not supported yet: sarg parameters under windows_fastcall"
    );
}

#[test]
fn windows_positional_slots_and_shadow_space() {
    // Argument i takes slot i of its class; the 5th goes after the 32-byte shadow space.
    assert_eq!(
        describe(CallConv::WindowsFastcall, "i64 f64 i32 f32 i64 f64", "f64"),
        "args: rcx, xmm1, r8d, xmm3, stack+32, stack+40; rets: xmm0; stack args 48, rets 0"
    );
    assert_eq!(
        describe(CallConv::WindowsFastcall, "f32 f32 f32 f32 i64", "i64"),
        "args: xmm0, xmm1, xmm2, xmm3, stack+32; rets: rax; stack args 48, rets 0"
    );
    // The shadow space is reserved even for a call without arguments.
    assert_eq!(
        describe(CallConv::WindowsFastcall, "", ""),
        "args: ; rets: ; stack args 32, rets 0"
    );
    assert_eq!(
        describe(CallConv::WindowsFastcall, "", "f64 f64"),
        "not supported yet: too many results to fit in registers under windows_fastcall \
         (set enable_multi_ret_implicit_sret or use an sret parameter)"
    );
}

#[test]
fn windows_passes_16_byte_floats_and_vectors_by_reference_and_i128_in_halves() {
    assert_eq!(
        describe(CallConv::WindowsFastcall, "i128", ""),
        "not supported yet: i128 in a windows_fastcall signature without enable_llvm_abi_extensions"
    );
    assert_eq!(
        describe_with(
            CallConv::WindowsFastcall,
            "i64 i128 i32x4 f64 f128 i64",
            "i128",
            &llvm()
        ),
        "args: rcx, rdx:r8, &r9[copy+0], stack+32, &stack+40[copy+16], stack+48; \
         rets: rax:rdx; stack args 64, rets 0, byref 32"
    );
    // The signature: an i128 split between r9 and the first stack slot.
    assert_eq!(
        describe_with(
            CallConv::WindowsFastcall,
            "i128 i64 i128 i128",
            "i128",
            &llvm()
        ),
        "args: rcx:rdx, r8, r9:stack+32, stack+40:stack+48; rets: rax:rdx; stack args 64, \
         rets 0"
    );
    let s = sig(CallConv::WindowsFastcall, "f128 i64", "");
    let layout = AbiLayout::compute(&s, &llvm()).unwrap();
    let plan = call_plan(&layout, &llvm(), false);
    assert_eq!(
        plan.args[0],
        ArgPass::ByRef {
            value: 0,
            ty: Type::F128,
            pointer: Place::Reg(RCX),
            copy: 32
        }
    );
    assert_eq!(plan.outgoing_area_size, 32 + 16);
    assert!(!plan.clobbers.contains(rulesel::isa::x64::regs::RSI));
}

#[test]
fn tail_callee_pops_its_stack_arguments() {
    let s = sig(CallConv::Tail, "i64 i64 i64 i64 i64 i64 i64 f64", "i64");
    let layout = AbiLayout::compute(&s, &Flags::default()).unwrap();
    assert_eq!(
        layout.to_string(),
        "args: rdi, rsi, rdx, rcx, r8, r9, stack+0, xmm0; rets: rax; stack args 16, rets 0"
    );
    assert_eq!(layout.callee_pop_size(), 16);
    let plan = call_plan(&layout, &Flags::default(), false);
    assert_eq!(plan.callee_pop_size, 16);
    let sysv = AbiLayout::compute(
        &sig(CallConv::SystemV, "i64 i64 i64 i64 i64 i64 i64", ""),
        &Flags::default(),
    )
    .unwrap();
    assert_eq!(sysv.callee_pop_size(), 0);
}

#[test]
fn winch_returns_only_the_last_result_in_a_register() {
    assert_eq!(
        describe_with(CallConv::Winch, "i64:vmctx i64:vmctx i32", "i64 f32 i32", &implicit_sret()),
        // Packed as Cranelift lays them out for Winch: the first result at the highest offset.
        "args: rsi, rdx, ecx; rets: stack+4, stack+0, eax; ret area ptr: rdi; stack args 0, rets 16"
    );
    assert_eq!(
        describe(CallConv::Winch, "", "f64"),
        "args: ; rets: xmm0; stack args 0, rets 0"
    );
}

#[test]
fn moves_address_the_return_area_above_the_arguments() {
    let s = sig(
        CallConv::SystemV,
        "i64 i64 i64 i64 i64 i64 i64",
        "i64 i64 i64",
    );
    let layout = AbiLayout::compute(&s, &implicit_sret()).unwrap();
    let rets = ret_passes(&layout);
    assert_eq!(rets[2].place, Place::RetArea(0));
    assert_eq!(
        caller_amode(&layout, rets[2].place),
        Some(outgoing_amode(16))
    );
    assert_eq!(
        callee_amode(Place::ArgStack(8)).map(|a| a.offset(0)),
        Some(Amode::Frame {
            area: rulesel::isa::x64::amode::FrameArea::IncomingArg,
            index: 0,
            offset: 8
        })
    );
    assert_eq!(
        arg_passes(&layout).last(),
        Some(&ArgPass::RetAreaPointer {
            place: Place::Reg(RDI),
            ret_area: 16
        })
    );
    assert_eq!(layout.outgoing_area_size(), 32);
    let parts = arg_passes(&layout);
    assert!(matches!(parts[4], ArgPass::Part(p) if p.place == Place::Reg(R9)));
    assert!(matches!(parts[5], ArgPass::Part(p) if p.place == Place::ArgStack(0)));
    assert!(
        matches!(parts[0], ArgPass::Part(p) if p.place == Place::Reg(rulesel::isa::x64::regs::RSI))
    );
}

#[test]
fn impossible_abis_are_errors() {
    assert_eq!(
        describe(CallConv::AppleAarch64, "i64", ""),
        "not supported yet: the apple_aarch64 calling convention on x86-64"
    );
    assert_eq!(
        describe(CallConv::Winch, "i128", ""),
        "not supported yet: i128 in a winch signature"
    );
    assert_eq!(
        describe(CallConv::SystemV, "i64:sarg4294967295", ""),
        "not supported yet: a sarg(4294967295) parameter (at most 65520 bytes)"
    );
    let many = vec!["i64"; 9000].join(" ");
    assert_eq!(
        describe(CallConv::SystemV, &many, ""),
        "not supported yet: more than 64 KiB of stack arguments or results"
    );
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
    }
}

/// Every register and stack slot of a list of locations, as (register or stack range).
fn slots(locs: &[rulesel::isa::x64::abi::AbiArg]) -> Vec<rulesel::isa::x64::abi::ArgSlot> {
    use rulesel::isa::x64::abi::ArgLoc;
    locs.iter()
        .flat_map(|a| match a.loc {
            ArgLoc::Slot(s) => vec![s],
            ArgLoc::Pair { lo, hi } => vec![lo, hi],
            ArgLoc::ByRef { pointer, .. } => vec![pointer],
            ArgLoc::StructArg { offset, size } => (0..size / 8)
                .map(|w| rulesel::isa::x64::abi::ArgSlot::Stack {
                    offset: offset + 8 * w,
                    ty: Type::I64,
                })
                .collect(),
        })
        .collect()
}

#[test]
fn random_signatures_keep_the_layout_invariants() {
    use rulesel::isa::x64::abi::ArgSlot;
    let mut rng = Rng(0xabcdef12345);
    let all_types: Vec<Type> = (0..=255u8).filter_map(Type::from_code).collect();
    let ccs = [
        CallConv::SystemV,
        CallConv::Fast,
        CallConv::Tail,
        CallConv::WindowsFastcall,
        CallConv::Winch,
        CallConv::PreserveAll,
        CallConv::Probestack,
        CallConv::AppleAarch64,
    ];
    let (mut ok, mut unsupported) = (0, 0);
    for _ in 0..5000 {
        let cc = ccs[rng.next(ccs.len() as u64) as usize];
        let pick = |rng: &mut Rng| {
            let common = [
                Type::I8,
                Type::I16,
                Type::I32,
                Type::I64,
                Type::I128,
                Type::F32,
                Type::F64,
                Type::F128,
                Type::parse("i32x4").unwrap(),
            ];
            // Mostly ordinary types; now and then any type at all, to reach the refusals.
            let ty = if rng.next(50) == 0 {
                all_types[rng.next(all_types.len() as u64) as usize]
            } else {
                common[rng.next(common.len() as u64) as usize]
            };
            let p = AbiParam::new(ty);
            match rng.next(8) {
                0 => p.uext(),
                1 => p.sext(),
                2 if ty == Type::I64 => {
                    AbiParam::special(ty, ArgumentPurpose::StructArgument(rng.next(100) as u32))
                }
                3 if ty == Type::I64 => AbiParam::special(ty, ArgumentPurpose::VMContext),
                _ => p,
            }
        };
        let mut sig = Signature::new(cc);
        sig.params = (0..rng.next(24)).map(|_| pick(&mut rng)).collect();
        sig.returns = (0..rng.next(6)).map(|_| pick(&mut rng)).collect();
        let flags = Flags {
            enable_llvm_abi_extensions: rng.next(2) == 0,
            enable_multi_ret_implicit_sret: rng.next(2) == 0,
            ..Flags::default()
        };
        let Ok(layout) = AbiLayout::compute(&sig, &flags) else {
            unsupported += 1;
            continue;
        };
        ok += 1;
        assert_eq!(layout.args.len(), sig.params.len());
        assert_eq!(layout.rets.len(), sig.returns.len());
        assert_eq!(layout.stack_arg_size % 16, 0);
        assert_eq!(layout.stack_ret_size % 16, 0);
        let mut args = slots(&layout.args);
        args.extend(layout.ret_area_ptr);
        for (what, list, area) in [
            ("args", args, layout.stack_arg_size),
            ("rets", slots(&layout.rets), layout.stack_ret_size),
        ] {
            let mut regs = Vec::new();
            let mut stack: Vec<(u32, u32)> = Vec::new();
            for slot in list {
                match slot {
                    ArgSlot::Reg { reg, .. } => {
                        assert!(!regs.contains(&reg), "{sig}: {what} reuse {reg:?}");
                        regs.push(reg);
                    }
                    ArgSlot::Stack { offset, ty } => {
                        // Winch packs its results at their own sizes, unaligned.
                        let packed = what == "rets" && layout.call_conv == CallConv::Winch;
                        let size = if packed {
                            ty.bytes()
                        } else {
                            ty.bytes().max(8)
                        };
                        if !packed {
                            assert_eq!(offset % size.min(16), 0, "{sig}: aligned");
                        }
                        assert!(
                            offset
                                >= if what == "args" {
                                    layout.shadow_space()
                                } else {
                                    0
                                }
                        );
                        assert!(offset + size <= area, "{sig}: {what} inside the area");
                        assert!(
                            stack
                                .iter()
                                .all(|&(o, s)| offset + size <= o || o + s <= offset),
                            "{sig}: {what} overlap"
                        );
                        stack.push((offset, size));
                    }
                }
            }
        }
        // Windows: a register argument sits in its positional slot (the return-area pointer
        // takes position 0, each i128 half a position of its own).
        if cc == CallConv::WindowsFastcall {
            use rulesel::isa::x64::abi::ArgLoc;
            let mut slots: Vec<ArgSlot> = layout.ret_area_ptr.into_iter().collect();
            for arg in &layout.args {
                match arg.loc {
                    ArgLoc::Slot(s) | ArgLoc::ByRef { pointer: s, .. } => slots.push(s),
                    ArgLoc::Pair { lo, hi } => slots.extend([lo, hi]),
                    ArgLoc::StructArg { .. } => {}
                }
            }
            for (i, slot) in slots.iter().enumerate() {
                let ArgSlot::Reg { reg, .. } = *slot else {
                    continue;
                };
                let expected = match reg.class() {
                    regalloc2::RegClass::Int => [
                        RCX,
                        rulesel::isa::x64::regs::RDX,
                        rulesel::isa::x64::regs::R8,
                        R9,
                    ][i],
                    _ => rulesel::isa::x64::regs::xmm(i as u8),
                };
                assert_eq!(reg, expected, "{sig}: positional slot {i}");
            }
        }
    }
    assert!(
        ok > 1000 && unsupported > 100,
        "{ok} laid out, {unsupported} refused"
    );
}
