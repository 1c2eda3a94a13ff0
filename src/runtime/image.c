/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local images (import, list, remove) and per-container overlay root
 * filesystems.  See image.h for the layout on disk.
 *
 * Everything that walks or deletes a tree does it with *at() calls on
 * directory fds that never follow symlinks and never cross a mount, so a
 * hostile image cannot point a removal or a whiteout at the node's files.
 */
#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"

#define IMAGE_JSON "image.json"
/*
 * No ARCHIVE_EXTRACT_UNLINK: with it libarchive deletes a symlink met on
 * the way to an entry and goes on; without it SECURE_SYMLINKS refuses the
 * entry ("Cannot extract through symlink"), and we refuse the image.
 * Existing files are still replaced (libarchive unlinks a non-directory
 * that is in the way), which is what a later layer means.
 */
#define EXTRACT_FLAGS                                                                      \
	(ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |             \
	 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SPARSE |            \
	 ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS)

/* ---- small helpers ---------------------------------------------------- */

static int nomem(struct pn_err *err)
{
	return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
}

static const char *root_or_default(const char *root)
{
	return root && *root ? root : IMAGE_DEFAULT_ROOT;
}

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static int64_t now_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

_Static_assert(IMAGE_ID_LEN == PN_ID_LEN, "an image id is base's random id");

/* openat2(2) (Linux 5.6): RESOLVE_IN_ROOT resolves ".." and symlinks as if
 * @dirfd were "/", which is what paths inside an image mean. */
static int open_in_root(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* ---- names ------------------------------------------------------------ */

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* over [s, e) */
static bool path_component_ok(const char *s, const char *e)
{
	const char *p = s;

	if (p == e || !is_alnum_lower(*p))
		return false;
	while (p < e) {
		if (is_alnum_lower(*p)) {
			p++;
			continue;
		}
		if (*p == '.' || (*p == '_' && (p + 1 == e || p[1] != '_')))
			p++;
		else if (*p == '_')
			p += 2;
		else if (*p == '-')
			while (p < e && *p == '-')
				p++;
		else
			return false;
		if (p == e || !is_alnum_lower(*p))
			return false;
	}
	return true;
}

/* hostname labels joined by '.', then an optional ":port" */
static bool domain_ok(const char *s, const char *e)
{
	const char *colon = memchr(s, ':', (size_t)(e - s));
	const char *hend = colon ? colon : e;
	const char *p = s;

	if (colon) {
		if (colon + 1 == e || e - colon > 6)
			return false;
		for (const char *q = colon + 1; q < e; q++)
			if (!isdigit((unsigned char)*q))
				return false;
	}
	while (p < hend) {
		const char *l = p;

		while (p < hend && *p != '.')
			p++;
		if (p == l || !isalnum((unsigned char)*l) || !isalnum((unsigned char)p[-1]))
			return false;
		for (const char *q = l; q < p; q++)
			if (!isalnum((unsigned char)*q) && *q != '-')
				return false;
		if (p < hend && ++p == hend)
			return false;
	}
	return hend > s;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

static int bad_name(struct pn_err *err, const char *name, const char *why)
{
	return pn_error(err, PN_E_INVALID, EINVAL, "invalid image name \"%s\": %s", name,
			why);
}

int image_name_canonical(const char *name, char **out, struct pn_err *err)
{
	const char *slash, *colon, *tag = NULL, *p, *repo_end;
	bool first = true;
	size_t repo_len;

	*out = NULL;
	if (!name || !*name)
		return bad_name(err, name ? name : "", "empty");
	if (strlen(name) > IMAGE_NAME_MAX)
		return bad_name(err, name, "longer than 255 characters");
	if (strchr(name, '@'))
		return bad_name(err, name, "digests are not supported, use a tag");
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash))
		tag = colon + 1;
	repo_end = tag ? tag - 1 : name + strlen(name);
	if (tag && !tag_ok(tag))
		return bad_name(err, name, "tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
	for (p = name; p < repo_end; first = false) {
		const char *c = p;
		const char *ce = memchr(c, '/', (size_t)(repo_end - c));

		if (!ce)
			ce = repo_end;
		/* As in docker's reference grammar, a first component holding a
		 * '.' or ':' or equal to "localhost" is a registry domain. */
		if (first && ce < repo_end &&
		    (memchr(c, '.', (size_t)(ce - c)) || memchr(c, ':', (size_t)(ce - c)) ||
		     (ce - c == 9 && !memcmp(c, "localhost", 9)))) {
			if (!domain_ok(c, ce))
				return bad_name(err, name, "bad registry host");
		} else if (!path_component_ok(c, ce)) {
			return bad_name(err, name,
					"path components must be lowercase [a-z0-9] joined by '.', '_', '__' or '-'");
		}
		p = ce;
		if (p < repo_end && ++p == repo_end)
			return bad_name(err, name, "ends with '/'");
	}
	if (repo_end == name)
		return bad_name(err, name, "no repository");
	repo_len = (size_t)(repo_end - name);
	if (repo_len == strlen(IMAGE_HOST) && !memcmp(name, IMAGE_HOST, repo_len) &&
	    (!tag || !strcmp(tag, "latest")))
		*out = strdup(IMAGE_HOST);
	else if (tag)
		*out = strdup(name);
	else
		*out = pn_strdup_printf("%s:latest", name);
	return *out ? 0 : nomem(err);
}

/* '/' cannot appear in a file name; '+' cannot appear in an image name. */
static char *name_to_dir(const char *canon)
{
	char *d = strdup(canon);

	for (char *p = d; p && *p; p++)
		if (*p == '/')
			*p = '+';
	return d;
}

static char *dir_to_name(const char *dir)
{
	char *n = strdup(dir);

	for (char *p = n; p && *p; p++)
		if (*p == '+')
			*p = '/';
	return n;
}

/* ---- trees ------------------------------------------------------------ */

struct size_walk {
	int64_t bytes;
	struct { ino_t ino; off_t size; } *links; /* files with st_nlink > 1 */
	size_t n, cap;
};

static int link_cmp(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

/* Apparent size, like `du -sb`: a hard-linked file counts once. */
static int tree_size_fd(int fd, struct size_walk *w)
{
	struct dirent *d;
	DIR *dir;
	int dfd, ret = 0;

	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -ENOMEM;
	}
	while (ret == 0 && (d = readdir(dir))) {
		struct stat st;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int cfd = openat(fd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (cfd >= 0) {
				ret = tree_size_fd(cfd, w);
				close(cfd);
			}
			continue;
		}
		if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
			continue;
		if (st.st_nlink <= 1) {
			w->bytes += st.st_size;
			continue;
		}
		if (pn_grow(&w->links, &w->cap, w->n, sizeof(*w->links))) {
			ret = -ENOMEM;
			break;
		}
		w->links[w->n].ino = st.st_ino;
		w->links[w->n].size = st.st_size;
		w->n++;
	}
	closedir(dir);
	return ret;
}

static int tree_size(const char *path, int64_t *out)
{
	struct size_walk w = { 0 };
	int fd, ret;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = tree_size_fd(fd, &w);
	close(fd);
	if (ret == 0) {
		if (w.n)
			qsort(w.links, w.n, sizeof(*w.links), link_cmp);
		for (size_t i = 0; i < w.n; i++)
			if (i == 0 || w.links[i].ino != w.links[i - 1].ino)
				w.bytes += w.links[i].size;
		*out = w.bytes;
	}
	free(w.links);
	return ret;
}

/* ---- extraction ------------------------------------------------------- */

/*
 * "dest/<clean path>" for a path taken from an archive.  Absolute paths and
 * ".." components are refused, not stripped: an image that holds them was
 * made by mistake or with intent, and either way it is not the tree its
 * author meant.  "." components and repeated slashes are dropped; the
 * archive's root itself ("./") maps to @dest.
 */
static int archive_path_join(const char *dest, const char *path, char **out)
{
	size_t dl = strlen(dest), pl = strlen(path);
	char *s, *o;
	const char *p = path;

	*out = NULL;
	if (path[0] == '/')
		return -EPERM;
	s = malloc(dl + pl + 2);
	if (!s)
		return -ENOMEM;
	memcpy(s, dest, dl);
	o = s + dl;
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(s);
			return -EPERM;
		}
		if (n && !(n == 1 && p[0] == '.')) {
			*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p = *e ? e + 1 : e;
	}
	*o = '\0';
	*out = s;
	return 0;
}

