//! The host functions JIT code may call by a Cranelift libcall name: float rounding and fused
//! multiply-add (used when the target lacks SSE4.1 or FMA), `pshufb`'s byte table lookup (used
//! when it lacks SSSE3), the memory functions, the outline stack probe, and the run tests' throw
//! hostcall (`__cranelift_throw`, see [`super::exceptions`]).
//!
//! Rounding follows IEEE 754 as Cranelift's libcalls do: `Nearest*` rounds half to even (Rust's
//! `round_ties_even`), and NaN inputs give a NaN.

use crate::isa::x64::abi::prologue::PROBESTACK_SYMBOL;
use std::arch::x86_64::__m128i;
use std::mem::transmute;

extern "C" fn ceil_f32(x: f32) -> f32 {
    x.ceil()
}
extern "C" fn ceil_f64(x: f64) -> f64 {
    x.ceil()
}
extern "C" fn floor_f32(x: f32) -> f32 {
    x.floor()
}
extern "C" fn floor_f64(x: f64) -> f64 {
    x.floor()
}
extern "C" fn trunc_f32(x: f32) -> f32 {
    x.trunc()
}
extern "C" fn trunc_f64(x: f64) -> f64 {
    x.trunc()
}
extern "C" fn nearest_f32(x: f32) -> f32 {
    x.round_ties_even()
}
extern "C" fn nearest_f64(x: f64) -> f64 {
    x.round_ties_even()
}
extern "C" fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
    a.mul_add(b, c)
}
extern "C" fn fma_f64(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

/// `pshufb` on a processor without it: byte `i` of the result is byte `mask[i] & 15` of `a`, or
/// zero when bit 7 of `mask[i]` is set. The vectors come and go in xmm0 and xmm1 (System V).
// `__m128i` has no C layout, but the System V ABI passes it in an XMM register, as JIT code does.
#[allow(improper_ctypes_definitions)]
extern "C" fn x86_pshufb(a: __m128i, mask: __m128i) -> __m128i {
    // SAFETY: both types are 16 plain bytes.
    let bytes = |v: __m128i| unsafe { transmute::<__m128i, [u8; 16]>(v) };
    let (a, mask) = (bytes(a), bytes(mask));
    let out = mask.map(|m| {
        if m & 0x80 != 0 {
            0
        } else {
            a[usize::from(m & 15)]
        }
    });
    // SAFETY: as above.
    unsafe { transmute::<[u8; 16], __m128i>(out) }
}

// The probe helper's contract (see the ABI layer's prologue): called with the frame size in rax,
// touches every page from the caller's rsp down to rsp - rax in order, top down, and preserves
// every register but the flags. Written in assembly because no Rust function can promise that.
std::arch::global_asm!(
    ".pushsection .text.rulesel_jit_probestack,\"ax\",@progbits",
    ".globl rulesel_jit_probestack",
    ".p2align 4",
    "rulesel_jit_probestack:",
    "push rcx",
    "push rdx",
    "lea rcx, [rsp + 24]",
    "mov rdx, rax",
    "2:",
    "cmp rdx, 4096",
    "jbe 3f",
    "sub rcx, 4096",
    "or dword ptr [rcx], 0",
    "sub rdx, 4096",
    "jmp 2b",
    "3:",
    "sub rcx, rdx",
    "or dword ptr [rcx], 0",
    "pop rdx",
    "pop rcx",
    "ret",
    ".popsection",
);

extern "C" {
    fn rulesel_jit_probestack();
}

/// The address of the libcall called `name` (Cranelift's `LibCall` names, e.g. `CeilF32`,
/// `Memcpy`, and the C names `memcpy`, `memset`, `memmove`, `memcmp`), if it is one.
pub fn address(name: &str) -> Option<usize> {
    let f1 = |f: extern "C" fn(f32) -> f32| f as usize;
    let d1 = |f: extern "C" fn(f64) -> f64| f as usize;
    Some(match name {
        "CeilF32" => f1(ceil_f32),
        "CeilF64" => d1(ceil_f64),
        "FloorF32" => f1(floor_f32),
        "FloorF64" => d1(floor_f64),
        "TruncF32" => f1(trunc_f32),
        "TruncF64" => d1(trunc_f64),
        "NearestF32" => f1(nearest_f32),
        "NearestF64" => d1(nearest_f64),
        "FmaF32" => fma_f32 as extern "C" fn(f32, f32, f32) -> f32 as usize,
        "FmaF64" => fma_f64 as extern "C" fn(f64, f64, f64) -> f64 as usize,
        "X86Pshufb" => x86_pshufb as extern "C" fn(__m128i, __m128i) -> __m128i as usize,
        "Memcpy" | "memcpy" => libc::memcpy as *const () as usize,
        "Memset" | "memset" => libc::memset as *const () as usize,
        "Memmove" | "memmove" => libc::memmove as *const () as usize,
        "Memcmp" | "memcmp" => libc::memcmp as *const () as usize,
        PROBESTACK_SYMBOL | "Probestack" => rulesel_jit_probestack as *const () as usize,
        "__cranelift_throw" => super::exceptions::throw_address(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_libcalls() {
        assert_eq!(nearest_f64(2.5), 2.0);
        assert_eq!(nearest_f32(-3.5), -4.0);
        assert!(ceil_f64(f64::NAN).is_nan());
        assert_eq!(trunc_f32(-1.75), -1.0);
        assert_eq!(fma_f64(2.0, 3.0, 1.0), 7.0);
        let vector = |b: [u8; 16]| unsafe { transmute::<[u8; 16], __m128i>(b) };
        let a = vector(std::array::from_fn(|i| i as u8 * 3));
        let mask = vector([15, 0, 0x80, 1, 0x8f, 16, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        let out = unsafe { transmute::<__m128i, [u8; 16]>(x86_pshufb(a, mask)) };
        assert_eq!(&out[..7], &[45, 0, 0, 3, 0, 0, 6]);
        assert!(address("FloorF64").is_some());
        assert!(address("__cranelift_probestack").is_some());
        assert_eq!(address("NoSuchCall"), None);
    }
}
