/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet: pods on one node, daemonless.  kubectl- and crictl-shaped
 * commands over the library; this file is the command table and dispatch.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#ifndef PODNET_VERSION
#define PODNET_VERSION "0.1.0"
#endif

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = podnet_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cmd_usage(FILE *f, const struct cmd *c)
{
	fprintf(f, "%s\n\nUsage:\n%s", c->summary, c->usage);
}

int cmd_wants_help(const struct cmd *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cmd_usage(stdout, c);
			return 1;
		}
	}
	return 0;
}

void cmd_error(const struct pn_err *err)
{
	/* The errno text adds nothing to a message that names the object. */
	const char *details = pn_err_details_text(err);

	if (*details && !(err->errnum && !strcmp(details, strerror(err->errnum))))
		fprintf(stderr, "error: %s: %s\n", pn_err_msg(err), details);
	else
		fprintf(stderr, "error: %s\n", pn_err_msg(err));
}

void cmd_errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

void podnet_env_load(struct podnet_env *e)
{
	e->root = env_or("PODNET_ROOT", "/var/lib/podnet");
	e->cni_conf_dir = env_or("PODNET_CNI_CONF_DIR", "/etc/cni/net.d");
	e->cni_path = env_or("CNI_PATH", "/opt/cni/bin");
	e->cni_cache = env_or("PODNET_CNI_CACHE_DIR", "/var/lib/cni");
	e->netns_dir = env_or("PODNET_NETNS_DIR", "/run/netns");
}

void cmd_runtime_init(struct podrt *rt, const struct podnet_env *env)
{
	memset(rt, 0, sizeof(*rt));
	rt->root = env->root;
	rt->cni_conf_dir = env->cni_conf_dir;
	rt->cni_path = env->cni_path;
	rt->cni_cache = env->cni_cache;
	rt->netns_dir = env->netns_dir;
	rt->runtime = getenv("PODNET_RUNTIME");
}

int cmd_runtime_open(struct podrt *rt, struct podnet_env *env)
{
	struct podnet_env own;
	struct pn_err err = { 0 };

	/* Its strings are the environment's or constants: @rt may keep them. */
	if (!env)
		env = &own;
	podnet_env_load(env);
	cmd_runtime_init(rt, env);
	if (podrt_open(rt, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return -1;
	}
	/* Every command that changes pods keeps the network's rules in step
	 * (NetworkPolicy, Services and hostPorts): the runtime calls this after a
	 * pod's CNI ADD, relabel and delete. */
	rt->net_sync = cmd_net_sync;
	return 0;
}

static void usage_all(FILE *f)
{
	fprintf(f, "podnet: Kubernetes pods on one node, and the tools to see inside their network.\n\n"
		   "Usage: podnet [--runtime NAME|PATH] COMMAND [ARGS...]\n\nCommands:\n");
	for (const struct cmd *c = podnet_cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nGlobal options:\n"
		   "  --runtime NAME|PATH  the OCI runtime (runc, crun or a path) for this command;\n"
		   "                       the same as PODNET_RUNTIME\n");
	fprintf(f, "\nUse \"podnet help COMMAND\" or \"podnet COMMAND --help\" for a command's options.\n"
		   "Environment: PODNET_ROOT (/var/lib/podnet), PODNET_CNI_CONF_DIR (/etc/cni/net.d),\n"
		   "CNI_PATH (/opt/cni/bin), PODNET_CNI_CACHE_DIR (/var/lib/cni), PODNET_RUNTIME,\n"
		   "PODNET_LOG.\n");
}

int cmd_help(int argc, char **argv)
{
	struct flag flags[] = { FLAG_END };
	struct flag_args a = { 0 };
	const struct cmd *c;
	int bad;

	if (argc >= 2 && strcmp(argv[0], "help") == 0) {
		bad = cmd_flags(flags, argc, argv, &a) < 0 || cmd_no_args("help", &a, 1) < 0;
		flag_args_free(&a);
		if (bad)
			return 1;
	}
	if (argc < 2) {
		usage_all(stdout);
		return 0;
	}
	c = cmd_find(argv[1]);
	if (!c) {
		cmd_errorf("unknown command \"%s\" for \"podnet\"", argv[1]);
		return 1;
	}
	cmd_usage(stdout, c);
	return 0;
}

int cmd_version(int argc, char **argv)
{
	struct flag flags[] = { FLAG_END };
	struct flag_args a = { 0 };
	int bad = argc > 1 && (cmd_flags(flags, argc, argv, &a) < 0 || cmd_no_args("version", &a, 0) < 0);

	flag_args_free(&a);
	if (bad)
		return 1;
	printf("podnet %s\n", PODNET_VERSION);
	return 0;
}

/*
 * Options before the command.  --runtime goes into PODNET_RUNTIME rather
 * than a struct: the library (oci_runtime_detect) and the shim it spawns
 * already read the environment, so every command and child sees one choice.
 * Returns how many argv entries it used, or -1 after printing an error.
 */
static int global_opts(int argc, char **argv)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		const char *v = NULL;

		if (!strcmp(argv[i], "--runtime")) {
			if (i + 1 >= argc || !argv[i + 1][0]) {
				cmd_errorf("flag needs an argument: --runtime");
				return -1;
			}
			v = argv[++i];
		} else if (!strncmp(argv[i], "--runtime=", 10)) {
			v = argv[i] + 10;
			if (!*v) {
				cmd_errorf("flag needs an argument: --runtime");
				return -1;
			}
		} else {
			break;
		}
		if (setenv("PODNET_RUNTIME", v, 1) < 0) {
			cmd_errorf("cannot set PODNET_RUNTIME");
			return -1;
		}
		i++;
	}
	return i - 1;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int used = global_opts(argc, argv);

	if (used < 0)
		return 1;
	/* From here argv[1] is the command, as if no global option was given. */
	argv[used] = argv[0];
	argv += used;
	argc -= used;
	if (argc < 2) {
		usage_all(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	c = cmd_find(argv[1]);
	if (!c) {
		cmd_errorf("unknown command \"%s\" for \"podnet\"\nRun 'podnet --help' for usage.", argv[1]);
		return 1;
	}
	if (cmd_wants_help(c, argc - 1, argv + 1))
		return 0;
	return c->fn(argc - 1, argv + 1);
}
