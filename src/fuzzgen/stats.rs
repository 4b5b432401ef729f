//! What a campaign generated, counted from the modules' CLIF as rulesel parses it (so the
//! counts are of what was compiled, not of what the generator meant to make): each (opcode,
//! controlling type), each calling convention and each pair of conventions a call crosses,
//! calls between the two compilers, signatures that put arguments or results in memory, and
//! each setting. The campaign adds how often each rule that folds a load fired
//! ([`Stats::folds`]). `rulesel fuzz --stats` prints [`Stats::table`]; a lowered pair at zero
//! ([`Stats::missing_pairs`]) is a gap of the generator.

use super::lowered::{lowered, ungenerated, UNGENERATED};
use super::program::{Compiler, Module, Ty};
use crate::ir::{self, CallConv, InstructionData as D, Type};
use crate::isa::x64::abi::args::{AbiLayout, ArgLoc, ArgSlot};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Counts over the modules of a campaign.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub modules: u64,
    pub functions: u64,
    /// (opcode, controlling type: `-` when not polymorphic) → instructions.
    pub pairs: BTreeMap<(String, String), u64>,
    /// Calling convention → functions.
    pub conventions: BTreeMap<String, u64>,
    /// (caller convention, callee convention, instruction) → calls.
    pub calls: BTreeMap<(String, String, String), u64>,
    /// (caller's compiler, callee's compiler) → direct calls.
    pub compilers: BTreeMap<(String, String), u64>,
    /// What signatures put in memory or widen: `i128 argument on the stack`, … → signatures.
    pub signatures: BTreeMap<String, u64>,
    /// `name=value` → modules.
    pub settings: BTreeMap<String, u64>,
    /// Target feature → modules.
    pub features: BTreeMap<String, u64>,
    /// Rule (`path:line`) that folds a load into its user → firings (filled by the campaign
    /// from the rule counters).
    pub folds: BTreeMap<String, u64>,
}

fn compiler_name(c: Compiler) -> &'static str {
    match c {
        Compiler::Rulesel => "rulesel",
        Compiler::Cranelift => "cranelift",
    }
}

impl Stats {
    /// Counts `module`.
    pub fn add_module(&mut self, module: &Module) {
        self.modules += 1;
        self.functions += module.funcs.len() as u64;
        for (name, value) in &module.config.settings {
            *self.settings.entry(format!("{name}={value}")).or_default() += 1;
        }
        for f in module.config.features.iter() {
            *self.features.entry(f.flag_name().to_string()).or_default() += 1;
        }
        let Ok(file) = ir::parse_test_file(&module.to_clif()) else {
            return;
        };
        let mut flags = crate::settings::Flags::default();
        for (name, value) in &module.config.settings {
            let _ = flags.set(name, Some(value));
        }
        let compiler_of = |name: &ir::ExternalName| {
            let ir::ExternalName::TestCase(n) = name else {
                return None;
            };
            module
                .funcs
                .iter()
                .find(|f| f.name == *n)
                .map(|f| f.compiler)
        };
        for (tf, gen) in file.functions.iter().zip(&module.funcs) {
            let func = &tf.function;
            let conv = func.signature.call_conv.to_string();
            *self.conventions.entry(conv.clone()).or_default() += 1;
            self.add_signature(&func.signature, &flags);
            for inst in func.layout.insts() {
                let dfg = &func.dfg;
                let data = dfg.inst(inst);
                let op = data.opcode();
                let ty = dfg.ctrl_type(inst);
                let ty = if ty.is_invalid() {
                    "-".to_string()
                } else {
                    ty.to_string()
                };
                *self.pairs.entry((op.name().to_string(), ty)).or_default() += 1;
                if let Some(sig) = dfg.call_signature(inst) {
                    let callee_conv = dfg.signatures[sig].call_conv.to_string();
                    *self
                        .calls
                        .entry((conv.clone(), callee_conv, op.name().to_string()))
                        .or_default() += 1;
                }
                if let D::Call { func_ref, .. } = data {
                    let callee = compiler_of(&dfg.ext_funcs[*func_ref].name);
                    if let Some(c) = callee {
                        *self
                            .compilers
                            .entry((compiler_name(gen.compiler).into(), compiler_name(c).into()))
                            .or_default() += 1;
                    }
                }
            }
        }
    }

