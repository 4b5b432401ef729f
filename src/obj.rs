//! ELF relocatable objects (x86-64) for a whole module: functions, data objects, the symbols
//! that name them, relocations between them and to the outside, and `.eh_frame`.
//!
//! ```text
//!   .text            every function, 16-aligned, in the given order
//!   .rodata          read-only data without relocations
//!   .data.rel.ro     read-only data holding addresses (relocated once at load, then read-only;
//!                    keeps dynamic relocations out of text in PIE executables)
//!   .data / .bss     writable data, zero-initialised data
//!   .eh_frame        one CIE, one FDE per function, addresses PC-relative to .text
//!   rulesel_exceptions  the exception table of every `try_call` (below), when there are any
//!   .note.GNU-stack  marks the object as not needing an executable stack
//! ```
//!
//! `rulesel_exceptions` (read-only, 4-aligned; its name is a C identifier, so the linker defines
//! `__start_rulesel_exceptions` and `__stop_rulesel_exceptions` around it in the executable) holds
//! one record per `try_call` site, in code order; little-endian, addresses PC-relative to the
//! field that holds them (`R_X86_64_PC32`, so nothing is relocated at load time):
//!
//! ```text
//!   i32  return address of the call − address of this field
//!   u32  sp_below_fp: a handler runs with rsp = rbp − sp_below_fp (rbp: the catching frame's)
//!   u32  H, the number of handlers          u32  C, the number of context slots
//!   H × { u32 tag;  u32 default (1: catches every tag, tag is 0);
//!         i32 handler address − address of this field }      first match wins
//!   C × { i32 offset from rbp of the 8-byte slot holding a `context` value }
//! ```
//!
//! The handler receives the payloads in rax and rdx (System V and `tail` callees). A runtime
//! walks frames by frame pointer: the return address of the frame at rbp is at rbp + 8, the
//! caller's rbp at rbp + 0.
//!
//! A relocation names its target by symbol name: a function or data object of the module
//! (whatever its linkage) resolves to that definition; any other name becomes an undefined
//! global symbol for the linker to find (libc's `puts`, another object's function…).
//!
//! | code relocation | ELF type |
//! |---|---|
//! | `CallPlt4` | `R_X86_64_PLT32` |
//! | `PcRel4` | `R_X86_64_PC32` |
//! | `GotPcRel4` | `R_X86_64_GOTPCREL` |
//! | `ElfTlsGd4` (`tls_value`; its symbol is `STT_TLS`) | `R_X86_64_TLSGD` |
//! | `Abs8` (and every data relocation) | `R_X86_64_64` |

use crate::isa::x64::unwind::cie;
use crate::machinst::buffer::{CompiledCode, RelocKind};
use crate::unwind::{write_object_eh_frame, FrameEntry};
use object::write::{Object, Relocation, SectionId, StandardSection, Symbol, SymbolId};
use object::write::{SymbolFlags, SymbolSection};
use object::{elf, Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind};
use object::{SymbolKind, SymbolScope};
use std::collections::HashMap;
use std::fmt;

/// Whether a definition is visible to other objects.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Linkage {
    /// `STB_LOCAL`: only this object refers to it.
    Local,
    /// `STB_GLOBAL`: exported to the link.
    Global,
}

/// A compiled function to place in `.text`.
#[derive(Clone, Copy, Debug)]
pub struct ObjFunction<'a> {
    pub name: &'a str,
    pub linkage: Linkage,
    pub code: &'a CompiledCode,
    /// The symbol name of each `SymbolId` of `code`'s relocations: `symbols[id.0]`.
    pub symbols: &'a [String],
}

/// What a data object holds.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DataInit {
    /// These bytes (read-only or writable, see [`ObjData::writable`]).
    Bytes(Vec<u8>),
    /// This many zero bytes (`.bss` when writable).
    Zeros(u64),
}

/// An 8-byte absolute address (`R_X86_64_64`) of `symbol + addend` stored at `offset` in a data
/// object.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DataReloc {
    pub offset: u64,
    pub symbol: String,
    pub addend: i64,
}

/// A data object.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ObjData {
    pub name: String,
    pub linkage: Linkage,
    pub writable: bool,
    /// A power of two.
    pub align: u64,
    pub init: DataInit,
    pub relocs: Vec<DataReloc>,
}

