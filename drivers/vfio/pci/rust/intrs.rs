// SPDX-License-Identifier: GPL-2.0

//! `VFIO_DEVICE_SET_IRQS`: interrupt delivery to the user, what `vfio_pci_intrs.c` does in C.
//!
//! INTx, MSI and MSI-X are delivered by signalling the user's eventfds from the device's
//! interrupt handlers. The error (ERR) and device-request (REQ) "interrupts" are eventfds the
//! driver signals itself.
//!
//! Locks, outermost first: `igate` ([`IrqState`]); the `memory_lock`, write side, while vectors
//! are allocated, requested and freed with memory decode forced on (MSI-X programs its table in
//! a BAR; [`with_memory_on`] takes the proof [`IgateHeld`] that `igate` is held); the spinlock of the INTx state ([`IntxShared`]), taken in interrupt context too,
//! with interrupts off. Eventfds are never signalled with the INTx spinlock held: a user may
//! pass one eventfd as both the trigger and the unmask eventfd, whose wake-up takes the lock.

#![forbid(unsafe_code)]

use crate::{
    memory::MemoryWrite,
    pci_core::Device, //
};
use core::marker::PhantomData;
use kernel::{
    device::Bound,
    devres::Devres,
    eventfd::EventFd,
    irq::{
        Flags,
        IrqReturn, //
    },
    new_spinlock,
    new_spinlock_irq,
    pci::{
        self,
        passthrough::irq::{
            BypassProducer,
            Handler,
            IrqLine,
            MsiKind,
            Registration,
            Vectors, //
        },
    },
    prelude::*,
    str::CString,
    sync::{
        aref::ARef,
        Arc,
        MutexGuard,
        SpinLock,
        SpinLockIrq, //
    },
    uapi,
    vfio::virqfd::{
        VirqFd,
        VirqHandler, //
    },
};

// CAST: The `pci_regs.h` constants used here are small, generated as `u32`.
const PCI_COMMAND: u16 = uapi::PCI_COMMAND as u16;
const PCI_COMMAND_MEMORY: u16 = uapi::PCI_COMMAND_MEMORY as u16;

/// The interrupt state of a device, behind [`crate::pci_core::CoreDevice::igate`] (C's `igate`).
///
/// `VFIO_DEVICE_SET_IRQS` takes `igate` alone; config space writes that touch interrupts (the
/// INTx disable bit, the MSI flags) take it inside the `open` mutex; the runtime PM callbacks
/// take it alone. Vector setup takes the `memory_lock` inside it.
///
/// The fields config space virtualization reads and writes ([`crate::config`]) are public to
/// the crate.
#[derive(Default)]
pub(crate) struct IrqState {
    /// Whether INTx is masked through the command register (PCI 2.3); latched at open.
    pub(crate) pci_2_3: bool,
    /// Whether INTx is hidden from the user (broken INTx); latched at open.
    nointx: bool,
    /// The log2 of the number of MSI vectors enabled (C: `msi_qmax`).
    pub(crate) msi_qmax: u32,
    /// The virtual INTx disable bit of the command register, as last acted upon (C:
    /// `virq_disabled`).
    pub(crate) virq_disabled: bool,
    /// Whether runtime suspend masked INTx, to unmask at resume (C: `pm_intx_masked`).
    pm_intx_masked: bool,
    /// What is enabled (C: `irq_type` and the `ctx` xarray).
    mode: Mode,
}

/// Proof that `igate` is held, valid as long as the borrow `'a` of its guard: only
/// [`IrqState::split`] makes one, from the guard itself. Functions that take the `memory_lock`
/// while interrupts are set up ask for it ([`with_memory_on`]), so that the lock order
/// (`igate`, then `memory_lock`) is checked by the compiler rather than by a comment.
#[derive(Clone, Copy)]
pub(crate) struct IgateHeld<'a>(PhantomData<&'a mut IrqState>);

impl IrqState {
    /// Splits the guard of `igate` into the state it protects and the proof that it is held,
    /// both for as long as the guard is borrowed.
    pub(crate) fn split<'a>(
        guard: &'a mut MutexGuard<'_, IrqState>,
    ) -> (&'a mut IrqState, IgateHeld<'a>) {
        (&mut **guard, IgateHeld(PhantomData))
    }
}

/// The interrupt type enabled, with its vectors and handlers.
#[derive(Default)]
enum Mode {
    /// Nothing enabled.
    #[default]
    None,
    /// INTx.
    Intx(Intx),
    /// MSI or MSI-X.
    Msi(Msi),
}

