/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nft.c: masquerade tables checked over nfnetlink, built by `nft -f -`.
 *
 * Everything runs in a child that unshare(CLONE_NEWNET)ed, so only a
 * throwaway ruleset is touched:
 *
 *   host netns (untouched)
 *     └─ child netns: table ip  podnet-t1          10.1.0.0/16
 *                     table ip/ip6 podnet-t2       10.2.0.0/16, fd00:2::/64
 *                     table ip  podnet-my-net.v1   10.3.0.0/24
 *                     table ip  podnet-race        10.4.0.0/16, 10.5.0.0/16
 *                     table ip  noise              500 unrelated rules
 *
 * Needs root (skipped otherwise) and nft (scripts/install-deps.sh).
 */
#include "err.h"
#include "nft.h"
#include "nl.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct pn_cidr cidr(const char *s)
{
	struct pn_cidr c = { 0 };

	if (pn_cidr_parse(s, &c) < 0) {
		printf("Bail out! bad cidr %s\n", s);
		exit(1);
	}
	return c;
}

struct count {
	const char *comment; /* NULL: count every rule */
	int n;
	unsigned long msgs;
};

static int count_cb(const struct nlmsghdr *h, void *arg)
{
	struct count *c = arg;
	struct nlattr *tb[NFTA_RULE_MAX + 1];

	if (h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE))
		return 0;
	c->msgs++;
	nl_parse_msg(tb, NFTA_RULE_MAX, h, sizeof(struct nfgenmsg));
	if (!c->comment) {
		c->n++;
		return 0;
	}
	/* userdata: type 0 (comment), length with NUL, string */
	if (tb[NFTA_RULE_USERDATA] && nl_len(tb[NFTA_RULE_USERDATA]) >= 2) {
		const unsigned char *u = nl_data(tb[NFTA_RULE_USERDATA]);

		if (u[0] == 0 && u[1] == strlen(c->comment) + 1 && nl_len(tb[NFTA_RULE_USERDATA]) >= 2u + u[1] &&
		    !memcmp(u + 2, c->comment, u[1]))
			c->n++;
	}
	return 0;
}

/* Rules in @family @table chain postrouting (any table/chain if NULL)
 * whose comment is @comment (any if NULL); msgs gets the reply count. */
static int count_rules(uint8_t family, const char *table, const char *comment, unsigned long *msgs)
{
	struct nl_sock s = NL_SOCK_INIT;
	struct count c = { .comment = comment };
	struct pn_err err = { 0 };
	char buf[1024];
	struct nl_req r;
	struct nfgenmsg *g;
	int ret;

	if (nl_open(&s, NETLINK_NETFILTER, &err) < 0) {
		pn_err_free(&err);
		return -1;
	}
	nl_req_init(&r, buf, sizeof(buf), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE,
		    NLM_F_REQUEST | NLM_F_DUMP, sizeof(*g), (void **)&g);
	g->nfgen_family = family;
	if (table && (nl_put_str(&r, NFTA_RULE_TABLE, table) < 0 ||
		      nl_put_str(&r, NFTA_RULE_CHAIN, "postrouting") < 0)) {
		nl_close(&s);
		pn_err_free(&err);
		return -1;
	}
	ret = nl_dump(&s, &r, count_cb, &c, "count rules", &err);
	nl_close(&s);
	if (msgs)
		*msgs = c.msgs;
	pn_err_free(&err);
	return ret < 0 ? ret : c.n;
}

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool has(const char *hay, const char *needle)
{
	bool r = strstr(hay, needle) != NULL;

	if (!r)
		printf("#   \"%s\" lacks \"%s\"\n", hay, needle);
	return r;
}

static double check_cost_us(const char *net, const struct pn_cidr *s, size_t n, int calls)
{
	struct pn_err err = { 0 };
	uint64_t t0 = pn_now_ns();
	int i, bad = 0;

	for (i = 0; i < calls; i++)
		bad += nft_masq_check(net, s, n, &err) != 0;
	if (bad) {
		pn_err_free(&err);
		return -1;
	}
	pn_err_free(&err);
	return (double)(pn_now_ns() - t0) / 1000.0 / calls;
}

