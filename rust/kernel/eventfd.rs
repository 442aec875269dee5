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
/// The reference keeps the context alive after userspace closes the file descriptor; it is
/// dropped with the `EventFd`.
///
/// # Examples
///
/// A driver keeps the eventfd a user handed in (for instance through an ioctl) and signals it
/// later; a descriptor that is not open is refused with `EBADF`:
///
/// ```
/// use kernel::eventfd::EventFd;
///
/// struct Notifier {
///     trigger: Option<EventFd>,
/// }
///
/// impl Notifier {
///     fn set_trigger(&mut self, fd: i32) -> Result {
///         // -1 means "no eventfd", as in the VFIO interrupt ioctls.
///         self.trigger = if fd < 0 { None } else { Some(EventFd::from_fd(fd)?) };
///         Ok(())
///     }
///
///     fn notify(&self) {
///         if let Some(t) = &self.trigger {
///             t.signal();
///         }
///     }
/// }
///
/// let mut n = Notifier { trigger: None };
/// n.set_trigger(-1)?;
/// n.notify();
/// // No task can have a descriptor this high open: the limit is far lower.
/// assert_eq!(n.set_trigger(i32::MAX), Err(EBADF));
/// assert!(n.trigger.is_none());
/// # Ok::<(), Error>(())
/// ```
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

    /// Returns the C context, for the C code that keys objects by eventfd (it must not outlive
    /// `self`).
    pub fn as_raw(&self) -> *mut bindings::eventfd_ctx {
        self.ctx.as_ptr()
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
