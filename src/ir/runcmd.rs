//! Run commands (`; run: %f(1, 2) == 3`) and the data values they pass and expect.
//!
//! A run command is a comment to the IR but an instruction to the run-test harness: call the
//! function with these arguments and compare the results. Literals are typed by the signature of
//! the function called, so `0x1.8p3` is read as an `f32` or an `f64` as the parameter requires.

use super::function::SourcePos;
use super::immediates::{parse_int_bits, Ieee128, Ieee16, Ieee32, Ieee64};
use super::lexer::{Spanned, Token};
use super::signature::Signature;
use super::types::Type;
use std::fmt;

/// A value passed to or returned from a function under test.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DataValue {
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    I128(i128),
    F16(Ieee16),
    F32(Ieee32),
    F64(Ieee64),
    F128(Ieee128),
    /// A 128-bit vector, lane 0 in the lowest bytes.
    V128([u8; 16]),
    V64([u8; 8]),
    V32([u8; 4]),
    V16([u8; 2]),
}

impl DataValue {
    /// The value of type `ty` with the given bit pattern (low `ty.bits()` bits of `bits`).
    pub fn from_bits(ty: Type, bits: u128) -> Option<DataValue> {
        let bytes = bits.to_le_bytes();
        Some(match ty {
            Type::I8 => DataValue::I8(bits as u8 as i8),
            Type::I16 => DataValue::I16(bits as u16 as i16),
            Type::I32 => DataValue::I32(bits as u32 as i32),
            Type::I64 => DataValue::I64(bits as u64 as i64),
            Type::I128 => DataValue::I128(bits as i128),
            Type::F16 => DataValue::F16(Ieee16(bits as u16)),
            Type::F32 => DataValue::F32(Ieee32(bits as u32)),
            Type::F64 => DataValue::F64(Ieee64(bits as u64)),
            Type::F128 => DataValue::F128(Ieee128(bits)),
            t if t.is_vector() => match t.bits() {
                128 => DataValue::V128(bytes),
                64 => DataValue::V64(bytes[..8].try_into().ok()?),
                32 => DataValue::V32(bytes[..4].try_into().ok()?),
                16 => DataValue::V16(bytes[..2].try_into().ok()?),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// The bit pattern, zero-extended.
    pub fn bits(self) -> u128 {
        let from_bytes = |b: &[u8]| {
            let mut full = [0u8; 16];
            full[..b.len()].copy_from_slice(b);
            u128::from_le_bytes(full)
        };
        match self {
            DataValue::I8(v) => u128::from(v as u8),
            DataValue::I16(v) => u128::from(v as u16),
            DataValue::I32(v) => u128::from(v as u32),
            DataValue::I64(v) => u128::from(v as u64),
            DataValue::I128(v) => v as u128,
            DataValue::F16(v) => u128::from(v.0),
            DataValue::F32(v) => u128::from(v.0),
            DataValue::F64(v) => u128::from(v.0),
            DataValue::F128(v) => v.0,
            DataValue::V128(b) => from_bytes(&b),
            DataValue::V64(b) => from_bytes(&b),
            DataValue::V32(b) => from_bytes(&b),
            DataValue::V16(b) => from_bytes(&b),
        }
    }
}

impl fmt::Display for DataValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DataValue::I8(v) => write!(f, "{v}"),
            DataValue::I16(v) => write!(f, "{v}"),
            DataValue::I32(v) => write!(f, "{v}"),
            DataValue::I64(v) => write!(f, "{v}"),
            DataValue::I128(v) => write!(f, "{v}"),
            DataValue::F16(v) => write!(f, "{v}"),
            DataValue::F32(v) => write!(f, "{v}"),
            DataValue::F64(v) => write!(f, "{v}"),
            DataValue::F128(v) => write!(f, "{v}"),
            DataValue::V128(_) | DataValue::V64(_) | DataValue::V32(_) | DataValue::V16(_) => {
                write!(f, "{:#x}", self.bits())
            }
        }
    }
}

/// What a run command expects of the call's results.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Expectation {
    /// A bare `; run` or `; run: %f()`: the single result is true (non-zero).
    True,
    /// `== expected`.
    Equal(Vec<DataValue>),
    /// `!= expected`.
    NotEqual(Vec<DataValue>),
}