static const char *entry_path(struct archive_entry *e)
{
	const char *p = archive_entry_pathname(e);

	return p ? p : archive_entry_pathname_utf8(e);
}

static const char *base_name(const char *p)
{
	const char *s;
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	s = memrchr(p, '/', n > 0 ? n - 1 : 0);
	return s ? s + 1 : p;
}

static int copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
			return -1;
	return r == ARCHIVE_EOF ? 0 : -1;
}

static struct archive *disk_writer(void)
{
	struct archive *w = archive_write_disk_new();

	/* No name lookup: owners stay the image's numeric ids, which mean
	 * the image's /etc/passwd, not the node's. */
	if (w && archive_write_disk_set_options(w, EXTRACT_FLAGS) != ARCHIVE_OK) {
		archive_write_free(w);
		w = NULL;
	}
	return w;
}

static int archive_fail(struct pn_err *err, struct archive *a, const char *what,
			const char *path)
{
	int e = archive_errno(a);

	return pn_error(err, PN_E_IMAGE, e > 0 ? e : EIO, "%s: %s: %s", what, path ? path : "",
			archive_error_string(a) ? archive_error_string(a) : "archive error");
}

enum layer_mode {
	PLAIN,          /* a rootfs tarball: ".wh." files are ordinary files */
	LAYER_WHITEOUTS, /* first pass over an OCI layer: apply whiteouts only */
	LAYER_FILES,     /* second pass: everything but whiteouts */
};

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/*
 * Apply one whiteout of an OCI layer (image-spec layer.md "Whiteouts") to
 * @rootfd: ".wh.NAME" deletes NAME from the layers below, ".wh..wh..opq"
 * empties its directory.  The parent is opened with RESOLVE_IN_ROOT, so a
 * symlink planted by a lower layer resolves inside the image.
 */
static int apply_whiteout(int rootfd, const char *rel)
{
	const char *base = base_name(rel);
	char *parent = strndup(rel, (size_t)(base - rel));
	int pfd, ret;

	if (!parent)
		return -ENOMEM;
	pfd = open_in_root(rootfd, *parent ? parent : ".", O_RDONLY | O_DIRECTORY);
	free(parent);
	if (pfd == -ENOENT || pfd == -ENOTDIR)
		return 0;
	if (pfd < 0)
		return pfd;
	if (!strcmp(base, WH_OPAQUE))
		ret = pn_empty_dir_fd(pfd);
	else if (base[strlen(WH_PREFIX)] == '\0' || !strcmp(base + strlen(WH_PREFIX), ".") ||
		 !strcmp(base + strlen(WH_PREFIX), ".."))
		ret = -EPERM;
	else
		ret = pn_remove_tree_at(pfd, base + strlen(WH_PREFIX));
	close(pfd);
	return ret;
}

/* Extract an open archive reader into @dest (a directory, no symlinks in
 * its path: archive_write_disk's SECURE_SYMLINKS checks every component). */
static int extract_archive(struct archive *in, const char *dest, enum layer_mode mode,
			   const char *what, struct pn_err *err)
{
	struct archive *out = NULL;
	struct archive_entry *e;
	char *path = NULL, *link = NULL, *name = NULL;
	int rootfd = -1, r, ret;

	out = disk_writer();
	if (!out) {
		ret = nomem(err);
		goto out;
	}
	rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot open %s", dest);
		goto out;
	}
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *hl = archive_entry_hardlink(e);
		const char *p;
		bool wh;

		free(path);
		free(link);
		free(name);
		path = link = NULL;
		/* A copy: the entry's own string goes when we rename it. */
		name = entry_path(e) ? strdup(entry_path(e)) : NULL;
		p = name;
		if (!p) {
			ret = pn_error(err, PN_E_IMAGE, EINVAL, "%s: entry without a name", what);
			goto out;
		}
		ret = archive_path_join(dest, p, &path);
		if (ret == 0 && hl)
			ret = archive_path_join(dest, hl, &link);
		if (ret == -EPERM) {
			ret = pn_error(err, PN_E_IMAGE, EPERM,
				       "%s: refusing entry \"%s\": absolute path or \"..\" escapes the image",
				       what, hl && path ? hl : p);
			goto out;
		}
		if (ret < 0) {
			ret = nomem(err);
			goto out;
		}
		wh = !strncmp(base_name(p), WH_PREFIX, strlen(WH_PREFIX));
		if (mode == LAYER_WHITEOUTS) {
			if (wh) {
				ret = apply_whiteout(rootfd, path + strlen(dest) +
								 (path[strlen(dest)] == '/'));
				if (ret < 0) {
					ret = pn_error(err, PN_E_IMAGE, -ret,
						       "%s: cannot apply whiteout \"%s\"", what, p);
					goto out;
				}
			}
			continue;
		}
		if (mode == LAYER_FILES && wh)
			continue;
		archive_entry_copy_pathname(e, path);
		if (link)
			archive_entry_copy_hardlink(e, link);
		r = archive_write_header(out, e);
		if (r < ARCHIVE_WARN) {
			ret = archive_fail(err, out, what, p);
			goto out;
		}
		if (archive_entry_size(e) > 0 && copy_data(in, out) < 0) {
			ret = archive_errno(out) || archive_error_string(out)
				      ? archive_fail(err, out, what, p)
				      : archive_fail(err, in, what, p);
			goto out;
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
			ret = archive_fail(err, out, what, p);
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		ret = archive_fail(err, in, what, NULL);
		goto out;
	}
	/* Directory modes and times are restored last, by close. */
	if (archive_write_close(out) < ARCHIVE_WARN) {
		ret = archive_fail(err, out, what, NULL);
		goto out;
	}
	ret = 0;
out:
	if (out)
		archive_write_free(out);
	if (rootfd >= 0)
		close(rootfd);
	free(path);
	free(link);
	free(name);
	return ret;
}

