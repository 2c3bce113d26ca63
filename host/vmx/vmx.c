/* The VT-x backend (placeholder until it is written; probe says why). */
#include "host/host.h"
#include "host/vcpu.h"
#include "host/x86.h"

static bool vmx_probe(const char **why)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(c & (1U << 5))) {
		*why = "CPUID reports no VMX";
		return false;
	}
	*why = "VT-x backend not implemented yet";
	return false;
}

const struct vcpu_backend vmx_backend = {
	.name = "Intel VT-x (VMX, EPT)",
	.probe = vmx_probe,
};
