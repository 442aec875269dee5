// SPDX-License-Identifier: GPL-2.0

//! A kernel read-write semaphore.
//!
//! C header: [`include/linux/rwsem.h`](srctree/include/linux/rwsem.h)
//!
//! [`RwSemaphore`] exposes the kernel's `struct rw_semaphore`: any number of
//! readers, or one writer, may hold it; both sides sleep while waiting. The
//! protected data is reached only through a guard: a [`ReadGuard`] gives
//! shared access, a [`WriteGuard`] exclusive access. Functions that must run
//! with the write side held take a `&mut WriteGuard` (or `&WriteGuard`) as
//! proof, instead of asserting it at run time.

use crate::{
    prelude::*,
    str::CStr,
    sync::LockClassKey,
    types::{
        NotThreadSafe,
        Opaque, //
    },
};
use core::{
    cell::UnsafeCell,
    marker::PhantomPinned,
    ops::{
        Deref,
        DerefMut, //
    },
};

/// Creates a [`RwSemaphore`] initialiser with the given name and a newly-created lock class.
///
/// It uses the name if one is given, otherwise it generates one based on the file name and line
/// number.
#[macro_export]
macro_rules! new_rwsem {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::sync::RwSemaphore::new(
            $inner, $crate::optional_name!($($name)?), $crate::static_lock_class!())
    };
}
pub use new_rwsem;

/// A read-write semaphore protecting data of type `T`.
///
/// A task must not take the read side while it already holds it: `down_read` waits behind a
/// writer that is queued, and that writer waits for the first read side to be released, so a
/// second [`read`](Self::read) in one task can deadlock (lockdep reports it as recursive
/// locking). Pass the [`ReadGuard`] down instead, or use [`try_read`](Self::try_read), which
/// never waits.
///
/// # Examples
///
/// ```
/// use kernel::sync::{new_rwsem, RwSemaphore};
///
/// #[pin_data]
/// struct Counter {
///     #[pin]
///     value: RwSemaphore<u32>,
/// }
///
/// let c = KBox::pin_init(pin_init!(Counter { value <- new_rwsem!(1) }), GFP_KERNEL)?;
/// {
///     let r = c.value.read();
///     assert_eq!(*r, 1);
///     // Readers exclude writers.
///     assert!(c.value.try_write().is_none());
/// }
/// *c.value.write() += 1;
/// let w = c.value.write();
/// assert_eq!(*w, 2);
/// // A writer excludes everyone else.
/// assert!(c.value.try_read().is_none());
/// drop(w);
/// assert_eq!(*c.value.read(), 2);
/// # Ok::<(), Error>(())
/// ```
///
/// A write side can become a read side without letting another writer in between:
///
/// ```
/// use kernel::sync::new_rwsem;
///
/// let v = KBox::pin_init(new_rwsem!(KVec::<u32>::new()), GFP_KERNEL)?;
/// let mut w = v.write();
/// w.push(7, GFP_KERNEL)?;
/// let r = w.downgrade();
/// assert_eq!(r[..], [7]);
/// assert!(v.try_write().is_none());
/// drop(r);
/// assert!(v.try_write().is_some());
/// # Ok::<(), Error>(())
/// ```
///
/// Functions that need the write side held take the guard as proof:
///
/// ```
/// use kernel::sync::{new_rwsem, WriteGuard};
///
/// fn reset(state: &mut WriteGuard<'_, u32>) {
///     **state = 0;
/// }
///
/// let s = KBox::pin_init(new_rwsem!(5), GFP_KERNEL)?;
/// reset(&mut s.write());
/// assert_eq!(*s.read(), 0);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `inner` is an initialised `struct rw_semaphore`; `data` is only accessed through a guard that
/// holds the matching side of `inner`.
#[pin_data]
pub struct RwSemaphore<T: ?Sized> {
    /// The C semaphore.
    #[pin]
    inner: Opaque<bindings::rw_semaphore>,

    /// `struct rw_semaphore` keeps a list of waiters that point into it: it must not move.
    #[pin]
    _pin: PhantomPinned,

    /// The protected data.
    data: UnsafeCell<T>,
}

// SAFETY: The semaphore can be moved to another thread together with its data if the data can.
unsafe impl<T: ?Sized + Send> Send for RwSemaphore<T> {}

// SAFETY: Writers get `&mut T` from any thread (so `T: Send`), readers share `&T` across threads
// (so `T: Sync`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwSemaphore<T> {}

