/*
 * set_debugreg/get_debugreg: the debug registers a PV kernel manages
 * through Xen 4.17. Xen refuses breakpoints on its own addresses and the
 * bits the guest may not set; DR6 and DR7 read back with the bits that
 * are architecturally one; DR4/DR5 alias DR6/DR7 (CR4.DE is clear).
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"

#define DR6_ONES	0xffff0ff0ul	/* reserved bits that read as one */
#define DR6_BS		(1ul << 14)
#define DR7_ONES	0x400ul
#define DR7_GD		(1ul << 13)

static long set(int reg, unsigned long value)
{
	return hypercall_raw(__HYPERVISOR_set_debugreg, (unsigned long)reg, value);
}

static unsigned long get(int reg)
{
	return (unsigned long)hypercall_raw(__HYPERVISOR_get_debugreg, (unsigned long)reg, 0);
}

KTEST(debugreg, reset_values)
{
	KT_ASSERT_EQ(set(6, 0), 0, "set DR6 = 0");
	KT_ASSERT_EQ(set(7, 0), 0, "set DR7 = 0");
	for (int r = 0; r < 4; r++)
		KT_ASSERT_EQ(get(r), 0, "DR0-3 at boot");
	KT_ASSERT_EQ(get(6), DR6_ONES, "DR6 after writing 0");
	KT_ASSERT_EQ(get(7), DR7_ONES, "DR7 after writing 0");
	KT_ASSERT_EQ(get(4), DR6_ONES, "DR4 (aliases DR6)");
	KT_ASSERT_EQ(get(5), DR7_ONES, "DR5 (aliases DR7)");
	KT_ASSERT_EQ(get(8), -XEN_ENODEV, "get_debugreg(8)");
}

KTEST(debugreg, dr6_status_bits)
{
	KT_ASSERT_EQ(set(6, 1), 0, "set DR6 = B0");
	KT_ASSERT_EQ(get(6), DR6_ONES | 1, "DR6 with B0");
	KT_ASSERT_EQ(set(6, DR6_BS | 1), 0, "set DR6 = BS | B0");
	KT_ASSERT_EQ(get(6), DR6_ONES | DR6_BS | 1, "DR6 with BS and B0");
	/* The upper half is reserved: refused, not masked. */
	KT_ASSERT_EQ(set(6, ~0ul), -XEN_EINVAL, "set DR6 = ~0");
	KT_ASSERT_EQ(set(6, 0), 0, "set DR6 = 0");
	KT_ASSERT_EQ(get(6), DR6_ONES, "DR6 cleared");
}

KTEST(debugreg, breakpoint_addresses)
{
	KT_ASSERT_EQ(set(0, 0xffffffff80001000ul), 0, "DR0 = a kernel address");
	KT_ASSERT_EQ(get(0), 0xffffffff80001000ul, "DR0 read back");
	KT_ASSERT_EQ(set(0, HYPERVISOR_VIRT_START), -XEN_EPERM, "DR0 = Xen's own address");
	KT_ASSERT_EQ(get(0), 0xffffffff80001000ul, "DR0 unchanged by the refusal");
	KT_ASSERT_EQ(set(0, 0), 0, "DR0 = 0");
}

KTEST(debugreg, dr7)
{
	/* An execution breakpoint on address 0: armed, never reached. */
	KT_ASSERT_EQ(set(0, 0), 0, "DR0 = 0");
	KT_ASSERT_EQ(set(7, 1), 0, "DR7 = L0");
	KT_ASSERT_EQ(get(7), DR7_ONES | 1, "DR7 with L0");
	KT_ASSERT_EQ(set(7, DR7_GD), -XEN_EPERM, "DR7 = GD");
	KT_ASSERT_EQ(set(7, 0), 0, "DR7 = 0");
	KT_ASSERT_EQ(get(7), DR7_ONES, "DR7 cleared");
}

KTEST(debugreg, alias_and_range)
{
	KT_ASSERT_EQ(set(4, 0), 0, "set DR4");
	KT_ASSERT_EQ(set(5, DR7_ONES), 0, "set DR5");
	KT_ASSERT_EQ(set(8, 0), -XEN_ENODEV, "set_debugreg(8)");
}
