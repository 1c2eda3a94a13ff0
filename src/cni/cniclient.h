/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_CNICLIENT_H
#define PODNET_CNICLIENT_H

/*
 * The runtime side of CNI (libcni's job): find a plugin in CNI_PATH and
 * execute it; load a network configuration list from a conf dir; run its
 * plugin chain for ADD/DEL/CHECK/GC/STATUS exactly as libcni's
 * AddNetworkList & co. do; keep libcni's results cache
 * (<cache_dir>/results/<network>-<containerID>-<ifName>, kind cniCacheV1)
 * so that other CNI runtimes and tools read our entries and we read theirs.
 *
 * The first two functions are also used by podnet-bridge to delegate to a
 * non-podnet IPAM plugin, as the spec's "delegated plugin" protocol says.
 */

#include <stdbool.h>
#include <stddef.h>

#include "cni.h"

#define CNICLIENT_CONF_DIR "/etc/cni/net.d"
#define CNICLIENT_CACHE_DIR "/var/lib/cni"
#define CNICLIENT_CNI_PATH "/opt/cni/bin"

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

/* ------------------------------------------------------------------ */
/* network configuration lists                                        */

struct cni_plugin_conf {
	json_t *raw;         /* the plugin's object as written; owned */
	const char *type;    /* borrowed from raw */
	const char *name;    /* borrowed from raw; NULL if absent */
	char **caps;         /* capabilities set to true, in file order */
	size_t n_caps;
};

/* libcni's NetworkConfigList. */
struct cni_netlist {
	char *source;        /* file it came from (or the caller's label) */
	char *name;
	enum cni_version version; /* cniVersion, or the best of cniVersions */
	bool disable_check;
	bool disable_gc;
	struct cni_plugin_conf *plugins;
	size_t n_plugins;
	/* The list's bytes: the file for a .conflist, the wrapped list for a
	 * .conf (as libcni's ConfListFromConf makes it).  Stored base64 as
	 * the cache's "config". */
	char *bytes;
	size_t len;
};

/*
 * Parse a .conflist document.  @source names it in messages ("<source>:
 * <key>: <problem>").  Validates cniVersion (or cniVersions, the highest
 * spoken wins, as libcni picks), name (^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$),
 * disableCheck/disableGC (bool or "true"/"false", as libcni reads them),
 * plugins (non-empty array of objects, each with a plugin "type", optional
 * "capabilities" of booleans).
 */
int cniclient_parse_conflist(const char *buf, size_t len, const char *source,
			     struct cni_netlist **out, struct pn_err *err) PN_MUST_CHECK;
/* Parse a single-plugin .conf document and wrap it into a list of one, as
 * libcni's ConfListFromConf does. */
int cniclient_parse_conf(const char *buf, size_t len, const char *source,
			 struct cni_netlist **out, struct pn_err *err) PN_MUST_CHECK;

/*
 * Load from @dir (NULL: /etc/cni/net.d) the files *.conflist, *.conf and
 * *.json in lexical order (the CRI runtimes' order over libcni's
 * ConfFiles); the first valid one (with name @name if not NULL) wins.
 * Invalid files are skipped, as ocicni/CRI-O do; if none is valid the
 * first file's error is returned.  No file at all: -ENOENT "no net
 * configurations found in DIR" (libcni's words).
 */
int cniclient_load_conflist(const char *dir, const char *name, struct cni_netlist **out,
			    struct pn_err *err) PN_MUST_CHECK;
void cni_netlist_free(struct cni_netlist *l);

/* ------------------------------------------------------------------ */
/* running the chain                                                  */

/* libcni's CNIConfig: where plugins and the cache live. */
struct cniclient {
	const char *cni_path;  /* NULL: $CNI_PATH, else /opt/cni/bin */
	const char *cache_dir; /* NULL: /var/lib/cni */
};

struct cniclient_kv {
	const char *key;
	const char *value;
};

/* libcni's RuntimeConf.  Everything borrowed. */
struct cniclient_rt {
	const char *container_id;
	const char *netns;             /* may be NULL/"" for DEL */
	const char *ifname;
	const struct cniclient_kv *args; /* CNI_ARGS pairs, in order */
	size_t n_args;
	/* capability args ({"portMappings": [...], "ips": [...], "mac": ..,
	 * "bandwidth": {...}}); a key reaches a plugin's runtimeConfig only
	 * if the plugin declares that capability true.  NULL: none. */
	json_t *capability_args;
};

#define CNICLIENT_K8S_NARGS 5
/* Fill @kv with the CRI runtimes' CNI_ARGS (IgnoreUnknown=1;
 * K8S_POD_NAMESPACE;K8S_POD_NAME;K8S_POD_INFRA_CONTAINER_ID;K8S_POD_UID)
 * and point @rt at them.  Strings are borrowed. */
