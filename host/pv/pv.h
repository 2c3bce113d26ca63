/*
 * parahost's implementation of Xen's 64-bit PV ABI: the one domain, its
 * one vcpu, and the interfaces between the files of host/pv (one file per
 * Xen interface: traps, iret, callbacks, hypercall dispatch, console,
 * version, sched, event channels, mm, memory_op, vcpu_op, ...).
 *
 * Addresses: a guest "machine frame" (mfn) is a guest-physical frame of the
 * nested page tables (NPT/EPT). The guest's own RAM is pfn 0..nr_pages-1,
 * mapped to mfns by a deliberately non-identity P2M. "Xen's" frames
 * (shared_info, the M2P, the page tables of the reserved L4 slots, the
 * GDT page) are further mfns that the guest may read but never write
 * (except shared_info, which Xen lets a domain map writable).
 */
#ifndef HOST_PV_PV_H
#define HOST_PV_PV_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/callback.h>
#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/physdev.h>
#include <xen/errno.h>
#include <xen/nmi.h>

/* Xen's error numbers, as the guest sees them (from <xen/errno.h>). */
#define EPERM	XEN_EPERM
#define ENOENT	XEN_ENOENT
#define ESRCH	XEN_ESRCH
#define EFAULT	XEN_EFAULT
#define EBUSY	XEN_EBUSY
#define EEXIST	XEN_EEXIST
#define EINVAL	XEN_EINVAL
#define ENOSPC	XEN_ENOSPC
#define ENOSYS	XEN_ENOSYS
#define ENOMEM	XEN_ENOMEM
#define EACCES	XEN_EACCES
#define ETIME	XEN_ETIME
#define ENOBUFS	XEN_ENOBUFS
#define ENODEV	XEN_ENODEV
#define EOPNOTSUPP XEN_EOPNOTSUPP
#define ERANGE	XEN_ERANGE
#define EILSEQ	XEN_EILSEQ
#define E2BIG	XEN_E2BIG

#include "host/host.h"
#include "host/vcpu.h"
#include "host/x86.h"
#include "host/pv/mm.h"
#include "host/pv/gframe.h"

/* An M2P entry for a frame no domain's pfn maps to (Xen's asm/mm.h; not public). */
#define INVALID_M2P_ENTRY	(~0UL)

/* Guest-physical layout of the "machine". */
#define GUEST_MFN_BASE		0x20000UL	/* guest RAM starts at 512 MiB */
#define XEN_MFN_GAP		0x100UL		/* a hole between RAM and Xen frames */
#define MAX_XEN_FRAMES		1024
/* RAM beyond the initial allocation, up to xl's maxmem (memory + 1 MiB). */
#define BALLOON_FRAMES		256UL

/* Xen's per-domain area (L4 slot 260) and what we put there. */
#define PERDOMAIN_VIRT_START	0xffff820000000000UL
#define GDT_VIRT_START		PERDOMAIN_VIRT_START
#define LDT_VIRT_START		(GDT_VIRT_START + (64UL << 10))
#define TSS_VIRT_START		(PERDOMAIN_VIRT_START + (1UL << 21))
#define FIRST_RESERVED_GDT_PAGE	14
#define FIRST_RESERVED_GDT_BYTE	(FIRST_RESERVED_GDT_PAGE * 4096)
#define LAST_RESERVED_GDT_BYTE	(FIRST_RESERVED_GDT_BYTE + 4096 - 1)
#define XEN_TSS_SELECTOR	0xe040
/* Xen's text slot (261): our copy of Xen's IDT, and where its gates point. */
#define IDT_VIRT_START		0xffff82d080400000UL
#define XEN_TEXT_HANDLERS	0xffff82d080200000UL

#define L4_SLOT(va)		(((va) >> 39) & 511)
#define FIRST_XEN_SLOT		256
#define LAST_XEN_SLOT		271

