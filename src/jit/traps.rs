//! Surviving faults of JIT code: a miscompiled function must fail its run command, not kill the
//! harness.
//!
//! [`guarded`] runs a trampoline call with a *recovery record* registered for the current thread.
//! The trampoline writes its frame pointer into the record before calling. If SIGILL, SIGSEGV,
//! SIGBUS or SIGFPE arrives while the record is registered, the handler (running on the thread's
//! alternate signal stack, so a stack overflow can be caught too) notes the signal and the faulting
//! pc, and rewrites the interrupted context: rbp back to the trampoline's frame, rip to the
//! trampoline's landing code. Returning from the handler lets the kernel restore that context and
//! the signal mask, so no `longjmp` crosses Rust frames: the landing pops the trampoline's frame
//! and returns 1 to Rust as an ordinary function return.
//!
//! A call may also have a *watchdog*: a per-thread POSIX timer that sends [`timeout_signal`] when
//! the call runs too long. The handler treats it like a fault, but only when the interrupted pc
//! lies in the JIT code being watched (so no Rust or libc code is abandoned half-way, holding a
//! lock); elsewhere it re-arms the timer for a millisecond later.
//!
//! Signals on threads without a registered record go to the handler that was installed before
//! ours (Rust's stack-overflow reporter, or the default action).

use std::cell::Cell;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;
use std::time::Duration;

/// A signal raised by code called through a trampoline.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fault {
    pub signal: i32,
    /// The address of the faulting instruction.
    pub pc: usize,
    /// The faulting data address (SIGSEGV, SIGBUS), or the pc for the other signals.
    pub address: usize,
}

impl Fault {
    /// The signal's name (`SIGSEGV`…), or `timeout` for the watchdog's.
    pub fn signal_name(&self) -> &'static str {
        match self.signal {
            s if s == timeout_signal() => "timeout",
            libc::SIGILL => "SIGILL",
            libc::SIGSEGV => "SIGSEGV",
            libc::SIGBUS => "SIGBUS",
            libc::SIGFPE => "SIGFPE",
            _ => "signal",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at pc {:#x}", self.signal_name(), self.pc)
    }
}

const FAULT_SIGNALS: [libc::c_int; 4] = [libc::SIGILL, libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE];

/// The signal the watchdog timer sends: a real-time signal nothing else in the process uses.
pub fn timeout_signal() -> libc::c_int {
    libc::SIGRTMIN() + 1
}

fn handled_signals() -> [libc::c_int; 5] {
    [
        libc::SIGILL,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        timeout_signal(),
    ]
}

/// Ends a guarded call that runs longer than `timeout` while executing in `code`.
#[derive(Clone, Debug)]
pub struct Watchdog {
    /// The addresses of the code being watched (a JIT module's mapping).
    pub code: Range<usize>,
    pub timeout: Duration,
}

/// What the trampoline and the handler share during one guarded call.
#[repr(C)]
struct Recovery {
    /// The trampoline's rbp; 0 until the trampoline has stored it.
    rbp: usize,
    landing: usize,
    fault: Option<Fault>,
    /// The watched code, and the timer that watches it.
    watched: Range<usize>,
    timer: Option<libc::timer_t>,
}

thread_local! {
    // A const-initialised Cell of a raw pointer needs no lazy initialisation and no destructor,
    // so reading it from a signal handler is sound.
    static CURRENT: Cell<*mut Recovery> = const { Cell::new(std::ptr::null_mut()) };
}

/// The actions that were installed before ours, by signal.
static PREVIOUS: OnceLock<[libc::sigaction; 5]> = OnceLock::new();

/// Bytes of the alternate signal stack made for threads that have none.
const ALT_STACK_SIZE: usize = 64 * 1024;

/// Runs `call` (a trampoline invocation receiving the address of the recovery slot) with faults
/// recovered at `landing`, and with `watchdog` if given. `call` returns the trampoline's status:
/// 0, or 1 after a fault.
pub fn guarded(
    landing: usize,
    watchdog: Option<&Watchdog>,
    call: impl FnOnce(*mut usize) -> u64,
) -> Result<(), Fault> {
    install_handlers();
    ensure_alt_stack();
    let mut record = Recovery {
        rbp: 0,
        landing,
        fault: None,
        watched: watchdog.map_or(0..0, |w| w.code.clone()),
        timer: None,
    };
    let record_ptr: *mut Recovery = &mut record;
    let registration = Registration {
        record: record_ptr,
        previous: CURRENT.with(|c| c.replace(record_ptr)),
    };
    // SAFETY: the timer is created for this thread, and deleted by `registration` before
    // `record` goes away.
    unsafe {
        if let Some(w) = watchdog {
            (*record_ptr).timer = start_timer(w.timeout);
        }
    }
    // SAFETY: `record_ptr` points at `record`, alive for the whole call.
    let status = call(unsafe { std::ptr::addr_of_mut!((*record_ptr).rbp) });
    drop(registration);
    // SAFETY: the handler may have written the record through the raw pointer; read it the same way.
    let fault = unsafe { std::ptr::read_volatile(std::ptr::addr_of!((*record_ptr).fault)) };
    match (status, fault) {
        (0, _) => Ok(()),
        (_, Some(fault)) => Err(fault),
        (_, None) => Err(Fault {
            signal: 0,
            pc: 0,
            address: 0,
        }),
    }
}

/// A one-shot timer sending [`timeout_signal`] to this thread after `after`.
///
/// # Safety
/// The caller deletes the timer.
unsafe fn start_timer(after: Duration) -> Option<libc::timer_t> {
    let mut event: libc::sigevent = std::mem::zeroed();
    event.sigev_notify = libc::SIGEV_THREAD_ID;
    event.sigev_signo = timeout_signal();
    event.sigev_notify_thread_id = libc::gettid();
    let mut timer: libc::timer_t = std::mem::zeroed();
    if libc::timer_create(libc::CLOCK_MONOTONIC, &mut event, &mut timer) != 0 {
        return None;
    }
    arm(timer, after);
    Some(timer)
}

/// Sets `timer` to fire once after `after` (async-signal-safe).
unsafe fn arm(timer: libc::timer_t, after: Duration) {
    let mut spec: libc::itimerspec = std::mem::zeroed();
    spec.it_value.tv_sec = after.as_secs() as libc::time_t;
    spec.it_value.tv_nsec = libc::c_long::from(after.subsec_nanos()).max(1);
    libc::timer_settime(timer, 0, &spec, std::ptr::null_mut());
}

/// Unregisters a recovery record and stops its watchdog when the guarded call ends, however it
/// ends (a panic unwinding out of the call included).
struct Registration {
    record: *mut Recovery,
    previous: *mut Recovery,
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `record` outlives the registration (both live in `guarded`). Once the timer is
        // deleted, no signal of it is pending or to come: a timer's queued signal goes with it.
        unsafe {
            if let Some(timer) = (*self.record).timer.take() {
                libc::timer_delete(timer);
            }
        }
        CURRENT.with(|c| c.set(self.previous));
    }
}

