/*
 * Four-level nested page tables (AMD NPT and Intel EPT share the shape:
 * 512 entries per level, address in bits 51:12). The backends supply the
 * bits of a non-leaf entry and the whole leaf entry.
 */
#ifndef HOST_NESTED_PT_H
#define HOST_NESTED_PT_H

#include <stdbool.h>
#include <stdint.h>

/* Returns false when a table frame cannot be allocated. */
bool nested_pt_set(uint64_t root_pa, uint64_t gpa, uint64_t leaf,
		   uint64_t table_bits);

#endif
