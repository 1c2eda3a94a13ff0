/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Images and container root filesystems, against a temp PODNET_ROOT:
 *
 *   /tmp/podnet-image-XXXXXX/            the image root (on the node's "/",
 *     images/<name>/{rootfs,image.json}  so host overlays put their upper
 *     containers/<c>/{rootfs,upper,work}  dir inside their lower layer)
 *     src/                               trees and tarballs made here
 *
 * Name validation; import of a directory (modes, owners, symlinks, hard
 * links, devices, xattrs), of plain/gzip/xz tarballs, of an OCI layout and
 * a `docker save` archive (layers flattened, whiteouts applied); evil
 * tarballs refused with nothing left behind; duplicates, list, remove; the
 * built-in host image; overlay rootfs for host and for an imported image.
 *
 * The mount tests need root; the process first moves to a private mount
 * namespace (unshare(CLONE_NEWNS) and "/" made rprivate), so no mount can
 * leak to the machine, even if the test dies half-way.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image.h"
#include "rootfs.h"
#include "tap.h"

static char root[256];
static char srcdir[512];
static int is_root, have_ns;

/* ---- helpers ---------------------------------------------------------- */

static void write_file(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	close(fd);
	chmod(path, mode);
}

static char *slurp(const char *path)
{
	static char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static int exists(const char *fmt, const char *a, const char *b)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), fmt, a, b);
	return lstat(p, &st) == 0;
}

static int run(const char *cmd)
{
	int s;

	fflush(stdout);
	s = system(cmd);

	return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

/* Count the entries of @dir whose names start with @prefix; -1 when @dir
 * cannot be read, so a missing directory never counts as "none left". */
static int count_prefix(const char *dir, const char *prefix)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

/* Lines of /proc/self/mountinfo mentioning @s. */
static int mounts_matching(const char *s)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, s))
			n++;
	if (f)
		fclose(f);
	return n;
}

struct tentry {
	char type;          /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link */
	const char *path;
	const char *data;   /* file content, link target */
	int mode;
};

/* A tar file from entries, written as they are (no path cleaning), so
 * that hostile names reach the importer unchanged. */
static void write_tar(const char *path, const char *filter, const struct tentry *t, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_pax_restricted(a);
	if (!strcmp(filter, "gzip"))
		archive_write_add_filter_gzip(a);
	else if (!strcmp(filter, "xz"))
		archive_write_add_filter_xz(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		printf("# %s: %s\n", path, archive_error_string(a));
		exit(2);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = t[i].type == 'f' && t[i].data ? strlen(t[i].data) : 0;

		archive_entry_clear(e);
		archive_entry_set_pathname(e, t[i].path);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		switch (t[i].type) {
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, t[i].mode ? t[i].mode : 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, t[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, t[i].data);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, t[i].mode ? t[i].mode : 0644);
			archive_entry_set_size(e, (la_int64_t)len);
		}
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			printf("# %s: %s\n", t[i].path, archive_error_string(a));
			exit(2);
		}
		if (len)
			archive_write_data(a, t[i].data, len);
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

static void put(const char *path, const char *s)
{
	write_file(path, s, 0644);
}

/* ---- names ------------------------------------------------------------ */

static void test_names(void)
{
	static const struct {
		const char *in, *want; /* want NULL: invalid */
	} cases[] = {
		{ "nginx", "nginx:latest" },
		{ "nginx:1.25", "nginx:1.25" },
		{ "library/nginx:1.25-alpine", "library/nginx:1.25-alpine" },
		{ "docker.io/library/nginx", "docker.io/library/nginx:latest" },
		{ "localhost:5000/app:v1", "localhost:5000/app:v1" },
		{ "localhost/app", "localhost/app:latest" },
		{ "reg.example.com/a/b-c_d.e:1.0_RC1", "reg.example.com/a/b-c_d.e:1.0_RC1" },
		{ "a__b", "a__b:latest" },
		{ "a---b", "a---b:latest" },
		{ "host", "host" },
		{ "host:latest", "host" },
		{ "busybox:_x", "busybox:_x" },
		{ "", NULL },
		{ "Nginx", NULL },
		{ "nginx:", NULL },
		{ ":tag", NULL },
		{ "nginx@sha256:0123456789abcdef", NULL },
		{ "-nginx", NULL },
		{ "nginx-", NULL },
		{ "a..b", NULL },
		{ "a/", NULL },
		{ "/a", NULL },
		{ "a//b", NULL },
		{ "nginx:-x", NULL },
		{ "nginx:a b", NULL },
		{ "a_-b", NULL },
		{ "a___b", NULL },
		{ "UPPER.io/x", "UPPER.io/x:latest" },
		{ "a:b:c", NULL },
		{ "reg:port/x", NULL },
		{ "x/Y", NULL },
		{ "../etc", NULL },
		{ "a+b", NULL },
	};
	char longname[300];

	for (size_t i = 0; i < PN_ARRAY_SIZE(cases); i++) {
		struct pn_err err = { 0 };
		char *out = NULL;
		int r = image_name_canonical(cases[i].in, &out, &err);

		if (cases[i].want)
			is_str(r == 0 ? out : pn_err_msg(&err), cases[i].want, "name \"%s\" is valid",
			       cases[i].in);
		else
			ok(r == -EINVAL && out == NULL && strstr(pn_err_msg(&err), "invalid image name"),
			   "name \"%s\" is refused (%s)", cases[i].in, pn_err_msg(&err));
		free(out);
		pn_err_free(&err);
	}
	memset(longname, 'a', 256);
	longname[256] = '\0';
	{
		struct pn_err err = { 0 };
		char *out = NULL;

		ok(image_name_canonical(longname, &out, &err) == -EINVAL, "a 256-character name is refused");
		free(out);
		pn_err_free(&err);
	}
}