/// Enabled INTx. Fields drop in order: the unmask eventfd's handler, then the interrupt.
struct Intx {
    /// The handler of the unmask eventfd, if the user gave one.
    unmask: Option<VirqFd<IntxUnmask>>,
    /// The interrupt handler on the function's INTx line.
    _reg: Devres<Registration<IntxHandler>>,
    /// What the handlers share.
    shared: Arc<IntxShared>,
}

/// The INTx state shared by the interrupt handler, the unmask eventfd's handler and `igate`
/// holders (C: `irqlock` and the INTx `vfio_pci_irq_ctx`).
#[pin_data]
struct IntxShared {
    /// The function.
    pdev: ARef<pci::Device>,
    /// Its INTx line.
    line: IrqLine,
    /// Whether INTx is masked through the command register, else at the interrupt controller.
    pci_2_3: bool,
    /// Taken in interrupt context too.
    #[pin]
    state: SpinLockIrq<IntxInner>,
}

/// The fields of [`IntxShared`] under its spinlock.
struct IntxInner {
    /// Whether INTx is masked (by the handler, by the user, or through the INTx disable bit).
    masked: bool,
    /// A copy of [`IrqState::virq_disabled`], written with `igate` held too.
    virq_disabled: bool,
    /// The user's eventfd; taken out (a new reference) to be signalled outside the lock.
    trigger: Option<Arc<EventFd>>,
}

impl IntxInner {
    /// The eventfd to signal for an interrupt, unless the INTx disable bit is set; a new
    /// reference, to be signalled after the lock is dropped.
    fn armed_trigger(&self) -> Option<Arc<EventFd>> {
        if self.virq_disabled {
            None
        } else {
            self.trigger.clone()
        }
    }
}

impl IntxShared {
    /// Signals the user's eventfd unless the INTx disable bit is set (C:
    /// `vfio_send_intx_eventfd`).
    fn send(&self) {
        let trigger = self.state.lock().armed_trigger();
        if let Some(t) = trigger {
            t.signal();
        }
    }

    /// Masks INTx; returns whether it was unmasked (C: `__vfio_pci_intx_mask`).
    fn mask(&self) -> bool {
        let mut s = self.state.lock();
        if s.masked {
            return false;
        }
        if self.pci_2_3 {
            self.pdev.intx_set(false);
        } else {
            self.line.disable_nosync();
        }
        s.masked = true;
        true
    }

    /// Unmasks INTx unless the INTx disable bit is set; returns `true` if the function
    /// asserts INTx already, in which case it stays masked and the user must be signalled
    /// instead (C: `vfio_pci_intx_unmask_handler`). Callable in atomic context.
    fn unmask_locked(&self) -> bool {
        let mut s = self.state.lock();
        let mut pending = false;
        if s.masked && !s.virq_disabled {
            if self.pci_2_3 {
                pending = !self.pdev.check_and_unmask_intx();
            } else {
                self.line.enable();
            }
            s.masked = pending;
        }
        pending
    }

    /// Unmasks INTx, signalling the user if an interrupt is pending (C:
    /// `__vfio_pci_intx_unmask`). One hold of the lock: the eventfd to signal, if any, is taken
    /// out with the unmask and signalled after.
    fn unmask(&self) {
        let trigger = {
            let mut s = self.state.lock();
            if !s.masked || s.virq_disabled {
                return;
            }
            let pending = if self.pci_2_3 {
                !self.pdev.check_and_unmask_intx()
            } else {
                self.line.enable();
                false
            };
            s.masked = pending;
            if pending {
                s.trigger.clone()
            } else {
                None
            }
        };
        if let Some(t) = trigger {
            t.signal();
        }
    }

    /// Sets the copy of the INTx disable bit.
    fn set_virq_disabled(&self, disabled: bool) {
        self.state.lock().virq_disabled = disabled;
    }

    /// Replaces the user's eventfd; the old one is released outside the lock.
    fn set_trigger(&self, trigger: Option<EventFd>) -> Result {
        let new = match trigger {
            Some(t) => Some(Arc::new(t, GFP_KERNEL)?),
            None => None,
        };
        let old = core::mem::replace(&mut self.state.lock().trigger, new);
        drop(old);
        Ok(())
    }
}

/// The INTx interrupt handler (C: `vfio_intx_handler`).
struct IntxHandler(Arc<IntxShared>);

