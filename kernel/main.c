/*
 * start_kernel: from Xen's start of day to the test suite. The order
 * matters: shared_info before the trap table (the #PF handler reads CR2
 * from it), the console before anything that prints, the trap table
 * before mm_init (a fault there must be reported, not lost).
 */
#include "kernel/bench.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/mm.h"
#include "xen/console.h"
#include "xen/start_info.h"
#include "xen/version.h"

void start_kernel(const struct start_info *si);

void start_kernel(const struct start_info *si)
{
	start_info_init(si);
	console_init();
	kprintf("ParaOS booting (%s)\n",
		is_initial_domain() ? "initial domain" : "domU");
	start_info_print();
	if (start_info_problem())
		panic("%s", start_info_problem());
	version_init();
	traps_init();
	mm_init();

	if (fuzz_requested())
		fuzz_run();	/* instead of the test suite */
	if (bench_requested())
		bench_run();
	if (ktest_run_all() == 0)
		poweroff();
	crash();
}
