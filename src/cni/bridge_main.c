/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet-bridge: the CNI plugin (type "podnet-bridge").  A thin main: read
 * the CNI environment and the network config, run the verb, print the
 * result or the spec's error object on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"
#include "cni.h"

#ifndef PODNET_VERSION
#define PODNET_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: podnet-bridge\n"
		"\n"
		"A CNI plugin (type \"podnet-bridge\"): connects a pod's network namespace to a\n"
		"node bridge through a veth pair, with addresses from IPAM, routes and\n"
		"masquerade.  It is run by a container runtime, not by hand: the verb and its\n"
		"arguments come in CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,\n"
		"CNI_ARGS and CNI_PATH, the network configuration on stdin; the result or an\n"
		"error object goes to stdout.\n"
		"\n"
		"Verbs: ADD, DEL, CHECK, GC, STATUS, VERSION (CNI spec 1.1.0; configs of\n"
		"cniVersion 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0 are accepted).\n"
		"\n"
		"See podnet-bridge(8) for every configuration key and error code.\n");
}

int main(int argc, char **argv)
{
	struct pn_err err = { 0 };
	struct cni_env env = { 0 };
	struct cni_conf *conf = NULL;
	struct cni_result *res = NULL;
	enum cni_version v = CNI_V110;
	char *buf = NULL;
	size_t len = 0;
	int ret, status = 1;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--version")) {
			printf("podnet-bridge %s (CNI spec 1.1.0)\n", PODNET_VERSION);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	ret = cni_env_from_environ(&env, &err);
	if (ret < 0) {
		if (!getenv("CNI_COMMAND") && isatty(STDIN_FILENO))
			usage(stderr);
		goto out;
	}
	if (env.cmd == CNI_CMD_VERSION) {
		json_t *j = json_pack("{s:s, s:o}", "cniVersion", "1.1.0", "supportedVersions",
				      cni_supported_versions());

		status = j && cni_json_print(stdout, j) == 0 ? 0 : 1;
		json_decref(j);
		goto out_quiet;
	}
	ret = pn_read_all(STDIN_FILENO, &buf, &len);
	if (ret < 0) {
		pn_error(&err, PN_CNI_IO, -ret, "cannot read the network configuration from stdin");
		goto out;
	}
	ret = cni_conf_parse(buf, len, false, &conf, &err);
	if (ret < 0)
		goto out;
	v = conf->version;

	struct bridge_call call = { .env = &env, .conf = conf, .raw = buf, .raw_len = len };

	switch (env.cmd) {
	case CNI_CMD_ADD:
		ret = bridge_cmd_add(&call, &res, &err);
		if (ret == 0) {
			json_t *j = cni_result_to_json(res, v);

			ret = j ? cni_json_print(stdout, j) : -1;
			json_decref(j);
			if (ret < 0)
				pn_error(&err, PN_CNI_IO, 0, "cannot write the result");
		}
		break;
	case CNI_CMD_DEL:
		ret = bridge_cmd_del(&call, &err);
		break;
	case CNI_CMD_CHECK:
		ret = bridge_cmd_check(&call, &err);
		break;
	case CNI_CMD_GC:
		ret = bridge_cmd_gc(&call, &err);
		break;
	case CNI_CMD_STATUS:
		ret = bridge_cmd_status(&call, &err);
		break;
	default:
		ret = pn_error(&err, PN_CNI_INVALID_ENV, 0, "unknown CNI_COMMAND: %s",
			       env.command ? env.command : "");
		break;
	}
out:
	if (ret < 0)
		cni_error_print(stdout, v, &err);
	else
		status = 0;
out_quiet:
	cni_result_free(res);
	cni_conf_free(conf);
	cni_env_free(&env);
	free(buf);
	return status;
}
