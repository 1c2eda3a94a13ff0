/* SPDX-License-Identifier: Apache-2.0 */
/* podnet image import|rm, podnet images: the local image store. */
#include <getopt.h>
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
	struct image_info *info = NULL;
	struct pn_err err = { 0 };
	unsigned flags = 0;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "--force")) {
		flags |= IMAGE_IMPORT_FORCE;
		i++;
	}
	if (argc - i != 2) {
		cmd_errorf("usage: podnet image import [--force] NAME FILE|DIR");
		return 1;
	}
	if (image_import(env->root, argv[i], argv[i + 1], flags, &info, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return 1;
	}
	printf("Imported %s (%.13s) from %s\n", info->name, info->id, info->source);
	image_info_free(info);
	pn_err_free(&err);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	struct podnet_env env;
	struct pn_err err = { 0 };

	podnet_env_load(&env);
	if (argc < 2) {
		cmd_usage(stderr, cmd_find("image"));
		return 1;
	}
	if (!strcmp(argv[1], "import"))
		return image_import_main(argc - 1, argv + 1, &env);
	if (!strcmp(argv[1], "rm") || !strcmp(argv[1], "remove")) {
		int rc = 0;

		if (argc < 3) {
			cmd_errorf("usage: podnet image rm NAME...");
			return 1;
		}
		for (int i = 2; i < argc; i++) {
			if (image_remove(env.root, argv[i], &err) < 0) {
				cmd_error(&err);
				rc = 1;
				continue;
			}
			printf("Deleted: %s\n", argv[i]);
		}
		pn_err_free(&err);
		return rc;
	}
	if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list"))
		return cmd_images(1, argv + 1);
	cmd_errorf("unknown image command \"%s\" (import, rm, ls)", argv[1]);
	return 1;
}

int cmd_images(int argc, char **argv)
{
	struct podnet_env env;
	struct image_info *imgs = NULL;
	struct pn_err err = { 0 };
	struct table *t = NULL;
	size_t n = 0;
	bool quiet = argc > 1 && !strcmp(argv[1], "-q");
	int rc = 1;

	podnet_env_load(&env);
	if (image_list(env.root, &imgs, &n, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return 1;
	}
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", imgs[i].name);
		rc = 0;
		goto out;
	}
	/* crictl images: IMAGE TAG IMAGE ID SIZE */
	static const char *const hdr[] = { "IMAGE", "TAG", "IMAGE ID", "SIZE" };

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
	return rc;
}
