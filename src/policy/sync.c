/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Store → world → nftables model → kernel (sync.h).
 */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "nft.h"
#include "nftgen.h"
#include "nftmodel.h"
#include "nftx.h"
#include "svcgen.h"
#include "world.h"

#define STATE_FILE "nftables.json"
#define LOCK_FILE "nftables.lock"

static int lock_open(const char *root, struct pn_err *err)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/" LOCK_FILE, root);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return pn_error(err, PN_CNI_IO, errno, "cannot open %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;

			close(fd);
			return pn_error(err, PN_CNI_IO, e, "cannot lock %s", path);
		}
	}
	return fd;
}

/* The file read in one go and parsed from memory: jansson's file loader
 * reads it a character at a time (getc), a third of a sync's time with
 * a thousand policies. */
static json_t *load_whole(const char *path)
{
	json_t *j = NULL;
	char *buf = NULL;
	struct stat sb;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 && (buf = malloc((size_t)sb.st_size)) &&
	    read(fd, buf, (size_t)sb.st_size) == sb.st_size)
		j = json_loadb(buf, (size_t)sb.st_size, 0, NULL);
	free(buf);
	close(fd);
	return j;
}

/* The model and table handle of the last apply; *t NULL when none or
 * unreadable (then the next apply is a full one). */
static void state_read(const char *root, struct nftm_table **t, uint64_t *handle)
{
	char path[4096];
	json_t *j;

	*t = NULL;
	*handle = 0;
	snprintf(path, sizeof(path), "%s/" STATE_FILE, root);
	j = load_whole(path);
	if (!j)
		return;
	if (json_is_integer(json_object_get(j, "handle")) &&
	    nftm_from_json(json_object_get(j, "model"), t, NULL) == 0)
		*handle = (uint64_t)json_integer_value(json_object_get(j, "handle"));
	json_decref(j);
}

/* Replaced atomically: a crash leaves the old state or the new, and either
 * makes the next sync right (a stale one fails its diff, or its handle
 * check, and the table is replaced whole). */
static int state_write(const char *root, const struct nftm_table *t, uint64_t handle,
		       struct pn_err *err)
{
	char path[4096];
	json_t *j = json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "model", nftm_to_json(t, false));
	int ret;

	if (!j)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/" STATE_FILE, root);
	ret = pn_json_file_replace(path, j, JSON_COMPACT, 0600, PN_E_STATE, err);
	json_decref(j);
	return ret;
}

static void state_remove(const char *root)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/" STATE_FILE, root);
	unlink(path);
}

static void report_counts(struct pol_sync_report *rep, const struct nftm_table *t)
{
	rep->chains = t->n_chains;
	rep->sets = t->n_sets;
	rep->elems = nftm_count_elems(t);
	rep->rules = nftm_count_rules(t);
}

static int apply_full(const char *root, const struct nftm_table *t, struct pol_sync_report *rep,
		      struct pn_err *err)
{
	char *script = nftm_script_full(t);
	uint64_t handle = 0;
	int ret;

	if (!script)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	uint64_t t0 = pn_now_ns();

	ret = nftx_run(script, "replace table inet " POL_NFT_TABLE, err);
	rep->script_bytes = strlen(script);
	free(script);
	if (ret < 0)
		return ret;
	pn_debug("sync: table replaced in %.1f ms", (double)(pn_now_ns() - t0) / 1e6);
	rep->changed = rep->full = true;
	ret = nft_table_handle(NFPROTO_INET, POL_NFT_TABLE, &handle, err);
	if (ret < 0)
		return ret;
	ret = state_write(root, t, handle, err);
	pn_debug("sync: state written at %.1f ms", (double)(pn_now_ns() - t0) / 1e6);
	return ret;
}

/* The whole table: NetworkPolicy (nftgen.h) and Services (svcgen.h). */
static int build_model(struct store *st, const char *root, const struct pol_world *w,
		       struct nftm_table **out, struct pn_err *err)
{
	struct svc_loaded svcs = { 0 };
	struct nftm_table *t = NULL;
	int ret;

