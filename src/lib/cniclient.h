/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_CNICLIENT_H
#define PODNET_CNICLIENT_H

/*
 * The runtime side of CNI (libcni's job): find a plugin in CNI_PATH and
 * execute it.  Used by podnet-bridge to delegate to a non-podnet IPAM
 * plugin, exactly as the spec's "delegated plugin" protocol describes.
 */

#include "cni.h"

/* Look @type up in the colon-separated @cni_path; -ENOENT (naming the
 * plugin and the path, PN_CNI_INVALID_CONFIG... left to the caller) if
 * not found.  *out is malloc'ed. */
int cniclient_find_plugin(const char *cni_path, const char *type, char **out,
			  struct pn_err *err) PN_MUST_CHECK;

/*
 * Execute plugin @type with the caller's environment, CNI_COMMAND replaced
 * by @command, @conf (len bytes) on stdin.  On exit 0, *stdout_json holds
 * its parsed stdout (NULL if empty).  On failure, err carries the plugin's
 * own error object (code, msg, details) when it printed one, else
 * PN_E_DELEGATE with its exit status and stderr.
 */
int cniclient_exec(const char *cni_path, const char *type, const char *command,
		   const char *conf, size_t len, json_t **stdout_json,
		   struct pn_err *err) PN_MUST_CHECK;

#endif
