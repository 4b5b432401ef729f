//! The term environment the host supplies: opcode extractor terms, Rust externs, constants.
//!
//! Three kinds of terms come from Rust rather than from `.rules` files:
//!
//! * **Opcode terms** ([`TermEnv::opcode`]): one per IR opcode, registered from the IR's opcode
//!   table with no declaration in the rules. `(iadd x y)` in a pattern on an `Inst` tests the
//!   instruction's opcode and binds its value arguments and then its immediates; on a `Value` it
//!   first finds the instruction that defines the value. The term's signature is
//!   `(Value… Imm…) Inst`, where the value type is `Value` and each immediate has the DSL type
//!   given at registration. Plugging in a real opcode table is a loop:
//!
//!   ```ignore
//!   for &op in ir::Opcode::ALL {
//!       let info = op.info();
//!       // The DSL type of each immediate kind, e.g. Imm64 → "i64", IntCC → "IntCC".
//!       let imms = info.immediates().iter().map(|k| ("imm", dsl_type_of_imm(*k)));
//!       env.opcode(info.name, op.index() as u32, info.format.fixed_value_count() as u32, imms);
//!   }
//!   ```
//!
//! * **Extern bindings** ([`TermEnv::constructor`], [`TermEnv::partial_constructor`],
//!   [`TermEnv::extractor`]): typed Rust closures bound by name to a `decl` through
//!   `(extern constructor term rust_name)`. The closure's argument and result types implement
//!   [`Word`], whose [`Word::RUST_TYPE`] must equal the `(primitive …)` name of the DSL type in
//!   the corresponding position; a mismatch, a missing binding or a partial closure behind a
//!   total `decl` is a located error when rules compile.
//!
//! * **Host terms** ([`TermEnv::host_constructor`]): terms declared *and* bound from Rust, for
//!   terms that come from a table (e.g. one constructor per row of the x64 instruction table),
//!   with DSL type names for the signature.
//!
//! Every value crosses the boundary as one `u64` word.
//!
//! Contract: extractors, and constructors called in guards, must be pure (the same input
//! gives the same result, with no effect the rules can observe). The match tree evaluates a
//! test shared by several rules once, and the overlap checker reasons about equal calls as
//! equal values. Constructors on right-hand sides may have effects (emit instructions).

use crate::ir::Type;

/// A Rust value that the rules carry as one word.
pub trait Word: Sized {
    /// The name written in `(type T (primitive RUST_TYPE))` for this Rust type.
    const RUST_TYPE: &'static str;
    fn to_word(self) -> u64;
    /// Inverse of [`Word::to_word`]; only ever called on words produced by `to_word` (rules are
    /// type-checked), so it may truncate.
    fn from_word(word: u64) -> Self;
}

macro_rules! int_words {
    ($($t:ty),*) => {$(
        impl Word for $t {
            const RUST_TYPE: &'static str = stringify!($t);
            fn to_word(self) -> u64 {
                self as u64
            }
            fn from_word(word: u64) -> Self {
                word as $t
            }
        }
    )*};
}
int_words!(u8, u16, u32, u64, i8, i16, i32, i64);

impl Word for bool {
    const RUST_TYPE: &'static str = "bool";
    fn to_word(self) -> u64 {
        u64::from(self)
    }
    fn from_word(word: u64) -> Self {
        word != 0
    }
}

impl Word for Type {
    const RUST_TYPE: &'static str = "Type";
    fn to_word(self) -> u64 {
        u64::from(self.code())
    }
    fn from_word(word: u64) -> Self {
        Type::from_code(word as u8).unwrap_or(Type::INVALID)
    }
}

/// A registered extern as the executor calls it: reads `args`, writes its results to `out`
/// (one word for constructors, one per bound output for extractors), returns `false` when it
/// fails (partial constructors and extractors).
pub type ExternFn<H> = Box<dyn Fn(&mut H, &[u64], &mut [u64]) -> bool + Send + Sync>;

/// The Rust-side signature of an extern, as names of Rust types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternSig {
    pub args: Vec<&'static str>,
    pub rets: Vec<&'static str>,
    /// May return `false` (partial constructor or extractor).
    pub fallible: bool,
}

/// What an extern binding implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingKind {
    Constructor,
    Extractor,
}

pub(crate) struct Binding<H> {
    pub rust_name: String,
    pub kind: BindingKind,
    pub sig: ExternSig,
    pub func: ExternFn<H>,
}

/// A constructor declared and bound from Rust (signature in DSL type names).
pub(crate) struct HostTerm<H> {
    pub name: String,
    pub args: Vec<String>,
    pub ret: String,
    pub partial: bool,
    pub func: ExternFn<H>,
}

