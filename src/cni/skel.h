/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SKEL_H
#define PODNET_SKEL_H

/*
 * The plugin side of the CNI protocol, shared by every podnet plugin main
 * (libcni's skel plays this part for Go plugins): environment, VERSION,
 * the config on stdin, parse, dispatch to the plugin's verb, and the
 * result or the spec's error object on stdout.  A plugin provides only
 * its verbs.
 */

#include <stdio.h>

#include "cni.h"

/* One invocation: the environment, the parsed config and its original
 * bytes (delegated IPAM plugins get the very same stdin). */
struct cni_call {
	const struct cni_env *env;
	const struct cni_conf *conf;
	const char *raw;
	size_t raw_len;
};

struct cni_plugin {
	const char *name;	/* "podnet-bridge": --version, messages */
	bool parse_ipam;	/* the config's ipam section is this plugin's own */
	void (*usage)(FILE *f);
	/* argv[1] that is not --help/--version (e.g. podnet-ipam leases);
	 * NULL: any argument is a usage error. Returns the exit status. */
	int (*subcommand)(int argc, char **argv);
	int (*add)(const struct cni_call *c, struct cni_result **out, struct pn_err *err);
	int (*del)(const struct cni_call *c, struct pn_err *err);
	int (*check)(const struct cni_call *c, struct pn_err *err);
	int (*gc)(const struct cni_call *c, struct pn_err *err);
	int (*status)(const struct cni_call *c, struct pn_err *err);
};

/* The whole of a plugin's main(); returns the process exit status. */
int cni_skel_main(const struct cni_plugin *p, int argc, char **argv);

#endif
