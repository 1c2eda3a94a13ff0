/* SPDX-License-Identifier: Apache-2.0 */
#include "cniclient.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "file.h"

extern char **environ;

int cniclient_find_plugin(const char *cni_path, const char *type, char **out,
			  struct pn_err *err)
{
	const char *p = cni_path, *colon;
	char path[4096];
	struct stat st;

	/* A type is a file name, never a path: "../../bin/sh" must not run. */
	if (!type || !*type || strchr(type, '/') || !strcmp(type, ".") || !strcmp(type, ".."))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "invalid plugin type \"%s\"",
				type ? type : "");
	while (p && *p) {
		size_t n;

		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		if (n > 0 && n + strlen(type) + 2 < sizeof(path)) {
			memcpy(path, p, n);
			path[n] = '/';
			strcpy(path + n + 1, type);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0) {
				*out = strdup(path);
				return *out ? 0 : pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			}
		}
		p = colon ? colon + 1 : NULL;
	}
	return pn_error(err, PN_CNI_INVALID_CONFIG, ENOENT, "failed to find plugin \"%s\" in path [%s]",
			type, cni_path ? cni_path : "");
}

/*
 * The environment for a plugin: ours, with every variable named in @over
 * ("KEY=value" strings) replaced, as libcni's Args.AsEnv() and dedupEnv()
 * build it, for execve(2) in the child (the caller's environment is
 * never changed: another thread may read it).  The array is malloc'ed,
 * its strings borrowed.
 */
static char **plugin_env(const char *const *over)
{
	size_t n_env = 0, n_over = 0, k = 0;
	char **env;

	while (environ && environ[n_env])
		n_env++;
	while (over[n_over])
		n_over++;
	env = calloc(n_env + n_over + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n_env; i++) {
		size_t klen = strcspn(environ[i], "=");
		bool replaced = false;

		for (size_t o = 0; o < n_over && !replaced; o++)
			replaced = strncmp(over[o], environ[i], klen) == 0 && over[o][klen] == '=';
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t o = 0; o < n_over; o++)
		env[k++] = (char *)over[o];
	env[k] = NULL;
	return env;
}

/* Run the plugin executable @exe (of type @type, for messages) with the
 * environment overrides @over; see cniclient_exec() for the outcome. */
static int run_plugin(const char *exe, const char *type, const char *const *over,
		      const char *conf, size_t len, json_t **stdout_json, struct pn_err *err)
{
	struct pn_proc_result r = { 0 };
	char **envp = NULL, how[32];
	json_t *j = NULL;
	json_error_t jerr;
	int ret;

	*stdout_json = NULL;
	envp = plugin_env(over);
	if (!envp) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "cannot run plugin %s: out of memory", type);
		goto out;
	}
	/* stderr is kept for the error's details only, hence the bound. */
	ret = pn_run(&(struct pn_spawn){ .path = exe, .argv = (char *const[]){ (char *)exe, NULL },
					 .envp = envp, .in = PN_STDIO_PIPE, .in_data = conf,
					 .in_len = len, .out = PN_STDIO_PIPE, .err = PN_STDIO_PIPE,
					 .err_max = 1023, .code = PN_E_DELEGATE },
		     &r, err);
	if (ret < 0) {
		pn_err_prefix(err, "cannot run plugin %s", type);
		goto out;
	}
	if (r.out[strspn(r.out, " \t\r\n")])
		j = json_loadb(r.out, r.out_len, 0, &jerr);
	if (!pn_proc_ok(&r)) {
		json_t *code = j ? json_object_get(j, "code") : NULL;

		if (json_is_integer(code)) {
			const char *msg = json_string_value(json_object_get(j, "msg"));
			const char *det = json_string_value(json_object_get(j, "details"));

			ret = pn_error(err, (int)json_integer_value(code), 0, "%s: %s", type,
				       msg ? msg : "(no message)");
			if (det && *det)
				pn_err_details(err, "%s", det);
		} else {
			ret = pn_error(err, PN_E_DELEGATE, 0, "plugin %s failed (%s)", type,
				       pn_wait_status_str(r.status, how, sizeof(how)));
			if (r.err[0])
				pn_err_details(err, "%s", r.err);
		}
		goto out;
	}
	if (r.out[strspn(r.out, " \t\r\n")] && !j) {
		ret = pn_error(err, PN_CNI_DECODE, 0, "plugin %s printed invalid JSON: %s (line %d)",
			       type, jerr.text, jerr.line);
		goto out;
	}
	*stdout_json = j;
	j = NULL;
	ret = 0;
out:
	json_decref(j);
	pn_proc_result_free(&r);
	free(envp);
	return ret;
}

int cniclient_exec(const char *cni_path, const char *type, const char *command,
		   const char *conf, size_t len, json_t **stdout_json, struct pn_err *err)
{
	char *exe = NULL, *cmd = NULL;
	int ret;

	*stdout_json = NULL;
	ret = cniclient_find_plugin(cni_path, type, &exe, err);
	if (ret < 0)
		goto out;
	if (asprintf(&cmd, "CNI_COMMAND=%s", command) < 0) {
		cmd = NULL;
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "cannot run plugin %s: out of memory", type);
		goto out;
	}
	ret = run_plugin(exe, type, (const char *const[]){ cmd, NULL }, conf, len, stdout_json, err);
out:
	free(cmd);
	free(exe);
	return ret;
}

/* ------------------------------------------------------------------ */
/* small helpers                                                       */


/* libcni's ValidateContainerID / ValidateNetworkName: ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ */
#define NAME_PATTERN "^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$"



static int read_path(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = pn_read_all(fd, buf, len);
	close(fd);
	return ret;
}


/* Go's encoding/json writes []byte as standard base64 with padding. */
static char *base64_encode(const unsigned char *in, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int base64_decode(const char *in, char **out, size_t *out_len)
{
	size_t len = strlen(in), o = 0;
	unsigned acc = 0;
	int bits = 0;
	char *buf;

	if (len % 4)
		return -EINVAL;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (in[i] == '=') {
			/* Padding only at the end, at most two. */
			if (i + 2 < len || (i + 1 < len && in[i + 1] != '='))
				goto bad;
			break;
		}
		if ((v = b64val(in[i])) < 0)
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* network configuration lists                                        */

static void plugin_conf_clear(struct cni_plugin_conf *p)
{
	for (size_t i = 0; i < p->n_caps; i++)
		free(p->caps[i]);
	free(p->caps);
	json_decref(p->raw);
}

void cni_netlist_free(struct cni_netlist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_plugins; i++)
		plugin_conf_clear(&l->plugins[i]);
	free(l->plugins);
	free(l->source);
	free(l->name);
	free(l->bytes);
	free(l);
}

/* "1.0.0" -> 10000; -1 if not three dot-separated numbers (semver core). */
static long version_rank(const char *s)
{
	long part[3];
	char *end;

	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		part[i] = strtol(s, &end, 10);
		if (errno || part[i] > 9999 || *end != (i < 2 ? '.' : '\0'))
			return -1;
		s = end + (i < 2);
	}
	return part[0] * 100000000L + part[1] * 10000L + part[2];
}

