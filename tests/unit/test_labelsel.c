/* SPDX-License-Identifier: Apache-2.0 */
/* Label selectors: what Kubernetes accepts, what it matches, and its exact
 * messages for what it refuses. */
#include <string.h>

#include "labelsel.h"
#include "tap.h"

/* Labels written "k=v,k2=v2" ("k=" is an empty value). */
struct labels {
	char buf[256];
	const char *k[8], *v[8];
	size_t n;
};

static void labels_set(struct labels *l, const char *spec)
{
	char *save = NULL, *tok;

	l->n = 0;
	snprintf(l->buf, sizeof(l->buf), "%s", spec);
	for (tok = strtok_r(l->buf, ",", &save); tok && l->n < 8; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		*eq = '\0';
		l->k[l->n] = tok;
		l->v[l->n++] = eq + 1;
	}
}

static const char *labels_get(void *ctx, const char *key)
{
	struct labels *l = ctx;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->k[i], key))
			return l->v[i];
	return NULL;
}

static int matches(const char *sel, const char *lbls)
{
	struct labelsel *s = NULL;
	struct pn_err err = { 0 };
	struct labels l;
	int r;

	if (labelsel_parse(sel, &s, &err) < 0) {
		pn_err_free(&err);
		return -1;
	}
	labels_set(&l, lbls);
	r = labelsel_matches(s, labels_get, &l);
	labelsel_free(s);
	return r;
}

static void refused(const char *sel, const char *want)
{
	struct labelsel *s = NULL;
	struct pn_err err = { 0 };
	int ret = labelsel_parse(sel, &s, &err);

	ok(ret < 0 && s == NULL, "refused: %s", sel);
	is_str(ret < 0 ? pn_err_msg(&err) : "(accepted)", want, "message for %s", sel);
	pn_err_free(&err);
	labelsel_free(s);
}

#define MSG_LABEL_VALUE                                                                            \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
	"or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "      \
	"'my_value',  or '12345', regex used for validation is "                                   \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

int main(void)
{
	struct labelsel *s = NULL;
	struct pn_err err = { 0 };

	/* Equality. */
	is_int(matches("app=web", "app=web"), 1, "= matches the value");
	is_int(matches("app=web", "app=db"), 0, "= refuses another value");
	is_int(matches("app=web", "tier=web"), 0, "= refuses a missing key");
	is_int(matches("app==web", "app=web"), 1, "== matches");
	is_int(matches("app!=web", "app=db"), 1, "!= matches another value");
	is_int(matches("app!=web", ""), 1, "!= matches a missing key");
	is_int(matches("app!=web", "app=web"), 0, "!= refuses the value");
	is_int(matches("app=", "app="), 1, "= with no value matches an empty value");
	is_int(matches("app=", "app=x"), 0, "= with no value refuses a value");

	/* Set-based. */
	is_int(matches("env in (prod, qa)", "env=qa"), 1, "in matches a member");
	is_int(matches("env in (prod,qa)", "env=dev"), 0, "in refuses a non-member");
	is_int(matches("env in (prod,qa)", ""), 0, "in refuses a missing key");
	is_int(matches("env notin (dev)", "env=prod"), 1, "notin matches a non-member");
	is_int(matches("env notin (dev)", ""), 1, "notin matches a missing key");
	is_int(matches("env notin (dev)", "env=dev"), 0, "notin refuses a member");
	is_int(matches("gpu", "gpu=,x=1"), 1, "exists matches an empty value");
	is_int(matches("gpu", "x=1"), 0, "exists refuses a missing key");
	is_int(matches("!gpu", "x=1"), 1, "!key matches a missing key");
	is_int(matches("!gpu", "gpu=1"), 0, "!key refuses a present key");
	is_int(matches("app in (in,notin)", "app=notin"), 1, "in/notin are values inside ()");
	is_int(matches("app in ()", "app="), 1, "() holds the empty value");
	is_int(matches("app in (,)", "app="), 1, "(,) holds the empty value");
	is_int(matches("app in (,a)", "app="), 1, "(,a) holds the empty value");
	is_int(matches("x>5", "x=7"), 1, "> compares integers");
	is_int(matches("x>5", "x=5"), 0, "> is strict");
	is_int(matches("x<5", "x=-3"), 1, "< takes negative numbers");
	is_int(matches("x>5", "x=a"), 0, "> refuses a non-integer label");
	is_int(matches("app=web,tier in (fe),!canary", "app=web,tier=fe"), 1, "requirements AND");
	is_int(matches("app=web,tier in (fe),!canary", "app=web,tier=fe,canary=1"), 0,
	       "one failing requirement fails all");
	is_int(matches("", "x=1"), 1, "an empty selector matches everything");
	is_int(matches("  app  =  web  ", "app=web"), 1, "blanks around tokens");
	is_int(matches("example.com/app=web", "example.com/app=web"), 1, "prefixed keys");

	/* Parsed form: sorted by key, values as a sorted set. */
	if (labelsel_parse("z=1,a in (c,b,c),m", &s, &err) == 0) {
		is_int(s->n, 3, "three requirements");
		is_str(s->reqs[0].key, "a", "sorted by key");
		is_int(s->reqs[0].n_values, 2, "duplicate values collapse");
		is_str(s->reqs[0].values[0], "b", "values sorted");
		is_int(s->reqs[1].op, LABELSEL_EXISTS, "a bare key is exists");
		is_int(s->reqs[2].op, LABELSEL_EQUALS, "= kept as =");
	} else {
		ok(0, "parse z=1,a in (c,b,c),m: %s", pn_err_msg(&err));
		pn_err_free(&err);
	}
	labelsel_free(s);

	/* Refused, with kube's words. */
	refused("app in (a", "unable to parse requirement: found '', expected: ',' or ')'");
	refused(",app", "found ',', expected: !, identifier, or 'end of string'");
	refused("app=a b", "found 'b', expected: ',' or 'end of string'");
	refused("a,", "found '', expected: identifier after ','");
	refused("a,,b", "found ',', expected: identifier after ','");
	refused("app in a", "unable to parse requirement: found 'a' expected: '('");
	refused("app in in (x)", "unable to parse requirement: found 'in' expected: '('");
	refused("app = (", "unable to parse requirement: found '(', expected: identifier");
	refused("app ! x", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt");
	refused("!", "unable to parse requirement: found '', expected: identifier");
	refused("app in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'");
	refused("app in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier");
	refused("app=a_", "unable to parse requirement: values[0][app]: Invalid value: \"a_\": " MSG_LABEL_VALUE);
	refused("app in (a,-b)",
		"unable to parse requirement: values[0][app]: Invalid value: \"-b\": " MSG_LABEL_VALUE);
	refused("app in (-a,-b)",
		"unable to parse requirement: [values[0][app]: Invalid value: \"-a\": " MSG_LABEL_VALUE
		", values[1][app]: Invalid value: \"-b\": " MSG_LABEL_VALUE "]");
	refused("x>a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' "
		       "operators, the value must be an integer");
	refused("-bad=1",
		"unable to parse requirement: <nil>: Invalid value: \"-bad\": name part must consist of "
		"alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
		"character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
		"'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
	refused("a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name "
			 "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
			 "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
			 "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional "
			 "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
	return tap_done();
}