/// Why an object could not be written.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ObjError {
    /// Two definitions share a name.
    DuplicateSymbol(String),
    /// A relocation's `SymbolId` has no entry in the function's symbol list.
    UnknownSymbolId { function: String, id: u32 },
    /// A data relocation does not fit inside its object, or relocates zero-initialised data.
    BadDataReloc { data: String, offset: u64 },
    /// An alignment that is not a power of two.
    BadAlignment { data: String, align: u64 },
    /// The `object` or `gimli` crate refused the result.
    Write(String),
}

impl fmt::Display for ObjError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjError::DuplicateSymbol(n) => write!(f, "`{n}` is defined twice"),
            ObjError::UnknownSymbolId { function, id } => {
                write!(
                    f,
                    "{function}: relocation names symbol #{id}, which is not declared"
                )
            }
            ObjError::BadDataReloc { data, offset } => {
                write!(
                    f,
                    "data `{data}`: no 8-byte address fits at offset {offset}"
                )
            }
            ObjError::BadAlignment { data, align } => {
                write!(f, "data `{data}`: alignment {align} is not a power of two")
            }
            ObjError::Write(m) => write!(f, "writing the object: {m}"),
        }
    }
}

impl std::error::Error for ObjError {}

fn scope(linkage: Linkage) -> SymbolScope {
    match linkage {
        Linkage::Local => SymbolScope::Compilation,
        Linkage::Global => SymbolScope::Dynamic,
    }
}

/// Symbols of the object by name; names not defined here become undefined symbols on first use.
struct SymbolTable {
    by_name: HashMap<String, SymbolId>,
}

impl SymbolTable {
    fn define(&mut self, obj: &mut Object<'_>, sym: Symbol) -> Result<SymbolId, ObjError> {
        let name = String::from_utf8_lossy(&sym.name).into_owned();
        if self.by_name.contains_key(&name) {
            return Err(ObjError::DuplicateSymbol(name));
        }
        let id = obj.add_symbol(sym);
        self.by_name.insert(name, id);
        Ok(id)
    }

    fn reference(&mut self, obj: &mut Object<'_>, name: &str) -> SymbolId {
        self.reference_of_kind(obj, name, SymbolKind::Unknown)
    }

    /// A thread-local variable: an undefined one is `STT_TLS`, as the linker wants the symbol
    /// of a TLS relocation to be.
    fn reference_tls(&mut self, obj: &mut Object<'_>, name: &str) -> SymbolId {
        self.reference_of_kind(obj, name, SymbolKind::Tls)
    }

    fn reference_of_kind(
        &mut self,
        obj: &mut Object<'_>,
        name: &str,
        kind: SymbolKind,
    ) -> SymbolId {
        *self.by_name.entry(name.to_string()).or_insert_with(|| {
            obj.add_symbol(Symbol {
                name: name.as_bytes().to_vec(),
                value: 0,
                size: 0,
                kind,
                scope: SymbolScope::Dynamic,
                weak: false,
                section: SymbolSection::Undefined,
                flags: SymbolFlags::None,
            })
        })
    }
}

fn elf_reloc(r_type: elf::RelocationType) -> RelocationFlags {
    RelocationFlags::Elf { r_type }
}

