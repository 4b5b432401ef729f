//! The machine-code buffer: bytes, labels, branches, constants, jump tables and the records the
//! outputs need (trap sites, relocations, call sites, exception tables, stack maps).
//!
//! # How branches become bytes
//!
//! The emitter writes ordinary instruction bytes with [`MachBuffer::put_bytes`], and every
//! branch whose target is a label with [`MachBuffer::put_branch`]. Branches stay *symbolic*
//! until [`MachBuffer::finish`]: the buffer is a byte vector (the "raw" bytes, without branches)
//! plus a list of `Item`s — label bindings, branches and alignment requests — each pinned to the
//! raw offset where it occurs. Nothing is patched while emitting, so no decision made early has to
//! be undone later. `finish` then runs four steps:
//!
//! ```text
//!  1. thread   L: jmp M        every use of L becomes a use of M (chains followed, cycles kept)
//!  2. simplify jcc A; jmp B; A: ⟶ j!cc B        (invert a branch over an unconditional jump)
//!              jmp L; L:       ⟶ (nothing)      (branch to the fall-through, also jcc)
//!              jmp L; M: jmp N ⟶ jmp L          (M unreferenced: the second jump is dead)
//!              repeated until nothing changes: each deletion can expose another fall-through
//!  3. relax    all live branches start short (rel8); lay out, grow every short branch whose
//!              displacement does not fit in i8 to near (rel32); repeat until no branch grows
//!  4. emit     copy raw bytes, encode branches, pad alignments, append jump tables then the
//!              constant pool, patch label fixups, map every record to its final offset
//! ```
//!
//! # Invariants
//!
//! - `items` is sorted by raw offset, and among items at one raw offset by the order of the calls
//!   that made them; a record (trap, relocation, fixup…) remembers how many items existed when it
//!   was made (`Pos`), which places it exactly between items at the same raw offset.
//! - Step 2 only deletes branches and retargets conditional ones; it never moves bytes, so raw
//!   offsets stay valid. A deleted branch has size 0.
//! - Step 3 only grows branches, never shrinks one, so it terminates after at most one pass more
//!   than there are branches (every pass but the last grows at least one). Alignment padding may
//!   change size either way, which is why every short branch is re-checked on every pass.
//! - A label is an entry point only if something in the buffer refers to it (a branch, a
//!   fixup, a jump table, an exception handler); step 2 may delete a branch bound only to
//!   labels nothing refers to when it follows an unconditional branch. The function's entry, offset 0, follows nothing.
//! - Label fixups (RIP-relative operands, jump-table entries) are 32 bits wide and are resolved
//!   once, after layout; they never influence branch sizes.
//!
//! The target supplies branch shapes through [`BranchEncoding`], so this module knows no
//! instruction set.

use std::fmt;
use std::marker::PhantomData;

/// A position in the code that is not known until [`MachBuffer::finish`]: a block start, a
/// constant, a jump table. Labels index a dense vector inside the buffer that made them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct MachLabel(pub u32);

impl MachLabel {
    /// The label's index in the buffer that created it.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Why a trapping instruction traps: the byte of the IR's [`crate::ir::TrapCode`] (user codes
/// 1–250, the reserved codes 251–255), so the two convert without a table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TrapCode(pub u8);

impl TrapCode {
    pub const STACK_OVERFLOW: TrapCode = TrapCode(251);
    pub const INTEGER_OVERFLOW: TrapCode = TrapCode(252);
    pub const HEAP_OUT_OF_BOUNDS: TrapCode = TrapCode(253);
    pub const INTEGER_DIVISION_BY_ZERO: TrapCode = TrapCode(254);
    pub const BAD_CONVERSION_TO_INTEGER: TrapCode = TrapCode(255);