/*
 * libcni's readBool for disableCheck/disableGC/loadOnlyInlinedPlugins:
 * a JSON boolean or the strings "true"/"false" in any case.
 */
static int read_bool(json_t *root, const char *src, const char *key, bool *out,
		     struct pn_err *err)
{
	json_t *v = json_object_get(root, key);
	const char *s;

	*out = false;
	if (!v)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (!json_is_string(v))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"%s: %s: expected a boolean, got %s", src, key, cni_json_type(v));
	s = json_string_value(v);
	if (!strcasecmp(s, "true") || !strcasecmp(s, "false")) {
		*out = !strcasecmp(s, "true");
		return 0;
	}
	return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: %s: invalid value \"%s\"", src, key, s);
}

/* cniVersion, or with cniVersions the highest entry not newer than the
 * spec we implement (libcni's NetworkConfFromBytes), which must then be
 * one podnet speaks. */
static int read_version(json_t *root, const char *src, enum cni_version *out,
			struct pn_err *err)
{
	static const char *const current = "1.1.0";
	json_t *v = json_object_get(root, "cniVersion"), *vs = json_object_get(root, "cniVersions");
	const char *best = NULL;
	long best_rank = -1, cur_rank = version_rank(current);

	if (v && !json_is_string(v))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"%s: cniVersion: expected a string, got %s", src, cni_json_type(v));
	if (vs) {
		json_t *e;
		size_t i;

		if (!json_is_array(vs))
			return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
					"%s: cniVersions: expected an array, got %s", src,
					cni_json_type(vs));
		json_array_foreach(vs, i, e) {
			long r;

			if (!json_is_string(e))
				return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
						"%s: cniVersions[%zu]: expected a string, got %s",
						src, i, cni_json_type(e));
			r = version_rank(json_string_value(e));
			if (r < 0)
				return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
						"%s: cniVersions[%zu]: invalid version \"%s\"", src,
						i, json_string_value(e));
			if (r <= cur_rank && r > best_rank) {
				best_rank = r;
				best = json_string_value(e);
			}
		}
		if (v) {
			long r = version_rank(json_string_value(v));

			if (r < 0)
				return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
						"%s: cniVersion: invalid version \"%s\"", src,
						json_string_value(v));
			if (r <= cur_rank && r > best_rank) {
				best_rank = r;
				best = json_string_value(v);
			}
		}
	} else if (v) {
		best = json_string_value(v);
	}
	if (!best || !*best)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: cniVersion: missing", src);
	*out = cni_version_parse(best);
	if (*out == CNI_V_UNKNOWN)
		return pn_error(err, PN_CNI_INCOMPATIBLE_VERSION, 0,
				"%s: cniVersion: unsupported version \"%s\" "
				"(supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)",
				src, best);
	return 0;
}

static int parse_plugin(json_t *o, const char *src, size_t i, struct cni_plugin_conf *p,
			struct pn_err *err)
{
	json_t *t, *caps, *v;
	const char *s, *key;

	if (!json_is_object(o))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"%s: plugins[%zu]: expected an object, got %s", src, i, cni_json_type(o));
	t = json_object_get(o, "type");
	if (!t)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: plugins[%zu].type: missing",
				src, i);
	if (!json_is_string(t))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"%s: plugins[%zu].type: expected a string, got %s", src, i,
				cni_json_type(t));
	s = json_string_value(t);
	/* A type is a file name in CNI_PATH, never a path. */
	if (!*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"%s: plugins[%zu].type: invalid plugin type \"%s\"", src, i, s);
	v = json_object_get(o, "name");
	if (v && !json_is_string(v) && !json_is_null(v))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"%s: plugins[%zu].name: expected a string, got %s", src, i,
				cni_json_type(v));
	caps = json_object_get(o, "capabilities");
	if (caps && !json_is_object(caps))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"%s: plugins[%zu].capabilities: expected an object, got %s", src, i,
				cni_json_type(caps));
	p->raw = json_incref(o);
	p->type = s;
	p->name = json_string_value(v);
	if (!caps)
		return 0;
	json_object_foreach(caps, key, v) {
		char **nc;

		if (!json_is_boolean(v))
			return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
					"%s: plugins[%zu].capabilities.%s: expected a boolean, got %s",
					src, i, key, cni_json_type(v));
		if (!json_is_true(v))
			continue;
		nc = realloc(p->caps, (p->n_caps + 1) * sizeof(*nc));
		if (!nc)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", src);
		p->caps = nc;
		if (!(p->caps[p->n_caps] = strdup(key)))
			return pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", src);
		p->n_caps++;
	}
	return 0;
}

static int parse_list_root(json_t *root, const char *buf, size_t len, const char *src,
			   struct cni_netlist **out, struct pn_err *err)
{
	struct cni_netlist *l = NULL;
	json_t *v, *e;
	bool inlined_only;
	size_t i;
	int ret;

	if (!json_is_object(root)) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: expected a JSON object, got %s",
			       src, cni_json_type(root));
		goto out;
	}
	l = calloc(1, sizeof(*l));
	if (!l || !(l->source = strdup(src)) || !(l->bytes = malloc(len + 1))) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", src);
		goto out;
	}
	memcpy(l->bytes, buf, len);
	l->bytes[len] = '\0';
	l->len = len;

	v = json_object_get(root, "name");
	if (!v) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: name: missing", src);
		goto out;
	}
	if (!json_is_string(v)) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: name: expected a string, got %s",
			       src, cni_json_type(v));
		goto out;
	}
	/* libcni checks the name only when running a plugin; a config that
	 * can never run is better refused when it is loaded. */
	if (!cni_valid_name(json_string_value(v))) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0,
			       "%s: name: invalid network name \"%s\" (must match %s)", src,
			       json_string_value(v), NAME_PATTERN);
		goto out;
	}
	if (!(l->name = strdup(json_string_value(v)))) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", src);
		goto out;
	}
	if ((ret = read_version(root, src, &l->version, err)) < 0 ||
	    (ret = read_bool(root, src, "disableCheck", &l->disable_check, err)) < 0 ||
	    (ret = read_bool(root, src, "disableGC", &l->disable_gc, err)) < 0 ||
	    (ret = read_bool(root, src, "loadOnlyInlinedPlugins", &inlined_only, err)) < 0)
		goto out;

	/* libcni 1.2 may add plugins from <dir>/<name>/ (.conf files) when the list has
	 * none inline; podnet keeps a network in one file, so "plugins" is
	 * required. */
	v = json_object_get(root, "plugins");
	if (!v) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: plugins: missing", src);
		goto out;
	}
	if (!json_is_array(v)) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0,
			       "%s: plugins: expected an array, got %s", src, cni_json_type(v));
		goto out;
	}
	if (json_array_size(v) == 0) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: plugins: no plugins in list", src);
		goto out;
	}
	l->plugins = calloc(json_array_size(v), sizeof(*l->plugins));
	if (!l->plugins) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", src);
		goto out;
	}
	json_array_foreach(v, i, e) {
		l->n_plugins = i + 1;
		if ((ret = parse_plugin(e, src, i, &l->plugins[i], err)) < 0)
			goto out;
	}
	*out = l;
	l = NULL;
	ret = 0;