void cniclient_rt_k8s_args(struct cniclient_rt *rt, struct cniclient_kv kv[CNICLIENT_K8S_NARGS],
			   const char *pod_namespace, const char *pod_name,
			   const char *infra_container_id, const char *pod_uid);

/*
 * The stdin of plugin @idx of @list (libcni's buildOneConfig): the plugin's
 * object with "name" and "cniVersion" of the list, "prevResult" = @prev
 * encoded at the list's version (if not NULL), and "runtimeConfig" holding
 * the capability args the plugin declares (replacing any written one, only
 * when there is at least one).  Keys sorted, compact, as Go marshals a map.
 */
int cniclient_build_conf(const struct cni_netlist *list, size_t idx,
			 const struct cni_result *prev, const struct cniclient_rt *rt,
			 char **out, size_t *len, struct pn_err *err) PN_MUST_CHECK;

/*
 * ADD through the chain in order, each plugin getting the previous one's
 * result as prevResult.  On success the last result is cached and returned
 * (*result, at the list's version).  On failure part-way, DEL is run for
 * the failed plugin and those before it, in reverse order, before the
 * error is returned: a failed ADD leaves nothing behind.
 */
int cniclient_add(const struct cniclient *cc, const struct cni_netlist *list,
		  const struct cniclient_rt *rt, struct cni_result **result,
		  struct pn_err *err) PN_MUST_CHECK;
/* DEL in reverse order with the cached result as prevResult (0.4.0+),
 * then remove the cache file.  No cache: DEL still runs, without
 * prevResult (DEL must be idempotent). */
int cniclient_del(const struct cniclient *cc, const struct cni_netlist *list,
		  const struct cniclient_rt *rt, struct pn_err *err) PN_MUST_CHECK;
/* CHECK in order with the cached result; 0 if disableCheck; error for
 * versions before 0.4.0 or without a cached result. */
int cniclient_check(const struct cniclient *cc, const struct cni_netlist *list,
		    const struct cniclient_rt *rt, struct pn_err *err) PN_MUST_CHECK;
/*
 * libcni's GCNetworkList: nothing if disableGC; DEL (as cniclient_del, with
 * the cached args and netns) every cached attachment of this network that
 * is not in @valid; then, for 1.1.0+, GC each plugin with
 * cni.dev/valid-attachments.  Errors are collected; the first is returned.
 */
int cniclient_gc(const struct cniclient *cc, const struct cni_netlist *list,
		 const struct cni_attachment *valid, size_t n_valid,
		 struct pn_err *err) PN_MUST_CHECK;
/* STATUS each plugin (1.1.0+ only, else 0); the first error is returned. */
int cniclient_status(const struct cniclient *cc, const struct cni_netlist *list,
		     struct pn_err *err) PN_MUST_CHECK;
/*
 * libcni's ValidateNetworkList: every plugin is found in CNI_PATH and its
 * VERSION lists the list's cniVersion.  Not run on every ADD (libcni's
 * AddNetworkList does not either); `podnet init`/`doctor` call it.
 */
int cniclient_validate(const struct cniclient *cc, const struct cni_netlist *list,
		       struct pn_err *err) PN_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* the results cache                                                  */

/* One cache file (libcni's cachedInfo / NetworkAttachment). */
struct cniclient_cached {
	char *path;
	char *network;
	char *container_id;
	char *ifname;
	char *netns;          /* NULL when not recorded (libcni before 1.2) */
	char **arg_keys;      /* cniArgs, in order */
	char **arg_values;
	size_t n_args;
	json_t *capability_args; /* NULL if none */
	json_t *result_raw;   /* NULL if none */
	struct cni_result *result; /* result_raw parsed; NULL if none/unreadable */
	char *config;         /* the list's bytes, decoded; NULL if none */
	size_t config_len;
};

/* Read one entry; -ENOENT if absent (err filled). @cache_dir NULL: default. */
int cniclient_get_cached(const char *cache_dir, const char *network, const char *container_id,
			 const char *ifname, struct cniclient_cached **out,
			 struct pn_err *err) PN_MUST_CHECK;
/* Every cniCacheV1 entry in lexical file order (libcni's
 * GetCachedAttachments), filtered by @container_id if not NULL; unreadable
 * files and other kinds are skipped.  A missing dir is an empty list. */
int cniclient_list_cache(const char *cache_dir, const char *container_id,
			 struct cniclient_cached **out, size_t *n,
			 struct pn_err *err) PN_MUST_CHECK;
/* Value of cniArgs key @key, or NULL. */
const char *cniclient_cached_arg(const struct cniclient_cached *c, const char *key);
void cniclient_cached_free(struct cniclient_cached *c);
void cniclient_cached_free_all(struct cniclient_cached *v, size_t n);

#endif