    /// User trap code `n` (the IR's `user<n>`); `None` outside 1..=250.
    pub fn user(n: u32) -> Option<TrapCode> {
        u8::try_from(n)
            .ok()
            .and_then(crate::ir::TrapCode::user)
            .map(TrapCode::from)
    }
}

impl From<crate::ir::TrapCode> for TrapCode {
    fn from(code: crate::ir::TrapCode) -> TrapCode {
        TrapCode(code.as_byte())
    }
}

impl std::fmt::Display for TrapCode {
    /// The CLIF name of the code (`heap_oob`, `user3`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match crate::ir::TrapCode::from_byte(self.0) {
            Some(code) => write!(f, "{code}"),
            None => f.write_str("trap code 0"),
        }
    }
}

/// An external symbol referred to by a relocation: an index into a symbol table the caller
/// keeps (functions and data of a module, libcalls). The buffer never interprets it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SymbolId(pub u32);

/// What a [`SymbolId`] stands for, in [`CompiledCode::symbols`]: a function or data object the
/// IR names, or a runtime library routine (`CeilF32`, `Memcpy`, the stack probe…) by its name.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum SymbolName {
    External(crate::ir::ExternalName),
    LibCall(String),
}

/// How a relocation's value is computed and stored (ELF x86-64 names in brackets).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RelocKind {
    /// 8-byte absolute address: S + A (`R_X86_64_64`).
    Abs8,
    /// 4-byte PC-relative: S + A - P (`R_X86_64_PC32`).
    PcRel4,
    /// 4-byte PC-relative call through the PLT: L + A - P (`R_X86_64_PLT32`).
    CallPlt4,
    /// 4-byte PC-relative address of the symbol's GOT entry: G + GOT + A - P (`R_X86_64_GOTPCREL`).
    GotPcRel4,
    /// 4-byte PC-relative address of the GOT's pair of words describing a thread-local
    /// symbol, for `__tls_get_addr` (`R_X86_64_TLSGD`; general-dynamic model).
    ElfTlsGd4,
}

/// A relocation at `offset` in the finished code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Reloc {
    pub offset: u32,
    pub kind: RelocKind,
    pub symbol: SymbolId,
    pub addend: i64,
}

/// The instruction at `offset` may trap with `code`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TrapSite {
    pub offset: u32,
    pub code: TrapCode,
}

/// A call whose return address is `ret_offset`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CallSite {
    pub ret_offset: u32,
}

/// One handler of a `try_call` site: exceptions with `tag` (`None`: every tag no earlier entry
/// names) resume at `offset`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ExceptionHandler {
    pub tag: Option<u32>,
    pub offset: u32,
}

/// The exception table of one `try_call`: the call returns to `ret_offset`; an exception thrown
/// below it resumes at the first of `handlers` whose tag matches, with the frame pointer the
/// function had and the stack pointer `sp_below_fp` bytes below it, the payload in the
/// convention's payload registers. `contexts` are the frame-pointer offsets (negative) of the
/// slots holding the site's `context` values, in the table's order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ExceptionSite {
    pub ret_offset: u32,
    pub sp_below_fp: u32,
    pub handlers: Vec<ExceptionHandler>,
    pub contexts: Vec<i32>,
}

/// The user stack map of the call returning to `ret_offset`: values of type `ty` that the
/// caller keeps `sp_offset` bytes above the stack pointer during the call (for a garbage
/// collector to find and update).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UserStackMap {
    pub ret_offset: u32,
    pub entries: Vec<(crate::ir::Type, u32)>,
}

/// A place in the code recorded while emitting (e.g. for unwind information), whose final offset
/// is [`CompiledCode::mark_offsets`]`[mark.0]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CodeMark(pub u32);