impl<T> RwSemaphore<T> {
    /// Constructs a new read-write semaphore; use [`new_rwsem!`] to get a lock class.
    pub fn new(t: T, name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            data: UnsafeCell::new(t),
            _pin: PhantomPinned,
            // SAFETY: `slot` is valid for writes while the closure runs; `name` and `key` are
            // static, as `__init_rwsem` requires for lockdep.
            inner <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_rwsem(slot, name.as_char_ptr(), key.as_ptr())
            }),
        })
    }
}

impl<T: ?Sized> RwSemaphore<T> {
    /// Acquires the read side, sleeping until no writer holds or waits for it.
    pub fn read(&self) -> ReadGuard<'_, T> {
        // SAFETY: `inner` is initialised, by the type invariants.
        unsafe { bindings::down_read(self.inner.get()) };
        // INVARIANT: The read side was acquired just above.
        ReadGuard {
            lock: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Tries to acquire the read side without sleeping.
    pub fn try_read(&self) -> Option<ReadGuard<'_, T>> {
        // SAFETY: `inner` is initialised, by the type invariants.
        if unsafe { bindings::down_read_trylock(self.inner.get()) } == 0 {
            return None;
        }
        // INVARIANT: The read side was acquired just above.
        Some(ReadGuard {
            lock: self,
            _not_send: NotThreadSafe,
        })
    }

    /// Acquires the write side, sleeping until no one else holds the semaphore.
    pub fn write(&self) -> WriteGuard<'_, T> {
        // SAFETY: `inner` is initialised, by the type invariants.
        unsafe { bindings::down_write(self.inner.get()) };
        // INVARIANT: The write side was acquired just above.
        WriteGuard {
            lock: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Tries to acquire the write side without sleeping.
    pub fn try_write(&self) -> Option<WriteGuard<'_, T>> {
        // SAFETY: `inner` is initialised, by the type invariants.
        if unsafe { bindings::down_write_trylock(self.inner.get()) } == 0 {
            return None;
        }
        // INVARIANT: The write side was acquired just above.
        Some(WriteGuard {
            lock: self,
            _not_send: NotThreadSafe,
        })
    }

    /// Returns a mutable reference to the data, which needs no locking: `&mut self` excludes
    /// every other user.
    pub fn get_mut(self: Pin<&mut Self>) -> &mut T {
        // SAFETY: `data` is not structurally pinned, and `&mut self` is exclusive.
        unsafe { &mut *self.get_unchecked_mut().data.get() }
    }
}

/// Shared access to the data of a [`RwSemaphore`]; releases the read side when dropped.
///
/// # Invariants
///
/// The read side of `lock` is held by this guard.
#[must_use = "the read side is released at once if the guard is not kept"]
pub struct ReadGuard<'a, T: ?Sized> {
    lock: &'a RwSemaphore<T>,
    /// `up_read` must run on the task that called `down_read` (lockdep tracks the owner).
    _not_send: NotThreadSafe,
}

impl<T: ?Sized> ReadGuard<'_, T> {
    /// Returns the semaphore this guard holds, to check that it is the expected one.
    pub fn lock_ref(&self) -> &RwSemaphore<T> {
        self.lock
    }
}

impl<T: ?Sized> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The read side is held (type invariant): no `&mut T` exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: The read side is held by this guard (type invariant), on this task.
        unsafe { bindings::up_read(self.lock.inner.get()) };
    }
}

/// Exclusive access to the data of a [`RwSemaphore`]; releases the write side when dropped.
///
/// # Invariants
///
/// The write side of `lock` is held by this guard.
#[must_use = "the write side is released at once if the guard is not kept"]
pub struct WriteGuard<'a, T: ?Sized> {
    lock: &'a RwSemaphore<T>,
    /// `up_write` must run on the task that called `down_write`.
    _not_send: NotThreadSafe,
}

impl<'a, T: ?Sized> WriteGuard<'a, T> {
    /// Returns the semaphore this guard holds, to check that it is the expected one.
    pub fn lock_ref(&self) -> &'a RwSemaphore<T> {
        self.lock
    }

    /// Turns the write side into a read side without letting another writer in between.
    pub fn downgrade(self) -> ReadGuard<'a, T> {
        let lock = self.lock;
        core::mem::forget(self);
        // SAFETY: The write side was held by the guard just forgotten; `downgrade_write` turns it
        // into a read side, which the new guard now owns.
        unsafe { bindings::downgrade_write(lock.inner.get()) };
        // INVARIANT: `downgrade_write` left the read side held.
        ReadGuard {
            lock,
            _not_send: NotThreadSafe,
        }
    }
}

impl<T: ?Sized> Deref for WriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The write side is held (type invariant).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: The write side is held (type invariant): this is the only access to the data.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: The write side is held by this guard (type invariant), on this task.
        unsafe { bindings::up_write(self.lock.inner.get()) };
    }
}
