/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Masquerade tables for a CNI network (see nft.h).
 *
 * The fast path (every ADD, every CHECK) is read-only nfnetlink: one
 * NFT_MSG_GETRULE dump per address family, filtered by the kernel to our
 * table and chain, matching rules by the comment nft stored in the rule's
 * userdata.  Only when something is missing do we exec `nft -f -`, once,
 * with a script that rebuilds the incomplete tables whole in one
 * transaction.  The CNI plugins link statically and Debian ships no static
 * libnftables, so building rule expressions ourselves would mean
 * re-implementing nft's bytecode generation; exec'ing nft once per network
 * is the cheaper contract.
 */
#include "nft.h"

#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "err.h"
#include "nl.h"

#define NFT_CHAIN "postrouting"
#define NFT_TABLE_PREFIX "podnet-"
#define NFT_COMMENT_PREFIX "podnet:"

/*
 * nft keeps a rule comment in NFTA_RULE_USERDATA as libnftnl "udata" TLVs:
 * u8 type, u8 length (including the string's NUL), value.  The comment's
 * type is NFTNL_UDATA_RULE_COMMENT (0, libnftnl/udata.h), and nft refuses
 * comments longer than NFTNL_UDATA_COMMENT_MAXLEN (128) characters.
 * Verified with nft 1.0.6: `comment "podnet:t1:10.1.0.0/16"` is stored as
 * \x00\x16podnet:t1:10.1.0.0/16\x00.
 */
#define NFTNL_UDATA_RULE_COMMENT 0
#define NFT_COMMENT_MAXLEN 128

/* One rule we want: a subnet of the network, its family and its comment. */
struct masq_rule {
	int family; /* AF_INET or AF_INET6 */
	char cidr[PN_CIDR_STRLEN];
	char comment[NFT_COMMENT_MAXLEN + 1];
	bool found;
};

/* One dump's state: the rules of one family, the table name to match. */
struct masq_scan {
	struct masq_rule *rules;
	size_t n;
	int family;
	const char *table;
};

static const char *family_name(int family)
{
	return family == AF_INET ? "ip" : "ip6";
}

static uint8_t family_nfproto(int family)
{
	return family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

static const char *family_mcast(int family)
{
	return family == AF_INET ? "224.0.0.0/4" : "ff00::/8";
}

/*
 * A CNI network name matches ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ (libcni
 * ValidateNetworkName).  nft's scanner takes ({letter}|[_.])({letter}|
 * {digit}|[/\-_\.])* as an unquoted identifier, so "podnet-" followed by
 * such a name is always one identifier, never a keyword or an address
 * (tested: podnet-1.2.3.4, podnet-a--b..c, podnet-_x).  Quoting is no
 * alternative: nft 1.0.6 rejects a quoted table name ("unexpected quoted
 * string").  The table name limit (NFT_TABLE_MAXNAMELEN, 256 with the NUL)
 * is looser than the comment limit checked in masq_rules_build().
 */
static int network_validate(const char *network, struct pn_err *err)
{
	size_t i;

	if (!network || !network[0])
		return pn_error(err, PN_CNI_INVALID_CONFIG, EINVAL, "masquerade: empty network name");
	for (i = 0; network[i]; i++) {
		char c = network[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return pn_error(err, PN_CNI_INVALID_CONFIG, EINVAL,
					"masquerade: network name \"%s\" is not a valid CNI network name "
					"(^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$)",
					network);
	}
	return 0;
}

/* Normalise the subnets (host bits cleared, duplicates dropped) and build
 * the comment each rule is known by. */
static int masq_rules_build(const char *network, const struct pn_cidr *subnets, size_t n,
			    struct masq_rule **out, size_t *nout, struct pn_err *err)
{
	struct masq_rule *rules = NULL;
	size_t i, j, k = 0;
	int ret;

	ret = network_validate(network, err);
	if (ret < 0)
		goto out;
	rules = calloc(n ? n : 1, sizeof(*rules));
	if (!rules) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "masquerade for network %s", network);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct masq_rule *r = &rules[k];
		struct pn_cidr net;
		int len;

		if (subnets[i].ip.family != AF_INET && subnets[i].ip.family != AF_INET6) {
			ret = pn_error(err, PN_CNI_INVALID_CONFIG, EINVAL,
				       "masquerade for network %s: subnet %zu has no address family",
				       network, i);
			goto out;
		}
		pn_cidr_network(&subnets[i], &net);
		r->family = net.ip.family;
		pn_cidr_str(&net, r->cidr);
		for (j = 0; j < k; j++)
			if (!strcmp(rules[j].cidr, r->cidr))
				break;
		if (j < k)
			continue;
		len = snprintf(r->comment, sizeof(r->comment), NFT_COMMENT_PREFIX "%s:%s", network,
			       r->cidr);
		if (len < 0 || len > NFT_COMMENT_MAXLEN) {
			ret = pn_error(err, PN_CNI_INVALID_CONFIG, ENAMETOOLONG,
				       "masquerade: network name \"%s\" too long: the rule comment "
				       "\"" NFT_COMMENT_PREFIX "%s:%s\" exceeds nft's %d characters",
				       network, network, r->cidr, NFT_COMMENT_MAXLEN);
			goto out;
		}
		k++;
	}
	*out = rules;
	*nout = k;
	rules = NULL;
	ret = 0;
out:
	free(rules);
	return ret;
}