impl Handler for IntxHandler {
    fn handle(&self, _line: IrqLine) -> IrqReturn {
        let shared = &*self.0;
        // One hold of the lock: mask, and take out the eventfd to signal after (what `send`
        // does, without taking the lock again).
        let trigger = {
            let mut s = shared.state.lock();
            if !shared.pci_2_3 {
                // An exclusive line: ours, masked at the controller until the user unmasks.
                shared.line.disable_nosync();
            } else if s.masked || !shared.pdev.check_and_mask_intx() {
                // A shared line, and not this function (or already masked).
                return IrqReturn::None;
            }
            s.masked = true;
            s.armed_trigger()
        };
        if let Some(t) = trigger {
            t.signal();
        }
        IrqReturn::Handled
    }
}

/// The handler of the INTx unmask eventfd: unmasks in the eventfd's wake-up, and signals the
/// user from process context if an interrupt is pending (it cannot from the wake-up, which
/// may be that of the very eventfd).
struct IntxUnmask(Arc<IntxShared>);

impl VirqHandler for IntxUnmask {
    fn handler(&self) -> bool {
        self.0.unmask_locked()
    }

    fn thread(&self) {
        self.0.send();
    }
}

/// Enabled MSI or MSI-X. Fields drop in order: the handlers, then the vectors.
struct Msi {
    /// Each vector the user gave an eventfd, by vector.
    ctx: KVec<Option<MsiCtx>>,
    /// The vectors.
    vectors: Devres<Vectors>,
    /// MSI or MSI-X.
    kind: MsiKind,
}

/// An MSI or MSI-X vector the user gave an eventfd (C: `vfio_pci_irq_ctx`). Fields drop in
/// order: the bypass producer goes before the interrupt handler, as C unregisters it before
/// `free_irq`.
struct MsiCtx {
    /// The vector offered to KVM for the same eventfd, unless registering it failed (which C
    /// only reports, too).
    bypass: Option<Pin<KBox<BypassProducer>>>,
    /// The interrupt handler.
    reg: Devres<Registration<MsiHandler>>,
}

/// The handler of an MSI or MSI-X vector: signals the user's eventfd (C: `vfio_msihandler`).
struct MsiHandler {
    /// Shared with the bypass producer, which is keyed by it.
    trigger: Arc<EventFd>,
}

impl Handler for MsiHandler {
    fn handle(&self, _line: IrqLine) -> IrqReturn {
        self.trigger.signal();
        IrqReturn::Handled
    }
}

impl IrqState {
    /// Sets the state up for a device being opened.
    pub(crate) fn open(&mut self, pci_2_3: bool, nointx: bool) {
        *self = Self {
            pci_2_3,
            nointx,
            ..Self::default()
        };
    }

    /// Returns whether INTx delivery is enabled (C: `irq_type == VFIO_PCI_INTX_IRQ_INDEX`).
    pub(crate) fn is_intx(&self) -> bool {
        matches!(self.mode, Mode::Intx(_))
    }

    /// Returns whether MSI delivery is enabled (C: `irq_type == VFIO_PCI_MSI_IRQ_INDEX`).
    pub(crate) fn is_msi(&self) -> bool {
        matches!(&self.mode, Mode::Msi(m) if m.kind == MsiKind::Msi)
    }

    /// Returns whether the enabled type is that of `index`.
    fn is(&self, index: u32) -> bool {
        match &self.mode {
            Mode::None => false,
            Mode::Intx(_) => index == uapi::VFIO_PCI_INTX_IRQ_INDEX,
            Mode::Msi(m) => index == msi_index(m.kind),
        }
    }

    /// Acts on a change of the virtual INTx disable bit (C: `vfio_pci_intx_mask` and
    /// `vfio_pci_intx_unmask` as config space calls them).
    ///
    /// While INTx delivery is enabled, the bit masks and unmasks it. Otherwise the device's bit
    /// follows the user's, if the device masks INTx through the command register (PCI 2.3).
    pub(crate) fn intx_disable_changed(&mut self, pdev: &pci::Device<Bound>, disable: bool) {
        self.virq_disabled = disable;
        if let Mode::Intx(intx) = &self.mode {
            intx.shared.set_virq_disabled(disable);
            if disable {
                intx.shared.mask();
            } else {
                intx.shared.unmask();
            }
        } else if self.pci_2_3 {
            pdev.intx(!disable);
        }
    }

    /// The device is about to be runtime suspended: masks INTx if enabled and unmasked (C:
    /// `vfio_pci_core_runtime_suspend`), to unmask at resume.
    pub(crate) fn runtime_suspend(&mut self) {
        self.pm_intx_masked = match &self.mode {
            Mode::Intx(intx) => intx.shared.mask(),
            _ => false,
        };
    }

    /// The device was runtime resumed: unmasks INTx if runtime suspend masked it.
    pub(crate) fn runtime_resume(&mut self) {
        if core::mem::take(&mut self.pm_intx_masked) {
            if let Mode::Intx(intx) = &self.mode {
                intx.shared.unmask();
            }
        }
    }
}

