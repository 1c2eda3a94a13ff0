/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libnftables, as nftx.h promises it: one context per call (a context
 * keeps a cache of the ruleset, which another process may change between
 * our calls), output and errors captured in buffers rather than printed.
 */
#include "nftx.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"

static struct nft_ctx *ctx_new(struct pn_err *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!nft) {
		pn_error(err, PN_E_NOMEM, ENOMEM, "cannot create an nftables context");
		return NULL;
	}
	if (nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft)) {
		nft_ctx_free(nft);
		pn_error(err, PN_E_NOMEM, ENOMEM, "cannot buffer nftables output");
		return NULL;
	}
	return nft;
}

/* nft's message: "<input>:L:C-C: Error: ..." plus the line and a caret
 * line; the first two lines say what and where. */
static void error_details(struct pn_err *err, const char *text)
{
	const char *nl1, *nl2;

	if (!err || !text || !*text)
		return;
	nl1 = strchr(text, '\n');
	nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
	pn_err_details(err, "%.*s", (int)(nl2 ? nl2 - text : nl1 ? nl1 - text : (long)strlen(text)),
		       text);
}

int nftx_run(const char *script, const char *what, struct pn_err *err)
{
	struct nft_ctx *nft = ctx_new(err);
	int rc;

	if (!nft)
		return -ENOMEM;
	rc = nft_run_cmd_from_buffer(nft, script);
	if (rc != 0) {
		/* libnftables reports no errno; the kernel's reason is in the
		 * text ("Could not process rule: No such file or directory"). */
		pn_error(err, PN_E_NFT, EINVAL, "%s: nftables refused the change", what);
		error_details(err, nft_ctx_get_error_buffer(nft));
	}
	nft_ctx_free(nft);
	return rc ? -EINVAL : 0;
}

int nftx_list(const char *cmd, char **out, struct pn_err *err)
{
	struct nft_ctx *nft = ctx_new(err);
	const char *text;
	int ret = 0;

	*out = NULL;
	if (!nft)
		return -ENOMEM;
	if (nft_run_cmd_from_buffer(nft, cmd) != 0) {
		ret = pn_error(err, PN_E_NFT, ENOENT, "nft %s failed", cmd);
		error_details(err, nft_ctx_get_error_buffer(nft));
	} else {
		text = nft_ctx_get_output_buffer(nft);
		*out = strdup(text ? text : "");
		if (!*out)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	nft_ctx_free(nft);
	return ret;
}

struct run_in_job {
	const char *script, *what;
	struct pn_err *err;
};

static int run_in_fn(void *arg)
{
	struct run_in_job *j = arg;

	return nftx_run(j->script, j->what, j->err);
}

int nftx_run_in(int netns_fd, const char *script, const char *what, struct pn_err *err)
{
	struct run_in_job j = { .script = script, .what = what, .err = err };

	if (netns_fd < 0)
		return nftx_run(script, what, err);
	return netns_run(netns_fd, run_in_fn, &j, err);
}

uint8_t nftx_family_parse(const char *name)
{
	static const struct {
		const char *name;
		uint8_t family;
	} fams[] = {
		{ "ip", NFPROTO_IPV4 },   { "ip6", NFPROTO_IPV6 },     { "inet", NFPROTO_INET },
		{ "arp", NFPROTO_ARP },   { "bridge", NFPROTO_BRIDGE }, { "netdev", NFPROTO_NETDEV },
	};

	for (size_t i = 0; i < PN_ARRAY_SIZE(fams); i++)
		if (!strcmp(name, fams[i].name))
			return fams[i].family;
	return 0;
}

void nftx_ruleset_free(struct nftx_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n_chains; i++) {
		free(rs->chains[i].table);
		free(rs->chains[i].name);
		free(rs->chains[i].hook);
		free(rs->chains[i].priority);
		free(rs->chains[i].policy);
		free(rs->chains[i].comment);
	}
	for (size_t i = 0; i < rs->n_rules; i++) {
		free(rs->rules[i].table);
		free(rs->rules[i].chain);
		free(rs->rules[i].text);
	}
	free(rs->chains);
	free(rs->rules);
	free(rs);
}

