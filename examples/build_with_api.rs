//! The library API end to end, as a language front end would use it: functions built with
//! `FunctionBuilder`, a data object, an external C function under a user name, then an ELF
//! object linked by `cc` and run — and the same helper function JIT-compiled and called here.
//!
//! Run with `cargo run --example build_with_api`.

use rulesel::ir::builder::FunctionBuilder;
use rulesel::ir::dfg::ExtFuncData;
use rulesel::ir::{AbiParam, CallConv, ExternalName, Function, IntCC, Signature, Type};
use rulesel::isa::x64::IsaFlags;
use rulesel::module::link::link_object_bytes;
use rulesel::module::Module;
use rulesel::obj::{DataInit, Linkage, ObjData};
use rulesel::settings::Flags;
use std::error::Error;
use std::process::Command;

fn signature(params: &[Type], returns: &[Type]) -> Signature {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params = params.iter().map(|&t| AbiParam::new(t)).collect();
    sig.returns = returns.iter().map(|&t| AbiParam::new(t)).collect();
    sig
}

/// `function %square(i32) -> i32`
fn square() -> Function {
    let mut func = Function::new(
        ExternalName::TestCase("square".into()),
        signature(&[Type::I32], &[Type::I32]),
    );
    let mut b = FunctionBuilder::new(&mut func);
    let entry = b.create_block();
    let x = b.append_block_param(entry, Type::I32);
    b.switch_to_block(entry);
    let y = b.ins().imul(x, x);
    b.ins().return_(&[y]);
    func
}

/// `%main`: for i in 1..=5 { putchar('0' + i) }, a newline, then returns the sum of
/// square(i) for i in 1..=5 (55) as the exit code.
fn main_function() -> Function {
    let mut func = Function::new(
        ExternalName::TestCase("main".into()),
        signature(&[], &[Type::I32]),
    );
    let mut b = FunctionBuilder::new(&mut func);
    let square_sig = b.import_signature(signature(&[Type::I32], &[Type::I32]));
    let square = b.import_function(ExtFuncData {
        name: ExternalName::TestCase("square".into()),
        signature: square_sig,
        colocated: true,
        patchable: false,
    });
    // The front end numbers its externals; the module maps u0:1 to `putchar` below.
    let putchar = b.import_function(ExtFuncData {
        name: ExternalName::User {
            namespace: 0,
            index: 1,
        },
        signature: square_sig,
        colocated: false,
        patchable: false,
    });
    let (entry, head, body, done) = (
        b.create_block(),
        b.create_block(),
        b.create_block(),
        b.create_block(),
    );
    let i = b.append_block_param(head, Type::I32);
    let sum = b.append_block_param(head, Type::I32);
    b.switch_to_block(entry);
    let one = b.ins().iconst(Type::I32, 1);
    let zero = b.ins().iconst(Type::I32, 0);
    let five = b.ins().iconst(Type::I32, 5);
    b.ins().jump(head, &[one, zero]);

    b.switch_to_block(head);
    let more = b.ins().icmp(IntCC::SignedLessThanOrEqual, i, five);
    b.ins().brif(more, body, &[], done, &[]);
    b.switch_to_block(body);
    let call = b.ins().call(square, &[i]);
    let sq = b
        .func()
        .dfg
        .first_result(call)
        .expect("square returns a value");
    let next_sum = b.ins().iadd(sum, sq);
    let digit = b.ins().iadd_imm(i, i64::from(b'0'));
    b.ins().call(putchar, &[digit]);
    let next_i = b.ins().iadd_imm(i, 1);
    b.ins().jump(head, &[next_i, next_sum]);

    b.switch_to_block(done);
    let newline = b.ins().iconst(Type::I32, 10);
    b.ins().call(putchar, &[newline]);
    b.ins().return_(&[sum]);
    func
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut module = Module::new(Flags::default(), IsaFlags::default());
    module.define_function(square(), Linkage::Local)?;
    module.define_function(main_function(), Linkage::Global)?;
    module.name_user(
        ExternalName::User {
            namespace: 0,
            index: 1,
        },
        "putchar",
    );
    module.define_data(ObjData {
        name: "greeting".into(),
        linkage: Linkage::Global,
        writable: false,
        align: 1,
        init: DataInit::Bytes(b"built with rulesel\0".to_vec()),
        relocs: Vec::new(),
    })?;

    let object = module.finish_object()?;
    let dir = std::env::temp_dir();
    let exe = dir.join(format!("rulesel-build-with-api-{}", std::process::id()));
    link_object_bytes(&object, &[], &exe, &[])?;
    let out = Command::new(&exe).output()?;
    std::fs::remove_file(&exe)?;
    print!("program printed: {}", String::from_utf8_lossy(&out.stdout));
    println!("program exited with {:?} (expected 55)", out.status.code());
    assert_eq!(out.stdout, b"12345\n");
    assert_eq!(out.status.code(), Some(55));

    let mut jit_module = Module::new(Flags::default(), IsaFlags::default());
    jit_module.define_function(square(), Linkage::Global)?;
    let program = jit_module.jit()?;
    let addr = program
        .address_of("square")
        .ok_or("square is not in the JIT module")?;
    // SAFETY: %square is `(i32) -> i32` under System V and `program` outlives the call.
    let square_fn: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(addr) };
    println!("JIT square(12) = {}", square_fn(12));
    assert_eq!(square_fn(12), 144);
    Ok(())
}
