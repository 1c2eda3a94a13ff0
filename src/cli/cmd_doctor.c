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
	const char *pod = NULL, *to = NULL, *ns = NULL, *output = NULL, *timeout = NULL;
	struct flag flags[] = {
		FLAG_DEF("to", 0, FLAG_STRING, &to),
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_DEF("timeout", 0, FLAG_STRING, &timeout),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	char cni_path[8192], ref[512];
	bool rt_open = false;
	int ret = 1, timeout_ms = 0, bad;

	if (cmd_wants_help(self, argc, argv))
		return 0;
	if (cmd_flags(flags, argc, argv, &a) < 0)
		goto out;
	pod = a.n ? a.v[0] : NULL;   /* argv's */
	bad = cmd_no_args("doctor", &a, 1);
	flag_args_free(&a);
	if (bad < 0)
		goto out;
	if (timeout) {
		char *end;
		double d = strtod(timeout, &end);

		if (!strcmp(end, "ms"))
			timeout_ms = (int)d;
		else if (!*end || !strcmp(end, "s"))
			timeout_ms = (int)(d * 1000);
		if (d <= 0 || timeout_ms <= 0) {
			cmd_errorf("invalid --timeout \"%s\": use e.g. 1s or 500ms", timeout);
			goto out;
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
	if (output)
		cmd_print_report(doctor_report_to_json(&rep));
	else
		print_text(&rep);
	fflush(stdout);
	ret = rep.n_fail ? 1 : 0;
out:
	doctor_report_free(&rep);
	if (rt_open)
		podrt_close(&rt);
	pn_err_free(&err);
	return ret;
}
