/* The multiboot2 information structure (GRUB's multiboot2.h, tag by tag). */
#include "host/boot/boot.h"
#include "host/host.h"

#define MB2_BOOT_MAGIC		0x36d76289
#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_MODULE		3
#define MB2_TAG_MMAP		6
#define MB2_TAG_ACPI_OLD	14
#define MB2_TAG_ACPI_NEW	15
#define MB2_MMAP_AVAILABLE	1

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_tag_module {
	uint32_t type, size;
	uint32_t mod_start, mod_end;
	char string[];
};

struct mb2_mmap_entry {
	uint64_t addr, len;
	uint32_t type, zero;
};

struct mb2_tag_mmap {
	uint32_t type, size;
	uint32_t entry_size, entry_version;
};

void mb2_parse(uint32_t magic, uint64_t info, struct boot_info *bi)
{
	uint32_t total;
	uint64_t p, end;

	memset(bi, 0, sizeof(*bi));
	bi->cmdline = "";
	if (magic != MB2_BOOT_MAGIC)
		fatal(EXIT_BAD_INPUT, "not booted by a multiboot2 loader (magic %#x)", magic);
	total = *(const uint32_t *)phys_to_virt(info);
	bi->info_start = info;
	bi->info_end = info + total;

	p = info + 8;
	end = info + total;
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *tag = phys_to_virt(p);

		if (tag->type == MB2_TAG_END || tag->size < 8)
			break;
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			bi->cmdline = (const char *)(tag + 1);
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			if (!bi->rsdp || tag->type == MB2_TAG_ACPI_NEW)
				bi->rsdp = p + 8;
			break;
		case MB2_TAG_MODULE: {
			const struct mb2_tag_module *m = (const void *)tag;

			if (bi->nr_modules < MAX_MODULES) {
				struct boot_module *bm = &bi->modules[bi->nr_modules++];

				bm->start = m->mod_start;
				bm->end = m->mod_end;
				bm->string = m->string;
			}
			break;
		}
		case MB2_TAG_MMAP: {
			const struct mb2_tag_mmap *mm = (const void *)tag;
			uint64_t e = p + sizeof(*mm);

			if (mm->entry_size < sizeof(struct mb2_mmap_entry))
				break;
			for (; e + mm->entry_size <= p + tag->size; e += mm->entry_size) {
				const struct mb2_mmap_entry *me = phys_to_virt(e);

				if (me->type != MB2_MMAP_AVAILABLE || !me->len)
					continue;
				if (bi->nr_ram < MAX_RANGES) {
					bi->ram[bi->nr_ram].start = me->addr;
					bi->ram[bi->nr_ram].end = me->addr + me->len;
					bi->nr_ram++;
				}
			}
			break;
		}
		}
		p += (tag->size + 7) & ~7U;
	}
}
