/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CLI's flag parser against what pflag (kubectl's) does with the same
 * command lines; the error texts are kubectl v1.32's, e.g.
 *   kubectl get pods --bogus        -> unknown flag: --bogus
 *   kubectl get pods -z             -> unknown shorthand flag: 'z' in -z
 *   kubectl get pods --selector     -> flag needs an argument: --selector
 *   kubectl exec x -c               -> flag needs an argument: 'c' in -c
 *   kubectl delete pod x --grace-period=abc
 *     -> invalid argument "abc" for "--grace-period" flag: strconv.ParseInt: parsing "abc": invalid syntax
 */
#include <stdbool.h>
#include <stdint.h>

#include "flags.h"
#include "tap.h"

struct opts {
	const char *ns, *container, *output;
	bool stdin_, tty, force, wait;
	long long grace;
	int64_t since;
	struct flag_strings files;
};

static int run(struct opts *o, struct flag_args *a, struct pn_err *err, int argc, char **argv)
{
	struct flag flags[] = {
		FLAG_DEF("namespace", 'n', FLAG_STRING, &o->ns),
		FLAG_DEF("container", 'c', FLAG_STRING, &o->container),
		FLAG_DEF("output", 'o', FLAG_STRING, &o->output),
		FLAG_DEF("stdin", 'i', FLAG_BOOL, &o->stdin_),
		FLAG_DEF("tty", 't', FLAG_BOOL, &o->tty),
		FLAG_DEF("force", 0, FLAG_BOOL, &o->force),
		FLAG_DEF("wait", 0, FLAG_BOOL, &o->wait),
		FLAG_DEF("grace-period", 0, FLAG_INT, &o->grace),
		FLAG_DEF("since", 0, FLAG_DURATION, &o->since),
		FLAG_DEF("filename", 'f', FLAG_STRINGS, &o->files),
		FLAG_END,
	};

	memset(o, 0, sizeof(*o));
	o->wait = true;
	o->grace = -1;
	return flags_parse(flags, argc, argv, a, err);
}

#define ARGV(...) ((char *[]){ "cmd", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "cmd", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, a, e, ...) run(o, a, e, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_forms(void)
{
	struct opts o;
	struct flag_args a;
	struct pn_err err = { 0 };

	ok(PARSE(&o, &a, &err, "pod1", "-c=c2", "--", "ls", "-l") == 0, "-c=c2 parses");
	is_str(o.container, "c2", "-c=c2 is c2 (not =c2)");
	is_int(a.n, 3, "pod1 ls -l are arguments");
	is_int(a.dash, 1, "\"--\" after one argument");
	is_str(a.v[2], "-l", "after --, -l is an argument");
	ok(a.v[3] == NULL, "the arguments end with NULL (an argv for exec)");
	flag_args_free(&a);

	ok(PARSE(&o, &a, &err, "--container=c3", "pod1") == 0 && !strcmp(o.container, "c3"),
	   "--container=c3");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "--container", "c4", "pod1") == 0 && !strcmp(o.container, "c4") &&
		   a.n == 1,
	   "--container c4: the next word is the value");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "-cc5") == 0 && !strcmp(o.container, "c5"), "-cc5");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "-owide") == 0 && !strcmp(o.output, "wide"), "-owide");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "-o", "-x") == 0 && !strcmp(o.output, "-x"),
	   "-o -x: a value may start with '-'");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "-it", "pod") == 0 && o.stdin_ && o.tty, "-it: bundled booleans");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "-itc", "c1") == 0 && o.stdin_ && o.tty && !strcmp(o.container, "c1"),
	   "-itc c1: booleans, then a flag with a value");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "--wait=false") == 0 && !o.wait, "--wait=false");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "--force", "false") == 0 && o.force && a.n == 1 &&
		   !strcmp(a.v[0], "false"),
	   "--force false: a bool takes no separate value");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "-i=false", "--tty=T") == 0 && !o.stdin_ && o.tty,
	   "-i=false, --tty=T (strconv.ParseBool)");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "--grace-period=0x10") == 0 && o.grace == 16,
	   "--grace-period=0x10: ParseInt base 0");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "-f", "a.yaml,b.yaml", "--filename=c.yaml", "-f", "-") == 0 &&
		   o.files.n == 4 && !strcmp(o.files.v[1], "b.yaml") && !strcmp(o.files.v[3], "-"),
	   "-f: repeatable, comma-separated (StringSlice), - is stdin");
	flag_strings_free(&o.files);
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "-", "x") == 0 && a.n == 2 && !strcmp(a.v[0], "-"),
	   "a lone - is an argument");
	flag_args_free(&a);
	ok(PARSE(&o, &a, &err, "--since=1h2m3.5s") == 0 && o.since == 3723500000000LL,
	   "--since=1h2m3.5s");
	flag_args_free(&a);
	pn_err_free(&err);
}

