/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nftables models (nftmodel.c): the order of a diff's commands, JSON round
 * trips, and then, in a throwaway network namespace, every diff checked
 * against the kernel: after each step the table the kernel holds (listed,
 * element order normalised) must equal the table a full replacement of the
 * same model gives.  The steps: twenty unrelated random worlds in a row
 * (chains, sets and map entries come and go), then one world that gains a
 * pod at a time.  Needs root; skipped otherwise.
 */
#include <errno.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nftgen.h"
#include "nftx.h"
#include "polfix.h"
#include "tap.h"

static struct nftm_table *model(void (*fill)(struct nftm_table *))
{
	struct nftm_table *t = NULL;

	if (nftm_table_new("inet", "t", &t, NULL) < 0)
		abort();
	fill(t);
	if (nftm_finish(t, NULL) < 0)
		abort();
	return t;
}

static void fill_a(struct nftm_table *t)
{
	struct nftm_set *s = nftm_set_add(t, "s", "ipv4_addr", NULL, NULL);
	struct nftm_set *m = nftm_set_add(t, "m", "ipv4_addr", "verdict", "pods");
	struct nftm_chain *f = nftm_chain_add(t, "forward", "type filter hook forward priority filter; policy accept;", NULL);

	nftm_elem(t, s, "10.0.0.2");
	nftm_elem(t, s, "10.0.0.1");
	nftm_elem(t, s, "10.0.0.1");
	nftm_elem(t, m, "10.0.0.1 : goto c1");
	nftm_rule(t, f, "ip daddr vmap @m");
	nftm_rule(t, nftm_chain_add(t, "c1", NULL, NULL), "ip saddr @s accept");
	nftm_set_add(t, "gone", "ipv4_addr", NULL, NULL);
}

static void fill_b(struct nftm_table *t)
{
	struct nftm_set *s = nftm_set_add(t, "s", "ipv4_addr", NULL, NULL);
	struct nftm_set *m = nftm_set_add(t, "m", "ipv4_addr", "verdict", "pods");
	struct nftm_chain *f = nftm_chain_add(t, "forward", "type filter hook forward priority filter; policy accept;", NULL);

	nftm_elem(t, s, "10.0.0.2");
	nftm_elem(t, s, "10.0.0.3");
	nftm_elem(t, m, "10.0.0.1 : goto c2");
	nftm_elem(t, m, "10.0.0.3 : goto c2");
	nftm_rule(t, f, "ip daddr vmap @m");
	nftm_rule(t, f, "counter");
	nftm_rule(t, nftm_chain_add(t, "c2", NULL, NULL), "ip saddr @s2 accept");
	nftm_elem(t, nftm_set_add(t, "s2", "ipv4_addr", NULL, NULL), "10.9.9.9");
}

static size_t line_of(const char *script, const char *needle)
{
	const char *p = strstr(script, needle);
	size_t n = 0;

	if (!p)
		return (size_t)-1;
	for (const char *q = script; q < p; q++)
		n += *q == '\n';
	return n;
}

/* @t as the state keeps it: through JSON, without its rules. */
static struct nftm_table *stored(const struct nftm_table *t)
{
	json_t *j = nftm_to_json(t, false);
	struct nftm_table *r = NULL;

	if (!j || json_object_get(json_array_get(json_object_get(j, "chains"), 0), "rules") ||
	    nftm_from_json(j, &r, NULL) < 0)
		abort();
	json_decref(j);
	return r;
}

