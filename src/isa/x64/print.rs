//! The printer: AT&T syntax exactly as `objdump -d` prints the same bytes, so listings compare
//! line by line.
//!
//! What objdump does that the printer copies:
//! - mnemonic padded to six columns and a space (`add    %rsi,%rdi`), operands reversed from
//!   Intel order, separated by `,` without a space;
//! - immediates as unsigned hex of the operation's width (`$0xffffffffffffff80` for an imm8
//!   sign-extended to 64 bits);
//! - displacements as signed hex, omitted when the encoding has none, so `(%rax)` but
//!   `0x0(%rbp)` (rbp and r13 as a base always carry a disp8), and the scale always written
//!   when there is an index: `(%rax,%rcx,1)`;
//! - a size suffix (b/w/l/q) only when no general-purpose register operand gives the size of a
//!   memory operand (`addq $0x1,(%rax)`, `cvtsi2sdl (%rax),%xmm0`), for rows that say so;
//! - `*` before the operand of an indirect `jmp`/`call`; `lock ` before a locked mnemonic;
//! - a packed compare names its predicate instead of the immediate (`cmpltps`, `vcmpneq_oqpd`)
//!   when there is a name for it: 0–7 for SSE, 0–31 for VEX.
//!
//! objdump's `# 0x76` comment after a RIP-relative operand is not printed.
//!
//! Labels and symbols have no address until the code is finished; a [`Names`] says how to
//! write them (objdump prints the target address in hex: `jmp    1f`).

use super::amode::{Amode, FrameResolver};
use super::encode::NOPS;
use super::inst::{Inst, Value};
use super::table::{Form, Kind, Loc};
use crate::machinst::buffer::{CodeMark, CompiledCode, MachLabel, SymbolId};

/// How to print what has no address yet.
pub trait Names {
    /// A branch or call target.
    fn label(&self, label: MachLabel) -> String;
    /// The displacement of `label + disp` from the end of the instruction, as printed before
    /// `(%rip)`.
    fn rip(&self, label: MachLabel, disp: i32) -> String;
    fn symbol(&self, symbol: SymbolId) -> String;
    /// A symbol's address as an immediate (`movabs`), without the `$`.
    fn symbol_address(&self, symbol: SymbolId) -> String;
    /// What is printed before `(%rip)` for a relocated symbol operand (objdump shows the
    /// unrelocated displacement, `0x0`).
    fn rip_symbol(&self, symbol: SymbolId, got: bool, disp: i32) -> String;
    /// The frame layout, once known; before that, frame addresses print as `SpillSlot2+4`.
    fn frame(&self) -> Option<&dyn FrameResolver> {
        None
    }
}

/// Symbolic names: `.L3`, `.L3+8(%rip)`, `sym2`, `sym2@GOTPCREL(%rip)`.
pub struct SymbolicNames;

impl Names for SymbolicNames {
    fn label(&self, label: MachLabel) -> String {
        format!(".L{}", label.0)
    }
    fn rip(&self, label: MachLabel, disp: i32) -> String {
        match disp {
            0 => format!(".L{}", label.0),
            d => format!(".L{}{:+}", label.0, d),
        }
    }
    fn symbol(&self, symbol: SymbolId) -> String {
        format!("sym{}", symbol.0)
    }
    fn symbol_address(&self, symbol: SymbolId) -> String {
        format!("sym{}", symbol.0)
    }
    fn rip_symbol(&self, symbol: SymbolId, got: bool, disp: i32) -> String {
        let got = if got { "@GOTPCREL" } else { "" };
        match disp {
            0 => format!("sym{}{got}", symbol.0),
            d => format!("sym{}{got}{:+}", symbol.0, d),
        }
    }
}

/// Names in finished code, as `objdump -D -b binary` prints them (an ELF listing adds
/// `<symbol+offset>` after addresses): branch targets as addresses, RIP-relative operands as
/// displacements from the end of the instruction, and relocated fields as the zeros they hold.
pub struct AddressNames<'a> {
    pub code: &'a CompiledCode,
    /// Offset of the end of the instruction being printed.
    pub inst_end: u32,
    pub frame: Option<&'a dyn FrameResolver>,
}

