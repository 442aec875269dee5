// SPDX-License-Identifier: GPL-2.0

//! Interrupts of a device handed to userspace: handlers registered and freed at
//! run time, INTx masked through the command register, MSI and MSI-X vectors
//! allocated while the user enables them, and grown one by one.
//!
//! C headers: [`include/linux/interrupt.h`](srctree/include/linux/interrupt.h),
//! [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! [`crate::irq::Registration`] and [`crate::pci::IrqVectorRegistration`]
//! borrow the bound device (`&'a Device<Bound>`): they fit a driver that
//! requests its interrupts at probe and keeps them until unbind. A
//! pass-through driver requests them when its user asks, keeps them in the
//! state of the open device (no lifetime to borrow from) and frees them when
//! the user says so or closes the device. The objects here are devres-backed
//! instead: [`Registration::new`] and [`Vectors::alloc`] return a [`Devres`],
//! which the owner drops whenever it likes; should the device be unbound
//! first, the driver core frees the interrupt at unbind, and the object left
//! behind is empty. (For VFIO the latter never happens: `remove` of a VFIO
//! driver unregisters the VFIO device, and `vfio_unregister_group_dev` waits,
//! asking the user through the `request` callback, until every file of the
//! device is closed, so that the open device's state, and the interrupts in
//! it, are gone before the driver core releases the device's resources.)
//!
//! Release order: devres releases in reverse order of allocation, so
//! registrations made on vectors are freed before the vectors; an owner that
//! drops them itself must do the same.

use super::super::Device;
use crate::{
    bindings,
    device::{
        self,
        Bound, //
    },
    devres::Devres,
    error::to_result,
    irq::{
        Flags,
        IrqReturn, //
    },
    prelude::*,
    str::CString,
    sync::aref::ARef, //
};
#[cfg(all(CONFIG_IRQ_BYPASS_MANAGER, not(CONFIG_IRQ_BYPASS_MANAGER = "m")))]
use crate::{
    eventfd::EventFd,
    sync::Arc,
    types::Opaque, //
};
use core::marker::PhantomPinned;

/// A Linux interrupt number the caller got from the PCI core: the INTx line of a function
/// ([`Device::intx_line`]) or one of its MSI/MSI-X vectors ([`Vectors::vector`]).
///
/// Operations on a line whose interrupt was freed in the meantime are harmless: the interrupt
/// core looks the number up and ignores it (or warns on an unbalanced enable).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IrqLine(u32);

impl IrqLine {
    /// Returns the Linux interrupt number.
    pub fn number(self) -> u32 {
        self.0
    }

    /// Disables the interrupt without waiting for running handlers (`disable_irq_nosync`);
    /// callable from the interrupt's own handler. Nests: as many [`Self::enable`] undo it.
    pub fn disable_nosync(self) {
        // SAFETY: Any number is accepted; one without a descriptor is ignored.
        unsafe { bindings::disable_irq_nosync(self.0) }
    }

    /// Undoes one [`Self::disable_nosync`] (`enable_irq`).
    pub fn enable(self) {
        // SAFETY: Any number is accepted; one without a descriptor is ignored.
        unsafe { bindings::enable_irq(self.0) }
    }

    /// Waits for the handlers running on other CPUs (`synchronize_irq`). May sleep.
    pub fn synchronize(self) {
        // SAFETY: Any number is accepted; one without a descriptor is ignored.
        unsafe { bindings::synchronize_irq(self.0) }
    }

    /// Sets or clears `IRQ_DISABLE_UNLAZY`: with it, a disable masks the interrupt at the chip
    /// at once, not at the next occurrence. Wanted for an exclusive level-triggered line
    /// masked from its handler.
    fn set_unlazy(self, on: bool) {
        // CAST: A small flag of the `irq_settings` enum.
        let flag = bindings::IRQ_DISABLE_UNLAZY as c_ulong;
        let (clr, set) = if on { (0, flag) } else { (flag, 0) };
        // SAFETY: Any number is accepted; one without a descriptor is ignored.
        unsafe { bindings::irq_modify_status(self.0, clr, set) }
    }
}

/// What runs when the interrupt of a [`Registration`] fires.
pub trait Handler: Send + Sync + 'static {
    /// The hard interrupt handler: interrupt context, must not sleep. `line` is the
    /// interrupt it runs for.
    fn handle(&self, line: IrqLine) -> IrqReturn;
}

