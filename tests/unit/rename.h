/*
 * Force-included (-include) into every unit-test compilation: lib/ sources
 * and test files alike. lib/ defines memcpy, strlen, snprintf... which in a
 * hosted program would clash with (or silently replace) glibc's, for CUnit
 * and the sanitizers too. Renaming them to lib_* keeps both copies apart,
 * and the tests, calling memcpy or snprintf, exercise ours.
 *
 * Keep in step with lib/string.h, lib/printf.h and lib/bytering.h.
 */
#ifndef TESTS_UNIT_RENAME_H
#define TESTS_UNIT_RENAME_H

/* lib/string.h */
#define memcpy		lib_memcpy
#define memmove		lib_memmove
#define memset		lib_memset
#define memcmp		lib_memcmp
#define strlen		lib_strlen
#define strnlen		lib_strnlen
#define strcmp		lib_strcmp
#define strncmp		lib_strncmp
#define strchr		lib_strchr
#define strlcpy		lib_strlcpy

/* lib/printf.h */
#define vformat		lib_vformat
#define vsnprintf	lib_vsnprintf
#define snprintf	lib_snprintf

/* lib/bytering.h */
#define bytering_put	lib_bytering_put
#define bytering_get	lib_bytering_get

#endif