/* Does a rule's NFTA_RULE_USERDATA carry @comment as its comment TLV? */
static bool udata_has_comment(const struct nlattr *a, const char *comment)
{
	const uint8_t *p = nl_data(a);
	size_t len = nl_len(a), off = 0, clen = strlen(comment) + 1;

	while (off + 2 <= len) {
		uint8_t type = p[off], vlen = p[off + 1];

		if (off + 2 + vlen > len)
			break;
		if (type == NFTNL_UDATA_RULE_COMMENT)
			return vlen == clen && !memcmp(p + off + 2, comment, clen);
		off += 2 + vlen;
	}
	return false;
}

static int masq_scan_cb(const struct nlmsghdr *h, void *arg)
{
	struct masq_scan *sc = arg;
	struct nlattr *tb[NFTA_RULE_MAX + 1] = { 0 };
	const struct nfgenmsg *g = NLMSG_DATA(h);
	const char *table, *chain;
	size_t i;

	if (h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*g)) || g->nfgen_family != family_nfproto(sc->family))
		return 0;
	nl_parse_msg(tb, NFTA_RULE_MAX, h, sizeof(*g));
	if (!tb[NFTA_RULE_TABLE] || !tb[NFTA_RULE_CHAIN] || !tb[NFTA_RULE_USERDATA])
		return 0;
	/* The kernel already filtered by table and chain; checking again keeps
	 * us right should a kernel ever ignore the filter attributes. */
	table = nl_get_str(tb[NFTA_RULE_TABLE]);
	chain = nl_get_str(tb[NFTA_RULE_CHAIN]);
	if (!table || !chain || strcmp(table, sc->table) || strcmp(chain, NFT_CHAIN))
		return 0;
	for (i = 0; i < sc->n; i++)
		if (sc->rules[i].family == sc->family &&
		    udata_has_comment(tb[NFTA_RULE_USERDATA], sc->rules[i].comment))
			sc->rules[i].found = true;
	return 0;
}

/*
 * Mark the rules present in the ruleset.  NFT_MSG_GETRULE with NLM_F_DUMP
 * honours NFTA_RULE_TABLE and NFTA_RULE_CHAIN as filters
 * (nf_tables_dump_rules_start() keeps them, nf_tables_dump_rules() skips
 * other tables and walks only the named chain), so the dump costs the
 * size of our chain, not of the machine's ruleset: with 500 rules in
 * another table the kernel sends exactly our one rule (tests/unit/
 * test_nft.c).  A missing table or chain is an empty dump, not an error.
 */
static int masq_scan_family(struct nl_sock *s, const char *table, int family,
			    struct masq_rule *rules, size_t n, struct pn_err *err)
{
	struct masq_scan sc = { .rules = rules, .n = n, .family = family, .table = table };
	char buf[1024];
	struct nl_req r;
	struct nfgenmsg *g;
	char what[320];
	int ret, tries;

	snprintf(what, sizeof(what), "dump rules of table %s %s chain " NFT_CHAIN,
		 family_name(family), table);
	/* A dump interrupted by a concurrent ruleset change (NLM_F_DUMP_INTR,
	 * -EAGAIN from nl_dump) is retried from scratch: a racing ADD is
	 * exactly when that happens. */
	for (tries = 0; tries < 5; tries++) {
		size_t i;

		for (i = 0; i < n; i++)
			if (rules[i].family == family)
				rules[i].found = false;
		nl_req_init(&r, buf, sizeof(buf), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE,
			    NLM_F_REQUEST | NLM_F_DUMP, sizeof(*g), (void **)&g);
		g->nfgen_family = family_nfproto(family);
		g->version = NFNETLINK_V0;
		ret = nl_put_str(&r, NFTA_RULE_TABLE, table);
		if (!ret)
			ret = nl_put_str(&r, NFTA_RULE_CHAIN, NFT_CHAIN);
		if (ret < 0)
			return pn_error(err, PN_E_NFT, -ret, "%s: request too large", what);
		ret = nl_dump(s, &r, masq_scan_cb, &sc, what, err);
		if (ret != -EAGAIN)
			break;
	}
	return ret;
}