out:
	cni_netlist_free(l);
	return ret;
}

static int load_json(const char *buf, size_t len, const char *src, json_t **out,
		     struct pn_err *err)
{
	json_error_t jerr;

	/* Duplicate keys: the last wins, as in Go's encoding/json. */
	*out = json_loadb(buf, len, 0, &jerr);
	if (!*out)
		return pn_error(err, PN_CNI_DECODE, 0, "%s: invalid JSON: %s (line %d column %d)",
				src, jerr.text, jerr.line, jerr.column);
	return 0;
}

int cniclient_parse_conflist(const char *buf, size_t len, const char *source,
			     struct cni_netlist **out, struct pn_err *err)
{
	const char *src = source ? source : "config";
	json_t *root = NULL;
	int ret;

	*out = NULL;
	ret = load_json(buf, len, src, &root, err);
	if (ret < 0)
		goto out;
	ret = parse_list_root(root, buf, len, src, out, err);
out:
	json_decref(root);
	return ret;
}

int cniclient_parse_conf(const char *buf, size_t len, const char *source,
			 struct cni_netlist **out, struct pn_err *err)
{
	const char *src = source ? source : "config";
	json_t *root = NULL, *list = NULL, *t;
	char *bytes = NULL;
	int ret;

	*out = NULL;
	ret = load_json(buf, len, src, &root, err);
	if (ret < 0)
		goto out;
	if (!json_is_object(root)) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: expected a JSON object, got %s",
			       src, cni_json_type(root));
		goto out;
	}
	t = json_object_get(root, "type");
	if (!t) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0, "%s: type: missing%s", src,
			       json_object_get(root, "plugins")
				       ? " (a list with \"plugins\" belongs in a .conflist file)"
				       : "");
		goto out;
	}
	/*
	 * libcni's ConfListFromConf: {"cniVersion", "name", "plugins": [conf]}
	 * marshalled from a Go map, so keys sorted; these bytes are what the
	 * cache records as the config.
	 */
	list = json_object();
	if (!list || json_object_set_new(list, "plugins", json_pack("[O]", root)) < 0 ||
	    (json_object_get(root, "name") &&
	     json_object_set(list, "name", json_object_get(root, "name")) < 0) ||
	    (json_object_get(root, "cniVersion") &&
	     json_object_set(list, "cniVersion", json_object_get(root, "cniVersion")) < 0) ||
	    !(bytes = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS))) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", src);
		goto out;
	}
	ret = parse_list_root(list, bytes, strlen(bytes), src, out, err);
	/* The list's keys are the conf's, one level down: name the conf's. */
	if (ret < 0 && err && err->msg && !strncmp(err->msg, src, strlen(src))) {
		char *p = strstr(err->msg, ": plugins[0].");

		if (p)
			memmove(p + 2, p + 13, strlen(p + 13) + 1);
	}
out:
	free(bytes);
	json_decref(list);
	json_decref(root);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_ext(const char *name, const char *ext)
{
	const char *dot = strrchr(name, '.');

	/* filepath.Ext: from the last dot; a name that is only an extension
	 * (".conf") still has it. */
	return dot && strcmp(dot, ext) == 0;
}

int cniclient_load_conflist(const char *dir, const char *name, struct cni_netlist **out,
			    struct pn_err *err)
{
	struct pn_err first = { 0 };
	char **names = NULL, *buf = NULL, path[4096];
	size_t n = 0, len;
	bool have_first = false;
	DIR *d = NULL;
	struct dirent *de;
	int ret;

	*out = NULL;
	if (!dir)
		dir = CNICLIENT_CONF_DIR;
	d = opendir(dir);
	if (!d && errno != ENOENT) {
		ret = pn_error(err, PN_CNI_IO, errno, "cannot read CNI config dir %s", dir);
		goto out;
	}
	while (d && (de = readdir(d))) {
		char **nn;

		if (!has_ext(de->d_name, ".conflist") && !has_ext(de->d_name, ".conf") &&
		    !has_ext(de->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			if (nn)
				names = nn;
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
		names = nn;
		n++;
	}
	/* Go's sort.Strings: bytewise, not the locale's collation. */
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct cni_netlist *l = NULL;
		struct pn_err e = { 0 };

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ret = read_path(path, &buf, &len);
		if (ret < 0)
			pn_error(&e, PN_CNI_IO, -ret, "%s: cannot read", path);
		else if (has_ext(names[i], ".conflist"))
			ret = cniclient_parse_conflist(buf, len, path, &l, &e);
		else
			ret = cniclient_parse_conf(buf, len, path, &l, &e);
		free(buf);
		buf = NULL;
		if (ret < 0) {
			if (!have_first)
				pn_err_move(&first, &e);
			pn_err_free(&e);
			have_first = true;
			continue;
		}
		if (name && strcmp(l->name, name) != 0) {
			cni_netlist_free(l);
			continue;
		}
		*out = l;
		ret = 0;
		goto out;
	}
	if (name) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, ENOENT,
			       "no net configuration with name \"%s\" in %s", name, dir);
		pn_err_details_clear(err);
		if (have_first)
			pn_err_details(err, "skipped %s", pn_err_msg(&first));
	} else if (have_first) {
		ret = first.errnum ? -first.errnum : -EINVAL;
		pn_err_move(err, &first);
	} else {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, ENOENT,
			       "no net configurations found in %s", dir);
		pn_err_details_clear(err);
	}
out:
	pn_err_free(&first);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(buf);
	if (d)
		closedir(d);
	return ret;
}

/* ------------------------------------------------------------------ */
/* running the chain                                                  */

void cniclient_rt_k8s_args(struct cniclient_rt *rt, struct cniclient_kv kv[CNICLIENT_K8S_NARGS],
			   const char *pod_namespace, const char *pod_name,
			   const char *infra_container_id, const char *pod_uid)
{
	/* IgnoreUnknown first: plugins that do not know the K8S_ keys (most
	 * of the reference ones) must not refuse them. */
	kv[0] = (struct cniclient_kv){ "IgnoreUnknown", "1" };
	kv[1] = (struct cniclient_kv){ "K8S_POD_NAMESPACE", pod_namespace };
	kv[2] = (struct cniclient_kv){ "K8S_POD_NAME", pod_name };
	kv[3] = (struct cniclient_kv){ "K8S_POD_INFRA_CONTAINER_ID", infra_container_id };
	kv[4] = (struct cniclient_kv){ "K8S_POD_UID", pod_uid };
	rt->args = kv;
	rt->n_args = CNICLIENT_K8S_NARGS;
}

