/*
 * The durability check (docs/testing.md, "Durability"): with `durable` on
 * the command line the kernel writes a pattern to its disk, flushes it,
 * prints one line with its checksum, and waits to be killed. The harness
 * then reads the disk image from outside and compares.
 */
#ifndef KERNEL_DURABLE_H
#define KERNEL_DURABLE_H

void durable_run(void) __attribute__((noreturn));

#endif
