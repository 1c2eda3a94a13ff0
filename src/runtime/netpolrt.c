/* SPDX-License-Identifier: Apache-2.0 */
/* NetworkPolicies in the state store (netpolrt.h). */
#include "netpolrt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manifest.h"

json_t *netpolrt_object(const struct store_netpol *row)
{
	json_t *o = row->spec_json ? json_loads(row->spec_json, 0, NULL) : NULL;

	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* The object to store: the model's JSON and the metadata the API keeps. */
static json_t *stored(const struct pn_netpol *np, const struct podrt_write *w)
{
	json_t *o = netpol_to_json(np);

	if (o && w && json_is_object(w->meta))
		json_object_update(json_object_get(o, "metadata"), w->meta);
	return o;
}

static int apply_locked(struct store *st, struct pn_netpol *np, const struct podrt_write *w,
			enum netpolrt_outcome *outcome, json_t **out, struct pn_err *err)
{
	enum podrt_write_mode mode = w ? w->mode : PODRT_WRITE_ANY;
	struct store_netpol *old = NULL, row = { 0 };
	json_t *want = NULL, *have = NULL;
	char uid[STORE_UUID_LEN + 1];
	int ret;

	ret = store_netpol_get(st, np->meta.namespace_, np->meta.name, &old, err);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (ret == -ENOENT) {
		if (mode == PODRT_WRITE_UPDATE)
			return ret;
		pn_err_free(err);
		if (store_new_uuid(uid) < 0)
			return pn_error(err, PN_E_STATE, EIO, "cannot generate a uid");
		free(np->meta.uid);
		np->meta.uid = strdup(uid);
		np->meta.creation = time(NULL);
		np->meta.generation = 1;
		*outcome = NETPOLRT_CREATED;
	} else {
		struct pn_netpol *prev = NULL;

		if (mode == PODRT_WRITE_CREATE) {
			ret = pn_error(err, PN_E_ALREADY_EXISTS, EEXIST,
				       "networkpolicies.networking.k8s.io \"%s\" already exists",
				       np->meta.name);
			goto out;
		}
		if (w && w->expect_rv && w->expect_rv != old->rv) {
			ret = pn_error(err, PN_E_CONFLICT, ESTALE,
				       "Operation cannot be fulfilled on "
				       "networkpolicies.networking.k8s.io \"%s\": the object has been "
				       "modified; please apply your changes to the latest version and "
				       "try again", np->meta.name);
			goto out;
		}
		have = netpolrt_object(old);
		if (!have || netpol_from_json(have, &prev, err) < 0) {
			if (!have)
				pn_error(err, PN_E_STATE, EINVAL, "stored networkpolicy %s is not JSON",
					 np->meta.name);
			ret = -EINVAL;
			goto out;
		}
		free(np->meta.uid);
		np->meta.uid = prev->meta.uid;
		prev->meta.uid = NULL;
		np->meta.creation = prev->meta.creation;
		np->meta.generation = prev->meta.generation;
		pn_netpol_free(prev);
		want = stored(np, w);
		if (want && json_equal(want, have)) {
			*outcome = NETPOLRT_UNCHANGED;
			goto done;
		}
		/* The server counts spec changes, not metadata ones. */
		if (want && !json_equal(json_object_get(want, "spec"), json_object_get(have, "spec")))
			np->meta.generation++;
		json_decref(want);
		*outcome = NETPOLRT_CONFIGURED;
	}
	want = stored(np, w);
	row.uid = np->meta.uid;
	row.namespace_ = np->meta.namespace_;
	row.name = np->meta.name;
	row.generation = np->meta.generation;
	row.created_ns = (int64_t)np->meta.creation * 1000000000;
	row.spec_json = want ? json_dumps(want, JSON_COMPACT) : NULL;
	if (!np->meta.uid || !row.spec_json) {
		free(row.spec_json);
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	ret = old ? store_netpol_update(st, &row, STORE_NETPOL_F_SPEC, err)
		  : store_netpol_insert(st, &row, err);
	free(row.spec_json);
	if (ret < 0)
		goto out;
done:
	if (out) {
		*out = want;
		want = NULL;
	}
	ret = 0;
out:
	json_decref(want);
	json_decref(have);
	store_netpol_free(old);
	return ret;
}

int netpolrt_apply(struct store *st, struct pn_netpol *np, const struct podrt_write *w,
		   enum netpolrt_outcome *outcome, json_t **out, struct pn_err *err)
{
	bool own = !store_in_transaction(st);
	int ret;

	if (out)
		*out = NULL;
	ret = own ? store_begin(st, err) : store_savepoint(st, err);
	if (ret < 0)
		return ret;
	ret = apply_locked(st, np, w, outcome, out, err);
	if (ret < 0 || (w && w->dry_run)) {
		/* A dry run is the whole write, undone. */
		if (own)
			store_rollback(st);
		else
			store_savepoint_rollback(st);
	} else {
		ret = own ? store_commit(st, err) : store_savepoint_release(st, err);
	}
	if (ret < 0 && out) {
		json_decref(*out);
		*out = NULL;
	}
	return ret;
}
