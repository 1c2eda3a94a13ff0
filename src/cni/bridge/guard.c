/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pod port guard: anti-spoofing and redirect suppression in the bridge
 * family (guard.h).
 */
#include "guard.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"

#define GUARD_PREFIX "podnet-"

static const char *const sets[] = { "checked", "isolated", "mac", "addr4", "addr6" };

static void table_name(const char *network, char *out, size_t size)
{
	snprintf(out, size, GUARD_PREFIX "%s", network);
}

/*
 * Every command is idempotent ("add" of an object that exists is a no-op,
 * the chains are flushed before their rules are added), so racing ADDs
 * that both find the table missing end with one copy of each rule and
 * with every element either of them added.
 */
static char *guard_script(const char *table)
{
	char *s = NULL;

	if (asprintf(&s,
		     "add table bridge %1$s\n"
		     "add set bridge %1$s checked { type ifname; }\n"
		     "add set bridge %1$s isolated { type ifname; }\n"
		     "add set bridge %1$s mac { type ifname . ether_addr; }\n"
		     "add set bridge %1$s addr4 { type ifname . ether_addr . ipv4_addr; }\n"
		     "add set bridge %1$s addr6 { type ifname . ether_addr . ipv6_addr; }\n"
		     "add chain bridge %1$s prerouting { type filter hook prerouting priority -300; policy accept; }\n"
		     "flush chain bridge %1$s prerouting\n"
		     "add rule bridge %1$s prerouting iifname != @checked accept\n"
		     "add rule bridge %1$s prerouting iifname . ether saddr != @mac counter drop comment \"podnet: not the pod's MAC\"\n"
		     "add rule bridge %1$s prerouting ether type ip iifname . ether saddr . ip saddr @addr4 accept\n"
		     "add rule bridge %1$s prerouting ether type arp iifname . arp saddr ether . arp saddr ip @addr4 accept\n"
		     "add rule bridge %1$s prerouting ether type arp arp saddr ip 0.0.0.0 accept\n"
		     "add rule bridge %1$s prerouting ether type ip6 ip6 saddr :: accept\n"
		     "add rule bridge %1$s prerouting ether type ip6 ip6 saddr fe80::/10 accept\n"
		     "add rule bridge %1$s prerouting ether type ip6 iifname . ether saddr . ip6 saddr @addr6 accept\n"
		     "add rule bridge %1$s prerouting counter drop comment \"podnet: not the pod's address\"\n"
		     "add chain bridge %1$s output { type filter hook output priority filter; policy accept; }\n"
		     "flush chain bridge %1$s output\n"
		     "add rule bridge %1$s output oifname @isolated icmp type redirect drop\n"
		     "add rule bridge %1$s output oifname @isolated icmpv6 type nd-redirect drop\n",
		     table) < 0)
		return NULL;
	return s;
}

int guard_ensure(const char *network, struct pn_err *err)
{
	char table[300], *script;
	int ret;

	table_name(network, table, sizeof(table));
	/* One round trip on every ADD: both chains are made in the one
	 * transaction, so either both exist or someone took the table apart
	 * (CHECK tells). */
	ret = nft_chain_present(NFPROTO_BRIDGE, table, "prerouting", err);
	if (ret != -ENOENT)
		return ret;
	script = guard_script(table);
	if (!script)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = nft_script_run(network, script, err);
	free(script);
	return ret;
}

/* Keys: concatenated fields, each padded to 4 bytes as nf_tables stores
 * them (nft_set_ext key of a concatenation: NFT_REG32_SIZE granules). */
static size_t key_port(uint8_t *k, const char *port)
{
	memset(k, 0, IFNAMSIZ);
	memcpy(k, port, strnlen(port, IFNAMSIZ - 1));
	return IFNAMSIZ;
}

static size_t key_mac(uint8_t *k, const char *port, const unsigned char mac[6])
{
	size_t n = key_port(k, port);

	memset(k + n, 0, 8);
	memcpy(k + n, mac, 6);
	return n + 8;
}

static size_t key_ip(uint8_t *k, const char *port, const unsigned char mac[6], const struct pn_ip *ip)
{
	size_t n = key_mac(k, port, mac);

	memcpy(k + n, ip->b, pn_ip_len(ip));
	return n + pn_ip_len(ip);
}

/* The elements of one port, in set order. */
static size_t port_elems(struct nft_elem *e, size_t cap, const char *port, const unsigned char mac[6],
			 const struct pn_ip *ips, size_t n_ips, bool spoof, bool isolated)
{
	size_t n = 0;

	if (spoof && n < cap) {
		e[n].set = "checked";
		e[n].key_len = key_port(e[n].key, port);
		n++;
	}
	if (isolated && n < cap) {
		e[n].set = "isolated";
		e[n].key_len = key_port(e[n].key, port);
		n++;
	}
	if (spoof && n < cap) {
		e[n].set = "mac";
		e[n].key_len = key_mac(e[n].key, port, mac);
		n++;
	}
	for (int fam = AF_INET; spoof && fam; fam = fam == AF_INET ? AF_INET6 : 0)
		for (size_t i = 0; i < n_ips && n < cap; i++) {
			if (ips[i].family != fam)
				continue;
			e[n].set = fam == AF_INET ? "addr4" : "addr6";
			e[n].key_len = key_ip(e[n].key, port, mac, &ips[i]);
			n++;
		}
	return n;
}

