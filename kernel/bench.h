#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

#include <stdbool.h>

/* True if the guest's command line asks for benchmarks ("bench"). */
bool bench_requested(void);
/* Print one "bench NAME METRIC=VALUE" line per figure. No assertions. */
void bench_run(void);
/* The block figures (kernel/bench_blk.c), on the toolstack's disk. */
void bench_blk(void);

#endif
