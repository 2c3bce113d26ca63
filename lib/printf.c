#include "lib/printf.h"
#include "lib/string.h"

#include <stdint.h>
#include <stdbool.h>

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int prec;		/* -1: none given */
};

struct out {
	emit_fn emit;
	void *ctx;
	int count;
};

static void put(struct out *o, char c)
{
	o->emit(o->ctx, c);
	o->count++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
	int len;

	if (!s)
		s = "(null)";
	len = (int)strnlen(s, sp->prec >= 0 ? (size_t)sp->prec : (size_t)-1);
	if (!sp->left)
		pad(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - len);
}

/*
 * signed_conv: %d/%i, where '+' and ' ' apply; for the unsigned
 * conversions C ignores them.
 */
static bool v_nonzero(const char *digits, int n)
{
	return !(n == 0 || (n == 1 && digits[0] == '0'));
}

static void put_num(struct out *o, const struct spec *sp, uint64_t v,
		    bool negative, bool signed_conv, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0;
	char sign = 0;
	const char *prefix = "";
	int prefix_len, zeros, total;

	while (v) {
		buf[n++] = digits[v % base];
		v /= base;
	}
	/* C rule: precision 0 with value 0 prints no digits. */
	if (n == 0 && sp->prec != 0)
		buf[n++] = '0';

	if (negative)
		sign = '-';
	else if (signed_conv && sp->plus)
		sign = '+';
	else if (signed_conv && sp->space)
		sign = ' ';

	zeros = sp->prec > n ? sp->prec - n : 0;
	if (sp->alt && base == 16 && v_nonzero(buf, n))
		prefix = upper ? "0X" : "0x";
	/* '#' with octal: the first digit must be 0; precision may give it. */
	else if (sp->alt && base == 8 && zeros == 0 && (n == 0 || buf[n - 1] != '0'))
		prefix = "0";
	prefix_len = (int)strlen(prefix);

	total = (sign ? 1 : 0) + prefix_len + zeros + n;
	/* '0' is ignored when a precision is given, as in C. */
	if (sp->zero && !sp->left && sp->prec < 0 && sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}

	if (!sp->left)
		pad(o, ' ', sp->width - total);
	if (sign)
		put(o, sign);
	for (int i = 0; i < prefix_len; i++)
		put(o, prefix[i]);
	pad(o, '0', zeros);
	while (n)
		put(o, buf[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

static uint64_t get_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR:	return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_SHORT:	return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_LONG:	return va_arg(*ap, unsigned long);
	case LEN_LLONG:	return va_arg(*ap, unsigned long long);
	case LEN_SIZE:	return va_arg(*ap, size_t);
	default:	return va_arg(*ap, unsigned int);
	}
}

static int64_t get_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR:	return (signed char)va_arg(*ap, int);
	case LEN_SHORT:	return (short)va_arg(*ap, int);
	case LEN_LONG:	return va_arg(*ap, long);
	case LEN_LLONG:	return va_arg(*ap, long long);
	case LEN_SIZE:	return va_arg(*ap, long);	/* ssize_t / ptrdiff_t */
	default:	return va_arg(*ap, int);
	}
}

static int parse_int(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9') {
		if (v < 100000)		/* absurd widths are clamped, never overflow */
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

int vformat(emit_fn emit, void *ctx, const char *fmt, va_list ap_in)
{
	struct out o = { emit, ctx, 0 };
	va_list ap;

	va_copy(ap, ap_in);
	for (const char *p = fmt; *p; p++) {
		struct spec sp = { .prec = -1 };
		enum length len = LEN_INT;

		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		p++;
		for (;; p++) {
			if (*p == '-') sp.left = true;
			else if (*p == '0') sp.zero = true;
			else if (*p == '+') sp.plus = true;
			else if (*p == ' ') sp.space = true;
			else if (*p == '#') sp.alt = true;
			else break;
		}
		if (*p == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = true;
				sp.width = -sp.width;
			}
			p++;
		} else {
			sp.width = parse_int(&p);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				sp.prec = va_arg(ap, int);
				if (sp.prec < 0)
					sp.prec = -1;
				p++;
			} else {
				sp.prec = parse_int(&p);
			}
		}
		switch (*p) {
		case 'h':
			len = p[1] == 'h' ? (p++, LEN_CHAR) : LEN_SHORT;
			p++;
			break;
		case 'l':
			len = p[1] == 'l' ? (p++, LEN_LLONG) : LEN_LONG;
			p++;
			break;
		case 'z': case 't': case 'j':
			len = *p == 'j' ? LEN_LLONG : LEN_SIZE;
			p++;
			break;
		}

		switch (*p) {
		case 'd': case 'i': {
			int64_t v = get_signed(&ap, len);
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;

			put_num(&o, &sp, mag, v < 0, true, 10, false);
			break;
		}
		case 'u':
			put_num(&o, &sp, get_unsigned(&ap, len), false, false, 10, false);
			break;
		case 'x': case 'X':
			put_num(&o, &sp, get_unsigned(&ap, len), false, false, 16, *p == 'X');
			break;
		case 'o':
			put_num(&o, &sp, get_unsigned(&ap, len), false, false, 8, false);
			break;
		case 'p': {
			/* Always 0x and 16 digits (NULL too): addresses line up. */
			struct spec ps = { .prec = 16 };

			put(&o, '0');
			put(&o, 'x');
			put_num(&o, &ps, (uintptr_t)va_arg(ap, void *), false, false, 16, false);
			break;
		}
		case 'c': {
			char c[2] = { (char)va_arg(ap, int), 0 };

			sp.prec = 1;
			if (c[0])
				put_str(&o, &sp, c);
			else {		/* a NUL char is still one character */
				if (!sp.left) pad(&o, ' ', sp.width - 1);
				put(&o, 0);
				if (sp.left) pad(&o, ' ', sp.width - 1);
			}
			break;
		}
		case 's':
			put_str(&o, &sp, va_arg(ap, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it rather than read past. */
			put(&o, '%');
			p--;
			break;
		default:
			/* Unknown conversion: show it verbatim, consume nothing. */
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	va_end(ap);
	return o.count;
}

struct buf_ctx {
	char *buf;
	size_t size, used;
};

static void emit_buf(void *ctx, char c)
{
	struct buf_ctx *b = ctx;

	if (b->used + 1 < b->size)
		b->buf[b->used] = c;
	b->used++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_ctx b = { buf, size, 0 };
	int n = vformat(emit_buf, &b, fmt, ap);

	if (size)
		buf[b.used < size ? b.used : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