static struct archive *tar_reader(void)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	/* gzip, xz, zstd, bzip2... and tar, pax, cpio...: all autodetected,
	 * through the external programs if libarchive lacks a filter. */
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	return a;
}

static int extract_fd(int fd, const char *dest, enum layer_mode mode, const char *what,
		      struct pn_err *err)
{
	struct archive *in = tar_reader();
	int ret;

	if (!in)
		return nomem(err);
	if (archive_read_open_fd(in, fd, 1 << 16) != ARCHIVE_OK)
		ret = archive_fail(err, in, what, NULL);
	else
		ret = extract_archive(in, dest, mode, what, err);
	archive_read_free(in);
	return ret;
}

/*
 * Copy a directory tree with libarchive's disk reader and writer, as
 * `tar -C src -cf - . | tar -C dest -xpf -` would, one filesystem only
 * (like tar --one-file-system: importing "/" must not copy /proc).
 */
static int copy_dir(const char *src, const char *dest, struct pn_err *err)
{
	struct archive_entry_linkresolver *lr = NULL;
	struct archive *in = NULL, *out = NULL;
	struct archive_entry *e = NULL, *spare = NULL;
	size_t sl = strlen(src);
	char *path = NULL, *link = NULL, *name = NULL;
	int r, ret;

	in = archive_read_disk_new();
	out = disk_writer();
	lr = archive_entry_linkresolver_new();
	e = archive_entry_new();
	if (!in || !out || !lr || !e) {
		ret = nomem(err);
		goto out;
	}
	/* tar's strategy: the first name of an inode carries the data, later
	 * names become hard links to it. */
	archive_entry_linkresolver_set_strategy(lr, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_read_disk_set_symlink_physical(in);
	archive_read_disk_set_behavior(in, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS |
						   ARCHIVE_READDISK_NO_FFLAGS);
	if (archive_read_disk_open(in, src) != ARCHIVE_OK) {
		ret = archive_fail(err, in, "cannot read", src);
		goto out;
	}
	for (;;) {
		const char *p, *hl;

		archive_entry_clear(e);
		r = archive_read_next_header2(in, e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			ret = archive_fail(err, in, "cannot read", src);
			goto out;
		}
		free(name);
		name = archive_entry_sourcepath(e) ? strdup(archive_entry_sourcepath(e)) : NULL;
		p = name;
		if (archive_read_disk_can_descend(in))
			archive_read_disk_descend(in);
		if (!p || strncmp(p, src, sl) || (p[sl] && p[sl] != '/')) {
			ret = pn_error(err, PN_E_IMAGE, EINVAL, "unexpected path %s under %s",
				       p ? p : "(null)", src);
			goto out;
		}
		free(path);
		path = pn_strdup_printf("%s%s", dest, p + sl);
		if (!path) {
			ret = nomem(err);
			goto out;
		}
		archive_entry_copy_pathname(e, path);
		spare = NULL;
		{
			struct archive_entry *cur = e;

			archive_entry_linkify(lr, &cur, &spare);
			hl = cur ? archive_entry_hardlink(cur) : NULL;
		}
		free(link);
		link = hl ? strdup(hl) : NULL;
		if (hl && !link) {
			ret = nomem(err);
			goto out;
		}
		if (link) {
			archive_entry_copy_hardlink(e, link);
			archive_entry_set_size(e, 0);
		}
		r = archive_write_header(out, e);
		if (r < ARCHIVE_WARN) {
			ret = archive_fail(err, out, "cannot copy", p);
			goto out;
		}
		if (!link && archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 &&
		    copy_data(in, out) < 0) {
			ret = archive_fail(err, archive_errno(out) ? out : in, "cannot copy", p);
			goto out;
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
			ret = archive_fail(err, out, "cannot copy", p);
			goto out;
		}
	}
	if (archive_write_close(out) < ARCHIVE_WARN) {
		ret = archive_fail(err, out, "cannot copy", src);
		goto out;
	}
	ret = 0;
out:
	if (lr)
		archive_entry_linkresolver_free(lr);
	if (e)
		archive_entry_free(e);
	if (in)
		archive_read_free(in);
	if (out)
		archive_write_free(out);
	free(path);
	free(link);
	free(name);
	return ret;
}

/* ---- OCI image layout and docker save --------------------------------- */

struct image_config {
	char **entrypoint, **cmd, **env;
	char *working_dir;
};

static void image_config_clear(struct image_config *c)
{
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->working_dir);
	memset(c, 0, sizeof(*c));
}

