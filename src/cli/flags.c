/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pflag's parsing rules and messages (github.com/spf13/pflag, flag.go:
 * parseArgs, parseLongArg, parseSingleShortArg; the value types' Set).
 */
#include "flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

const struct flag *flags_find(const struct flag *flags, const char *name)
{
	for (const struct flag *f = flags; f && f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

bool flag_changed(const struct flag *flags, const char *name)
{
	const struct flag *f = flags_find(flags, name);

	return f && f->changed;
}

static struct flag *find_long(struct flag *flags, const char *name, size_t len)
{
	for (struct flag *f = flags; f->name; f++)
		if (strlen(f->name) == len && !strncmp(f->name, name, len))
			return f;
	return NULL;
}

static struct flag *find_short(struct flag *flags, char c)
{
	for (struct flag *f = flags; f->name; f++)
		if (f->shorthand && f->shorthand == c)
			return f;
	return NULL;
}

/* strconv.ParseBool */
static int parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < PN_ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*v = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*v = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* strconv.ParseInt(s, 0, 64), but for the 0b/0o prefixes and '_'
 * separators Go also accepts there. */
static int parse_int(const char *s, long long *v)
{
	char *end;

	if (!*s || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
		return -EINVAL;
	errno = 0;
	*v = strtoll(s, &end, 0);
	if (*end || end == s)
		return -EINVAL;
	return errno == ERANGE ? -ERANGE : 0;
}

/* The digits at the start of @s as an integer; -ERANGE past 2^63. */
static int leading_int(const char **s, uint64_t *v)
{
	const char *p = *s;

	*v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*v > (UINT64_C(1) << 63) / 10)
			return -ERANGE;
		*v = *v * 10 + (uint64_t)(*p - '0');
		if (*v > UINT64_C(1) << 63)
			return -ERANGE;
	}
	*s = p;
	return 0;
}

/* The fraction digits at the start of @s: @f / @scale, digits beyond what
 * fits ignored (Go's leadingFraction). */
static void leading_fraction(const char **s, uint64_t *f, double *scale)
{
	const char *p = *s;
	bool overflow = false;

	*f = 0;
	*scale = 1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (overflow)
			continue;
		if (*f > (UINT64_C(1) << 63) / 10) {
			overflow = true;
			continue;
		}
		uint64_t y = *f * 10 + (uint64_t)(*p - '0');

		if (y > UINT64_C(1) << 63) {
			overflow = true;
			continue;
		}
		*f = y;
		*scale *= 10;
	}
	*s = p;
}

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\u00b5s", 1000 }, /* U+00B5 micro sign */
	{ "\u03bcs", 1000 }, /* U+03BC Greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000 },
	{ "m", UINT64_C(60) * 1000000000 },
	{ "h", UINT64_C(3600) * 1000000000 },
};

int flags_parse_duration(const char *orig, int64_t *out, struct pn_err *err)
{
	const char *s = orig;
	uint64_t d = 0;
	bool neg = false;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	if (!*s)
		goto invalid;
	while (*s) {
		uint64_t v, f = 0, unit = 0;
		double scale = 1;
		const char *start;
		bool pre, post = false;
		size_t ulen = 0;

		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			goto invalid;
		start = s;
		if (leading_int(&s, &v) < 0)
			goto invalid;
		pre = s != start;
		if (*s == '.') {
			s++;
			start = s;
			leading_fraction(&s, &f, &scale);
			post = s != start;
		}
		if (!pre && !post)
			goto invalid;
		while (s[ulen] && s[ulen] != '.' && !(s[ulen] >= '0' && s[ulen] <= '9'))
			ulen++;
		if (ulen == 0)
			return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "time: missing unit in duration \"%s\"",
					orig);
		for (size_t i = 0; i < PN_ARRAY_SIZE(units) && !unit; i++)
			if (strlen(units[i].name) == ulen && !strncmp(units[i].name, s, ulen))
				unit = units[i].ns;
		if (!unit)
			return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
					"time: unknown unit \"%.*s\" in duration \"%s\"", (int)ulen, s,
					orig);
		s += ulen;
		if (v > (UINT64_C(1) << 63) / unit)
			goto invalid;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > UINT64_C(1) << 63)
				goto invalid;
		}
		d += v;
		if (d > UINT64_C(1) << 63)
			goto invalid;
	}
	if (neg) {
		*out = d == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)d;
		return 0;
	}
	if (d > (uint64_t)INT64_MAX)
		goto invalid;
	*out = (int64_t)d;
	return 0;
invalid:
	return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "time: invalid duration \"%s\"", orig);
}

static int strings_add(struct flag_strings *s, const char *v, size_t len)
{
	const char **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	char *copy;

	if (!nv)
		return -ENOMEM;
	s->v = nv;
	copy = strndup(v, len);
	if (!copy)
		return -ENOMEM;
	s->v[s->n++] = copy;
	return 0;
}

void flag_strings_free(struct flag_strings *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free((char *)s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* pflag names a flag in "invalid argument" as "-c, --container" when it
 * has a shorthand. */
