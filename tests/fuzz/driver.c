/* zhitong — a plain main() for the fuzz targets (see fuzz.h), for builds
 * without libFuzzer: runs LLVMFuzzerTestOneInput once on each file named,
 * and on each file of each directory named (in name order, hidden files
 * skipped), like a libFuzzer binary given files. The normal and sanitized
 * builds replay the seed corpus and the regression cases with it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	unsigned char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			unsigned char *b = realloc(buf, cap *= 2);
			if (!b)
				free(buf);
			buf = b;
		}
	}
	int bad = ferror(f) || !buf;
	fclose(f);
	if (bad) {
		fprintf(stderr, "%s: cannot read it\n", path);
		free(buf);
		return -1;
	}
	/* An exact-size copy, so that ASan sees a read past the input. */
	unsigned char *in = malloc(len ? len : 1);
	if (!in) {
		free(buf);
		return -1;
	}
	memcpy(in, buf, len);
	free(buf);
	fprintf(stderr, "Running: %s\n", path);
	LLVMFuzzerTestOneInput(in, len);
	free(in);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_hidden(const struct dirent *e) { return e->d_name[0] != '.'; }

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	int runs = 0, failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			failed++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed += run_file(argv[i]) != 0;
			runs++;
			continue;
		}
		struct dirent **names = NULL;
		int n = scandir(argv[i], &names, skip_hidden, by_name);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			failed++;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
			free(names[k]);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				failed += run_file(path) != 0;
				runs++;
			}
		}
		free(names);
	}
	fprintf(stderr, "Executed %d inputs%s\n", runs, failed ? ", some could not be read" : "");
	return failed ? 1 : 0;
}
