/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet apply and podnet delete: kubectl's, over the pod runtime.  The
 * semantics (create or update, what may change, grace periods, stopping
 * several pods at once) are the runtime's (podrt.h), shared with podnetd;
 * this file reads the command line and the files, and prints.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "labelsel.h"
#include "manifest.h"
#include "output.h"
#include "podrt.h"
#include "store.h"
#include "svcrt.h"

void cmd_server_error(const struct pn_err *err)
{
	/* kube-apiserver's 422 ("The Pod "x" is invalid: ...", also for a
	 * Forbidden field change): kubectl prints the message as it is. */
	if (!strncmp(pn_err_msg(err), "The ", 4) && strstr(pn_err_msg(err), " is invalid: ")) {
		fprintf(stderr, "%s\n", pn_err_msg(err));
		return;
	}
	switch (err->code) {
	case PN_E_NOT_FOUND:
	case PN_E_ALREADY_EXISTS:
	case PN_E_CONFLICT:
	case PN_E_FORBIDDEN:
	case PN_E_BAD_REQUEST:
		fprintf(stderr, "Error from server (%s): %s\n", pn_code_reason(err->code),
			pn_err_msg(err));
		break;
	case PN_E_INVALID:
		/* "The Pod "x" is invalid: ...": kubectl prints it as is. */
		fprintf(stderr, "%s\n", pn_err_msg(err));
		break;
	default:
		cmd_error(err);
	}
}

/* ------------------------------------------------------------- -f FILE */

/* Go's os error text: "open x: permission denied". */
static void path_error(const char *op, const char *path, int e)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", strerror(e));
	msg[0] = (char)(msg[0] >= 'A' && msg[0] <= 'Z' ? msg[0] - 'A' + 'a' : msg[0]);
	if (e == ENOENT)
		cmd_errorf("the path \"%s\" does not exist", path);
	else if (e == EFBIG)
		/* pn_read_all()'s bound: /dev/zero must not fill the memory. */
		cmd_errorf("%s %s: larger than 64 MiB, the most a manifest may have", op, path);
	else
		cmd_errorf("%s %s: %s", op, path, msg);
}

struct sources {
	char **paths;   /* heap strings; "-" is stdin */
	size_t n;
};