/// The finished machine code of one function and everything the JIT and object writer need.
#[derive(Clone, Debug, Default)]
pub struct CompiledCode {
    /// Code, then jump tables, then the constant pool.
    pub bytes: Vec<u8>,
    /// Length of the instructions alone (the start of jump tables and constants).
    pub code_len: u32,
    pub relocs: Vec<Reloc>,
    pub traps: Vec<TrapSite>,
    pub call_sites: Vec<CallSite>,
    /// The exception tables of the `try_call` sites, in code order.
    pub exception_sites: Vec<ExceptionSite>,
    /// The user stack maps of the calls that have one, in code order.
    pub user_stack_maps: Vec<UserStackMap>,
    /// Final offset of every label, indexed by [`MachLabel::index`].
    pub label_offsets: Vec<u32>,
    /// Final offset of every [`CodeMark`].
    pub mark_offsets: Vec<u32>,
    /// What each [`SymbolId`] of `relocs` names (filled by the compiler; the buffer leaves it
    /// empty).
    pub symbols: Vec<SymbolName>,
    /// How to unwind through the function's frame (filled by the compiler from its prologue;
    /// the buffer leaves it empty).
    pub unwind: crate::unwind::UnwindInfo,
}

/// A bad use of the buffer, found when finishing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BufferError {
    /// The label is used but was never bound.
    UnboundLabel(MachLabel),
    /// The label was bound twice.
    ReboundLabel(MachLabel),
}

impl fmt::Display for BufferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BufferError::UnboundLabel(l) => write!(f, "label {} is used but never bound", l.0),
            BufferError::ReboundLabel(l) => write!(f, "label {} is bound twice", l.0),
        }
    }
}

impl std::error::Error for BufferError {}

/// A target's branch instructions, as the buffer needs them. `Cond` is the target's condition
/// code (for x86 the 4-bit `cc` of `jcc`); `None` means an unconditional jump.
pub trait BranchEncoding {
    /// Size in bytes of the short (8-bit displacement) form.
    fn short_size(cond: Option<u8>) -> u32;
    /// Size in bytes of the near (32-bit displacement) form.
    fn near_size(cond: Option<u8>) -> u32;
    /// Append the branch; `disp` is relative to the end of the branch and fits the form chosen.
    fn encode(cond: Option<u8>, near: bool, disp: i32, out: &mut Vec<u8>);
    /// The condition that holds exactly when `cond` does not.
    fn invert(cond: u8) -> u8;
    /// Append `len` bytes of no-op padding.
    fn pad(len: u32, out: &mut Vec<u8>);
}

/// A place between bytes: `raw` offset plus the number of items that existed then.
#[derive(Clone, Copy, Debug)]
struct Pos {
    items: u32,
    raw: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BranchSize {
    Short,
    Near,
    Deleted,
}

#[derive(Clone, Copy, Debug)]
enum ItemKind {
    Bind(MachLabel),
    Branch {
        cond: Option<u8>,
        target: MachLabel,
        size: BranchSize,
    },
    Align(u32),
}

/// Something at a raw offset that is not plain bytes.
#[derive(Clone, Copy, Debug)]
struct Item {
    raw: u32,
    kind: ItemKind,
}

/// A 32-bit label reference patched after layout.
#[derive(Clone, Copy, Debug)]
struct Fixup {
    at: Pos,
    label: MachLabel,
    kind: FixupKind,
}

#[derive(Clone, Copy, Debug)]
enum FixupKind {
    /// target - field + addend (x86 RIP-relative: addend = -(4 + bytes after the field)).
    PcRel32 { addend: i32 },
}

struct Constant {
    bytes: Vec<u8>,
    align: u32,
    label: MachLabel,
}

struct JumpTable {
    label: MachLabel,
    targets: Vec<MachLabel>,
}

/// An exception site whose handler labels are not resolved yet.
struct PendingExceptionSite {
    ret: Pos,
    sp_below_fp: u32,
    handlers: Vec<(Option<u32>, MachLabel)>,
    contexts: Vec<i32>,
}

/// The code buffer of one function. See the module documentation for the algorithm.
pub struct MachBuffer<B: BranchEncoding> {
    raw: Vec<u8>,
    items: Vec<Item>,
    /// Number of labels created; labels are `0..label_count`.
    label_count: u32,
    fixups: Vec<Fixup>,
    constants: Vec<Constant>,
    jump_tables: Vec<JumpTable>,
    traps: Vec<(Pos, TrapCode)>,
    relocs: Vec<(Pos, RelocKind, SymbolId, i64)>,
    call_sites: Vec<Pos>,
    exception_sites: Vec<PendingExceptionSite>,
    user_stack_maps: Vec<(Pos, Vec<(crate::ir::Type, u32)>)>,
    marks: Vec<Pos>,
    target: PhantomData<B>,
}

impl<B: BranchEncoding> Default for MachBuffer<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: BranchEncoding> MachBuffer<B> {
    /// A buffer whose code bytes and items need not grow for about `insts` instructions (the
    /// bytes are pushed one at a time; growing from empty costs several copies per function).
    pub fn with_capacity(insts: usize) -> Self {
        let mut b = Self::new();
        b.raw.reserve(insts * 5 + 32);
        b.items.reserve(insts / 4 + 8);
        b
    }

