/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the tracer's two parsers.  First byte even: the rest
 * is a netlink message (its length field forced to the input's, as
 * nl_read_events only hands over messages that fit their datagram) for
 * nftrace_decode(); odd: nft's ruleset listing for nftx_ruleset_parse().
 */
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nftrace.h"
#include "nftx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		struct nlmsghdr *h;
		struct nftrace_event ev;
		size_t n = size - 1;

		if (n < sizeof(*h) || n > UINT32_MAX)
			return 0;
		h = malloc(n);
		if (!h)
			return 0;
		memcpy(h, data + 1, n);
		h->nlmsg_len = (uint32_t)n;
		if (nftrace_decode(h, NL_NSID_SELF, &ev) == 0 &&
		    (ev.nh_len > sizeof(ev.nh) || ev.th_len > sizeof(ev.th) || ev.ll_len > sizeof(ev.ll) ||
		     memchr(ev.table, '\0', sizeof(ev.table)) == NULL))
			abort();
		free(h);
	} else {
		char *s = malloc(size);
		struct nftx_ruleset *rs;

		if (!s)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		rs = nftx_ruleset_parse(s);
		for (size_t i = 0; rs && i < rs->n_rules; i++)
			if (!rs->rules[i].text || !rs->rules[i].table || !rs->rules[i].chain)
				abort();
		nftx_ruleset_free(rs);
		free(s);
	}
	return 0;
}
