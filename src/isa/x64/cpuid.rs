//! The CPU features a `target x86_64 …` line asks for, and whether the host has them.
//!
//! A target line lists presets (`sse41`, `sse42`, `skylake`…) and flags (`has_avx`,
//! `has_bmi2=false`…), applied left to right, with Cranelift 0.135.8's names and presets (a
//! preset sets its features and leaves the others as they are).
//! [`TargetFeatures::from_target_flags`] turns them into a feature set;
//! [`TargetFeatures::missing_on_host`] names what this CPU lacks, found with
//! `is_x86_feature_detected!`. The run-test harness skips a target whose features are missing.

use std::fmt;

/// An x86-64 feature a target line can enable beyond the SSE2 baseline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Feature {
    Sse3,
    Ssse3,
    Sse41,
    Sse42,
    Popcnt,
    Avx,
    Avx2,
    Fma,
    Bmi1,
    Bmi2,
    Lzcnt,
    Cmpxchg16b,
    Avx512f,
    Avx512vl,
    Avx512dq,
    Avx512bitalg,
    Avx512vbmi,
    Avx512vnni,
    AvxVnni,
}

/// Every feature, with its `has_…` flag name.
const FEATURES: [(Feature, &str); 19] = [
    (Feature::Sse3, "has_sse3"),
    (Feature::Ssse3, "has_ssse3"),
    (Feature::Sse41, "has_sse41"),
    (Feature::Sse42, "has_sse42"),
    (Feature::Popcnt, "has_popcnt"),
    (Feature::Avx, "has_avx"),
    (Feature::Avx2, "has_avx2"),
    (Feature::Fma, "has_fma"),
    (Feature::Bmi1, "has_bmi1"),
    (Feature::Bmi2, "has_bmi2"),
    (Feature::Lzcnt, "has_lzcnt"),
    (Feature::Cmpxchg16b, "has_cmpxchg16b"),
    (Feature::Avx512f, "has_avx512f"),
    (Feature::Avx512vl, "has_avx512vl"),
    (Feature::Avx512dq, "has_avx512dq"),
    (Feature::Avx512bitalg, "has_avx512bitalg"),
    (Feature::Avx512vbmi, "has_avx512vbmi"),
    (Feature::Avx512vnni, "has_avx512vnni"),
    (Feature::AvxVnni, "has_avx_vnni"),
];

impl Feature {
    /// The `has_…` flag that names this feature.
    pub fn flag_name(self) -> &'static str {
        FEATURES
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, n)| n)
    }

    /// Does the host CPU have it?
    pub fn on_host(self) -> bool {
        match self {
            Feature::Sse3 => is_x86_feature_detected!("sse3"),
            Feature::Ssse3 => is_x86_feature_detected!("ssse3"),
            Feature::Sse41 => is_x86_feature_detected!("sse4.1"),
            Feature::Sse42 => is_x86_feature_detected!("sse4.2"),
            Feature::Popcnt => is_x86_feature_detected!("popcnt"),
            Feature::Avx => is_x86_feature_detected!("avx"),
            Feature::Avx2 => is_x86_feature_detected!("avx2"),
            Feature::Fma => is_x86_feature_detected!("fma"),
            Feature::Bmi1 => is_x86_feature_detected!("bmi1"),
            Feature::Bmi2 => is_x86_feature_detected!("bmi2"),
            Feature::Lzcnt => is_x86_feature_detected!("lzcnt"),
            Feature::Cmpxchg16b => is_x86_feature_detected!("cmpxchg16b"),
            Feature::Avx512f => is_x86_feature_detected!("avx512f"),
            Feature::Avx512vl => is_x86_feature_detected!("avx512vl"),
            Feature::Avx512dq => is_x86_feature_detected!("avx512dq"),
            Feature::Avx512bitalg => is_x86_feature_detected!("avx512bitalg"),
            Feature::Avx512vbmi => is_x86_feature_detected!("avx512vbmi"),
            Feature::Avx512vnni => is_x86_feature_detected!("avx512vnni"),
            Feature::AvxVnni => is_x86_feature_detected!("avxvnni"),
        }
    }
}