int guard_port_add(const char *network, const char *port, const unsigned char mac[6],
		   const struct pn_ip *ips, size_t n_ips, bool spoof, bool isolated, struct pn_err *err)
{
	struct nft_elem e[3 + 2 * 16];
	char table[300];
	size_t n = port_elems(e, PN_ARRAY_SIZE(e), port, mac, ips, n_ips, spoof, isolated);

	table_name(network, table, sizeof(table));
	return nft_elems_apply(NFPROTO_BRIDGE, table, e, n, false, err);
}

/* Collects the keys of one set that belong to the ports selected. */
struct collect {
	const char *set;
	const char *port;             /* this port, or */
	char *const *keep;            /* every port but these */
	size_t n_keep;
	struct nft_elem *v;
	size_t n, cap;
};

static bool port_selected(const struct collect *c, const uint8_t *key, size_t len)
{
	char name[IFNAMSIZ];

	if (len < IFNAMSIZ)
		return false;
	memcpy(name, key, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	if (c->port)
		return !strcmp(name, c->port);
	for (size_t i = 0; i < c->n_keep; i++)
		if (!strcmp(name, c->keep[i]))
			return false;
	return true;
}

static int collect_cb(const uint8_t *key, size_t len, void *arg)
{
	struct collect *c = arg;

	if (!port_selected(c, key, len) || len > NFT_ELEM_KEY_MAX)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct nft_elem *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].set = c->set;
	memcpy(c->v[c->n].key, key, len);
	c->v[c->n].key_len = len;
	c->n++;
	return 0;
}

static int remove_ports(const char *network, const char *port, char *const *keep, size_t n_keep,
			struct pn_err *err)
{
	struct collect c = { .port = port, .keep = keep, .n_keep = n_keep };
	char table[300];
	int ret = 0;

	table_name(network, table, sizeof(table));
	for (size_t i = 0; i < PN_ARRAY_SIZE(sets) && ret == 0; i++) {
		c.set = sets[i];
		ret = nft_elems_dump(NFPROTO_BRIDGE, table, sets[i], collect_cb, &c, err);
		if (ret == -ENOENT) /* no table: nothing to remove */
			ret = 0;
		if (ret == -ENOMEM)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	if (ret == 0)
		ret = nft_elems_apply(NFPROTO_BRIDGE, table, c.v, c.n, true, err);
	free(c.v);
	return ret;
}

int guard_port_del(const char *network, const char *port, struct pn_err *err)
{
	return remove_ports(network, port, NULL, 0, err);
}

int guard_gc(const char *network, char *const *keep, size_t n_keep, struct pn_err *err)
{
	char table[300], *script;
	int ret;

	if (n_keep)
		return remove_ports(network, NULL, keep, n_keep, err);
	table_name(network, table, sizeof(table));
	if (asprintf(&script, "add table bridge %1$s\ndelete table bridge %1$s\n", table) < 0)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	/* Only exec nft when there is a table to remove. */
	ret = nft_chain_present(NFPROTO_BRIDGE, table, "prerouting", err);
	if (ret == 0 || nft_chain_present(NFPROTO_BRIDGE, table, "output", NULL) == 0)
		ret = nft_script_run(network, script, err);
	else if (ret == -ENOENT)
		ret = 0;
	free(script);
	return ret;
}

struct find {
	const struct nft_elem *want;
	bool found;
};

static int find_cb(const uint8_t *key, size_t len, void *arg)
{
	struct find *f = arg;

	if (len == f->want->key_len && !memcmp(key, f->want->key, len))
		f->found = true;
	return 0;
}

int guard_port_check(const char *network, const char *port, const unsigned char mac[6],
		     const struct pn_ip *ips, size_t n_ips, bool spoof, bool isolated,
		     struct pn_err *err)
{
	struct nft_elem e[3 + 2 * 16];
	char table[300];
	size_t n = port_elems(e, PN_ARRAY_SIZE(e), port, mac, ips, n_ips, spoof, isolated);
	int ret;

	table_name(network, table, sizeof(table));
	for (size_t i = 0; i < n; i++) {
		struct find f = { &e[i], false };

		ret = nft_elems_dump(NFPROTO_BRIDGE, table, e[i].set, find_cb, &f, err);
		if (ret == -ENOENT)
			return pn_error(err, PN_E_CHECK, ENOENT,
					"table bridge %s (port guard) or its set %s is missing", table,
					e[i].set);
		if (ret < 0)
			return ret;
		if (!f.found)
			return pn_error(err, PN_E_CHECK, ENOENT,
					"port %s has no entry in set %s of table bridge %s", port,
					e[i].set, table);
	}
	return 0;
}