static void test_single(void)
{
	struct pn_cidr s[] = { cidr("10.1.0.0/16") };
	struct pn_err err = { 0 };
	int ret;

	ret = nft_masq_check("t1", s, 1, &err);
	is_int(ret, -ENOENT, "check on an empty ruleset fails");
	is_int(err.code, PN_E_CHECK, "  with PN_E_CHECK");
	ok(has(pn_err_msg(&err), "masquerade rule for 10.1.0.0/16 (network t1) missing: no table ip podnet-t1"),
	   "  naming the missing table: %s", pn_err_msg(&err));

	pn_err_free(&err);
	ret = nft_masq_ensure("t1", s, 1, &err);
	is_int(ret, 0, "ensure creates the table (%s %s)", pn_err_msg(&err), pn_err_details_text(&err));
	is_int(nft_masq_check("t1", s, 1, &err), 0, "check passes after ensure");
	is_int(count_rules(NFPROTO_IPV4, "podnet-t1", "podnet:t1:10.1.0.0/16", NULL), 1,
	       "one rule with comment podnet:t1:10.1.0.0/16");
	ok(sh("nft list chain ip podnet-t1 postrouting | grep -q "
	      "'type nat hook postrouting priority srcnat; policy accept;'") == 0,
	   "chain is a nat postrouting base chain");
	ok(sh("nft list chain ip podnet-t1 postrouting | grep -q "
	      "'ip saddr 10.1.0.0/16 ip daddr != 10.1.0.0/16 ip daddr != 224.0.0.0/4 masquerade'") == 0,
	   "rule matches source subnet, skips the subnet and multicast, masquerades");

	is_int(sh("nft flush chain ip podnet-t1 postrouting"), 0, "nft flush chain");
	pn_err_free(&err);
	ret = nft_masq_check("t1", s, 1, &err);
	is_int(ret, -ENOENT, "check fails after flush");
	ok(has(pn_err_msg(&err), "masquerade rule for 10.1.0.0/16 (network t1) missing in table ip podnet-t1 "
			"chain postrouting"),
	   "  naming the rule: %s", pn_err_msg(&err));
	is_int(nft_masq_ensure("t1", s, 1, &err), 0, "ensure repairs the flushed chain");
	is_int(nft_masq_check("t1", s, 1, &err), 0, "check passes after repair");
	is_int(count_rules(NFPROTO_IPV4, "podnet-t1", NULL, NULL), 1, "exactly one rule in the chain");

	is_int(sh("nft delete chain ip podnet-t1 postrouting"), 0, "nft delete chain");
	pn_err_free(&err);
	ret = nft_masq_check("t1", s, 1, &err);
	is_int(ret, -ENOENT, "check fails without the chain");
	ok(has(pn_err_msg(&err), "missing: table ip podnet-t1 has no chain postrouting"), "  naming the chain: %s",
	   pn_err_msg(&err));
	is_int(nft_masq_ensure("t1", s, 1, &err), 0, "ensure rebuilds the chain");
	is_int(nft_masq_check("t1", s, 1, &err), 0, "check passes again");

	/* Host bits and duplicates fold into one rule. */
	{
		struct pn_cidr d[] = { cidr("10.1.2.3/16"), cidr("10.1.0.0/16") };

		is_int(nft_masq_check("t1", d, 2, &err), 0, "10.1.2.3/16 is the same subnet as 10.1.0.0/16");
	}
	pn_err_free(&err);
}