/// Writes one ELF relocatable object holding `functions` and `data`.
pub fn write_object(functions: &[ObjFunction<'_>], data: &[ObjData]) -> Result<Vec<u8>, ObjError> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let mut syms = SymbolTable {
        by_name: HashMap::new(),
    };
    let werr = |e: object::write::Error| ObjError::Write(e.to_string());

    // Definitions first, so that every reference below finds them.
    let text = obj.section_id(StandardSection::Text);
    let mut func_offsets = Vec::with_capacity(functions.len());
    for f in functions {
        let offset = obj.append_section_data(text, &f.code.bytes, 16);
        func_offsets.push(offset);
        syms.define(
            &mut obj,
            Symbol {
                name: f.name.as_bytes().to_vec(),
                value: offset,
                size: u64::from(f.code.code_len),
                kind: SymbolKind::Text,
                scope: scope(f.linkage),
                weak: false,
                section: SymbolSection::Section(text),
                flags: SymbolFlags::None,
            },
        )?;
        let tables = f.code.bytes.len() as u64 - u64::from(f.code.code_len);
        if tables > 0 {
            // Jump tables and constants follow the code; a data symbol over them tells
            // disassemblers and debuggers that they are not instructions.
            obj.add_symbol(Symbol {
                name: format!("{}.constants", f.name).into_bytes(),
                value: offset + u64::from(f.code.code_len),
                size: tables,
                kind: SymbolKind::Data,
                scope: SymbolScope::Compilation,
                weak: false,
                section: SymbolSection::Section(text),
                flags: SymbolFlags::None,
            });
        }
    }
    let mut data_places: Vec<(SectionId, u64)> = Vec::with_capacity(data.len());
    for d in data {
        if !d.align.is_power_of_two() {
            return Err(ObjError::BadAlignment {
                data: d.name.clone(),
                align: d.align,
            });
        }
        let (section, offset, size) = match &d.init {
            DataInit::Zeros(size) if d.writable => {
                let s = obj.section_id(StandardSection::UninitializedData);
                (s, obj.append_section_bss(s, *size, d.align), *size)
            }
            init => {
                let bytes = match init {
                    DataInit::Bytes(b) => b.clone(),
                    DataInit::Zeros(n) => vec![0; *n as usize],
                };
                let s = match (d.writable, d.relocs.is_empty()) {
                    (true, _) => obj.section_id(StandardSection::Data),
                    (false, true) => obj.section_id(StandardSection::ReadOnlyData),
                    (false, false) => obj.section_id(StandardSection::ReadOnlyDataWithRel),
                };
                (
                    s,
                    obj.append_section_data(s, &bytes, d.align),
                    bytes.len() as u64,
                )
            }
        };
        for r in &d.relocs {
            if matches!(d.init, DataInit::Zeros(_)) && d.writable
                || r.offset.checked_add(8).is_none_or(|end| end > size)
            {
                return Err(ObjError::BadDataReloc {
                    data: d.name.clone(),
                    offset: r.offset,
                });
            }
        }
        data_places.push((section, offset));
        syms.define(
            &mut obj,
            Symbol {
                name: d.name.as_bytes().to_vec(),
                value: offset,
                size,
                kind: SymbolKind::Data,
                scope: scope(d.linkage),
                weak: false,
                section: SymbolSection::Section(section),
                flags: SymbolFlags::None,
            },
        )?;
    }

    for (f, &base) in functions.iter().zip(&func_offsets) {
        for r in &f.code.relocs {
            let name =
                f.symbols
                    .get(r.symbol.0 as usize)
                    .ok_or_else(|| ObjError::UnknownSymbolId {
                        function: f.name.to_string(),
                        id: r.symbol.0,
                    })?;
            let symbol = if r.kind == RelocKind::ElfTlsGd4 {
                syms.reference_tls(&mut obj, name)
            } else {
                syms.reference(&mut obj, name)
            };
            let r_type = match r.kind {
                RelocKind::Abs8 => elf::R_X86_64_64,
                RelocKind::PcRel4 => elf::R_X86_64_PC32,
                RelocKind::CallPlt4 => elf::R_X86_64_PLT32,
                RelocKind::GotPcRel4 => elf::R_X86_64_GOTPCREL,
                RelocKind::ElfTlsGd4 => elf::R_X86_64_TLSGD,
            };
            obj.add_relocation(
                text,
                Relocation {
                    offset: base + u64::from(r.offset),
                    symbol,
                    addend: r.addend,
                    flags: elf_reloc(r_type),
                },
            )
            .map_err(werr)?;
        }
    }
    for (d, &(section, base)) in data.iter().zip(&data_places) {
        for r in &d.relocs {
            let symbol = syms.reference(&mut obj, &r.symbol);
            obj.add_relocation(
                section,
                Relocation {
                    offset: base + r.offset,
                    symbol,
                    addend: r.addend,
                    flags: elf_reloc(elf::R_X86_64_64),
                },
            )
            .map_err(werr)?;
        }
    }

    write_eh_frame(&mut obj, text, functions, &func_offsets)?;
    write_exception_tables(&mut obj, text, functions, &func_offsets)?;
    obj.add_section(Vec::new(), b".note.GNU-stack".to_vec(), SectionKind::Other);
    obj.write().map_err(werr)
}