/* ---- import ----------------------------------------------------------- */

static void test_import_dir(void)
{
	struct image_info *info = NULL;
	struct pn_err err = { 0 };
	char d[600], p[1024], buf[64];
	struct stat st, st2;
	ssize_t n;
	int r;

	snprintf(d, sizeof(d), "%s/tree", srcdir);
	mkdir(d, 0755);
	snprintf(p, sizeof(p), "%s/etc", d);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/os-release", d);
	put(p, "ID=tree\n");
	snprintf(p, sizeof(p), "%s/secret", d);
	write_file(p, "s3cret\n", 0640);
	if (is_root && chown(p, 123, 456) < 0)
		printf("# chown: %s\n", strerror(errno));
	setxattr(p, "user.podnet", "yes", 3, 0);
	{
		char hard[1024];

		snprintf(hard, sizeof(hard), "%s/hard", d);
		if (link(p, hard) < 0)
			printf("# link: %s\n", strerror(errno));
	}
	snprintf(p, sizeof(p), "%s/abs-link", d);
	if (symlink("/etc/os-release", p) < 0)
		printf("# symlink: %s\n", strerror(errno));
	snprintf(p, sizeof(p), "%s/private", d);
	mkdir(p, 0700);
	chmod(p, 0700);
	snprintf(p, sizeof(p), "%s/fifo", d);
	mkfifo(p, 0600);
	if (is_root) {
		snprintf(p, sizeof(p), "%s/null", d);
		mknod(p, S_IFCHR | 0666, makedev(1, 3));
	}

	r = image_import(root, "test/dir:1", d, 0, &info, &err);
	is_int(r, 0, "import a directory (%s)", pn_err_msg(&err));
	if (r < 0 || !info) {
		pn_err_free(&err);
		return;
	}
	is_str(info->name, "test/dir:1", "imported image has the canonical name");
	ok(strlen(info->id) == IMAGE_ID_LEN, "imported image has a 64-hex id");
	ok(info->size >= (int64_t)strlen("ID=tree\ns3cret\n"), "size counts the files (%lld)",
	   (long long)info->size);
	ok(strstr(info->rootfs, "/images/test+dir:1/rootfs") != NULL, "rootfs at %s", info->rootfs);

	snprintf(p, sizeof(p), "%s/secret", info->rootfs);
	ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640, "file mode kept");
	if (is_root)
		ok(st.st_uid == 123 && st.st_gid == 456, "numeric owner kept");
	else
		ok(1, "numeric owner kept # SKIP not root");
	n = getxattr(p, "user.podnet", buf, sizeof(buf));
	ok(n == 3 && !memcmp(buf, "yes", 3), "user xattr kept");
	{
		char hard[1024];

		snprintf(hard, sizeof(hard), "%s/hard", info->rootfs);
		ok(stat(hard, &st2) == 0 && st2.st_ino == st.st_ino, "hard link kept");
	}
	snprintf(p, sizeof(p), "%s/abs-link", info->rootfs);
	n = readlink(p, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "/etc/os-release", "absolute symlink kept as is");
	snprintf(p, sizeof(p), "%s/private", info->rootfs);
	ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0700, "directory mode kept");
	snprintf(p, sizeof(p), "%s/fifo", info->rootfs);
	ok(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode), "fifo kept");
	if (is_root) {
		snprintf(p, sizeof(p), "%s/null", info->rootfs);
		ok(lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
		   "device node kept");
	} else {
		ok(1, "device node kept # SKIP not root");
	}
	ok(exists("%s/images/%s/image.json", root, "test+dir:1"), "image.json written");
	image_info_free(info);
	pn_err_free(&err);
}