static const char *cni_path_of(const struct cniclient *cc)
{
	const char *p = cc ? cc->cni_path : NULL;

	if (!p || !*p)
		p = getenv("CNI_PATH");
	return p && *p ? p : CNICLIENT_CNI_PATH;
}

static const char *cache_dir_of(const char *dir)
{
	return dir && *dir ? dir : CNICLIENT_CACHE_DIR;
}

/* libcni's pluginDescription: type="x" name="y". */
static void describe(const struct cni_plugin_conf *p, char *buf, size_t size)
{
	if (p->name && *p->name)
		snprintf(buf, size, "type=\"%s\" name=\"%s\"", p->type, p->name);
	else
		snprintf(buf, size, "type=\"%s\"", p->type);
}

static int oom(struct pn_err *err)
{
	return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
}

int cniclient_build_conf(const struct cni_netlist *list, size_t idx,
			 const struct cni_result *prev, const struct cniclient_rt *rt,
			 char **out, size_t *len, struct pn_err *err)
{
	const struct cni_plugin_conf *p;
	json_t *o = NULL, *rc = NULL;
	int ret;

	*out = NULL;
	if (idx >= list->n_plugins) {
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, ERANGE, "%s: no plugin %zu", list->source,
			       idx);
		goto out;
	}
	p = &list->plugins[idx];
	o = json_deep_copy(p->raw);
	/* Every plugin of a list speaks the list's name and version (libcni
	 * overwrites whatever the plugin's object says). */
	if (!o || json_object_set_new(o, "name", json_string(list->name)) < 0 ||
	    json_object_set_new(o, "cniVersion", json_string(cni_version_str(list->version))) < 0)
		goto nomem;
	if (prev) {
		/* The spec wants prevResult at the config's version; a result
		 * of another version (a plugin that answered older, a cache
		 * written before the config changed) is converted. */
		json_t *pr = cni_result_to_json(prev, list->version);

		if (!pr || json_object_set_new(o, "prevResult", pr) < 0)
			goto nomem;
	}
	/* libcni's injectRuntimeConfig: only declared capabilities, and
	 * runtimeConfig is replaced only when one of them has data. */
	if (rt && json_is_object(rt->capability_args)) {
		rc = json_object();
		if (!rc)
			goto nomem;
		for (size_t i = 0; i < p->n_caps; i++) {
			json_t *v = json_object_get(rt->capability_args, p->caps[i]);

			if (v && json_object_set(rc, p->caps[i], v) < 0)
				goto nomem;
		}
		if (json_object_size(rc) > 0 && json_object_set(o, "runtimeConfig", rc) < 0)
			goto nomem;
	}
	/* Go marshals a map with its keys sorted; so do we, so the bytes a
	 * plugin sees do not depend on who ran it. */
	*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!*out)
		goto nomem;
	*len = strlen(*out);
	ret = 0;
	goto out;
nomem:
	ret = oom(err);
out:
	json_decref(rc);
	json_decref(o);
	return ret;
}

/* "K=V;K=V" (libcni's stringify of RuntimeConf.Args). */
static char *args_string(const struct cniclient_kv *kv, size_t n)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s=%s", i ? ";" : "", kv[i].key, kv[i].value ? kv[i].value : "");
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

struct env6 {
	char *v[7];
};

static void env6_free(struct env6 *e)
{
	for (size_t i = 0; i < 6; i++)
		free(e->v[i]);
}

/* The CNI_* variables of one call (libcni's Args.AsEnv()).  rt NULL: the
 * empty RuntimeConf libcni uses for GC and STATUS. */
static int env6_build(struct env6 *e, const char *cmd, const struct cniclient_rt *rt,
		      const char *path)
{
	char *args = rt ? args_string(rt->args, rt->n_args) : strdup("");
	bool ok;

	memset(e, 0, sizeof(*e));
	if (!args)
		return -ENOMEM;
	ok = (e->v[0] = pn_strdup_printf("CNI_COMMAND=%s", cmd)) &&
	     (e->v[1] = pn_strdup_printf("CNI_CONTAINERID=%s",
					 rt && rt->container_id ? rt->container_id : "")) &&
	     (e->v[2] = pn_strdup_printf("CNI_NETNS=%s", rt && rt->netns ? rt->netns : "")) &&
	     (e->v[3] = pn_strdup_printf("CNI_ARGS=%s", args)) &&
	     (e->v[4] = pn_strdup_printf("CNI_IFNAME=%s", rt && rt->ifname ? rt->ifname : "")) &&
	     (e->v[5] = pn_strdup_printf("CNI_PATH=%s", path));
	free(args);
	if (!ok) {
		env6_free(e);
		memset(e, 0, sizeof(*e));
		return -ENOMEM;
	}
	return 0;
}

/* Run one plugin of @list for @cmd with stdin @conf; the error message is
 * prefixed as libcni's: plugin type="x" failed (add): ... */
static int invoke(const struct cniclient *cc, const struct cni_plugin_conf *p, const char *cmd,
		  const char *verb, const struct cniclient_rt *rt, const char *conf, size_t len,
		  json_t **out, struct pn_err *err)
{
	const char *path = cni_path_of(cc);
	struct env6 env = { 0 };
	char *exe = NULL, desc[256];
	json_t *j = NULL;
	int ret;

	if (out)
		*out = NULL;
	ret = cniclient_find_plugin(path, p->type, &exe, err);
	if (ret < 0)
		goto fail;
	if (env6_build(&env, cmd, rt, path) < 0) {
		ret = oom(err);
		goto fail;
	}
	ret = run_plugin(exe, p->type, (const char *const *)env.v, conf, len, &j, err);
	if (ret < 0)
		goto fail;
	if (out) {
		*out = j;
		j = NULL;
	}
	goto out;
fail:
	describe(p, desc, sizeof(desc));
	pn_err_prefix(err, "plugin %s failed (%s)", desc, verb);
out:
	json_decref(j);
	env6_free(&env);
	free(exe);
	return ret;
}

static int check_rt(const struct cniclient_rt *rt, struct pn_err *err)
{
	/* The three make the cache file's name: nothing may walk out of it. */
	if (!rt || !rt->container_id || !*rt->container_id)
		return pn_error(err, PN_CNI_UNKNOWN_CONTAINER, 0, "missing container ID");
	if (!cni_valid_name(rt->container_id))
		return pn_error(err, PN_CNI_INVALID_ENV, 0,
				"invalid container ID \"%s\" (must match %s)", rt->container_id,
				NAME_PATTERN);
	if (cni_ifname_problem(rt->ifname))
		return pn_error(err, PN_CNI_INVALID_ENV, 0,
				"invalid interface name \"%s\" (1-15 bytes, no '/', ':' or "
				"whitespace, not . or ..)",
				rt->ifname ? rt->ifname : "");
	return 0;
}

static int cache_path(const char *cache_dir, const char *net, const char *id, const char *ifname,
		      char *buf, size_t size, struct pn_err *err)
{
	if ((size_t)snprintf(buf, size, "%s/results/%s-%s-%s", cache_dir_of(cache_dir), net, id,
			     ifname) >= size)
		return pn_error(err, PN_CNI_IO, ENAMETOOLONG, "cache file path too long");
	return 0;
}