    pub fn new() -> Self {
        MachBuffer {
            raw: Vec::new(),
            items: Vec::new(),
            label_count: 0,
            fixups: Vec::new(),
            constants: Vec::new(),
            jump_tables: Vec::new(),
            traps: Vec::new(),
            relocs: Vec::new(),
            call_sites: Vec::new(),
            exception_sites: Vec::new(),
            user_stack_maps: Vec::new(),
            marks: Vec::new(),
            target: PhantomData,
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            items: self.items.len() as u32,
            raw: self.raw.len() as u32,
        }
    }

    /// A fresh, unbound label.
    pub fn new_label(&mut self) -> MachLabel {
        self.label_count += 1;
        MachLabel(self.label_count - 1)
    }

    /// Bind `label` to the current position. Binding twice is reported by `finish`.
    pub fn bind_label(&mut self, label: MachLabel) {
        self.push_item(ItemKind::Bind(label));
    }

    fn push_item(&mut self, kind: ItemKind) {
        let raw = self.raw.len() as u32;
        self.items.push(Item { raw, kind });
    }

    /// Append instruction bytes.
    pub fn put_bytes(&mut self, bytes: &[u8]) {
        self.raw.extend_from_slice(bytes);
    }

    /// Append one byte.
    pub fn put_u8(&mut self, byte: u8) {
        self.raw.push(byte);
    }

    /// Append a branch to `target` (`cond` = `None`: unconditional). Its size is chosen by
    /// `finish`; it may be removed if it jumps to the next instruction.
    pub fn put_branch(&mut self, cond: Option<u8>, target: MachLabel) {
        self.push_item(ItemKind::Branch {
            cond,
            target,
            size: BranchSize::Short,
        });
    }

    /// Append a 4-byte field holding `label - field_start + addend` (x86 RIP-relative
    /// operands use `addend = -(4 + number of immediate bytes after the field)`).
    pub fn put_label_rel32(&mut self, label: MachLabel, addend: i32) {
        let at = self.pos();
        self.fixups.push(Fixup {
            at,
            label,
            kind: FixupKind::PcRel32 { addend },
        });
        self.raw.extend_from_slice(&[0; 4]);
    }

    /// Pad with no-ops so that the next byte is at a multiple of `align` (a power of two).
    pub fn align_to(&mut self, align: u32) {
        debug_assert!(align.is_power_of_two());
        self.push_item(ItemKind::Align(align));
    }

    /// The instruction that starts here may trap with `code`.
    pub fn add_trap(&mut self, code: TrapCode) {
        let at = self.pos();
        self.traps.push((at, code));
    }

    /// A relocation applies to the bytes that start here.
    pub fn add_reloc(&mut self, kind: RelocKind, symbol: SymbolId, addend: i64) {
        let at = self.pos();
        self.relocs.push((at, kind, symbol, addend));
    }

    /// A call just ended here (this is its return address).
    pub fn add_call_site(&mut self) {
        let at = self.pos();
        self.call_sites.push(at);
    }

