/* zhitong — the fuzz targets' shared helpers (see fuzz.h). */
#define _GNU_SOURCE
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
	abort();
}

char *zt_fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		die("out of memory");
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char dir_path[PATH_MAX];
static pid_t dir_owner;

/* Removes the scratch directory and the files in it. */
static void remove_dir(void)
{
	if (!dir_path[0] || getpid() != dir_owner)
		return;
	DIR *d = opendir(dir_path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir_path);
}

const char *zt_fuzz_dir(void)
{
	if (dir_path[0])
		return dir_path;
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !tmp[0])
		tmp = "/tmp";
	snprintf(dir_path, sizeof dir_path, "%s/zt-fuzz-XXXXXX", tmp);
	if (!mkdtemp(dir_path))
		die("cannot make a scratch directory");
	dir_owner = getpid();
	atexit(remove_dir);
	return dir_path;
}

const char *zt_fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	static char path[PATH_MAX + 256];
	snprintf(path, sizeof path, "%s/%s", zt_fuzz_dir(), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("cannot write a scratch file");
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("cannot write a scratch file");
		}
		done += (size_t)n;
	}
	if (close(fd) != 0)
		die("cannot write a scratch file");
	return path;
}

const char *zt_fuzz_file(const uint8_t *data, size_t size)
{
	return zt_fuzz_write("input", data, size);
}
