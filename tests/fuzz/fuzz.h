/* zhitong — what every fuzz target shares (tests/fuzz/, README "Fuzzing").
 *
 * A target is one file, fuzz_NAME.c, defining
 *
 *     int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 *
 * (and, if it needs one, LLVMFuzzerInitialize). It feeds `data` to one
 * reader and checks what the reader promises: a refusal is a negative
 * ZT_E* code with a message, never a crash, a leak or undefined behaviour;
 * what is accepted obeys the rules of the format (formats back to the same
 * text, stays within range, re-reads to the same value). A broken promise
 * calls ZT_FUZZ_CHECK, which aborts: libFuzzer keeps the input as a crash.
 *
 * The same file builds two ways: with clang and libFuzzer in the fuzz build
 * (-DZT_FUZZ=ON), and with the normal compiler and driver.c, a plain main()
 * that runs each input given once (the replay of the seed corpus and of the
 * regression cases in every build). */
#ifndef ZHITONG_FUZZ_H
#define ZHITONG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with the place and a message when an invariant does not hold. */
#define ZT_FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                           \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: fuzz invariant broken: %s: ", __FILE__, __LINE__, \
			        #cond);                                                        \
			fprintf(stderr, __VA_ARGS__);                                          \
			fputc('\n', stderr);                                                   \
			abort();                                                               \
		}                                                                          \
	} while (0)

/* The input as a NUL-terminated string (malloc'd; the caller frees it).
 * Aborts on out of memory: that is the fuzzer's, not the reader's. */
char *zt_fuzz_strndup(const uint8_t *data, size_t size);

/* For readers that take a path: writes the input to this process's own
 * scratch file (created once in $TMPDIR, removed at exit) and returns its
 * path. Each call replaces the previous content. */
const char *zt_fuzz_file(const uint8_t *data, size_t size);

/* A private directory of this process (created once in $TMPDIR, removed
 * with what it holds at exit), for readers that look files up by name. */
const char *zt_fuzz_dir(void);

/* Writes data to the file NAME (no '/') of that directory, replacing it;
 * returns its path (a static buffer). */
const char *zt_fuzz_write(const char *name, const uint8_t *data, size_t size);

#endif
