// SPDX-License-Identifier: GPL-2.0

//! Eventfd-triggered handlers (`struct virqfd`): run driver code when
//! userspace, or KVM, signals an eventfd.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)
//!
//! The VFIO core waits on the eventfd; when it is signalled, the
//! [`VirqHandler::handler`] runs in the waker's (atomic) context and may ask
//! for [`VirqHandler::thread`] to run in process context instead.

use crate::{
    bindings,
    error::to_result,
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    types::Opaque, //
};
use core::marker::PhantomPinned;

/// What to do when the eventfd of a [`VirqFd`] is signalled.
pub trait VirqHandler: Send + Sync + 'static {
    /// Runs in atomic context (the eventfd's wake-up); must not sleep. Returns `true` to have
    /// [`VirqHandler::thread`] run in process context.
    fn handler(&self) -> bool;

    /// Runs in process context when [`VirqHandler::handler`] asked for it; may sleep.
    fn thread(&self);
}

/// The heap part of a [`VirqFd`]: the C pointer slot must not move while the VFIO core may
/// clear it.
#[pin_data]
struct Inner<T> {
    /// Set by `vfio_virqfd_enable`, cleared by the VFIO core when the eventfd goes away: written
    /// by C, hence `Opaque`.
    virqfd: Opaque<*mut bindings::virqfd>,
    data: T,
    #[pin]
    _pin: PhantomPinned,
}

/// A handler attached to an eventfd; detached (and flushed) when dropped.
///
/// # Invariants
///
/// `inner.virqfd` was handed to `vfio_virqfd_enable` with `inner` as opaque data; until
/// `vfio_virqfd_disable` returns, the handlers may run with `&inner.data`.
pub struct VirqFd<T: VirqHandler> {
    inner: Pin<KBox<Inner<T>>>,
}

// SAFETY: The handlers only get `&T`, and `T: Send + Sync`.
unsafe impl<T: VirqHandler> Send for VirqFd<T> {}
// SAFETY: `&VirqFd` gives only `&T`.
unsafe impl<T: VirqHandler> Sync for VirqFd<T> {}

impl<T: VirqHandler> VirqFd<T> {
    /// Attaches `data`'s handlers to the eventfd open as `fd` in the current task.
    ///
    /// Fails with `EBADF` if `fd` is not open, `EINVAL` if it is not an eventfd.
    pub fn new(fd: i32, data: T) -> Result<Self> {
        let inner = KBox::pin_init(
            pin_init!(Inner {
                virqfd: Opaque::new(core::ptr::null_mut()),
                data,
                _pin: PhantomPinned,
            }),
            GFP_KERNEL,
        )?;
        let opaque: *const Inner<T> = &*inner;
        // SAFETY: `opaque` and the `virqfd` slot stay valid and pinned until `Drop` disables the
        // virqfd; the trampolines match the C prototypes.
        to_result(unsafe {
            bindings::vfio_virqfd_enable(
                opaque.cast_mut().cast(),
                Some(Self::handler),
                Some(Self::thread),
                core::ptr::null_mut(),
                inner.virqfd.get(),
                fd,
            )
        })?;
        // INVARIANT: Enabled above with `inner` as opaque data.
        Ok(Self { inner })
    }

    /// Returns the handler data.
    pub fn data(&self) -> &T {
        &self.inner.data
    }

    /// Returns whether the handlers are still attached to the eventfd.
    ///
    /// The VFIO core detaches them by itself when the eventfd is closed (its wait queue sees
    /// `EPOLLHUP`): by the time the last `close()` of the eventfd returns, this is `false`.
    /// Once `false`, it stays so. The object still has to be dropped, which waits for the
    /// detached handlers to be flushed.
    pub fn is_attached(&self) -> bool {
        // SAFETY: The slot is valid and pinned for the life of `self`. The VFIO core writes it
        // under its `virqfd_lock` with aligned pointer-sized stores only (the kernel's memory
        // model treats those as single-copy atomic), so this marked read does not tear. It may
        // see the slot just before the VFIO core clears it: the caller then sees an attached
        // handler that is going away, as the VFIO core's own check under its lock could.
        let slot = unsafe { Atomic::from_ptr(self.inner.virqfd.get()) };
        !slot.load(Relaxed).is_null()
    }

    /// # Safety
    ///
    /// `opaque` is the `Inner<T>` of a live `VirqFd<T>`.
    unsafe extern "C" fn handler(opaque: *mut c_void, _data: *mut c_void) -> c_int {
        // SAFETY: By the safety requirements, `opaque` is a live `Inner<T>`.
        let inner = unsafe { &*opaque.cast::<Inner<T>>() };
        c_int::from(inner.data.handler())
    }

    /// # Safety
    ///
    /// `opaque` is the `Inner<T>` of a live `VirqFd<T>`.
    unsafe extern "C" fn thread(opaque: *mut c_void, _data: *mut c_void) {
        // SAFETY: By the safety requirements, `opaque` is a live `Inner<T>`.
        let inner = unsafe { &*opaque.cast::<Inner<T>>() };
        inner.data.thread()
    }
}

impl<T: VirqHandler> Drop for VirqFd<T> {
    fn drop(&mut self) {
        // SAFETY: The slot is the one passed to `vfio_virqfd_enable`; disabling detaches and
        // flushes the handlers (type invariant), after which `inner` may be freed.
        unsafe { bindings::vfio_virqfd_disable(self.inner.virqfd.get()) };
    }
}
