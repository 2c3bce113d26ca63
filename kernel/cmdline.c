#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "xen/start_info.h"

/* The next word at or after *pos: its start and length; false at the end. */
static bool next_word(size_t *pos, const char **word, size_t *len)
{
	const char *cmd = (const char *)start_info.cmd_line;
	size_t end = strnlen(cmd, sizeof(start_info.cmd_line)), i = *pos;

	while (i < end && cmd[i] == ' ')
		i++;
	if (i >= end)
		return false;
	*word = cmd + i;
	while (i < end && cmd[i] != ' ')
		i++;
	*len = (size_t)(cmd + i - *word);
	*pos = i;
	return true;
}

bool cmdline_has(const char *want)
{
	size_t pos = 0, len, n = strlen(want);
	const char *w;

	while (next_word(&pos, &w, &len))
		if (len == n && !memcmp(w, want, n))
			return true;
	return false;
}

bool cmdline_get(const char *key, char *buf, size_t size)
{
	size_t pos = 0, len, n = strlen(key);
	const char *w;

	while (next_word(&pos, &w, &len)) {
		if (len > n && w[n] == '=' && !memcmp(w, key, n)) {
			size_t vlen = len - n - 1;

			if (size == 0)
				return true;
			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, w + n + 1, vlen);
			buf[vlen] = 0;
			return true;
		}
	}
	return false;
}
