/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libnftables, as nftx.h promises it: one context per call (a context
 * keeps a cache of the ruleset, which another process may change between
 * our calls), output and errors captured in buffers rather than printed.
 */
#include "nftx.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

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
