/*
 * The domain's start of day: the shared PV domain builder (host/pv/build.h,
 * Xen's start-of-day layout written into guest frames) called with our
 * P2M and frames, and what parahost needs back from it.
 */
#include "host/pv/pv.h"
#include "host/pv/start.h"
#include "host/pv/build.h"
#include "host/boot/boot.h"

/*
 * The builder writes the start of day into the domain's RAM before it ever
 * runs, as libxc does through writable foreign mappings: it holds every
 * frame with a writable reference while it works (below), and releases
 * them all before the page tables it wrote are validated and pinned.
 */
static void *frame_cb(void *ctx, xen_pfn_t mfn)
{
	(void)ctx;
	return mfn_is_ram(mfn) ? gframe__held(&dom, mfn) : NULL;
}

static void hold_ram(bool hold)
{
	for (unsigned long i = 0; i < dom.nr_pages; i++) {
		uint64_t mfn = GUEST_MFN_BASE + i;

		if (!hold)
			gframe_put(&dom, mfn, GF_WRITABLE);
		else if (!gframe_get(&dom, mfn, GF_WRITABLE))
			panic("builder: guest frame %#lx not writable", (unsigned long)mfn);
	}
}

int pv_start_build(const void *image, size_t len, const struct xen_image *img,
		   const char *cmdline, const struct boot_module *initrd, struct pv_start *ps,
		   const char **why)
{
	static struct pv_build_result r;
	struct pv_build_params p;
	int rc;

	(void)img;
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	p.image = image;
	p.image_len = len;
	p.nr_pages = dom.nr_pages;
	p.p2m = dom.p2m;
	p.frame = frame_cb;
	p.shared_info_maddr = dom.shared_info_mfn << PAGE_SHIFT;
	p.console_evtchn = dom.console_port;
	p.store_evtchn = dom.store_port;
	p.cmdline = cmdline;
	/* The initrd, copied into the domain as Xen's builder does (start_info mod_start/mod_len). */
	if (initrd) {
		p.module = phys_to_virt(initrd->start);
		p.module_len = (size_t)(initrd->end - initrd->start);
	}
	/* Accept what Xen accepts (see build.h). */
	p.unsupported_features = 0;
	p.dom0 = dom.is_dom0;
	hold_ram(true);
	rc = pv_build(&p, &r, why);
	hold_ram(false);
	if (rc < 0)
		return rc;
	ps->entry = r.entry_rip;
	ps->stack = r.entry_rsp;
	ps->start_info_va = r.entry_rsi;
	ps->l4_mfn = r.l4_mfn;
	ps->console_mfn = r.console_mfn;
	ps->store_mfn = r.store_mfn;
	ps->hypercall_page_va = r.hypercall_va != XEN_IMAGE_UNSET ? r.hypercall_va : 0;
	return 0;
}
