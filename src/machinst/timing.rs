//! Per-phase compile timing, for benchmarks and profiling.
//!
//! The pipeline is generic over a [`PhaseClock`]. The plain entry points pass `()`, whose
//! `time` only calls the closure, so the hooks compile away; [`PhaseTimes`] reads the clock
//! around each phase and adds up the durations.

use std::time::{Duration, Instant};

/// A compile phase whose time is charged separately.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    Verify,
    /// Lowering, the whole of it (rule matching included).
    Lower,
    /// The rule executor's share of [`Phase::Lower`]: match trees and the constructors they
    /// call, per IR instruction.
    Rules,
    Regalloc,
    /// Frame layout, prologue and epilogue, encoding and branch clean-up.
    Emit,
}

/// Where the time of a compile goes.
pub trait PhaseClock {
    /// Runs `f`, charging the time it takes to `phase`.
    fn time<T>(&mut self, phase: Phase, f: impl FnOnce(&mut Self) -> T) -> T;
}

/// No clock: the hooks cost nothing.
impl PhaseClock for () {
    #[inline(always)]
    fn time<T>(&mut self, _phase: Phase, f: impl FnOnce(&mut Self) -> T) -> T {
        f(self)
    }
}

/// Summed durations per phase. `rules` is part of `lower`; the others are disjoint.
#[derive(Clone, Copy, Default, Debug)]
pub struct PhaseTimes {
    pub verify: Duration,
    pub lower: Duration,
    pub rules: Duration,
    pub regalloc: Duration,
    pub emit: Duration,
}

impl PhaseClock for PhaseTimes {
    fn time<T>(&mut self, phase: Phase, f: impl FnOnce(&mut Self) -> T) -> T {
        let start = Instant::now();
        let out = f(self);
        let spent = start.elapsed();
        *match phase {
            Phase::Verify => &mut self.verify,
            Phase::Lower => &mut self.lower,
            Phase::Rules => &mut self.rules,
            Phase::Regalloc => &mut self.regalloc,
            Phase::Emit => &mut self.emit,
        } += spent;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_phases_are_charged_to_both() {
        let mut times = PhaseTimes::default();
        let v = times.time(Phase::Lower, |t| {
            t.time(Phase::Rules, |_| {
                std::thread::sleep(Duration::from_millis(2))
            });
            7
        });
        assert_eq!(v, 7);
        assert!(times.rules >= Duration::from_millis(2));
        assert!(times.lower >= times.rules);
        assert_eq!(times.emit, Duration::ZERO);
    }

    #[test]
    fn no_clock_just_runs() {
        assert_eq!(().time(Phase::Emit, |_| 3), 3);
    }
}