static const struct tentry rootfs_tar[] = {
	{ 'd', "./", NULL, 0755 },
	{ 'd', "./etc/", NULL, 0755 },
	{ 'f', "./etc/os-release", "ID=tarball\n", 0644 },
	{ 'd', "./usr/bin", NULL, 0755 },
	{ 'f', "./usr/bin/tool", "#!/bin/sh\necho hi\n", 04755 },
	{ 'l', "./bin", "usr/bin", 0 },
	{ 'h', "./usr/bin/tool2", "./usr/bin/tool", 0 },
};

static void test_import_tarballs(void)
{
	static const char *const filters[] = { "none", "gzip", "xz" };

	for (size_t i = 0; i < PN_ARRAY_SIZE(filters); i++) {
		struct image_info *info = NULL;
		struct pn_err err = { 0 };
		char tar[700], name[64], p[1024];
		struct stat st, st2;
		int r;

		snprintf(tar, sizeof(tar), "%s/rootfs-%s.tar", srcdir, filters[i]);
		write_tar(tar, filters[i], rootfs_tar, PN_ARRAY_SIZE(rootfs_tar));
		snprintf(name, sizeof(name), "tarball:%s", filters[i]);
		r = image_import(root, name, tar, 0, &info, &err);
		is_int(r, 0, "import a %s tarball (%s)", filters[i], pn_err_msg(&err));
		if (r < 0) {
			pn_err_free(&err);
			continue;
		}
		snprintf(p, sizeof(p), "%s/etc/os-release", info->rootfs);
		is_str(slurp(p), "ID=tarball\n", "%s tarball: file content", filters[i]);
		snprintf(p, sizeof(p), "%s/usr/bin/tool", info->rootfs);
		ok(stat(p, &st) == 0 && (st.st_mode & 07777) == (is_root ? 04755 : 0755),
		   "%s tarball: mode kept (setuid only when the owner is)", filters[i]);
		snprintf(p, sizeof(p), "%s/usr/bin/tool2", info->rootfs);
		ok(stat(p, &st2) == 0 && st2.st_ino == st.st_ino, "%s tarball: hard link",
		   filters[i]);
		snprintf(p, sizeof(p), "%s/bin/tool", info->rootfs);
		ok(stat(p, &st2) == 0 && st2.st_ino == st.st_ino, "%s tarball: relative symlink",
		   filters[i]);
		ok(info->entrypoint == NULL && info->cmd == NULL,
		   "%s tarball: no config defaults", filters[i]);
		image_info_free(info);
		pn_err_free(&err);
	}
}

/* An OCI image layout (and a docker save archive) of two layers:
 * the second deletes etc/a, makes dir/ opaque and adds dir/z. */
