/*
 * The xenstore operations (docs/misc/xenstore.txt's requests), each one
 * request and one reply through xenstore.c, and transactions on top.
 * A reply that is not what the request can get breaks the connection.
 */
#include <xen/errno.h>

#include "kernel/kernel.h"
#include "lib/printf.h"
#include "xen/xenstore.h"
#include "xen/xenstore_core.h"

/* ---- the operations ----------------------------------------------------------- */

long xs_read(xs_tx_t t, const char *path, char *buf, size_t size)
{
	struct xs_req *r;
	long rc = xs_talk(XS_READ, t, path, NULL, 0, &r);

	if (rc)
		return rc;
	if (r->len >= size) {
		xs_reply_put(r);
		return -XEN_E2BIG;
	}
	memcpy(buf, r->reply, r->len + 1);
	rc = r->len;
	xs_reply_put(r);
	return rc;
}

long xs_read_ulong(xs_tx_t t, const char *path, unsigned long *v)
{
	char buf[24];
	long rc = xs_read(t, path, buf, sizeof(buf));
	unsigned long x = 0;

	if (rc < 0)
		return rc;
	if (rc == 0 || rc > 20)
		return -XEN_EINVAL;
	for (long i = 0; i < rc; i++) {
		unsigned long d = (unsigned long)(buf[i] - '0');

		if (buf[i] < '0' || buf[i] > '9' || x > (~0ul - d) / 10)
			return -XEN_EINVAL;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

long xs_write(xs_tx_t t, const char *path, const void *value, size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX)
		return -XEN_E2BIG;
	return xs_talk_ok(XS_WRITE, t, path, value, (uint32_t)len);
}

long xs_printf(xs_tx_t t, const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -XEN_E2BIG;
	return xs_write(t, path, buf, (size_t)n);
}

long xs_mkdir(xs_tx_t t, const char *path)
{
	return xs_talk_ok(XS_MKDIR, t, path, NULL, 0);
}

long xs_rm(xs_tx_t t, const char *path)
{
	return xs_talk_ok(XS_RM, t, path, NULL, 0);
}

long xs_directory(xs_tx_t t, const char *path, char *buf, size_t size)
{
	return xs_talk_list(XS_DIRECTORY, t, path, buf, size);
}

long xs_get_perms(xs_tx_t t, const char *path, char *buf, size_t size)
{
	return xs_talk_list(XS_GET_PERMS, t, path, buf, size);
}

long xs_set_perms(xs_tx_t t, const char *path, const char *perms, size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX)
		return -XEN_E2BIG;
	return xs_talk_ok(XS_SET_PERMS, t, path, perms, (uint32_t)len);
}

/* ---- transactions ---------------------------------------------------------------- */

long xs_transaction_start(xs_tx_t *t)
{
	struct xs_req *r;
	long rc = xs_talk(XS_TRANSACTION_START, XS_NO_TX, "", NULL, 0, &r);
	unsigned long id = 0;

	if (rc)
		return rc;
	/* A decimal id, not 0 (that is "no transaction"), NUL-terminated. */
	if (r->len < 2 || r->len > 11 || r->reply[r->len - 1])
		return xs_protocol_error(r, "transaction id");
	for (uint32_t i = 0; i + 1 < r->len; i++) {
		if (r->reply[i] < '0' || r->reply[i] > '9')
			return xs_protocol_error(r, "transaction id");
		id = id * 10 + (unsigned long)(r->reply[i] - '0');
	}
	if (!id || id > UINT32_MAX)
		return xs_protocol_error(r, "transaction id");
	*t = (xs_tx_t)id;
	xs_reply_put(r);
	return 0;
}

long xs_transaction_end(xs_tx_t t, bool commit)
{
	return xs_talk_ok(XS_TRANSACTION_END, t, commit ? "T" : "F", NULL, 0);
}

long xs_transact(long (*body)(xs_tx_t t, void *arg), void *arg, unsigned int *tries)
{
	long rc = -XEN_EAGAIN;
	unsigned int n = 0;

	while (rc == -XEN_EAGAIN && n < XS_TRANSACT_TRIES) {
		xs_tx_t t;

		n++;
		rc = xs_transaction_start(&t);
		if (rc)
			break;
		rc = body(t, arg);
		if (rc < 0) {
			xs_transaction_end(t, false);
			break;
		}
		rc = xs_transaction_end(t, true);
	}
	if (tries)
		*tries = n;
	return rc;
}