/// `.eh_frame`: FDE addresses are `.text`'s section symbol plus the function's offset.
fn write_eh_frame(
    obj: &mut Object<'_>,
    text: SectionId,
    functions: &[ObjFunction<'_>],
    offsets: &[u64],
) -> Result<(), ObjError> {
    if functions.is_empty() {
        return Ok(());
    }
    let entries: Vec<FrameEntry<'_>> = functions
        .iter()
        .zip(offsets)
        .map(|(f, &offset)| FrameEntry {
            start: gimli::write::Address::Symbol {
                symbol: 0,
                addend: offset as i64,
            },
            len: f.code.code_len,
            info: &f.code.unwind,
        })
        .collect();
    let (bytes, relocs) =
        write_object_eh_frame(cie(true), &entries).map_err(|e| ObjError::Write(e.to_string()))?;
    let eh_frame = obj.section_id(StandardSection::EhFrame);
    obj.set_section_data(eh_frame, bytes, 8);
    let text_symbol = obj.section_symbol(text);
    for r in relocs {
        obj.add_relocation(
            eh_frame,
            Relocation {
                offset: u64::from(r.offset),
                symbol: text_symbol,
                addend: r.addend,
                flags: elf_reloc(elf::R_X86_64_PC32),
            },
        )
        .map_err(|e| ObjError::Write(e.to_string()))?;
    }
    Ok(())
}

/// `rulesel_exceptions`, laid out as the module documentation says.
fn write_exception_tables(
    obj: &mut Object<'_>,
    text: SectionId,
    functions: &[ObjFunction<'_>],
    offsets: &[u64],
) -> Result<(), ObjError> {
    if functions.iter().all(|f| f.code.exception_sites.is_empty()) {
        return Ok(());
    }
    let mut bytes: Vec<u8> = Vec::new();
    // (field offset in the section, target offset in .text)
    let mut text_refs: Vec<(u64, u64)> = Vec::new();
    for (f, &base) in functions.iter().zip(offsets) {
        for site in &f.code.exception_sites {
            text_refs.push((bytes.len() as u64, base + u64::from(site.ret_offset)));
            bytes.extend_from_slice(&0i32.to_le_bytes());
            for word in [
                site.sp_below_fp,
                site.handlers.len() as u32,
                site.contexts.len() as u32,
            ] {
                bytes.extend_from_slice(&word.to_le_bytes());
            }
            for h in &site.handlers {
                bytes.extend_from_slice(&h.tag.unwrap_or(0).to_le_bytes());
                bytes.extend_from_slice(&u32::from(h.tag.is_none()).to_le_bytes());
                text_refs.push((bytes.len() as u64, base + u64::from(h.offset)));
                bytes.extend_from_slice(&0i32.to_le_bytes());
            }
            for c in &site.contexts {
                bytes.extend_from_slice(&c.to_le_bytes());
            }
        }
    }
    let section = obj.add_section(
        Vec::new(),
        b"rulesel_exceptions".to_vec(),
        SectionKind::ReadOnlyData,
    );
    obj.set_section_data(section, bytes, 4);
    let text_symbol = obj.section_symbol(text);
    for (field, target) in text_refs {
        obj.add_relocation(
            section,
            Relocation {
                offset: field,
                symbol: text_symbol,
                addend: target as i64,
                flags: elf_reloc(elf::R_X86_64_PC32),
            },
        )
        .map_err(|e| ObjError::Write(e.to_string()))?;
    }
    Ok(())
}

/// The C library symbol that implements a runtime routine the compiler calls by its libcall
/// name (`CeilF32` → `ceilf`), for objects linked against libc and libm.
pub fn libcall_symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "CeilF32" => "ceilf",
        "CeilF64" => "ceil",
        "FloorF32" => "floorf",
        "FloorF64" => "floor",
        "TruncF32" => "truncf",
        "TruncF64" => "trunc",
        "NearestF32" => "roundevenf",
        "NearestF64" => "roundeven",
        "FmaF32" => "fmaf",
        "FmaF64" => "fma",
        "Memcpy" | "memcpy" => "memcpy",
        "Memset" | "memset" => "memset",
        "Memmove" | "memmove" => "memmove",
        "Memcmp" | "memcmp" => "memcmp",
        "__tls_get_addr" => "__tls_get_addr",
        _ => return None,
    })
}
