/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a label selector as a client sends it (`-l`, the
 * labelSelector query parameter), parsed and matched against a few label
 * sets.  A parse either fails with a message or yields requirements with
 * keys; matching must never crash whatever the values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labelsel.h"

static const char *lookup(void *ctx, const char *key)
{
	static const char *const kv[] = { "app", "web", "tier", "", "x", "12", "a/b", "c" };
	int variant = *(int *)ctx;

	for (size_t i = 0; i + 1 < sizeof(kv) / sizeof(kv[0]); i += 2)
		if ((size_t)variant > i / 2 && !strcmp(kv[i], key))
			return kv[i + 1];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct labelsel *sel = NULL;
	struct pn_err err = { 0 };
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (labelsel_parse(s, &sel, &err) == 0) {
		for (size_t i = 0; i < sel->n; i++)
			if (!sel->reqs[i].key || !*sel->reqs[i].key)
				abort();
		for (int v = 0; v < 5; v++)
			(void)labelsel_matches(sel, lookup, &v);
		labelsel_free(sel);
	} else if (sel) {
		abort();
	}
	pn_err_free(&err);
	free(s);
	return 0;
}