static void test_import_layouts(void)
{
	static const struct tentry layer1[] = {
		{ 'd', "etc", NULL, 0755 },
		{ 'f', "etc/a", "a\n", 0 },
		{ 'f', "etc/b", "b\n", 0 },
		{ 'd', "dir", NULL, 0755 },
		{ 'f', "dir/x", "x\n", 0 },
		{ 'f', "dir/y", "y\n", 0 },
		{ 'l', "link", "/tmp", 0 },
	};
	static const struct tentry layer2[] = {
		{ 'f', "dir/z", "z\n", 0 },       /* before the opaque marker */
		{ 'f', "etc/.wh.a", "", 0 },
		{ 'f', "dir/.wh..wh..opq", "", 0 },
		{ 'f', "link/.wh.podnet-image-victim", "", 0 }, /* resolves in the image */
		{ 'f', "etc/c", "c\n", 0 },
	};
	static const char *config =
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
		"\"Entrypoint\":[\"/bin/app\"],\"Cmd\":[\"--port\",\"80\"],"
		"\"Env\":[\"PATH=/usr/bin\",\"A=b\"],\"WorkingDir\":\"/srv\"}}";
	char l1[700], l2[700], victim[700], tar[700], p[2048], man[1024];
	struct image_info *info = NULL;
	struct pn_err err = { 0 };
	int r;

	snprintf(l1, sizeof(l1), "%s/l1.tar.gz", srcdir);
	snprintf(l2, sizeof(l2), "%s/l2.tar", srcdir);
	write_tar(l1, "gzip", layer1, PN_ARRAY_SIZE(layer1));
	write_tar(l2, "none", layer2, PN_ARRAY_SIZE(layer2));
	/* The node file a hostile whiteout would hit if it escaped. */
	snprintf(victim, sizeof(victim), "/tmp/podnet-image-victim");
	put(victim, "keep me\n");

	/* Layer blobs by fake digest: digests are not verified (no registry,
	 * the user's own files), only used as names. */
	snprintf(p, sizeof(p),
		 "set -e; cd '%s'; rm -rf oci; mkdir -p oci/blobs/sha256; "
		 "cp l1.tar.gz oci/blobs/sha256/1111; cp l2.tar oci/blobs/sha256/2222; "
		 "echo '{\"imageLayoutVersion\":\"1.0.0\"}' > oci/oci-layout",
		 srcdir);
	ok(run(p) == 0, "OCI layout: blobs laid out");
	snprintf(p, sizeof(p), "%s/oci/blobs/sha256/cccc", srcdir);
	put(p, config);
	snprintf(p, sizeof(p), "%s/oci/blobs/sha256/aaaa", srcdir);
	put(p, "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:cccc\"},\"layers\":["
	       "{\"digest\":\"sha256:1111\"},{\"digest\":\"sha256:2222\"}]}");
	snprintf(p, sizeof(p), "%s/oci/index.json", srcdir);
	put(p, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
	       "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:aaaa\","
	       "\"annotations\":{\"org.opencontainers.image.ref.name\":\"1.0\"}}]}");
	snprintf(tar, sizeof(tar), "%s/oci.tar", srcdir);
	snprintf(p, sizeof(p), "tar -C '%s/oci' -cf '%s' .", srcdir, tar);
	ok(run(p) == 0, "OCI layout: tarball made with tar(1)");

	r = image_import(root, "oci/app:1.0", tar, 0, &info, &err);
	is_int(r, 0, "import an OCI image layout tarball (%s)", pn_err_msg(&err));
	if (r == 0) {
		ok(!exists("%s/etc/%s", info->rootfs, "a"), "OCI: whiteout removed etc/a");
		ok(exists("%s/etc/%s", info->rootfs, "b") && exists("%s/etc/%s", info->rootfs, "c"),
		   "OCI: etc/b kept, etc/c added");
		ok(!exists("%s/dir/%s", info->rootfs, "x") && !exists("%s/dir/%s", info->rootfs, "y"),
		   "OCI: opaque dir hides the lower layer's files");
		ok(exists("%s/dir/%s", info->rootfs, "z"), "OCI: opaque dir keeps its own layer's files");
		ok(!exists("%s/%s", info->rootfs, "unpack") && !exists("%s/%s", info->rootfs, "blobs"),
		   "OCI: the layout itself is not in the rootfs");
		is_str(slurp(victim), "keep me\n", "OCI: a whiteout through a symlink stays in the image");
		ok(info->entrypoint && !strcmp(info->entrypoint[0], "/bin/app") && !info->entrypoint[1],
		   "OCI: entrypoint from the config");
		ok(info->cmd && !strcmp(info->cmd[0], "--port") && !strcmp(info->cmd[1], "80") &&
			   !info->cmd[2],
		   "OCI: cmd from the config");
		ok(info->env && !strcmp(info->env[1], "A=b"), "OCI: env from the config");
		is_str(info->working_dir, "/srv", "OCI: working dir from the config");
		image_info_free(info);
		info = NULL;
		r = image_get(root, "oci/app:1.0", &info, &err);
		ok(r == 0 && info->cmd && !strcmp(info->cmd[1], "80") && info->working_dir &&
			   !strcmp(info->working_dir, "/srv"),
		   "OCI: config read back from image.json");
		image_info_free(info);
		info = NULL;
	}

	/* docker save: manifest.json naming <id>/layer.tar files. */
	snprintf(p, sizeof(p),
		 "set -e; cd '%s'; rm -rf ds; mkdir -p ds/l1 ds/l2; "
		 "gzip -dc l1.tar.gz > ds/l1/layer.tar; cp l2.tar ds/l2/layer.tar; "
		 "cp oci/blobs/sha256/cccc ds/cfg.json; "
		 "echo '[{\"Config\":\"cfg.json\",\"RepoTags\":[\"ds:1\"],"
		 "\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\"]}]' > ds/manifest.json; "
		 "tar -C ds -czf ds.tar.gz .",
		 srcdir);
	ok(run(p) == 0, "docker save: archive made");
	snprintf(tar, sizeof(tar), "%s/ds.tar.gz", srcdir);
	r = image_import(root, "ds:1", tar, 0, &info, &err);
	is_int(r, 0, "import a docker save archive (%s)", pn_err_msg(&err));
	if (r == 0) {
		ok(!exists("%s/etc/%s", info->rootfs, "a") && exists("%s/etc/%s", info->rootfs, "b") &&
			   !exists("%s/dir/%s", info->rootfs, "x") &&
			   exists("%s/dir/%s", info->rootfs, "z"),
		   "docker save: layers flattened with whiteouts");
		ok(info->entrypoint && !strcmp(info->entrypoint[0], "/bin/app"),
		   "docker save: config read");
		image_info_free(info);
		info = NULL;
	}

	/* The OCI layout as a directory imports the same way. */
	snprintf(man, sizeof(man), "%s/oci", srcdir);
	r = image_import(root, "oci/dir", man, 0, &info, &err);
	ok(r == 0 && info && !exists("%s/etc/%s", info->rootfs, "a") &&
		   exists("%s/etc/%s", info->rootfs, "c"),
	   "import an OCI layout directory (%s)", pn_err_msg(&err));
	image_info_free(info);
	unlink(victim);
	pn_err_free(&err);
}