static int sources_add(struct sources *s, const char *p)
{
	char **nv = realloc(s->paths, (s->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	s->paths = nv;
	s->paths[s->n] = strdup(p);
	if (!s->paths[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static void sources_free(struct sources *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
}

static bool manifest_ext(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcmp(dot, ".json") || !strcmp(dot, ".yaml") || !strcmp(dot, ".yml"));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * kubectl's FileVisitor over a directory (filepath.Walk): entries in
 * lexical order, files ending .json, .yaml or .yml; subdirectories only
 * with -R.
 */
static int walk_dir(const char *dir, bool recursive, struct sources *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	if (!d) {
		path_error("open", dir, errno);
		return -1;
	}
	while ((de = readdir(d))) {
		char **nv;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		nv = realloc(names, (n + 1) * sizeof(*nv));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			names = nv ? nv : names;
			ret = -1;
			break;
		}
		names = nv;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		char *p = NULL;
		struct stat st;

		if (asprintf(&p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]) < 0) {
			ret = -1;
			break;
		}
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (recursive)
				ret = walk_dir(p, recursive, out);
		} else if (manifest_ext(names[i])) {
			ret = sources_add(out, p) < 0 ? -1 : 0;
		}
		free(p);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* The -f arguments, directories expanded. */
static int expand_sources(const struct flag_strings *files, bool recursive, struct sources *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < files->n; i++) {
		const char *p = files->v[i];
		struct stat st;

		if (!strcmp(p, "-")) {
			if (sources_add(out, p) < 0)
				goto fail;
			continue;
		}
		if (!strncmp(p, "http://", 7) || !strncmp(p, "https://", 8)) {
			cmd_errorf("unable to read URL \"%s\": podnet reads local files only", p);
			goto fail;
		}
		if (stat(p, &st) < 0) {
			path_error("stat", p, errno);
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			size_t before = out->n;

			if (walk_dir(p, recursive, out) < 0)
				goto fail;
			if (out->n == before) {
				cmd_errorf("error reading [%s]: recognized file extensions are [.json .yaml .yml]", p);
				goto fail;
			}
		} else if (sources_add(out, p) < 0) {
			goto fail;
		}
	}
	return 0;
fail:
	sources_free(out);
	memset(out, 0, sizeof(*out));
	return -1;
}

static int read_source(const char *path, char **buf, size_t *len)
{
	int fd, ret;

	if (!strcmp(path, "-"))
		return pn_read_all(STDIN_FILENO, buf, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = pn_read_all(fd, buf, len);
	close(fd);
	return ret;
}

/* Every document of every source, parsed before anything is done: one bad
 * document means nothing happens at all. */
static int load_sources(const struct sources *s, struct pn_object **objs, size_t *nobjs)
{
	struct pn_object *all = NULL;
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct pn_object *o = NULL, *na;
		struct pn_err err = { 0 };
		size_t k = 0, len = 0;
		char *buf = NULL;
		/* kubectl names standard input "STDIN" in its messages. */
		const char *name = strcmp(s->paths[i], "-") ? s->paths[i] : "STDIN";
		int ret = read_source(s->paths[i], &buf, &len);

		if (ret < 0) {
			path_error("read", s->paths[i], -ret);
			goto fail;
		}
		ret = manifest_parse(buf, len, name, &o, &k, &err);
		free(buf);
		if (ret < 0) {
			/* Manifest errors are whole kubectl messages already. */
			fprintf(stderr, "%s\n", pn_err_msg(&err));
			pn_err_free(&err);
			goto fail;
		}
		na = realloc(all, (n + k + 1) * sizeof(*all));
		if (!na) {
			manifest_objects_free(o, k);
			goto fail;
		}
		all = na;
		memcpy(all + n, o, k * sizeof(*o));
		n += k;
		free(o);
	}
	*objs = all;
	*nobjs = n;
	return 0;
fail:
	manifest_objects_free(all, n);
	return -1;
}

/* apply/delete -n NS: the namespace of objects that name none; one that
 * names another is refused, as kubectl does. */
static int objects_namespace(struct pn_object *objs, size_t n, const char *ns, bool given)
{
	for (size_t i = 0; given && i < n; i++) {
		struct pn_meta *m;

		if (objs[i].kind == PN_KIND_POD)
			m = &objs[i].pod->meta;
		else if (objs[i].kind == PN_KIND_NETPOL)
			m = &objs[i].np->meta;
		else if (objs[i].kind == PN_KIND_SERVICE)
			m = &objs[i].svc->meta;
		else
			continue;
		if (!objs[i].namespace_given) {
			char *copy = strdup(ns);

			if (!copy)
				return -1;
			free(m->namespace_);
			m->namespace_ = copy;
		} else if (strcmp(m->namespace_, ns)) {
			cmd_errorf("the namespace from the provided object \"%s\" does not match the namespace \"%s\". You must pass '--namespace=%s' to perform this operation.",
				   m->namespace_, ns, m->namespace_);
			return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- apply */

/* `pod/x created`, or `pod/x` with -o name. */
static void applied(const char *type, const char *name, const char *what, bool name_only)
{
	if (name_only)
		printf("%s/%s\n", type, name);
	else
		printf("%s/%s %s\n", type, name, what);
	fflush(stdout);
}

static int apply_namespace(struct podrt *rt, const struct pn_namespace *ns, bool name_only)
{
	struct store_namespace *row = NULL;
	struct pn_err err = { 0 };
	enum podrt_update_result what;
	int rc = 0;

	if (store_namespace_get(rt->st, ns->meta.name, &row, NULL) == 0) {
		if (podrt_namespace_update(rt, ns, NULL, &what, &err) < 0) {
			cmd_server_error(&err);
			rc = 1;
		} else {
			applied("namespace", ns->meta.name,
				what == PODRT_UNCHANGED ? "unchanged" : "configured", name_only);
		}
	} else if (podrt_namespace_create(rt, ns, NULL, NULL, &err) < 0) {
		cmd_server_error(&err);
		rc = 1;
	} else {
		applied("namespace", ns->meta.name, "created", name_only);
	}
	store_namespace_free(row);
	pn_err_free(&err);
	return rc;
}

static int apply_pod(struct podrt *rt, struct pn_pod *pod, bool name_only)
{
	struct store_pod *sp = NULL;
	struct pn_err err = { 0 };
	enum podrt_update_result what;
	int rc = 0;

	if (store_pod_get_by_name(rt->st, pod->meta.namespace_, pod->meta.name, &sp, NULL) == 0) {
		store_pod_free(sp);
		sp = NULL;
		if (podrt_pod_update(rt, pod, NULL, &what, NULL, &err) < 0) {
			cmd_server_error(&err);
			rc = 1;
		} else {
			applied("pod", pod->meta.name, what == PODRT_UNCHANGED ? "unchanged" : "configured",
				name_only);
		}
		goto out;
	}
	{
		struct store_namespace *nsr = NULL;

		if (store_namespace_get(rt->st, pod->meta.namespace_, &nsr, &err) < 0) {
			cmd_server_error(&err);
			rc = 1;
			goto out;
		}
		store_namespace_free(nsr);
	}
	if (podrt_pod_create(rt, pod, &sp, &err) < 0) {
		/* A missing image is podnet's own check, not the API's. */
		if (err.code == PN_E_NOT_FOUND)
			cmd_error(&err);
		else
			cmd_server_error(&err);
		rc = 1;
		goto out;
	}
	applied("pod", sp->name, "created", name_only);
out:
	store_pod_free(sp);
	pn_err_free(&err);
	return rc;
}

int cmd_apply(int argc, char **argv)
{
	struct flag_strings files = { 0 };
	const char *ns = "default", *output = NULL;
	bool recursive = false, net_changed = false, svc_cfg_ok = false;
	struct svcrt_cfg svc_cfg;
	struct flag flags[] = {
		FLAG_DEF("filename", 'f', FLAG_STRINGS, &files),
		FLAG_DEF("recursive", 'R', FLAG_BOOL, &recursive),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct sources src = { 0 };
	struct pn_object *objs = NULL;
	struct podrt rt;
	size_t n = 0;
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) < 0)
		goto out;
	if (a.n) {
		struct pn_buf b = { 0 };

		for (size_t i = 0; i < a.n; i++)
			pn_buf_printf(&b, "%s%s", i ? " " : "", a.v[i]);
		cmd_usage_errorf("apply", "Unexpected args: [%s]", b.s ? b.s : "");
		free(b.s);
		goto out;
	}
	if (files.n == 0) {
		cmd_errorf("must specify one of -f and -k");
		goto out;
	}
	if (output && strcmp(output, "name")) {
		cmd_errorf("unable to match a printer suitable for the output format \"%s\", allowed formats are: name",
			   output);
		goto out;
	}
	if (expand_sources(&files, recursive, &src) < 0 || load_sources(&src, &objs, &n) < 0)
		goto out;
	if (n == 0) {
		cmd_errorf("no objects passed to apply");
		goto out;
	}
	if (objects_namespace(objs, n, ns, flag_changed(flags, "namespace")) < 0)
		goto out;
	if (cmd_runtime_open(&rt, NULL) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct pn_err err = { 0 };

		if (objs[i].kind == PN_KIND_SERVICE) {
			/* consecutive Services share one store transaction */
			if (!svc_cfg_ok) {
				if (svcrt_config(&svc_cfg, &err) < 0) {
					cmd_error(&err);
					pn_err_free(&err);
					rc = 1;
					break;
				}
				svc_cfg_ok = true;
			}
			if (!store_in_transaction(rt.st) && store_begin(rt.st, &err) < 0) {
				cmd_error(&err);
				pn_err_free(&err);
				rc = 1;
				break;
			}
			rc |= svc_apply_one(&rt, &svc_cfg, objs[i].svc);
			net_changed = true;
			continue;
		}
		if (store_in_transaction(rt.st) && store_commit(rt.st, &err) < 0) {
			cmd_error(&err);
			pn_err_free(&err);
			rc = 1;
			break;
		}
		if (objs[i].kind == PN_KIND_NAMESPACE)
			rc |= apply_namespace(&rt, objs[i].ns, output != NULL);
		else if (objs[i].kind == PN_KIND_NETPOL)
			rc |= cmd_netpol_apply(&rt, objs[i].np, &net_changed);
		else
			rc |= apply_pod(&rt, objs[i].pod, output != NULL);
	}
	if (store_in_transaction(rt.st)) {
		struct pn_err err = { 0 };

		if (store_commit(rt.st, &err) < 0) {
			cmd_error(&err);
			pn_err_free(&err);
			rc = 1;
		}
	}
	/* Policies, namespace labels, Services changed: one nftables
	 * transaction for all of them. */
	if (net_changed)
		rc |= cmd_netpol_sync(&rt);
	podrt_close(&rt);
out:
	manifest_objects_free(objs, n);
	sources_free(&src);
	flag_strings_free(&files);
	flag_args_free(&a);
	return rc;
}

/* --------------------------------------------------------------- delete */

struct delete_run {
	struct podrt rt;
	struct podrt_delete_opts opts;
	bool name_only, ignore_not_found;
	bool wait;               /* false: tell the pods to stop, do not wait */
	bool quiet;              /* a namespace's own pods: only the namespace is named */
	struct pn_buf errors;    /* NotFound lines, after the deletions */
	int rc;
};

/* A pod or namespace the command names (from an argument or a file). */
struct ref {
	const char *ns;          /* pods only */
	const char *name;
};

struct refs {
	struct ref *v;
	size_t n;
};

static int refs_add(struct refs *r, const char *ns, const char *name)
{
	struct ref *nv = realloc(r->v, (r->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	r->v = nv;
	r->v[r->n].ns = ns;
	r->v[r->n].name = name;
	r->n++;
	return 0;
}

static void deleted(struct delete_run *d, const char *type, const char *name)
{
	if (d->name_only)
		printf("%s/%s\n", type, name);
	else
		printf("%s \"%s\" %s\n", type, name,
		       d->opts.force && d->opts.grace == 0 ? "force deleted" : "deleted");
	/* Each line as it happens, also into a pipe. */
	fflush(stdout);
}

static void pod_deleted(void *ctx, const struct store_pod *sp, int ret, const struct pn_err *err)
{
	struct delete_run *d = ctx;

	if (ret < 0) {
		cmd_server_error(err);
		d->rc = 1;
		return;
	}
	if (!d->quiet)
		deleted(d, "pod", sp->name);
}

/*
 * The pods @refs names (each missing one reported as NotFound), then, with
 * @all, every pod of @all_ns (NULL: of every namespace) that @sel picks;
 * all of them stopped together: one grace period for all.  Returns how
 * many were found, or -1.
 */
static int delete_pods(struct delete_run *d, const struct refs *refs, bool all, const char *all_ns,
		       const struct labelsel *sel)
{
	struct store_pod *pods = NULL, *chosen = NULL;
	struct pn_err err = { 0 };
	size_t n = 0, nc = 0;
	int ret = 0;

	if (store_pod_list(d->rt.st, NULL, &pods, &n, &err) < 0) {
		cmd_server_error(&err);
		pn_err_free(&err);
		d->rc = 1;
		return -1;
	}
	chosen = calloc(n ? n : 1, sizeof(*chosen));
	if (!chosen) {
		store_pod_array_free(pods, n);
		d->rc = 1;
		return -1;
	}
	/* The row structs are copied into @chosen (shallow), so @pods' copy
	 * is zeroed and freed once. */
	for (size_t k = 0; k < refs->n; k++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++) {
			if (!pods[i].uid || strcmp(pods[i].name, refs->v[k].name) ||
			    strcmp(pods[i].namespace_, refs->v[k].ns))
				continue;
			found = true;
			chosen[nc++] = pods[i];
			memset(&pods[i], 0, sizeof(pods[i]));
		}
		/* Named twice is still one pod. */
		for (size_t i = 0; i < nc && !found; i++)
			found = !strcmp(chosen[i].name, refs->v[k].name) &&
				!strcmp(chosen[i].namespace_, refs->v[k].ns);
		if (!found && !d->ignore_not_found) {
			pn_buf_printf(&d->errors, "Error from server (NotFound): pods \"%s\" not found\n",
				      refs->v[k].name);
			d->rc = 1;
		}
	}
	for (size_t i = 0; all && i < n; i++) {
		json_t *spec, *labels;
		bool match = true;

		if (!pods[i].uid || (all_ns && strcmp(pods[i].namespace_, all_ns)))
			continue;
		if (sel) {
			spec = pods[i].spec_json ? json_loads(pods[i].spec_json, 0, NULL) : NULL;
			labels = json_object_get(json_object_get(spec, "metadata"), "labels");
			match = cmd_labels_match(sel, labels);
			json_decref(spec);
		}
		if (!match)
			continue;
		chosen[nc++] = pods[i];
		memset(&pods[i], 0, sizeof(pods[i]));
	}
	store_pod_array_free(pods, n);
	if (nc == 0) {
		free(chosen);
		return 0;
	}
	if (d->wait) {
		ret = podrt_pods_delete(&d->rt, chosen, nc, &d->opts, pod_deleted, d, &err);
	} else {
		/* --wait=false: Terminating, the shims told; what is left when
		 * they are gone is finished by podnet gc (or podnetd). */
		for (size_t i = 0; i < nc; i++) {
			bool gone = false;
			int r = podrt_pod_mark_deleting(&d->rt, &chosen[i], &d->opts, &gone, NULL, &err);

			pod_deleted(d, &chosen[i], r, &err);
			pn_err_free(&err);
			if (r < 0)
				ret = r;
		}
	}
	pn_err_free(&err);
	store_pod_array_free(chosen, nc);
	return ret < 0 ? -1 : (int)nc;
}

/*
 * Namespaces go as the namespace controller takes them: each is made
 * Terminating (its pods told to stop, each with its own grace period) and
 * reported at once, as kubectl reports the API's answer; then, unless
 * --wait=false, their pods are stopped together and the namespaces
 * removed.
 */
static void delete_namespaces(struct delete_run *d, const struct refs *names, struct refs *left)
{
	struct pn_err err = { 0 };

	for (size_t i = 0; i < names->n; i++) {
		const char *name = names->v[i].name;
		bool gone = false;

		if (podrt_namespace_delete(&d->rt, name, false, &gone, &err) < 0) {
			if (err.code != PN_E_NOT_FOUND) {
				cmd_server_error(&err);
				d->rc = 1;
			} else if (!d->ignore_not_found) {
				pn_buf_printf(&d->errors,
					      "Error from server (NotFound): namespaces \"%s\" not found\n",
					      name);
				d->rc = 1;
			}
			pn_err_free(&err);
			continue;
		}
		deleted(d, "namespace", name);
		if (!gone && d->wait && refs_add(left, NULL, name) < 0)
			d->rc = 1;
	}
}

/* The namespaces that still had pods: those pods stopped together, then
 * the namespaces removed. */
static void namespaces_finish(struct delete_run *d, const struct refs *left)
{
	struct pn_err err = { 0 };

	for (size_t i = 0; i < left->n; i++) {
		struct delete_run inner = { .rt = d->rt, .opts = { .grace = -1 }, .wait = true,
					    .quiet = true, .ignore_not_found = true };
		struct refs none = { 0 };
		bool gone = false;

		if (delete_pods(&inner, &none, true, left->v[i].name, NULL) < 0 || inner.rc ||
		    podrt_namespace_delete(&d->rt, left->v[i].name, false, &gone, &err) < 0 || !gone) {
			if (err.msg)
				cmd_server_error(&err);
			else
				cmd_errorf("namespace \"%s\" could not be emptied", left->v[i].name);
			d->rc = 1;
		}
		free(inner.errors.s);
		pn_err_free(&err);
	}
}

int cmd_delete(int argc, char **argv)
{
	struct flag_strings files = { 0 };
	const char *ns = "default", *selector = NULL, *output = NULL;
	bool recursive = false, all = false, all_ns = false, now = false, force = false, wait = true;
	bool ignore_nf = false;
	long long grace = -1;
	struct flag flags[] = {
		FLAG_DEF("filename", 'f', FLAG_STRINGS, &files),
		FLAG_DEF("recursive", 'R', FLAG_BOOL, &recursive),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_DEF("all-namespaces", 'A', FLAG_BOOL, &all_ns),
		FLAG_DEF("selector", 'l', FLAG_STRING, &selector),
		FLAG_DEF("all", 0, FLAG_BOOL, &all),
		FLAG_DEF("grace-period", 0, FLAG_INT, &grace),
		FLAG_DEF("now", 0, FLAG_BOOL, &now),
		FLAG_DEF("force", 0, FLAG_BOOL, &force),
		FLAG_DEF("wait", 0, FLAG_BOOL, &wait),
		FLAG_DEF("ignore-not-found", 0, FLAG_BOOL, &ignore_nf),
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_END,
	};
	struct delete_run d = { 0 };
	struct flag_args a = { 0 };
	struct cmd_targets tg = { 0 };
	struct sources src = { 0 };
	struct pn_object *objs = NULL;
	struct labelsel *sel = NULL;
	struct refs pods = { 0 }, nss = { 0 }, ns_left = { 0 }, nps = { 0 }, svcs = { 0 };
	size_t n = 0, named = 0;
	bool opened = false, pods_all = false, nps_all = false, net_changed = false;
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) < 0)
		goto out;
	if (files.n == 0 && a.n == 0) {
		cmd_errorf("You must provide one or more resources by argument or filename.\n"
			   "Example resource specifications include:\n"
			   "   '-f rsrc.yaml'\n"
			   "   '--filename=rsrc.json'\n"
			   "   '<resource> <name>'\n"
			   "   '<resource>'");
		goto out;
	}
	if (files.n && a.n) {
		cmd_errorf("when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well");
		goto out;
	}
	/* kubectl delete's Complete and Validate, in its order. */
	if (output && strcmp(output, "name")) {
		cmd_errorf("unexpected -o output mode: %s. We only support '-o name'", output);
		goto out;
	}
	if (all && selector) {
		cmd_errorf("cannot set --all and --selector at the same time");
		goto out;
	}
	if (now) {
		if (grace != -1) {
			cmd_errorf("--now and --grace-period cannot be specified together");
			goto out;
		}
		grace = 1;
	}
	/* --grace-period=0 alone became 1 to prevent accidents; --force
	 * bypasses that, and alone means 0. */
	if (grace == 0 && !force)
		grace = 1;
	if (force && grace < 0)
		grace = 0;
	if (force && grace > 0) {
		cmd_errorf("--force and --grace-period greater than 0 cannot be specified together");
		goto out;
	}
	if (a.n && cmd_targets_parse("delete", a.v, a.n, &tg) < 0)
		goto out;
	for (size_t i = 0; i < tg.n; i++)
		named += tg.v[i].name != NULL;
	if (named && (all || selector)) {
		cmd_errorf("name cannot be provided when a selector is specified");
		goto out;
	}
	if (named && all_ns) {
		/* kubectl's resource builder refuses it too. */
		cmd_errorf("a resource cannot be retrieved by name across all namespaces");
		goto out;
	}
	if (tg.n && !named && !all && !selector) {
		cmd_errorf("resource(s) were provided, but no name was specified");
		goto out;
	}
	if (cmd_selector_parse(tg.n ? tg.v[0].type : NULL, selector, &sel) < 0)
		goto out;
	if (files.n && (expand_sources(&files, recursive, &src) < 0 || load_sources(&src, &objs, &n) < 0 ||
			objects_namespace(objs, n, ns, flag_changed(flags, "namespace")) < 0))
		goto out;
	/* What is named: files' objects in order, then the arguments. */
	for (size_t i = 0; i < n; i++) {
		int r;

		if (objs[i].kind == PN_KIND_NAMESPACE)
			r = refs_add(&nss, NULL, objs[i].ns->meta.name);
		else if (objs[i].kind == PN_KIND_NETPOL)
			r = refs_add(&nps, objs[i].np->meta.namespace_, objs[i].np->meta.name);
		else if (objs[i].kind == PN_KIND_SERVICE)
			r = refs_add(&svcs, objs[i].svc->meta.namespace_, objs[i].svc->meta.name);
		else
			r = refs_add(&pods, objs[i].pod->meta.namespace_, objs[i].pod->meta.name);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < tg.n; i++) {
		enum cmd_rt t = tg.v[i].type->rt;
		int r = 0;

		if (!tg.v[i].name) {
			pods_all |= t == CMD_RT_POD;
			nps_all |= t == CMD_RT_NETPOL;
			if (t == CMD_RT_SERVICE || t == CMD_RT_ENDPOINTSLICE) {
				cmd_errorf("--all and -l are supported for pods and networkpolicies; name the %s",
					   tg.v[i].type->resource);
				goto out;
			}
		} else if (t == CMD_RT_POD) {
			r = refs_add(&pods, ns, tg.v[i].name);
		} else if (t == CMD_RT_NETPOL) {
			r = refs_add(&nps, ns, tg.v[i].name);
		} else if (t == CMD_RT_SERVICE) {
			r = refs_add(&svcs, ns, tg.v[i].name);
		} else if (t == CMD_RT_ENDPOINTSLICE) {
			cmd_errorf("endpointslices are the Services' own: delete the Service");
			goto out;
		} else {
			r = refs_add(&nss, NULL, tg.v[i].name);
		}
		if (r < 0)
			goto out;
	}
	if (nps_all && selector) {
		cmd_errorf("a label selector is not supported for networkpolicies; name them or use --all");
		goto out;
	}
	if (grace == 0 && force)
		fprintf(stderr, "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n");
	if (cmd_runtime_open(&d.rt, NULL) < 0)
		goto out;
	opened = true;
	d.opts.grace = grace;
	d.opts.force = force;
	d.name_only = output != NULL;
	d.wait = wait;
	/* With --all or a selector, nothing found is no error (kubectl). */
	d.ignore_not_found = ignore_nf || (!flag_changed(flags, "ignore-not-found") && (all || selector));

	/* In kubectl's order: every object told, each line as the API
	 * answers; pods are gone when their line comes, namespaces after. */
	for (size_t i = 0; i < nps.n; i++)
		d.rc |= cmd_netpol_delete(&d.rt, nps.v[i].ns, nps.v[i].name, &net_changed);
	if (nps_all)
		d.rc |= cmd_netpol_delete_all(&d.rt, ns, all_ns, &net_changed);
	for (size_t i = 0; i < svcs.n; i++) {
		d.rc |= svc_delete_one(&d.rt, svcs.v[i].ns, svcs.v[i].name);
		net_changed = true;
	}
	/* Deleted policies or Services: the rules follow, in one transaction. */
	if (net_changed)
		d.rc |= cmd_netpol_sync(&d.rt);
	delete_namespaces(&d, &nss, &ns_left);
	if (pods.n || pods_all) {
		int got = delete_pods(&d, &pods, pods_all, all_ns ? NULL : ns, sel);

		if (pods_all && got == 0 && nss.n == 0 && !d.errors.s)
			fprintf(stderr, "No resources found\n");
	}
	namespaces_finish(&d, &ns_left);
	if (d.errors.s)
		fputs(d.errors.s, stderr);
	rc = d.rc;
out:
	if (opened)
		podrt_close(&d.rt);
	free(d.errors.s);
	free(pods.v);
	free(nss.v);
	free(nps.v);
	free(svcs.v);
	free(ns_left.v);
	labelsel_free(sel);
	manifest_objects_free(objs, n);
	sources_free(&src);
	cmd_targets_free(&tg);
	flag_strings_free(&files);
	flag_args_free(&a);
	return rc;
}
