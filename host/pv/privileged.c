/*
 * The toolstack's hypercalls, which Xen refuses a PV domU (Xen: common
 * domctl.c and sysctl.c, XSM's dummy policy): the argument is read first
 * (-EFAULT if it cannot be), its interface version checked (-EACCES), and
 * then XSM says no: -EPERM (for a domctl on DOMID_SELF too, measured on
 * Xen 4.17). Xen's order, so a guest probing for a toolstack learns what
 * it would.
 */
#define __XEN_TOOLS__		/* domctl.h and sysctl.h are the toolstack's ABI */
#include "host/pv/pv.h"

#include <xen/domctl.h>
#include <xen/sysctl.h>

long do_domctl(uint64_t arg)
{
	static struct xen_domctl op;

	if (copy_from_guest(&op, arg, sizeof(op)))
		return -EFAULT;
	if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
		return -EACCES;
	return -EPERM;
}

long do_sysctl(uint64_t arg)
{
	static struct xen_sysctl op;

	if (copy_from_guest(&op, arg, sizeof(op)))
		return -EFAULT;
	if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
		return -EACCES;
	return -EPERM;
}
