//! Heap figures: a global allocator that counts, while [`Measure`] is running, the allocations,
//! the bytes asked for and the peak of live bytes.
//!
//! Off, it costs one relaxed load per call, for both compilers alike; the timed compiles run
//! with it off. A measurement runs the compile on a fresh thread, so that neither compiler's
//! per-thread caches (rulesel's rule executor and regalloc2 context, a new Cranelift
//! `Context`) are already grown: the figures are those of a process compiling the input once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

/// The system allocator, counting when [`ON`] is set.
pub struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
static CALLS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Live bytes since the measurement started: negative when memory from before it is freed.
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

fn grew(bytes: usize) {
    CALLS.fetch_add(1, Relaxed);
    BYTES.fetch_add(bytes as u64, Relaxed);
    let live = LIVE.fetch_add(bytes as i64, Relaxed) + bytes as i64;
    PEAK.fetch_max(live, Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes as i64, Relaxed);
}

// SAFETY: every call goes to `System` unchanged; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && ON.load(Relaxed) {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() && ON.load(Relaxed) {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) };
        if ON.load(Relaxed) {
            shrank(layout.size());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract is passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && ON.load(Relaxed) {
            // A reallocation counts as a new block of the new size replacing the old one.
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

/// What one measured piece of work did to the heap.
#[derive(Clone, Copy, Default, Debug)]
pub struct HeapUse {
    /// Allocation calls (reallocations included).
    pub calls: u64,
    /// Bytes asked for by those calls.
    pub bytes: u64,
    /// The most bytes live at once above the level when the work started.
    pub peak: u64,
}

impl HeapUse {
    pub fn add(&mut self, other: &HeapUse) {
        self.calls += other.calls;
        self.bytes += other.bytes;
        self.peak += other.peak;
    }
}

/// Runs `work` on a fresh thread with the counters on (nothing else may run meanwhile).
pub fn measure<R: Send>(work: impl FnOnce() -> R + Send) -> (R, HeapUse) {
    std::thread::scope(|s| {
        s.spawn(|| {
            for c in [&CALLS, &BYTES] {
                c.store(0, Relaxed);
            }
            LIVE.store(0, Relaxed);
            PEAK.store(0, Relaxed);
            ON.store(true, Relaxed);
            let r = work();
            ON.store(false, Relaxed);
            let used = HeapUse {
                calls: CALLS.load(Relaxed),
                bytes: BYTES.load(Relaxed),
                peak: PEAK.load(Relaxed).max(0) as u64,
            };
            (r, used)
        })
        .join()
        .expect("a measured compile panicked")
    })
}