	*out = NULL;
	ret = nftm_table_new(POL_NFT_FAMILY, POL_NFT_TABLE, &t, err);
	if (ret == 0)
		ret = pol_nft_build(w, t, err);
	if (ret == 0)
		ret = svc_input_load(st, root, &svcs, err);
	if (ret == 0)
		ret = svc_nft_build(&svcs.in, t, err);
	if (ret == 0)
		ret = nftm_finish(t, err);
	svc_loaded_free(&svcs);
	if (ret < 0) {
		nftm_table_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

int pol_sync(struct store *st, const char *root, struct pol_sync_report *rep, struct pn_err *err)
{
	struct pol_sync_report scratch;
	struct pol_world *w = NULL;
	struct nftm_table *want = NULL, *had = NULL;
	uint64_t t0 = pn_now_ns(), had_handle = 0, kernel_handle = 0;
	int lock = -1, ret, kret;

	if (!rep)
		rep = &scratch;
	memset(rep, 0, sizeof(*rep));
	lock = lock_open(root, err);
	if (lock < 0)
		return lock;
	ret = pol_world_load(st, &w, err);
	if (ret < 0)
		goto out;
	pn_debug("sync: world loaded in %.1f ms (%zu pods, %zu policies)",
		 (double)(pn_now_ns() - t0) / 1e6, w->n_pods, w->n_pols);
	ret = build_model(st, root, w, &want, err);
	if (ret < 0)
		goto out;
	report_counts(rep, want);
	state_read(root, &had, &had_handle);
	pn_debug("sync: model of %zu chains, %zu sets, %zu elements at %.1f ms", want->n_chains,
		 want->n_sets, nftm_count_elems(want), (double)(pn_now_ns() - t0) / 1e6);
	kret = nft_table_handle(NFPROTO_INET, POL_NFT_TABLE, &kernel_handle, err);
	if (kret < 0 && kret != -ENOENT) {
		ret = kret;
		goto out;
	}

	if (want->n_chains == 0 && want->n_sets == 0) {
		/* Nothing to enforce: no table, no cost per packet. */
		if (kret == 0) {
			char *script = nftm_script_delete(POL_NFT_FAMILY, POL_NFT_TABLE);

			ret = script ? nftx_run(script, "delete table inet " POL_NFT_TABLE, err)
				     : pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			free(script);
			if (ret < 0)
				goto out;
			rep->changed = rep->deleted = true;
		}
		state_remove(root);
		ret = 0;
		goto out;
	}
	if (had && kret == 0 && kernel_handle == had_handle) {
		bool full_needed = false;
		char *script = nftm_script_diff(had, want, &full_needed);

		if (script && !*script) {
			free(script);
			ret = 0;
			goto out;
		}
		if (script) {
			struct pn_err derr = { 0 };

			ret = nftx_run(script, "update table inet " POL_NFT_TABLE, &derr);
			rep->script_bytes = strlen(script);
			free(script);
			if (ret == 0) {
				pn_err_free(&derr);
				rep->changed = true;
				ret = state_write(root, want, had_handle, err);
				goto out;
			}
			/* Someone changed our table behind our back, or the diff
			 * is wrong: replacing it whole is right either way. */
			pn_warn("nftables: incremental update refused (%s%s%s); replacing the table",
				pn_err_msg(&derr), *pn_err_details_text(&derr) ? ": " : "",
				pn_err_details_text(&derr));
			pn_err_free(&derr);
		} else if (!full_needed) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}
	ret = apply_full(root, want, rep, err);
out:
	rep->ms = (double)(pn_now_ns() - t0) / 1e6;
	pn_debug("sync: done in %.1f ms (%s, %zu bytes sent)", rep->ms,
		 !rep->changed ? "no change" : rep->deleted ? "table deleted" : rep->full ? "full" : "diff",
		 rep->script_bytes);
	nftm_table_free(want);
	nftm_table_free(had);
	pol_world_free(w);
	if (lock >= 0)
		close(lock);
	return ret;
}

static bool models_equal(const struct nftm_table *a, const struct nftm_table *b)
{
	bool full = false;
	char *d = nftm_script_diff(a, b, &full);
	bool same = d && !*d;

	free(d);
	return same;
}

int pol_sync_status(struct store *st, const char *root, enum pol_enforcement *out,
		    struct pn_err *err)
{
	struct pol_world *w = NULL;
	struct nftm_table *want = NULL, *had = NULL;
	uint64_t had_handle = 0, kernel_handle = 0;
	bool empty;
	int ret, kret;

	ret = pol_world_load(st, &w, err);
	if (ret == 0)
		ret = build_model(st, root, w, &want, err);
	if (ret < 0)
		goto out;
	kret = nft_table_handle(NFPROTO_INET, POL_NFT_TABLE, &kernel_handle, err);
	if (kret < 0 && kret != -ENOENT) {
		ret = kret;
		goto out;
	}
	state_read(root, &had, &had_handle);
	empty = want->n_chains == 0 && want->n_sets == 0;
	if (empty)
		*out = kret == 0 ? POL_LEFTOVER : POL_NOTHING;
	else if (kret == -ENOENT)
		*out = POL_TABLE_MISSING;
	else if (!had || had_handle != kernel_handle)
		*out = POL_TABLE_REPLACED;
	else if (!models_equal(had, want))
		*out = POL_STALE;
	else
		*out = POL_ENFORCED;
out:
	nftm_table_free(want);
	nftm_table_free(had);
	pol_world_free(w);
	return ret;
}

const char *pol_enforcement_str(enum pol_enforcement e)
{
	switch (e) {
	case POL_ENFORCED:
		return "the kernel holds the rules the node's policies give";
	case POL_NOTHING:
		return "no pod is isolated: no rules";
	case POL_TABLE_MISSING:
		return "pods are isolated, but table inet " POL_NFT_TABLE " is missing: nothing is enforced";
	case POL_TABLE_REPLACED:
		return "table inet " POL_NFT_TABLE " is not the one podnet applied";
	case POL_STALE:
		return "the rules in table inet " POL_NFT_TABLE " are older than the node's pods and policies";
	case POL_LEFTOVER:
		return "no pod is isolated, yet table inet " POL_NFT_TABLE " is still there";
	}
	return "?";
}