static int nl_msg_ignore(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	(void)arg;
	return 0;
}

/* GETTABLE/GETCHAIN for one object: 0 if it exists, -ENOENT if not. */
static int nft_object_get(struct nl_sock *s, int family, const char *table, const char *chain,
			  struct pn_err *err)
{
	char buf[1024];
	struct nl_req r;
	struct nfgenmsg *g;
	int ret;

	nl_req_init(&r, buf, sizeof(buf),
		    (NFNL_SUBSYS_NFTABLES << 8) | (chain ? NFT_MSG_GETCHAIN : NFT_MSG_GETTABLE),
		    NLM_F_REQUEST, sizeof(*g), (void **)&g);
	g->nfgen_family = family_nfproto(family);
	g->version = NFNETLINK_V0;
	if (chain) {
		ret = nl_put_str(&r, NFTA_CHAIN_TABLE, table);
		if (!ret)
			ret = nl_put_str(&r, NFTA_CHAIN_NAME, chain);
	} else {
		ret = nl_put_str(&r, NFTA_TABLE_NAME, table);
	}
	if (ret < 0)
		return pn_error(err, PN_E_NFT, -ret, "get %s %s: request too large",
				family_name(family), table);
	/* nl_dump ends a plain GET at its one reply only when given a
	 * callback. */
	return nl_dump(s, &r, nl_msg_ignore, NULL, chain ? "get chain" : "get table", err);
}

/* Scan every family the rules need; *missing gets a bit per family
 * (1 << family) with at least one rule absent. */
static int masq_scan(const char *network, struct masq_rule *rules, size_t n, unsigned *missing,
		     struct pn_err *err)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct nl_sock s = NL_SOCK_INIT;
	char table[256];
	size_t i, f;
	int ret;

	*missing = 0;
	snprintf(table, sizeof(table), NFT_TABLE_PREFIX "%s", network);
	for (f = 0; f < PN_ARRAY_SIZE(families); f++) {
		bool need = false;

		for (i = 0; i < n; i++)
			need |= rules[i].family == families[f];
		if (!need)
			continue;
		if (s.fd < 0) {
			ret = nl_open(&s, NETLINK_NETFILTER, err);
			if (ret < 0)
				goto out;
		}
		ret = masq_scan_family(&s, table, families[f], rules, n, err);
		if (ret < 0)
			goto out;
		for (i = 0; i < n; i++)
			if (rules[i].family == families[f] && !rules[i].found)
				*missing |= 1u << families[f];
	}
	ret = 0;
out:
	nl_close(&s);
	return ret;
}

/* Name precisely what is missing for the first absent rule: its table, its
 * chain or the rule itself. */
static int masq_report_missing(const char *network, const struct masq_rule *rules, size_t n,
			       struct pn_err *err)
{
	struct nl_sock s = NL_SOCK_INIT;
	const struct masq_rule *r = NULL;
	struct pn_err probe_err = { 0 };
	char table[256], more[64] = "";
	size_t i, nmissing = 0;
	int ret;

	for (i = 0; i < n; i++) {
		if (!rules[i].found) {
			if (!r)
				r = &rules[i];
			nmissing++;
		}
	}
	if (nmissing > 1)
		snprintf(more, sizeof(more), " (%zu of %zu rules missing)", nmissing, n);
	snprintf(table, sizeof(table), NFT_TABLE_PREFIX "%s", network);

