/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every command does with its command line before it does anything:
 * flags (flags.c) with kubectl's error texts, and kubectl's resource
 * arguments, `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"

int cmd_flags(struct flag *flags, int argc, char **argv, struct flag_args *args)
{
	struct pn_err err = { 0 };

	if (flags_parse(flags, argc, argv, args, &err) < 0) {
		/* kubectl's FlagErrorFunc adds the second line. */
		fprintf(stderr, "error: %s\nSee 'podnet %s --help' for usage.\n", pn_err_msg(&err),
			argv[0]);
		pn_err_free(&err);
		return -1;
	}
	return 0;
}

void cmd_usage_errorf(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* kubectl's cmdutil.UsageErrorf. */
	fprintf(stderr, "\nSee 'podnet %s -h' for help and examples\n", cmd);
}

int cmd_no_args(const char *cmd, const struct flag_args *a, size_t max)
{
	struct pn_buf b = { 0 };

	if (a->n <= max)
		return 0;
	/* Go's %v of a []string: [a b c]. */
	for (size_t i = max; i < a->n; i++)
		pn_buf_printf(&b, "%s%s", i > max ? " " : "", a->v[i]);
	cmd_usage_errorf(cmd, "unexpected arguments: [%s]", b.failed ? "" : (b.s ? b.s : ""));
	free(b.s);
	return -1;
}

static const struct cmd_rtype rtypes[] = {
	{ CMD_RT_POD, "pods", "pod", "po", "Pod", true },
	{ CMD_RT_NAMESPACE, "namespaces", "namespace", "ns", "Namespace", false },
	{ CMD_RT_NETPOL, "networkpolicies", "networkpolicy", "netpol", "NetworkPolicy", true },
	{ CMD_RT_SERVICE, "services", "service", "svc", "Service", true },
	{ CMD_RT_ENDPOINTSLICE, "endpointslices", "endpointslice", "", "EndpointSlice", true },
};

const struct cmd_rtype *cmd_rtype_find(const char *name, size_t len)
{
	for (size_t i = 0; i < PN_ARRAY_SIZE(rtypes); i++) {
		const struct cmd_rtype *t = &rtypes[i];
		const char *names[] = { t->resource, t->singular, t->shortname };

		for (size_t k = 0; k < PN_ARRAY_SIZE(names); k++)
			if (strlen(names[k]) == len && !strncasecmp(names[k], name, len))
				return t;
	}
	return NULL;
}

static int target_add(struct cmd_targets *t, const struct cmd_rtype *type, const char *name)
{
	struct cmd_target *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	t->v = nv;
	t->v[t->n].type = type;
	t->v[t->n].name = name;
	t->n++;
	return 0;
}

void cmd_targets_free(struct cmd_targets *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int unknown_type(const char *name, size_t len)
{
	fprintf(stderr, "error: the server doesn't have a resource type \"%.*s\"\n", (int)len, name);
	return -1;
}

/*
 * kubectl's resource.Builder.ResourceTypeOrNameArgs: either every argument
 * is TYPE/NAME, or the first is TYPE[,TYPE...] and the rest are names
 * (each name of each type).  A type without a name means all of that type.
 */
int cmd_targets_parse(const char *cmd, char **args, size_t n, struct cmd_targets *out)
{
	bool slash = false;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		slash |= strchr(args[i], '/') != NULL;
	if (slash) {
		for (size_t i = 0; i < n; i++) {
			const char *s = strchr(args[i], '/');
			const struct cmd_rtype *t;

			if (!s) {
				fprintf(stderr,
					"error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podnet %s resource/<resource_name>' instead of 'podnet %s resource resource/<resource_name>'\n",
					cmd, cmd);
				goto fail;
			}
			if (s == args[i] || !s[1] || strchr(s + 1, '/')) {
				fprintf(stderr,
					"error: arguments in resource/name form must have a single resource and name\n");
				goto fail;
			}
			t = cmd_rtype_find(args[i], (size_t)(s - args[i]));
			if (!t) {
				unknown_type(args[i], (size_t)(s - args[i]));
				goto fail;
			}
			if (target_add(out, t, s + 1) < 0)
				goto nomem;
		}
		return 0;
	}
	if (n == 0)
		return 0;
	for (const char *p = args[0];;) {
		size_t len = strcspn(p, ",");
		const struct cmd_rtype *t = cmd_rtype_find(p, len);

		if (!t) {
			unknown_type(p, len);
			goto fail;
		}
		if (n == 1 && target_add(out, t, NULL) < 0)
			goto nomem;
		for (size_t i = 1; i < n; i++)
			if (target_add(out, t, args[i]) < 0)
				goto nomem;
		if (!p[len])
			break;
		p += len + 1;
	}
	return 0;
nomem:
	cmd_errorf("out of memory");
fail:
	cmd_targets_free(out);
	return -1;
}
