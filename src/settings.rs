//! The shared code-generation flags that CLIF files set with `set name[=value]` lines, with
//! Cranelift's names, values and defaults.
//!
//! [`Flags::set`] takes one `(name, value)` pair as the text parser found it; a bare `set name`
//! passes `None`, which means `true` for a boolean flag and is an error for any other kind. The
//! parser attaches the file location to the returned [`SettingError`].
//!
//! Every flag Cranelift defines is accepted so that its test files parse. The ones x64 code
//! generation here does not read are listed in [`IGNORED_SETTINGS`], each with the reason it can be
//! ignored; a flag that is neither known nor listed there is an "unknown setting" error.

use crate::ir::CallConv;
use std::fmt;

/// How hard the optimiser works (`opt_level`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum OptLevel {
    #[default]
    None,
    Speed,
    SpeedAndSize,
}

/// How stack probes are emitted when `enable_probestack` is set (`probestack_strategy`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum ProbestackStrategy {
    /// A call to the probe function, with the frame size in rax.
    #[default]
    Outline,
    /// Probes emitted in the prologue: unrolled for small frames, a loop for large ones.
    Inline,
}

/// The register allocator `regalloc_algorithm` asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum RegallocAlgorithm {
    /// regalloc2's ion allocator.
    #[default]
    Backtracking,
    /// regalloc2's fastalloc.
    SinglePass,
}

/// The thread-local storage model (`tls_model`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum TlsModel {
    #[default]
    None,
    ElfGd,
    Macho,
    Coff,
}

/// How `stack_switch` switches stacks (`stack_switch_model`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum StackSwitchModel {
    /// `stack_switch` is refused.
    #[default]
    None,
    /// Save the registers, switch stack and frame pointers, jump.
    Basic,
    /// As `Basic`, and update the Windows thread information block's stack bounds.
    UpdateWindowsTib,
}

/// Which calling convention library calls use (`libcall_call_conv`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum LibcallCallConv {
    /// The target's default: System V on the x86-64 targets we support.
    #[default]
    IsaDefault,
    Named(CallConv),
}

/// The shared flags. `Default` gives Cranelift's defaults.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Flags {
    pub opt_level: OptLevel,
    /// Keep a frame pointer chain even in leaf functions that need no frame.
    pub preserve_frame_pointers: bool,
    /// Probe the stack page by page when a frame is at least one guard region large.
    pub enable_probestack: bool,
    pub probestack_strategy: ProbestackStrategy,
    /// log2 of the guard-region size that probes step by (12: 4 KiB pages).
    pub probestack_size_log2: u8,
    /// Follow LLVM where it goes beyond the written ABI: i128 and f128 under Windows x64, a
    /// third integer return register under System V.
    pub enable_llvm_abi_extensions: bool,
    /// Return results that do not fit in registers through a hidden return-area pointer instead
    /// of rejecting the signature.
    pub enable_multi_ret_implicit_sret: bool,
    /// Reserve r15 as the pinned register (`get_pinned_reg` / `set_pinned_reg`).
    pub enable_pinned_reg: bool,
    /// Produce unwind information.
    pub unwind_info: bool,
    pub enable_verifier: bool,
    /// Replace NaN results of float arithmetic by the canonical NaN.
    pub enable_nan_canonicalization: bool,
    pub enable_alias_analysis: bool,
    pub enable_heap_access_spectre_mitigation: bool,
    pub enable_table_access_spectre_mitigation: bool,
    /// Position-independent code: symbols through the GOT.
    pub is_pic: bool,
    /// Library calls may use a near (rel32) call.
    pub use_colocated_libcalls: bool,
    pub tls_model: TlsModel,
    pub stack_switch_model: StackSwitchModel,
    pub libcall_call_conv: LibcallCallConv,
    pub regalloc_algorithm: RegallocAlgorithm,
    /// Run regalloc2's checker on every allocation.
    pub regalloc_checker: bool,
    /// Have regalloc2 log its input and result at `info` level through the `log` crate
    /// (every block, instruction, operand and allocation, and the moves it inserted).
    pub regalloc_verbose_logs: bool,
    /// log2 of the minimum function alignment in bytes.
    pub log2_min_function_alignment: u8,
    /// Pad every basic block to `2^(n+1)` bytes when nonzero (a testing aid).
    pub bb_padding_log2_minus_one: u8,
}