/* Event channel state (one vcpu, our own ports only); the rest in evtchn.h. */
enum evtchn_state {
	ECS_FREE = 0,
	ECS_RESERVED,
	ECS_UNBOUND,		/* waiting for remote_dom to bind it */
	ECS_INTERDOMAIN,	/* bound to remote_port of remote_dom (us, or dom0's backends) */
	ECS_VIRQ,
	ECS_IPI,
};

/* Port buckets for the largest ABI (FIFO's 2^17 ports, 64 a bucket). */
#define NR_EVTCHN_BUCKETS	(EVTCHN_FIFO_NR_CHANNELS / 64)

struct evtchn;
struct evtchn_port_ops;
struct evtchn_fifo;

struct domain {
	struct vcpu *v;			/* the backend vcpu */
	struct vcpu_state *st;		/* its architectural state */
	domid_t domid;
	bool is_dom0;

	/* Memory. */
	unsigned long nr_pages;		/* the initial allocation (xl's memory) */
	unsigned long nr_frames;	/* RAM frames: nr_pages + BALLOON_FRAMES */
	xen_pfn_t *p2m;			/* pfn -> mfn, host copy */
	uint64_t *ram_hpa;		/* (mfn - GUEST_MFN_BASE) -> host-physical */
	/* The PV MMU (host/pv/mm.h): page types over RAM and Xen's frames. */
	struct mm_domain mm;
	struct mm_vcpu mmv;
	uint64_t xen_mfn_base;
	unsigned int nr_xen_frames;
	uint64_t xen_hpa[MAX_XEN_FRAMES];
	uint8_t xen_writable[MAX_XEN_FRAMES];
	uint64_t max_mfn;		/* highest mfn the M2P covers + 1 */

	/* Xen-owned frames. */
	struct shared_info *shared_info;
	struct vcpu_info *vcpu_info;	/* in shared_info, or where the guest put it */
	bool vcpu_info_registered;
	uint64_t runstate_va;		/* VCPUOP_register_runstate_memory_area */
	uint64_t shared_info_mfn;
	uint64_t xen_l3_m2p_mfn;	/* L4 slot 256 */
	uint64_t xen_l3_perdomain_mfn;	/* L4 slot 260 */
	uint64_t xen_l3_text_mfn;	/* L4 slot 261 */
	uint64_t *perdomain_l1;		/* maps GDT/LDT pages (host view) */
	uint64_t gdt_frame_mfn, zero_mfn, tss_mfn;
	unsigned long gdt_frames[FIRST_RESERVED_GDT_PAGE];	/* set_gdt */
	unsigned int gdt_ents;

	/* Start of day, from the builder. */
	uint64_t start_info_va;
	uint64_t console_mfn, store_mfn;
	evtchn_port_t console_port, store_port;
	uint64_t hypercall_page_va;

	/* vcpu 0's PV state. */
	bool kernel_mode;		/* TF_kernel_mode */
	uint64_t kernel_ss, kernel_sp;
	uint64_t gs_base_user;		/* the inactive GS base in kernel mode */
	struct trap_info traps[256];
	uint64_t event_callback, failsafe_callback, syscall_callback, nmi_callback;
	bool syscall_disables_events, failsafe_disables_events;
	unsigned int iopl;		/* virtual IOPL, in EFLAGS position */
	unsigned long vm_assist;
	bool fpu_ts;			/* virtual CR0.TS (fpu_taskswitch) */
	bool fpu_dirtied;		/* the guest has used the FPU (real TS cleared) */
	uint64_t guest_cr4;		/* the CR4 bits a PV guest controls (TSD, DE, OSXSAVE, FSGSBASE) */
	unsigned int watchdog_inuse;	/* SCHEDOP_watchdog timers (2, as Xen) */
	uint64_t tsc_aux;		/* TSC_AUX, also in the CPU's MSR (neither VT-x nor AMD-V switches it) */
	uint64_t mcg_status;		/* vMCE: MCG_STATUS and two banks' STATUS, ADDR, MISC, CTL2 */
	uint64_t mci[2][4];
	uint64_t watchdog_deadline[2];

