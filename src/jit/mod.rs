//! The JIT: compiled functions placed in executable memory of this process, with their calls
//! resolved, ready to be called.
//!
//! ```text
//!   JitModule::new(&[JitFunction { name, code: &CompiledCode, symbols }])
//!     1. layout   functions one after another, each 16-aligned, then one 16-byte stub per
//!                 referenced symbol:  jmp *0(%rip) = ff 25 00 00 00 00, then the 8-byte address
//!     2. resolve  each SymbolId of a function names a symbol: a function of the module, a
//!                 libcall (CeilF32…, memcpy…), the probe helper, or anything `dlsym` finds
//!     3. map      anonymous read-write pages, copy the bytes, apply relocations,
//!                 then mprotect read+execute (never writable and executable at once)
//!
//!   JitModule::with_data(functions, &[JitData { name, bytes, align, writable, relocs }])
//!     the same, with data objects after the code in the same mapping (so code reaches them
//!     with rel32): read-only ones on read-only pages, then writable ones; their pointers
//!     (DataReloc, 8-byte absolute) resolve like code relocations
//! ```
//!
//! A call (`CallPlt4`) goes straight to its target when the rel32 reaches it and through the
//! symbol's stub otherwise (host libraries are usually far from an anonymous mapping). A
//! `GotPcRel4` operand points at the stub's address word, which doubles as the symbol's GOT
//! entry. A `PcRel4` address of a far host symbol is its stub, as a PLT entry stands for a
//! function's address in non-PIC code: right for functions (`func_addr`), which is what code
//! takes such addresses of; far host *data* must be reached through the GOT or an `Abs8`.
//!
//! The memory is unmapped when the module is dropped; addresses taken from it must not outlive
//! it. [`trampoline`] calls functions of any signature; [`traps`] turns faults of JIT code into
//! trap codes; [`exceptions`] throws through JIT frames to the handlers of their `try_call`s.

pub mod exceptions;
pub mod libcalls;
pub mod trampoline;
pub mod traps;

use crate::ir::ExternalName;
use crate::machinst::buffer::{CompiledCode, RelocKind, SymbolName, TrapCode};
use std::ffi::CString;
use std::fmt;
use std::ptr::NonNull;

/// One function to place in a module.
#[derive(Clone, Copy, Debug)]
pub struct JitFunction<'a> {
    /// The name other functions of the module (and [`JitModule::address_of`]) use.
    pub name: &'a str,
    pub code: &'a CompiledCode,
    /// What each `SymbolId` of `code`'s relocations names: `symbols[id.0]` (for compiled code,
    /// [`symbol_names`]).
    pub symbols: &'a [String],
}

/// A data object to place in a module, addressed by `name` like a function.
#[derive(Clone, Copy, Debug)]
pub struct JitData<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
    /// A power of two.
    pub align: u32,
    /// Placed on writable pages; otherwise read-only.
    pub writable: bool,
    /// Pointers stored in the object.
    pub relocs: &'a [DataReloc],
}

/// An 8-byte absolute address stored at `offset` of a data object: `symbol` + `addend`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DataReloc {
    pub offset: u32,
    pub symbol: String,
    pub addend: i64,
}

/// Why a module could not be built.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum JitError {
    /// A relocation of function or data object `from` names a symbol that is neither in the
    /// module, a libcall, nor in the process.
    UnresolvedSymbol { from: String, symbol: String },
    /// A relocation's `SymbolId` has no entry in the function's symbol list.
    UnknownSymbolId { function: String, id: u32 },
    /// A PC-relative data reference whose target is more than 2 GiB away.
    OutOfRange { function: String, symbol: String },
    /// A relocation field that does not lie inside the bytes of function or data object `from`.
    BadRelocation { from: String, offset: u32 },
    /// Two functions or data objects of the module have the same name.
    DuplicateFunction(String),
    /// A data object's alignment is not a power of two.
    BadAlignment { data: String, align: u32 },
    /// mmap or mprotect failed.
    Memory(String),
    /// Something the JIT does not support yet.
    Unsupported(String),
}

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JitError::UnresolvedSymbol { from, symbol } => {
                write!(f, "{from}: unresolved symbol `{symbol}`")
            }
            JitError::UnknownSymbolId { function, id } => {
                write!(
                    f,
                    "{function}: relocation names symbol #{id}, which is not declared"
                )
            }
            JitError::OutOfRange { function, symbol } => write!(
                f,
                "{function}: `{symbol}` is out of range of a 32-bit PC-relative reference"
            ),
            JitError::BadRelocation { from, offset } => {
                write!(
                    f,
                    "{from}: relocation at {offset:#x} lies outside its bytes"
                )
            }
            JitError::DuplicateFunction(name) => write!(f, "`{name}` is defined twice"),
            JitError::BadAlignment { data, align } => {
                write!(f, "{data}: alignment {align} is not a power of two")
            }
            JitError::Memory(what) => write!(f, "executable memory: {what}"),
            JitError::Unsupported(what) => write!(f, "not supported yet: {what}"),
        }
    }
}

