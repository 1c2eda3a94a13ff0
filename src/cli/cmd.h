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

/* kubectl's equality-based -l selectors against a labels object. */
bool cmd_selector_match(const char *sel, json_t *labels);
/* -o json|yaml|jsonpath=... of one object or a List; returns the exit status. */
int cmd_print_object(const char *output, json_t *doc);

/* `get` of one resource type, its flags parsed. */
struct cmd_get_args {
	const char *ns;
	bool all_ns;
	const char *selector;
	const char *output;
	bool no_headers;
	char **names;
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
bool svc_is_resource(const char *what);
bool svc_is_slice_resource(const char *what);

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
/* Probes and the troubleshooter (cmd_probe.c, cmd_doctor.c). */
int cmd_probe(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#endif