/// One `; run` line.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RunCommand {
    pub pos: SourcePos,
    /// The function name written (without `%`). The command calls the function it follows,
    /// whose signature types its literals; Cranelift's own files rely on that (some name a
    /// function that does not exist).
    pub function: String,
    pub args: Vec<DataValue>,
    pub expectation: Expectation,
}

impl fmt::Display for RunCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "; run: %{}(", self.function)?;
        for (i, a) in self.args.iter().enumerate() {
            let sep = if i > 0 { ", " } else { "" };
            write!(f, "{sep}{a}")?;
        }
        f.write_str(")")?;
        let (op, values) = match &self.expectation {
            Expectation::True => return Ok(()),
            Expectation::Equal(v) => ("==", v),
            Expectation::NotEqual(v) => ("!=", v),
        };
        write!(f, " {op} ")?;
        if values.len() == 1 {
            return write!(f, "{}", values[0]);
        }
        f.write_str("[")?;
        for (i, v) in values.iter().enumerate() {
            let sep = if i > 0 { ", " } else { "" };
            write!(f, "{sep}{v}")?;
        }
        f.write_str("]")
    }
}

/// A failure reading a run command: byte offset and message.
pub type RunError = (usize, String);

/// Reads run-command tokens (those after `run:`) into a command. `signature_of` finds the
/// signature of a function by name; `end` is the offset just past the comment.
pub(crate) struct RunParser<'a, 'b> {
    pub tokens: &'b [Spanned<'a>],
    pub pos: usize,
    pub end: usize,
}

