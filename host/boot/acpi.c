/*
 * ACPI S5 (soft-off), the last resort when neither QEMU's isa-debug-exit
 * nor Bochs' shutdown port ended the run: the FADT gives the PM1 control
 * ports, the DSDT's \_S5 package the sleep type. Read-only parsing of
 * firmware tables, every length checked; on any doubt we do nothing.
 */
#include "host/boot/boot.h"
#include "host/host.h"
#include "host/x86.h"

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

/* Firmware addresses are constants the compiler must not reason about. */
static const void *fw(uint64_t pa)
{
	asm("" : "+r"(pa));
	return phys_to_virt(pa);
}

static uint16_t pm1a_cnt, pm1b_cnt;
static uint16_t slp_typa, slp_typb;
static bool s5_ok;

static bool sum_ok(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += b[i];
	return s == 0;
}

static const struct sdt_header *table(uint64_t pa)
{
	const struct sdt_header *h = fw(pa);

	if (!pa || pa >= 0x100000000UL || h->length < sizeof(*h) || h->length > (1U << 24))
		return NULL;
	return sum_ok(h, h->length) ? h : NULL;
}

static const uint8_t *find_rsdp(uint64_t hint)
{
	uint64_t ebda = (uint64_t)*(const uint16_t *)fw(0x40e) << 4;

	if (hint && !memcmp(fw(hint), "RSD PTR ", 8))
		return fw(hint);
	for (uint64_t a = ebda; ebda && a < ebda + 1024; a += 16)
		if (!memcmp(fw(a), "RSD PTR ", 8) && sum_ok(fw(a), 20))
			return fw(a);
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp(fw(a), "RSD PTR ", 8) && sum_ok(fw(a), 20))
			return fw(a);
	return NULL;
}

/* \_S5_ in the DSDT: Name(_S5_, Package(n) { SLP_TYPa, SLP_TYPb, ... }). */
static void parse_s5(const struct sdt_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt, *end = p + dsdt->length;

	for (const uint8_t *q = p + sizeof(*dsdt); q + 12 < end; q++) {
		unsigned int v[2], n = 0;

		if (memcmp(q, "_S5_", 4) || q[4] != 0x12)	/* PackageOp */
			continue;
		q += 5;
		q += ((*q >> 6) & 3) + 1;			/* PkgLength */
		q++;						/* NumElements */
		while (n < 2 && q < end) {
			if (*q == 0x0a && q + 1 < end) {	/* BytePrefix */
				v[n++] = q[1];
				q += 2;
			} else if (*q == 0x00 || *q == 0x01) {	/* Zero, One */
				v[n++] = *q++;
			} else {
				return;
			}
		}
		if (n == 2) {
			slp_typa = (uint16_t)v[0];
			slp_typb = (uint16_t)v[1];
			s5_ok = true;
		}
		return;
	}
}

void acpi_init(uint64_t rsdp_hint)
{
	const uint8_t *rsdp = find_rsdp(rsdp_hint);
	const struct sdt_header *root, *fadt = NULL;
	bool x;
	unsigned int n;

	if (!rsdp)
		return;
	x = rsdp[15] >= 2 && *(const uint64_t *)(rsdp + 24);
	root = table(x ? *(const uint64_t *)(rsdp + 24) : *(const uint32_t *)(rsdp + 16));
	if (!root)
		return;
	n = (root->length - sizeof(*root)) / (x ? 8 : 4);
	for (unsigned int i = 0; i < n && !fadt; i++) {
		const uint8_t *e = (const uint8_t *)(root + 1) + i * (x ? 8 : 4);
		const struct sdt_header *t = table(x ? *(const uint64_t *)e : *(const uint32_t *)e);

		if (t && !memcmp(t->sig, "FACP", 4) && t->length >= 72)
			fadt = t;
	}
	if (!fadt)
		return;
	pm1a_cnt = (uint16_t)*(const uint32_t *)((const uint8_t *)fadt + 64);
	pm1b_cnt = (uint16_t)*(const uint32_t *)((const uint8_t *)fadt + 68);
	{
		const struct sdt_header *dsdt = table(*(const uint32_t *)((const uint8_t *)fadt + 40));

		if (dsdt && !memcmp(dsdt->sig, "DSDT", 4))
			parse_s5(dsdt);
	}
}

void acpi_poweroff(void)
{
	if (!s5_ok || !pm1a_cnt)
		return;
	outw(pm1a_cnt, (uint16_t)((slp_typa << 10) | (1U << 13)));
	if (pm1b_cnt)
		outw(pm1b_cnt, (uint16_t)((slp_typb << 10) | (1U << 13)));
}
