/* zhitong tests — what the test servers (payer_server.c, loadgen_server.c)
 * share: their command line and the port they print. Header only: each is
 * a program of its own, linking nothing of the tests. */
#ifndef ZT_TEST_SERVER_ARGS_H
#define ZT_TEST_SERVER_ARGS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>

/* Reads argv: the names in `flags` (NULL-terminated) stand alone, every
 * other option takes a value; each is handed to `opt` (value NULL for a
 * flag), which returns false for one it does not know. 0, or 2 after
 * saying what is wrong on stderr (the exit status). */
static inline int zt_server_args(const char *prog, int argc, char **argv,
                                 const char *const *flags,
                                 bool (*opt)(const char *name, const char *value))
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool flag = false;
		for (const char *const *f = flags; *f && !flag; f++)
			flag = strcmp(a, *f) == 0;
		if (!flag && !v) {
			fprintf(stderr, "%s: %s needs a value\n", prog, a);
			return 2;
		}
		if (!flag)
			i++;
		if (!opt(a, flag ? NULL : v)) {
			fprintf(stderr, "%s: unknown option %s\n", prog, a);
			return 2;
		}
	}
	return 0;
}

/* The port the daemon listens on, as the line the tests wait for. */
static inline void zt_server_print_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("%u\n", info ? (unsigned int)info->port : 0u);
	fflush(stdout);
}

#endif
