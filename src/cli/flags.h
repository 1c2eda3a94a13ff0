/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_FLAGS_H
#define PODNET_FLAGS_H

/*
 * Command-line flags as kubectl reads them (spf13/pflag, which cobra
 * uses), so every kubectl habit parses the same way here:
 *
 *   --name=value  --name value  -n value  -nvalue  -n=value
 *   -it (bundled booleans)  --force  --force=false  -i=false
 *   positional arguments anywhere between flags; "--" ends the flags
 *   ("-" alone is an argument: stdin)
 *
 * and every mistake is refused with pflag's text:
 *
 *   unknown flag: --bogus
 *   unknown shorthand flag: 'z' in -z
 *   flag needs an argument: --selector        flag needs an argument: 'c' in -c
 *   invalid argument "x" for "--grace-period" flag: strconv.ParseInt: parsing "x": invalid syntax
 *   invalid argument "1d" for "--since" flag: time: unknown unit "d" in duration "1d"
 *
 * -h/--help are not flags here: main.c answers them before a command runs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

enum flag_type {
	FLAG_BOOL,      /* bool *: "true" unless --x=VALUE says otherwise (strconv.ParseBool) */
	FLAG_STRING,    /* const char **: borrowed from argv */
	FLAG_STRINGS,   /* struct flag_strings *: repeatable, each value split at ',' (StringSlice) */
	FLAG_INT,       /* long long *: strconv.ParseInt(s, 0, 64) */
	FLAG_DURATION,  /* int64_t *: nanoseconds, Go's time.ParseDuration */
};

struct flag_strings {
	const char **v;   /* heap array of heap strings; flag_strings_free() */
	size_t n;
};

struct flag {
	const char *name;   /* long name without "--"; NULL ends a table */
	char shorthand;     /* 0: none */
	enum flag_type type;
	void *dst;
	bool changed;       /* set when the flag was given */
};

/* A table row and its end: struct flag tables[] = { FLAG_DEF(...), FLAG_END }. */
#define FLAG_DEF(name, shorthand, type, dst) { (name), (shorthand), (type), (dst), false }
#define FLAG_END { NULL, 0, FLAG_BOOL, NULL, false }

struct flag_args {
	char **v;           /* positional arguments in order, NULL after the last (heap
			     * array, NULL when there are none; borrowed strings) */
	size_t n;
	long dash;          /* how many of them came before "--"; -1 without "--" */
};

/* Parse @argv[1..@argc) against @flags (a table ended by name NULL).  On
 * failure err's message is pflag's text; nothing in @args is left to free. */
int flags_parse(struct flag *flags, int argc, char **argv, struct flag_args *args,
		struct pn_err *err) PN_MUST_CHECK;
void flag_args_free(struct flag_args *args);
void flag_strings_free(struct flag_strings *s);

/* The flag named @name of @flags (NULL if the table has none). */
const struct flag *flags_find(const struct flag *flags, const char *name);
bool flag_changed(const struct flag *flags, const char *name);

/* Go's time.ParseDuration: "300ms", "-1.5h", "2h45m"; units ns us µs ms s m h. */
int flags_parse_duration(const char *s, int64_t *ns, struct pn_err *err) PN_MUST_CHECK;

#endif
