//! Work accounting for tests: the parser and the canonicalizer add units of work (a name
//! resolved, a namespace binding examined, a node rendered) so that a test can assert, without
//! timing anything, that no input shape costs more per byte than a real response does.
//!
//! Outside `cfg(test)` [`add`] compiles to nothing.

#[cfg(test)]
thread_local! {
    static UNITS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Adds `n` units of work to this thread's counter (test builds only).
#[inline(always)]
pub(crate) fn add(n: usize) {
    #[cfg(test)]
    UNITS.with(|c| c.set(c.get().saturating_add(n as u64)));
    #[cfg(not(test))]
    let _ = n;
}

/// Returns this thread's counter and resets it.
#[cfg(test)]
pub(crate) fn take() -> u64 {
    UNITS.with(|c| c.replace(0))
}