static bool grow(void **v, size_t n, size_t *cap, size_t size)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return true;
	nc = *cap ? *cap * 2 : 16;
	nv = realloc(*v, nc * size);
	if (!nv)
		return false;
	memset((char *)nv + *cap * size, 0, (nc - *cap) * size);
	*v = nv;
	*cap = nc;
	return true;
}

/* The value after @key up to ';' or ' ' in a base chain's "type ..." line. */
static char *field_after(const char *line, const char *key, const char *stops)
{
	const char *p = strstr(line, key);
	size_t n;

	if (!p)
		return NULL;
	p += strlen(key);
	n = strcspn(p, stops);
	return strndup(p, n);
}

/* " # handle N" at the end of @line: its start and N; NULL if absent.
 * The last occurrence: a comment may quote the marker itself. */
static const char *handle_marker(const char *line, uint64_t *handle)
{
	const char *m = NULL, *p = line;
	char *end;

	while ((p = strstr(p, " # handle ")))
		m = p++;
	if (!m)
		return NULL;
	errno = 0;
	*handle = strtoull(m + 10, &end, 10);
	if (errno || end == m + 10 || *end)
		return NULL;
	return m;
}

/*
 * nft's listing: "table FAMILY NAME { # handle N", then per object at one
 * tab "chain NAME { # handle N" / "set ..." / "map ...", inside a chain at
 * two tabs the base chain's "type ... hook H ... priority P; policy X;"
 * line, then one line per rule ending in " # handle N".  Lines without a
 * handle inside a chain are kept and joined to the next rule (nft does not
 * wrap rules today; if it ever does, the text stays whole).
 */
struct nftx_ruleset *nftx_ruleset_parse(const char *text)
{
	struct nftx_ruleset *rs = calloc(1, sizeof(*rs));
	size_t cap_c = 0, cap_r = 0;
	char family_s[16] = "", table[NFTX_NAME_MAX] = "", chain[NFTX_NAME_MAX] = "";
	uint8_t family = 0;
	char *pending = NULL, *copy = NULL, *save = NULL, *line;
	bool in_chain = false;