    /// A `try_call` just ended here: exceptions resume at `handlers` (tag, label) as
    /// [`ExceptionSite`] describes. The handler labels count as referenced, so their blocks stay.
    pub fn add_exception_site(
        &mut self,
        sp_below_fp: u32,
        handlers: Vec<(Option<u32>, MachLabel)>,
        contexts: Vec<i32>,
    ) {
        let ret = self.pos();
        self.exception_sites.push(PendingExceptionSite {
            ret,
            sp_below_fp,
            handlers,
            contexts,
        });
    }

    /// A call with a user stack map just ended here: `entries` as [`UserStackMap`] says.
    pub fn add_user_stack_map(&mut self, entries: Vec<(crate::ir::Type, u32)>) {
        let at = self.pos();
        self.user_stack_maps.push((at, entries));
    }

    /// Remember this position; its final offset is in `CompiledCode::mark_offsets`.
    pub fn mark(&mut self) -> CodeMark {
        let at = self.pos();
        self.marks.push(at);
        CodeMark(self.marks.len() as u32 - 1)
    }

    /// A label for `bytes` in the constant pool, aligned to `align` (a power of two). Equal
    /// constants with equal alignment share one copy.
    pub fn add_constant(&mut self, bytes: &[u8], align: u32) -> MachLabel {
        debug_assert!(align.is_power_of_two());
        if let Some(c) = self
            .constants
            .iter()
            .find(|c| c.align == align && c.bytes == bytes)
        {
            return c.label;
        }
        let label = self.new_label();
        self.constants.push(Constant {
            bytes: bytes.to_vec(),
            align,
            label,
        });
        label
    }

    /// A label for a jump table of 32-bit entries, entry `i` holding `targets[i] - table`.
    /// Tables are placed after the code, aligned to 4.
    pub fn add_jump_table(&mut self, targets: &[MachLabel]) -> MachLabel {
        let label = self.new_label();
        self.jump_tables.push(JumpTable {
            label,
            targets: targets.to_vec(),
        });
        label
    }

    /// Lay out the code and produce the finished bytes and records.
    pub fn finish(mut self) -> Result<CompiledCode, BufferError> {
        let bind_item = self.bind_items()?;
        let resolved = self.thread_labels(&bind_item);
        for item in &mut self.items {
            if let ItemKind::Branch { target, .. } = &mut item.kind {
                *target = resolved[target.index()];
            }
        }
        self.simplify_branches(&bind_item, &resolved);
        self.relax(&bind_item);
        self.emit(&bind_item, &resolved)
    }

    /// For every label, the index of the item binding it (`u32::MAX` for labels bound later:
    /// constants and jump tables). Unbound code labels are found when they are used.
    fn bind_items(&self) -> Result<Vec<u32>, BufferError> {
        let mut bind = vec![u32::MAX; self.label_count as usize];
        for (i, item) in self.items.iter().enumerate() {
            if let ItemKind::Bind(l) = item.kind {
                if bind[l.index()] != u32::MAX {
                    return Err(BufferError::ReboundLabel(l));
                }
                bind[l.index()] = i as u32;
            }
        }
        Ok(bind)
    }

    /// The unconditional branch that immediately follows the binding of a label with nothing
    /// but other bindings in between, if any: that label is an empty block.
    fn jump_after_bind(&self, bind: u32) -> Option<MachLabel> {
        let raw = self.items[bind as usize].raw;
        for item in &self.items[bind as usize + 1..] {
            if item.raw != raw {
                return None;
            }
            match item.kind {
                ItemKind::Bind(_) => {}
                ItemKind::Branch {
                    cond: None, target, ..
                } => return Some(target),
                _ => return None,
            }
        }
        None
    }

