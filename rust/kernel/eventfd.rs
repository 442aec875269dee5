// SPDX-License-Identifier: GPL-2.0

//! Eventfd contexts: counters userspace waits on, signalled by the kernel.
//!
//! C header: [`include/linux/eventfd.h`](srctree/include/linux/eventfd.h)

use crate::{
    bindings,
    error::from_err_ptr,
    prelude::*, //
};
use core::ptr::NonNull;

/// A reference to the context of an eventfd that userspace passed in.
///
/// # Invariants
///
/// `ctx` is a valid `struct eventfd_ctx` on which this object owns one reference.
pub struct EventFd {
    ctx: NonNull<bindings::eventfd_ctx>,
}

// SAFETY: An eventfd context may be signalled and released from any thread.
unsafe impl Send for EventFd {}
// SAFETY: `eventfd_signal` may be called concurrently.
unsafe impl Sync for EventFd {}

impl EventFd {
    /// Takes a reference to the context of the eventfd open as `fd` in the current task.
    ///
    /// Fails with `EBADF` if `fd` is not open and `EINVAL` if it is not an eventfd.
    pub fn from_fd(fd: i32) -> Result<Self> {
        // SAFETY: `eventfd_ctx_fdget` checks `fd` and returns a new reference or an error.
        let ctx = from_err_ptr(unsafe { bindings::eventfd_ctx_fdget(fd) })?;
        // INVARIANT: A new reference, owned from here on.
        NonNull::new(ctx).map(|ctx| Self { ctx }).ok_or(EINVAL)
    }

    /// Adds one to the counter and wakes up the waiters.
    pub fn signal(&self) {
        // SAFETY: `ctx` is valid (type invariant).
        unsafe { bindings::eventfd_signal_mask(self.ctx.as_ptr(), 0) }
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: The reference is owned by `self` (type invariant).
        unsafe { bindings::eventfd_ctx_put(self.ctx.as_ptr()) }
    }
}
