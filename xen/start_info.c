/*
 * start_info and shared_info: the two pages through which Xen describes
 * the domain it built, and publishes per-vcpu state (event flags, CR2 of
 * the last page fault, time).
 */
#include "arch/x86/hypercall.h"
#include "arch/x86/page.h"
#include "kernel/kernel.h"
#include "xen/start_info.h"

struct start_info start_info;
/* Where the builder put it: mm_init reclaims that page. */
const void *start_info_at_entry;
struct shared_info *shared_info;

/* The page where we map shared_info; its own frame is simply lost. */
static char shared_info_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

void start_info_init(const struct start_info *si)
{
	long rc;

	memcpy(&start_info, si, sizeof(start_info));
	start_info_at_entry = si;

	/*
	 * start_info.shared_info is a machine address of a page that is not
	 * ours: only a hypercall can map it, and update_va_mapping on a page
	 * the builder already mapped is the simplest one.
	 */
	rc = hypercall_update_va_mapping((unsigned long)shared_info_page,
					 start_info.shared_info | _PAGE_PRESENT |
					 _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY,
					 UVMF_INVLPG | UVMF_LOCAL);
	if (rc)
		crash();	/* no console yet: nothing to say it with */
	shared_info = (struct shared_info *)shared_info_page;
}

const char *start_info_problem(void)
{
	/* "xen-3.0-x86_64", maybe with Xen's "p" (PAE) suffix. */
	if (memcmp(start_info.magic, "xen-3.0-x86_64", 14) != 0)
		return "start_info magic is not xen-3.0-x86_64";
	if (start_info.nr_pages == 0 || start_info.nr_pt_frames == 0)
		return "start_info has no pages or no page tables";
	if (!is_initial_domain() && start_info.console.domU.mfn == 0)
		return "a domU without a console ring";
	return NULL;
}

void start_info_print(void)
{
	const struct start_info *si = &start_info;

	kprintf("start_info: magic \"%.*s\" nr_pages %lu flags %#x%s%s\n",
		(int)sizeof(si->magic), si->magic, si->nr_pages, si->flags,
		si->flags & SIF_INITDOMAIN ? " (initial domain)" : "",
		si->flags & SIF_PRIVILEGED ? " (privileged)" : "");
	kprintf("start_info: shared_info %#lx pt_base %#lx nr_pt_frames %lu mfn_list %#lx\n",
		si->shared_info, si->pt_base, si->nr_pt_frames, si->mfn_list);
	if (!is_initial_domain())
		kprintf("start_info: console mfn %#lx evtchn %u, store mfn %#lx evtchn %u\n",
			(unsigned long)si->console.domU.mfn, si->console.domU.evtchn,
			(unsigned long)si->store_mfn, si->store_evtchn);
	kprintf("start_info: mod_start %#lx mod_len %lu cmdline \"%.*s\"\n",
		si->mod_start, si->mod_len, (int)sizeof(si->cmd_line),
		(const char *)si->cmd_line);
}
