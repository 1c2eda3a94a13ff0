/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a network configuration from stdin (cni_conf_parse with
 * IPAM parsing on), and the same bytes read as a result/prevResult at every
 * version.  Beyond "no crash, no leak" it checks that every result we accept
 * re-encodes into JSON that we accept again, unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cni.h"

static void print_error(enum cni_version v, const struct pn_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	cni_error_print(f, v, err);
	fclose(f);
	free(buf);
}

static void round_trip(const struct cni_result *r, enum cni_version v)
{
	struct cni_result *back = NULL;
	struct pn_err err = { 0 };
	json_t *j = cni_result_to_json(r, v), *j2;

	if (!j)
		abort();
	if (cni_result_parse(j, v, &back, &err) < 0) {
		fprintf(stderr, "own %s output rejected: %s\n", cni_version_str(v), pn_err_msg(&err));
		abort();
	}
	j2 = cni_result_to_json(back, v);
	if (!json_equal(j, j2))
		abort();
	json_decref(j2);
	json_decref(j);
	cni_result_free(back);
	pn_err_free(&err);
}

static void try_result(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct pn_err err = { 0 };

	if (!j)
		return;
	for (int v = CNI_V_UNKNOWN; v <= CNI_V110; v++) {
		struct cni_result *r = NULL;

		if (cni_result_parse(j, (enum cni_version)v, &r, &err) < 0) {
			print_error((enum cni_version)v, &err);
			continue;
		}
		round_trip(r, r->version);
		round_trip(r, CNI_V040);
		cni_result_free(r);
	}
	json_decref(j);
	pn_err_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_conf *c = NULL;
	struct pn_err err = { 0 };

	if (cni_conf_parse((const char *)data, size, true, &c, &err) < 0) {
		print_error(CNI_V_UNKNOWN, &err);
	} else {
		if (c->prev_result)
			round_trip(c->prev_result, c->version);
		cni_conf_free(c);
	}
	try_result(data, size);
	pn_err_free(&err);
	return 0;
}
