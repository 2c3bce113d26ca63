/* Choosing the hardware backend at run time, from CPUID. */
#include "host/host.h"
#include "host/vcpu.h"
#include "host/x86.h"

const struct vcpu_backend *vcpu_hw;

struct vcpu_state *vcpu_state(struct vcpu *v)
{
	return (struct vcpu_state *)v;	/* each backend's vcpu starts with it */
}

void vcpu_select(void)
{
	static const struct vcpu_backend *const backends[] = {
		&vmx_backend, &svm_backend,
	};
	const char *why[ARRAY_SIZE(backends)];

	for (unsigned int i = 0; i < ARRAY_SIZE(backends); i++) {
		const struct vcpu_backend *b = backends[i];

		why[i] = "?";
		if (!b->probe(&why[i]))
			continue;
		if (!b->enable(&why[i]))
			continue;
		vcpu_hw = b;
		printk("using %s", b->name);
		return;
	}
	fatal(EXIT_NO_VIRT, "no usable hardware virtualization: VT-x: %s; AMD-V: %s",
	      why[0], why[1]);
}