impl std::error::Error for JitError {}

/// Where a placed function lives and where it may trap.
#[derive(Clone, Debug)]
struct Placed {
    name: String,
    start: usize,
    /// Length of the instructions (jump tables and constants follow).
    code_len: usize,
    /// (offset, code), sorted by offset.
    traps: Vec<(u32, TrapCode)>,
}

/// Functions (and data objects) placed in memory; unmapped on drop.
pub struct JitModule {
    base: NonNull<u8>,
    size: usize,
    /// Bytes of code and stubs at the start of the mapping (read and execute).
    code_size: usize,
    functions: Vec<Placed>,
    /// Data objects by name, with their offsets in the mapping.
    data: Vec<(String, usize)>,
    /// The functions' exception tables as throws see them, while the module lives.
    exception_tables: Option<exceptions::Registration>,
}

// The module itself never changes after it is built; writable data objects are memory the
// module's code and its users share through raw addresses, as they would a C global.
unsafe impl Send for JitModule {}
unsafe impl Sync for JitModule {}

const FUNCTION_ALIGN: usize = 16;
const STUB_SIZE: usize = 16;
/// `jmp *(%rip)`: ff 25 with a zero displacement, so the target is the 8 bytes that follow.
const STUB_JMP: [u8; 6] = [0xff, 0x25, 0, 0, 0, 0];

/// A symbol referenced by some relocation, with its stub.
struct Target {
    name: String,
    place: TargetPlace,
    stub_offset: usize,
}

#[derive(Clone, Copy)]
enum TargetPlace {
    /// Function `i` of the module, or data object `i - functions.len()`.
    Item(usize),
    /// An address in the process.
    Host(usize),
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

/// The address of `name` in this process: a libcall of ours first, then the dynamic linker.
pub fn resolve_host_symbol(name: &str) -> Option<usize> {
    if let Some(address) = libcalls::address(name) {
        return Some(address);
    }
    let cname = CString::new(name).ok()?;
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads.
    let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, cname.as_ptr()) };
    (!address.is_null()).then_some(address as usize)
}