/// Tears down every interrupt of a device being closed (C: `vfio_pci_set_irqs_ioctl` with
/// `DATA_NONE | ACTION_TRIGGER` and no vectors, first thing in `vfio_pci_core_disable`), and
/// resets the state.
pub(crate) fn close(dev: &Device, pdev: &pci::Device<Bound>, igate: &mut MutexGuard<'_, IrqState>) {
    let (irqs, held) = IrqState::split(igate);
    match core::mem::take(&mut irqs.mode) {
        Mode::None => (),
        Mode::Intx(intx) => drop(intx),
        Mode::Msi(msi) => msi_disable(dev, pdev, held, irqs, msi),
    }
    *irqs = IrqState::default();
}

/// The uapi index of MSI or MSI-X.
fn msi_index(kind: MsiKind) -> u32 {
    match kind {
        MsiKind::Msi => uapi::VFIO_PCI_MSI_IRQ_INDEX,
        MsiKind::Msix => uapi::VFIO_PCI_MSIX_IRQ_INDEX,
    }
}

/// Runs `f` with the write side of `memory_lock` held and memory decode forced on, restoring
/// the command register after (C: `vfio_pci_memory_lock_and_enable` and
/// `vfio_pci_memory_unlock_and_restore`): MSI-X vectors are programmed, masked and unmasked in
/// a BAR. Only with `igate` held (`_igate`): it comes first in the lock order.
fn with_memory_on<R>(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    _igate: IgateHeld<'_>,
    f: impl FnOnce() -> R,
) -> R {
    let _mem = dev.memory_write();
    let off = pdev
        .user_read_config::<u16>(PCI_COMMAND)
        .ok()
        .filter(|cmd| cmd & PCI_COMMAND_MEMORY == 0);
    if let Some(cmd) = off {
        let _ = pdev.user_write_config::<u16>(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
    }
    let r = f();
    if let Some(cmd) = off {
        let _ = pdev.user_write_config::<u16>(PCI_COMMAND, cmd);
    }
    r
}

/// Reads the `i`th `i32` of `data` (an eventfd array).
fn fd_at(data: &[u8], i: usize) -> Result<i32> {
    data.get(i * 4..i * 4 + 4)
        .and_then(|b| b.try_into().ok())
        .map(i32::from_ne_bytes)
        .ok_or(EINVAL)
}

/// Returns the `i`th bool of `data`.
fn bool_at(data: &[u8], i: usize) -> bool {
    data.get(i).is_some_and(|&b| b != 0)
}

/// Whether a `DATA_NONE` or `DATA_BOOL` request acts on element `i`: always with no data, with a
/// boolean only if it is true.
fn asserted(flags: u32, data: &[u8], i: usize) -> bool {
    flags & uapi::VFIO_IRQ_SET_DATA_NONE != 0
        || (flags & uapi::VFIO_IRQ_SET_DATA_BOOL != 0 && bool_at(data, i))
}

/// Enables INTx with `trigger` (C: `vfio_intx_enable`).
fn intx_enable(
    pdev: &pci::Device<Bound>,
    irqs: &mut IrqState,
    trigger: Option<EventFd>,
) -> Result {
    let line = pdev.intx_line().ok_or(ENODEV)?;
    let name = CString::try_from_fmt(fmt!("vfio-intx({})", pdev.as_ref().name()))?;
    let trigger = match trigger {
        Some(t) => Some(Arc::new(t, GFP_KERNEL)?),
        None => None,
    };
    // Start masked if the user disabled INTx in the command register. With PCI 2.3 masking the
    // line may be shared, and the device's own disable bit says whether it is masked; without,
    // the line must be ours alone, masked at the controller, and then starts disabled.
    let masked = irqs.virq_disabled;
    let virq_disabled = irqs.virq_disabled;
    let pci_2_3 = irqs.pci_2_3;
    let flags = if pci_2_3 {
        pdev.intx(!masked);
        Flags::SHARED
    } else if masked {
        Flags::NO_AUTOEN
    } else {
        Flags::TRIGGER_NONE
    };
    let shared = Arc::pin_init(
        pin_init!(IntxShared {
            pdev: pdev.into(),
            line,
            pci_2_3,
            state <- new_spinlock_irq!(IntxInner {
                masked,
                virq_disabled,
                trigger,
            }),
        }),
        GFP_KERNEL,
    )?;
    let reg = Registration::new(
        pdev.as_ref(),
        line,
        flags,
        name,
        !pci_2_3,
        IntxHandler(shared.clone()),
    )?;
    irqs.mode = Mode::Intx(Intx {
        unmask: None,
        _reg: reg,
        shared,
    });
    Ok(())
}

/// `ACTION_TRIGGER` on the INTx index (C: `vfio_pci_set_intx_trigger`).
fn set_intx_trigger(
    pdev: &pci::Device<Bound>,
    irqs: &mut IrqState,
    start: u32,
    count: u32,
    flags: u32,
    data: &[u8],
) -> Result {
    if irqs.is_intx() && count == 0 && flags & uapi::VFIO_IRQ_SET_DATA_NONE != 0 {
        irqs.mode = Mode::None;
        return Ok(());
    }
    if !(irqs.is_intx() || matches!(irqs.mode, Mode::None)) || start != 0 || count != 1 {
        return Err(EINVAL);
    }
    if flags & uapi::VFIO_IRQ_SET_DATA_EVENTFD != 0 {
        let fd = fd_at(data, 0)?;
        let trigger = if fd >= 0 {
            Some(EventFd::from_fd(fd)?)
        } else {
            None
        };
        return match &irqs.mode {
            Mode::Intx(intx) => intx.shared.set_trigger(trigger),
            _ => intx_enable(pdev, irqs, trigger),
        };
    }
    let Mode::Intx(intx) = &irqs.mode else {
        return Err(EINVAL);
    };
    if asserted(flags, data, 0) {
        intx.shared.send();
    }
    Ok(())
}

/// `ACTION_MASK` on the INTx index (C: `vfio_pci_set_intx_mask`).
fn set_intx_mask(irqs: &mut IrqState, start: u32, count: u32, flags: u32, data: &[u8]) -> Result {
    let Mode::Intx(intx) = &irqs.mode else {
        return Err(EINVAL);
    };
    if start != 0 || count != 1 {
        return Err(EINVAL);
    }
    if asserted(flags, data, 0) {
        intx.shared.mask();
    } else if flags & uapi::VFIO_IRQ_SET_DATA_EVENTFD != 0 {
        // Masking through an eventfd is not offered (by the C driver either).
        return Err(ENOTTY);
    }
    Ok(())
}

/// `ACTION_UNMASK` on the INTx index (C: `vfio_pci_set_intx_unmask`), also through an eventfd.
fn set_intx_unmask(
    irqs: &mut IrqState,
    start: u32,
    count: u32,
    flags: u32,
    data: &[u8],
) -> Result {
    let Mode::Intx(intx) = &mut irqs.mode else {
        return Err(EINVAL);
    };
    if start != 0 || count != 1 {
        return Err(EINVAL);
    }
    if asserted(flags, data, 0) {
        intx.shared.unmask();
    } else if flags & uapi::VFIO_IRQ_SET_DATA_EVENTFD != 0 {
        let fd = fd_at(data, 0)?;
        if fd >= 0 {
            // One unmask eventfd at a time, as the VFIO core's `vfio_virqfd_enable`; one the
            // user closed has detached itself and makes room (dropped first: that flushes it).
            if intx.unmask.as_ref().is_some_and(VirqFd::is_attached) {
                return Err(EBUSY);
            }
            intx.unmask = None;
            intx.unmask = Some(VirqFd::new(fd, IntxUnmask(intx.shared.clone()))?);
        } else {
            intx.unmask = None;
        }
    }
    Ok(())
}

/// Enables MSI or MSI-X with `nvec` vectors (C: `vfio_msi_enable`). `Ok(Some(n))` if the
/// function has only `n < nvec`: nothing is enabled then, and the user is told `n`.
fn msi_enable(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    igate: IgateHeld<'_>,
    irqs: &mut IrqState,
    nvec: u32,
    kind: MsiKind,
) -> Result<Option<u32>> {
    let vectors = with_memory_on(dev, pdev, igate, || -> Result<_> {
        let vectors = Vectors::alloc(pdev, kind, nvec)?;
        let got = vectors.access(pdev.as_ref())?.count();
        if got < nvec {
            drop(vectors);
            return Ok(Err(got));
        }
        Ok(Ok(vectors))
    })?;
    let vectors = match vectors {
        Ok(v) => v,
        Err(got) => return Ok(Some(got)),
    };
    irqs.mode = Mode::Msi(Msi {
        ctx: KVec::new(),
        vectors,
        kind,
    });
    if kind == MsiKind::Msi {
        // The Multiple Message Enable the user may see: log2 of the vectors, rounded up.
        irqs.msi_qmax = (nvec * 2 - 1).ilog2();
    }
    Ok(None)
}

/// Sets, replaces or clears (`fd < 0`) the eventfd of vector `vector` (C:
/// `vfio_msi_set_vector_signal`). The vector stays allocated until MSI is disabled.
fn msi_set_vector(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    igate: IgateHeld<'_>,
    msi: &mut Msi,
    vector: u32,
    fd: i32,
) -> Result {
    let idx = vector as usize;
    let mut line = None;
    if let Some(MsiCtx { bypass, reg }) = msi.ctx.get_mut(idx).and_then(Option::take) {
        drop(bypass);
        line = reg.access(pdev.as_ref()).ok().map(|r| r.line());
        // Freeing masks an MSI-X vector in the table.
        with_memory_on(dev, pdev, igate, || drop(reg));
    }
    if fd < 0 {
        return Ok(());
    }
    let vectors = msi.vectors.access(pdev.as_ref())?;
    let line = match line {
        Some(l) => l,
        None => match vectors.vector(vector) {
            Some(l) => l,
            None if msi.kind == MsiKind::Msix && pdev.msix_can_alloc_dyn() => {
                with_memory_on(dev, pdev, igate, || vectors.alloc_at(vector))?
            }
            None => return Err(EINVAL),
        },
    };
    let x = if msi.kind == MsiKind::Msix { "x" } else { "" };
    let name = CString::try_from_fmt(fmt!(
        "vfio-msi{}[{}]({})",
        x,
        vector,
        pdev.as_ref().name()
    ))?;
    let trigger = Arc::new(EventFd::from_fd(fd)?, GFP_KERNEL)?;
    while msi.ctx.len() <= idx {
        msi.ctx.push(None, GFP_KERNEL)?;
    }
    let reg = with_memory_on(dev, pdev, igate, || {
        // The device's copy of the message may have been lost (a reset behind our back)
        // since the vector was last used: write it again.
        if msi.kind == MsiKind::Msix {
            vectors.refresh_msg(line);
        }
        Registration::new(
            pdev.as_ref(),
            line,
            Flags::TRIGGER_NONE,
            name,
            false,
            MsiHandler {
                trigger: trigger.clone(),
            },
        )
    })?;
    let bypass = KBox::pin_init(BypassProducer::new(trigger, line), GFP_KERNEL)
        .inspect_err(|e| {
            dev_info!(
                pdev.as_ref(),
                "irq bypass producer (vector {}) registration fails: {}\n",
                vector,
                e.to_errno()
            )
        })
        .ok();
    msi.ctx[idx] = Some(MsiCtx { bypass, reg });
    Ok(())
}

/// Sets the eventfds of `count` vectors from `start` (`fds`, or none: clear them), clearing
/// them all again if one fails (C: `vfio_msi_set_block`).
fn msi_set_block(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    igate: IgateHeld<'_>,
    msi: &mut Msi,
    start: u32,
    count: u32,
    fds: Option<&[u8]>,
) -> Result {
    let mut done = start;
    let mut res = Ok(());
    for i in 0..count {
        let fd = match fds {
            Some(d) => fd_at(d, i as usize)?,
            None => -1,
        };
        done = start + i + 1;
        res = msi_set_vector(dev, pdev, igate, msi, start + i, fd);
        if res.is_err() {
            break;
        }
    }
    if res.is_err() {
        for v in start..done {
            let _ = msi_set_vector(dev, pdev, igate, msi, v, -1);
        }
    }
    res
}

/// Disables MSI or MSI-X (C: `vfio_msi_disable`): frees every handler, then the vectors, with
/// memory decode on.
fn msi_disable(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    igate: IgateHeld<'_>,
    irqs: &mut IrqState,
    mut msi: Msi,
) {
    for slot in msi.ctx.iter_mut() {
        if let Some(MsiCtx { bypass, reg }) = slot.take() {
            drop(bypass);
            with_memory_on(dev, pdev, igate, || drop(reg));
        }
    }
    let Msi { ctx, vectors, .. } = msi;
    drop(ctx);
    with_memory_on(dev, pdev, igate, || drop(vectors));
    // Disabling MSI clears the INTx disable bit: set it again for a device whose INTx is
    // hidden.
    if irqs.nointx {
        pdev.intx(false);
    }
    irqs.mode = Mode::None;
}

/// `ACTION_TRIGGER` on the MSI or MSI-X index (C: `vfio_pci_set_msi_trigger`).
#[expect(clippy::too_many_arguments, reason = "the fields of `struct vfio_irq_set`")]
fn set_msi_trigger(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    igate: IgateHeld<'_>,
    irqs: &mut IrqState,
    index: u32,
    start: u32,
    count: u32,
    flags: u32,
    data: &[u8],
) -> Result<isize> {
    let kind = if index == uapi::VFIO_PCI_MSIX_IRQ_INDEX {
        MsiKind::Msix
    } else {
        MsiKind::Msi
    };
    let this = irqs.is(index);
    if this && count == 0 && flags & uapi::VFIO_IRQ_SET_DATA_NONE != 0 {
        if let Mode::Msi(msi) = core::mem::take(&mut irqs.mode) {
            msi_disable(dev, pdev, igate, irqs, msi);
        }
        return Ok(0);
    }
    if !(this || matches!(irqs.mode, Mode::None)) {
        return Err(EINVAL);
    }
    if flags & uapi::VFIO_IRQ_SET_DATA_EVENTFD != 0 {
        if !this {
            if let Some(got) = msi_enable(dev, pdev, igate, irqs, start + count, kind)? {
                // CAST: At most 2048.
                return Ok(got as isize);
            }
        }
        let Mode::Msi(msi) = &mut irqs.mode else {
            return Err(EINVAL);
        };
        let res = msi_set_block(dev, pdev, igate, msi, start, count, Some(data));
        if res.is_err() && !this {
            if let Mode::Msi(msi) = core::mem::take(&mut irqs.mode) {
                msi_disable(dev, pdev, igate, irqs, msi);
            }
        }
        return res.map(|()| 0);
    }
    let Mode::Msi(msi) = &irqs.mode else {
        return Err(EINVAL);
    };
    for i in 0..count {
        let Some(Some(MsiCtx { reg, .. })) = msi.ctx.get((start + i) as usize) else {
            continue;
        };
        if asserted(flags, data, i as usize) {
            reg.access(pdev.as_ref())?.handler().trigger.signal();
        }
    }
    Ok(0)
}

/// The eventfds the driver signals itself: errors (ERR) and device requests (REQ).
///
/// Behind a spinlock of their own, not `igate`: signalling happens from the PCI error handler
/// and from the VFIO core's unbind path, which must never wait for a `VFIO_DEVICE_SET_IRQS` in
/// progress (C 7.3 uses RCU for the same reason). The lock is held only to signal or to swap an
/// eventfd; a replaced eventfd is released after it is dropped.
#[pin_data]
pub(crate) struct Triggers {
    #[pin]
    inner: SpinLock<TriggerSlots>,
}

/// The two eventfds of [`Triggers`].
#[derive(Default)]
struct TriggerSlots {
    /// Signalled when the device reports an uncorrectable error.
    err: Option<EventFd>,
    /// Signalled when the driver asks the user to release the device (unbind).
    req: Option<EventFd>,
}

/// Which of the [`Triggers`].
#[derive(Clone, Copy)]
pub(crate) enum Trigger {
    /// The error eventfd (`VFIO_PCI_ERR_IRQ_INDEX`).
    Err,
    /// The request eventfd (`VFIO_PCI_REQ_IRQ_INDEX`).
    Req,
}

impl Triggers {
    /// No eventfds.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock!(TriggerSlots::default()),
        })
    }

    /// Puts `efd` in the slot of `which`; the old one is released outside the lock.
    fn replace(&self, which: Trigger, efd: Option<EventFd>) {
        let old = {
            let mut slots = self.inner.lock();
            let slot = match which {
                Trigger::Err => &mut slots.err,
                Trigger::Req => &mut slots.req,
            };
            core::mem::replace(slot, efd)
        };
        drop(old);
    }

    /// Signals the eventfd of `which`; returns whether there is one.
    pub(crate) fn signal(&self, which: Trigger) -> bool {
        let slots = self.inner.lock();
        let slot = match which {
            Trigger::Err => &slots.err,
            Trigger::Req => &slots.req,
        };
        match slot {
            Some(efd) => {
                efd.signal();
                true
            }
            None => false,
        }
    }

    /// Returns whether `which` has an eventfd.
    fn is_set(&self, which: Trigger) -> bool {
        let slots = self.inner.lock();
        match which {
            Trigger::Err => slots.err.is_some(),
            Trigger::Req => slots.req.is_some(),
        }
    }

    /// Drops both eventfds: the device is closed.
    pub(crate) fn release(&self) {
        self.replace(Trigger::Err, None);
        self.replace(Trigger::Req, None);
    }
}

