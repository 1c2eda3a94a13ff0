/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet doctor [POD] [--to TARGET:PORT] [-o json]: the seed's
 * troubleshooting checklist, one line per check.  Exit 0 only when no
 * check failed (warnings do not fail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "doctor.h"
#include "podrt.h"

static void print_text(const struct doctor_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct doctor_check *c = &rep->v[i];

		printf("%s %s %s: %s", doctor_status_mark(c->status), c->scope, c->name, c->msg);
		if (c->fix[0] && c->status != DOCTOR_OK)
			printf(" \u2014 fix: %s", c->fix);
		printf("\n");
	}
	printf("%zu checks: %zu failed, %zu warning%s\n", rep->n, rep->n_fail, rep->n_warn,
	       rep->n_warn == 1 ? "" : "s");
}

int cmd_doctor(int argc, char **argv)
{
	const struct cmd *self = cmd_find("doctor");
	struct doctor_report rep = { 0 };
	struct podnet_env env;
	struct podrt rt;
	struct pn_err err = { 0 };
	const char *pod = NULL, *to = NULL, *ns = NULL, *output = NULL;
	char cni_path[8192], ref[512];
	bool rt_open = false;
	int ret = 1, timeout_ms = 0;

	if (cmd_wants_help(self, argc, argv))
		return 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;

		if (!strcmp(a, "--to"))
			dst = &to;
		else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
			dst = &output;
		else if (!strcmp(a, "-n") || !strcmp(a, "--namespace"))
			dst = &ns;
		else if (!strncmp(a, "--to=", 5))
			to = a + 5;
		else if (!strncmp(a, "-o", 2) && a[2])
			output = a[2] == '=' ? a + 3 : a + 2;
		else if (!strncmp(a, "--timeout=", 10) || !strcmp(a, "--timeout")) {
			const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : "");
			char *end;
			double d = strtod(v, &end);

			if (!strcmp(end, "ms"))
				timeout_ms = (int)d;
			else if (!*end || !strcmp(end, "s"))
				timeout_ms = (int)(d * 1000);
			if (d <= 0 || timeout_ms <= 0) {
				cmd_errorf("invalid --timeout \"%s\": use e.g. 1s or 500ms", v);
				goto out;
			}
		} else if (a[0] == '-') {
			cmd_errorf("unknown flag: %s", a);
			goto out;
		} else if (!pod) {
			pod = a;
		} else {
			cmd_errorf("too many arguments: %s", a);
			goto out;
		}
		if (dst) {
			if (i + 1 >= argc) {
				cmd_errorf("flag needs an argument: %s", a);
				goto out;
			}
			*dst = argv[++i];
		}
	}
	if (output && strcmp(output, "json")) {
		cmd_errorf("unknown output format \"%s\" (json)", output);
		goto out;
	}
	if (to && !pod) {
		cmd_errorf("--to needs a POD to start from");
		goto out;
	}

	if (cmd_runtime_open(&rt, &env) < 0)
		goto out;
	rt_open = true;
	/* Plugins are looked up where `podnet apply` looks: CNI_PATH, then
	 * podnet's own directory, then Debian's reference plugins. */
	snprintf(cni_path, sizeof(cni_path), "%s:%s:/usr/lib/cni", env.cni_path, rt.bin_dir);
	struct doctor_opts o = { .rt = &rt, .cni_path = cni_path, .timeout_ms = timeout_ms };

	if (pod) {
		snprintf(ref, sizeof(ref), "%s%s%s", ns && !strchr(pod, '/') ? ns : "",
			 ns && !strchr(pod, '/') ? "/" : "", pod);
		if (doctor_pod(&o, ref, to, &rep, &err) < 0) {
			cmd_error(&err);
			goto out;
		}
	} else if (doctor_node(&o, &rep, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	if (output) {
		json_t *j = doctor_report_to_json(&rep);
		char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(j);
	} else {
		print_text(&rep);
	}
	fflush(stdout);
	ret = rep.n_fail ? 1 : 0;
out:
	doctor_report_free(&rep);
	if (rt_open)
		podrt_close(&rt);
	pn_err_free(&err);
	return ret;
}
