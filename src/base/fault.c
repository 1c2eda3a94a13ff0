/* SPDX-License-Identifier: Apache-2.0 */
#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Points per process that can be armed at once; a test arms one or two. */
#define FAULT_MAX 8

static struct {
	int state; /* 0: environment not read yet, 1: off, 2: armed */
	size_t n;
	struct {
		char name[64];
		unsigned long at, hits;
		unsigned sleep_s; /* 0: SIGKILL */
	} pts[FAULT_MAX];
} F;

static void fault_read_env(void)
{
	const char *s = getenv("PODNET_FAULT");

	F.state = 1;
	while (s && *s && F.n < FAULT_MAX) {
		size_t len = strcspn(s, ",");
		size_t nlen = strcspn(s, "@:,");
		const char *at = memchr(s, '@', len), *act = memchr(s, ':', len);

		if (nlen > 0 && nlen < sizeof(F.pts[0].name)) {
			memcpy(F.pts[F.n].name, s, nlen);
			F.pts[F.n].name[nlen] = '\0';
			F.pts[F.n].at = at ? strtoul(at + 1, NULL, 10) : 1;
			if (F.pts[F.n].at == 0)
				F.pts[F.n].at = 1;
			if (act && !strncmp(act + 1, "sleep=", 6))
				F.pts[F.n].sleep_s = (unsigned)strtoul(act + 7, NULL, 10);
			F.n++;
			F.state = 2;
		}
		s += len;
		if (*s == ',')
			s++;
	}
}

void pn_fault_point(const char *name)
{
	if (F.state == 0)
		fault_read_env();
	if (F.state != 2)
		return;
	for (size_t i = 0; i < F.n; i++) {
		if (strcmp(F.pts[i].name, name) || ++F.pts[i].hits != F.pts[i].at)
			continue;
		if (F.pts[i].sleep_s) {
			struct timespec ts = { .tv_sec = F.pts[i].sleep_s };

			while (nanosleep(&ts, &ts) < 0)
				;
			continue;
		}
		/* SIGKILL cannot be caught or blocked: nothing of ours runs
		 * after this line, as with a real kill -9. */
		kill(getpid(), SIGKILL);
		pause();
	}
}
