/*
 * CRC-32 as zlib, Ethernet and Python's zlib.crc32 compute it (reflected,
 * polynomial 0xEDB88320), so a checksum the guest prints can be checked by
 * the harness on the build machine with the standard library.
 */
#ifndef LIB_CRC32_H
#define LIB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc of what came before (0 to start) extended by len bytes of p. */
uint32_t crc32_update(uint32_t crc, const void *p, size_t len);

#endif