/// C's `vfio_pci_set_ctx_trigger_single`: set, clear or fire a single eventfd.
fn set_ctx_trigger_single(
    triggers: &Triggers,
    which: Trigger,
    count: u32,
    flags: u32,
    data: &[u8],
) -> Result {
    if flags & uapi::VFIO_IRQ_SET_DATA_NONE != 0 {
        // DATA_NONE (and DATA_BOOL) allow loopback testing.
        if !triggers.is_set(which) {
            return Err(EINVAL);
        }
        if count != 0 {
            triggers.signal(which);
        } else {
            triggers.replace(which, None);
        }
        Ok(())
    } else if flags & uapi::VFIO_IRQ_SET_DATA_BOOL != 0 {
        if count == 0 {
            return Err(EINVAL);
        }
        if data.first().is_some_and(|&b| b != 0) {
            triggers.signal(which);
        }
        Ok(())
    } else if flags & uapi::VFIO_IRQ_SET_DATA_EVENTFD != 0 {
        if count == 0 {
            return Err(EINVAL);
        }
        let fd = data
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_ne_bytes)
            .ok_or(EINVAL)?;
        match fd {
            -1 => {
                triggers.replace(which, None);
                Ok(())
            }
            fd if fd >= 0 => {
                triggers.replace(which, Some(EventFd::from_fd(fd)?));
                Ok(())
            }
            _ => Err(EINVAL),
        }
    } else {
        Err(EINVAL)
    }
}

