/*
 * The guest's command line (start_info.cmd_line: xl's extra=, or the GRUB
 * module2 line on parahost), as space-separated words.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* The word is there on its own ("bench"). */
bool cmdline_has(const char *word);
/* "key=value": the value into buf (NUL-terminated, truncated to fit); false if absent. */
bool cmdline_get(const char *key, char *buf, size_t size);

#endif
