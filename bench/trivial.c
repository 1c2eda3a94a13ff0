/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exec half of the benchmark's floor: what a CNI plugin costs before it
 * does any work.  It reads its config from stdin to EOF, as a plugin must,
 * and exits 0.  bench/run.sh links it statically, as the CNI plugins are,
 * so the dynamic loader is not part of the floor either.
 */
#include <unistd.h>

int main(void)
{
	char buf[4096];

	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