static void refused(const char *want, int argc, char **argv)
{
	struct opts o;
	struct flag_args a;
	struct pn_err err = { 0 };

	ok(run(&o, &a, &err, argc, argv) < 0, "refused: %s", argv[1]);
	is_str(pn_err_msg(&err), want, "message: %s", want);
	ok(a.v == NULL && a.n == 0, "nothing to free after a refusal");
	flag_strings_free(&o.files);
	pn_err_free(&err);
}

#define REFUSED(want, ...) refused(want, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_errors(void)
{
	REFUSED("unknown flag: --bogus", "pods", "--bogus");
	REFUSED("unknown flag: --bogus", "--bogus=3");
	REFUSED("unknown shorthand flag: 'z' in -z", "-z");
	REFUSED("unknown shorthand flag: 'z' in -zt", "-izt");
	REFUSED("flag needs an argument: --namespace", "--namespace");
	REFUSED("flag needs an argument: 'c' in -c", "x", "-c");
	REFUSED("invalid argument \"abc\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax",
		"--grace-period=abc");
	REFUSED("invalid argument \"99999999999999999999\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
		"--grace-period", "99999999999999999999");
	REFUSED("invalid argument \"maybe\" for \"--force\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax",
		"--force=maybe");
	REFUSED("invalid argument \"x\" for \"-t, --tty\" flag: strconv.ParseBool: parsing \"x\": invalid syntax",
		"-t=x");
	REFUSED("invalid argument \"1d\" for \"--since\" flag: time: unknown unit \"d\" in duration \"1d\"",
		"--since=1d");
	REFUSED("invalid argument \"5\" for \"--since\" flag: time: missing unit in duration \"5\"",
		"--since=5");
	REFUSED("invalid argument \"h\" for \"--since\" flag: time: invalid duration \"h\"", "--since=h");
	REFUSED("bad flag syntax: ---x", "---x");
}

static void test_duration(void)
{
	static const struct {
		const char *s;
		int64_t ns;
	} good[] = {
		{ "0", 0 },        { "5s", 5000000000LL }, { "-1.5h", -5400000000000LL },
		{ "300ms", 300000000LL }, { "1us", 1000 },  { "1\u00b5s", 1000 },
		{ ".5s", 500000000LL },   { "2h45m", 9900000000000LL }, { "+3ns", 3 },
	};
	static const char *const bad[] = { "", "s", "1", "1.s5", "-", ".s", "9223372036854775808ns" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct pn_err err = { 0 };
		int64_t v = -7;

		ok(flags_parse_duration(good[i].s, &v, &err) == 0 && v == good[i].ns,
		   "duration \"%s\" = %lld ns (got %lld)", good[i].s, (long long)good[i].ns, (long long)v);
		pn_err_free(&err);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pn_err err = { 0 };
		int64_t v;

		ok(flags_parse_duration(bad[i], &v, &err) < 0, "duration \"%s\" refused: %s", bad[i],
		   pn_err_msg(&err));
		pn_err_free(&err);
	}
}

int main(void)
{
	test_forms();
	test_errors();
	test_duration();
	return tap_done();
}