static void test_diff_order(void)
{
	struct nftm_table *a = model(fill_a), *b = model(fill_b);
	bool full = false;
	char *d = nftm_script_diff(a, b, &full);

	ok(d && !full, "a diff, no full replacement needed");
	if (!d)
		return;
	printf("# diff:\n# %s\n", d);
	ok(nftm_set_find(a, "s")->n_elems == 2, "elements are unique after finish");
	ok(line_of(d, "delete element inet t m { 10.0.0.1 }") < line_of(d, "delete chain inet t c1"),
	   "a map entry pointing at a chain goes before the chain");
	ok(line_of(d, "flush chain inet t c1") < line_of(d, "delete chain inet t c1"),
	   "a chain is flushed before it is deleted");
	ok(line_of(d, "flush chain inet t forward") != (size_t)-1 &&
		   line_of(d, "add rule inet t forward counter") > line_of(d, "flush chain inet t forward"),
	   "a changed chain is flushed and refilled");
	ok(line_of(d, "delete set inet t gone") != (size_t)-1, "a set that went is deleted");
	ok(line_of(d, "delete element inet t s { 10.0.0.1 }") != (size_t)-1 &&
		   line_of(d, "add element inet t s { 10.0.0.3 }") != (size_t)-1,
	   "a set that stays changes by elements only");
	ok(line_of(d, "add chain inet t c2") < line_of(d, "add element inet t m { 10.0.0.1 : goto c2, 10.0.0.3 : goto c2 }") &&
		   line_of(d, "add set inet t s2") < line_of(d, "add rule inet t c2 ip saddr @s2 accept"),
	   "targets exist before anything points at them");
	ok(line_of(d, "add set inet t s {") == (size_t)-1 && line_of(d, "add chain inet t forward") == (size_t)-1,
	   "nothing that stays is re-created");
	free(d);
	d = nftm_script_diff(b, b, &full);
	is_str(d, "", "no change, empty diff");
	free(d);

	/* A base chain's hook or a set's comment cannot change in place. */
	{
		struct nftm_table *c = model(fill_b);

		free(c->sets[0].comment);
		c->sets[0].comment = strdup("other");
		d = nftm_script_diff(b, c, &full);
		ok(!d && full, "a set comment change needs a full replacement");
		nftm_table_free(c);
	}
	{
		json_t *j = nftm_to_json(b, true);
		struct nftm_table *c = NULL;
		char *s1 = nftm_script_full(b), *s2 = NULL;

		ok(j && nftm_from_json(j, &c, NULL) == 0 && (s2 = nftm_script_full(c)) && !strcmp(s1, s2),
		   "JSON round trip keeps the model");
		free(s1);
		free(s2);
		json_decref(j);
		nftm_table_free(c);
	}
	{
		struct nftm_table *sa = stored(a), *sb = stored(b);
		char *d1 = nftm_script_diff(a, b, &full), *d2 = nftm_script_diff(sa, b, &full);
		char *d3 = nftm_script_diff(sb, b, &full);

		ok(d1 && d2 && !strcmp(d1, d2), "a model stored without its rules diffs as the model itself");
		ok(d3 && !*d3, "  and against itself, nothing");
		ok(!nftm_script_full(sa), "  but makes no full script");
		free(d1);
		free(d2);
		free(d3);
		nftm_table_free(sa);
		nftm_table_free(sb);
	}
	nftm_table_free(a);
	nftm_table_free(b);
}

/* ---- against the kernel */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The listing's sets, maps and chains (blocks separated by blank lines)
 * in name order: nft lists them in creation order, which a diff changes. */
static char *sort_blocks(char *text)
{
	char *v[20000], *out = NULL, *p = strchr(text, '\n'), *q;
	size_t n = 0, len = 0;
	FILE *f;

	/* inside "table inet podnet {" ... "}" */
	if (p)
		p++;
	q = strrchr(text, '}');
	if (q)
		*q = '\0';

	while (p && *p && n < 20000) {
		q = strstr(p, "\n\n");
		if (q)
			*q = '\0';
		while (*p == '\n')
			p++;
		for (char *e = p + strlen(p); e > p && e[-1] == '\n';)
			*--e = '\0';
		if (*p)
			v[n++] = p;
		p = q ? q + 2 : NULL;
	}
	/* the first block starts with the table line, the last ends with "}" */
	qsort(v, n, sizeof(*v), str_cmp);
	f = open_memstream(&out, &len);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n--\n", v[i]);
	fclose(f);
	free(text);
	return out;
}

/* `nft list table` with each elements list sorted (hash sets list in
 * the kernel's order, which depends on insertion history). */
static char *normalised_listing(const char *table)
{
	char cmd[128], *text = NULL, *out = NULL;
	size_t len = 0;
	FILE *f;
	char *p;

	snprintf(cmd, sizeof(cmd), "list table %s", table);
	if (nftx_list(cmd, &text, NULL) < 0)
		return NULL;
	f = open_memstream(&out, &len);
	p = text;
	while (*p) {
		char *e = strstr(p, "elements = {");

		if (!e) {
			fputs(p, f);
			break;
		}
		fwrite(p, 1, (size_t)(e - p), f);
		{
			char *end = strchr(e, '}'), *body, *tok, *save = NULL, *v[100000];
			size_t n = 0;

			body = strndup(e + 12, (size_t)(end - e - 12));
			for (tok = strtok_r(body, ",\n\t", &save); tok && n < 100000; tok = strtok_r(NULL, ",\n\t", &save)) {
				while (*tok == ' ')
					tok++;
				for (char *q = tok + strlen(tok); q > tok && q[-1] == ' ';)
					*--q = '\0';
				if (*tok)
					v[n++] = tok;
			}
			qsort(v, n, sizeof(*v), str_cmp);
			fputs("elements = {", f);
			for (size_t i = 0; i < n; i++)
				fprintf(f, " %s", v[i]);
			fputs(" }", f);
			free(body);
			p = end + 1;
		}
	}
	fclose(f);
	free(text);
	return sort_blocks(out);
}

static struct nftm_table *gen(struct pol_world *w)
{
	struct nftm_table *t = NULL;