impl Names for AddressNames<'_> {
    fn label(&self, label: MachLabel) -> String {
        format!("{:#x}", self.code.label_offsets[label.index()])
    }
    fn rip(&self, label: MachLabel, disp: i32) -> String {
        let target = i64::from(self.code.label_offsets[label.index()]) + i64::from(disp);
        signed_hex(target - i64::from(self.inst_end))
    }
    fn symbol(&self, _symbol: SymbolId) -> String {
        format!("{:#x}", self.inst_end)
    }
    fn symbol_address(&self, _symbol: SymbolId) -> String {
        "0x0".to_string()
    }
    fn rip_symbol(&self, _symbol: SymbolId, _got: bool, _disp: i32) -> String {
        "0x0".to_string()
    }
    fn frame(&self) -> Option<&dyn FrameResolver> {
        self.frame
    }
}

/// A listing of finished code, one `offset:\ttext` line per instruction, comparable with the
/// text column of `objdump -D -b binary -m i386:x86-64`. `insts` are the emitted instructions
/// with the marks taken just before and after each; branches the buffer deleted (empty range)
/// are left out.
pub fn listing(
    code: &CompiledCode,
    insts: &[(CodeMark, Inst, CodeMark)],
    frame: Option<&dyn FrameResolver>,
) -> String {
    let mut out = String::new();
    for (start, inst, end) in insts {
        let (s, e) = (
            code.mark_offsets[start.0 as usize],
            code.mark_offsets[end.0 as usize],
        );
        if s == e {
            continue;
        }
        let names = AddressNames {
            code,
            inst_end: e,
            frame,
        };
        out.push_str(&format!("{s:4x}:\t{}\n", att(inst, &names)));
    }
    out
}

