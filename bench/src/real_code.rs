//! Real code: every QuickJS function as Wasmtime writes it (`../shared/wasm-clif/quickjs/`, one
//! function per file), compiled as one program. Generated functions hide what real front ends
//! produce (heap accesses through `vmctx`, `tail` calls, many small blocks), so this row is where
//! code size and memory are compared.

use crate::compile_speed::Input;
use crate::heap::{self, HeapUse};
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::Context;
use rulesel::compile::compile_function;
use rulesel::ir;
use std::path::Path;

/// The program's files, concatenated in name order into one CLIF text (the files have no
/// header lines, so the text is one file of many functions); `None` when `dir` is missing.
pub fn program_text(dir: &Path) -> Result<Option<(usize, String)>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "clif"))
        .collect();
    paths.sort();
    let mut text = String::new();
    for p in &paths {
        text += &std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        text.push('\n');
    }
    Ok(Some((paths.len(), text)))
}

/// Heap use of compiling the whole program and of parsing it alone: rulesel, then Cranelift.
pub struct ProgramHeap {
    pub program: [HeapUse; 2],
    pub parse: [HeapUse; 2],
}

/// The heap each compiler uses for the whole program, as a program compiler would: parse the
/// text, compile every function and keep its machine code, relocations and side tables until
/// the end (rulesel's `CompiledCode`, Cranelift's finalized buffer). `peak` is the figure the
/// issue's "peak memory" means; the text itself is read before the counters start.
pub fn program_heap(input: &Input) -> Result<ProgramHeap, String> {
    // What parsing alone holds at its peak, for telling the reader's share from the compiler's.
    let (_, parse_ours) = heap::measure(|| {
        ir::parse_test_file(&input.text)
            .map(|f| f.functions.len())
            .ok()
    });
    let (_, parse_peer) = heap::measure(|| {
        cranelift_reader::parse_test(&input.text, Default::default())
            .map(|t| t.functions.len())
            .ok()
    });
    let flags = &input.flags[0];
    let (ours, ours_heap) = heap::measure(|| -> Result<usize, String> {
        let file = ir::parse_test_file(&input.text).map_err(|e| e.message)?;
        let mut kept = Vec::with_capacity(file.functions.len());
        for tf in &file.functions {
            kept.push(
                compile_function(&tf.function, flags, &input.isa).map_err(|e| e.to_string())?,
            );
        }
        Ok(kept.iter().map(|c| c.bytes.len()).sum())
    });
    ours?;
    let isa = input.peer_isa_none();
    let (peer_done, peer_heap) = heap::measure(|| -> Result<usize, String> {
        let parsed = cranelift_reader::parse_test(&input.text, Default::default())
            .map_err(|e| format!("cranelift parse: {e}"))?;
        let mut ctx = Context::new();
        let mut kept = Vec::with_capacity(parsed.functions.len());
        for (f, _) in parsed.functions {
            ctx.clear();
            ctx.func = f;
            let code = ctx
                .compile(isa, &mut ControlPlane::default())
                .map_err(|e| format!("cranelift: {:?}", e.inner))?;
            kept.push(code.buffer.clone());
        }
        Ok(kept.iter().map(|b| b.data().len()).sum())
    });
    peer_done?;
    Ok(ProgramHeap {
        program: [ours_heap, peer_heap],
        parse: [parse_ours, parse_peer],
    })
}

/// Code bytes per function, rulesel (ion) and Cranelift (opt_level none), with the function's
/// name, for finding where the bytes go.
pub struct FunctionSizes {
    pub sizes: Vec<(String, usize, usize)>,
}

impl FunctionSizes {
    pub fn measure(input: &Input) -> Result<FunctionSizes, String> {
        let mut ctx = Context::new();
        let isa = input.peer_isa_none();
        let mut sizes = Vec::with_capacity(input.funcs.len());
        for (f, pf) in input.funcs.iter().zip(&input.peer_funcs) {
            let ours = compile_function(f, &input.flags[0], &input.isa)
                .map_err(|e| e.to_string())?
                .bytes
                .len();
            ctx.clear();
            ctx.func = pf.clone();
            let code = ctx
                .compile(isa, &mut ControlPlane::default())
                .map_err(|e| format!("cranelift: {:?}", e.inner))?;
            sizes.push((f.name.to_string(), ours, code.code_buffer().len()));
        }
        Ok(FunctionSizes { sizes })
    }

    /// How many functions are larger, equal and smaller here, and the `n` with the most extra
    /// bytes.
    pub fn print(&self, n: usize) {
        let larger = self.sizes.iter().filter(|s| s.1 > s.2).count();
        let equal = self.sizes.iter().filter(|s| s.1 == s.2).count();
        let smaller = self.sizes.len() - larger - equal;
        let extra: i64 = self.sizes.iter().map(|s| s.1 as i64 - s.2 as i64).sum();
        println!(
            "   per function (code and its constants): {larger} larger, {equal} equal, {smaller} smaller than cranelift-none; {extra:+} bytes in all"
        );
        let mut by_excess: Vec<_> = self.sizes.iter().collect();
        by_excess.sort_by_key(|s| std::cmp::Reverse(s.1 as i64 - s.2 as i64));
        for (name, ours, peer) in by_excess.iter().take(n) {
            println!(
                "     {name:<12} rulesel {ours:>6} cranelift-none {peer:>6} ({:+})",
                *ours as i64 - *peer as i64
            );
        }
    }
}