static void test_import_evil(void)
{
	static const struct tentry dotdot[] = {
		{ 'd', "etc", NULL, 0 },
		{ 'f', "etc/ok", "fine\n", 0 },
		{ 'f', "etc/../../escape-dotdot", "pwned\n", 0 },
	};
	static const struct tentry abs_path[] = {
		{ 'f', "ok", "fine\n", 0 },
		{ 'f', "/tmp/podnet-escape-abs", "pwned\n", 0 },
	};
	static const struct tentry through_link[] = {
		{ 'l', "evil", "/tmp/podnet-escape-dir", 0 },
		{ 'f', "evil/pwned", "pwned\n", 0 },
	};
	static const struct tentry rel_link[] = {
		{ 'l', "up", "../../../../../../../tmp/podnet-escape-dir", 0 },
		{ 'f', "up/pwned2", "pwned\n", 0 },
	};
	static const struct tentry hard_out[] = {
		{ 'h', "shadow", "/etc/shadow", 0 },
	};
	static const struct {
		const char *name;
		const struct tentry *t;
		size_t n;
		const char *escape;
	} cases[] = {
		{ "evil:dotdot", dotdot, PN_ARRAY_SIZE(dotdot), NULL },
		{ "evil:abs", abs_path, PN_ARRAY_SIZE(abs_path), "/tmp/podnet-escape-abs" },
		{ "evil:symlink", through_link, PN_ARRAY_SIZE(through_link),
		  "/tmp/podnet-escape-dir/pwned" },
		{ "evil:rel-symlink", rel_link, PN_ARRAY_SIZE(rel_link),
		  "/tmp/podnet-escape-dir/pwned2" },
		{ "evil:hardlink", hard_out, PN_ARRAY_SIZE(hard_out), NULL },
	};
	char images[600], esc[700];

	snprintf(images, sizeof(images), "%s/images", root);
	snprintf(esc, sizeof(esc), "%s/escape-dotdot", root);
	mkdir("/tmp/podnet-escape-dir", 0755);
	for (size_t i = 0; i < PN_ARRAY_SIZE(cases); i++) {
		struct image_info *info = NULL;
		struct pn_err err = { 0 };
		char tar[700];
		int r;

		snprintf(tar, sizeof(tar), "%s/evil-%zu.tar", srcdir, i);
		write_tar(tar, "none", cases[i].t, cases[i].n);
		r = image_import(root, cases[i].name, tar, 0, &info, &err);
		ok(r < 0 && info == NULL, "%s refused: %s", cases[i].name, pn_err_msg(&err));
		ok(count_prefix(images, "evil") == 0 &&
			   image_get(root, cases[i].name, &info, &err) == -ENOENT,
		   "%s: no image left", cases[i].name);
		is_int(count_prefix(images, ".import-"), 0, "%s: no temp dir left", cases[i].name);
		if (cases[i].escape)
			ok(!exists("%s%s", cases[i].escape, ""), "%s: nothing written at %s",
			   cases[i].name, cases[i].escape);
		image_info_free(info);
		pn_err_free(&err);
	}
	ok(!exists("%s%s", esc, "") && !exists("%s/escape-dotdot", srcdir, ""),
	   "evil:dotdot: nothing written outside");
	rmdir("/tmp/podnet-escape-dir");
}

