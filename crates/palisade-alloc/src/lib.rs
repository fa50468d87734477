//! Palisade's allocator settings. The `palisade` crate forbids `unsafe`; the
//! one call into mimalloc's C API it needs lives here, alone.

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t, mi_version};

/// `mi_option_purge_delay` in `mimalloc.h`. The Rust bindings do not name it;
/// its position in the C enum is fixed for the mimalloc release below, which
/// the test checks, so an upgrade cannot silently set another option.
const PURGE_DELAY: mi_option_t = 15;

/// The mimalloc release `PURGE_DELAY` was read from (3.3.2), as `mi_version()`
/// reports it. With another release nothing is set.
const MIMALLOC_VERSION: i32 = 30302;

/// Keep the memory the process frees for its own later allocations instead of
/// handing it back to the operating system a second later (mimalloc's
/// default purge delay).
///
/// A scan is short-lived and allocates in waves (a batch of syntax trees, its
/// evaluation, then the report): memory returned between two waves must be
/// faulted in and zeroed again by the kernel for the next. Without purging a
/// whole-corpus scan takes about 600 page faults instead of 8,000 to 20,000,
/// and about 6 % less CPU time (see docs/performance.md).
pub fn keep_freed_memory() {
    if mimalloc_version() != MIMALLOC_VERSION {
        return;
    }
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table;
    // any thread may call it at any time, and -1 is a documented value
    // ("no purging at all").
    unsafe { mi_option_set(PURGE_DELAY, -1) }
}

/// The purge delay in force, in milliseconds (-1: never). A test of the
/// `palisade` crate checks that [`keep_freed_memory`] sets it: after an
/// upgrade of mimalloc, re-read the position of `mi_option_purge_delay` in its
/// `mimalloc.h` and update both constants.
pub fn purge_delay() -> i64 {
    // SAFETY: reads an integer from mimalloc's option table.
    i64::from(unsafe { mi_option_get(PURGE_DELAY) })
}

fn mimalloc_version() -> i32 {
    // SAFETY: returns a constant.
    unsafe { mi_version() }
}
