//! Function signatures: parameter and result types with their ABI attributes, and the calling
//! convention. Spelled as in CLIF: `(i64 vmctx, i32 uext) -> i32 system_v`.

use super::types::Type;
use std::fmt;

/// A calling convention, by its CLIF name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum CallConv {
    /// Cranelift's internal convention; on x64 it follows System V.
    Fast,
    /// Supports guaranteed tail calls: the callee pops its stack arguments.
    Tail,
    /// The System V AMD64 ABI.
    #[default]
    SystemV,
    /// The Windows x64 convention.
    WindowsFastcall,
    /// Apple's variant of the AArch64 ABI; named so CLIF files that mention it parse.
    AppleAarch64,
    /// The convention of the stack probe helper.
    Probestack,
    /// Wasmtime's baseline compiler convention.
    Winch,
    /// Every register is callee-saved.
    PreserveAll,
}

impl CallConv {
    pub const ALL: [CallConv; 8] = [
        CallConv::Fast,
        CallConv::Tail,
        CallConv::SystemV,
        CallConv::WindowsFastcall,
        CallConv::AppleAarch64,
        CallConv::Probestack,
        CallConv::Winch,
        CallConv::PreserveAll,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CallConv::Fast => "fast",
            CallConv::Tail => "tail",
            CallConv::SystemV => "system_v",
            CallConv::WindowsFastcall => "windows_fastcall",
            CallConv::AppleAarch64 => "apple_aarch64",
            CallConv::Probestack => "probestack",
            CallConv::Winch => "winch",
            CallConv::PreserveAll => "preserve_all",
        }
    }

    pub fn parse(s: &str) -> Option<CallConv> {
        CallConv::ALL.into_iter().find(|cc| cc.name() == s)
    }
}

impl fmt::Display for CallConv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a narrow integer argument or result is widened to a full register.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum ArgumentExtension {
    #[default]
    None,
    /// Zero-extend (`uext`).
    Uext,
    /// Sign-extend (`sext`).
    Sext,
}

/// What a parameter is for, beyond carrying a value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum ArgumentPurpose {
    #[default]
    Normal,
    /// A pointer to a struct of the given size, passed by value on the stack (`sarg(N)`).
    StructArgument(u32),
    /// A pointer to the caller-allocated return area (`sret`).
    StructReturn,
    /// The VM context pointer (`vmctx`).
    VMContext,
}

/// One parameter or result of a signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct AbiParam {
    pub value_type: Type,
    pub extension: ArgumentExtension,
    pub purpose: ArgumentPurpose,
}

impl AbiParam {
    pub fn new(value_type: Type) -> AbiParam {
        AbiParam {
            value_type,
            extension: ArgumentExtension::None,
            purpose: ArgumentPurpose::Normal,
        }
    }

    pub fn uext(self) -> AbiParam {
        AbiParam {
            extension: ArgumentExtension::Uext,
            ..self
        }
    }

    pub fn sext(self) -> AbiParam {
        AbiParam {
            extension: ArgumentExtension::Sext,
            ..self
        }
    }

    pub fn special(value_type: Type, purpose: ArgumentPurpose) -> AbiParam {
        AbiParam {
            purpose,
            ..AbiParam::new(value_type)
        }
    }
}

impl fmt::Display for AbiParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value_type)?;
        match self.extension {
            ArgumentExtension::None => {}
            ArgumentExtension::Uext => f.write_str(" uext")?,
            ArgumentExtension::Sext => f.write_str(" sext")?,
        }
        match self.purpose {
            ArgumentPurpose::Normal => Ok(()),
            ArgumentPurpose::StructArgument(size) => write!(f, " sarg({size})"),
            ArgumentPurpose::StructReturn => f.write_str(" sret"),
            ArgumentPurpose::VMContext => f.write_str(" vmctx"),
        }
    }
}

/// A function signature.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Signature {
    pub params: Vec<AbiParam>,
    pub returns: Vec<AbiParam>,
    pub call_conv: CallConv,
}

impl Signature {
    pub fn new(call_conv: CallConv) -> Signature {
        Signature {
            params: Vec::new(),
            returns: Vec::new(),
            call_conv,
        }
    }

    /// The index of the parameter with the given purpose, if any.
    pub fn special_param_index(&self, purpose: ArgumentPurpose) -> Option<usize> {
        self.params.iter().position(|p| p.purpose == purpose)
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, params: &[AbiParam]) -> fmt::Result {
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{p}")?;
    }
    Ok(())
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        write_list(f, &self.params)?;
        f.write_str(")")?;
        if !self.returns.is_empty() {
            f.write_str(" -> ")?;
            write_list(f, &self.returns)?;
        }
        write!(f, " {}", self.call_conv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let mut sig = Signature::new(CallConv::WindowsFastcall);
        sig.params
            .push(AbiParam::special(Type::I64, ArgumentPurpose::VMContext));
        sig.params.push(AbiParam::new(Type::I8).uext());
        sig.returns.push(AbiParam::new(Type::F64));
        assert_eq!(
            sig.to_string(),
            "(i64 vmctx, i8 uext) -> f64 windows_fastcall"
        );
        for cc in CallConv::ALL {
            assert_eq!(CallConv::parse(cc.name()), Some(cc));
        }
    }
}