/* A JSON array of strings as a NULL-terminated vector; NULL if absent. */
static int strv_from_json(json_t *a, char ***out)
{
	size_t i, n;
	char **v;

	*out = NULL;
	if (!json_is_array(a))
		return 0;
	n = json_array_size(a);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (!s) {
			strv_free(v);
			return -EINVAL;
		}
		v[i] = strdup(s);
		if (!v[i]) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

static json_t *strv_to_json(char **v)
{
	json_t *a = json_array();

	for (; a && v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* Parse a JSON file under @dirfd, resolved inside it. */
static json_t *load_json_in(int dirfd, const char *rel, const char *what, struct pn_err *err)
{
	json_error_t je;
	json_t *j;
	FILE *f;
	int fd = open_in_root(dirfd, rel, O_RDONLY);

	if (fd < 0) {
		pn_error(err, PN_E_IMAGE, -fd, "%s: cannot open %s", what, rel);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		nomem(err);
		return NULL;
	}
	j = json_loadf(f, 0, &je);
	fclose(f);
	if (!j)
		pn_error(err, PN_E_IMAGE, 0, "%s: %s: %s (line %d)", what, rel, je.text, je.line);
	return j;
}

/* "sha256:abc…" → "blobs/sha256/abc…"; both parts restricted so that a
 * digest cannot name a path. */
static char *blob_path(const char *digest)
{
	const char *c = digest ? strchr(digest, ':') : NULL;

	if (!c || c == digest || !c[1])
		return NULL;
	for (const char *p = digest; p < c; p++)
		if (!is_alnum_lower(*p) && *p != '+' && *p != '.' && *p != '_' && *p != '-')
			return NULL;
	for (const char *p = c + 1; *p; p++)
		if (!isxdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'z'))
			return NULL;
	return pn_strdup_printf("blobs/%.*s/%s", (int)(c - digest), digest, c + 1);
}

static int parse_config(json_t *cfg, struct image_config *out)
{
	json_t *c = json_object_get(cfg, "config");
	const char *wd;
	int ret;

	if (!json_is_object(c))
		return 0;
	ret = strv_from_json(json_object_get(c, "Entrypoint"), &out->entrypoint);
	if (ret == 0)
		ret = strv_from_json(json_object_get(c, "Cmd"), &out->cmd);
	if (ret == 0)
		ret = strv_from_json(json_object_get(c, "Env"), &out->env);
	wd = json_string_value(json_object_get(c, "WorkingDir"));
	if (ret == 0 && wd && *wd && !(out->working_dir = strdup(wd)))
		ret = -ENOMEM;
	return ret;
}

static const char *runtime_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#elif defined(__arm__)
	return "arm";
#else
	return "";
#endif
}

/*
 * From an index (index.json or a nested image index), the descriptor of
 * an image manifest: one whose "org.opencontainers.image.ref.name" is
 * @canon's tag (or the full name), else the first for this platform.
 */
static json_t *pick_manifest(json_t *index, const char *canon)
{
	const char *tag = strrchr(canon, ':');
	json_t *ms = json_object_get(index, "manifests"), *m, *first = NULL;
	size_t i;

	json_array_foreach(ms, i, m) {
		json_t *plat = json_object_get(m, "platform");
		const char *ref = json_string_value(json_object_get(
			json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
		const char *arch = json_string_value(json_object_get(plat, "architecture"));
		const char *os = json_string_value(json_object_get(plat, "os"));

		if (plat && ((arch && strcmp(arch, runtime_arch())) || (os && strcmp(os, "linux"))))
			continue;
		if (ref && (!strcmp(ref, canon) || (tag && !strcmp(ref, tag + 1))))
			return m;
		if (!first)
			first = m;
	}
	return first;
}

static int apply_layer(int layoutfd, const char *rel, const char *rootfs, struct pn_err *err)
{
	int fd, ret;

	fd = open_in_root(layoutfd, rel, O_RDONLY);
	if (fd < 0)
		return pn_error(err, PN_E_IMAGE, -fd, "image layer %s missing", rel);
	/* Two passes: whiteouts delete what the layers below hold, so they
	 * must not delete what this layer adds, whatever the entry order. */
	ret = extract_fd(fd, rootfs, LAYER_WHITEOUTS, rel, err);
	if (ret == 0 && lseek(fd, 0, SEEK_SET) < 0)
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot rewind %s", rel);
	if (ret == 0)
		ret = extract_fd(fd, rootfs, LAYER_FILES, rel, err);
	close(fd);
	return ret;
}

/* docker save's manifest.json: [{"Config": "...json", "RepoTags": [...],
 * "Layers": ["<id>/layer.tar", ...]}] */
static int apply_docker_save(int layoutfd, json_t *manifest, const char *canon,
			     const char *rootfs, struct image_config *cfg, struct pn_err *err)
{
	json_t *m, *pick = NULL, *layer, *conf = NULL;
	const char *cpath;
	size_t i, k;
	int ret;

	json_array_foreach(manifest, i, m) {
		json_t *tags = json_object_get(m, "RepoTags"), *t;

		json_array_foreach(tags, k, t)
			if (json_string_value(t) && !strcmp(json_string_value(t), canon))
				pick = m;
		if (!pick && i == 0)
			pick = m;
	}
	if (!pick || !json_is_array(json_object_get(pick, "Layers")))
		return pn_error(err, PN_E_IMAGE, 0, "manifest.json: no image with layers");
	json_array_foreach(json_object_get(pick, "Layers"), i, layer) {
		if (!json_string_value(layer))
			return pn_error(err, PN_E_IMAGE, 0, "manifest.json: bad layer entry");
		ret = apply_layer(layoutfd, json_string_value(layer), rootfs, err);
		if (ret < 0)
			return ret;
	}
	cpath = json_string_value(json_object_get(pick, "Config"));
	if (cpath) {
		conf = load_json_in(layoutfd, cpath, "docker image config", err);
		if (!conf)
			return -EINVAL;
		ret = parse_config(conf, cfg);
		json_decref(conf);
		if (ret < 0)
			return pn_error(err, PN_E_IMAGE, -ret, "%s: bad config", cpath);
	}
	return 0;
}

static int apply_oci_layout(int layoutfd, const char *canon, const char *rootfs,
			    struct image_config *cfg, struct pn_err *err)
{
	json_t *index = NULL, *manifest = NULL, *conf = NULL, *desc, *layer;
	char *path = NULL;
	size_t i;
	int depth, ret;

	index = load_json_in(layoutfd, "index.json", "OCI image layout", err);
	if (!index)
		return -EINVAL;
	/* Follow image indexes (multi-platform) down to an image manifest. */
	for (depth = 0, manifest = json_incref(index); depth < 4; depth++) {
		const char *mt;

		desc = pick_manifest(manifest, canon);
		if (!desc) {
			ret = pn_error(err, PN_E_IMAGE, 0,
				       "OCI image layout: no manifest for linux/%s", runtime_arch());
			goto out;
		}
		free(path);
		path = blob_path(json_string_value(json_object_get(desc, "digest")));
		if (!path) {
			ret = pn_error(err, PN_E_IMAGE, 0, "OCI image layout: bad digest");
			goto out;
		}
		mt = json_string_value(json_object_get(desc, "mediaType"));
		json_decref(manifest);
		manifest = load_json_in(layoutfd, path, "OCI image layout", err);
		if (!manifest) {
			ret = -EINVAL;
			goto out;
		}
		if (!json_object_get(manifest, "manifests") &&
		    !(mt && strstr(mt, "index")))
			break;
	}
	if (!json_is_array(json_object_get(manifest, "layers"))) {
		ret = pn_error(err, PN_E_IMAGE, 0, "OCI image manifest %s: no layers", path);
		goto out;
	}
	json_array_foreach(json_object_get(manifest, "layers"), i, layer) {
		free(path);
		path = blob_path(json_string_value(json_object_get(layer, "digest")));
		if (!path) {
			ret = pn_error(err, PN_E_IMAGE, 0, "OCI image manifest: bad layer digest");
			goto out;
		}
		ret = apply_layer(layoutfd, path, rootfs, err);
		if (ret < 0)
			goto out;
	}
	free(path);
	path = blob_path(json_string_value(json_object_get(json_object_get(manifest, "config"),
							   "digest")));
	if (path) {
		conf = load_json_in(layoutfd, path, "OCI image config", err);
		if (!conf) {
			ret = -EINVAL;
			goto out;
		}
		ret = parse_config(conf, cfg);
		if (ret < 0) {
			ret = pn_error(err, PN_E_IMAGE, -ret, "OCI image config %s: bad config", path);
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(index);
	json_decref(manifest);
	json_decref(conf);
	free(path);
	return ret;
}

/*
 * If @dir is an OCI image layout (an "oci-layout" file) or a `docker save`
 * tree (a "manifest.json" array), flatten its layers in order into
 * @rootfs and return 1; return 0 if it is neither.
 */
static int apply_layout_dir(const char *dir, const char *canon, const char *rootfs,
			    struct image_config *cfg, struct pn_err *err)
{
	json_t *manifest = NULL;
	struct stat st;
	int fd, ret;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pn_error(err, PN_E_IMAGE, errno, "cannot open %s", dir);
	if (fstatat(fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    fstatat(fd, "index.json", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		ret = apply_oci_layout(fd, canon, rootfs, cfg, err);
		ret = ret < 0 ? ret : 1;
		goto out;
	}
	if (fstatat(fd, "manifest.json", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		manifest = load_json_in(fd, "manifest.json", "docker image", NULL);
		if (json_is_array(manifest)) {
			ret = apply_docker_save(fd, manifest, canon, rootfs, cfg, err);
			ret = ret < 0 ? ret : 1;
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(manifest);
	close(fd);
	return ret;
}

/* ---- image.json ------------------------------------------------------- */

static int write_image_json(const char *dir, const struct image_info *info,
			    struct pn_err *err)
{
	char created[64], *path = NULL;
	json_t *j = NULL, *c = NULL;
	time_t secs = (time_t)(info->created_ns / 1000000000);
	struct tm tm;
	int ret;

	gmtime_r(&secs, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	c = json_object();
	if (c && info->entrypoint)
		json_object_set_new(c, "Entrypoint", strv_to_json(info->entrypoint));
	if (c && info->cmd)
		json_object_set_new(c, "Cmd", strv_to_json(info->cmd));
	if (c && info->env)
		json_object_set_new(c, "Env", strv_to_json(info->env));
	if (c && info->working_dir)
		json_object_set_new(c, "WorkingDir", json_string(info->working_dir));
	j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:O}", "name", info->name, "id", info->id,
		      "created", created, "createdNs", (json_int_t)info->created_ns, "size",
		      (json_int_t)info->size, "source", info->source, "config", c);
	path = pn_strdup_printf("%s/%s", dir, IMAGE_JSON);
	if (!j || !path) {
		ret = nomem(err);
		goto out;
	}
	/* The directory is a staging one, renamed into place once synced:
	 * the file needs no atomicity of its own, but the real cause of a
	 * failure (json_dump_file() leaves errno to chance). */
	ret = pn_json_file_replace(path, j, JSON_INDENT(2) | JSON_SORT_KEYS, 0644, PN_E_IMAGE, err);
out:
	json_decref(j);
	json_decref(c);
	free(path);
	return ret;
}

static int read_image_json(const char *dir, struct image_info *info, struct pn_err *err)
{
	struct image_config cfg = { 0 };
	json_t *j = NULL;
	const char *s;
	int fd, ret;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pn_error(err, PN_E_IMAGE, errno, "cannot open %s", dir);
	j = load_json_in(fd, IMAGE_JSON, dir, err);
	close(fd);
	if (!j)
		return -EINVAL;
	s = json_string_value(json_object_get(j, "id"));
	if (s && strlen(s) == IMAGE_ID_LEN)
		memcpy(info->id, s, IMAGE_ID_LEN + 1);
	s = json_string_value(json_object_get(j, "source"));
	info->source = strdup(s ? s : "");
	info->created_ns = json_integer_value(json_object_get(j, "createdNs"));
	info->size = json_integer_value(json_object_get(j, "size"));
	ret = parse_config(j, &cfg);
	json_decref(j);
	if (!info->source || ret < 0) {
		image_config_clear(&cfg);
		return ret == -EINVAL ? pn_error(err, PN_E_IMAGE, 0, "%s/%s: bad config", dir,
						 IMAGE_JSON)
				      : nomem(err);
	}
	info->entrypoint = cfg.entrypoint;
	info->cmd = cfg.cmd;
	info->env = cfg.env;
	info->working_dir = cfg.working_dir;
	return 0;
}

/* ---- public API ------------------------------------------------------- */

void image_info_free(struct image_info *info)
{
	if (!info)
		return;
	image_info_array_free(info, 1);
}

static void image_info_clear(struct image_info *i)
{
	free(i->name);
	free(i->rootfs);
	free(i->source);
	strv_free(i->entrypoint);
	strv_free(i->cmd);
	strv_free(i->env);
	free(i->working_dir);
	memset(i, 0, sizeof(*i));
}

void image_info_array_free(struct image_info *infos, size_t n)
{
	if (!infos)
		return;
	for (size_t k = 0; k < n; k++)
		image_info_clear(&infos[k]);
	free(infos);
}

static int host_info(struct image_info *i, struct pn_err *err)
{
	struct statvfs sv;

	memset(i, 0, sizeof(*i));
	memset(i->id, '0', IMAGE_ID_LEN);
	i->builtin = 1;
	if (statvfs("/", &sv) == 0)
		i->size = (int64_t)((sv.f_blocks - sv.f_bfree) * sv.f_frsize);
	i->name = strdup(IMAGE_HOST);
	i->rootfs = strdup("/");
	i->source = strdup("built-in");
	if (!i->name || !i->rootfs || !i->source) {
		image_info_clear(i);
		return nomem(err);
	}
	return 0;
}

static int imported_info(const char *images, const char *canon, const char *dirname,
			 struct image_info *i, struct pn_err *err)
{
	char *dir = pn_strdup_printf("%s/%s", images, dirname);
	int ret;

	memset(i, 0, sizeof(*i));
	i->name = strdup(canon);
	i->rootfs = pn_strdup_printf("%s/%s/rootfs", images, dirname);
	if (!dir || !i->name || !i->rootfs) {
		ret = nomem(err);
		goto out;
	}
	ret = read_image_json(dir, i, err);
out:
	if (ret < 0)
		image_info_clear(i);
	free(dir);
	return ret;
}

/* The absolute images dir, created if asked; symlinks resolved, because
 * archive_write_disk's SECURE_SYMLINKS refuses to write through any. */
static int images_dir(const char *root, bool create, char **out, struct pn_err *err)
{
	char *p = pn_strdup_printf("%s/images", root_or_default(root));
	int ret;

	*out = NULL;
	if (!p)
		return nomem(err);
	if (create && (ret = pn_mkdir_p(p, 0700)) < 0) {
		ret = pn_error(err, PN_E_IMAGE, -ret, "cannot create %s", p);
		free(p);
		return ret;
	}
	*out = realpath(p, NULL);
	if (!*out) {
		ret = errno == ENOENT ? -ENOENT : pn_error(err, PN_E_IMAGE, errno, "%s", p);
		free(p);
		return ret;
	}
	free(p);
	return 0;
}

static int not_found(struct pn_err *err, const char *name)
{
	return pn_error(err, PN_E_NOT_FOUND, ENOENT,
			"image \"%s\" not found: import it with \"podnet image import %s FILE|DIR\"",
			name, name);
}

/*
 * Where imported image @canon lives: <root>/images (*images) and its
 * directory there (*dirname, *dir).  No images directory at all is not
 * found, naming @name as the user wrote it.
 */
static int imported_dir(const char *root, const char *canon, const char *name, char **images,
			char **dirname, char **dir, struct pn_err *err)
{
	int ret = images_dir(root, false, images, err);

	if (ret == -ENOENT)
		return not_found(err, name);
	if (ret < 0)
		return ret;
	*dirname = name_to_dir(canon);
	*dir = *dirname ? pn_strdup_printf("%s/%s", *images, *dirname) : NULL;
	return *dir ? 0 : nomem(err);
}

int image_get(const char *root, const char *name, struct image_info **out,
	      struct pn_err *err)
{
	struct image_info *i = NULL;
	char *canon = NULL, *images = NULL, *dirname = NULL, *dir = NULL;
	struct stat st;
	int ret;

	*out = NULL;
	ret = image_name_canonical(name, &canon, err);
	if (ret < 0)
		goto out;
	i = calloc(1, sizeof(*i));
	if (!i) {
		ret = nomem(err);
		goto out;
	}
	if (!strcmp(canon, IMAGE_HOST)) {
		ret = host_info(i, err);
		goto out;
	}
	ret = imported_dir(root, canon, name, &images, &dirname, &dir, err);
	if (ret < 0)
		goto out;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ret = not_found(err, name);
		goto out;
	}
	ret = imported_info(images, canon, dirname, i, err);
out:
	if (ret == 0) {
		*out = i;
		i = NULL;
	}
	free(i);
	free(canon);
	free(images);
	free(dirname);
	free(dir);
	return ret;
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct image_info *)a)->name, ((const struct image_info *)b)->name);
}

int image_list(const char *root, struct image_info **out, size_t *n, struct pn_err *err)
{
	struct image_info *v = NULL;
	size_t cnt = 0, cap = 8;
	char *images = NULL;
	struct dirent *d;
	DIR *dir = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	v = calloc(cap, sizeof(*v));
	if (!v) {
		ret = nomem(err);
		goto out;
	}
	ret = host_info(&v[cnt], err);
	if (ret < 0)
		goto out;
	cnt++;
	ret = images_dir(root, false, &images, err);
	if (ret == -ENOENT)
		goto done;
	if (ret < 0)
		goto out;
	dir = opendir(images);
	if (!dir) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot list %s", images);
		goto out;
	}
	while ((d = readdir(dir))) {
		struct pn_err ignored = { 0 };
		char *canon;

		if (d->d_name[0] == '.')
			continue;
		if (pn_grow(&v, &cap, cnt, sizeof(*v))) {
			ret = nomem(err);
			goto out;
		}
		canon = dir_to_name(d->d_name);
		if (!canon) {
			ret = nomem(err);
			goto out;
		}
		/* A tree without readable metadata is still listed, by the
		 * name of its directory, so that it can be seen and removed. */
		if (imported_info(images, canon, d->d_name, &v[cnt], &ignored) < 0) {
			pn_err_free(&ignored);
			memset(&v[cnt], 0, sizeof(v[cnt]));
			v[cnt].name = canon;
			canon = NULL;
			v[cnt].rootfs = pn_strdup_printf("%s/%s/rootfs", images, d->d_name);
			v[cnt].source = strdup("");
			if (!v[cnt].rootfs || !v[cnt].source) {
				cnt++;
				ret = nomem(err);
				goto out;
			}
		}
		free(canon);
		cnt++;
	}
	qsort(v + 1, cnt - 1, sizeof(*v), info_cmp);
done:
	*out = v;
	*n = cnt;
	v = NULL;
	ret = 0;
out:
	if (dir)
		closedir(dir);
	image_info_array_free(v, cnt);
	free(images);
	return ret;
}

/*
 * The overlay option syntax: ',' separates options and ':' lower layers;
 * overlayfs (fs/overlayfs/params.c, ovl_next_opt/ovl_unescape) takes a
 * backslash as an escape in every path option.
 */
static char *ovl_escape(const char *path)
{
	char *s = malloc(2 * strlen(path) + 1), *o = s;

	for (const char *p = path; s && *p; p++) {
		if (*p == ',' || *p == ':' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	if (s)
		*o = '\0';
	return s;
}

/* mountinfo's octal escapes (\040 \054 \134...) decoded in place. */
static void mountinfo_unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/*
 * The mount point of an overlay in this mount namespace whose lower layer
 * is @lower, or NULL.  mountinfo shows the lowerdir option as it was given
 * (escaped by us, then octal-escaped by the kernel's seq_escape).
 */
static char *overlay_using(const char *lower)
{
	char *esc = ovl_escape(lower), *line = NULL, *found = NULL;
	size_t cap = 0;
	FILE *f;

	f = esc ? fopen("/proc/self/mountinfo", "re") : NULL;
	while (f && !found && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *mp, *opt, *end, *save = NULL;

		if (!sep || strncmp(sep, " - overlay ", 11))
			continue;
		opt = strstr(sep, ",lowerdir=");
		if (!opt)
			continue;
		opt += strlen(",lowerdir=");
		end = strpbrk(opt, ",\n");
		if (end)
			*end = '\0';
		mountinfo_unescape(opt);
		if (strcmp(opt, esc))
			continue;
		strtok_r(line, " ", &save);
		strtok_r(NULL, " ", &save);
		strtok_r(NULL, " ", &save);
		strtok_r(NULL, " ", &save);
		mp = strtok_r(NULL, " ", &save);
		if (mp) {
			mountinfo_unescape(mp);
			found = strdup(mp);
		}
	}
	if (f)
		fclose(f);
	free(line);
	free(esc);
	return found;
}

static int in_use(struct pn_err *err, const char *canon, const char *rootfs)
{
	char *mp = overlay_using(rootfs);
	int ret = 0;

	if (mp)
		ret = pn_error(err, PN_E_CONFLICT, EBUSY,
			       "image \"%s\" is in use by the container rootfs %s", canon, mp);
	free(mp);
	return ret;
}

int image_import(const char *root, const char *name, const char *src, unsigned flags,
		 struct image_info **out, struct pn_err *err)
{
	struct image_config cfg = { 0 };
	struct image_info *info = NULL;
	char *canon = NULL, *images = NULL, *dirname = NULL, *final = NULL, *tmp = NULL;
	char *rootfs = NULL, *stage = NULL, *src_real = NULL, *old_rootfs = NULL;
	bool tmp_made = false;
	struct stat st;
	int fd = -1, ret;

	if (out)
		*out = NULL;
	ret = image_name_canonical(name, &canon, err);
	if (ret < 0)
		goto out;
	if (!strcmp(canon, IMAGE_HOST)) {
		ret = pn_error(err, PN_E_FORBIDDEN, EPERM,
			       "image \"%s\" is built in and cannot be imported over", IMAGE_HOST);
		goto out;
	}
	src_real = realpath(src, NULL);
	if (!src_real || stat(src_real, &st) < 0) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot import %s", src);
		goto out;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		ret = pn_error(err, PN_E_BAD_REQUEST, EINVAL,
			       "cannot import %s: not a directory or a file", src);
		goto out;
	}
	ret = images_dir(root, true, &images, err);
	if (ret < 0)
		goto out;
	if (S_ISDIR(st.st_mode) && (!strcmp(src_real, "/") ||
				    (!strncmp(images, src_real, strlen(src_real)) &&
				     images[strlen(src_real)] == '/'))) {
		/* Without this the copy would copy itself; and "/" is the
		 * built-in image already. */
		ret = pn_error(err, PN_E_BAD_REQUEST, EINVAL,
			       "cannot import %s: it holds the image store %s%s", src, images,
			       !strcmp(src_real, "/") ? " (use the built-in image \"host\")" : "");
		goto out;
	}
	dirname = name_to_dir(canon);
	final = dirname ? pn_strdup_printf("%s/%s", images, dirname) : NULL;
	old_rootfs = final ? pn_strdup_printf("%s/rootfs", final) : NULL;
	tmp = pn_strdup_printf("%s/.import-XXXXXX", images);
	if (!old_rootfs || !tmp) {
		ret = nomem(err);
		goto out;
	}
	if (lstat(final, &st) == 0 || errno != ENOENT) {
		if (!(flags & IMAGE_IMPORT_FORCE)) {
			ret = pn_error(err, PN_E_ALREADY_EXISTS, EEXIST, "image \"%s\" already exists",
				       canon);
			goto out;
		}
		ret = in_use(err, canon, old_rootfs);
		if (ret < 0)
			goto out;
	}
	if (!mkdtemp(tmp)) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot create a temp dir in %s", images);
		goto out;
	}
	tmp_made = true;
	rootfs = pn_strdup_printf("%s/rootfs", tmp);
	stage = pn_strdup_printf("%s/unpack", tmp);
	if (!rootfs || !stage) {
		ret = nomem(err);
		goto out;
	}
	if (mkdir(rootfs, 0755) < 0) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot create %s", rootfs);
		goto out;
	}
	if (lstat(src_real, &st) == 0 && S_ISDIR(st.st_mode)) {
		ret = apply_layout_dir(src_real, canon, rootfs, &cfg, err);
		if (ret == 0)
			ret = copy_dir(src_real, rootfs, err);
	} else {
		/* Unpacked into a stage dir first: only then do we know
		 * whether the tarball was a rootfs or an image layout. */
		fd = open(src_real, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = pn_error(err, PN_E_IMAGE, errno, "cannot open %s", src);
			goto out;
		}
		/* 0755: a tarball without a "./" entry leaves this mode on
		 * the image's "/", and so on every container's. */
		if (mkdir(stage, 0755) < 0) {
			ret = pn_error(err, PN_E_IMAGE, errno, "cannot create %s", stage);
			goto out;
		}
		ret = extract_fd(fd, stage, PLAIN, "tarball", err);
		if (ret == 0)
			ret = apply_layout_dir(stage, canon, rootfs, &cfg, err);
		if (ret == 0 && (rmdir(rootfs) < 0 || rename(stage, rootfs) < 0))
			ret = pn_error(err, PN_E_IMAGE, errno, "cannot move %s", stage);
		if (ret > 0 && (ret = pn_remove_tree(stage)) < 0)
			ret = pn_error(err, PN_E_IMAGE, -ret, "cannot remove %s", stage);
	}
	if (ret < 0) {
		pn_err_prefix(err, "cannot import %s as \"%s\"", src, canon);
		goto out;
	}
	info = calloc(1, sizeof(*info));
	if (!info) {
		ret = nomem(err);
		goto out;
	}
	info->created_ns = now_realtime_ns();
	info->entrypoint = cfg.entrypoint;
	info->cmd = cfg.cmd;
	info->env = cfg.env;
	info->working_dir = cfg.working_dir;
	memset(&cfg, 0, sizeof(cfg));
	info->name = strdup(canon);
	info->source = strdup(src_real);
	info->rootfs = strdup(old_rootfs);
	if (!info->name || !info->source || !info->rootfs || pn_random_id(info->id) < 0) {
		ret = nomem(err);
		goto out;
	}
	ret = tree_size(rootfs, &info->size);
	if (ret < 0) {
		ret = pn_error(err, PN_E_IMAGE, -ret, "cannot walk %s", rootfs);
		goto out;
	}
	ret = write_image_json(tmp, info, err);
	if (ret < 0)
		goto out;
	/* The tree must be on disk before its name is: syncfs(2) flushes the
	 * whole filesystem once, cheaper than an fsync per file. */
	if (fd >= 0)
		close(fd);
	fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) < 0) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot sync %s", tmp);
		goto out;
	}
	/* RENAME_NOREPLACE: two imports racing for one name cannot both win;
	 * RENAME_EXCHANGE swaps a forced replacement in atomically. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			ret = pn_error(err, PN_E_IMAGE, errno, "cannot rename %s to %s", tmp, final);
			goto out;
		}
		if (!(flags & IMAGE_IMPORT_FORCE)) {
			ret = pn_error(err, PN_E_ALREADY_EXISTS, EEXIST, "image \"%s\" already exists",
				       canon);
			goto out;
		}
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) < 0) {
			ret = pn_error(err, PN_E_IMAGE, errno, "cannot replace %s", final);
			goto out;
		}
	}
	/* After an exchange tmp holds the old image; removed below. */
	ret = 0;
	if (out) {
		*out = info;
		info = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		(void)!pn_remove_tree(tmp);
	image_config_clear(&cfg);
	image_info_free(info);
	free(canon);
	free(images);
	free(dirname);
	free(final);
	free(tmp);
	free(rootfs);
	free(stage);
	free(src_real);
	free(old_rootfs);
	return ret;
}

int image_remove(const char *root, const char *name, struct pn_err *err)
{
	char *canon = NULL, *images = NULL, *dirname = NULL, *final = NULL, *lower = NULL;
	char *trash = NULL;
	int ret;

	ret = image_name_canonical(name, &canon, err);
	if (ret < 0)
		goto out;
	if (!strcmp(canon, IMAGE_HOST)) {
		ret = pn_error(err, PN_E_FORBIDDEN, EPERM,
			       "image \"%s\" is built in and cannot be removed", IMAGE_HOST);
		goto out;
	}
	ret = imported_dir(root, canon, name, &images, &dirname, &final, err);
	if (ret < 0)
		goto out;
	lower = pn_strdup_printf("%s/rootfs", final);
	trash = pn_strdup_printf("%s/.remove-XXXXXX", images);
	if (!lower || !trash) {
		ret = nomem(err);
		goto out;
	}
	ret = in_use(err, canon, lower);
	if (ret < 0)
		goto out;
	if (!mkdtemp(trash)) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot create a temp dir in %s", images);
		goto out;
	}
	/* One rename takes the name away; a crash while deleting leaves a
	 * dot-dir that is never listed. rename(2) may replace an empty dir. */
	if (rename(final, trash) < 0) {
		ret = errno == ENOENT ? not_found(err, name)
				      : pn_error(err, PN_E_IMAGE, errno, "cannot remove %s", final);
		(void)rmdir(trash);
		goto out;
	}
	ret = pn_remove_tree(trash);
	if (ret < 0)
		ret = pn_error(err, PN_E_IMAGE, -ret, "cannot remove %s", trash);
out:
	free(canon);
	free(images);
	free(dirname);
	free(final);
	free(lower);
	free(trash);
	return ret;
}