/// A handler registered on an interrupt (`request_irq`), freed when dropped (`free_irq`, which
/// waits for the running handlers).
///
/// The name shown in `/proc/interrupts` is made at run time and kept here as long as the
/// registration. Obtained through [`Registration::new`] only, as a [`Devres`].
///
/// # Examples
///
/// A handler that signals an eventfd, requested on vector 0 of a function's MSI-X vectors and
/// kept in a driver's own state (no lifetime to borrow from), then freed before the vectors:
///
/// ```
/// use kernel::{
///     devres::Devres,
///     eventfd::EventFd,
///     irq::{Flags, IrqReturn},
///     pci::{self, passthrough::irq::{Handler, IrqLine, MsiKind, Registration, Vectors}},
///     prelude::*,
///     str::CString,
/// };
///
/// struct Signal(EventFd);
///
/// impl Handler for Signal {
///     fn handle(&self, _line: IrqLine) -> IrqReturn {
///         self.0.signal();
///         IrqReturn::Handled
///     }
/// }
///
/// /// Fields drop in order: the registration before the vectors.
/// struct State {
///     reg: Devres<Registration<Signal>>,
///     vectors: Devres<Vectors>,
/// }
///
/// # fn no_run(pdev: &pci::Device<kernel::device::Bound>, fd: i32) -> Result<State> {
/// let vectors = Vectors::alloc(pdev, MsiKind::Msix, 1)?;
/// let line = vectors.access(pdev.as_ref())?.vector(0).ok_or(EINVAL)?;
/// let name = CString::try_from_fmt(fmt!("demo[0]({})", pdev.as_ref().name()))?;
/// let reg = Registration::new(
///     pdev.as_ref(),
///     line,
///     Flags::TRIGGER_NONE,
///     name,
///     false,
///     Signal(EventFd::from_fd(fd)?),
/// )?;
/// Ok(State { reg, vectors })
/// # }
/// ```
///
/// # Invariants
///
/// `handler` is registered on `line` with a pointer to `self` as cookie and `name` as name,
/// until [`PinnedDrop`] frees it. If `unlazy`, `line` has `IRQ_DISABLE_UNLAZY` set.
#[pin_data(PinnedDrop)]
pub struct Registration<T: Handler> {
    line: IrqLine,
    name: CString,
    unlazy: bool,
    #[pin]
    handler: T,
    /// The cookie and the handler's address are handed to C.
    #[pin]
    _pin: PhantomPinned,
}

impl<T: Handler> Registration<T> {
    /// Requests `line` for `handler`, named `name`, with `flags` (for instance
    /// [`Flags::SHARED`], or [`Flags::NO_AUTOEN`] to start disabled).
    ///
    /// `unlazy` sets `IRQ_DISABLE_UNLAZY` on the line for as long as the registration: for a
    /// handler that masks an exclusive line with [`IrqLine::disable_nosync`].
    ///
    /// The handler may run before this returns. The registration is tied to `dev`'s binding:
    /// freed when dropped, or at unbind if that comes first.
    pub fn new(
        dev: &device::Device<Bound>,
        line: IrqLine,
        flags: Flags,
        name: CString,
        unlazy: bool,
        handler: T,
    ) -> Result<Devres<Self>> {
        let init = try_pin_init!(&this in Self {
            line,
            name,
            unlazy,
            handler,
            _pin: PhantomPinned,
            _: {
                // The name's buffer is on the heap: it stays put as long as `self`.
                let name_ptr = name.as_char_ptr();
                if *unlazy {
                    line.set_unlazy(true);
                }
                // SAFETY: The callback matches the C prototype and takes the cookie as a
                // `Self`; `this` is pinned and fully initialized, and it and the name stay
                // valid until `PinnedDrop` frees the interrupt, so the handler may run from
                // here on.
                let ret = unsafe {
                    bindings::request_threaded_irq(
                        line.0,
                        Some(Self::callback),
                        None,
                        flags.into_inner(),
                        name_ptr,
                        this.as_ptr().cast(),
                    )
                };
                if ret != 0 && *unlazy {
                    line.set_unlazy(false);
                }
                to_result(ret)?;
            },
        });
        // INVARIANT: Registered by the initializer above, which fails otherwise.
        Devres::new(dev, init)
    }

    /// Returns the line the handler is registered on.
    pub fn line(&self) -> IrqLine {
        self.line
    }

    /// Returns the handler.
    pub fn handler(&self) -> &T {
        &self.handler
    }

    /// # Safety
    ///
    /// Called by the interrupt core with the cookie of a live [`Registration<T>`].
    unsafe extern "C" fn callback(irq: c_int, cookie: *mut c_void) -> bindings::irqreturn_t {
        // SAFETY: The cookie is a `Self` that stays valid while the handler may run (type
        // invariant).
        let this = unsafe { &*cookie.cast::<Self>() };
        // CAST: Interrupt numbers are non-negative.
        let line = IrqLine(irq as u32);
        // CAST: `IrqReturn` is a `repr(u32)` of the C values.
        bindings::irqreturn_t(this.handler.handle(line) as c_uint)
    }
}

