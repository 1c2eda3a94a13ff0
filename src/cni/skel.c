/* SPDX-License-Identifier: Apache-2.0 */
#include "skel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PODNET_VERSION
#define PODNET_VERSION "0.1.0"
#endif

static int print_version_object(void)
{
	json_t *j = json_pack("{s:s, s:o}", "cniVersion", "1.1.0", "supportedVersions",
			      cni_supported_versions());
	int status = j && cni_json_print(stdout, j) == 0 ? 0 : 1;

	json_decref(j);
	return status;
}

static int run_add(const struct cni_plugin *p, const struct cni_call *c, struct pn_err *err)
{
	struct cni_result *res = NULL;
	json_t *j = NULL;
	int ret;

	ret = p->add(c, &res, err);
	if (ret < 0)
		goto out;
	j = cni_result_to_json(res, c->conf->version);
	if (!j || cni_json_print(stdout, j) < 0) {
		/* The runtime never sees this result, so nothing will ever
		 * name what ADD made: undo it now. */
		struct pn_err scratch = { 0 };

		if (p->del && p->del(c, &scratch) < 0)
			fprintf(stderr, "%s: undo ADD: %s\n", p->name, pn_err_msg(&scratch));
		pn_err_free(&scratch);
		ret = pn_error(err, PN_CNI_IO, errno, "cannot write the result");
	}
out:
	json_decref(j);
	cni_result_free(res);
	return ret;
}

static int dispatch(const struct cni_plugin *p, const struct cni_call *c, struct pn_err *err)
{
	/* ADD prints a result; the other verbs only succeed or fail. */
	int (*const verbs[])(const struct cni_call *, struct pn_err *) = {
		[CNI_CMD_DEL] = p->del,
		[CNI_CMD_CHECK] = p->check,
		[CNI_CMD_GC] = p->gc,
		[CNI_CMD_STATUS] = p->status,
	};
	int (*verb)(const struct cni_call *, struct pn_err *) = NULL;

	if (c->env->cmd == CNI_CMD_ADD)
		return run_add(p, c, err);
	if ((size_t)c->env->cmd < PN_ARRAY_SIZE(verbs))
		verb = verbs[c->env->cmd];
	if (!verb)
		return pn_error(err, PN_CNI_INVALID_ENV, 0, "unknown CNI_COMMAND: %s",
				c->env->command ? c->env->command : "");
	return verb(c, err);
}

int cni_skel_main(const struct cni_plugin *p, int argc, char **argv)
{
	struct pn_err err = { 0 };
	struct cni_env env = { 0 };
	struct cni_conf *conf = NULL;
	enum cni_version v = CNI_V110;
	char *buf = NULL;
	size_t len = 0;
	int ret, status = 1;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
			p->usage(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--version")) {
			printf("%s %s (CNI spec 1.1.0)\n", p->name, PODNET_VERSION);
			return 0;
		}
		if (p->subcommand)
			return p->subcommand(argc - 1, argv + 1);
		p->usage(stderr);
		return 2;
	}
	ret = cni_env_from_environ(&env, &err);
	if (ret < 0) {
		/* Run by hand: say what the plugin is before the error object. */
		if (!getenv("CNI_COMMAND") && isatty(STDIN_FILENO))
			p->usage(stderr);
		goto out;
	}
	if (env.cmd == CNI_CMD_VERSION) {
		status = print_version_object();
		goto out_quiet;
	}
	ret = pn_read_all(STDIN_FILENO, &buf, &len);
	if (ret < 0) {
		pn_error(&err, PN_CNI_IO, -ret, "cannot read the network configuration from stdin");
		goto out;
	}
	ret = cni_conf_parse(buf, len, p->parse_ipam, &conf, &err);
	if (ret < 0)
		goto out;
	v = conf->version;
	ret = dispatch(p, &(struct cni_call){ .env = &env, .conf = conf, .raw = buf, .raw_len = len },
		       &err);
out:
	if (ret < 0)
		cni_error_print(stdout, v, &err);
	else
		status = 0;
out_quiet:
	pn_err_free(&err);
	cni_conf_free(conf);
	cni_env_free(&env);
	free(buf);
	return status;
}