	/* The probes only refine the message; their own failures do not
	 * change the answer, which is -ENOENT. */
	ret = nl_open(&s, NETLINK_NETFILTER, &probe_err);
	if (ret == 0)
		ret = nft_object_get(&s, r->family, table, NULL, &probe_err);
	if (ret == -ENOENT) {
		ret = pn_error(err, PN_E_CHECK, ENOENT,
			       "masquerade rule for %s (network %s) missing: no table %s %s%s",
			       r->cidr, network, family_name(r->family), table, more);
		goto out;
	}
	if (ret == 0)
		ret = nft_object_get(&s, r->family, table, NFT_CHAIN, &probe_err);
	if (ret == -ENOENT) {
		ret = pn_error(err, PN_E_CHECK, ENOENT,
			       "masquerade rule for %s (network %s) missing: table %s %s has no "
			       "chain " NFT_CHAIN "%s",
			       r->cidr, network, family_name(r->family), table, more);
		goto out;
	}
	/* Table and chain exist (or could not be probed): the rule is what is
	 * missing. */
	ret = pn_error(err, PN_E_CHECK, ENOENT,
		       "masquerade rule for %s (network %s) missing in table %s %s chain " NFT_CHAIN
		       "%s",
		       r->cidr, network, family_name(r->family), table, more);
out:
	pn_err_free(&probe_err);
	nl_close(&s);
	return ret;
}

/* The rules @network's masquerade needs, and the families missing some. */
static int masq_state(const char *network, const struct pn_cidr *subnets, size_t n,
		      struct masq_rule **rules, size_t *nrules, unsigned *missing,
		      struct pn_err *err)
{
	int ret = masq_rules_build(network, subnets, n, rules, nrules, err);

	if (ret < 0)
		return ret;
	return masq_scan(network, *rules, *nrules, missing, err);
}

int nft_masq_check(const char *network, const struct pn_cidr *subnets, size_t n,
		   struct pn_err *err)
{
	struct masq_rule *rules = NULL;
	unsigned missing = 0;
	size_t nrules = 0;
	int ret;

	ret = masq_state(network, subnets, n, &rules, &nrules, &missing, err);
	if (ret >= 0 && missing)
		ret = masq_report_missing(network, rules, nrules, err);
	free(rules);
	return ret;
}

/*
 * The script for the families in @families (bitmask of 1 << AF_*).  Per
 * family, in one transaction: create the table if absent (so the delete
 * cannot fail), delete it, create it whole.  nf_tables commits a batch
 * atomically under its commit mutex, so any number of racing ADDs end
 * with exactly one copy of each rule, and a table someone flushed in part
 * is rebuilt whole.
 */
static int masq_script(const char *network, const struct masq_rule *rules, size_t n,
		       unsigned families, char **out, size_t *outlen, struct pn_err *err)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0, i, k;
	int ret;

	f = open_memstream(&buf, &len);
	if (!f) {
		ret = pn_error(err, PN_E_NOMEM, errno, "masquerade script for network %s", network);
		goto out;
	}
	for (k = 0; k < PN_ARRAY_SIZE(fams); k++) {
		const char *fam = family_name(fams[k]);

		if (!(families & (1u << fams[k])))
			continue;
		fprintf(f, "table %s " NFT_TABLE_PREFIX "%s {}\n", fam, network);
		fprintf(f, "delete table %s " NFT_TABLE_PREFIX "%s\n", fam, network);
		fprintf(f, "table %s " NFT_TABLE_PREFIX "%s {\n", fam, network);
		/* nft 1.0.6 wants a newline or ';' after a block's closing
		 * brace, so the script is written one statement a line. */
		fprintf(f, "\tchain " NFT_CHAIN " {\n"
			   "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
		for (i = 0; i < n; i++) {
			const struct masq_rule *r = &rules[i];

			if (r->family != fams[k])
				continue;
			fprintf(f, "\t\t%s saddr %s %s daddr != %s %s daddr != %s masquerade "
				   "comment \"%s\"\n",
				fam, r->cidr, fam, r->cidr, fam, family_mcast(r->family), r->comment);
		}
		fprintf(f, "\t}\n}\n");
	}
	if (fclose(f) != 0) {
		f = NULL;
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "masquerade script for network %s", network);
		goto out;
	}
	f = NULL;
	*out = buf;
	*outlen = len;
	buf = NULL;
	ret = 0;
out:
	if (f)
		fclose(f);
	free(buf);
	return ret;
}

/* PODNET_NFT overrides (tests, unusual installs); else the usual sbin
 * directories, then PATH. */