/* ---- container root filesystems --------------------------------------- */

static bool is_mount_point(const char *path)
{
	struct stat a, b;
	char *parent = pn_strdup_printf("%s/..", path);
	bool r;

	r = parent && stat(path, &a) == 0 && stat(parent, &b) == 0 &&
	    (a.st_dev != b.st_dev || a.st_ino == b.st_ino);
	free(parent);
	return r;
}

/*
 * For host: make the podnet root an opaque directory in the upper layer
 * (overlayfs "trusted.overlay.opaque"), so containers do not see the
 * store, the images, nor other containers' upper dirs through "/".  The
 * directories on the way copy mode and owner from the node's, as the
 * upper dir's attributes win in a merged directory.
 */
static int hide_in_upper(const char *upper, const char *hidden)
{
	char *u = NULL, *h = strdup(hidden);
	const char *p;
	int ret = 0;

	if (!h)
		return -ENOMEM;
	for (p = h + 1; ret == 0 && *p;) {
		const char *e = strchrnul(p, '/');
		char save = *e;
		struct stat st;

		*(char *)e = '\0';
		free(u);
		u = pn_strdup_printf("%s%s", upper, h);
		if (!u)
			ret = -ENOMEM;
		else if (lstat(h, &st) < 0 || !S_ISDIR(st.st_mode))
			ret = errno ? -errno : -ENOTDIR;
		else if (mkdir(u, st.st_mode & 07777) < 0 && errno != EEXIST)
			ret = -errno;
		else if (chown(u, st.st_uid, st.st_gid) < 0 || chmod(u, st.st_mode & 07777) < 0)
			ret = -errno;
		*(char *)e = save;
		p = save ? e + 1 : e;
	}
	/* trusted.* needs CAP_SYS_ADMIN, which mounting needs anyway; an
	 * upper filesystem without xattrs cannot be an upper dir at all. */
	if (ret == 0 && u && setxattr(u, "trusted.overlay.opaque", "y", 1, 0) < 0)
		ret = -errno;
	free(u);
	free(h);
	return ret;
}

