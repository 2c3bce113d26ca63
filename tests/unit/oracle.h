/*
 * glibc's own formatter, as an oracle for lib/printf.c. Every other file
 * sees snprintf renamed to our lib_snprintf (rename.h); oracle.c undoes
 * that to reach the real one.
 */
#ifndef TESTS_UNIT_ORACLE_H
#define TESTS_UNIT_ORACLE_H

#include <stddef.h>

int libc_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