static int nft_find(char *path, size_t size, struct pn_err *err)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin" };
	const char *env = getenv("PODNET_NFT"), *p, *end;
	size_t i;

	if (env && env[0]) {
		snprintf(path, size, "%s", env);
		return 0;
	}
	for (i = 0; i < PN_ARRAY_SIZE(dirs); i++) {
		snprintf(path, size, "%s/nft", dirs[i]);
		if (!access(path, X_OK))
			return 0;
	}
	for (p = getenv("PATH"); p && *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p)
			continue;
		if ((size_t)snprintf(path, size, "%.*s/nft", (int)(end - p), p) < size &&
		    !access(path, X_OK))
			return 0;
	}
	return pn_error(err, PN_E_NFT, ENOENT,
			"nft not found in /usr/sbin, /sbin, /usr/bin or PATH: it is needed to set up "
			"a network's nftables tables (install nftables)");
}

/* Keep the first line of nft's stderr: the "Error: ..." line; the rest
 * is the echoed input and carets. */
static void nft_stderr_details(struct pn_err *err, char *text)
{
	char *nl;

	while (*text == '\n' || *text == ' ')
		text++;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	pn_err_details_clear(err);
	pn_err_details(err, "%s", text);
}

/*
 * Run `nft -f -` with @script on stdin.  stdout joins stderr because a CNI
 * plugin's stdout carries only its result; its first line is nft's error.
 */
static int nft_run(const char *network, const char *script, size_t len, struct pn_err *err)
{
	struct pn_proc_result r = { 0 };
	char nft[4096], how[32];
	char *argv[] = { nft, "-f", "-", NULL };
	int ret;

	ret = nft_find(nft, sizeof(nft), err);
	if (ret < 0)
		goto out;
	ret = pn_run(&(struct pn_spawn){ .path = nft, .argv = argv, .in = PN_STDIO_PIPE,
					 .in_data = script, .in_len = len, .out = PN_STDIO_PIPE,
					 .err = PN_STDIO_STDOUT, .out_max = 1023, .code = PN_E_NFT },
		     &r, err);
	if (ret < 0) {
		pn_err_prefix(err, "network %s needs nft once to set up its nftables tables", network);
		goto out;
	}
	if (!pn_proc_ok(&r)) {
		ret = pn_error(err, PN_E_NFT, EIO,
			       "%s -f - failed (%s) setting up the nftables tables of network %s", nft,
			       pn_wait_status_str(r.status, how, sizeof(how)), network);
		nft_stderr_details(err, r.out);
		goto out;
	}
	ret = 0;
out:
	pn_proc_result_free(&r);
	return ret;
}

int nft_masq_ensure(const char *network, const struct pn_cidr *subnets, size_t n,
		    struct pn_err *err)
{
	struct masq_rule *rules = NULL;
	char *script = NULL;
	size_t nrules = 0, len = 0;
	unsigned missing = 0;
	int ret;

	ret = masq_state(network, subnets, n, &rules, &nrules, &missing, err);
	if (ret < 0 || !missing)
		goto out;
	/* Only the incomplete families are rebuilt: a complete table is left
	 * alone (its rules' counters and handles stay). */
	ret = masq_script(network, rules, nrules, missing, &script, &len, err);
	if (ret < 0)
		goto out;
	ret = nft_run(network, script, len, err);
	if (ret < 0)
		goto out;
	/* Read back: nft succeeding is not proof that the rules we match on
	 * (by comment) are what it created. */
	for (int tries = 0;; tries++) {
		ret = masq_scan(network, rules, nrules, &missing, err);
		if (ret < 0 || !missing || tries == 20)
			break;
		/* A racing process's transaction (delete table + recreate) can
		 * leave the deleted table on the kernel's list until its commit
		 * has been released, and a filtered rule dump that meets that
		 * table first reports it empty.  That window is short: look
		 * again rather than fail.  Only this rare path ever waits. */
		usleep(500);
	}
	if (ret < 0)
		goto out;
	if (missing) {
		ret = masq_report_missing(network, rules, nrules, err);
		if (err)
			err->code = PN_E_NFT;
		pn_err_prefix(err, "after nft -f -");
	}
out:
	free(script);
	free(rules);
	return ret;
}

/*
 * nf_tables accepts changes only inside an NFNL_MSG_BATCH_BEGIN/END batch
 * sent in one sendmsg() (nfnetlink_rcv() processes a batch within one skb),
 * and nl.h has no batch primitive, so this sends the batch built in @buf
 * and reads the acks itself.  Messages flagged NLM_F_ACK are answered in
 * order with one nlmsgerr each, 0 or their error (nfnl_err_deliver()); a
 * malformed batch gets a single error on BEGIN.  So: stop at the first
 * error, or at the ack of @last_ack_seq.
 */