    /// Step 1: map every label to the label its uses should target.
    fn thread_labels(&self, bind_item: &[u32]) -> Vec<MachLabel> {
        let n = self.label_count as usize;
        let mut resolved: Vec<MachLabel> = (0..n as u32).map(MachLabel).collect();
        for (l, slot) in resolved.iter_mut().enumerate() {
            let mut cur = MachLabel(l as u32);
            // A chain longer than the label count has a cycle (`L: jmp L`); keep such labels.
            for _ in 0..n {
                let bind = bind_item[cur.index()];
                match (bind != u32::MAX)
                    .then(|| self.jump_after_bind(bind))
                    .flatten()
                {
                    Some(next) if next != cur => cur = next,
                    _ => break,
                }
            }
            *slot = cur;
        }
        resolved
    }

    /// Is there nothing but bindings and deleted branches from just after item `from` to the
    /// binding of `label`, which must come later?
    fn falls_through_to(&self, from: usize, label: MachLabel, bind_item: &[u32]) -> bool {
        let to = bind_item[label.index()];
        if to == u32::MAX || (to as usize) <= from {
            return false;
        }
        let raw = self.items[from].raw;
        self.items[from + 1..to as usize].iter().all(|item| {
            item.raw == raw
                && matches!(
                    item.kind,
                    ItemKind::Bind(_)
                        | ItemKind::Branch {
                            size: BranchSize::Deleted,
                            ..
                        }
                )
        }) && self.items[to as usize].raw == raw
    }

    /// The next live item after `i` if it is at the same raw offset with only deleted branches
    /// between (no label bound between, so nothing else can reach it).
    fn next_live_branch(&self, i: usize) -> Option<usize> {
        let raw = self.items[i].raw;
        for (j, item) in self.items.iter().enumerate().skip(i + 1) {
            if item.raw != raw {
                return None;
            }
            match item.kind {
                ItemKind::Branch {
                    size: BranchSize::Deleted,
                    ..
                } => {}
                ItemKind::Branch { .. } => return Some(j),
                _ => return None,
            }
        }
        None
    }

    /// Step 2: invert conditional branches over unconditional jumps, delete branches to the
    /// fall-through, until neither applies.
    fn simplify_branches(&mut self, bind_item: &[u32], resolved: &[MachLabel]) {
        let mut changed = true;
        while changed {
            changed = false;
            let referenced = self.referenced_labels(resolved);
            for i in 0..self.items.len() {
                let ItemKind::Branch { cond, target, size } = self.items[i].kind else {
                    continue;
                };
                if size == BranchSize::Deleted {
                    continue;
                }
                if self.falls_through_to(i, target, bind_item) || self.unreachable(i, &referenced) {
                    self.items[i].kind = ItemKind::Branch {
                        cond,
                        target,
                        size: BranchSize::Deleted,
                    };
                    changed = true;
                    continue;
                }
                let Some(c) = cond else { continue };
                let Some(j) = self.next_live_branch(i) else {
                    continue;
                };
                if let ItemKind::Branch {
                    cond: None,
                    target: other,
                    ..
                } = self.items[j].kind
                {
                    if self.falls_through_to(j, target, bind_item) {
                        self.items[i].kind = ItemKind::Branch {
                            cond: Some(B::invert(c)),
                            target: other,
                            size,
                        };
                        self.items[j].kind = ItemKind::Branch {
                            cond: None,
                            target: other,
                            size: BranchSize::Deleted,
                        };
                        changed = true;
                    }
                }
            }
        }
    }

    /// Which labels something still refers to: a live branch, a fixup, a jump table or an
    /// exception handler.
    fn referenced_labels(&self, resolved: &[MachLabel]) -> Vec<bool> {
        let mut referenced = vec![false; self.label_count as usize];
        for item in &self.items {
            if let ItemKind::Branch { target, size, .. } = item.kind {
                if size != BranchSize::Deleted {
                    referenced[target.index()] = true;
                }
            }
        }
        let fixups = self.fixups.iter().map(|f| f.label);
        let tables = self
            .jump_tables
            .iter()
            .flat_map(|t| t.targets.iter().copied());
        let handlers =
            (self.exception_sites.iter()).flat_map(|s| s.handlers.iter().map(|&(_, l)| l));
        for l in fixups.chain(tables).chain(handlers) {
            referenced[resolved[l.index()].index()] = true;
        }
        referenced
    }