	/* Events. */
	struct evtchn *evtchn_buckets[NR_EVTCHN_BUCKETS];
	unsigned int valid_evtchns;	/* ports [0, valid_evtchns) exist */
	unsigned int max_evtchn_port;	/* the toolstack's limit */
	const struct evtchn_port_ops *evtchn_ops;
	struct evtchn_fifo *evtchn_fifo;	/* NULL: the 2-level ABI */
	evtchn_port_t virq_to_port[NR_VIRQS];	/* 0: not bound */
	bool kicked;			/* upcall flag raised since the vcpu blocked */

	/* Time. */
	uint64_t timer_deadline;	/* system time ns; 0 = none */
	uint64_t periodic_period;	/* ns; 0 = none */
	uint64_t periodic_next;

	/* Ending. */
	bool shutting_down;
	unsigned int shutdown_reason;

	/* Statistics. */
	unsigned long nr_exits, nr_hypercalls, nr_bounces, nr_priv_ops, nr_ticks;
};

extern struct domain dom;

/* domain.c */
struct boot_module;
/* Build the domain from the image m (and the initrd, the next module, if any) and run it. */
void pv_run(const struct boot_module *m, const struct boot_module *initrd) __noreturn;
void domain_crash(const char *fmt, ...) __printf(1, 2) __noreturn;
void domain_shutdown(unsigned int reason) __noreturn;
void dump_guest_state(void);
void install_xen_l4_slots(uint64_t *l4);
void fill_hypercall_page(uint8_t *p);
uint64_t xen_frame_alloc(bool writable, void **host);
void *xen_frame_host(uint64_t mfn);	/* NULL unless one of "Xen's" own frames */

/* guestmem.c: mfns and guest virtual addresses. */
bool mfn_is_ram(uint64_t mfn);
static inline unsigned long mfn_ram_index(uint64_t mfn)
{
	return (unsigned long)(mfn - GUEST_MFN_BASE);
}
uint64_t m2p_lookup(uint64_t mfn);	/* pfn or INVALID_M2P_ENTRY */
/*
 * Walk the current page tables: 0, or WALK_FAULT with the #PF error code
 * (PFEC_*) in the low bits. (A read of a not-present page has error code
 * 0, so the fault needs a bit of its own.)
 */
#define WALK_WRITE	0x1
#define WALK_USER	0x2
#define WALK_FETCH	0x4
#define WALK_FAULT	0x100
int guest_walk(uint64_t va, unsigned int flags, uint64_t *mfn_out, uint64_t **l1e_out);
bool guest_va_ok(uint64_t va, size_t n);	/* Xen's access_ok */
int copy_from_guest(void *dst, uint64_t va, size_t n);	/* 0 or -EFAULT */
int copy_to_guest(uint64_t va, const void *src, size_t n);
int copy_from_guest_nocheck(void *dst, uint64_t va, size_t n); /* for insn fetch */
int fetch_insn(uint64_t rip, uint8_t *buf, size_t n);	/* returns bytes read */

/* traps.c */
void handle_exit(const struct vexit *e);
/* stats=N (host/pv/stats.c). */
void stats_note_exit(const struct vexit *e, uint64_t rip);
void stats_note_hypercall(uint64_t nr);
void stats_tick(void);

/* bounce.c */
void pv_inject_exception(unsigned int vector, bool has_ec, uint32_t ec);
void pv_reflect_fault(unsigned int vector, bool has_ec, uint32_t ec);	/* RF in the frame */
void pv_inject_page_fault(uint64_t cr2, uint32_t ec);
void pv_inject_page_fault_trap(uint64_t cr2, uint32_t ec);	/* RF as it stands: what Xen makes up */
void pv_inject_gp(uint32_t ec);
void pv_inject_ud(void);
void toggle_guest_mode(void);
void pv_retire_insn(unsigned int len);
#define DR6_BS		(1UL << 14)	/* single step */
bool create_bounce_frame(uint64_t eip, bool interrupt, bool has_ec, uint32_t ec,
			 bool failsafe);