static int nft_batch_send(struct nl_sock *s, const void *buf, size_t len, uint32_t first_seq,
			  uint32_t last_ack_seq, const char *what, struct pn_err *err)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char rbuf[8192];
	ssize_t rd;

	do
		rd = sendto(s->fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (rd < 0 && errno == EINTR);
	if (rd < 0)
		return pn_error(err, PN_E_KERNEL, errno, "%s: netlink send", what);
	for (;;) {
		struct nlmsghdr *h;
		size_t left;

		rd = recv(s->fd, rbuf, sizeof(rbuf), 0);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd < 0)
			return pn_error(err, PN_E_KERNEL, errno, "%s: netlink receive", what);
		left = (size_t)rd;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first_seq ||
			    h->nlmsg_seq > last_ack_seq || h->nlmsg_pid != s->portid)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e->error)))
				return pn_error(err, PN_E_KERNEL, EBADMSG, "%s: short netlink ack",
						what);
			if (e->error)
				return pn_error(err, PN_E_KERNEL, -e->error, "%s", what);
			if (h->nlmsg_seq == last_ack_seq)
				return 0;
		}
	}
}

/* Append one nfnetlink message to the batch in @buf at *@len. */
static int batch_add(char *buf, size_t cap, size_t *len, struct nl_sock *s, uint16_t type,
		     uint16_t flags, uint8_t nfproto, uint16_t res_id, const char *table)
{
	struct nl_req r;
	struct nfgenmsg *g;
	int ret = 0;

	nl_req_init(&r, buf + *len, cap - *len, type, NLM_F_REQUEST | flags, sizeof(*g),
		    (void **)&g);
	r.h->nlmsg_seq = ++s->seq;
	g->nfgen_family = nfproto;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	if (table)
		ret = nl_put_str(&r, NFTA_TABLE_NAME, table);
	if (ret == 0)
		*len += NLMSG_ALIGN(r.h->nlmsg_len);
	return ret;
}