    /// Counts what `sig` puts on the stack, in a return area or by reference, under `flags`.
    fn add_signature(&mut self, sig: &ir::Signature, flags: &crate::settings::Flags) {
        let Ok(layout) = AbiLayout::compute(sig, flags) else {
            return;
        };
        let mut seen: Vec<&'static str> = Vec::new();
        let on_stack = |s: &ArgSlot| matches!(s, ArgSlot::Stack { .. });
        for a in &layout.args {
            let what = match a.loc {
                ArgLoc::Slot(s) if on_stack(&s) && a.ty.is_float() => "float argument on the stack",
                ArgLoc::Slot(s) if on_stack(&s) => "integer argument on the stack",
                ArgLoc::Pair { lo, hi } if on_stack(&lo) && on_stack(&hi) => {
                    "i128 argument on the stack"
                }
                ArgLoc::Pair { lo, hi } if on_stack(&lo) || on_stack(&hi) => {
                    "i128 argument split between register and stack"
                }
                ArgLoc::ByRef { .. } => "argument by reference",
                _ => continue,
            };
            seen.push(what);
        }
        if layout.stack_ret_size > 0 {
            seen.push("results in a return area");
        }
        if sig
            .params
            .iter()
            .chain(&sig.returns)
            .any(|p| p.extension != ir::ArgumentExtension::None)
        {
            seen.push("uext/sext parameter or result");
        }
        if sig.call_conv == CallConv::WindowsFastcall
            && sig
                .params
                .iter()
                .chain(&sig.returns)
                .any(|p| p.value_type == Type::I128)
        {
            seen.push("i128 under windows_fastcall");
        }
        seen.sort_unstable();
        seen.dedup();
        for what in seen {
            *self.signatures.entry(what.to_string()).or_default() += 1;
        }
    }

    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &Stats) {
        fn add<K: Ord + Clone>(a: &mut BTreeMap<K, u64>, b: &BTreeMap<K, u64>) {
            for (k, v) in b {
                *a.entry(k.clone()).or_default() += v;
            }
        }
        self.modules += other.modules;
        self.functions += other.functions;
        add(&mut self.pairs, &other.pairs);
        add(&mut self.conventions, &other.conventions);
        add(&mut self.calls, &other.calls);
        add(&mut self.compilers, &other.compilers);
        add(&mut self.signatures, &other.signatures);
        add(&mut self.settings, &other.settings);
        add(&mut self.features, &other.features);
        add(&mut self.folds, &other.folds);
    }

    /// The lowered (opcode, type) pairs this campaign never generated, apart from the
    /// [`UNGENERATED`] ones.
    pub fn missing_pairs(&self) -> Vec<(String, String)> {
        lowered()
            .all()
            .into_iter()
            .filter(|&(op, ty)| {
                let gen_ty = Ty::ALL
                    .into_iter()
                    .find(|&t| super::lowered::ir_type(t) == ty);
                !ungenerated(op.name(), gen_ty)
            })
            .map(|(op, ty)| {
                let ty = if ty.is_invalid() {
                    "-".to_string()
                } else {
                    ty.to_string()
                };
                (op.name().to_string(), ty)
            })
            .filter(|k| !self.pairs.contains_key(k))
            .collect()
    }

    /// The fold rules that never fired.
    pub fn unfired_folds(&self) -> Vec<&str> {
        self.folds
            .iter()
            .filter(|(_, &n)| n == 0)
            .map(|(r, _)| r.as_str())
            .collect()
    }

    /// The whole table: every section, a line per key with its count; lowered pairs the
    /// campaign never made are listed with 0, then the pairs not generated on purpose with
    /// their reasons.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "== generated: {} modules, {} functions",
            self.modules, self.functions
        );
        let _ = writeln!(out, "== (opcode, controlling type) → instructions");
        let mut by_op: BTreeMap<&str, Vec<(String, u64)>> = BTreeMap::new();
        for ((op, ty), n) in &self.pairs {
            by_op.entry(op.as_str()).or_default().push((ty.clone(), *n));
        }
        let missing = self.missing_pairs();
        for (op, ty) in &missing {
            by_op.entry(op.as_str()).or_default().push((ty.clone(), 0));
        }
        for (op, tys) in &by_op {
            let cells: Vec<String> = tys.iter().map(|(t, n)| format!("{t} {n}")).collect();
            let _ = writeln!(out, "  {op:<22} {}", cells.join(", "));
        }
        let _ = writeln!(
            out,
            "  lowered pairs never generated: {}{}",
            missing.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    missing
                        .iter()
                        .map(|(o, t)| format!("{o}.{t}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        for (op, tys, why) in UNGENERATED {
            let tys: Vec<&str> = tys.iter().map(|t| t.name()).collect();
            let _ = writeln!(out, "  not generated: {op} {}: {why}", tys.join(" "));
        }
        let section = |out: &mut String, title: &str, map: &BTreeMap<String, u64>| {
            let _ = writeln!(out, "== {title}");
            for (k, n) in map {
                let _ = writeln!(out, "  {k:<48} {n}");
            }
        };
        section(
            &mut out,
            "calling conventions → functions",
            &self.conventions,
        );
        let _ = writeln!(
            out,
            "== calls: caller convention → callee convention (instruction)"
        );
        for ((from, to, how), n) in &self.calls {
            let _ = writeln!(out, "  {:<48} {n}", format!("{from} → {to} ({how})"));
        }
        let _ = writeln!(out, "== direct calls between compilers");
        for ((from, to), n) in &self.compilers {
            let _ = writeln!(out, "  {:<48} {n}", format!("{from} → {to}"));
        }
        section(&mut out, "signatures → functions", &self.signatures);
        section(&mut out, "load folds: rule → firings", &self.folds);
        section(&mut out, "settings → modules", &self.settings);
        section(&mut out, "target features → modules", &self.features);
        out
    }
}