/// `0x1f`, `-0x8`.
fn signed_hex(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

fn mem_text(a: &Amode, names: &dyn Names) -> String {
    let a = match names.frame() {
        Some(frame) => a.resolve(frame),
        None => *a,
    };
    match a {
        Amode::Base {
            base,
            index,
            scale,
            disp,
        } => {
            let base_low = base.to_preg().map_or(0, |p| p.hw_enc() & 7);
            let disp_text = if disp != 0 || base_low == 5 {
                signed_hex(i64::from(disp))
            } else {
                String::new()
            };
            if index.is_valid() {
                format!(
                    "{disp_text}(%{},%{},{})",
                    base.name(8),
                    index.name(8),
                    1 << scale
                )
            } else {
                format!("{disp_text}(%{})", base.name(8))
            }
        }
        Amode::Rip { label, disp } => format!("{}(%rip)", names.rip(label, disp)),
        Amode::RipSymbol { symbol, got, disp } => {
            format!("{}(%rip)", names.rip_symbol(symbol, got, disp))
        }
        Amode::Frame {
            area,
            index,
            offset,
        } => format!("{area:?}{index}{:+}", offset),
    }
}

/// objdump's rendering of the recommended no-op of each length.
const NOP_TEXT: [&str; 9] = [
    "nop",
    "xchg   %ax,%ax",
    "nopl   (%rax)",
    "nopl   0x0(%rax)",
    "nopl   0x0(%rax,%rax,1)",
    "nopw   0x0(%rax,%rax,1)",
    "nopl   0x0(%rax)",
    "nopl   0x0(%rax,%rax,1)",
    "nopw   0x0(%rax,%rax,1)",
];

/// The predicates of `cmpps`/`cmppd` (0–7) and of their VEX forms (0–31), as objdump names them.
const COMPARE_PREDICATES: [&str; 32] = [
    "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord", "eq_uq", "nge", "ngt", "false",
    "neq_oq", "ge", "gt", "true", "eq_os", "lt_oq", "le_oq", "unord_s", "neq_us", "nlt_uq",
    "nle_uq", "ord_s", "eq_us", "nge_uq", "ngt_uq", "false_os", "neq_os", "ge_oq", "gt_oq",
    "true_us",
];

/// The pseudo-op objdump prints for a packed compare with a named predicate (`cmpltps`).
fn compare_pseudo_op(mnemonic: &str, predicate: i64) -> Option<String> {
    let (stem, vex) = match mnemonic.strip_prefix('v') {
        Some(stem) => (stem, true),
        None => (mnemonic, false),
    };
    let suffix = stem
        .strip_prefix("cmp")
        .filter(|s| matches!(*s, "ps" | "pd"))?;
    let named = if vex { 32 } else { 8 };
    let name = COMPARE_PREDICATES.get(usize::try_from(predicate).ok().filter(|&p| p < named)?)?;
    Some(format!("{}cmp{name}{suffix}", if vex { "v" } else { "" }))
}

/// The instruction in objdump's AT&T syntax (no trailing spaces).
pub fn att(inst: &Inst, names: &dyn Names) -> String {
    let row = inst.op.row();
    if row.enc.form == Form::Nop {
        if let Value::Imm(n) = inst.value(0) {
            debug_assert_eq!(NOPS.len(), NOP_TEXT.len());
            return NOP_TEXT[n as usize - 1].to_string();
        }
    }
    let indirect = matches!(row.intel, "jmp" | "call");
    let pseudo_op = row
        .operands
        .iter()
        .enumerate()
        .find_map(|(i, spec)| match inst.value(i) {
            Value::Imm(v) if spec.kind == Kind::Imm => compare_pseudo_op(row.att, v),
            _ => None,
        });
    let mut operands = Vec::new();
    // Before allocation a read-and-written register has a use and a def of its own: the
    // operand shows the use and the def follows the operands (`add %v2,%v1 -> %v3`).
    let mut renamed = Vec::new();
    let mut mem_width = None;
    let mut sized_by_gpr = false;
    for (i, spec) in row.operands.iter().enumerate() {
        if !spec.shown() {
            continue;
        }
        let text = match inst.value(i) {
            Value::Imm(_) if pseudo_op.is_some() => continue,
            Value::Reg(r) => {
                if spec.kind != Kind::Xmm
                    && spec.kind != Kind::XmmMem
                    && !matches!(spec.loc, Loc::Fixed { .. })
                {
                    sized_by_gpr = true;
                }
                let bytes = spec.width.bytes();
                match inst.read_reg(i) {
                    Some(u) if u != r => {
                        renamed.push(format!("%{}", r.name(bytes)));
                        format!("%{}", u.name(bytes))
                    }
                    _ => format!("%{}", r.name(bytes)),
                }
            }
            Value::Mem(a) => {
                if spec.kind != Kind::XmmMem {
                    mem_width = Some(spec.width);
                }
                mem_text(&a, names)
            }
            Value::Imm(v) => {
                let bits = spec.width.bits();
                let masked = if bits >= 64 {
                    v as u64
                } else {
                    (v as u64) & ((1u64 << bits) - 1)
                };
                format!("${masked:#x}")
            }
            Value::Label(l) => names.label(l),
            Value::Symbol(s) if matches!(spec.loc, Loc::Imm(_)) => {
                format!("${}", names.symbol_address(s))
            }
            Value::Symbol(s) => names.symbol(s),
            Value::Cc(_) => continue,
        };
        if spec.loc == Loc::RegAndRm {
            operands.push(text.clone());
        }
        let star = indirect && matches!(spec.kind, Kind::GprMem);
        operands.push(if star { format!("*{text}") } else { text });
    }
    operands.reverse();

    let mut mnemonic = if row.enc.lock {
        format!("lock {}", row.att)
    } else {
        pseudo_op.unwrap_or_else(|| row.att.to_string())
    };
    if row.has_cc() {
        mnemonic.push_str(inst.cc.name());
    }
    if let (true, Some(w), false) = (row.att_suffix, mem_width, sized_by_gpr) {
        mnemonic.push(match w.bytes() {
            1 => 'b',
            2 => 'w',
            4 => 'l',
            _ => 'q',
        });
    }
    let text = if operands.is_empty() {
        mnemonic
    } else {
        format!("{mnemonic:<6} {}", operands.join(","))
    };
    if renamed.is_empty() {
        text
    } else {
        format!("{text} -> {}", renamed.join(","))
    }
}

impl std::fmt::Display for Inst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&att(self, &SymbolicNames))
    }
}
