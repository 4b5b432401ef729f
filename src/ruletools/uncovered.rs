//! Why an (opcode, type) pair has no `lower` rule, for `rulesel check`'s list: each pair left is
//! one that Cranelift 0.135.8's x64 back end does not lower either (or an opcode it no longer
//! has), unless the reason says otherwise. The reasons come from the parity matrix
//! (`tests/parity_matrix.rs`) and Cranelift's lowering rules.

use crate::ir::{Opcode, Type};

/// The reason `op` at controlling type `ty` (`INVALID` when not polymorphic) has no rule.
pub fn reason(op: Opcode, ty: Type) -> &'static str {
    use Opcode::*;
    match op {
        IaddImm | ImulImm | UdivImm | SdivImm | UremImm | SremImm | IrsubImm | BandImm | BorImm
        | BxorImm | RotlImm | RotrImm | IshlImm | UshrImm | SshrImm | BandNot | BorNot
        | BxorNot => "an opcode Cranelift 0.135.8 no longer has; rulesel lowers it below 128 bits",
        Nop => "pure and without results: never lowered (Cranelift emits nothing for it either)",
        AvgRound | UaddSat | SaddSat | UsubSat | SsubSat => {
            "Cranelift's x64 back end lowers it for vectors only"
        }
        Ireduce => "no type is wider than i128",
        StackSwitch => "Cranelift's x64 back end lowers it for i64 only",
        TlsValue => "Cranelift's x64 back end lowers it for i64 only",
        _ if ty == Type::I128 => "Cranelift's x64 back end does not lower it for i128 either",
        _ => "Cranelift's x64 back end does not lower it either",
    }
}