    /// Is branch `i` dead: right after an unconditional branch, with only labels nothing refers
    /// to (and deleted branches) in between?
    fn unreachable(&self, i: usize, referenced: &[bool]) -> bool {
        let raw = self.items[i].raw;
        for item in self.items[..i].iter().rev() {
            if item.raw != raw {
                return false;
            }
            match item.kind {
                ItemKind::Bind(l) if !referenced[l.index()] => {}
                ItemKind::Branch {
                    size: BranchSize::Deleted,
                    ..
                } => {}
                ItemKind::Branch { cond: None, .. } => return true,
                _ => return false,
            }
        }
        false
    }

    fn item_size(kind: ItemKind, offset: u32) -> u32 {
        match kind {
            ItemKind::Bind(_) => 0,
            ItemKind::Branch { cond, size, .. } => match size {
                BranchSize::Short => B::short_size(cond),
                BranchSize::Near => B::near_size(cond),
                BranchSize::Deleted => 0,
            },
            ItemKind::Align(a) => offset.next_multiple_of(a) - offset,
        }
    }

    /// Final start offset of every item under the current branch sizes.
    fn layout(&self) -> Vec<u32> {
        let mut starts = Vec::with_capacity(self.items.len());
        let (mut prev_raw, mut offset) = (0u32, 0u32);
        for item in &self.items {
            offset += item.raw - prev_raw;
            prev_raw = item.raw;
            starts.push(offset);
            offset += Self::item_size(item.kind, offset);
        }
        starts
    }

    /// Step 3: grow short branches that cannot reach until all reach.
    fn relax(&mut self, bind_item: &[u32]) {
        loop {
            let starts = self.layout();
            let mut grew = false;
            for (i, item) in self.items.iter_mut().enumerate() {
                let ItemKind::Branch {
                    cond,
                    target,
                    size: size @ BranchSize::Short,
                } = &mut item.kind
                else {
                    continue;
                };
                let bind = bind_item[target.index()];
                let end = starts[i] + B::short_size(*cond);
                let fits = bind != u32::MAX
                    && i8::try_from(i64::from(starts[bind as usize]) - i64::from(end)).is_ok();
                if !fits {
                    *size = BranchSize::Near;
                    grew = true;
                }
            }
            if !grew {
                return;
            }
        }
    }