/// Carries out a validated `VFIO_DEVICE_SET_IRQS`: C's `vfio_pci_set_irqs_ioctl`, with `igate`
/// held (`igate`). Returns what the ioctl returns: 0, or the number of vectors the function
/// has when MSI or MSI-X cannot be enabled with as many as asked.
#[expect(clippy::too_many_arguments, reason = "the fields of `struct vfio_irq_set`")]
pub(crate) fn set_irqs(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    igate: &mut MutexGuard<'_, IrqState>,
    flags: u32,
    index: u32,
    start: u32,
    count: u32,
    data: &[u8],
) -> Result<isize> {
    let (irqs, held) = IrqState::split(igate);
    let action = flags & uapi::VFIO_IRQ_SET_ACTION_TYPE_MASK;
    let trigger = action == uapi::VFIO_IRQ_SET_ACTION_TRIGGER;
    match index {
        uapi::VFIO_PCI_INTX_IRQ_INDEX => match action {
            uapi::VFIO_IRQ_SET_ACTION_MASK => set_intx_mask(irqs, start, count, flags, data),
            uapi::VFIO_IRQ_SET_ACTION_UNMASK => set_intx_unmask(irqs, start, count, flags, data),
            _ if trigger => set_intx_trigger(pdev, irqs, start, count, flags, data),
            _ => Err(ENOTTY),
        }
        .map(|()| 0),
        uapi::VFIO_PCI_MSI_IRQ_INDEX | uapi::VFIO_PCI_MSIX_IRQ_INDEX if trigger => {
            set_msi_trigger(dev, pdev, held, irqs, index, start, count, flags, data)
        }
        uapi::VFIO_PCI_ERR_IRQ_INDEX if trigger => {
            if start != 0 || count > 1 {
                return Err(EINVAL);
            }
            set_ctx_trigger_single(&dev.triggers, Trigger::Err, count, flags, data).map(|()| 0)
        }
        uapi::VFIO_PCI_REQ_IRQ_INDEX if trigger => {
            if start != 0 || count > 1 {
                return Err(EINVAL);
            }
            set_ctx_trigger_single(&dev.triggers, Trigger::Req, count, flags, data).map(|()| 0)
        }
        // Masking MSI/MSI-X vectors is not offered (by the C driver either).
        _ => Err(ENOTTY),
    }
}

/// The PCI core's error recovery reports an error of the device: C's
/// `vfio_pci_core_aer_err_detected`. The user hears of it through the ERR eventfd, if it set
/// one, and recovers the device itself (it may reset it through `VFIO_DEVICE_RESET`); the PCI
/// core is asked for nothing more.
///
/// Never waits for `igate`, as [`request`].
pub(crate) fn error_detected(dev: &Device) -> pci::ErsResult {
    dev.triggers.signal(Trigger::Err);
    pci::ErsResult::CanRecover
}

/// The VFIO core asks the user to release the device: C's `vfio_pci_core_request`.
///
/// Never waits for `igate`: unbind must not depend on a `VFIO_DEVICE_SET_IRQS` in progress.
pub(crate) fn request(dev: &Device, pdev: &pci::Device<kernel::device::Bound>, count: u32) {
    if dev.triggers.signal(Trigger::Req) {
        if count % 10 == 0 {
            dev_notice!(
                pdev.as_ref(),
                "Relaying device request to user (#{})\n",
                count
            );
        }
    } else if count == 0 {
        dev_warn!(
            pdev.as_ref(),
            "No device request channel registered, blocked until released by user\n"
        );
    }
}