/// An IR opcode as an extractor term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpcodeTerm {
    pub name: String,
    /// The number [`Host::inst_opcode`](super::exec::Host::inst_opcode) returns for it; the
    /// executor switches on it through a dense table, so keep numbers small.
    pub opcode: u32,
    /// Fixed value operands, bound first.
    pub value_args: u32,
    /// Immediate fields as (field name, DSL type name), bound after the values.
    pub immediates: Vec<(String, String)>,
}

/// A named constant (`$Name`) supplied by the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostConst {
    pub name: String,
    pub ty: String,
    pub value: u64,
}

/// Everything the host supplies to a rule program, generic over the host state `H` that
/// externs receive.
pub struct TermEnv<H> {
    pub(crate) bindings: Vec<Binding<H>>,
    pub(crate) host_terms: Vec<HostTerm<H>>,
    pub(crate) opcodes: Vec<OpcodeTerm>,
    pub(crate) consts: Vec<HostConst>,
}

impl<H> Default for TermEnv<H> {
    fn default() -> Self {
        TermEnv {
            bindings: Vec::new(),
            host_terms: Vec::new(),
            opcodes: Vec::new(),
            consts: Vec::new(),
        }
    }
}

impl<H: 'static> TermEnv<H> {
    pub fn new() -> Self {
        TermEnv::default()
    }

    /// Registers an opcode extractor term (see the module documentation).
    pub fn opcode<'a>(
        &mut self,
        name: &str,
        opcode: u32,
        value_args: u32,
        immediates: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> &mut Self {
        self.opcodes.push(OpcodeTerm {
            name: name.to_string(),
            opcode,
            value_args,
            immediates: immediates
                .into_iter()
                .map(|(f, t)| (f.to_string(), t.to_string()))
                .collect(),
        });
        self
    }

    /// Registers `$name` of DSL type `ty`.
    pub fn constant(&mut self, name: &str, ty: &str, value: u64) -> &mut Self {
        self.consts.push(HostConst {
            name: name.to_string(),
            ty: ty.to_string(),
            value,
        });
        self
    }

    /// Binds `rust_name` to a total constructor `f(host, args…) -> R` (up to 6 arguments).
    pub fn constructor<A, F: CtorFn<H, A>>(&mut self, rust_name: &str, f: F) -> &mut Self {
        let (args, ret) = F::signature();
        self.bind(
            rust_name,
            BindingKind::Constructor,
            args,
            vec![ret],
            false,
            f.erase(),
        )
    }

    /// Binds `rust_name` to a partial constructor `f(host, args…) -> Option<R>`.
    pub fn partial_constructor<A, F: PartialCtorFn<H, A>>(
        &mut self,
        rust_name: &str,
        f: F,
    ) -> &mut Self {
        let (args, ret) = F::signature();
        self.bind(
            rust_name,
            BindingKind::Constructor,
            args,
            vec![ret],
            true,
            f.erase(),
        )
    }

    /// Binds `rust_name` to an extractor `f(host, input) -> Option<(outputs…)>`; a term
    /// `(decl t (A B) R)` bound to it is used in patterns as `(t a b)` on an `R`.
    pub fn extractor<I: Word, O: WordTuple, F>(&mut self, rust_name: &str, f: F) -> &mut Self
    where
        F: Fn(&mut H, I) -> Option<O> + Send + Sync + 'static,
    {
        let func: ExternFn<H> = Box::new(move |h, args, out| match f(h, I::from_word(args[0])) {
            Some(o) => {
                o.write(out);
                true
            }
            None => false,
        });
        self.bind(
            rust_name,
            BindingKind::Extractor,
            vec![I::RUST_TYPE],
            O::rust_types(),
            true,
            func,
        )
    }

    /// Declares and binds a constructor term from Rust, for terms generated from a table.
    /// `args` and `ret` are DSL type names; `f` reads one word per argument and writes one
    /// result word.
    pub fn host_constructor(
        &mut self,
        name: &str,
        args: &[&str],
        ret: &str,
        partial: bool,
        f: impl Fn(&mut H, &[u64], &mut [u64]) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.host_terms.push(HostTerm {
            name: name.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            ret: ret.to_string(),
            partial,
            func: Box::new(f),
        });
        self
    }

    fn bind(
        &mut self,
        rust_name: &str,
        kind: BindingKind,
        args: Vec<&'static str>,
        rets: Vec<&'static str>,
        fallible: bool,
        func: ExternFn<H>,
    ) -> &mut Self {
        self.bindings.push(Binding {
            rust_name: rust_name.to_string(),
            kind,
            sig: ExternSig {
                args,
                rets,
                fallible,
            },
            func,
        });
        self
    }
}