impl JitModule {
    /// Places `functions` in executable memory and resolves every relocation.
    pub fn new(functions: &[JitFunction<'_>]) -> Result<JitModule, JitError> {
        JitModule::with_data(functions, &[])
    }

    /// Places `functions` and the data objects `data` (read-only ones on read-only pages,
    /// writable ones on writable pages, all in one mapping so that code reaches data with 32-bit
    /// PC-relative references) and resolves every relocation of both.
    pub fn with_data(
        functions: &[JitFunction<'_>],
        data: &[JitData<'_>],
    ) -> Result<JitModule, JitError> {
        let names: Vec<&str> = functions
            .iter()
            .map(|f| f.name)
            .chain(data.iter().map(|d| d.name))
            .collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(JitError::DuplicateFunction(name.to_string()));
            }
        }
        if let Some(d) = data.iter().find(|d| !d.align.is_power_of_two()) {
            return Err(JitError::BadAlignment {
                data: d.name.to_string(),
                align: d.align,
            });
        }
        let page = page_size();

        // Every symbol referenced gets a stub (its GOT entry, and a far-call veneer for host
        // symbols). Host symbols are resolved now, so an unresolved name is reported before any
        // memory is mapped.
        let mut targets: Vec<Target> = Vec::new();
        let references = functions
            .iter()
            .flat_map(|f| {
                f.code
                    .relocs
                    .iter()
                    .map(move |r| (f.name, symbol_name(f, r.symbol.0)))
            })
            .chain(data.iter().flat_map(|d| {
                d.relocs
                    .iter()
                    .map(move |r| (d.name, Ok(r.symbol.as_str())))
            }));
        for (from, name) in references {
            let name = name?;
            if targets.iter().any(|t| t.name == name) {
                continue;
            }
            let place = match names.iter().position(|n| *n == name) {
                Some(i) => TargetPlace::Item(i),
                None => TargetPlace::Host(resolve_host_symbol(name).ok_or_else(|| {
                    JitError::UnresolvedSymbol {
                        from: from.to_string(),
                        symbol: name.to_string(),
                    }
                })?),
            };
            targets.push(Target {
                name: name.to_string(),
                place,
                stub_offset: 0,
            });
        }

        // Layout: code, stubs | read-only data | writable data, each part on its own pages.
        let mut offsets = Vec::with_capacity(names.len());
        let mut end = 0usize;
        for f in functions {
            end = end.next_multiple_of(FUNCTION_ALIGN);
            offsets.push(end);
            end += f.code.bytes.len();
        }
        let stubs_start = end.next_multiple_of(FUNCTION_ALIGN);
        for (i, t) in targets.iter_mut().enumerate() {
            t.stub_offset = stubs_start + i * STUB_SIZE;
        }
        let code_size = (stubs_start + targets.len() * STUB_SIZE)
            .max(1)
            .next_multiple_of(page);
        let mut data_offsets = vec![0; data.len()];
        let mut end = code_size;
        for writable in [false, true] {
            if writable {
                end = end.next_multiple_of(page);
            }
            for (i, d) in data
                .iter()
                .enumerate()
                .filter(|(_, d)| d.writable == writable)
            {
                end = end.next_multiple_of(d.align as usize);
                data_offsets[i] = end;
                end += d.bytes.len();
            }
        }
        let read_only_end = data
            .iter()
            .zip(&data_offsets)
            .filter(|(d, _)| !d.writable)
            .map(|(d, &o)| o + d.bytes.len())
            .max()
            .unwrap_or(code_size);
        let writable_start = read_only_end.next_multiple_of(page);
        offsets.extend(&data_offsets);
        let size = end.next_multiple_of(page).max(code_size);

        // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
        let raw = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if raw == libc::MAP_FAILED {
            return Err(JitError::Memory(format!(
                "mmap of {size} bytes failed: {}",
                std::io::Error::last_os_error()
            )));
        }
        let base = raw as usize;
        let sites = (functions.iter().zip(&offsets))
            .map(|(f, &start)| exceptions::FunctionSites {
                start: base + start,
                sites: f.code.exception_sites.clone(),
            })
            .collect();
        let module = JitModule {
            exception_tables: exceptions::register(base..base + code_size, sites),
            base: NonNull::new(raw.cast::<u8>()).expect("mmap returned null"),
            size,
            code_size,
            functions: functions
                .iter()
                .zip(&offsets)
                .map(|(f, &start)| {
                    let mut traps: Vec<(u32, TrapCode)> =
                        f.code.traps.iter().map(|t| (t.offset, t.code)).collect();
                    traps.sort_by_key(|t| t.0);
                    Placed {
                        name: f.name.to_string(),
                        start,
                        code_len: f.code.code_len as usize,
                        traps,
                    }
                })
                .collect(),
            data: data
                .iter()
                .zip(&data_offsets)
                .map(|(d, &o)| (d.name.to_string(), o))
                .collect(),
        };
        // SAFETY: the mapping is `size` bytes, writable, and owned by `module` alone.
        let memory = unsafe { std::slice::from_raw_parts_mut(raw.cast::<u8>(), size) };
        for (f, &start) in functions.iter().zip(&offsets) {
            memory[start..start + f.code.bytes.len()].copy_from_slice(&f.code.bytes);
        }
        for (d, &start) in data.iter().zip(&data_offsets) {
            memory[start..start + d.bytes.len()].copy_from_slice(d.bytes);
        }
        let address = |t: &Target| match t.place {
            TargetPlace::Item(i) => base + offsets[i],
            TargetPlace::Host(address) => address,
        };
        let target_of = |name: &str| {
            targets
                .iter()
                .find(|t| t.name == name)
                .expect("every referenced symbol has a target")
        };
        for t in &targets {
            let stub = &mut memory[t.stub_offset..t.stub_offset + STUB_SIZE];
            stub[..6].copy_from_slice(&STUB_JMP);
            stub[6..14].copy_from_slice(&(address(t) as u64).to_le_bytes());
        }
        for (f, &start) in functions.iter().zip(&offsets) {
            for reloc in &f.code.relocs {
                let name = symbol_name(f, reloc.symbol.0)?;
                if reloc.kind == RelocKind::ElfTlsGd4 {
                    return Err(JitError::Unsupported(format!(
                        "{}: thread-local variable `{name}` (tls_value) in the JIT",
                        f.name
                    )));
                }
                let width = if reloc.kind == RelocKind::Abs8 { 8 } else { 4 };
                let field = reloc.offset as usize;
                if field + width > f.code.bytes.len() {
                    return Err(JitError::BadRelocation {
                        from: f.name.to_string(),
                        offset: reloc.offset,
                    });
                }
                let place = (base + start + field) as i64;
                let t = target_of(name);
                let stub = (base + t.stub_offset) as i64;
                let bytes = &mut memory[start + field..start + field + width];
                let target = match reloc.kind {
                    RelocKind::GotPcRel4 => stub + 6,
                    _ => address(t) as i64,
                };
                let value = target.wrapping_add(reloc.addend);
                if reloc.kind == RelocKind::Abs8 {
                    bytes.copy_from_slice(&value.to_le_bytes());
                    continue;
                }
                let mut rel = value.wrapping_sub(place);
                let via_stub = reloc.kind == RelocKind::CallPlt4
                    || matches!(
                        (reloc.kind, t.place),
                        (RelocKind::PcRel4, TargetPlace::Host(_))
                    );
                if i32::try_from(rel).is_err() && via_stub {
                    rel = stub.wrapping_add(reloc.addend).wrapping_sub(place);
                }
                let rel = i32::try_from(rel).map_err(|_| JitError::OutOfRange {
                    function: f.name.to_string(),
                    symbol: name.to_string(),
                })?;
                bytes.copy_from_slice(&rel.to_le_bytes());
            }
        }
        for (d, &start) in data.iter().zip(&data_offsets) {
            for reloc in d.relocs {
                let field = reloc.offset as usize;
                if field + 8 > d.bytes.len() {
                    return Err(JitError::BadRelocation {
                        from: d.name.to_string(),
                        offset: reloc.offset,
                    });
                }
                let value = (address(target_of(&reloc.symbol)) as i64).wrapping_add(reloc.addend);
                memory[start + field..start + field + 8].copy_from_slice(&value.to_le_bytes());
            }
        }
        let protect = |from: usize, to: usize, prot: libc::c_int| {
            if from >= to {
                return Ok(());
            }
            // SAFETY: the range lies inside our mapping and is page-aligned.
            let rc = unsafe { libc::mprotect((base + from) as *mut libc::c_void, to - from, prot) };
            if rc == 0 {
                Ok(())
            } else {
                Err(JitError::Memory(format!(
                    "mprotect failed: {}",
                    std::io::Error::last_os_error()
                )))
            }
        };
        protect(0, code_size, libc::PROT_READ | libc::PROT_EXEC)?;
        protect(code_size, writable_start.min(size), libc::PROT_READ)?;
        Ok(module)
    }

    /// The address of the function or data object `name`.
    pub fn address_of(&self, name: &str) -> Option<*const u8> {
        let start = match self.functions.iter().find(|f| f.name == name) {
            Some(f) => f.start,
            None => self.data.iter().find(|(n, _)| n == name)?.1,
        };
        // SAFETY: `start` lies inside the mapping.
        Some(unsafe { self.base.as_ptr().add(start) }.cast_const())
    }

    /// The addresses the module's code covers (functions and stubs).
    pub fn code_range(&self) -> std::ops::Range<usize> {
        let base = self.base.as_ptr() as usize;
        base..base + self.code_size
    }

    /// If `pc` is an instruction of this module: the function, the offset in it, and the trap
    /// code recorded there (if any).
    pub fn locate(&self, pc: usize) -> Option<CodeLocation<'_>> {
        let base = self.base.as_ptr() as usize;
        let offset = pc.checked_sub(base)?;
        let f = self
            .functions
            .iter()
            .find(|f| (f.start..f.start + f.code_len).contains(&offset))?;
        let in_function = (offset - f.start) as u32;
        let trap = f
            .traps
            .binary_search_by_key(&in_function, |t| t.0)
            .ok()
            .map(|i| f.traps[i].1);
        Some(CodeLocation {
            function: &f.name,
            offset: in_function,
            trap,
        })
    }
}