static int invalid(struct flag *f, const char *value, const char *why, struct pn_err *err)
{
	if (f->shorthand)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
				"invalid argument \"%s\" for \"-%c, --%s\" flag: %s", value, f->shorthand,
				f->name, why);
	return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "invalid argument \"%s\" for \"--%s\" flag: %s",
			value, f->name, why);
}

static int set_value(struct flag *f, const char *value, struct pn_err *err)
{
	char why[256];
	long long iv;
	int ret;

	switch (f->type) {
	case FLAG_BOOL:
		if (parse_bool(value, f->dst) < 0) {
			snprintf(why, sizeof(why), "strconv.ParseBool: parsing \"%s\": invalid syntax", value);
			return invalid(f, value, why, err);
		}
		break;
	case FLAG_STRING:
		*(const char **)f->dst = value;
		break;
	case FLAG_STRINGS: {
		/* StringSlice: each value is a CSV record ("a,b" is two). */
		struct flag_strings *s = f->dst;
		const char *p = value;

		if (!*p)
			break;
		for (;;) {
			size_t len = strcspn(p, ",");

			if (strings_add(s, p, len) < 0)
				return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			if (!p[len])
				break;
			p += len + 1;
		}
		break;
	}
	case FLAG_INT:
		ret = parse_int(value, &iv);
		if (ret < 0) {
			snprintf(why, sizeof(why), "strconv.ParseInt: parsing \"%s\": %s", value,
				 ret == -ERANGE ? "value out of range" : "invalid syntax");
			return invalid(f, value, why, err);
		}
		*(long long *)f->dst = iv;
		break;
	case FLAG_DURATION: {
		struct pn_err derr = { 0 };

		if (flags_parse_duration(value, f->dst, &derr) < 0) {
			ret = invalid(f, value, pn_err_msg(&derr), err);
			pn_err_free(&derr);
			return ret;
		}
		break;
	}
	}
	f->changed = true;
	return 0;
}

static int args_add(struct flag_args *a, char *v)
{
	char **nv = realloc(a->v, (a->n + 2) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	a->v = nv;
	a->v[a->n++] = v;
	a->v[a->n] = NULL;
	return 0;
}

void flag_args_free(struct flag_args *args)
{
	free(args->v);
	args->v = NULL;
	args->n = 0;
}

/* "--name[=value]" at argv[*i]. */
static int parse_long(struct flag *flags, int argc, char **argv, int *i, struct pn_err *err)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	struct flag *f;

	if (len == 0 || a[0] == '-' || a[0] == '=')
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "bad flag syntax: %s", argv[*i]);
	f = find_long(flags, a, len);
	if (!f)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "unknown flag: --%.*s", (int)len, a);
	if (eq)
		return set_value(f, eq + 1, err);
	if (f->type == FLAG_BOOL)
		return set_value(f, "true", err);
	if (*i + 1 >= argc)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "flag needs an argument: --%s", f->name);
	return set_value(f, argv[++*i], err);
}

/* "-abc", "-cVALUE", "-c=VALUE", "-c VALUE" at argv[*i]. */
static int parse_short(struct flag *flags, int argc, char **argv, int *i, struct pn_err *err)
{
	const char *s = argv[*i] + 1;

	while (*s) {
		struct flag *f = find_short(flags, *s);
		int ret;

		if (!f)
			return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "unknown shorthand flag: '%c' in -%s",
					*s, s);
		if (s[1] == '=') {
			ret = set_value(f, s + 2, err);
			return ret;
		}
		if (f->type == FLAG_BOOL) {
			ret = set_value(f, "true", err);
			if (ret < 0)
				return ret;
			s++;
			continue;
		}
		if (s[1])
			return set_value(f, s + 1, err);
		if (*i + 1 >= argc)
			return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
					"flag needs an argument: '%c' in -%s", *s, s);
		return set_value(f, argv[++*i], err);
	}
	return 0;
}

int flags_parse(struct flag *flags, int argc, char **argv, struct flag_args *args,
		struct pn_err *err)
{
	int ret = 0;

	memset(args, 0, sizeof(*args));
	args->dash = -1;
	for (int i = 1; i < argc && ret == 0; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			args->dash = (long)args->n;
			for (i++; i < argc && ret == 0; i++)
				if (args_add(args, argv[i]) < 0)
					ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (args_add(args, argv[i]) < 0)
				ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			continue;
		}
		ret = a[1] == '-' ? parse_long(flags, argc, argv, &i, err)
				  : parse_short(flags, argc, argv, &i, err);
	}
	if (ret < 0)
		flag_args_free(args);
	return ret;
}