void deliver_pending_events(void);

/* hypercall.c */
void pv_hypercall(void);
void pv_syscall_from_user(void);
/* Xen's continuations: re-issue hypercall nr with these (uint64_t) arguments. */
long hypercall_create_continuation(unsigned int nr, unsigned int nargs, ...);
bool hypercall_preempt_check(void);

/* Hypercall handlers, one file per interface. */
long do_set_trap_table(uint64_t arg);
long do_set_callbacks(uint64_t ev, uint64_t fs, uint64_t sc);
long do_callback_op(int cmd, uint64_t arg);
long do_stack_switch(uint64_t ss, uint64_t sp);
long do_fpu_taskswitch(int set);
long do_set_segment_base(unsigned int which, uint64_t base);
long do_iret(void);
long do_vm_assist(unsigned int cmd, unsigned int type);
long do_set_debugreg(int reg, uint64_t value);
long do_nmi_op(unsigned int cmd, uint64_t arg);
long do_hvm_op(uint64_t op, uint64_t arg);
extern uint64_t pv_dr6;
long do_get_debugreg(int reg);
long do_console_io(int cmd, unsigned int count, uint64_t buf);
long do_xen_version(int cmd, uint64_t arg);
long do_sched_op(int cmd, uint64_t arg);
long do_sched_op_compat(int cmd, uint64_t arg);
long do_set_timer_op(uint64_t timeout);
long do_event_channel_op(int cmd, uint64_t arg);
long do_memory_op(unsigned long cmd, uint64_t arg);
long do_vcpu_op(int cmd, unsigned int vcpuid, uint64_t arg);
/* Runstate accounting: vcpu 0 enters RUNSTATE_* now (vcpu_op.c). */
void vcpu_runstate_set(int state);
long do_mmu_update(uint64_t ureqs, unsigned int count, uint64_t pdone, unsigned int foreigndom);
long do_mmuext_op(uint64_t uops, unsigned int count, uint64_t pdone, unsigned int foreigndom);
long do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags);
long do_set_gdt(uint64_t frame_list, unsigned int entries);
long do_update_descriptor(uint64_t maddr, uint64_t desc);
long do_physdev_op(int cmd, uint64_t arg);
long do_multicall(uint64_t list, unsigned int nr, bool *iret);
long do_grant_table_op(unsigned int cmd, uint64_t uop, unsigned int count);
/* reservation.c: XENMEM_increase/decrease_reservation, XENMEM_populate_physmap */
long do_reservation_op(unsigned int op, unsigned long start_extent, uint64_t arg);
unsigned int memop_max_order(void);
unsigned long memop_max_pages(void);	/* Xen's max_pages (maximum_reservation) */

/* audit.c: option audit, before every VM entry (host_opts.audit) */
void pv_audit_init(void);
void pv_audit(void);
void pv_audit_note_exit(const struct vexit *e);

/* descriptor.c */
bool read_segment_descriptor(uint16_t sel, struct vseg *out);
bool load_segment_descriptor(uint16_t sel, struct vseg *out);
void segment_loaded(struct vseg *seg);
bool check_descriptor(uint64_t *d);

/* mmu.c: glue to the PV MMU (mm.h) */
void pv_mm_init(void);
void pv_mm_boot(uint64_t l4_mfn);
long pv_new_guest_table(uint64_t l4_mfn);
void update_cr3(void);
bool m2p_set(uint64_t mfn, uint64_t pfn);

/* event_channel.c */
void evtchn_init(void);
evtchn_port_t evtchn_alloc_unbound_for(domid_t remote);	/* the toolstack's job */
/*
 * Backends: domain 0's end of interdomain channels, as a dom0 backend
 * binds to a port the guest offered it (ECS_UNBOUND for domain 0). notify
 * runs when the guest sends; evtchn_backend_notify() signals the guest,
 * and does nothing once the guest has closed its end (as on Xen, where the
 * backend's end is then unbound). Returns the dom0-side port, or -errno.
 */
