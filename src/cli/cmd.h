/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_CMD_H
#define PODNET_CMD_H

/*
 * The podnet CLI: one handler per command, `int cmd_x(int argc, char **argv)`
 * with argv[0] the command name, returning the process exit status.  The
 * table in main.c generates usage; `podnet help CMD` and `podnet CMD --help`
 * print the same page.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "flags.h"
#include "netpol.h"
#include "podrt.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage; /* full help text, after the "Usage:" line */
};

extern const struct cmd podnet_cmds[];
const struct cmd *cmd_find(const char *name);
void cmd_usage(FILE *f, const struct cmd *c);
/* True when argv holds -h/--help before "--"; prints the page to stdout. */
int cmd_wants_help(const struct cmd *c, int argc, char **argv);

/* Print "error: <msg>[: <details>]" on stderr, kubectl style. */
void cmd_error(const struct pn_err *err);
void cmd_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A runtime error as kubectl shows the API's answer: "Error from server
 * (NotFound): pods "x" not found", an Invalid message as is, else cmd_error. */
void cmd_server_error(const struct pn_err *err);

/*
 * The command line (cmdargs.c).  cmd_flags() parses @argv (argv[0] is the
 * command) with flags.c; on a mistake it prints kubectl's
 *   error: unknown flag: --bogus
 *   See 'podnet get --help' for usage.
 * and returns -1.  cmd_usage_errorf() is kubectl's UsageErrorf ("error: MSG"
 * then "See 'podnet CMD -h' for help and examples"); cmd_no_args() refuses
 * positional arguments past the first @max with it ("unexpected arguments:
 * [a b]").
 */
int cmd_flags(struct flag *flags, int argc, char **argv, struct flag_args *args);
void cmd_usage_errorf(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cmd_no_args(const char *cmd, const struct flag_args *a, size_t max);

/*
 * Resource types as kubectl names them (plural, singular, short name, any
 * case) and kubectl's resource arguments: `TYPE[,TYPE...] [NAME...]` or
 * `TYPE/NAME...`; a target without a name is every object of its type.
 * Mistakes are printed with kubectl's texts (`the server doesn't have a
 * resource type "x"`, the resource/name form rules).
 */
enum cmd_rt { CMD_RT_POD, CMD_RT_NAMESPACE, CMD_RT_NETPOL, CMD_RT_SERVICE, CMD_RT_ENDPOINTSLICE };
struct cmd_rtype {
	enum cmd_rt rt;
	const char *resource;   /* "pods" */
	const char *singular;   /* "pod": -o name's prefix */
	const char *shortname;  /* "po" */
	const char *kind;       /* "Pod" */
	bool namespaced;
};
struct cmd_target {
	const struct cmd_rtype *type;
	const char *name;       /* NULL: all of the type */
};
struct cmd_targets {
	struct cmd_target *v;
	size_t n;
};
const struct cmd_rtype *cmd_rtype_find(const char *name, size_t len);
int cmd_targets_parse(const char *cmd, char **args, size_t n, struct cmd_targets *out);
void cmd_targets_free(struct cmd_targets *t);

/* get's options (cmd_get.c); other kinds' getters take them too. */
struct labelsel;
struct get_opts {
	const char *ns;
	bool all_ns;
	const char *selector;
	struct labelsel *sel;   /* parsed @selector; NULL: everything */
	const char *output;
	bool no_headers;
	bool show_labels;
};
/* Parse a -l selector; a bad one is printed as kubectl shows kube-apiserver's 400. */
int cmd_selector_parse(const struct cmd_rtype *t, const char *s, struct labelsel **out);
/* @sel against a metadata.labels object (NULL @sel matches). */
bool cmd_labels_match(const struct labelsel *sel, json_t *labels);

/* Settings every command shares, from the environment. */
struct podnet_env {
	const char *root;        /* PODNET_ROOT, /var/lib/podnet */
	const char *cni_conf_dir;/* PODNET_CNI_CONF_DIR, /etc/cni/net.d */
	const char *cni_path;    /* CNI_PATH, /opt/cni/bin */
	const char *cni_cache;   /* PODNET_CNI_CACHE_DIR, /var/lib/cni */
	const char *netns_dir;   /* PODNET_NETNS_DIR, /run/netns */
};
void podnet_env_load(struct podnet_env *e);
/* Point @rt at @env's paths and the chosen OCI runtime (not opened yet). */
void cmd_runtime_init(struct podrt *rt, const struct podnet_env *env);
/* podnet_env_load (into @env, or for @rt only if NULL) + cmd_runtime_init
 * + podrt_open; prints the error and returns -1 on failure. */
int cmd_runtime_open(struct podrt *rt, struct podnet_env *env);

/* -o json|yaml|jsonpath=...|jsonpath-as-json=... of one object or a List;
 * returns the exit status. */
int cmd_print_object(const char *output, json_t *doc);
/* A report (doctor, trace) as indented JSON on stdout, then json_decref;
 * nothing is printed for NULL (the report could not be built). */
void cmd_print_report(json_t *j);

/* `get` of one resource type, its flags parsed (cmd_get.c). */
struct labelsel;
struct cmd_get_args {
	const char *ns;
	bool all_ns;
	const struct labelsel *sel;   /* NULL: every object */
	const char *output;
	bool no_headers;
	const char *const *names;
	size_t n_names;
};

/* NetworkPolicy and Namespace objects (cmd_netpol.c).  The apply and
 * delete functions print kubectl's line and return the exit status;
 * *changed is set when the state changed, and the caller then runs
 * cmd_netpol_sync() once for the whole command. */
int cmd_net_sync(struct podrt *rt, struct pn_err *err); /* podrt's net_sync hook */
int cmd_netpol_apply(struct podrt *rt, struct pn_netpol *np, bool *changed);
int cmd_namespace_apply(struct podrt *rt, struct pn_namespace *ns, bool *changed);
int cmd_netpol_get(struct podrt *rt, const struct cmd_get_args *a);
int cmd_netpol_delete(struct podrt *rt, const char *ns, const char *name, bool *changed);
int cmd_netpol_delete_all(struct podrt *rt, const char *ns, bool all_ns, bool *changed);
int cmd_netpol_sync(struct podrt *rt);
int cmd_netpol(int argc, char **argv);
int cmd_describe_netpol(struct podrt *rt, const char *ns, const char *name);

/* Services (cmd_svc.c): apply's and delete's part, get svc|endpointslices. */
struct pn_service;
struct svcrt_cfg;
/* Create or update one Service, printing kubectl's line; 0 or 1. */
int svc_apply_one(struct podrt *rt, const struct svcrt_cfg *cfg, struct pn_service *svc);
int svc_delete_one(struct podrt *rt, const char *ns, const char *name);
int svc_get(struct podrt *rt, const struct cmd_get_args *o);
int svc_get_slices(struct podrt *rt, const struct cmd_get_args *o);

int cmd_version(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_pods(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_inspectp(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_help(int argc, char **argv);
/* Node inspection (cmd_netns.c). */
int cmd_netns(int argc, char **argv);
int cmd_pid2pod(int argc, char **argv);
int cmd_graph(int argc, char **argv);
/* Inside a pod's network from the node (cmd_netdiag.c). */
int cmd_ip(int argc, char **argv);
int cmd_ss(int argc, char **argv);
int cmd_nsenter(int argc, char **argv);
/* Probes, the tracer and the troubleshooter (cmd_probe.c, cmd_doctor.c). */
int cmd_probe(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#endif
