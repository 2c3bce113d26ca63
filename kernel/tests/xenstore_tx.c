/*
 * Xenstore transactions as C xenstored 4.17 keeps them (answers measured
 * on Xen's harness): a transaction sees its own writes and nobody else
 * does until it ends; ending with "T" gives EAGAIN if any node it read or
 * wrote (a node it found absent, a directory it listed, the parent whose
 * child list it changed) was changed meanwhile, and applies nothing then;
 * watches fire at the commit, before its reply. Raw ring, so ids and
 * arguments can be wrong on purpose (xs_raw.h). The initial domain has no
 * store at boot: there they only check that start_info names none.
 */
#include "kernel/ktest.h"
#include "kernel/tests/xs_raw.h"

#define ST(t, p, rt, r, ...) \
	{ .type = XS_##t, XSR_S(p), .reply_type = XS_##rt, .reply = (r), __VA_ARGS__ }
#define START(slot)	ST(TRANSACTION_START, "\0", TRANSACTION_START, NULL, .save_tx = (slot))
#define OK(t, p, ...)	ST(t, p, t, "OK|", __VA_ARGS__)
#define ERR(t, p, e, ...) ST(t, p, ERROR, e "|", __VA_ARGS__)

/* Two transactions write one node: the first to end wins, the other gets EAGAIN, a retry succeeds. */
KTEST(xenstore, transaction_write_conflict)
{
	static const struct xsr_step steps[] = {
		START(1), START(2),
		OK(WRITE, "data/tx/a\0" "1", .tx = 1),
		ERR(READ, "data/tx/a\0", "ENOENT", .tx = 2),
		OK(WRITE, "data/tx/a\0" "2", .tx = 2),
		OK(TRANSACTION_END, "T\0", .tx = 1),
		ERR(TRANSACTION_END, "T\0", "EAGAIN", .tx = 2),
		ST(READ, "data/tx/a\0", READ, "1"),
		START(2),
		OK(WRITE, "data/tx/a\0" "2", .tx = 2),
		OK(TRANSACTION_END, "T\0", .tx = 2),
		ST(READ, "data/tx/a\0", READ, "2"),
		OK(RM, "data/tx\0"),
	};

	if (xsr_store())
		xsr_run("write conflict", steps, ARRAY_SIZE(steps));
}

/* What counts as a conflict: reads too, of absent nodes and directories; untouched nodes do not. */
KTEST(xenstore, transaction_read_conflicts)
{
	static const struct xsr_step steps[] = {
		OK(WRITE, "data/tx/a\0" "1"),
		START(1),
		ST(READ, "data/tx/a\0", READ, "1", .tx = 1),
		OK(WRITE, "data/tx/a\0" "3"),
		ERR(TRANSACTION_END, "T\0", "EAGAIN", .tx = 1),
		START(1),
		ERR(READ, "data/tx/b\0", "ENOENT", .tx = 1),
		OK(WRITE, "data/tx/b\0" "x"),
		ERR(TRANSACTION_END, "T\0", "EAGAIN", .tx = 1),
		START(1),
		ST(DIRECTORY, "data/tx\0", DIRECTORY, "a|b|", .tx = 1),
		OK(WRITE, "data/tx/c\0" "1"),
		ERR(TRANSACTION_END, "T\0", "EAGAIN", .tx = 1),
		/* Two new siblings: both change their parent's child list. */
		START(1),
		OK(WRITE, "data/tx/d\0" "1", .tx = 1),
		OK(WRITE, "data/tx/e\0" "1"),
		ERR(TRANSACTION_END, "T\0", "EAGAIN", .tx = 1),
		ERR(READ, "data/tx/d\0", "ENOENT"),
		/* Disjoint existing nodes: no conflict. */
		START(1),
		OK(WRITE, "data/tx/a\0" "9", .tx = 1),
		OK(WRITE, "data/tx/b\0" "9"),
		OK(TRANSACTION_END, "T\0", .tx = 1),
		ST(READ, "data/tx/a\0", READ, "9"),
		OK(RM, "data/tx\0"),
	};

	if (xsr_store())
		xsr_run("read conflicts", steps, ARRAY_SIZE(steps));
}

/* The transaction's own view, aborting, and every wrong way to name or end one. */
KTEST(xenstore, transaction_view_and_bad_ids)
{
	static const struct xsr_step steps[] = {
		OK(MKDIR, "data/tx\0"),
		START(1),
		OK(WRITE, "data/tx/f\0" "1", .tx = 1),
		ST(READ, "data/tx/f\0", READ, "1", .tx = 1),
		ST(DIRECTORY, "data/tx\0", DIRECTORY, "f|", .tx = 1),
		ERR(READ, "data/tx/f\0", "ENOENT"),
		ST(DIRECTORY, "data/tx\0", DIRECTORY, ""),
		ERR(TRANSACTION_START, "\0", "EBUSY", .tx = 1),
		ERR(TRANSACTION_END, "\0", "EINVAL", .tx = 1),
		ERR(TRANSACTION_END, "T", "EINVAL", .tx = 1),
		ERR(TRANSACTION_END, "TT\0", "EINVAL", .tx = 1),
		{ .type = XS_TRANSACTION_END, .payload = "", .len = 0, .tx = 1,
		  .reply_type = XS_ERROR, .reply = "EINVAL|" },
		OK(TRANSACTION_END, "F\0", .tx = 1),
		ERR(TRANSACTION_END, "F\0", "ENOENT", .tx = 1),
		ERR(READ, "data/tx/f\0", "ENOENT"),
		ERR(TRANSACTION_END, "T\0", "ENOENT", .tx = XSR_TX_BOGUS),
		ERR(READ, "name\0", "ENOENT", .tx = XSR_TX_BOGUS),
		ERR(GET_DOMAIN_PATH, "1\0", "ENOENT", .tx = XSR_TX_BOGUS),
		/* Watches ignore the transaction id. */
		OK(WATCH, "data/tx\0tokx\0", .tx = XSR_TX_BOGUS, .after = { "data/tx|tokx|" }),
		OK(UNWATCH, "data/tx\0tokx\0", .tx = XSR_TX_BOGUS),
		/* A start's payload is not looked at. */
		ST(TRANSACTION_START, "junk\0", TRANSACTION_START, NULL, .save_tx = 1),
		OK(TRANSACTION_END, "F\0", .tx = 1),
		{ .type = XS_TRANSACTION_START, .payload = "", .len = 0,
		  .reply_type = XS_TRANSACTION_START, .save_tx = 1 },
		OK(TRANSACTION_END, "F\0", .tx = 1),
		OK(RM, "data/tx\0"),
	};

	if (xsr_store())
		xsr_run("view and ids", steps, ARRAY_SIZE(steps));
}

/* Watches see a transaction's changes when it commits, in the order it made them, before the reply. */
KTEST(xenstore, transaction_events_at_commit)
{
	static const struct xsr_step steps[] = {
		OK(WRITE, "data/tx/c\0" "1"),
		OK(WATCH, "data/tx\0wt\0", .after = { "data/tx|wt|" }),
		START(1),
		OK(WRITE, "data/tx/g\0" "1", .tx = 1),
		OK(RM, "data/tx/c\0", .tx = 1),
		OK(TRANSACTION_END, "T\0", .tx = 1, .before = { "data/tx/g|wt|", "data/tx/c|wt|" }),
		OK(UNWATCH, "data/tx\0wt\0"),
		OK(RM, "data/tx\0"),
	};

	if (xsr_store())
		xsr_run("events at commit", steps, ARRAY_SIZE(steps));
}

/* Eleven open transactions per domain; the twelfth start is ENOSPC. */
KTEST(xenstore, transaction_quota)
{
	static const struct xsr_step start = START(1);
	static const struct xsr_step full = ERR(TRANSACTION_START, "\0", "ENOSPC");
	static const struct xsr_step end = OK(TRANSACTION_END, "F\0", .tx = 1);
	uint32_t ids[11];

	if (!xsr_store())
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(ids); i++) {
		if (!xsr_run("quota start", &start, 1))
			return;
		ids[i] = xsr_slot(1);
	}
	if (!xsr_run("quota full", &full, 1))
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(ids); i++) {
		xsr_set_slot(1, ids[i]);
		if (!xsr_run("quota end", &end, 1))
			return;
	}
}

/* A write refused inside a transaction (the record quota) spoils it: ending it is ENOMEM. */
KTEST(xenstore, transaction_failed_write)
{
	static char big[16 + 2016];
	struct xsr_step steps[] = {
		START(1),
		{ .type = XS_WRITE, .payload = big, .len = sizeof(big), .tx = 1,
		  .reply_type = XS_ERROR, .reply = "ENOSPC|" },
		ERR(TRANSACTION_END, "T\0", "ENOMEM", .tx = 1),
		ERR(READ, "data/tx\0", "ENOENT"),
	};

	if (!xsr_store())
		return;
	memcpy(big, "data/tx/big", 12);
	memset(big + 12, 'x', sizeof(big) - 12);
	xsr_run("failed write", steps, ARRAY_SIZE(steps));
}
