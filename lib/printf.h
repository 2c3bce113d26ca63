/* Freestanding formatted output, shared by ParaOS and parahost. */
#ifndef LIB_PRINTF_H
#define LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The one formatter: every character goes through emit(ctx, c). Supports
 * %d %i %u %x %X %o %c %s %p %%, flags '-' '0' '+' ' ' '#', width and
 * precision (numbers or '*'), and the hh h l ll z t j length modifiers.
 * Returns the number of characters emitted.
 */
typedef void (*emit_fn)(void *ctx, char c);
int vformat(emit_fn emit, void *ctx, const char *fmt, va_list ap);

/* C99 semantics: returns the length the full output would have had. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
