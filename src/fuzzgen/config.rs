//! The settings a generated module is compiled with: the `set` lines that change code
//! (frame pointers, stack probes, the ABI extensions, the register allocator, the pinned
//! register, PIC, optimisation level) and the CPU features of its `target` line, a random
//! subset of the host's so that the code runs here.
//!
//! Settings are module-wide, as in a CLIF file. Signatures are generated after the settings and
//! respect them: an `i128` under `windows_fastcall` only with the LLVM ABI extensions, more
//! results than return registers only with `enable_multi_ret_implicit_sret`.

use super::program::Config;
use crate::dsl::testkit::Rng;
use crate::isa::x64::cpuid::{Feature, TargetFeatures};
use crate::settings::Flags;

/// The features a target may ask for, each after the ones it needs (Cranelift's x64 settings
/// treat `has_ssse3` as needing `has_sse3`, and so on up to AVX).
const FEATURE_CHAIN: [(Feature, Option<Feature>); 16] = [
    (Feature::Sse3, None),
    (Feature::Ssse3, Some(Feature::Sse3)),
    (Feature::Sse41, Some(Feature::Ssse3)),
    (Feature::Sse42, Some(Feature::Sse41)),
    (Feature::Popcnt, Some(Feature::Sse42)),
    (Feature::Avx, Some(Feature::Sse42)),
    (Feature::Avx2, Some(Feature::Avx)),
    (Feature::Fma, Some(Feature::Avx)),
    (Feature::Bmi1, None),
    (Feature::Bmi2, Some(Feature::Bmi1)),
    (Feature::Lzcnt, None),
    // The EVEX forms: taken only where the host has them (the run tests need the CPU).
    (Feature::Avx512f, Some(Feature::Avx2)),
    (Feature::Avx512vl, Some(Feature::Avx512f)),
    (Feature::Avx512dq, Some(Feature::Avx512f)),
    (Feature::Avx512bitalg, Some(Feature::Avx512f)),
    (Feature::Avx512vbmi, Some(Feature::Avx512f)),
];

/// A random configuration (see the module documentation).
pub fn random_config(rng: &mut Rng) -> Config {
    let mut settings: Vec<(String, String)> = Vec::new();
    let mut set = |name: &str, value: &str| settings.push((name.to_string(), value.to_string()));
    let flag = |rng: &mut Rng, percent| if rng.chance(percent) { "true" } else { "false" };
    let level = *rng.pick(&["none", "none", "none", "speed", "speed_and_size"]);
    set("opt_level", level);
    set("preserve_frame_pointers", flag(rng, 30));
    if rng.chance(20) {
        set("enable_probestack", "true");
        let strategy = *rng.pick(&["inline", "outline"]);
        set("probestack_strategy", strategy);
        // Small guard sizes make every frame with a slot probe; 12 is the default page.
        let log2 = *rng.pick(&[5u8, 6, 8, 12]);
        set("probestack_size_log2", &log2.to_string());
    }
    set("enable_llvm_abi_extensions", flag(rng, 50));
    set("enable_multi_ret_implicit_sret", flag(rng, 50));
    set("enable_pinned_reg", flag(rng, 15));
    let algorithm = *rng.pick(&["backtracking", "backtracking", "single_pass"]);
    set("regalloc_algorithm", algorithm);
    set("is_pic", flag(rng, 20));
    Config {
        settings,
        features: random_features(rng),
    }
}

/// A subset of the host's features, closed under [`FEATURE_CHAIN`]: all of them a third of
/// the time, the SSE2 baseline a sixth, otherwise each kept with even odds.
fn random_features(rng: &mut Rng) -> TargetFeatures {
    let host = TargetFeatures::host();
    let mut out = TargetFeatures::default();
    let mode = rng.below(6);
    for &(f, needs) in &FEATURE_CHAIN {
        let wanted = match mode {
            0 | 1 => true,
            2 => false,
            _ => rng.chance(50),
        };
        if wanted && host.contains(f) && needs.is_none_or(|n| out.contains(n)) {
            out.insert(f);
        }
    }
    if host.contains(Feature::Cmpxchg16b) && mode != 2 {
        out.insert(Feature::Cmpxchg16b);
    }
    out
}

/// rulesel's flags for `config`, with regalloc2's checker on.
pub fn rulesel_flags(config: &Config) -> Result<Flags, String> {
    let mut flags = Flags::default();
    for (name, value) in &config.settings {
        flags
            .set(name, Some(value))
            .map_err(|e| format!("set {name}={value}: {e}"))?;
    }
    flags.regalloc_checker = true;
    Ok(flags)
}