static void test_dual_stack(void)
{
	struct pn_cidr s[] = { cidr("10.2.0.0/16"), cidr("fd00:2::/64") };
	struct pn_err err = { 0 };
	int ret;

	is_int(nft_masq_ensure("t2", s, 2, &err), 0, "dual-stack ensure (%s %s)", pn_err_msg(&err), pn_err_details_text(&err));
	is_int(nft_masq_check("t2", s, 2, &err), 0, "dual-stack check");
	is_int(count_rules(NFPROTO_IPV4, "podnet-t2", "podnet:t2:10.2.0.0/16", NULL), 1, "ip rule present");
	is_int(count_rules(NFPROTO_IPV6, "podnet-t2", "podnet:t2:fd00:2::/64", NULL), 1, "ip6 rule present");
	is_int(count_rules(NFPROTO_IPV4, "podnet-t2", NULL, NULL), 1, "ip table holds only the v4 rule");
	ok(sh("nft list chain ip6 podnet-t2 postrouting | grep -q "
	      "'ip6 saddr fd00:2::/64 ip6 daddr != fd00:2::/64 ip6 daddr != ff00::/8 masquerade'") == 0,
	   "ip6 rule skips ff00::/8");

	is_int(sh("nft add rule ip podnet-t2 postrouting counter comment marker"), 0,
	       "mark the complete ip table");
	is_int(sh("nft delete table ip6 podnet-t2"), 0, "nft delete table ip6");
	pn_err_free(&err);
	ret = nft_masq_check("t2", s, 2, &err);
	is_int(ret, -ENOENT, "check fails without the ip6 table");
	ok(has(pn_err_msg(&err), "masquerade rule for fd00:2::/64 (network t2) missing: no table ip6 podnet-t2"),
	   "  naming the ip6 table: %s", pn_err_msg(&err));
	is_int(nft_masq_ensure("t2", s, 2, &err), 0, "ensure repairs ip6");
	is_int(nft_masq_check("t2", s, 2, &err), 0, "dual-stack check passes");
	is_int(count_rules(NFPROTO_IPV4, "podnet-t2", "marker", NULL), 1,
	       "the complete ip table was left alone");

	is_int(nft_masq_remove("t2", &err), 0, "remove dual-stack network");
	is_int(sh("nft list table ip podnet-t2 >/dev/null 2>&1 || nft list table ip6 podnet-t2 >/dev/null 2>&1"),
	       1, "both tables gone");
	pn_err_free(&err);
}

static void test_names(void)
{
	struct pn_cidr s[] = { cidr("10.3.0.0/24") };
	struct pn_cidr v6[] = { cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120") };
	struct pn_err err = { 0 };
	char longname[128];

	is_int(nft_masq_ensure("my-net.v1", s, 1, &err), 0, "name with '.' and '-' (%s %s)", pn_err_msg(&err),
	       pn_err_details_text(&err));
	is_int(nft_masq_check("my-net.v1", s, 1, &err), 0, "check my-net.v1");
	is_int(count_rules(NFPROTO_IPV4, "podnet-my-net.v1", "podnet:my-net.v1:10.3.0.0/24", NULL), 1,
	       "table podnet-my-net.v1 holds the rule");
	is_int(nft_masq_ensure("0_a..b--", s, 1, &err), 0, "name 0_a..b-- (%s %s)", pn_err_msg(&err), pn_err_details_text(&err));
	is_int(nft_masq_remove("0_a..b--", &err), 0, "remove 0_a..b--");

	pn_err_free(&err);
	is_int(nft_masq_ensure("bad name", s, 1, &err), -EINVAL, "space in name refused");
	ok(has(pn_err_msg(&err), "\"bad name\""), "  naming it: %s", pn_err_msg(&err));
	is_int(nft_masq_ensure("-x", s, 1, &err), -EINVAL, "leading '-' refused");
	is_int(nft_masq_check("x\";flush ruleset;\"", s, 1, &err), -EINVAL, "quotes refused");
	is_int(nft_masq_remove("", &err), -EINVAL, "empty name refused");

	/* "podnet:" + name + ":" + 45-char cidr must fit nft's 128. */
	memset(longname, 'n', 75);
	longname[75] = '\0';
	is_int(nft_masq_ensure(longname, v6, 1, &err), 0, "75-char name with the longest ip6 cidr");
	is_int(nft_masq_remove(longname, &err), 0, "remove it");
	memset(longname, 'n', 90);
	longname[90] = '\0';
	pn_err_free(&err);
	is_int(nft_masq_ensure(longname, v6, 1, &err), -ENAMETOOLONG, "90-char name too long");
	ok(has(pn_err_msg(&err), "exceeds nft's 128 characters"), "  saying why: %s", pn_err_msg(&err));
	pn_err_free(&err);
}

static void test_race(const char *tmpdir)
{
	struct pn_cidr s[] = { cidr("10.4.0.0/16"), cidr("10.5.0.0/16") };
	struct pn_err err = { 0 };
	int round, i, fails = 0, bad_count = 0, runs = -1;
	enum { RACERS = 4, ROUNDS = 5 };
	char wrapper[256], cmd[1024];
	FILE *f;

	/* A wrapper counts nft runs, to show the racers really overlapped. */
	snprintf(wrapper, sizeof(wrapper), "%s/counting-nft", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "printf '#!/bin/sh\necho run >> %s/runs\nexec nft \"$@\"\n' > %s && chmod 755 %s",
		 tmpdir, wrapper, wrapper);
	if (sh(cmd) == 0)
		setenv("PODNET_NFT", wrapper, 1);

	for (round = 0; round < ROUNDS; round++) {
		pid_t pids[RACERS];
		int go[2];
		char c = 0;

		if (pipe(go) < 0)
			break;
		fflush(stdout);
		for (i = 0; i < RACERS; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct pn_err e = { 0 };

				close(go[1]);
				/* Start together: all block until the pipe closes. */
				if (read(go[0], &c, 1) < 0)
					_exit(2);
				if (nft_masq_ensure("race", s, 2, &e) == 0)
					_exit(0);
				printf("# racer failed: %s: %s\n", pn_err_msg(&e), pn_err_details_text(&e));
				fflush(stdout);
				_exit(1);
			}
		}
		close(go[0]);
		close(go[1]);
		for (i = 0; i < RACERS; i++) {
			int st = 0;

			if (pids[i] < 0 || waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 0)
				fails++;
		}
		if (count_rules(NFPROTO_IPV4, "podnet-race", "podnet:race:10.4.0.0/16", NULL) != 1 ||
		    count_rules(NFPROTO_IPV4, "podnet-race", "podnet:race:10.5.0.0/16", NULL) != 1 ||
		    count_rules(NFPROTO_IPV4, "podnet-race", NULL, NULL) != 2)
			bad_count++;
		if (round == ROUNDS / 2) {
			/* Half the rounds race on a flushed chain, not an absent table. */
			if (sh("nft flush chain ip podnet-race postrouting") != 0)
				bad_count++;
		} else if (nft_masq_remove("race", &err) < 0) {
			bad_count++;
		}
	}
	unsetenv("PODNET_NFT");
	snprintf(cmd, sizeof(cmd), "wc -l < %s/runs", tmpdir);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%d", &runs) != 1)
			runs = -1;
		pclose(f);
	}
	printf("# race: %d nft runs for %d rounds of %d racers\n", runs, ROUNDS, RACERS);
	ok(runs >= ROUNDS, "every round ran nft at least once (%d runs)", runs);
	is_int(fails, 0, "%d processes racing ensure all succeed, %d rounds", RACERS, ROUNDS);
	is_int(bad_count, 0, "after each race: exactly one rule per subnet");
	pn_err_free(&err);
}

