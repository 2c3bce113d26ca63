/*
 * HYPERVISOR_physdev_op: for a domU only the virtual IOPL matters
 * (Xen: arch/x86/physdev.c). Everything else needs real devices.
 */
#include "host/pv/pv.h"

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

long do_physdev_op(int cmd, uint64_t arg)
{
	switch (cmd) {
	case PHYSDEVOP_set_iopl: {
		struct physdev_set_iopl s;

		if (copy_from_guest(&s, arg, sizeof(s)))
			return -EFAULT;
		if (s.iopl > 3)
			return -EINVAL;
		dom.iopl = s.iopl << 12;
		return 0;
	}
	case PHYSDEVOP_set_iobitmap:
		return -EPERM;
	case PHYSDEVOP_prepare_msix:
	case PHYSDEVOP_release_msix: {
		/*
		 * XSA-87: Xen asks XSM for privilege before looking at the
		 * device. The initial domain passes and then finds no such
		 * device here: parahost passes no PCI devices through.
		 */
		struct physdev_pci_device dev;

		if (copy_from_guest(&dev, arg, sizeof(dev)))
			return -EFAULT;
		return dom.is_dom0 ? -ENODEV : -EPERM;
	}
	default:
		return -ENOSYS;
	}
}

/* HYPERVISOR_hvm_op from a PV domain: the parameter ops exist, for HVM only. */
long do_hvm_op(uint64_t op, uint64_t arg)
{
	struct xen_hvm_param p;

	switch (op) {
	case HVMOP_set_param:
	case HVMOP_get_param:
		if (copy_from_guest(&p, arg, sizeof(p)))
			return -EFAULT;
		if (p.domid != DOMID_SELF && p.domid != dom.domid)
			return -ESRCH;
		return -EINVAL;		/* not an HVM domain */
	default:
		return -ENOSYS;
	}
}
