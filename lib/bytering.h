/*
 * Byte rings in the style of Xen's console ring (io/console.h): a
 * power-of-two array, free-running 32-bit producer and consumer indexes,
 * the index masked on access. The same helpers serve the guest frontend and
 * the host backend. The peer's index is never trusted: a peer that claims
 * more data than the ring can hold gets nothing copied.
 */
#ifndef LIB_BYTERING_H
#define LIB_BYTERING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Copy up to len bytes into ring[size] at *prod, given the consumer's index
 * cons. Advances *prod (the caller publishes it after a wmb()). Returns the
 * bytes copied: 0 when full or when cons is inconsistent.
 */
size_t bytering_put(char *ring, uint32_t size, uint32_t *prod, uint32_t cons,
		    const char *data, size_t len);

/*
 * Copy up to len bytes out of ring[size] from *cons, given the producer's
 * index prod. Advances *cons. Returns the bytes copied: 0 when empty or
 * when prod is inconsistent.
 */
size_t bytering_get(const char *ring, uint32_t size, uint32_t *cons,
		    uint32_t prod, char *data, size_t len);

#endif