impl Default for Flags {
    fn default() -> Flags {
        Flags {
            opt_level: OptLevel::None,
            preserve_frame_pointers: false,
            enable_probestack: false,
            probestack_strategy: ProbestackStrategy::Outline,
            probestack_size_log2: 12,
            enable_llvm_abi_extensions: false,
            enable_multi_ret_implicit_sret: false,
            enable_pinned_reg: false,
            unwind_info: true,
            enable_verifier: true,
            enable_nan_canonicalization: false,
            enable_alias_analysis: true,
            enable_heap_access_spectre_mitigation: true,
            enable_table_access_spectre_mitigation: true,
            is_pic: false,
            use_colocated_libcalls: false,
            tls_model: TlsModel::None,
            stack_switch_model: StackSwitchModel::None,
            libcall_call_conv: LibcallCallConv::IsaDefault,
            regalloc_algorithm: RegallocAlgorithm::Backtracking,
            regalloc_checker: false,
            regalloc_verbose_logs: false,
            log2_min_function_alignment: 0,
            bb_padding_log2_minus_one: 0,
        }
    }
}

/// Real Cranelift 0.135.8 boolean settings that are accepted and have no effect here, each with
/// why. Every name Cranelift does not have is an "unknown setting" error, as it is there.
pub const IGNORED_SETTINGS: [(&str, &str); 3] = [
    (
        "machine_code_cfg_info",
        "only asks for extra block metadata in the output",
    ),
    (
        "enable_incremental_compilation_cache_checks",
        "there is no incremental compilation cache",
    ),
    (
        "enable_compact_unwind_abi",
        "Mach-O compact unwind only; rulesel writes ELF",
    ),
];

/// A `set` line that cannot be applied.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SettingError {
    /// No such setting.
    Unknown { name: String },
    /// The setting exists but the value is not one it takes.
    BadValue {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingError::Unknown { name } => write!(f, "unknown setting `{name}`"),
            SettingError::BadValue {
                name,
                value,
                expected,
            } => write!(f, "bad value for {name}: `{value}` (expected {expected})"),
        }
    }
}

impl std::error::Error for SettingError {}

const BOOL_VALUES: &str = "true or false";

fn parse_bool(name: &'static str, value: Option<&str>) -> Result<bool, SettingError> {
    match value {
        None | Some("true") | Some("on") | Some("yes") | Some("1") => Ok(true),
        Some("false") | Some("off") | Some("no") | Some("0") => Ok(false),
        Some(other) => Err(bad_value(name, Some(other), BOOL_VALUES)),
    }
}

fn bad_value(name: &'static str, value: Option<&str>, expected: &'static str) -> SettingError {
    SettingError::BadValue {
        name,
        value: value.unwrap_or("").to_string(),
        expected,
    }
}

/// Parses the value of a numeric setting that must lie in `range`.
fn parse_num(
    name: &'static str,
    value: Option<&str>,
    range: std::ops::RangeInclusive<u8>,
    expected: &'static str,
) -> Result<u8, SettingError> {
    value
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|n| range.contains(n))
        .ok_or_else(|| bad_value(name, value, expected))
}

/// Parses the value of an enumerated setting from its `(spelling, value)` table.
fn parse_enum<T: Copy>(
    name: &'static str,
    value: Option<&str>,
    table: &[(&str, T)],
    expected: &'static str,
) -> Result<T, SettingError> {
    table
        .iter()
        .find(|(spelling, _)| Some(*spelling) == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| bad_value(name, value, expected))
}