int nft_masq_remove(const char *network, struct pn_err *err)
{
	static const uint8_t nfprotos[] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	struct nl_sock s = NL_SOCK_INIT;
	char buf[2048], table[256], what[300];
	uint32_t first_seq, last_ack_seq;
	size_t len = 0, k;
	int ret;

	ret = network_validate(network, err);
	if (ret < 0)
		goto out;
	snprintf(table, sizeof(table), NFT_TABLE_PREFIX "%s", network);
	snprintf(what, sizeof(what), "delete tables ip and ip6 %s", table);
	ret = nl_open(&s, NETLINK_NETFILTER, err);
	if (ret < 0)
		goto out;

	/*
	 * BEGIN, then per family NEWTABLE (without NLM_F_EXCL: a no-op on an
	 * existing table) and DELTABLE, then END.  Creating first means the
	 * delete cannot fail with ENOENT, which would abort the whole batch,
	 * and needs no kernel new enough for NFT_MSG_DESTROYTABLE (6.3).
	 * nfnetlink_rcv() takes the batch's subsystem from BEGIN's res_id.
	 */
	first_seq = s.seq + 1;
	ret = batch_add(buf, sizeof(buf), &len, &s, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC,
			NFNL_SUBSYS_NFTABLES, NULL);
	for (k = 0; ret == 0 && k < PN_ARRAY_SIZE(nfprotos); k++) {
		ret = batch_add(buf, sizeof(buf), &len, &s,
				(NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE,
				NLM_F_CREATE | NLM_F_ACK, nfprotos[k], 0, table);
		if (ret == 0)
			ret = batch_add(buf, sizeof(buf), &len, &s,
					(NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_ACK,
					nfprotos[k], 0, table);
	}
	last_ack_seq = s.seq;
	if (ret == 0)
		ret = batch_add(buf, sizeof(buf), &len, &s, NFNL_MSG_BATCH_END, 0, AF_UNSPEC,
				NFNL_SUBSYS_NFTABLES, NULL);
	if (ret < 0) {
		ret = pn_error(err, PN_E_NFT, -ret, "%s: request too large", what);
		goto out;
	}
	ret = nft_batch_send(&s, buf, len, first_seq, last_ack_seq, what, err);
out:
	nl_close(&s);
	return ret;
}

static int table_handle_cb(const struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[NFTA_TABLE_MAX + 1] = { 0 };
	uint64_t *handle = arg, be;

	if (h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE))
		return 0;
	nl_parse_msg(tb, NFTA_TABLE_MAX, h, sizeof(struct nfgenmsg));
	if (!tb[NFTA_TABLE_HANDLE] || nl_len(tb[NFTA_TABLE_HANDLE]) != sizeof(be))
		return -EBADMSG;
	memcpy(&be, nl_data(tb[NFTA_TABLE_HANDLE]), sizeof(be));
	*handle = be64toh(be);
	return 1;
}

int nft_table_handle(uint8_t nfproto, const char *name, uint64_t *handle, struct pn_err *err)
{
	struct nl_sock s = NL_SOCK_INIT;
	struct pn_err e = { 0 };
	char buf[512], what[300];
	struct nfgenmsg *g;
	struct nl_req r;
	int ret;

	*handle = 0;
	snprintf(what, sizeof(what), "get table %s", name);
	ret = nl_open(&s, NETLINK_NETFILTER, err);
	if (ret < 0)
		return ret;
	nl_req_init(&r, buf, sizeof(buf), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
		    NLM_F_REQUEST, sizeof(*g), (void **)&g);
	g->nfgen_family = nfproto;
	g->version = NFNETLINK_V0;
	ret = nl_put_str(&r, NFTA_TABLE_NAME, name);
	if (ret < 0)
		ret = pn_error(err, PN_E_NFT, -ret, "%s: request too large", what);
	else
		ret = nl_dump(&s, &r, table_handle_cb, handle, what, &e);
	if (ret < 0 && ret != -ENOENT)
		pn_err_move(err, &e);
	pn_err_free(&e);
	nl_close(&s);
	return ret < 0 ? ret : 0;
}

/* ---- set elements */

/* One NEWSETELEM/DELSETELEM message for the elements of one set. */
static int elems_msg(char *buf, size_t cap, size_t *len, struct nl_sock *s, uint8_t nfproto,
		     const char *table, const struct nft_elem *e, size_t n, bool del)
{
	struct nlattr *list, *el, *key;
	struct nfgenmsg *g;
	struct nl_req r;

	nl_req_init(&r, buf + *len, cap - *len,
		    (NFNL_SUBSYS_NFTABLES << 8) | (del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM),
		    NLM_F_REQUEST | NLM_F_ACK | (del ? 0 : NLM_F_CREATE), sizeof(*g), (void **)&g);
	r.h->nlmsg_seq = ++s->seq;
	g->nfgen_family = nfproto;
	g->version = NFNETLINK_V0;
	if (nl_put_str(&r, NFTA_SET_ELEM_LIST_TABLE, table) < 0 ||
	    nl_put_str(&r, NFTA_SET_ELEM_LIST_SET, e[0].set) < 0 ||
	    !(list = nl_nest_start(&r, NFTA_SET_ELEM_LIST_ELEMENTS)))
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		if (!(el = nl_nest_start(&r, NFTA_LIST_ELEM)) ||
		    !(key = nl_nest_start(&r, NFTA_SET_ELEM_KEY)) ||
		    nl_put(&r, NFTA_DATA_VALUE, e[i].key, e[i].key_len) < 0)
			return -EMSGSIZE;
		nl_nest_end(&r, key);
		nl_nest_end(&r, el);
	}
	nl_nest_end(&r, list);
	*len += NLMSG_ALIGN(r.h->nlmsg_len);
	return 0;
}

int nft_elems_apply(uint8_t nfproto, const char *table, const struct nft_elem *e, size_t n,
		    bool del, struct pn_err *err)
{
	struct nl_sock s = NL_SOCK_INIT;
	char buf[16384], what[320];
	uint32_t first_seq, last_ack_seq;
	size_t len = 0, i = 0;
	int ret;

	if (n == 0)
		return 0;
	snprintf(what, sizeof(what), "%s %zu element%s %s table %s", del ? "delete" : "add", n,
		 n == 1 ? "" : "s", del ? "from" : "to", table);
	ret = nl_open(&s, NETLINK_NETFILTER, err);
	if (ret < 0)
		return ret;
	first_seq = s.seq + 1;
	ret = batch_add(buf, sizeof(buf), &len, &s, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC,
			NFNL_SUBSYS_NFTABLES, NULL);
	/* Consecutive elements of the same set share a message. */
	while (ret == 0 && i < n) {
		size_t k = i + 1;

		while (k < n && !strcmp(e[k].set, e[i].set))
			k++;
		ret = elems_msg(buf, sizeof(buf), &len, &s, nfproto, table, e + i, k - i, del);
		i = k;
	}
	last_ack_seq = s.seq;
	if (ret == 0)
		ret = batch_add(buf, sizeof(buf), &len, &s, NFNL_MSG_BATCH_END, 0, AF_UNSPEC,
				NFNL_SUBSYS_NFTABLES, NULL);
	if (ret < 0)
		ret = pn_error(err, PN_E_NFT, EMSGSIZE, "%s: request too large", what);
	else
		ret = nft_batch_send(&s, buf, len, first_seq, last_ack_seq, what, err);
	nl_close(&s);
	return ret;
}

