//! The one counting global allocator of the tests and benches: per thread (tests run in
//! parallel and must not count each other), it counts allocations and tracks live bytes, their
//! peak and the largest single allocation. Include it with
//! `#[path = "support/alloc.rs"] mod alloc;` — it installs itself as the global allocator.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// `try_with`: the thread-locals may already be gone while a thread shuts down.
fn grew(size: usize) {
    let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
    let _ = LIVE.try_with(|l| {
        l.set(l.get() + size as i64);
        let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
    });
    let _ = LARGEST.try_with(|m| m.set(m.get().max(size)));
}

fn shrank(size: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get() - size as i64));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// bookkeeping touches only thread-local counters and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        shrank(layout.size());
        grew(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (including reallocations) made on this thread so far.
pub fn allocations() -> u64 {
    ALLOCS.with(Cell::get)
}

/// `f`'s result and the allocations it made on this thread.
pub fn count<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = allocations();
    let r = f();
    (r, allocations() - before)
}

/// `f`'s result, the peak of live bytes above the start, and the largest single allocation,
/// on this thread.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, u64, u64) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    LARGEST.with(|m| m.set(0));
    let r = f();
    let peak = PEAK.with(Cell::get) - start;
    (r, peak.max(0) as u64, LARGEST.with(Cell::get) as u64)
}