static void test_duplicates_list_remove(void)
{
	struct image_info *info = NULL, *list = NULL;
	struct pn_err err = { 0 };
	char d[600], oldid[IMAGE_ID_LEN + 1] = "";
	size_t n = 0;
	int r;

	snprintf(d, sizeof(d), "%s/tree", srcdir);
	r = image_get(root, "test/dir:1", &info, &err);
	is_int(r, 0, "test/dir:1 is there to be replaced (%s)", pn_err_msg(&err));
	if (r == 0)
		memcpy(oldid, info->id, sizeof(oldid));
	image_info_free(info);
	info = NULL;

	r = image_import(root, "test/dir:1", d, 0, &info, &err);
	ok(r == -EEXIST && err.code == PN_E_ALREADY_EXISTS, "duplicate name is an error");
	is_str(pn_err_msg(&err), "image \"test/dir:1\" already exists", "duplicate message");
	r = image_import(root, "test/dir:1", d, IMAGE_IMPORT_FORCE, &info, &err);
	ok(r == 0 && info && oldid[0] && strcmp(info->id, oldid), "IMAGE_IMPORT_FORCE replaces it (new id)");
	image_info_free(info);
	info = NULL;

	r = image_import(root, "host", d, 0, &info, &err);
	ok(r < 0 && strstr(pn_err_msg(&err), "built in"), "host cannot be imported: %s", pn_err_msg(&err));
	r = image_import(root, "host:latest", d, IMAGE_IMPORT_FORCE, &info, &err);
	ok(r < 0, "host:latest cannot be imported either");
	r = image_remove(root, "host", &err);
	is_str(r < 0 ? pn_err_msg(&err) : "", "image \"host\" is built in and cannot be removed",
	       "host cannot be removed");

	r = image_get(root, "host", &info, &err);
	ok(r == 0 && info->builtin && !strcmp(info->rootfs, "/") && !strcmp(info->name, "host"),
	   "host always exists, rootfs /");
	image_info_free(info);
	info = NULL;

	r = image_get(root, "nginx:1.25", &info, &err);
	ok(r == -ENOENT && info == NULL && err.code == PN_E_NOT_FOUND,
	   "unknown image: -ENOENT, PN_E_NOT_FOUND");
	is_str(pn_err_msg(&err),
	       "image \"nginx:1.25\" not found: import it with \"podnet image import nginx:1.25 FILE|DIR\"",
	       "unknown image message");
	r = image_get(root, "nginx", &info, &err);
	is_str(pn_err_msg(&err), "image \"nginx\" not found: import it with \"podnet image import nginx FILE|DIR\"",
	       "unknown image message uses the name as given");

	r = image_list(root, &list, &n, &err);
	is_int(r, 0, "list");
	ok(n >= 2 && !strcmp(list[0].name, "host"), "list: host first");
	{
		int sorted = 1, found = 0;

		for (size_t i = 1; i < n; i++) {
			if (i > 1 && strcmp(list[i - 1].name, list[i].name) >= 0)
				sorted = 0;
			if (!strcmp(list[i].name, "test/dir:1"))
				found = 1;
		}
		ok(sorted && found, "list: imported images sorted by name (%zu)", n);
	}
	image_info_array_free(list, n);
	list = NULL;

	r = image_remove(root, "tarball:none", &err);
	is_int(r, 0, "remove (%s)", pn_err_msg(&err));
	r = image_get(root, "tarball:none", &info, &err);
	ok(r == -ENOENT, "removed image is gone");
	r = image_remove(root, "tarball:none", &err);
	ok(r == -ENOENT && strstr(pn_err_msg(&err), "not found"), "removing it again: not found");
	{
		char images[600];

		snprintf(images, sizeof(images), "%s/images", root);
		is_int(count_prefix(images, ".remove-"), 0, "no trash dir left");
	}
	pn_err_free(&err);
}

/* ---- root filesystems ------------------------------------------------- */