	pol_world_finish(w);
	if (nftm_table_new("inet", "podnet", &t, NULL) < 0 || pol_nft_build(w, t, NULL) < 0 ||
	    nftm_finish(t, NULL) < 0)
		abort();
	return t;
}

/* Apply the step from @prev to @cur as a diff, then check it against a
 * full replacement.  Returns false on any difference. */
static bool step(struct nftm_table *prev, struct nftm_table *cur, size_t *diff_bytes)
{
	struct pn_err err = { 0 };
	char *script, *after_diff = NULL, *after_full = NULL;
	bool full = false, good = false;

	if (cur->n_chains == 0)
		return true; /* nothing isolated: sync deletes the table instead */
	script = prev && prev->n_chains ? nftm_script_diff(prev, cur, &full) : nftm_script_full(cur);
	if (!script && full)
		script = nftm_script_full(cur);
	if (!script)
		return false;
	*diff_bytes += strlen(script);
	if (nftx_run(script, "diff", &err) < 0) {
		printf("# diff refused: %s: %s\n# script:\n%s\n", pn_err_msg(&err), pn_err_details_text(&err), script);
		goto out;
	}
	after_diff = normalised_listing("inet podnet");
	free(script);
	script = nftm_script_full(cur);
	if (!script || nftx_run(script, "full", &err) < 0) {
		printf("# full refused: %s: %s\n", pn_err_msg(&err), pn_err_details_text(&err));
		goto out;
	}
	after_full = normalised_listing("inet podnet");
	good = after_diff && after_full && !strcmp(after_diff, after_full);
	if (!good)
		printf("# after diff:\n%s\n# after full:\n%s\n", after_diff ? after_diff : "",
		       after_full ? after_full : "");
out:
	pn_err_free(&err);
	free(script);
	free(after_diff);
	free(after_full);
	return good;
}

static void test_kernel(void)
{
	struct nftm_table *prev = NULL;
	size_t bad = 0, bytes = 0;
	struct pn_err err = { 0 };
	char *s;

	for (int i = 0; i < 20; i++) {
		struct pol_world *w = rnd_world(i % 3 == 0);
		struct nftm_table *t = gen(w);

		if (!step(prev, t, &bytes))
			bad++;
		if (t->n_chains) {
			nftm_table_free(prev);
			prev = stored(t); /* the old side of the next diff, as sync has it */
		}
		nftm_table_free(t);
		pol_world_free(w);
	}
	ok(bad == 0, "20 random worlds in a row: every diff leaves what a full replacement leaves");

	/* One world growing a pod at a time: diffs of a few elements. */
	bad = 0;
	for (int n = 1; n <= 9; n++) {
		struct pol_world *w = NULL;
		struct nftm_table *t;
		size_t before = bytes;

		if (pol_world_new(&w, NULL) < 0)
			abort();
		fx_ns(w, "x", "team=a");
		fx_ns(w, "y", "team=b");
		for (int p = 0; p < n; p++) {
			char name[8], ip[32], labels[32];

			snprintf(name, sizeof(name), "p%d", p);
			snprintf(ip, sizeof(ip), "10.0.0.%d", p + 1);
			snprintf(labels, sizeof(labels), "app=%s", p % 2 ? "web" : "db");
			fx_pod(w, p % 3 ? "x" : "y", name, labels, ip, p % 2 ? "http:80/TCP" : "");
		}
		fx_add_policy(w, "x", "web", "{\"podSelector\":{\"matchLabels\":{\"app\":\"web\"}},"
					     "\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"b\"}}}],"
					     "\"ports\":[{\"port\":\"http\"}]}]}");
		t = gen(w);
		if (!step(prev, t, &bytes))
			bad++;
		if (n > 2 && prev && prev->n_chains && bytes - before > 2 * 1024)
			printf("# step %d: diff of %zu bytes\n", n, bytes - before);
		if (t->n_chains) {
			nftm_table_free(prev);
			prev = stored(t);
		}
		nftm_table_free(t);
		pol_world_free(w);
	}
	ok(bad == 0, "a world gaining a pod at a time: diffs match full replacements");
	s = nftm_script_delete("inet", "podnet");
	ok(s && nftx_run(s, "delete", &err) == 0 && nftx_run(s, "delete again", &err) == 0,
	   "deleting the table works whether or not it exists");
	pn_err_free(&err);
	free(s);
	nftm_table_free(prev);
}

int main(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		test_diff_order();
		if (geteuid() != 0)
			ok(1, "# SKIP kernel checks need root");
		else if (unshare(CLONE_NEWNET) < 0)
			ok(1, "# SKIP unshare(CLONE_NEWNET): %s", strerror(errno));
		else
			test_kernel();
		st = tap_done();
		fflush(stdout); /* _exit() would drop the plan tap_done() printed */
		_exit(st);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