fn install_handlers() {
    PREVIOUS.get_or_init(|| {
        // SAFETY: sigaction structs are plain data; zeroed is a valid "no handler" value, and the
        // handler we install is an `extern "C"` function of the SA_SIGINFO shape.
        unsafe {
            let mut previous: [libc::sigaction; 5] = std::mem::zeroed();
            for (i, &signal) in handled_signals().iter().enumerate() {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, &mut previous[i]);
            }
            previous
        }
    });
}

/// Gives the current thread an alternate signal stack if it has none (Rust's runtime makes one
/// for the threads it starts; others may not have one). The stack is kept for the thread's life.
fn ensure_alt_stack() {
    thread_local! {
        static ALT_STACK_READY: Cell<bool> = const { Cell::new(false) };
    }
    if ALT_STACK_READY.with(Cell::get) {
        return;
    }
    // SAFETY: querying and setting the signal stack of this thread; the new stack is a fresh
    // mapping never freed while the thread may still take signals on it.
    unsafe {
        let mut current: libc::stack_t = std::mem::zeroed();
        libc::sigaltstack(std::ptr::null(), &mut current);
        if current.ss_flags & libc::SS_DISABLE != 0 {
            let memory = libc::mmap(
                std::ptr::null_mut(),
                ALT_STACK_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if memory != libc::MAP_FAILED {
                let stack = libc::stack_t {
                    ss_sp: memory,
                    ss_flags: 0,
                    ss_size: ALT_STACK_SIZE,
                };
                libc::sigaltstack(&stack, std::ptr::null_mut());
            }
        }
    }
    ALT_STACK_READY.with(|r| r.set(true));
}

extern "C" fn handler(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let record = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null_mut());
    // SAFETY: the kernel passes a valid siginfo and ucontext for an SA_SIGINFO handler; `record`
    // is non-null only while `guarded` keeps it alive on this thread.
    unsafe {
        if record.is_null() || (*record).rbp == 0 {
            if signal != timeout_signal() {
                forward(signal, info, context);
            }
            return;
        }
        let gregs = &mut (*context.cast::<libc::ucontext_t>()).uc_mcontext.gregs;
        let pc = gregs[libc::REG_RIP as usize] as usize;
        if signal == timeout_signal() && !(*record).watched.contains(&pc) {
            if let Some(timer) = (*record).timer {
                arm(timer, Duration::from_millis(1));
            }
            return;
        }
        let address = match signal {
            libc::SIGSEGV | libc::SIGBUS => (*info).si_addr() as usize,
            _ => pc,
        };
        (*record).fault = Some(Fault {
            signal,
            pc,
            address,
        });
        let rbp = (*record).rbp;
        // The landing's first instruction re-derives rsp from rbp; until then rsp only has to
        // point at writable stack, which the trampoline's frame is.
        gregs[libc::REG_RBP as usize] = rbp as i64;
        gregs[libc::REG_RSP as usize] = (rbp - 64) as i64;
        gregs[libc::REG_RIP as usize] = (*record).landing as i64;
        // A second fault before the trampoline stores rbp again is not ours to recover.
        (*record).rbp = 0;
    }
}

/// Passes a signal we do not handle to the previous action.
///
/// # Safety
/// Called from the signal handler with its arguments.
unsafe fn forward(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let Some(previous) = PREVIOUS.get() else {
        return;
    };
    let Some(i) = FAULT_SIGNALS.iter().position(|&s| s == signal) else {
        return;
    };
    let action = previous[i];
    match action.sa_sigaction {
        libc::SIG_DFL | libc::SIG_IGN => {
            // Restore it and return: the faulting instruction runs again and gets the default
            // action (usually termination with a core dump), as it would have without us.
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
        f if action.sa_flags & libc::SA_SIGINFO != 0 => {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(f);
            f(signal, info, context);
        }
        f => {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(f);
            f(signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_out_of_a_guarded_call_unregisters_it() {
        let watchdog = Watchdog {
            code: 0..0,
            timeout: Duration::from_millis(1),
        };
        let outcome = std::panic::catch_unwind(|| {
            guarded(0, Some(&watchdog), |_| panic!("a callback panicked"))
        });
        assert!(outcome.is_err());
        assert!(CURRENT.with(Cell::get).is_null());
        // The watchdog was deleted with the registration: nothing fires into a dead record.
        std::thread::sleep(Duration::from_millis(20));
    }
}