    /// Step 4: produce the bytes and records.
    fn emit(self, bind_item: &[u32], resolved: &[MachLabel]) -> Result<CompiledCode, BufferError> {
        let starts = self.layout();
        let final_of = |p: Pos| -> u32 {
            if p.items == 0 {
                return p.raw;
            }
            let k = p.items as usize - 1;
            let item = self.items[k];
            starts[k] + Self::item_size(item.kind, starts[k]) + (p.raw - item.raw)
        };

        let mut label_offsets = vec![u32::MAX; self.label_count as usize];
        for (l, &b) in bind_item.iter().enumerate() {
            if b != u32::MAX {
                label_offsets[l] = starts[b as usize];
            }
        }

        let mut out = Vec::with_capacity(self.raw.len() + 4 * self.items.len());
        let mut raw_at = 0u32;
        for (i, item) in self.items.iter().enumerate() {
            out.extend_from_slice(&self.raw[raw_at as usize..item.raw as usize]);
            raw_at = item.raw;
            debug_assert_eq!(out.len() as u32, starts[i]);
            match item.kind {
                ItemKind::Bind(_) => {}
                ItemKind::Branch { cond, target, size } => {
                    let near = match size {
                        BranchSize::Deleted => continue,
                        BranchSize::Short => false,
                        BranchSize::Near => true,
                    };
                    let len = Self::item_size(item.kind, starts[i]);
                    let dest = label_offsets[target.index()];
                    if dest == u32::MAX {
                        return Err(BufferError::UnboundLabel(target));
                    }
                    let disp = i64::from(dest) - i64::from(starts[i] + len);
                    B::encode(cond, near, disp as i32, &mut out);
                }
                ItemKind::Align(_) => {
                    B::pad(Self::item_size(item.kind, starts[i]), &mut out);
                }
            }
        }
        out.extend_from_slice(&self.raw[raw_at as usize..]);
        let code_len = out.len() as u32;

        // Jump tables, then constants, each at its alignment; padding after code is never run.
        let pad_to = |out: &mut Vec<u8>, align: usize| {
            let len = out.len().next_multiple_of(align);
            out.resize(len, 0);
        };
        for table in &self.jump_tables {
            pad_to(&mut out, 4);
            let base = out.len() as u32;
            label_offsets[table.label.index()] = base;
            for t in &table.targets {
                let dest = label_offsets[resolved[t.index()].index()];
                if dest == u32::MAX {
                    return Err(BufferError::UnboundLabel(*t));
                }
                out.extend_from_slice(&(dest.wrapping_sub(base) as i32).to_le_bytes());
            }
        }
        for c in &self.constants {
            pad_to(&mut out, c.align as usize);
            label_offsets[c.label.index()] = out.len() as u32;
            out.extend_from_slice(&c.bytes);
        }

        for fixup in &self.fixups {
            let at = final_of(fixup.at) as usize;
            let label = resolved[fixup.label.index()];
            let dest = label_offsets[label.index()];
            if dest == u32::MAX {
                return Err(BufferError::UnboundLabel(fixup.label));
            }
            let FixupKind::PcRel32 { addend } = fixup.kind;
            let value = i64::from(dest) - at as i64 + i64::from(addend);
            out[at..at + 4].copy_from_slice(&(value as i32).to_le_bytes());
        }

        Ok(CompiledCode {
            code_len,
            relocs: (self.relocs.iter())
                .map(|&(at, kind, symbol, addend)| Reloc {
                    offset: final_of(at),
                    kind,
                    symbol,
                    addend,
                })
                .collect(),
            traps: (self.traps.iter())
                .map(|&(at, code)| TrapSite {
                    offset: final_of(at),
                    code,
                })
                .collect(),
            call_sites: (self.call_sites.iter())
                .map(|&at| CallSite {
                    ret_offset: final_of(at),
                })
                .collect(),
            exception_sites: (self.exception_sites.iter())
                .map(|site| {
                    let handlers = (site.handlers.iter())
                        .map(|&(tag, l)| {
                            let offset = label_offsets[resolved[l.index()].index()];
                            if offset == u32::MAX {
                                return Err(BufferError::UnboundLabel(l));
                            }
                            Ok(ExceptionHandler { tag, offset })
                        })
                        .collect::<Result<_, _>>()?;
                    Ok(ExceptionSite {
                        ret_offset: final_of(site.ret),
                        sp_below_fp: site.sp_below_fp,
                        handlers,
                        contexts: site.contexts.clone(),
                    })
                })
                .collect::<Result<_, _>>()?,
            user_stack_maps: (self.user_stack_maps.iter())
                .map(|(at, entries)| UserStackMap {
                    ret_offset: final_of(*at),
                    entries: entries.clone(),
                })
                .collect(),
            mark_offsets: self.marks.iter().map(|&at| final_of(at)).collect(),
            label_offsets,
            bytes: out,
            symbols: Vec::new(),
            unwind: Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_trap_codes_follow_the_built_in_ones() {
        assert_eq!(TrapCode::user(0), None);
        assert_eq!(TrapCode::user(250), Some(TrapCode(250)));
        assert_eq!(TrapCode::user(251), None);
        assert_eq!(TrapCode::user(u32::MAX), None);
        assert_eq!(TrapCode::HEAP_OUT_OF_BOUNDS.to_string(), "heap_oob");
    }
}
