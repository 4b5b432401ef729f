//! Unwind information: DWARF call-frame information (CFI) saying, at every instruction of a
//! compiled function, where its caller's frame is (the canonical frame address, CFA) and where
//! the registers it saved live. Written as `.eh_frame`, it lets debuggers walk our frames and
//! lets the system unwinder (C++ exceptions, Rust panics) pass through them.
//!
//! ```text
//!   isa::x64::unwind::describe(prologue, marks, frame) ─▶ UnwindInfo (in CompiledCode)
//!        │
//!        ├─▶ write_object_eh_frame: one CIE + one FDE per function, PC-relative symbol
//!        │   references left as relocations for the object writer
//!        └─▶ register_jit_frames: FDEs at absolute addresses, handed to `__register_frame`
//! ```
//!
//! The target supplies the CIE (its initial CFA rule and return-address column); this module
//! only arranges entries and bytes.

use gimli::write::{
    Address, CallFrameInstruction, CommonInformationEntry, EhFrame, EndianVec,
    FrameDescriptionEntry, FrameTable, Writer,
};
use gimli::LittleEndian;
use std::fmt;

/// A change to a function's frame description, in effect from `offset` bytes into its code (the
/// end of the instruction that made the change).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnwindStep {
    pub offset: u32,
    pub inst: CallFrameInstruction,
}

/// The frame description of one function: the CIE's initial rules at entry, then `steps` in
/// increasing offset order. Empty for a function that never moves its frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnwindInfo {
    pub steps: Vec<UnwindStep>,
}

/// `.eh_frame` could not be written (gimli refused an entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnwindError(pub String);

impl fmt::Display for UnwindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unwind information: {}", self.0)
    }
}

impl std::error::Error for UnwindError {}

impl From<gimli::write::Error> for UnwindError {
    fn from(e: gimli::write::Error) -> Self {
        UnwindError(e.to_string())
    }
}

/// One function's place for `.eh_frame`: its start (a symbol of the caller's numbering for
/// objects, an absolute address for the JIT), its code length, and its description.
#[derive(Clone, Copy, Debug)]
pub struct FrameEntry<'a> {
    pub start: Address,
    pub len: u32,
    pub info: &'a UnwindInfo,
}

/// A 4-byte PC-relative field of `.eh_frame` at `offset` that must hold `symbol + addend - P`:
/// the object writer turns it into an `R_X86_64_PC32` relocation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EhFrameReloc {
    pub offset: u32,
    pub symbol: usize,
    pub addend: i64,
}

/// `.eh_frame` bytes that record, rather than resolve, references to symbols.
struct RelocatingWriter {
    bytes: EndianVec<LittleEndian>,
    relocs: Vec<EhFrameReloc>,
}

impl Writer for RelocatingWriter {
    type Endian = LittleEndian;

    fn endian(&self) -> LittleEndian {
        LittleEndian
    }
    fn len(&self) -> usize {
        self.bytes.len()
    }
    fn write(&mut self, bytes: &[u8]) -> gimli::write::Result<()> {
        self.bytes.write(bytes)
    }
    fn write_at(&mut self, offset: usize, bytes: &[u8]) -> gimli::write::Result<()> {
        self.bytes.write_at(offset, bytes)
    }
    fn write_eh_pointer(
        &mut self,
        address: Address,
        eh_pe: gimli::DwEhPe,
        size: u8,
    ) -> gimli::write::Result<()> {
        match address {
            Address::Symbol { symbol, addend }
                if eh_pe == gimli::DW_EH_PE_pcrel | gimli::DW_EH_PE_sdata4 =>
            {
                self.relocs.push(EhFrameReloc {
                    offset: self.len() as u32,
                    symbol,
                    addend,
                });
                self.write_udata(0, 4)
            }
            Address::Symbol { .. } => Err(gimli::write::Error::UnsupportedPointerEncoding(eh_pe)),
            Address::Constant(_) => self.bytes.write_eh_pointer(address, eh_pe, size),
        }
    }
}