	if (!rs)
		return NULL;
	copy = strdup(text ? text : "");
	if (!copy)
		goto fail;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "table ", 6)) {
			char name[NFTX_NAME_MAX];

			if (sscanf(line, "table %15s %255s {", family_s, name) == 2) {
				family = nftx_family_parse(family_s);
				snprintf(table, sizeof(table), "%s", name);
			}
			in_chain = false;
			continue;
		}
		if (line[0] != '\t')
			continue; /* "}" closing a table, blank lines */
		if (line[1] != '\t') {
			const char *p = line + 1;

			in_chain = false;
			free(pending);
			pending = NULL;
			if (!strncmp(p, "chain ", 6)) {
				const char *brace = strstr(p, " {");

				if (!brace || brace - (p + 6) >= (long)sizeof(chain))
					continue;
				snprintf(chain, sizeof(chain), "%.*s", (int)(brace - (p + 6)), p + 6);
				if (!grow((void **)&rs->chains, rs->n_chains, &cap_c, sizeof(*rs->chains)))
					goto fail;
				struct nftx_chain *c = &rs->chains[rs->n_chains++];

				c->family = family;
				c->table = strdup(table);
				c->name = strdup(chain);
				if (!c->table || !c->name)
					goto fail;
				in_chain = true;
			}
			continue;
		}
		if (!in_chain)
			continue;
		line += 2;
		if (!strncmp(line, "type ", 5) && strstr(line, " hook ") && !pending) {
			struct nftx_chain *c = &rs->chains[rs->n_chains - 1];

			if (c->hook)
				continue;
			c->hook = field_after(line, " hook ", " ;");
			c->priority = field_after(line, " priority ", ";");
			c->policy = field_after(line, " policy ", " ;");
			if (!c->hook)
				goto fail;
			continue;
		}
		if (!strncmp(line, "comment \"", 9) && !pending) {
			/* The chain's own comment: nft prints it before the
			 * hook line and the rules, one string, quotes kept. */
			struct nftx_chain *c = &rs->chains[rs->n_chains - 1];
			size_t len = strlen(line + 9);

			if (!c->comment && len && line[9 + len - 1] == '"') {
				c->comment = strndup(line + 9, len - 1);
				if (!c->comment)
					goto fail;
			}
			continue;
		}
		{
			uint64_t handle;
			const char *m = handle_marker(line, &handle);
			char *joined;

			while (*line == '\t' || *line == ' ')
				line++;
			if (asprintf(&joined, "%s%s%.*s", pending ? pending : "", pending ? " " : "",
				     (int)(m ? (size_t)(m - line) : strlen(line)), line) < 0)
				goto fail;
			free(pending);
			pending = joined;
			if (!m)
				continue;
			if (!grow((void **)&rs->rules, rs->n_rules, &cap_r, sizeof(*rs->rules)))
				goto fail;
			struct nftx_rule *r = &rs->rules[rs->n_rules++];

			r->family = family;
			r->handle = handle;
			r->table = strdup(table);
			r->chain = strdup(chain);
			r->text = pending;
			pending = NULL;
			if (!r->table || !r->chain)
				goto fail;
		}
	}
	free(pending);
	free(copy);
	return rs;
fail:
	free(pending);
	free(copy);
	nftx_ruleset_free(rs);
	return NULL;
}

struct ruleset_job {
	struct nftx_ruleset **out;
	struct pn_err *err;
};

static int ruleset_fn(void *arg)
{
	struct ruleset_job *j = arg;
	struct nft_ctx *nft = ctx_new(j->err);
	int ret = 0;

	if (!nft)
		return -ENOMEM;
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_STATELESS);
	if (nft_run_cmd_from_buffer(nft, "list ruleset") != 0) {
		ret = pn_error(j->err, PN_E_NFT, EIO, "cannot list the nftables ruleset");
		error_details(j->err, nft_ctx_get_error_buffer(nft));
	} else {
		*j->out = nftx_ruleset_parse(nft_ctx_get_output_buffer(nft));
		if (!*j->out)
			ret = pn_error(j->err, PN_E_NOMEM, ENOMEM, "out of memory reading the ruleset");
	}
	nft_ctx_free(nft);
	return ret;
}

int nftx_ruleset_read(int netns_fd, struct nftx_ruleset **out, struct pn_err *err)
{
	struct ruleset_job j = { .out = out, .err = err };

	*out = NULL;
	if (netns_fd < 0)
		return ruleset_fn(&j);
	return netns_run(netns_fd, ruleset_fn, &j, err);
}

const struct nftx_rule *nftx_ruleset_rule(const struct nftx_ruleset *rs, uint8_t family,
					  const char *table, const char *chain, uint64_t handle)
{
	for (size_t i = 0; rs && i < rs->n_rules; i++) {
		const struct nftx_rule *r = &rs->rules[i];

		if (r->handle == handle && r->family == family && !strcmp(r->table, table) &&
		    !strcmp(r->chain, chain))
			return r;
	}
	return NULL;
}

const struct nftx_chain *nftx_ruleset_chain(const struct nftx_ruleset *rs, uint8_t family,
					    const char *table, const char *chain)
{
	for (size_t i = 0; rs && i < rs->n_chains; i++) {
		const struct nftx_chain *c = &rs->chains[i];

		if (c->family == family && !strcmp(c->table, table) && !strcmp(c->name, chain))
			return c;
	}
	return NULL;
}
