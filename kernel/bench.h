#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

#include <stdbool.h>

/* True if the guest's command line asks for benchmarks ("bench"). */
bool bench_requested(void);
/* Print one "bench NAME METRIC=VALUE" line per figure. No assertions. */
void bench_run(void);

#endif