struct elems_dump {
	nft_elem_cb cb;
	void *arg;
};

static int elems_dump_cb(const struct nlmsghdr *h, void *arg)
{
	struct elems_dump *d = arg;
	struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1] = { 0 };
	const struct nlattr *a;
	size_t rem;

	if (h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM))
		return 0;
	nl_parse_msg(tb, NFTA_SET_ELEM_LIST_MAX, h, sizeof(struct nfgenmsg));
	if (!tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		return 0;
	a = nl_data(tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
	rem = nl_len(tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
		struct nlattr *el[NFTA_SET_ELEM_MAX + 1] = { 0 }, *key[NFTA_DATA_MAX + 1] = { 0 };
		size_t step = NLA_ALIGN(a->nla_len);

		nl_parse_nested(el, NFTA_SET_ELEM_MAX, a);
		if (el[NFTA_SET_ELEM_KEY]) {
			nl_parse_nested(key, NFTA_DATA_MAX, el[NFTA_SET_ELEM_KEY]);
			if (key[NFTA_DATA_VALUE]) {
				int ret = d->cb(nl_data(key[NFTA_DATA_VALUE]), nl_len(key[NFTA_DATA_VALUE]),
						d->arg);

				if (ret < 0)
					return ret;
			}
		}
		if (step >= rem)
			break;
		rem -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return 0;
}

int nft_elems_dump(uint8_t nfproto, const char *table, const char *set, nft_elem_cb cb, void *arg,
		   struct pn_err *err)
{
	struct elems_dump d = { cb, arg };
	struct nl_sock s = NL_SOCK_INIT;
	struct pn_err e = { 0 };
	char buf[512], what[320];
	struct nfgenmsg *g;
	struct nl_req r;
	int ret;

	snprintf(what, sizeof(what), "list set %s of table %s", set, table);
	ret = nl_open(&s, NETLINK_NETFILTER, err);
	if (ret < 0)
		return ret;
	nl_req_init(&r, buf, sizeof(buf), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM,
		    NLM_F_REQUEST | NLM_F_DUMP, sizeof(*g), (void **)&g);
	g->nfgen_family = nfproto;
	g->version = NFNETLINK_V0;
	if (nl_put_str(&r, NFTA_SET_ELEM_LIST_TABLE, table) < 0 ||
	    nl_put_str(&r, NFTA_SET_ELEM_LIST_SET, set) < 0)
		ret = pn_error(err, PN_E_NFT, EMSGSIZE, "%s: request too large", what);
	else
		ret = nl_dump(&s, &r, elems_dump_cb, &d, what, &e);
	if (ret < 0 && ret != -ENOENT)
		pn_err_move(err, &e);
	pn_err_free(&e);
	nl_close(&s);
	return ret;
}

int nft_chain_present(uint8_t nfproto, const char *table, const char *chain, struct pn_err *err)
{
	struct nl_sock s = NL_SOCK_INIT;
	struct pn_err e = { 0 };
	char buf[1024];
	struct nl_req r;
	struct nfgenmsg *g;
	int ret;

	ret = nl_open(&s, NETLINK_NETFILTER, err);
	if (ret < 0)
		return ret;
	nl_req_init(&r, buf, sizeof(buf), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN,
		    NLM_F_REQUEST, sizeof(*g), (void **)&g);
	g->nfgen_family = nfproto;
	g->version = NFNETLINK_V0;
	ret = nl_put_str(&r, NFTA_CHAIN_TABLE, table);
	if (!ret)
		ret = nl_put_str(&r, NFTA_CHAIN_NAME, chain);
	if (ret < 0)
		ret = pn_error(err, PN_E_NFT, EMSGSIZE, "get chain %s: request too large", chain);
	else
		ret = nl_dump(&s, &r, nl_msg_ignore, NULL, "get chain", &e);
	if (ret < 0 && ret != -ENOENT)
		pn_err_move(err, &e);
	pn_err_free(&e);
	nl_close(&s);
	return ret;
}

int nft_script_run(const char *network, const char *script, struct pn_err *err)
{
	return nft_run(network, script, strlen(script), err);
}
