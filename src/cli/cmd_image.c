/* SPDX-License-Identifier: Apache-2.0 */
/* podnet image import|rm, podnet images: the local image store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "image.h"
#include "output.h"

static void human_size(int64_t b, char *buf, size_t n)
{
	/* crictl prints sizes as go-units HumanSize: decimal units, 3 digits. */
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)b;
	size_t i = 0;

	while (v >= 1000 && i + 1 < PN_ARRAY_SIZE(u)) {
		v /= 1000;
		i++;
	}
	snprintf(buf, n, "%.3g%s", v, u[i]);
}

static int image_import_main(int argc, char **argv, const struct podnet_env *env)
{
	bool force = false;
	struct flag flags[] = {
		FLAG_DEF("force", 0, FLAG_BOOL, &force),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct image_info *info = NULL;
	struct pn_err err = { 0 };
	int rc = 1;

	argv[0] = "image import";
	if (cmd_flags(flags, argc, argv, &a) < 0)
		goto out;
	if (a.n != 2) {
		cmd_usage_errorf("image import", "expected NAME FILE|DIR, got %zu argument%s", a.n,
				 a.n == 1 ? "" : "s");
		goto out;
	}
	if (image_import(env->root, a.v[0], a.v[1], force ? IMAGE_IMPORT_FORCE : 0, &info, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	printf("Imported %s (%.13s) from %s\n", info->name, info->id, info->source);
	rc = 0;
out:
	image_info_free(info);
	pn_err_free(&err);
	flag_args_free(&a);
	return rc;
}

static int image_rm_main(int argc, char **argv, const struct podnet_env *env)
{
	struct flag flags[] = { FLAG_END };
	struct flag_args a = { 0 };
	struct pn_err err = { 0 };
	int rc = 1;

	argv[0] = "image rm";
	if (cmd_flags(flags, argc, argv, &a) < 0)
		goto out;
	if (a.n == 0) {
		cmd_usage_errorf("image rm", "expected at least one image name");
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (image_remove(env->root, a.v[i], &err) < 0) {
			cmd_error(&err);
			pn_err_free(&err);
			rc = 1;
			continue;
		}
		printf("Deleted: %s\n", a.v[i]);
	}
out:
	flag_args_free(&a);
	return rc;
}

int cmd_image(int argc, char **argv)
{
	struct podnet_env env;

	podnet_env_load(&env);
	if (argc < 2) {
		cmd_usage(stderr, cmd_find("image"));
		return 1;
	}
	if (!strcmp(argv[1], "import"))
		return image_import_main(argc - 1, argv + 1, &env);
	if (!strcmp(argv[1], "rm") || !strcmp(argv[1], "remove"))
		return image_rm_main(argc - 1, argv + 1, &env);
	if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list")) {
		argv[1] = "image ls";
		return cmd_images(argc - 1, argv + 1);
	}
	/* A flag before the subcommand: the parent command has none. */
	if (argv[1][0] == '-' && argv[1][1]) {
		struct flag none[] = { FLAG_END };
		struct flag_args a = { 0 };

		if (cmd_flags(none, argc, argv, &a) < 0)
			return 1;
		flag_args_free(&a);
	}
	cmd_errorf("unknown command \"%s\" for \"podnet image\" (import, rm, ls)", argv[1]);
	return 1;
}

int cmd_images(int argc, char **argv)
{
	bool quiet = false;
	struct flag flags[] = {
		FLAG_DEF("quiet", 'q', FLAG_BOOL, &quiet),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct podnet_env env;
	struct image_info *imgs = NULL;
	struct pn_err err = { 0 };
	struct table *t = NULL;
	size_t n = 0;
	int rc = 1;
	/* crictl images: IMAGE TAG IMAGE ID SIZE */
	static const char *const hdr[] = { "IMAGE", "TAG", "IMAGE ID", "SIZE" };

	if (cmd_flags(flags, argc, argv, &a) < 0 || cmd_no_args(argv[0], &a, 0) < 0)
		goto out;
	podnet_env_load(&env);
	if (image_list(env.root, &imgs, &n, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", imgs[i].name);
		rc = 0;
		goto out;
	}
	if (table_new(TABLE_CRICTL, 4, hdr, &t, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char repo[256], size[32], id[14];
		const char *colon = strrchr(imgs[i].name, ':');
		const char *slash = strrchr(imgs[i].name, '/');
		const char *tag = "latest";

		snprintf(repo, sizeof(repo), "%s", imgs[i].name);
		if (colon && (!slash || colon > slash)) {
			repo[colon - imgs[i].name] = '\0';
			tag = colon + 1;
		}
		human_size(imgs[i].size, size, sizeof(size));
		snprintf(id, sizeof(id), "%.13s", imgs[i].id);
		const char *row[] = { repo, tag, id, size };

		if (table_add_row(t, row, &err) < 0) {
			cmd_error(&err);
			goto out;
		}
	}
	if (table_print(t, stdout, true, &err) < 0)
		goto out;
	rc = 0;
out:
	table_free(t);
	image_info_array_free(imgs, n);
	pn_err_free(&err);
	flag_args_free(&a);
	return rc;
}
