/*
 * CRC-32, a nibble at a time: a 16-entry table is small enough to write
 * out of the polynomial at each call, and fast enough for what we check.
 */
#include "lib/crc32.h"

#define CRC32_POLY	0xedb88320u

static uint32_t nibble(uint32_t c)
{
	for (int k = 0; k < 4; k++)
		c = c & 1 ? (c >> 1) ^ CRC32_POLY : c >> 1;
	return c;
}

uint32_t crc32_update(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t table[16];

	for (uint32_t i = 0; i < 16; i++)
		table[i] = nibble(i);
	crc = ~crc;
	while (len--) {
		crc ^= *b++;
		crc = (crc >> 4) ^ table[crc & 15];
		crc = (crc >> 4) ^ table[crc & 15];
	}
	return ~crc;
}