/* A plugin's stdout as a result: its own cniVersion, else the config's
 * (libcni's fixupResultVersion). */
static int plugin_result(json_t *j, const struct cni_netlist *list,
			 const struct cni_plugin_conf *p, struct cni_result **out,
			 struct pn_err *err)
{
	char desc[256];
	int ret;

	if (!j) {
		describe(p, desc, sizeof(desc));
		return pn_error(err, PN_CNI_DECODE, 0, "plugin %s failed (add): no result printed",
				desc);
	}
	ret = cni_result_parse(j, json_is_string(json_object_get(j, "cniVersion"))
					  ? CNI_V_UNKNOWN : list->version,
			       out, err);
	if (ret < 0) {
		describe(p, desc, sizeof(desc));
		pn_err_prefix(err, "plugin %s failed (add): bad result", desc);
	}
	return ret;
}

static int put_json(FILE *f, json_t *v)
{
	/* Go's map marshalling sorts keys at every level. */
	return v ? json_dumpf(v, f, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : -1;
}

static int put_str(FILE *f, const char *key, const char *s)
{
	json_t *v = json_string(s ? s : "");
	int ret;

	fprintf(f, ",\"%s\":", key);
	ret = put_json(f, v);
	json_decref(v);
	return ret;
}

/*
 * libcni's cachedInfo, field for field and in its struct order: kind,
 * containerId, config (base64, Go's []byte), ifName, networkName, netns,
 * cniArgs, capabilityArgs, result; the last three omitted when empty.
 */
static char *cache_text(const struct cni_netlist *list, const struct cniclient_rt *rt,
			const struct cni_result *result)
{
	char *s = NULL, *b64 = base64_encode((const unsigned char *)list->bytes, list->len);
	size_t len = 0;
	json_t *rj = result ? cni_result_to_json(result, list->version) : NULL;
	FILE *f = NULL;
	int bad = !b64 || (result && !rj);

	if (bad || !(f = open_memstream(&s, &len)))
		goto out;
	fputs("{\"kind\":\"cniCacheV1\"", f);
	bad |= put_str(f, "containerId", rt->container_id);
	bad |= put_str(f, "config", b64);
	bad |= put_str(f, "ifName", rt->ifname);
	bad |= put_str(f, "networkName", list->name);
	if (rt->netns && *rt->netns)
		bad |= put_str(f, "netns", rt->netns);
	if (rt->n_args) {
		fputs(",\"cniArgs\":[", f);
		for (size_t i = 0; i < rt->n_args; i++) {
			json_t *kv = json_pack("[ss]", rt->args[i].key,
					       rt->args[i].value ? rt->args[i].value : "");

			if (i)
				fputc(',', f);
			bad |= put_json(f, kv);
			json_decref(kv);
		}
		fputc(']', f);
	}
	if (json_object_size(rt->capability_args) > 0) {
		fputs(",\"capabilityArgs\":", f);
		bad |= put_json(f, rt->capability_args);
	}
	if (rj) {
		fputs(",\"result\":", f);
		bad |= put_json(f, rj);
	}
	fputc('}', f);
out:
	if (f && fclose(f) != 0)
		bad = 1;
	json_decref(rj);
	free(b64);
	if (bad) {
		free(s);
		return NULL;
	}
	return s;
}

static int cache_write(const struct cniclient *cc, const struct cni_netlist *list,
		       const struct cniclient_rt *rt, const struct cni_result *result,
		       struct pn_err *err)
{
	char path[4096], dir[4096];
	char *text = NULL;
	int ret;

	snprintf(dir, sizeof(dir), "%s/results", cache_dir_of(cc ? cc->cache_dir : NULL));
	ret = cache_path(cc ? cc->cache_dir : NULL, list->name, rt->container_id, rt->ifname, path,
			 sizeof(path), err);
	if (ret < 0)
		goto out;
	if ((ret = pn_mkdir_p(dir, 0700)) < 0) {
		ret = pn_error(err, PN_CNI_IO, -ret, "cannot create cache dir %s", dir);
		goto out;
	}
	text = cache_text(list, rt, result);
	if (!text) {
		ret = oom(err);
		goto out;
	}
	/* The temp file has a dot name: libcni's readers (and ours) skip it
	 * until the rename makes the whole file appear at once. */
	ret = pn_file_replace(path, text, strlen(text), 0600, PN_CNI_IO, err);
out:
	free(text);
	return ret;
}

static int cache_remove(const struct cniclient *cc, const char *net, const char *id,
			const char *ifname)
{
	char path[4096];

	if (cache_path(cc ? cc->cache_dir : NULL, net, id, ifname, path, sizeof(path), NULL) < 0)
		return -ENAMETOOLONG;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Keep the first error in @err, name the others in its details; @e is
 * consumed either way. */
static void keep_first(int *ret, struct pn_err *err, int r, struct pn_err *e)
{
	if (*ret == 0) {
		*ret = r;
		pn_err_move(err, e);
	} else {
		pn_err_details(err, "also: %s", pn_err_msg(e));
	}
	pn_err_free(e);
}

/*
 * DEL plugins @last down to 0 with @prev.  A DEL stops at the first
 * failure, as libcni's DelNetworkList (the cache stays for a retry); a
 * rollback (@keep_going) tries every plugin and reports the first error.
 */
static int del_range(const struct cniclient *cc, const struct cni_netlist *list, size_t last,
		     const struct cni_result *prev, const struct cniclient_rt *rt, bool keep_going,
		     struct pn_err *err)
{
	int first = 0;

	for (size_t k = last + 1; k-- > 0;) {
		struct pn_err e = { 0 };
		char *conf = NULL;
		size_t len;
		int ret;

		ret = cniclient_build_conf(list, k, prev, rt, &conf, &len, &e);
		if (ret == 0)
			ret = invoke(cc, &list->plugins[k], "DEL", "delete", rt, conf, len, NULL, &e);
		free(conf);
		if (ret < 0) {
			keep_first(&first, err, ret, &e);
			if (!keep_going)
				break;
		}
	}
	return first;
}

int cniclient_add(const struct cniclient *cc, const struct cni_netlist *list,
		  const struct cniclient_rt *rt, struct cni_result **result, struct pn_err *err)
{
	struct cni_result *cur = NULL, *next = NULL;
	char *conf = NULL;
	size_t len, i = 0;
	json_t *j = NULL;
	int ret;

	*result = NULL;
	ret = check_rt(rt, err);
	if (ret < 0)
		return ret;
	/*
	 * A cached result means the attachment exists: a second ADD would
	 * fail in the plugins and its rollback would tear down the live one.
	 * libcni does not look (CRI runtimes never ADD twice); we refuse.
	 */
	{
		char path[4096];

		ret = cache_path(cc ? cc->cache_dir : NULL, list->name, rt->container_id,
				 rt->ifname, path, sizeof(path), err);
		if (ret < 0)
			return ret;
		if (access(path, F_OK) == 0)
			return pn_error(err, PN_E_EXISTS, EEXIST,
					"network \"%s\" is already attached to container %s "
					"interface %s (cached result %s); DEL it first",
					list->name, rt->container_id, rt->ifname, path);
	}
	for (i = 0; i < list->n_plugins; i++) {
		ret = cniclient_build_conf(list, i, cur, rt, &conf, &len, err);
		if (ret < 0)
			goto rollback;
		ret = invoke(cc, &list->plugins[i], "ADD", "add", rt, conf, len, &j, err);
		free(conf);
		conf = NULL;
		if (ret < 0)
			goto rollback;
		ret = plugin_result(j, list, &list->plugins[i], &next, err);
		json_decref(j);
		j = NULL;
		if (ret < 0)
			goto rollback;
		cni_result_free(cur);
		cur = next;
		next = NULL;
	}
	ret = cache_write(cc, list, rt, cur, err);
	if (ret < 0) {
		pn_err_prefix(err, "failed to set network \"%s\" cached result", list->name);
		i = list->n_plugins;
		goto rollback;
	}
	*result = cur;
	return 0;

rollback:
	/*
	 * libcni's AddNetworkList returns here and leaves the DEL to its
	 * caller (containerd and CRI-O call DelNetworkList when setup fails).
	 * Doing it here means a failed ADD leaves no link, address or lease
	 * behind whoever calls us.  Only the plugins that succeeded are
	 * undone, with the last good result as prevResult (what a cached
	 * result would hold): the failed one cleans up after itself, and its
	 * failure may be a refusal to touch something that is not ours
	 * (podnet-bridge's "attachment exists").
	 */
	if (i > 0) {
		struct pn_err derr = { 0 };

		if (del_range(cc, list, i - 1, cur, rt, true, &derr) < 0)
			pn_err_details(err, "rollback: %s", pn_err_msg(&derr));
		pn_err_free(&derr);
	}
	free(conf);
	cni_result_free(cur);
	return ret;
}

/*
 * libcni's getCachedResult: *out NULL when there is no cache file; a file
 * of another kind is read as a bare result (the cache before cniCacheV1).
 */
static int cached_result(const struct cniclient *cc, const struct cni_netlist *list,
			 const struct cniclient_rt *rt, struct cni_result **out,
			 struct pn_err *err)
{
	char path[4096], *buf = NULL;
	json_t *root = NULL, *r;
	json_error_t jerr;
	size_t len;
	int ret;

	*out = NULL;
	ret = cache_path(cc ? cc->cache_dir : NULL, list->name, rt->container_id, rt->ifname, path,
			 sizeof(path), err);
	if (ret < 0)
		goto out;
	ret = read_path(path, &buf, &len);
	if (ret < 0) {
		/* libcni ignores read errors: the cached result may not exist. */
		ret = 0;
		goto out;
	}
	root = json_loadb(buf, len, 0, &jerr);
	if (!root) {
		ret = pn_error(err, PN_CNI_DECODE, 0, "%s: invalid JSON: %s", path, jerr.text);
		goto out;
	}
	r = root;
	if (json_is_string(json_object_get(root, "kind")) &&
	    !strcmp(json_string_value(json_object_get(root, "kind")), "cniCacheV1"))
		r = json_object_get(root, "result");
	if (!r) {
		ret = 0;
		goto out;
	}
	ret = cni_result_parse(r, CNI_V_UNKNOWN, out, err);
	if (ret < 0)
		pn_err_prefix(err, "%s", path);
out:
	json_decref(root);
	free(buf);
	return ret;
}

int cniclient_del(const struct cniclient *cc, const struct cni_netlist *list,
		  const struct cniclient_rt *rt, struct pn_err *err)
{
	struct cni_result *prev = NULL;
	int ret;

	ret = check_rt(rt, err);
	if (ret < 0)
		return ret;
	/* The cached result on DEL came with spec 0.4.0.  An unreadable
	 * cache is dropped and DEL goes on without it, as libcni does. */
	if (list->version >= CNI_V040 && cached_result(cc, list, rt, &prev, NULL) < 0) {
		cache_remove(cc, list->name, rt->container_id, rt->ifname);
		prev = NULL;
	}
	ret = del_range(cc, list, list->n_plugins - 1, prev, rt, false, err);
	cni_result_free(prev);
	if (ret < 0)
		return ret;
	/* The cache goes only when every plugin has let go, so a failed DEL
	 * can be retried with the same prevResult. */
	ret = cache_remove(cc, list->name, rt->container_id, rt->ifname);
	if (ret < 0)
		return pn_error(err, PN_CNI_IO, -ret, "cannot remove cached result of %s-%s-%s",
				list->name, rt->container_id, rt->ifname);
	return 0;
}

int cniclient_check(const struct cniclient *cc, const struct cni_netlist *list,
		    const struct cniclient_rt *rt, struct pn_err *err)
{
	struct cni_result *prev = NULL;
	char *conf = NULL;
	size_t len;
	int ret;

	if (list->version < CNI_V040)
		return pn_error(err, PN_CNI_INCOMPATIBLE_VERSION, 0,
				"configuration version \"%s\" does not support the CHECK command",
				cni_version_str(list->version));
	if (list->disable_check)
		return 0;
	ret = check_rt(rt, err);
	if (ret < 0)
		return ret;
	ret = cached_result(cc, list, rt, &prev, err);
	if (ret < 0) {
		pn_err_prefix(err, "failed to get network \"%s\" cached result", list->name);
		goto out;
	}
	/* libcni would run CHECK without prevResult, which every plugin
	 * refuses; say what is wrong instead. */
	if (!prev) {
		ret = pn_error(err, PN_CNI_UNKNOWN_CONTAINER, ENOENT,
			       "no cached result for network \"%s\" container %s interface %s",
			       list->name, rt->container_id, rt->ifname);
		goto out;
	}
	for (size_t i = 0; i < list->n_plugins; i++) {
		ret = cniclient_build_conf(list, i, prev, rt, &conf, &len, err);
		if (ret == 0)
			ret = invoke(cc, &list->plugins[i], "CHECK", "check", rt, conf, len, NULL, err);
		free(conf);
		conf = NULL;
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	cni_result_free(prev);
	return ret;
}

static bool attachment_valid(const struct cni_attachment *valid, size_t n, const char *id,
			     const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(valid[i].container_id, id) && !strcmp(valid[i].ifname, ifname))
			return true;
	return false;
}

/* The plugin's object with the list's name and version and @extra's keys:
 * what libcni's InjectConf makes for GC and STATUS. */
static char *inject(const struct cni_netlist *list, size_t i, json_t *extra)
{
	json_t *o = json_deep_copy(list->plugins[i].raw);
	char *s = NULL;

	if (o && json_object_set_new(o, "name", json_string(list->name)) == 0 &&
	    json_object_set_new(o, "cniVersion", json_string(cni_version_str(list->version))) == 0 &&
	    (!extra || json_object_update(o, extra) == 0))
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* @cmd (GC, STATUS: no runtime config, no result) on plugin @i, its
 * config injected with @extra. */
static int invoke_injected(const struct cniclient *cc, const struct cni_netlist *list, size_t i,
			   const char *cmd, const char *verb, json_t *extra, struct pn_err *err)
{
	char *conf = inject(list, i, extra);
	int ret;

	if (!conf)
		return oom(err);
	ret = invoke(cc, &list->plugins[i], cmd, verb, NULL, conf, strlen(conf), NULL, err);
	free(conf);
	return ret;
}

int cniclient_gc(const struct cniclient *cc, const struct cni_netlist *list,
		 const struct cni_attachment *valid, size_t n_valid, struct pn_err *err)
{
	struct cniclient_cached *ents = NULL;
	json_t *extra = NULL, *arr = NULL;
	size_t n = 0;
	int ret = 0, r;

	if (list->disable_gc)
		return 0;
	/* libcni ignores an unreadable cache dir here and still GCs. */
	if (cniclient_list_cache(cc ? cc->cache_dir : NULL, NULL, &ents, &n, NULL) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		struct cniclient_kv *kv = NULL;
		struct cniclient_rt rt;
		struct pn_err e = { 0 };

		if (strcmp(ents[i].network, list->name) != 0 ||
		    attachment_valid(valid, n_valid, ents[i].container_id, ents[i].ifname))
			continue;
		if (ents[i].n_args && !(kv = calloc(ents[i].n_args, sizeof(*kv)))) {
			keep_first(&ret, err, oom(&e), &e);
			continue;
		}
		for (size_t k = 0; k < ents[i].n_args; k++)
			kv[k] = (struct cniclient_kv){ ents[i].arg_keys[k], ents[i].arg_values[k] };
		rt = (struct cniclient_rt){
			.container_id = ents[i].container_id,
			.netns = ents[i].netns,
			.ifname = ents[i].ifname,
			.args = kv,
			.n_args = ents[i].n_args,
			.capability_args = ents[i].capability_args,
		};
		r = cniclient_del(cc, list, &rt, &e);
		free(kv);
		if (r < 0) {
			pn_err_prefix(&e, "failed to delete stale attachment %s %s",
				      ents[i].container_id, ents[i].ifname);
			keep_first(&ret, err, r, &e);
		}
	}
	cniclient_cached_free_all(ents, n);
	if (list->version < CNI_V110)
		goto out;

	arr = json_array();
	extra = json_object();
	if (!arr || !extra)
		goto nomem;
	for (size_t i = 0; i < n_valid; i++)
		if (json_array_append_new(arr, json_pack("{ssss}", "containerID",
							 valid[i].container_id, "ifname",
							 valid[i].ifname)) < 0)
			goto nomem;
	/* The spec's key, and the one the 1.1.0 text first used (libcni
	 * #1101 sends both). */
	if (json_object_set(extra, "cni.dev/valid-attachments", arr) < 0 ||
	    json_object_set(extra, "cni.dev/attachments", arr) < 0)
		goto nomem;
	for (size_t i = 0; i < list->n_plugins; i++) {
		struct pn_err e = { 0 };

		r = invoke_injected(cc, list, i, "GC", "gc", extra, &e);
		if (r < 0)
			keep_first(&ret, err, r, &e);
	}
	goto out;
nomem:
	if (ret == 0)
		ret = oom(err);
out:
	json_decref(arr);
	json_decref(extra);
	return ret;
}

int cniclient_status(const struct cniclient *cc, const struct cni_netlist *list,
		     struct pn_err *err)
{
	if (list->version < CNI_V110)
		return 0;
	for (size_t i = 0; i < list->n_plugins; i++) {
		int ret = invoke_injected(cc, list, i, "STATUS", "status", NULL, err);

		/* STATUS stops at the first plugin not ready: its code (50,
		 * 51) is the network's answer. */
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* libcni's validatePlugin: found in CNI_PATH, VERSION lists @version. */
static int validate_plugin(const struct cniclient *cc, const struct cni_plugin_conf *p,
			   const char *version, struct pn_err *err)
{
	/* The fake values libcni sets for plugins built on an older skel. */
	static const char *const env[] = { "CNI_COMMAND=VERSION", "CNI_CONTAINERID=",
					   "CNI_NETNS=dummy", "CNI_ARGS=", "CNI_IFNAME=dummy",
					   "CNI_PATH=dummy", NULL };
	static const char stdin_conf[] = "{\"cniVersion\":\"1.1.0\"}";
	const char *path = cni_path_of(cc);
	json_t *j = NULL, *sv, *e;
	char *exe = NULL;
	size_t i;
	int ret;

	ret = cniclient_find_plugin(path, p->type, &exe, err);
	if (ret < 0)
		goto out;
	ret = run_plugin(exe, p->type, env, stdin_conf, sizeof(stdin_conf) - 1, &j, err);
	if (ret < 0) {
		/* A plugin older than VERSION speaks only 0.1.0. */
		if (strstr(pn_err_msg(err), "unknown CNI_COMMAND: VERSION"))
			goto unsupported;
		goto out;
	}
	sv = json_object_get(j, "supportedVersions");
	if (!json_is_array(sv)) {
		ret = pn_error(err, PN_CNI_DECODE, 0,
			       "plugin %s: VERSION printed no supportedVersions", p->type);
		goto out;
	}
	json_array_foreach(sv, i, e) {
		if (json_is_string(e) && !strcmp(json_string_value(e), version)) {
			ret = 0;
			goto out;
		}
	}
unsupported:
	ret = pn_error(err, PN_CNI_INCOMPATIBLE_VERSION, 0,
		       "plugin %s does not support config version \"%s\"", p->type, version);
out:
	json_decref(j);
	free(exe);
	return ret;
}

int cniclient_validate(const struct cniclient *cc, const struct cni_netlist *list,
		       struct pn_err *err)
{
	int ret = 0;

	/* Every plugin is asked, so one run names every problem. */
	for (size_t i = 0; i < list->n_plugins; i++) {
		struct pn_err e = { 0 };
		int r = validate_plugin(cc, &list->plugins[i], cni_version_str(list->version), &e);

		if (r < 0)
			keep_first(&ret, err, r, &e);
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* the results cache                                                  */

static void cached_clear(struct cniclient_cached *c)
{
	free(c->path);
	free(c->network);
	free(c->container_id);
	free(c->ifname);
	free(c->netns);
	for (size_t i = 0; i < c->n_args; i++) {
		free(c->arg_keys[i]);
		free(c->arg_values[i]);
	}
	free(c->arg_keys);
	free(c->arg_values);
	json_decref(c->capability_args);
	json_decref(c->result_raw);
	cni_result_free(c->result);
	free(c->config);
	memset(c, 0, sizeof(*c));
}

void cniclient_cached_free(struct cniclient_cached *c)
{
	if (!c)
		return;
	cached_clear(c);
	free(c);
}

void cniclient_cached_free_all(struct cniclient_cached *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		cached_clear(&v[i]);
	free(v);
}

const char *cniclient_cached_arg(const struct cniclient_cached *c, const char *key)
{
	for (size_t i = 0; i < c->n_args; i++)
		if (!strcmp(c->arg_keys[i], key))
			return c->arg_values[i];
	return NULL;
}

static int dup_field(json_t *root, const char *key, char **out)
{
	const char *s = json_string_value(json_object_get(root, key));

	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* Parse a cniCacheV1 file into @c; -EINVAL for anything else. */
static int parse_cached(const char *path, const char *buf, size_t len,
			struct cniclient_cached *c, struct pn_err *err)
{
	json_t *root = NULL, *v, *e;
	json_error_t jerr;
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	root = json_loadb(buf, len, 0, &jerr);
	if (!root) {
		ret = pn_error(err, PN_CNI_DECODE, 0, "%s: invalid JSON: %s", path, jerr.text);
		goto out;
	}
	v = json_object_get(root, "kind");
	if (!json_is_string(v) || strcmp(json_string_value(v), "cniCacheV1") != 0) {
		ret = pn_error(err, PN_CNI_DECODE, 0, "%s: not a cniCacheV1 cache file", path);
		goto out;
	}
	if (!(c->path = strdup(path)) || dup_field(root, "networkName", &c->network) < 0 ||
	    dup_field(root, "containerId", &c->container_id) < 0 ||
	    dup_field(root, "ifName", &c->ifname) < 0 || dup_field(root, "netns", &c->netns) < 0)
		goto nomem;
	if (!c->network || !*c->network || !c->ifname || !*c->ifname || !c->container_id) {
		ret = pn_error(err, PN_CNI_DECODE, 0,
			       "%s: networkName, containerId or ifName missing", path);
		goto out;
	}
	v = json_object_get(root, "cniArgs");
	if (json_is_array(v) && json_array_size(v)) {
		c->arg_keys = calloc(json_array_size(v), sizeof(char *));
		c->arg_values = calloc(json_array_size(v), sizeof(char *));
		if (!c->arg_keys || !c->arg_values)
			goto nomem;
		json_array_foreach(v, i, e) {
			const char *k = json_string_value(json_array_get(e, 0));
			const char *val = json_string_value(json_array_get(e, 1));

			if (!k)
				continue;
			c->arg_keys[c->n_args] = strdup(k);
			c->arg_values[c->n_args] = strdup(val ? val : "");
			c->n_args++;
			if (!c->arg_keys[c->n_args - 1] || !c->arg_values[c->n_args - 1])
				goto nomem;
		}
	}
	v = json_object_get(root, "capabilityArgs");
	if (json_is_object(v))
		c->capability_args = json_incref(v);
	v = json_object_get(root, "result");
	if (json_is_object(v)) {
		c->result_raw = json_incref(v);
		/* A result we cannot read keeps the rest of the entry useful. */
		if (cni_result_parse(v, CNI_V_UNKNOWN, &c->result, NULL) < 0)
			c->result = NULL;
	}
	v = json_object_get(root, "config");
	if (json_is_string(v)) {
		ret = base64_decode(json_string_value(v), &c->config, &c->config_len);
		if (ret == -ENOMEM)
			goto nomem;
		if (ret < 0)
			c->config = NULL;
	}
	ret = 0;
	goto out;
nomem:
	ret = oom(err);
out:
	if (ret < 0)
		cached_clear(c);
	json_decref(root);
	return ret;
}

int cniclient_get_cached(const char *cache_dir, const char *network, const char *container_id,
			 const char *ifname, struct cniclient_cached **out, struct pn_err *err)
{
	struct cniclient_cached *c = NULL;
	char path[4096], *buf = NULL;
	size_t len;
	int ret;

	*out = NULL;
	if (!cni_valid_name(network) || !cni_valid_name(container_id) ||
	    cni_ifname_problem(ifname)) {
		ret = pn_error(err, PN_CNI_INVALID_ENV, 0,
			       "invalid cache key %s-%s-%s", network ? network : "",
			       container_id ? container_id : "", ifname ? ifname : "");
		goto out;
	}
	ret = cache_path(cache_dir, network, container_id, ifname, path, sizeof(path), err);
	if (ret < 0)
		goto out;
	ret = read_path(path, &buf, &len);
	if (ret < 0) {
		ret = pn_error(err, ret == -ENOENT ? PN_CNI_UNKNOWN_CONTAINER : PN_CNI_IO, -ret,
			       "no cached result %s", path);
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = oom(err);
		goto out;
	}
	ret = parse_cached(path, buf, len, c, err);
	if (ret < 0)
		goto out;
	*out = c;
	c = NULL;
out:
	free(c);
	free(buf);
	return ret;
}

int cniclient_list_cache(const char *cache_dir, const char *container_id,
			 struct cniclient_cached **out, size_t *n, struct pn_err *err)
{
	struct cniclient_cached *v = NULL;
	char dir[4096], path[4400], **names = NULL, *buf = NULL;
	size_t nn = 0, cnt = 0, len;
	struct dirent *de;
	DIR *d = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/results", cache_dir_of(cache_dir));
	d = opendir(dir);
	if (!d) {
		ret = errno == ENOENT ? 0 : pn_error(err, PN_CNI_IO, errno, "cannot read %s", dir);
		goto out;
	}
	while ((de = readdir(d))) {
		char **tmp;

		/* Dot names: ".", "..", and our temp files before rename. */
		if (de->d_name[0] == '.')
			continue;
		tmp = realloc(names, (nn + 1) * sizeof(*tmp));
		if (!tmp)
			goto nomem;
		names = tmp;
		if (!(names[nn] = strdup(de->d_name)))
			goto nomem;
		nn++;
	}
	if (nn)
		qsort(names, nn, sizeof(*names), name_cmp);
	if (nn && !(v = calloc(nn, sizeof(*v))))
		goto nomem;
	for (size_t i = 0; i < nn; i++) {
		if (container_id) {
			/* libcni's cheap filter on the name before reading. */
			char part[300];
			const char *pos;

			snprintf(part, sizeof(part), "-%s-", container_id);
			pos = strstr(names[i], part);
			if (!pos || pos == names[i] || pos[strlen(part)] == '\0')
				continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (read_path(path, &buf, &len) < 0)
			continue;
		ret = parse_cached(path, buf, len, &v[cnt], NULL);
		free(buf);
		buf = NULL;
		if (ret == -ENOMEM)
			goto nomem;
		if (ret < 0)
			continue;
		if (container_id && strcmp(v[cnt].container_id, container_id) != 0) {
			cached_clear(&v[cnt]);
			continue;
		}
		cnt++;
	}
	if (cnt == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	ret = 0;
	goto out;
nomem:
	ret = oom(err);
out:
	cniclient_cached_free_all(v, cnt);
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(buf);
	if (d)
		closedir(d);
	return ret;
}