/// Builds one CIE (`cie`) and one FDE per entry.
fn frame_table(cie: CommonInformationEntry, entries: &[FrameEntry<'_>]) -> FrameTable {
    let mut table = FrameTable::default();
    let cie_id = table.add_cie(cie);
    for e in entries {
        let mut fde = FrameDescriptionEntry::new(e.start, e.len);
        for s in &e.info.steps {
            fde.add_instruction(s.offset, s.inst.clone());
        }
        table.add_fde(cie_id, fde);
    }
    table
}

/// `.eh_frame` for an object file: `cie` must use `DW_EH_PE_pcrel | DW_EH_PE_sdata4` for FDE
/// addresses, and every entry's `start` must be an `Address::Symbol`; each such reference comes
/// back as an [`EhFrameReloc`] (its bytes are zero). The section ends with the zero terminator
/// that unwinders expect.
pub fn write_object_eh_frame(
    cie: CommonInformationEntry,
    entries: &[FrameEntry<'_>],
) -> Result<(Vec<u8>, Vec<EhFrameReloc>), UnwindError> {
    let table = frame_table(cie, entries);
    let mut eh = EhFrame(RelocatingWriter {
        bytes: EndianVec::new(LittleEndian),
        relocs: Vec::new(),
    });
    table.write_eh_frame(&mut eh)?;
    eh.0.write_u32(0)?;
    Ok((eh.0.bytes.into_vec(), eh.0.relocs))
}

/// `.eh_frame` for code already in memory: entries' `start` must be `Address::Constant` absolute
/// addresses and `cie` must use `DW_EH_PE_absptr` for FDE addresses. Zero-terminated.
pub fn write_absolute_eh_frame(
    cie: CommonInformationEntry,
    entries: &[FrameEntry<'_>],
) -> Result<Vec<u8>, UnwindError> {
    let table = frame_table(cie, entries);
    let mut eh = EhFrame(EndianVec::new(LittleEndian));
    table.write_eh_frame(&mut eh)?;
    eh.0.write_u32(0)?;
    Ok(eh.0.into_vec())
}

extern "C" {
    /// libgcc's unwinder (the one Rust uses on Linux): registers a zero-terminated
    /// `.eh_frame` section that must stay at that address until deregistered.
    fn __register_frame(begin: *const u8);
    fn __deregister_frame(begin: *const u8);
}

/// `.eh_frame` registered with the system unwinder; deregistered when dropped, which must happen
/// before the code it describes is unmapped.
pub struct RegisteredFrames {
    eh_frame: Box<[u8]>,
}

impl RegisteredFrames {
    /// Registers the frames of JIT code at absolute addresses (see
    /// [`write_absolute_eh_frame`]). Unwinding through the code then works until `self` drops.
    pub fn register(
        cie: CommonInformationEntry,
        entries: &[FrameEntry<'_>],
    ) -> Result<RegisteredFrames, UnwindError> {
        let eh_frame = write_absolute_eh_frame(cie, entries)?.into_boxed_slice();
        // SAFETY: the bytes are a well-formed, zero-terminated .eh_frame that lives (boxed, so
        // it never moves) until `drop` deregisters it.
        unsafe { __register_frame(eh_frame.as_ptr()) };
        Ok(RegisteredFrames { eh_frame })
    }

    /// The registered section (for inspection in tests).
    pub fn bytes(&self) -> &[u8] {
        &self.eh_frame
    }
}

impl Drop for RegisteredFrames {
    fn drop(&mut self) {
        // SAFETY: registered by `register` with this very pointer.
        unsafe { __deregister_frame(self.eh_frame.as_ptr()) };
    }
}

impl fmt::Debug for RegisteredFrames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegisteredFrames({} bytes)", self.eh_frame.len())
    }
}
