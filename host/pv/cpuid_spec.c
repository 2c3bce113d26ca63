/*
 * What Xen 4.17 makes of the CPU's speculative-execution properties before
 * a guest sees anything (Xen: spec_ctrl.c's *_calculations, cpu-policy.c's
 * guest_common_default_feature_adjustments): the features it hides on an
 * affected CPU, and the MSR_ARCH_CAPS it offers every guest on Intel, made
 * of the CPU's own bits (if it has the MSR) and those Xen works out from the
 * model. parahost applies the same rules to the CPU it runs on.
 */
#include "host/pv/pv.h"

#include <pv_featuremask.h>

enum {
#define XEN_CPUFEATURE(name, value) X86_FEATURE_##name = value,
#include <xen/arch-x86/cpufeatureset.h>
#undef XEN_CPUFEATURE
};

#define MSR_ARCH_CAPS	0x10a
/* MSR_ARCH_CAPS is featureset words 16 (low half) and 17 (high half). */
#define CAP(name)	(1ULL << (X86_FEATURE_##name - 16 * 32))

static const uint32_t pv_mask[PV_FEATUREMASK_WORDS] = PV_FEATUREMASK_INIT;

struct host_cpu {
	bool intel, hypervisor, avx;
	unsigned int family, model;
	uint64_t caps;		/* the CPU's MSR_ARCH_CAPS, 0 without one */
};

static struct host_cpu host_cpu(void)
{
	struct host_cpu c = { 0 };
	uint32_t a, b, cx, d;

	cpuid(0, &a, &b, &cx, &d);
	c.intel = b == 0x756e6547;	/* "Genu" */
	cpuid(1, &a, &b, &cx, &d);
	c.family = (a >> 8) & 0xf;
	c.model = (a >> 4) & 0xf;
	if (c.family == 6 || c.family == 0xf)
		c.model |= ((a >> 16) & 0xf) << 4;
	if (c.family == 0xf)
		c.family += (a >> 20) & 0xff;
	c.hypervisor = cx & (1u << (X86_FEATURE_HYPERVISOR & 31));
	c.avx = cx & (1u << (X86_FEATURE_AVX & 31));
	cpuid_count(7, 0, &a, &b, &cx, &d);
	if (d & (1u << (X86_FEATURE_ARCH_CAPS & 31)))
		c.caps = rdmsr(MSR_ARCH_CAPS);
	return c;
}

/*
 * Gather Data Sampling (Xen's cpu_has_gds): the Core line from Skylake up
 * to, not including, Golden Cove. Unknown models count as affected only
 * under a hypervisor, which might be hiding anything.
 */
static bool gds_affected(const struct host_cpu *c)
{
	static const uint8_t models[] = {
		0x55, 0x6a, 0x6c, 0x7e, 0x8c, 0x8d, 0x8e, 0x9e, 0xa5, 0xa6, 0xa7,
	};

	if ((c->caps & CAP(GDS_NO)) || !c->intel || c->family != 6)
		return false;
	if (c->caps & CAP(GDS_CTRL))
		return true;
	if (!c->avx)
		return false;
	for (unsigned int i = 0; i < sizeof(models); i++)
		if (c->model == models[i])
			return true;
	return c->hypervisor;
}

/*
 * Xen's gds_calculations: microcode (GDS_CTRL) mitigates, and else Xen
 * disables AVX ("Mitigating GDS by disabling AVX"), so that no guest can
 * set XCR0.YMM and reach the VGATHER instructions.
 */
static bool gds_hides_avx(const struct host_cpu *c)
{
	return gds_affected(c) && !(c->caps & CAP(GDS_CTRL));
}

/* Everything that needs AVX goes with it (Xen's gen-cpuid.py deep dependencies). */
static const uint16_t avx_deps[] = {
	X86_FEATURE_AVX, X86_FEATURE_FMA, X86_FEATURE_F16C, X86_FEATURE_FMA4,
	X86_FEATURE_XOP, X86_FEATURE_AVX2, X86_FEATURE_VAES, X86_FEATURE_VPCLMULQDQ,
	X86_FEATURE_AVX_VNNI, X86_FEATURE_AVX512F, X86_FEATURE_AVX512DQ,
	X86_FEATURE_AVX512_IFMA, X86_FEATURE_AVX512PF, X86_FEATURE_AVX512ER,
	X86_FEATURE_AVX512CD, X86_FEATURE_AVX512BW, X86_FEATURE_AVX512VL,
	X86_FEATURE_AVX512_VBMI, X86_FEATURE_AVX512_VBMI2, X86_FEATURE_AVX512_VNNI,
	X86_FEATURE_AVX512_BITALG, X86_FEATURE_AVX512_VPOPCNTDQ,
	X86_FEATURE_AVX512_4VNNIW, X86_FEATURE_AVX512_4FMAPS,
	X86_FEATURE_AVX512_VP2INTERSECT, X86_FEATURE_AVX512_FP16, X86_FEATURE_AVX512_BF16,
};