static int mkdir_like(const char *path, const char *model)
{
	struct stat st;

	if (stat(model, &st) < 0)
		return -errno;
	if (mkdir(path, st.st_mode & 07777) < 0 && errno != EEXIST)
		return -errno;
	/* The upper root's mode and owner become those of the container's
	 * "/" (merged directories take the upper's attributes). */
	if (chown(path, st.st_uid, st.st_gid) < 0 || chmod(path, st.st_mode & 07777) < 0)
		return -errno;
	return 0;
}

static int overlay_mount(const char *lower, const char *upper, const char *work,
			 const char *target, const char *hide)
{
	char *l = ovl_escape(lower), *u = ovl_escape(upper), *w = ovl_escape(work), *opts = NULL;
	int ret;

	ret = mkdir_like(upper, lower);
	if (ret == 0 && mkdir(work, 0700) < 0 && errno != EEXIST)
		ret = -errno;
	if (ret == 0 && hide)
		ret = hide_in_upper(upper, hide);
	if (ret < 0)
		goto out;
	/* index=off whatever the kernel's default: with the index, a lower
	 * layer may only belong to one overlay (EBUSY), and "/" is every
	 * host container's lower layer. */
	opts = l && u && w
		       ? pn_strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s,index=off", l, u, w)
		       : NULL;
	if (!opts) {
		ret = -ENOMEM;
		goto out;
	}
	/* Legacy mount(2) data is one page. */
	if (strlen(opts) >= 4096) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	ret = mount("overlay", target, "overlay", 0, opts) < 0 ? -errno : 0;
out:
	free(l);
	free(u);
	free(w);
	free(opts);
	return ret;
}

