#include "host/nested_pt.h"
#include "host/boot/boot.h"
#include "host/x86.h"

bool nested_pt_set(uint64_t root_pa, uint64_t gpa, uint64_t leaf,
		   uint64_t table_bits)
{
	uint64_t *table = phys_to_virt(root_pa);

	for (int level = 3; level > 0; level--) {
		unsigned int idx = (gpa >> (12 + 9 * level)) & 511;

		if (!(table[idx] & PTE_ADDR)) {
			uint64_t pa = frame_alloc();

			if (!pa)
				return false;
			table[idx] = pa | table_bits;
		}
		table = phys_to_virt(table[idx] & PTE_ADDR);
	}
	table[(gpa >> 12) & 511] = leaf;
	return true;
}