static uint32_t hidden_in(const struct host_cpu *hc, unsigned int word)
{
	const struct host_cpu c = *hc;
	uint32_t m = 0;

	if (gds_hides_avx(&c))
		for (unsigned int i = 0; i < sizeof(avx_deps) / sizeof(avx_deps[0]); i++)
			if (avx_deps[i] >> 5 == word)
				m |= 1u << (avx_deps[i] & 31);
	/*
	 * The GDS microcode makes CLWB slow on Skylake-SP and its successors
	 * of the same model: Xen hides it from guests by default there.
	 */
	if (c.intel && c.family == 6 && c.model == 0x55 && word == X86_FEATURE_CLWB >> 5)
		m |= 1u << (X86_FEATURE_CLWB & 31);
	return m;
}

uint32_t pv_hidden_features(unsigned int word)
{
	static uint32_t hidden[PV_FEATUREMASK_WORDS];
	static bool known;		/* the CPU never changes: worked out once */

	if (!known) {
		struct host_cpu c = host_cpu();

		for (unsigned int w = 0; w < PV_FEATUREMASK_WORDS; w++)
			hidden[w] = hidden_in(&c, w);
		known = true;
	}
	return word < PV_FEATUREMASK_WORDS ? hidden[word] : 0;
}

/*
 * Xen's retpoline_calculations: may the RSB fall back to other predictors
 * when empty? eIBRS parts do (as RRSBA), so does anything that says RSBA;
 * a CPU with ARCH_CAPS that says neither does not; else the model decides:
 * everything from Skylake on does, the cores and Atoms before it do not.
 */
static uint64_t rsb_alternative(const struct host_cpu *c)
{
	static const uint8_t safe[] = {
		0x17, 0x1d, 0x1a, 0x1e, 0x1f, 0x2e, 0x25, 0x2c, 0x2f,	/* Penryn .. Westmere */
		0x2a, 0x2d, 0x3a, 0x3e, 0x3c, 0x3f, 0x45, 0x46,		/* Sandy .. Haswell */
		0x3d, 0x47, 0x4f, 0x56,					/* Broadwell */
		0x1c, 0x26, 0x27, 0x35, 0x36, 0x37, 0x4a, 0x4c, 0x4d,	/* Atoms */
		0x5a, 0x5d, 0x5c, 0x5f, 0x7a,
	};

	if (!c->intel || c->family != 6)
		return 0;
	if (c->caps & CAP(EIBRS))
		return CAP(RRSBA);
	if (c->caps & (CAP(RSBA) | CAP(RRSBA)))
		return c->caps & (CAP(RSBA) | CAP(RRSBA));
	if (c->caps)
		return 0;
	for (unsigned int i = 0; i < sizeof(safe); i++)
		if (c->model == safe[i])
			return 0;
	return CAP(RSBA);
}

/*
 * Register File Data Sampling (Xen's rfds_calculations): only Atom cores
 * from Goldmont to Gracemont have it; Xen says RFDS_NO for the rest when
 * the microcode does not, unless it runs under a hypervisor itself.
 */
static bool rfds_no(const struct host_cpu *c)
{
	static const uint8_t affected[] = {
		0x97, 0xb7, 0x9a, 0xba, 0xbf, 0x5c, 0x5f, 0x7a, 0x86, 0x96, 0x9c, 0xbe,
	};

	if (!c->intel || c->family != 6 || c->hypervisor ||
	    (c->caps & (CAP(RFDS_NO) | CAP(RFDS_CLEAR))))
		return false;
	for (unsigned int i = 0; i < sizeof(affected); i++)
		if (c->model == affected[i])
			return false;
	return true;
}

/*
 * Indirect Target Selection (Xen's its_calculations): only eIBRS parts
 * without BHI_CTRL can have it; Xen says ITS_NO for the others. (Which
 * eIBRS models are unaffected is not decided here: none is claimed.)
 */
static bool its_no(const struct host_cpu *c)
{
	uint32_t a, b, cx, d;

	if (!c->intel || c->hypervisor)
		return false;
	cpuid_count(7, 2, &a, &b, &cx, &d);
	return c->family != 6 || !(c->caps & CAP(EIBRS)) ||
	       (d & (1u << (X86_FEATURE_BHI_CTRL & 31)));
}

/*
 * The guest's MSR_ARCH_CAPS (Intel only, where Xen offers it whether or
 * not the CPU has one): the CPU's bits and Xen's own findings, as far as
 * the default PV featureset allows, then RSBA or RRSBA as the guest must
 * assume (cpu-policy.c's calculate_pv_def_policy: RRSBA if it sees eIBRS).
 */
uint64_t pv_arch_caps(void)
{
	struct host_cpu c = host_cpu();
	uint64_t mask = pv_mask[16] | (uint64_t)pv_mask[17] << 32, caps = c.caps;

	if (c.intel && c.family == 6 && (!gds_affected(&c) || (c.caps & CAP(GDS_CTRL))))
		caps |= CAP(GDS_NO);	/* not affected, or the microcode mitigates */
	if (rfds_no(&c))
		caps |= CAP(RFDS_NO);
	if (its_no(&c))
		caps |= CAP(ITS_NO);
	caps &= mask;
	if (rsb_alternative(&c))
		caps |= (caps & CAP(EIBRS)) ? CAP(RRSBA) : CAP(RSBA);
	return caps;
}