/// Cranelift's presets: name, the presets it includes, the features it adds.
const PRESETS: &[(&str, &[&str], &[Feature])] = {
    use Feature::*;
    &[
        ("sse3", &[], &[Sse3]),
        ("ssse3", &["sse3"], &[Ssse3]),
        ("sse41", &["ssse3"], &[Sse41]),
        ("sse42", &["sse41"], &[Sse42]),
        ("baseline", &[], &[]),
        ("nocona", &["sse3"], &[Cmpxchg16b]),
        ("core2", &["sse3"], &[Cmpxchg16b]),
        ("penryn", &["sse41"], &[Cmpxchg16b]),
        ("atom", &["ssse3"], &[Cmpxchg16b]),
        ("bonnell", &["atom"], &[]),
        ("silvermont", &["atom", "sse42"], &[Popcnt]),
        ("slm", &["silvermont"], &[]),
        ("goldmont", &["silvermont"], &[]),
        ("goldmont-plus", &["goldmont"], &[]),
        ("tremont", &["goldmont"], &[]),
        (
            "alderlake",
            &["tremont"],
            &[Bmi1, Bmi2, Lzcnt, Fma, AvxVnni],
        ),
        ("sierraforest", &["alderlake"], &[]),
        ("grandridge", &["sierraforest"], &[]),
        ("nehalem", &["sse42"], &[Popcnt, Cmpxchg16b]),
        ("corei7", &["nehalem"], &[]),
        ("westmere", &["nehalem"], &[]),
        ("sandybridge", &["westmere"], &[Avx]),
        ("corei7-avx", &["sandybridge"], &[]),
        ("ivybridge", &["sandybridge"], &[]),
        ("core-avx-i", &["ivybridge"], &[]),
        ("haswell", &["ivybridge"], &[Avx2, Bmi1, Bmi2, Fma, Lzcnt]),
        ("core-avx2", &["haswell"], &[]),
        ("broadwell", &["haswell"], &[]),
        ("skylake", &["broadwell"], &[]),
        (
            "knl",
            &[],
            &[Popcnt, Avx512f, Fma, Bmi1, Bmi2, Lzcnt, Cmpxchg16b],
        ),
        ("knm", &["knl"], &[]),
        (
            "skylake-avx512",
            &["broadwell"],
            &[Avx512f, Avx512dq, Avx512vl],
        ),
        ("skx", &["skylake-avx512"], &[]),
        ("cascadelake", &["skylake-avx512"], &[Avx512vnni]),
        ("cooperlake", &["cascadelake"], &[]),
        (
            "cannonlake",
            &["skylake"],
            &[Avx512f, Avx512dq, Avx512vl, Avx512vbmi],
        ),
        (
            "icelake-client",
            &["cannonlake"],
            &[Avx512bitalg, Avx512vnni],
        ),
        ("icelake", &["icelake-client"], &[]),
        ("icelake-server", &["icelake-client"], &[]),
        ("tigerlake", &["icelake-client"], &[]),
        ("sapphirerapids", &["icelake-server"], &[]),
        ("raptorlake", &["alderlake"], &[]),
        ("meteorlake", &["alderlake"], &[]),
        ("graniterapids", &["sapphirerapids"], &[]),
        ("opteron", &[], &[]),
        ("k8", &[], &[]),
        ("athlon64", &[], &[]),
        ("athlon-fx", &[], &[]),
        ("opteron-sse3", &["sse3"], &[Cmpxchg16b]),
        ("k8-sse3", &["sse3"], &[Cmpxchg16b]),
        ("athlon64-sse3", &["sse3"], &[Cmpxchg16b]),
        ("barcelona", &[], &[Popcnt, Lzcnt, Cmpxchg16b]),
        ("amdfam10", &["barcelona"], &[]),
        ("btver1", &["ssse3"], &[Lzcnt, Popcnt, Cmpxchg16b]),
        ("btver2", &["btver1"], &[Avx, Bmi1]),
        ("bdver1", &["ssse3"], &[Lzcnt, Popcnt, Cmpxchg16b]),
        ("bdver2", &["bdver1"], &[Bmi1]),
        ("bdver3", &["bdver2"], &[]),
        ("bdver4", &["bdver3"], &[Avx2, Bmi2]),
        (
            "znver1",
            &["sse42"],
            &[Popcnt, Bmi1, Bmi2, Lzcnt, Fma, Cmpxchg16b],
        ),
        ("znver2", &["znver1"], &[]),
        ("znver3", &["znver2"], &[]),
        (
            "znver4",
            &["znver3"],
            &[Avx512bitalg, Avx512dq, Avx512f, Avx512vbmi, Avx512vl],
        ),
        ("x86-64", &[], &[]),
        ("x86-64-v2", &["sse42"], &[Popcnt, Cmpxchg16b]),
        ("x86-64-v3", &["x86-64-v2"], &[Bmi1, Bmi2, Fma, Lzcnt, Avx2]),
        ("x86-64-v4", &["x86-64-v3"], &[Avx512dq, Avx512vl]),
    ]
};