int image_rootfs_prepare(const char *root, const char *image, const char *container_dir,
			 char **rootfs_path, struct pn_err *err)
{
	return image_rootfs_prepare_opts(root, image, container_dir, 0, rootfs_path, err);
}

int image_rootfs_prepare_opts(const char *root, const char *image, const char *container_dir,
			      unsigned flags, char **rootfs_path, struct pn_err *err)
{
	struct image_info *info = NULL;
	char *cdir = NULL, *target = NULL, *upper = NULL, *work = NULL, *cow = NULL;
	char *hide = NULL;
	bool cow_mounted = false;
	int ret;

	*rootfs_path = NULL;
	ret = image_get(root, image, &info, err);
	if (ret < 0)
		goto out;
	ret = pn_mkdir_p(container_dir, 0700);
	cdir = ret == 0 ? realpath(container_dir, NULL) : NULL;
	if (!cdir) {
		ret = pn_error(err, PN_E_IMAGE, ret ? -ret : errno, "cannot create %s",
			       container_dir);
		goto out;
	}
	target = pn_strdup_printf("%s/rootfs", cdir);
	upper = pn_strdup_printf("%s/upper", cdir);
	work = pn_strdup_printf("%s/work", cdir);
	cow = pn_strdup_printf("%s/cow", cdir);
	if (!target || !upper || !work || !cow) {
		ret = nomem(err);
		goto out;
	}
	if (info->builtin) {
		hide = realpath(root_or_default(root), NULL);
		if (hide && !strcmp(hide, "/")) {
			free(hide);
			hide = NULL;
		}
	}
	if (mkdir(target, 0755) < 0 && errno != EEXIST) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot create %s", target);
		goto out;
	}
	if (is_mount_point(target)) {
		ret = 0;
		goto done;
	}
	/*
	 * Upper and work dirs beside the mount point, usually on the same
	 * filesystem as "/".  For host that puts the upper dir inside the
	 * lower layer.  Linux 5.2 ("ovl: detect overlapping layers") refused
	 * that with ELOOP; 5.7 (708fa01597fa "ovl: allow upperdir inside
	 * lowerdir") allows it and instead makes the upper and work dirs
	 * "traps": looked up through the overlay they fail with ELOOP, so a
	 * container cannot reach its own upper dir.  On 5.2-5.6, or when the
	 * filesystem cannot be an upper layer (EINVAL: no xattrs, overlayfs
	 * itself as on a node that runs in a container), fall back to a
	 * tmpfs: its writes then live in memory.
	 */
	if (!(flags & IMAGE_ROOTFS_UPPER_TMPFS)) {
		ret = overlay_mount(info->rootfs, upper, work, target, hide);
		if (ret == 0)
			goto done;
		(void)!pn_remove_tree(upper);
		(void)!pn_remove_tree(work);
		if (ret != -ELOOP && ret != -EINVAL) {
			ret = pn_error(err, PN_E_KERNEL, -ret, "cannot mount overlay of \"%s\" on %s",
				       info->name, target);
			goto out;
		}
	}
	free(upper);
	free(work);
	upper = pn_strdup_printf("%s/upper", cow);
	work = pn_strdup_printf("%s/work", cow);
	if (!upper || !work) {
		ret = nomem(err);
		goto out;
	}
	if (mkdir(cow, 0700) < 0 && errno != EEXIST) {
		ret = pn_error(err, PN_E_IMAGE, errno, "cannot create %s", cow);
		goto out;
	}
	if (mount("tmpfs", cow, "tmpfs", 0, "mode=0700") < 0) {
		ret = pn_error(err, PN_E_KERNEL, errno, "cannot mount tmpfs on %s", cow);
		goto out;
	}
	cow_mounted = true;
	ret = overlay_mount(info->rootfs, upper, work, target, hide);
	if (ret < 0) {
		ret = pn_error(err, PN_E_KERNEL, -ret, "cannot mount overlay of \"%s\" on %s",
			       info->name, target);
		goto out;
	}
	cow_mounted = false;
done:
	*rootfs_path = target;
	target = NULL;
	ret = 0;
out:
	if (cow_mounted) {
		(void)umount2(cow, MNT_DETACH);
		(void)rmdir(cow);
	}
	image_info_free(info);
	free(cdir);
	free(target);
	free(upper);
	free(work);
	free(cow);
	free(hide);
	return ret;
}