/// A Rust closure usable as a total constructor; implemented for `Fn(&mut H, A…) -> R`.
pub trait CtorFn<H, Args>: Send + Sync + 'static {
    fn signature() -> (Vec<&'static str>, &'static str);
    fn erase(self) -> ExternFn<H>;
}

/// A Rust closure usable as a partial constructor; implemented for
/// `Fn(&mut H, A…) -> Option<R>`.
pub trait PartialCtorFn<H, Args>: Send + Sync + 'static {
    fn signature() -> (Vec<&'static str>, &'static str);
    fn erase(self) -> ExternFn<H>;
}

macro_rules! ctor_fns {
    ($($a:ident $i:tt),*) => {
        impl<H: 'static, F, R: Word, $($a: Word),*> CtorFn<H, ($($a,)*)> for F
        where
            F: Fn(&mut H, $($a),*) -> R + Send + Sync + 'static,
        {
            fn signature() -> (Vec<&'static str>, &'static str) {
                (vec![$($a::RUST_TYPE),*], R::RUST_TYPE)
            }
            #[allow(unused_variables)]
            fn erase(self) -> ExternFn<H> {
                Box::new(move |h, args, out| {
                    out[0] = self(h, $($a::from_word(args[$i])),*).to_word();
                    true
                })
            }
        }

        impl<H: 'static, F, R: Word, $($a: Word),*> PartialCtorFn<H, ($($a,)*)> for F
        where
            F: Fn(&mut H, $($a),*) -> Option<R> + Send + Sync + 'static,
        {
            fn signature() -> (Vec<&'static str>, &'static str) {
                (vec![$($a::RUST_TYPE),*], R::RUST_TYPE)
            }
            #[allow(unused_variables)]
            fn erase(self) -> ExternFn<H> {
                Box::new(move |h, args, out| match self(h, $($a::from_word(args[$i])),*) {
                    Some(r) => {
                        out[0] = r.to_word();
                        true
                    }
                    None => false,
                })
            }
        }
    };
}
ctor_fns!();
ctor_fns!(A0 0);
ctor_fns!(A0 0, A1 1);
ctor_fns!(A0 0, A1 1, A2 2);
ctor_fns!(A0 0, A1 1, A2 2, A3 3);
ctor_fns!(A0 0, A1 1, A2 2, A3 3, A4 4);
ctor_fns!(A0 0, A1 1, A2 2, A3 3, A4 4, A5 5);

/// The outputs of an extractor: `()`, `(A,)`, `(A, B)`, … up to four words.
pub trait WordTuple {
    fn rust_types() -> Vec<&'static str>;
    fn write(self, out: &mut [u64]);
}

macro_rules! word_tuples {
    ($($a:ident $i:tt),*) => {
        impl<$($a: Word),*> WordTuple for ($($a,)*) {
            fn rust_types() -> Vec<&'static str> {
                vec![$($a::RUST_TYPE),*]
            }
            #[allow(unused_variables)]
            fn write(self, out: &mut [u64]) {
                $(out[$i] = self.$i.to_word();)*
            }
        }
    };
}
word_tuples!();
word_tuples!(A0 0);
word_tuples!(A0 0, A1 1);
word_tuples!(A0 0, A1 1, A2 2);
word_tuples!(A0 0, A1 1, A2 2, A3 3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_closures_record_their_signatures_and_convert_words() {
        let mut env = TermEnv::<u32>::new();
        env.constructor("add", |h: &mut u32, a: u64, b: u8| {
            *h += 1;
            a + u64::from(b)
        })
        .partial_constructor("sub", |_: &mut u32, a: i64, b: i64| a.checked_sub(b))
        .extractor("split", |_: &mut u32, x: u64| {
            Some((x as u32, (x >> 32) as u32))
        });
        let sigs: Vec<_> = env.bindings.iter().map(|b| b.sig.clone()).collect();
        assert_eq!(sigs[0].args, vec!["u64", "u8"]);
        assert_eq!(sigs[0].rets, vec!["u64"]);
        assert!(!sigs[0].fallible && sigs[1].fallible && sigs[2].fallible);
        assert_eq!(sigs[2].rets, vec!["u32", "u32"]);
        let mut host = 0u32;
        let mut out = [0u64; 2];
        assert!((env.bindings[0].func)(&mut host, &[40, 2], &mut out));
        assert_eq!((out[0], host), (42, 1));
        assert!((env.bindings[2].func)(
            &mut host,
            &[0x5_0000_0007],
            &mut out
        ));
        assert_eq!(out, [7, 5]);
        assert!(!(env.bindings[1].func)(
            &mut host,
            &[i64::MIN as u64, 1],
            &mut out
        ));
    }
}