#[pinned_drop]
impl<T: Handler> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        let line = self.line;
        let unlazy = self.unlazy;
        // SAFETY: Only the address is taken, as the cookie given to `request_threaded_irq`.
        let cookie: *mut Self = unsafe { self.get_unchecked_mut() };
        // SAFETY: The handler is registered on `line` with this cookie (type invariant);
        // `free_irq` waits for running handlers, after which nothing refers to `self`.
        unsafe { bindings::free_irq(line.0, cookie.cast()) };
        if unlazy {
            line.set_unlazy(false);
        }
    }
}

/// The kind of message-signalled interrupts of [`Vectors`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MsiKind {
    /// MSI: up to 32 vectors, all allocated at once.
    Msi,
    /// MSI-X: up to 2048 vectors, which may grow one by one when the platform allows it.
    Msix,
}

/// The MSI or MSI-X vectors of a function (`pci_alloc_irq_vectors`), freed when dropped
/// (`pci_free_irq_vectors`), with every vector added later by [`Vectors::alloc_at`].
///
/// Every [`Registration`] on these vectors must be dropped first.
///
/// # Invariants
///
/// `pdev` has `count` vectors of kind `kind` allocated, owned by this object.
pub struct Vectors {
    pdev: ARef<Device>,
    kind: MsiKind,
    count: u32,
}

impl Vectors {
    /// Allocates between 1 and `max` vectors of `kind` for `pdev`, memory decode being on
    /// (MSI-X programs its table in a BAR).
    ///
    /// Succeeds with fewer than `max` if that is what the function has: see [`Self::count`].
    pub fn alloc(pdev: &Device<Bound>, kind: MsiKind, max: u32) -> Result<Devres<Self>> {
        let flags = match kind {
            MsiKind::Msi => bindings::PCI_IRQ_MSI,
            MsiKind::Msix => bindings::PCI_IRQ_MSIX,
        };
        // SAFETY: `pdev` is a valid, bound function; the C function checks the rest.
        let ret = unsafe { bindings::pci_alloc_irq_vectors(pdev.as_raw(), 1, max, flags) };
        to_result(ret)?;
        // INVARIANT: `ret` (at least 1) vectors were allocated and are owned from here on.
        let this = Self {
            pdev: pdev.into(),
            kind,
            // CAST: Non-negative, checked above.
            count: ret as u32,
        };
        // On failure, `this` is dropped and frees the vectors.
        Devres::new(pdev.as_ref(), this)
    }

    /// Returns how many vectors [`Self::alloc`] got.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Returns the kind of the vectors.
    pub fn kind(&self) -> MsiKind {
        self.kind
    }

    /// Returns the interrupt of vector `index`, `None` if it is not allocated (yet)
    /// (`pci_irq_vector`).
    pub fn vector(&self, index: u32) -> Option<IrqLine> {
        // SAFETY: `pdev` is valid, and has vectors allocated (type invariant).
        let irq = unsafe { bindings::pci_irq_vector(self.pdev.as_raw(), index) };
        // CAST: Positive, checked.
        (irq > 0).then_some(IrqLine(irq as u32))
    }

    /// Allocates MSI-X vector `index` while MSI-X is enabled (`pci_msix_alloc_irq_at`), with
    /// memory decode on; freed with the others. `ENOTSUPP`-like errors when the platform cannot
    /// grow MSI-X vectors (see [`Device::msix_can_alloc_dyn`]).
    pub fn alloc_at(&self, index: u32) -> Result<IrqLine> {
        if self.kind != MsiKind::Msix {
            return Err(EINVAL);
        }
        // SAFETY: `pdev` is valid and has MSI-X enabled (type invariant); no affinity.
        let map = unsafe {
            bindings::pci_msix_alloc_irq_at(self.pdev.as_raw(), index, core::ptr::null())
        };
        to_result(map.index)?;
        // CAST: A valid interrupt number when `index` is not an error.
        Ok(IrqLine(map.virq as u32))
    }

    /// Writes the message the interrupt core last composed for `line`, one of these vectors,
    /// back to the device (C: `get_cached_msi_msg` and `pci_write_msi_msg`): a reset behind the
    /// kernel's back may have cleared the device's copy. Memory decode must be on for MSI-X.
    pub fn refresh_msg(&self, line: IrqLine) {
        // SAFETY: The helper accepts any number and writes only to an MSI descriptor's device.
        unsafe { bindings::vfio_pci_refresh_msi_msg(line.0) }
    }
}

impl Drop for Vectors {
    fn drop(&mut self) {
        // SAFETY: The vectors are owned by `self` (type invariant).
        unsafe { bindings::pci_free_irq_vectors(self.pdev.as_raw()) }
    }
}

