//! The few threads a compile uses: scoped helper threads, started per compile.
//!
//! Not rayon's pool: a compile that waits for pool workers deadlocks when all of them are
//! themselves waiting for it (say, blocked on the `OnceLock` of the embedded rules while
//! another thread compiles them). A compile needs one or two helpers for a few
//! milliseconds, and starting a thread costs tens of microseconds.

use std::sync::{Mutex, OnceLock};

/// How many threads a compile may run at once: the machine's parallelism, read once.
pub fn available() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `a` on this thread and `b` on a helper thread, side by side, and returns both
/// results. Without a second core, or if no thread can be started, `b` runs here after `a`.
/// A panic in either is resumed here.
pub fn join<A, B>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B)
where
    B: Send,
{
    if available() < 2 {
        let ra = a();
        return (ra, b());
    }
    // `b` is handed over through a slot, so that it is still here if the thread never starts.
    let slot = Mutex::new(Some(b));
    let take = || slot.lock().unwrap_or_else(|e| e.into_inner()).take();
    std::thread::scope(|s| {
        let helper = std::thread::Builder::new().spawn_scoped(s, || take().map(|b| b()));
        let ra = a();
        let rb = match helper.map(|h| h.join()) {
            Ok(Ok(Some(rb))) => rb,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // The thread did not start (or started after `b` was taken back, which cannot
            // happen: it is taken back only when the thread did not start).
            Ok(Ok(None)) | Err(_) => take().expect("`b` not yet run")(),
        };
        (ra, rb)
    })
}

/// Runs `work` on this thread and on up to `helpers` helper threads at once, and returns
/// when all are done. `work` shares its tasks out itself (each call takes tasks until none
/// is left), so helpers that cannot be started are simply missing.
pub fn share(helpers: usize, work: &(impl Fn() + Sync)) {
    let helpers = helpers.min(available().saturating_sub(1));
    if helpers == 0 {
        work();
        return;
    }
    std::thread::scope(|s| {
        for _ in 0..helpers {
            if std::thread::Builder::new().spawn_scoped(s, work).is_err() {
                break;
            }
        }
        work();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn join_returns_both_results() {
        let data = [1, 2, 3];
        let (a, b) = join(|| data.iter().sum::<i32>(), || data.len());
        assert_eq!((a, b), (6, 3));
    }

    #[test]
    fn share_does_every_task_once() {
        let next = AtomicUsize::new(0);
        let done: Vec<AtomicUsize> = (0..100).map(|_| AtomicUsize::new(0)).collect();
        share(3, &|| {
            while let Some(d) = done.get(next.fetch_add(1, Ordering::Relaxed)) {
                d.fetch_add(1, Ordering::Relaxed);
            }
        });
        assert!(done.iter().all(|d| d.load(Ordering::Relaxed) == 1));
    }

    /// The reason these are not rayon's workers: here every worker of rayon's global pool
    /// waits for a compile that this (non-pool) thread runs. A compile waiting for those
    /// workers would never finish.
    #[test]
    fn a_compile_does_not_wait_for_busy_rayon_workers() {
        use crate::dsl::testkit::{fake_env, generate_rules, with_prelude, FakeIr, Priorities};
        static RULES: OnceLock<usize> = OnceLock::new();
        let text = generate_rules(1, 300, Priorities::Levels(4));
        let waiting = std::sync::Arc::new(AtomicUsize::new(0));
        let count = RULES.get_or_init(|| {
            for _ in 0..rayon::current_num_threads() {
                let waiting = waiting.clone();
                rayon::spawn(move || {
                    waiting.fetch_add(1, Ordering::SeqCst);
                    assert!(*RULES.wait() > 0);
                });
            }
            while waiting.load(Ordering::SeqCst) < rayon::current_num_threads() {
                std::thread::yield_now();
            }
            let sources = with_prelude("t.rules", &text);
            let prog = crate::dsl::compile(sources, fake_env::<FakeIr>()).expect("compiles");
            prog.rule_count()
        });
        assert!(*count > 300);
    }

    #[test]
    fn a_helpers_panic_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| join(|| 1, || -> i32 { panic!("in the helper") }));
        assert!(r.is_err());
    }
}