static void test_no_exec_when_present(const char *tmpdir)
{
	struct pn_cidr s[] = { cidr("10.1.0.0/16") };
	struct pn_cidr other[] = { cidr("10.9.0.0/16") };
	struct pn_err err = { 0 };
	char script[256], cmd[1024];

	setenv("PODNET_NFT", "/nonexistent/nft", 1);
	is_int(nft_masq_ensure("t1", s, 1, &err), 0,
	       "ensure on a complete table runs no nft (PODNET_NFT=/nonexistent/nft)");
	pn_err_free(&err);
	is_int(nft_masq_ensure("absent", other, 1, &err), -ENOENT, "ensure needing nft fails without it");
	is_int(err.code, PN_E_NFT, "  with PN_E_NFT");
	ok(has(pn_err_msg(&err), "/nonexistent/nft"), "  naming the binary: %s", pn_err_msg(&err));

	/* nft's stderr ends up in pn_err_details_text(&err). */
	snprintf(script, sizeof(script), "%s/fake-nft", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "printf '#!/bin/sh\\ncat >/dev/null\\necho \"Error: boom\" >&2\\necho carets >&2\\nexit 3\\n'"
		 " > %s && chmod 755 %s",
		 script, script);
	if (sh(cmd) != 0)
		printf("# cannot write %s\n", script);
	setenv("PODNET_NFT", script, 1);
	pn_err_free(&err);
	is_int(nft_masq_ensure("absent", other, 1, &err), -EIO, "failing nft is an error");
	is_int(err.code, PN_E_NFT, "  with PN_E_NFT");
	ok(has(pn_err_msg(&err), "exit status 3"), "  with its exit status: %s", pn_err_msg(&err));
	is_str(pn_err_details_text(&err), "Error: boom", "  and its first stderr line in details");
	unsetenv("PODNET_NFT");

	/* The search: an empty PATH still finds /usr/sbin/nft. */
	{
		char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

		setenv("PATH", "", 1);
		is_int(nft_masq_ensure("absent", other, 1, &err), 0, "nft found in sbin with PATH empty");
		if (path)
			setenv("PATH", path, 1);
		free(path);
		is_int(nft_masq_remove("absent", &err), 0, "remove absent");
	}
	pn_err_free(&err);
}