static void test_rootfs_host(unsigned flags, const char *label)
{
	char cdir[600], p[1024], marker[128], *rootfs = NULL, *again = NULL;
	struct pn_err err = { 0 };
	int r, before;

	snprintf(cdir, sizeof(cdir), "%s/containers/host-%s", root, label);
	snprintf(marker, sizeof(marker), "/etc/podnet-image-test-%d", getpid());
	before = mounts_matching(cdir);
	r = image_rootfs_prepare_opts(root, "host", cdir, flags, &rootfs, &err);
	is_int(r, 0, "%s: prepare host rootfs (%s)", label, pn_err_msg(&err));
	if (r < 0) {
		pn_err_free(&err);
		return;
	}
	snprintf(p, sizeof(p), "%s/rootfs", cdir);
	is_str(rootfs, p, "%s: rootfs path is <container_dir>/rootfs", label);
	ok(mounts_matching(p) == 1, "%s: one overlay mounted", label);
	{
		char *want = strdup(slurp("/etc/os-release") ? slurp("/etc/os-release") : "x");

		snprintf(p, sizeof(p), "%s/etc/os-release", rootfs);
		is_str(slurp(p), want, "%s: /etc/os-release read through the overlay", label);
		free(want);
	}
	snprintf(p, sizeof(p), "%s%s", rootfs, marker);
	put(p, "container write\n");
	ok(exists("%s%s", rootfs, marker) && !exists("%s%s", marker, ""),
	   "%s: a write in the overlay does not reach the node", label);
	ok(!exists("%s%s/images", rootfs, root), "%s: the podnet root is hidden in the overlay",
	   label);
	/* nginx comes from scripts/install-deps.sh, as the run check below
	 * needs it too. */
	ok(exists("%s%s", "/etc/nginx", "") && exists("%s%s", rootfs, "/etc/nginx") &&
		   exists("%s%s", rootfs, "/var/www/html") && exists("%s%s", rootfs, "/var/log/nginx") &&
		   exists("%s%s", rootfs, "/var/lib/nginx"),
	   "%s: nginx's dirs are in the overlay", label);
	{
		/* The node's tools run inside: chroot in a child. */
		pid_t pid;
		int st = -1;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			if (chroot(rootfs) < 0 || chdir("/") < 0)
				_exit(126);
			execl("/bin/sh", "sh", "-c",
			      "for c in nginx curl ip ss sleep sh; do command -v $c >/dev/null || exit 1; done;"
			      " ip -V >/dev/null 2>&1 && ss -V >/dev/null 2>&1 && "
			      "curl -V >/dev/null && nginx -v 2>/dev/null && sleep 0",
			      (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "%s: sh, nginx, curl, ip, ss, sleep run inside (exit %d)", label,
		   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	r = image_rootfs_prepare_opts(root, "host", cdir, flags, &again, &err);
	ok(r == 0 && mounts_matching(rootfs) == 1, "%s: prepare again keeps the one mount", label);
	free(again);

	r = rootfs_release(cdir, &err);
	is_int(r, 0, "%s: release (%s)", label, pn_err_msg(&err));
	is_int(mounts_matching(cdir), before, "%s: no mount left in mountinfo", label);
	ok(!exists("%s/%s", cdir, "rootfs") && !exists("%s/%s", cdir, "upper") &&
		   !exists("%s/%s", cdir, "work") && !exists("%s/%s", cdir, "cow"),
	   "%s: rootfs, upper, work removed", label);
	ok(!exists("%s%s", marker, ""), "%s: the node never saw the write", label);
	r = rootfs_release(cdir, &err);
	is_int(r, 0, "%s: release again is a no-op", label);
	free(rootfs);
	pn_err_free(&err);
}

static void test_rootfs_imported(void)
{
	char cdir[600], p[1024], *rootfs = NULL;
	struct image_info *info = NULL;
	struct pn_err err = { 0 };
	int r;

	r = image_get(root, "tarball:gzip", &info, &err);
	if (r < 0) {
		ok(0, "tarball:gzip image present (%s)", pn_err_msg(&err));
		pn_err_free(&err);
		return;
	}
	snprintf(cdir, sizeof(cdir), "%s/containers/c:1,x", root);
	r = image_rootfs_prepare(root, "tarball:gzip", cdir, &rootfs, &err);
	is_int(r, 0, "imported: prepare (a ':' and ',' in the path) (%s)", pn_err_msg(&err));
	if (r == 0) {
		snprintf(p, sizeof(p), "%s/etc/os-release", rootfs);
		is_str(slurp(p), "ID=tarball\n", "imported: image file through the overlay");
		put(p, "ID=changed\n");
		snprintf(p, sizeof(p), "%s/etc/os-release", info->rootfs);
		is_str(slurp(p), "ID=tarball\n", "imported: a write does not reach the image");
		r = image_remove(root, "tarball:gzip", &err);
		ok(r == -EBUSY && strstr(pn_err_msg(&err), "in use"), "imported: remove while mounted refused: %s",
		   pn_err_msg(&err));
		r = image_import(root, "tarball:gzip", info->source, IMAGE_IMPORT_FORCE, NULL, &err);
		ok(r == -EBUSY, "imported: forced import over it while mounted refused");
		r = rootfs_release(cdir, &err);
		is_int(r, 0, "imported: release (%s)", pn_err_msg(&err));
		is_int(mounts_matching("/containers/c"), 0, "imported: no mount left");
		r = image_remove(root, "tarball:gzip", &err);
		is_int(r, 0, "imported: remove after release (%s)", pn_err_msg(&err));
	}
	free(rootfs);
	image_info_free(info);
	pn_err_free(&err);
}

/*
 * An image change (rootfs.h): the new image's root file system in a
 * generation dir while the old one stays mounted, then the old released
 * by its path; rootfs_release_container() takes every generation.
 */
static void test_rootfs_generations(void)
{
	char cdir[600], p[1024], *gen = NULL, *gen2 = NULL, *first = NULL, *next = NULL,
				   *third = NULL;
	struct pn_err err = { 0 };
	int r;

	snprintf(cdir, sizeof(cdir), "%s/containers/gens", root);
	r = image_rootfs_prepare(root, "host", cdir, &first, &err);
	is_int(r, 0, "gens: the first root file system (%s)", pn_err_msg(&err));
	r = rootfs_gen_dir(cdir, &gen, &err);
	snprintf(p, sizeof(p), "%s/" ROOTFS_GEN_PREFIX, cdir);
	ok(r == 0 && !strncmp(gen, p, strlen(p)) && strlen(gen) == strlen(p) + 6,
	   "gens: a generation dir <container_dir>/image.XXXXXX: %s", gen ? gen : "-");
	r = image_rootfs_prepare(root, "tarball:gzip", gen, &next, &err);
	is_int(r, 0, "gens: the next image's root file system in it (%s)", pn_err_msg(&err));
	if (r < 0 || !first) {
		pn_err_free(&err);
		goto out;
	}
	ok(mounts_matching(first) == 1 && mounts_matching(next) == 1,
	   "gens: both mounted at once (the container still runs on the first)");
	snprintf(p, sizeof(p), "%s/etc/os-release", next);
	is_str(slurp(p), "ID=tarball\n", "gens: the next one is the new image's");

	r = rootfs_release_path(cdir, "/var/tmp/elsewhere/rootfs", &err);
	is_int(r, 0, "gens: a rootfs that is not the container's: nothing done");
	r = rootfs_release_path(cdir, first, &err);
	is_int(r, 0, "gens: release the first by its path (%s)", pn_err_msg(&err));
	ok(mounts_matching(first) == 0 && !exists("%s/%s", cdir, "upper") && exists("%s%s", cdir, ""),
	   "gens: its mount and upper gone, the container dir kept");
	ok(mounts_matching(next) == 1, "gens: the next one still mounted");

	/* Two more generations; one released by path (its dir goes), then
	 * the container's all at once. */
	r = rootfs_gen_dir(cdir, &gen2, &err);
	if (r == 0)
		r = image_rootfs_prepare(root, "host", gen2, &third, &err);
	is_int(r, 0, "gens: a third generation (%s)", pn_err_msg(&err));
	r = rootfs_release_path(cdir, next, &err);
	is_int(r, 0, "gens: release the second by its path (%s)", pn_err_msg(&err));
	ok(!exists("%s%s", gen, "") && mounts_matching(next) == 0,
	   "gens: its generation dir and mount are gone");
	r = rootfs_release_container(cdir, &err);
	is_int(r, 0, "gens: release the container's (%s)", pn_err_msg(&err));
	ok(gen2 && !exists("%s%s", gen2, "") && mounts_matching(cdir) == 0,
	   "gens: no generation dir nor mount left");
	is_int(count_prefix(cdir, ROOTFS_GEN_PREFIX), 0, "gens: nothing named image.* left");
	r = rootfs_release_container(cdir, &err);
	is_int(r, 0, "gens: again: a no-op");
out:
	pn_err_free(&err);
	free(first);
	free(next);
	free(third);
	free(gen);
	free(gen2);
}

int main(void)
{
	char tmpl[] = "/var/tmp/podnet-image-XXXXXX";
	char cmd[600];

	is_root = geteuid() == 0;
	if (is_root && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		have_ns = 1;
	/* On the node's root filesystem (not /tmp, which may be a tmpfs):
	 * the host overlay's upper dir is then inside its lower layer. */
	if (!mkdtemp(tmpl)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(root, sizeof(root), "%s", tmpl);
	snprintf(srcdir, sizeof(srcdir), "%s/src", root);
	mkdir(srcdir, 0755);

	test_names();
	test_import_dir();
	test_import_tarballs();
	test_import_layouts();
	test_import_evil();
	test_duplicates_list_remove();
	if (have_ns) {
		test_rootfs_host(0, "disk");
		test_rootfs_host(IMAGE_ROOTFS_UPPER_TMPFS, "tmpfs");
		test_rootfs_generations();
		test_rootfs_imported();
	} else if (is_root) {
		ok(0, "a private mount namespace for the overlay tests (unshare, rprivate /)");
	} else {
		for (int i = 0; i < 4; i++)
			ok(1, "overlay rootfs # SKIP needs root");
	}

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (run(cmd) != 0)
		printf("# cannot remove %s\n", root);
	return tap_done();
}
