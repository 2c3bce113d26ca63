#include "lib/bytering.h"

size_t bytering_put(char *ring, uint32_t size, uint32_t *prod, uint32_t cons,
		    const char *data, size_t len)
{
	uint32_t used = *prod - cons;
	size_t n = 0;

	if (used > size)	/* the consumer lied about its index */
		return 0;
	while (n < len && used < size) {
		ring[*prod & (size - 1)] = data[n++];
		(*prod)++;
		used++;
	}
	return n;
}

size_t bytering_get(const char *ring, uint32_t size, uint32_t *cons,
		    uint32_t prod, char *data, size_t len)
{
	uint32_t avail = prod - *cons;
	size_t n = 0;

	if (avail > size)	/* the producer lied about its index */
		return 0;
	while (n < len && avail) {
		data[n++] = ring[*cons & (size - 1)];
		(*cons)++;
		avail--;
	}
	return n;
}