/// Adds the features of preset `name` (and of the presets it includes) to `set`; false if
/// there is no such preset.
fn apply_preset(name: &str, set: &mut TargetFeatures) -> bool {
    let Some((_, includes, features)) = PRESETS.iter().find(|(n, _, _)| *n == name) else {
        return false;
    };
    for inner in includes.iter() {
        apply_preset(inner, set);
    }
    features.iter().for_each(|&f| set.insert(f));
    true
}

/// Every preset name, in Cranelift's order.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(n, _, _)| *n)
}

/// A set of target features.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct TargetFeatures {
    bits: u32,
}

/// A word of a target line that names no known preset or flag, or a bad flag value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UnknownTargetFlag(pub String);

impl fmt::Display for UnknownTargetFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown x86_64 target flag `{}`", self.0)
    }
}

impl std::error::Error for UnknownTargetFlag {}

impl TargetFeatures {
    /// The features after applying `flags` (the words after `target x86_64`) left to right.
    pub fn from_target_flags<S: AsRef<str>>(flags: &[S]) -> Result<Self, UnknownTargetFlag> {
        let mut set = TargetFeatures::default();
        for word in flags {
            let word = word.as_ref();
            if apply_preset(word, &mut set) {
                continue;
            }
            let (name, value) = match word.split_once('=') {
                Some((n, v)) => (n, v),
                None => (word, "true"),
            };
            let feature = FEATURES
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(f, _)| *f)
                .ok_or_else(|| UnknownTargetFlag(word.to_string()))?;
            match value {
                "true" | "on" | "yes" | "1" => set.insert(feature),
                "false" | "off" | "no" | "0" => set.remove(feature),
                _ => return Err(UnknownTargetFlag(word.to_string())),
            }
        }
        Ok(set)
    }

    pub fn contains(self, f: Feature) -> bool {
        self.bits & (1 << f as u32) != 0
    }

    pub fn insert(&mut self, f: Feature) {
        self.bits |= 1 << f as u32;
    }

    pub fn remove(&mut self, f: Feature) {
        self.bits &= !(1 << f as u32);
    }

    /// The features in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = Feature> {
        FEATURES
            .iter()
            .map(|(f, _)| *f)
            .filter(move |&f| self.contains(f))
    }

    /// The features of the set the host CPU lacks.
    pub fn missing_on_host(self) -> Vec<Feature> {
        self.iter().filter(|f| !f.on_host()).collect()
    }

    /// Every feature the host CPU has.
    pub fn host() -> Self {
        let mut set = TargetFeatures::default();
        FEATURES
            .iter()
            .filter(|(f, _)| f.on_host())
            .for_each(|(f, _)| set.insert(*f));
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_flags_apply_in_order() {
        let set =
            TargetFeatures::from_target_flags(&["sse41", "has_ssse3=false", "has_avx"]).unwrap();
        assert!(set.contains(Feature::Sse41));
        assert!(!set.contains(Feature::Ssse3));
        assert!(set.contains(Feature::Avx));
        assert!(!set.contains(Feature::Fma));
        let skylake = TargetFeatures::from_target_flags(&["skylake"]).unwrap();
        assert!(skylake.contains(Feature::Bmi2) && skylake.contains(Feature::Lzcnt));
        assert!(skylake.contains(Feature::Avx) && skylake.contains(Feature::Popcnt));
        // As in Cranelift, x86-64-v3 does not set has_avx, and sse42 not has_popcnt.
        let v3 = TargetFeatures::from_target_flags(&["x86-64-v3"]).unwrap();
        assert!(v3.contains(Feature::Avx2) && !v3.contains(Feature::Avx));
        let sse42 = TargetFeatures::from_target_flags(&["sse42"]).unwrap();
        assert!(sse42.contains(Feature::Sse3) && !sse42.contains(Feature::Popcnt));
        assert!(TargetFeatures::from_target_flags(&["has_f16c"]).is_err());
        for name in preset_names() {
            assert!(TargetFeatures::from_target_flags(&[name]).is_ok(), "{name}");
        }
        assert_eq!(
            TargetFeatures::from_target_flags(&["has_warp_drive"]),
            Err(UnknownTargetFlag("has_warp_drive".into()))
        );
        assert!(TargetFeatures::from_target_flags(&["has_avx=maybe"]).is_err());
    }

    #[test]
    fn host_features_are_consistent() {
        let host = TargetFeatures::host();
        assert!(host.missing_on_host().is_empty());
        assert_eq!(host.contains(Feature::Avx), is_x86_feature_detected!("avx"));
        assert_eq!(Feature::Bmi2.flag_name(), "has_bmi2");
    }
}