impl Flags {
    /// Applies one `set name[=value]` line. On error the flags are unchanged.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), SettingError> {
        match name {
            "opt_level" => {
                self.opt_level = parse_enum(
                    "opt_level",
                    value,
                    &[
                        ("none", OptLevel::None),
                        ("speed", OptLevel::Speed),
                        ("speed_and_size", OptLevel::SpeedAndSize),
                    ],
                    "none, speed or speed_and_size",
                )?
            }
            "probestack_strategy" => {
                self.probestack_strategy = parse_enum(
                    "probestack_strategy",
                    value,
                    &[
                        ("outline", ProbestackStrategy::Outline),
                        ("inline", ProbestackStrategy::Inline),
                    ],
                    "outline or inline",
                )?
            }
            // Below 16 bytes a probe step is smaller than one probe store; above 2^30 the step
            // no longer fits the signed 32-bit displacements the probes use.
            "probestack_size_log2" => {
                self.probestack_size_log2 = parse_num(
                    "probestack_size_log2",
                    value,
                    4..=30,
                    "an integer from 4 to 30",
                )?
            }
            "regalloc_algorithm" => {
                self.regalloc_algorithm = parse_enum(
                    "regalloc_algorithm",
                    value,
                    &[
                        ("backtracking", RegallocAlgorithm::Backtracking),
                        ("single_pass", RegallocAlgorithm::SinglePass),
                    ],
                    "backtracking or single_pass",
                )?
            }
            "tls_model" => {
                self.tls_model = parse_enum(
                    "tls_model",
                    value,
                    &[
                        ("none", TlsModel::None),
                        ("elf_gd", TlsModel::ElfGd),
                        ("macho", TlsModel::Macho),
                        ("coff", TlsModel::Coff),
                    ],
                    "none, elf_gd, macho or coff",
                )?
            }
            "libcall_call_conv" => {
                self.libcall_call_conv = match value {
                    Some("isa_default") => LibcallCallConv::IsaDefault,
                    // Cranelift's choices: every convention but `tail` and `winch`.
                    _ => value
                        .and_then(CallConv::parse)
                        .filter(|cc| !matches!(cc, CallConv::Tail | CallConv::Winch))
                        .map(LibcallCallConv::Named)
                        .ok_or_else(|| {
                            bad_value(
                                "libcall_call_conv",
                                value,
                                "isa_default, fast, system_v, windows_fastcall, apple_aarch64, probestack or preserve_all",
                            )
                        })?,
                }
            }
            "stack_switch_model" => {
                self.stack_switch_model = parse_enum(
                    "stack_switch_model",
                    value,
                    &[
                        ("none", StackSwitchModel::None),
                        ("basic", StackSwitchModel::Basic),
                        ("update_windows_tib", StackSwitchModel::UpdateWindowsTib),
                    ],
                    "none, basic or update_windows_tib",
                )?
            }
            "log2_min_function_alignment" => {
                self.log2_min_function_alignment = parse_num(
                    "log2_min_function_alignment",
                    value,
                    0..=12,
                    "an integer from 0 to 12",
                )?
            }
            "bb_padding_log2_minus_one" => {
                self.bb_padding_log2_minus_one = parse_num(
                    "bb_padding_log2_minus_one",
                    value,
                    0..=31,
                    "an integer from 0 to 31",
                )?
            }
            _ => return self.set_bool(name, value),
        }
        Ok(())
    }

    fn set_bool(&mut self, name: &str, value: Option<&str>) -> Result<(), SettingError> {
        let flag: (&'static str, &mut bool) = match name {
            "preserve_frame_pointers" => {
                ("preserve_frame_pointers", &mut self.preserve_frame_pointers)
            }
            "enable_probestack" => ("enable_probestack", &mut self.enable_probestack),
            "enable_llvm_abi_extensions" => (
                "enable_llvm_abi_extensions",
                &mut self.enable_llvm_abi_extensions,
            ),
            "enable_multi_ret_implicit_sret" => (
                "enable_multi_ret_implicit_sret",
                &mut self.enable_multi_ret_implicit_sret,
            ),
            "enable_pinned_reg" => ("enable_pinned_reg", &mut self.enable_pinned_reg),
            "unwind_info" => ("unwind_info", &mut self.unwind_info),
            "enable_verifier" => ("enable_verifier", &mut self.enable_verifier),
            "enable_nan_canonicalization" => (
                "enable_nan_canonicalization",
                &mut self.enable_nan_canonicalization,
            ),
            "enable_alias_analysis" => ("enable_alias_analysis", &mut self.enable_alias_analysis),
            "enable_heap_access_spectre_mitigation" => (
                "enable_heap_access_spectre_mitigation",
                &mut self.enable_heap_access_spectre_mitigation,
            ),
            "enable_table_access_spectre_mitigation" => (
                "enable_table_access_spectre_mitigation",
                &mut self.enable_table_access_spectre_mitigation,
            ),
            "is_pic" => ("is_pic", &mut self.is_pic),
            "use_colocated_libcalls" => {
                ("use_colocated_libcalls", &mut self.use_colocated_libcalls)
            }
            "regalloc_checker" => ("regalloc_checker", &mut self.regalloc_checker),
            "regalloc_verbose_logs" => ("regalloc_verbose_logs", &mut self.regalloc_verbose_logs),
            _ => {
                return match IGNORED_SETTINGS.iter().find(|(n, _)| *n == name) {
                    Some(_) => Ok(()),
                    None => Err(SettingError::Unknown {
                        name: name.to_string(),
                    }),
                }
            }
        };
        *flag.1 = parse_bool(flag.0, value)?;
        Ok(())
    }

    /// Every setting with its current value, spelled as a `set` line takes it.
    pub fn values(&self) -> Vec<(&'static str, String)> {
        let opt_level = match self.opt_level {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speed_and_size",
        };
        let strategy = match self.probestack_strategy {
            ProbestackStrategy::Outline => "outline",
            ProbestackStrategy::Inline => "inline",
        };
        let tls = match self.tls_model {
            TlsModel::None => "none",
            TlsModel::ElfGd => "elf_gd",
            TlsModel::Macho => "macho",
            TlsModel::Coff => "coff",
        };
        let stack_switch = match self.stack_switch_model {
            StackSwitchModel::None => "none",
            StackSwitchModel::Basic => "basic",
            StackSwitchModel::UpdateWindowsTib => "update_windows_tib",
        };
        let libcall = match self.libcall_call_conv {
            LibcallCallConv::IsaDefault => "isa_default",
            LibcallCallConv::Named(cc) => cc.name(),
        };
        let regalloc = match self.regalloc_algorithm {
            RegallocAlgorithm::Backtracking => "backtracking",
            RegallocAlgorithm::SinglePass => "single_pass",
        };
        let mut out: Vec<(&'static str, String)> = vec![
            ("opt_level", opt_level.into()),
            ("probestack_strategy", strategy.into()),
            (
                "probestack_size_log2",
                self.probestack_size_log2.to_string(),
            ),
            ("regalloc_algorithm", regalloc.into()),
            ("tls_model", tls.into()),
            ("stack_switch_model", stack_switch.into()),
            ("libcall_call_conv", libcall.into()),
            (
                "log2_min_function_alignment",
                self.log2_min_function_alignment.to_string(),
            ),
            (
                "bb_padding_log2_minus_one",
                self.bb_padding_log2_minus_one.to_string(),
            ),
        ];
        for (name, value) in [
            ("preserve_frame_pointers", self.preserve_frame_pointers),
            ("enable_probestack", self.enable_probestack),
            (
                "enable_llvm_abi_extensions",
                self.enable_llvm_abi_extensions,
            ),
            (
                "enable_multi_ret_implicit_sret",
                self.enable_multi_ret_implicit_sret,
            ),
            ("enable_pinned_reg", self.enable_pinned_reg),
            ("unwind_info", self.unwind_info),
            ("enable_verifier", self.enable_verifier),
            (
                "enable_nan_canonicalization",
                self.enable_nan_canonicalization,
            ),
            ("enable_alias_analysis", self.enable_alias_analysis),
            (
                "enable_heap_access_spectre_mitigation",
                self.enable_heap_access_spectre_mitigation,
            ),
            (
                "enable_table_access_spectre_mitigation",
                self.enable_table_access_spectre_mitigation,
            ),
            ("is_pic", self.is_pic),
            ("use_colocated_libcalls", self.use_colocated_libcalls),
            ("regalloc_checker", self.regalloc_checker),
            ("regalloc_verbose_logs", self.regalloc_verbose_logs),
        ] {
            out.push((name, value.to_string()));
        }
        out
    }

    /// The settings whose value differs from the default, as `set` lines would restore them
    /// (for printing a file's flags back, and for reports).
    pub fn changed(&self) -> Vec<(&'static str, String)> {
        let defaults = Flags::default().values();
        self.values()
            .into_iter()
            .zip(defaults)
            .filter(|(mine, default)| mine != default)
            .map(|(mine, _)| mine)
            .collect()
    }

    /// The guard-region size stack probes step by, in bytes.
    pub fn probestack_size(&self) -> u32 {
        1 << self.probestack_size_log2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_cranelifts() {
        let f = Flags::default();
        assert_eq!(f.opt_level, OptLevel::None);
        assert!(!f.enable_probestack && !f.preserve_frame_pointers && !f.enable_pinned_reg);
        assert_eq!(f.probestack_strategy, ProbestackStrategy::Outline);
        assert_eq!(f.probestack_size(), 4096);
        assert!(f.unwind_info && f.enable_verifier && f.enable_alias_analysis);
        assert!(!f.enable_llvm_abi_extensions && !f.enable_multi_ret_implicit_sret);
    }

    #[test]
    fn set_lines_from_runtests() {
        let mut f = Flags::default();
        for (name, value) in [
            ("enable_multi_ret_implicit_sret", None),
            ("enable_llvm_abi_extensions", Some("true")),
            ("opt_level", Some("speed_and_size")),
            ("preserve_frame_pointers", Some("true")),
            ("probestack_strategy", Some("inline")),
            ("enable_probestack", Some("true")),
            ("probestack_size_log2", Some("6")),
            ("enable_pinned_reg", None),
            ("bb_padding_log2_minus_one", Some("21")),
            ("libcall_call_conv", Some("windows_fastcall")),
            ("stack_switch_model", Some("basic")),
        ] {
            f.set(name, value).unwrap();
        }
        assert!(f.enable_multi_ret_implicit_sret && f.enable_llvm_abi_extensions);
        assert_eq!(f.opt_level, OptLevel::SpeedAndSize);
        assert_eq!(f.probestack_strategy, ProbestackStrategy::Inline);
        assert_eq!(f.probestack_size(), 64);
        assert!(f.enable_probestack && f.enable_pinned_reg && f.preserve_frame_pointers);
        assert_eq!(
            f.libcall_call_conv,
            LibcallCallConv::Named(CallConv::WindowsFastcall)
        );
        f.set("enable_probestack", Some("false")).unwrap();
        assert!(!f.enable_probestack);
    }

    #[test]
    fn changed_settings_round_trip_through_set() {
        let mut f = Flags::default();
        assert!(f.changed().is_empty());
        for (name, value) in [
            ("opt_level", "speed"),
            ("probestack_strategy", "inline"),
            ("probestack_size_log2", "16"),
            ("libcall_call_conv", "preserve_all"),
            ("unwind_info", "false"),
            ("enable_pinned_reg", "true"),
            ("tls_model", "elf_gd"),
            ("regalloc_algorithm", "single_pass"),
        ] {
            f.set(name, Some(value)).unwrap();
        }
        let changed = f.changed();
        assert_eq!(changed.len(), 8);
        let mut again = Flags::default();
        for (name, value) in &changed {
            again.set(name, Some(value)).unwrap();
        }
        assert_eq!(again, f);
        // Every setting `values` names is one `set` accepts.
        for (name, value) in Flags::default().values() {
            Flags::default().set(name, Some(&value)).unwrap();
        }
    }

    #[test]
    fn errors_name_the_setting_and_value() {
        let mut f = Flags::default();
        let err = |f: &mut Flags, n, v| f.set(n, v).unwrap_err().to_string();
        assert_eq!(
            err(&mut f, "no_such_flag", None),
            "unknown setting `no_such_flag`"
        );
        assert_eq!(
            err(&mut f, "probestack_size_log2", Some("99")),
            "bad value for probestack_size_log2: `99` (expected an integer from 4 to 30)"
        );
        assert_eq!(
            err(&mut f, "probestack_size_log2", None),
            "bad value for probestack_size_log2: `` (expected an integer from 4 to 30)"
        );
        assert_eq!(
            err(&mut f, "probestack_strategy", Some("sideways")),
            "bad value for probestack_strategy: `sideways` (expected outline or inline)"
        );
        assert_eq!(
            err(&mut f, "enable_verifier", Some("maybe")),
            "bad value for enable_verifier: `maybe` (expected true or false)"
        );
        assert_eq!(f, Flags::default(), "failed sets leave the flags unchanged");
    }
}