static void test_remove(void)
{
	struct pn_cidr s[] = { cidr("10.1.0.0/16") };
	struct pn_err err = { 0 };

	is_int(nft_masq_remove("t1", &err), 0, "remove (%s %s)", pn_err_msg(&err), pn_err_details_text(&err));
	pn_err_free(&err);
	is_int(nft_masq_check("t1", s, 1, &err), -ENOENT, "check fails after remove");
	ok(has(pn_err_msg(&err), "no table ip podnet-t1"), "  naming the table: %s", pn_err_msg(&err));
	is_int(nft_masq_remove("t1", &err), 0, "remove of an absent network is success");
	is_int(nft_masq_remove("never-existed", &err), 0, "remove of a never-created network");
	pn_err_free(&err);
}

static void test_filter_and_cost(void)
{
	struct pn_cidr s[] = { cidr("10.1.0.0/16") };
	struct pn_cidr ds[] = { cidr("10.2.0.0/16"), cidr("fd00:2::/64") };
	struct pn_err err = { 0 };
	unsigned long filtered = 0, all = 0;
	double us;

	/* 500 unrelated rules the kernel must leave out of our dump. */
	ok(sh("{ echo 'table ip noise {'; echo ' chain postrouting {';"
	      " for i in $(seq 1 500); do echo \"  ip saddr 192.0.2.$((i % 250)) counter\"; done;"
	      " echo ' }'; echo '}'; } | nft -f -") == 0,
	   "500 rules in table ip noise chain postrouting");
	is_int(nft_masq_ensure("t1", s, 1, &err), 0, "ensure t1");
	is_int(nft_masq_ensure("t2", ds, 2, &err), 0, "ensure t2");
	is_int(count_rules(NFPROTO_IPV4, "podnet-t1", NULL, &filtered), 1, "filtered dump: our one rule");
	is_int(filtered, 1, "kernel sent 1 rule message for table/chain-filtered dump");
	ok(count_rules(NFPROTO_IPV4, NULL, NULL, &all) >= 502 && all >= 502,
	   "an unfiltered dump sends %lu", all);

	us = check_cost_us("t1", s, 1, 1000);
	ok(us > 0, "1000 checks pass");
	printf("# nft_masq_check cost, 1 ipv4 subnet, table present, 500 unrelated rules: %.1f us/call\n",
	       us);
	us = check_cost_us("t2", ds, 2, 1000);
	ok(us > 0, "1000 dual-stack checks pass");
	printf("# nft_masq_check cost, ipv4+ipv6 subnets (2 dumps): %.1f us/call\n", us);
	pn_err_free(&err);
}

static bool nft_available(void)
{
	return access("/usr/sbin/nft", X_OK) == 0 || access("/sbin/nft", X_OK) == 0 ||
	       access("/usr/bin/nft", X_OK) == 0 || sh("command -v nft >/dev/null 2>&1") == 0;
}

int main(void)
{
	char tmpdir[] = "/tmp/test_nft.XXXXXX";
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		printf("ok 1 # SKIP not root\n1..1\n");
		return 0;
	}
	if (!nft_available()) {
		printf("not ok 1 - nft installed (scripts/install-deps.sh installs nftables)\n1..1\n");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0) {
			printf("not ok 1 - unshare(CLONE_NEWNET) as root: %s\n1..1\n", strerror(errno));
			fflush(stdout);
			_exit(1);
		}
		if (!mkdtemp(tmpdir)) {
			printf("Bail out! mkdtemp: %s\n", strerror(errno));
			_exit(1);
		}
		test_single();
		test_dual_stack();
		test_names();
		test_race(tmpdir);
		test_no_exec_when_present(tmpdir);
		test_remove();
		test_filter_and_cost();
		{
			char cmd[128];

			snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
			(void)sh(cmd);
		}
		/* exit(), not _exit(): LeakSanitizer runs at exit. */
		exit(tap_done());
	}
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
