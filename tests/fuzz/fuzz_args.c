/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: CNI_ARGS ("K=V;K=V") as a runtime hands it over. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_args a;
	struct pn_err err = { 0 };
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';   /* an environment variable ends at the first NUL */
	if (cni_args_parse(s, &a, &err) == 0 && a.n_ips > CNI_MAX_IPS)
		abort();
	cni_args_free(&a);
	free(s);
	pn_err_free(&err);
	return 0;
}