/// A place in a module's code, found by [`JitModule::locate`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CodeLocation<'a> {
    pub function: &'a str,
    pub offset: u32,
    pub trap: Option<TrapCode>,
}

/// The name a function defined as `name` has in a JIT module: `%f` is `f`, `u0:1` stays `u0:1`.
pub fn module_name(name: &ExternalName) -> String {
    match name {
        ExternalName::TestCase(n) => n.clone(),
        ExternalName::User { namespace, index } => format!("u{namespace}:{index}"),
    }
}

/// What each `SymbolId` of `code` names, for [`JitFunction::symbols`]: functions as
/// [`module_name`] spells them, libcalls by their names.
pub fn symbol_names(code: &CompiledCode) -> Vec<String> {
    code.symbols
        .iter()
        .map(|s| match s {
            SymbolName::External(name) => module_name(name),
            SymbolName::LibCall(name) => name.clone(),
        })
        .collect()
}

fn symbol_name<'a>(f: &JitFunction<'a>, id: u32) -> Result<&'a str, JitError> {
    f.symbols
        .get(id as usize)
        .map(String::as_str)
        .ok_or_else(|| JitError::UnknownSymbolId {
            function: f.name.to_string(),
            id,
        })
}

impl Drop for JitModule {
    fn drop(&mut self) {
        // No throw may find the code once it is gone.
        self.exception_tables = None;
        // SAFETY: the mapping was made by `new` with this size and is not used after drop.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.size);
        }
    }
}

impl fmt::Debug for JitModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JitModule")
            .field("base", &self.base)
            .field("size", &self.size)
            .field(
                "functions",
                &self.functions.iter().map(|f| &f.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}