/// INTx, for pass-through: the line and its masking through the command register (PCI 2.3).
///
/// These do not need the device bound (config space is there as long as the device), so
/// interrupt handlers holding a plain reference may call them.
impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// Returns the INTx line of the function, `None` if it has none or it is not connected.
    pub fn intx_line(&self) -> Option<IrqLine> {
        let irq = self.irq();
        (irq != 0 && irq != super::IRQ_NOTCONNECTED).then_some(IrqLine(irq))
    }

    /// Sets or clears the command register's INTx disable bit (`pci_intx`); callable in any
    /// context.
    pub fn intx_set(&self, enable: bool) {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { bindings::pci_intx(self.as_raw(), enable.into()) }
    }

    /// If the function asserts INTx, masks it through the command register and returns `true`
    /// (`pci_check_and_mask_intx`); callable in any context.
    pub fn check_and_mask_intx(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { bindings::pci_check_and_mask_intx(self.as_raw()) }
    }

    /// Unmasks INTx through the command register unless the function asserts it, and returns
    /// whether it unmasked (`pci_check_and_unmask_intx`); callable in any context.
    pub fn check_and_unmask_intx(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { bindings::pci_check_and_unmask_intx(self.as_raw()) }
    }
}

/// An IRQ bypass producer (`struct irq_bypass_producer`): offers the interrupt `line`, whose
/// handler signals `eventfd`, to the consumer registered with the same eventfd, if any (KVM's
/// irqfd), so that the interrupt can reach a guest without going through the eventfd (posted
/// interrupts). Unregistered when dropped, which must happen before the line's handler is
/// freed, as a consumer may have reconfigured the line.
///
/// C header: [`include/linux/irqbypass.h`](srctree/include/linux/irqbypass.h)
///
/// The eventfd is only a key that pairs a producer with a consumer; holding a reference on it
/// keeps another eventfd from taking its address, and hence its consumer, while registered.
///
/// Needs the IRQ bypass manager built in (the kernel crate cannot call a module): a driver that
/// uses it selects it from a `bool` Kconfig symbol.
///
/// # Invariants
///
/// `producer` is registered with the context of `eventfd` and `line` until [`PinnedDrop`]
/// unregisters it.
#[cfg(all(CONFIG_IRQ_BYPASS_MANAGER, not(CONFIG_IRQ_BYPASS_MANAGER = "m")))]
#[pin_data(PinnedDrop)]
pub struct BypassProducer {
    #[pin]
    producer: Opaque<bindings::irq_bypass_producer>,
    eventfd: Arc<EventFd>,
    /// The manager keeps the producer's address in its table.
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The C object is used by the IRQ bypass manager under its own lock, and by `new` and
// `drop`, which may run on any thread; the eventfd reference may be dropped on any thread.
#[cfg(all(CONFIG_IRQ_BYPASS_MANAGER, not(CONFIG_IRQ_BYPASS_MANAGER = "m")))]
unsafe impl Send for BypassProducer {}

// SAFETY: A shared reference gives access to nothing.
#[cfg(all(CONFIG_IRQ_BYPASS_MANAGER, not(CONFIG_IRQ_BYPASS_MANAGER = "m")))]
unsafe impl Sync for BypassProducer {}

#[cfg(all(CONFIG_IRQ_BYPASS_MANAGER, not(CONFIG_IRQ_BYPASS_MANAGER = "m")))]
impl BypassProducer {
    /// Registers a producer of `line` keyed by `eventfd`; connects it to a consumer of the same
    /// eventfd at once if there is one. Fails (`EBUSY`) if `eventfd` has a producer already.
    pub fn new(eventfd: Arc<EventFd>, line: IrqLine) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // No eventfd, no consumer, no callbacks: the manager wants `eventfd` zero at
            // registration, and a zeroed `irq_bypass_producer` is valid.
            producer: Opaque::zeroed(),
            eventfd,
            _pin: PhantomPinned,
            _: {
                // SAFETY: The producer is pinned and initialized; it stays at this address
                // until `PinnedDrop` unregisters it. The eventfd context is alive as
                // long as `self` holds `eventfd`.
                to_result(unsafe {
                    bindings::irq_bypass_register_producer(
                        producer.get(),
                        eventfd.as_raw(),
                        // CAST: Interrupt numbers fit in a `c_int`.
                        line.number() as c_int,
                    )
                })?;
            },
        })
        // INVARIANT: Registered by the initializer above, which fails otherwise.
    }
}

#[cfg(all(CONFIG_IRQ_BYPASS_MANAGER, not(CONFIG_IRQ_BYPASS_MANAGER = "m")))]
#[pinned_drop]
impl PinnedDrop for BypassProducer {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The producer is registered (type invariant); after this the manager no longer
        // refers to it.
        unsafe { bindings::irq_bypass_unregister_producer(self.producer.get()) };
    }
}
