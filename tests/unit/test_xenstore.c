/*
 * parahost's xenstored request handlers (host/backends/xenstore.c and
 * xenstore_tree.c), host-compiled under ASan and UBSan: a few scripted
 * answers, then a flood of random requests (any type, transaction id and
 * byte soup a hostile guest could send), after each of which the handler
 * must have queued exactly one reply within XENSTORE_PAYLOAD_MAX, and the
 * store must stay a tree: every node's parent exists and lists it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "host/backends/xenstore.h"
#include "host/backends/xenstore_tree.h"
#include "tests/unit/unit.h"

unsigned int xs_domid = 1;
static unsigned int replies, events;
static struct xsd_sockmsg last;
static char last_payload[XENSTORE_PAYLOAD_MAX + 1];

void xs_queue(const struct xsd_sockmsg *m, const void *payload, bool is_reply)
{
	CU_ASSERT(m->len <= XENSTORE_PAYLOAD_MAX);
	if (is_reply) {
		replies++;
		last = *m;
		memcpy(last_payload, payload, m->len);
		last_payload[m->len] = 0;
	} else {
		events++;
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

void printk(const char *fmt, ...)
{
	(void)fmt;
}

/* The parts of xl's tree that matter here: a read-only home, a data/ the guest owns. */
static void fresh_store(void)
{
	xs_reset();
	snprintf(dom_path, sizeof(dom_path), "/local/domain/%u", xs_domid);
	xs_set_perms(xs_new(0, "/"), 0, XS_P_NONE, -1, 0);
	xs_set_perms(xs_put("", ""), 0, XS_P_NONE, (int)xs_domid, XS_P_READ);
	xs_put("name", "paraos");
	xs_set_perms(xs_put("data", ""), xs_domid, XS_P_NONE, -1, 0);
}

static uint32_t req(uint32_t type, uint32_t tx, const void *p, uint32_t len)
{
	static char buf[XENSTORE_PAYLOAD_MAX + 1];
	struct xsd_sockmsg m = { .type = type, .req_id = 7, .tx_id = tx, .len = len };

	memcpy(buf, p, len);
	buf[len] = 0;
	replies = 0;
	xs_handle(&m, buf);
	CU_ASSERT_EQUAL(replies, 1);
	return last.type;
}
#define REQ(t, tx, lit)	req((t), (tx), (lit), sizeof(lit) - 1)

static void test_scripted(void)
{
	uint32_t t1, t2;

	fresh_store();
	CU_ASSERT_EQUAL(REQ(XS_READ, 0, "name\0"), XS_READ);
	CU_ASSERT_STRING_EQUAL(last_payload, "paraos");
	CU_ASSERT_EQUAL(REQ(XS_WRITE, 0, "name\0x"), XS_ERROR);
	CU_ASSERT_STRING_EQUAL(last_payload, "EACCES");
	CU_ASSERT_EQUAL(REQ(XS_TRANSACTION_START, 0, "\0"), XS_TRANSACTION_START);
	t1 = (uint32_t)atoi(last_payload);
	CU_ASSERT_EQUAL(REQ(XS_TRANSACTION_START, 0, "\0"), XS_TRANSACTION_START);
	t2 = (uint32_t)atoi(last_payload);
	CU_ASSERT_EQUAL(REQ(XS_WRITE, t1, "data/a\0" "1"), XS_WRITE);
	CU_ASSERT_EQUAL(REQ(XS_WRITE, t2, "data/a\0" "2"), XS_WRITE);
	CU_ASSERT_EQUAL(REQ(XS_READ, 0, "data/a\0"), XS_ERROR);
	CU_ASSERT_EQUAL(REQ(XS_TRANSACTION_END, t1, "T\0"), XS_TRANSACTION_END);
	CU_ASSERT_EQUAL(REQ(XS_TRANSACTION_END, t2, "T\0"), XS_ERROR);
	CU_ASSERT_STRING_EQUAL(last_payload, "EAGAIN");
	CU_ASSERT_EQUAL(REQ(XS_READ, 0, "data/a\0"), XS_READ);
	CU_ASSERT_STRING_EQUAL(last_payload, "1");
	CU_ASSERT_EQUAL(REQ(XS_WATCH, 0, "data\0t\0"), XS_WATCH);
	events = 0;
	CU_ASSERT_EQUAL(REQ(XS_RM, 0, "data/a\0"), XS_RM);
	CU_ASSERT_EQUAL(events, 1);
	CU_ASSERT_EQUAL(REQ(XS_RESET_WATCHES, 0, "\0"), XS_RESET_WATCHES);
}

/* Every live node of the store has its parent, which lists it. */
static unsigned int check_tree(void)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < XS_RECORDS; i++) {
		const struct xs_rec *r = &xs_recs[i], *p;
		char parent[XS_KEY_MAX];
		const char *base, *c;
		bool listed = false;

		if (r->state != REC_LIVE || r->tx || !strcmp(r->key, "/"))
			continue;
		xs_parent(r->key, parent);
		p = xs_get(0, parent);
		base = xs_basename(r->key);
		for (c = p ? p->data + p->vlen : NULL; p && c < p->data + p->vlen + p->clen;
		     c += strlen(c) + 1)
			listed |= !strcmp(c, base);
		bad += !listed;
	}
	return bad;
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void test_random_requests(void)
{
	static const char alphabet[] = "ab/@\0TFnrwb01-";
	static char p[XENSTORE_PAYLOAD_MAX];
	uint32_t open_tx[4] = { 0 };
	unsigned int broken = 0;

	fresh_store();
	for (unsigned int n = 0; n < 100000; n++) {
		uint32_t type = rnd() % 8 ? rnd() % (XS_TYPE_COUNT + 2) : rnd();
		uint32_t len = rnd() % 16 ? rnd() % 40 : rnd() % XENSTORE_PAYLOAD_MAX;
		uint32_t tx = rnd() % 3 ? 0 : rnd() % 4 ? open_tx[rnd() % 4] : rnd();
		uint32_t pre = 0;

		/* Mostly paths the guest may write, so the store grows and shrinks. */
		if (rnd() % 2 && len >= 6) {
			memcpy(p, "data/", 5);
			pre = 5;
		}
		for (uint32_t k = pre; k < len; k++)
			p[k] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		if (len && rnd() % 4)
			p[len - 1] = 0;
		if (type == XS_TRANSACTION_START || type == XS_TRANSACTION_END)
			tx = rnd() % 2 ? tx : 0;
		if (req(type, tx, p, len) == XS_TRANSACTION_START)
			open_tx[rnd() % 4] = (uint32_t)atoi(last_payload);
		if (n % 1000 == 0)
			broken += check_tree();
	}
	CU_ASSERT_EQUAL(broken, 0);
	CU_ASSERT_EQUAL(check_tree(), 0);
}

static int xenstore_suite(void)
{
	CU_pSuite s = unit_add_suite("xenstore");

	if (!s)
		return -1;
	ADD_TEST(s, test_scripted);
	ADD_TEST(s, test_random_requests);
	return 0;
}
UNIT_SUITE(xenstore_suite)