impl<'a> RunParser<'a, '_> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).map(|s| s.token)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |s| s.start)
    }

    fn found(&self) -> String {
        self.peek().map_or("end of line".into(), |t| t.describe())
    }

    fn expect(&mut self, token: Token<'_>, what: &str) -> Result<(), RunError> {
        if self.peek() == Some(token) {
            self.pos += 1;
            Ok(())
        } else {
            Err((
                self.offset(),
                format!("expected {what}, found {}", self.found()),
            ))
        }
    }

    /// The name after `%`.
    pub fn callee(&mut self) -> Result<String, RunError> {
        let at = self.offset();
        match self.peek() {
            Some(Token::Name(n)) => {
                self.pos += 1;
                Ok(n.to_string())
            }
            _ => Err((
                at,
                format!("expected a function name, found {}", self.found()),
            )),
        }
    }

    /// `(args) [== expected | != expected]`, typed by `sig`.
    pub fn rest(&mut self, sig: &Signature) -> Result<(Vec<DataValue>, Expectation), RunError> {
        self.expect(Token::LParen, "'('")?;
        let mut args = Vec::new();
        for (i, p) in sig.params.iter().enumerate() {
            if i > 0 {
                self.expect(Token::Comma, "','")?;
            }
            args.push(self.data_value(p.value_type)?);
        }
        if self.peek() != Some(Token::RParen) {
            return Err((
                self.offset(),
                format!(
                    "expected ')' after {} argument(s), found {}",
                    sig.params.len(),
                    self.found()
                ),
            ));
        }
        self.pos += 1;
        let expectation = match self.peek() {
            None => Expectation::True,
            Some(Token::EqualEqual) | Some(Token::NotEqual) => {
                let equal = self.peek() == Some(Token::EqualEqual);
                self.pos += 1;
                let values = self.results(sig)?;
                if equal {
                    Expectation::Equal(values)
                } else {
                    Expectation::NotEqual(values)
                }
            }
            Some(_) => {
                return Err((
                    self.offset(),
                    format!("expected '==' or '!=', found {}", self.found()),
                ))
            }
        };
        if self.peek().is_some() {
            return Err((
                self.offset(),
                format!("unexpected {} after run command", self.found()),
            ));
        }
        Ok((args, expectation))
    }

    fn results(&mut self, sig: &Signature) -> Result<Vec<DataValue>, RunError> {
        if sig.returns.len() == 1 {
            return Ok(vec![self.data_value(sig.returns[0].value_type)?]);
        }
        self.expect(Token::LBracket, "'[' before several results")?;
        let mut values = Vec::new();
        for (i, r) in sig.returns.iter().enumerate() {
            if i > 0 {
                self.expect(Token::Comma, "','")?;
            }
            values.push(self.data_value(r.value_type)?);
        }
        self.expect(Token::RBracket, "']'")?;
        Ok(values)
    }

    fn literal(&mut self) -> Result<(usize, &'a str), RunError> {
        let at = self.offset();
        match self.peek() {
            Some(Token::Integer(s)) | Some(Token::Float(s)) => {
                self.pos += 1;
                Ok((at, s))
            }
            _ => Err((at, format!("expected a literal, found {}", self.found()))),
        }
    }

    /// One value of type `ty`: an integer, a float, or a vector as `[lanes]` or one integer.
    pub fn data_value(&mut self, ty: Type) -> Result<DataValue, RunError> {
        if ty.bits() > 128 {
            return Err((
                self.offset(),
                format!("values of type {ty} are not supported"),
            ));
        }
        if ty.is_vector() && self.peek() == Some(Token::LBracket) {
            self.pos += 1;
            let lane = ty.lane_type();
            let mut bits: u128 = 0;
            for i in 0..ty.lane_count() {
                let v = self.scalar(lane)?;
                bits |= v << (i * lane.bits());
            }
            self.expect(Token::RBracket, "']' after the vector lanes")?;
            return DataValue::from_bits(ty, bits)
                .ok_or_else(|| (self.offset(), format!("unsupported vector type {ty}")));
        }
        if ty.is_vector() {
            let (at, text) = self.literal()?;
            let bits = parse_int_bits(text, ty.bits()).map_err(|e| (at, e))?;
            return DataValue::from_bits(ty, bits)
                .ok_or_else(|| (at, format!("unsupported vector type {ty}")));
        }
        let bits = self.scalar(ty)?;
        DataValue::from_bits(ty, bits)
            .ok_or_else(|| (self.offset(), format!("unsupported type {ty}")))
    }

    fn scalar(&mut self, ty: Type) -> Result<u128, RunError> {
        let (at, text) = self.literal()?;
        let bits = match ty {
            Type::F16 => Ieee16::parse(text).map(|f| u128::from(f.0)),
            Type::F32 => Ieee32::parse(text).map(|f| u128::from(f.0)),
            Type::F64 => Ieee64::parse(text).map(|f| u128::from(f.0)),
            Type::F128 => Ieee128::parse(text).map(|f| f.0),
            t if t.is_int() => parse_int_bits(text, t.bits()),
            t => Err(format!("unsupported type {t} in a run command")),
        };
        bits.map_err(|e| (at, e))
    }
}

/// Whether a comment is a run command, and if so the offset (within the comment) of the text
/// after `run` / `run:`.
pub fn run_command_body(comment: &str) -> Option<usize> {
    let rest = comment.strip_prefix(';')?;
    let trimmed = rest.trim_start();
    let after = trimmed.strip_prefix("run")?;
    let skipped = comment.len() - after.len();
    if after.trim().is_empty() {
        Some(comment.len())
    } else {
        after.strip_prefix(':').map(|_| skipped + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::entity::{EntityRef, Value};

    #[test]
    fn run_comments() {
        assert_eq!(run_command_body("; run"), Some(5));
        assert_eq!(run_command_body("; run: %f()"), Some(6));
        assert_eq!(run_command_body("; running"), None);
        assert_eq!(run_command_body(";; run"), None);
        assert_eq!(run_command_body("; print: %f()"), None);
        assert_eq!(Value::new(0).to_string(), "v0");
    }

    #[test]
    fn data_values() {
        let v = DataValue::from_bits(Type::I32X4, 0x4_0000_0003_0000_0002_0000_0001).unwrap();
        assert_eq!(v.bits(), 0x4_0000_0003_0000_0002_0000_0001);
        assert_eq!(
            DataValue::from_bits(Type::I8, 0xff),
            Some(DataValue::I8(-1))
        );
        assert_eq!(DataValue::I8(-1).to_string(), "-1");
    }
}
