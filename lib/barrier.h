/*
 * Barriers for memory shared with another domain (rings, shared_info).
 * x86 is TSO: stores are not reordered with stores, loads not with loads,
 * so read/write barriers only have to stop the compiler. A store followed
 * by a load of another location can be reordered, hence a real fence for mb().
 */
#ifndef LIB_BARRIER_H
#define LIB_BARRIER_H

#define barrier()	asm volatile("" ::: "memory")
#define mb()		asm volatile("mfence" ::: "memory")
#define rmb()		barrier()
#define wmb()		barrier()

/* The names <xen/io/ring.h> expects its includer to define. */
#define xen_mb()	mb()
#define xen_rmb()	rmb()
#define xen_wmb()	wmb()

/* Read a shared field exactly once, so a peer cannot change it under us. */
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

#endif