int evtchn_backend_bind(evtchn_port_t guest_port, void (*notify)(void));
const char *evtchn_backend_check(void);	/* for audit.c */
void evtchn_backend_notify(int be_port);
/* Domain 0 closes its end: the guest's port is unbound again, offered to domain 0. */
void evtchn_backend_unbind(int be_port);
void evtchn_set_pending(evtchn_port_t port);
void send_guest_virq(unsigned int virq);
bool evtchn_upcall_pending(void);
/* SCHEDOP_poll's per-port step: -EINVAL (not in use), 0, or 1 (pending). */
int evtchn_port_poll(evtchn_port_t port);

/* entry_check.c: the last look at the state before every VM entry */
void pv_check_entry(uint64_t exit_rip);

/* time.c */
void time_init(void);
uint64_t system_time_ns(void);
uint64_t time_tsc_hz(void);
uint32_t time_mul_frac(void);
int time_shift(void);
void update_vcpu_time(bool force);
void time_check_timers(void);
uint64_t time_next_event(void);		/* system time of the next timer, or ~0 */
/* The host timer at the next guest deadline, or at extra if earlier (0: none). */
void time_arm_host_timer(uint64_t extra);
/* Blocked (sched.c): the CPU stopped until done() or the deadline (0: none). */
void vcpu_wait(bool (*done)(const void *ctx), const void *ctx, uint64_t deadline);
/* domain.c: serial input to the console's consumer, backend or console_io. */
void pv_poll_input(void);

/* emulate.c */
bool emulate_privileged_op(void);	/* true: handled (bounced or emulated) */
bool emulate_fetch_faults(uint64_t *va);	/* true: reading the instruction at RIP faults at *va */
bool emulate_forced_cpuid(void);
void emulate_cpuid_exit(uint64_t len);
void pv_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t res[4], bool xen_leaves);
/* host/pv/cpuid_spec.c: the features of featureset word w Xen hides on this CPU. */
uint32_t pv_hidden_features(unsigned int word);
/* The guest's MSR_ARCH_CAPS, as Xen makes it on Intel. */
uint64_t pv_arch_caps(void);
/* privileged.c: the toolstack's hypercalls, refused as Xen refuses a domU */
long do_domctl(uint64_t arg);
long do_sysctl(uint64_t arg);
/* ptwr.c: a kernel write to its own read-only L1 at va, emulated (false: the #PF stands) */
bool ptwr_emulate(uint64_t va);
/* msr.c: false is the guest's #GP */
bool pv_rdmsr(uint32_t msr, uint64_t *val);
bool pv_wrmsr(uint32_t msr, uint64_t val);
uint64_t pv_tsc_aux(void);
void strict_log(const char *what);

/* backends/ring.c: the ring frame held writable, our end of its channel bound */
void *backend_ring_open(const char *what, uint64_t mfn, evtchn_port_t guest_port,
			void (*notify)(void), int *be_port);
/* backends/console.c, backends/xenstore.c, and console.c's input for dom0 */
void console_backend_init(void);
void console_backend_poll(void);
void console_backend_input(const char *s, size_t n);
void console_io_input(const char *s, size_t n);
void xenstore_init(void);
void xenstore_poll(void);
/* xenstore_ring.c: domain 0's own store accesses, for the backends (absolute paths) */
const char *xs_dom0_read(const char *path, char *buf, size_t size);
void xs_dom0_write(const char *path, const char *value);
void xs_dom0_perms(const char *path, unsigned int owner, int other, int domid, int perm);
uint64_t xs_dom0_generation(void);
/* backends/blkback.c: the vbd, if the machine has a disk; poll: true while work is left */
void blkback_init(void);
bool blkback_poll(void);
struct mm_held;
unsigned int blkback_held(struct mm_held *out, unsigned int max);	/* audit.c */

/* Convenient access to the vcpu's registers. */
#define GREG(r)		(dom.st->gpr[GPR_##r])

static inline struct vcpu_info *vcpu_info0(void)
{
	return dom.vcpu_info;
}

#endif
