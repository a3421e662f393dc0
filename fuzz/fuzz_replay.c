/*
 * fuzz_replay.c — replays committed fuzz inputs through one target without
 * libFuzzer, so every build (gcc, valgrind, asan) checks them (CTest:
 * fuzz_replay_<target>).
 *
 *   fuzz_replay_load [--skip LIST] PATH...
 *
 * Each PATH is a file or a directory (its regular files, in name order,
 * not recursing; names starting with '.' and README.md are left out).
 * LIST names inputs known to crash that a fix is still due for, one path
 * relative to the list's directory per line ('#' starts a comment): they
 * are reported and not run, so the tree stays green until the fix lands.
 * An input that crashes kills the process (the test fails) after the line
 * "fuzz_replay: running PATH", which names it.
 *
 * Exit: 0 all ran; 2 usage error, an unreadable path, or nothing to run.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "fuzz_target.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_SKIPS 256u
#define REPLAY_MAX_FILES 100000u
#define REPLAY_MAX_INPUT_BYTES ((size_t)16 << 20)

/* libFuzzer calls LLVMFuzzerInitialize only when a target defines it: so does the replay. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

typedef struct replay {
    char *skips[REPLAY_MAX_SKIPS]; /* real paths of the skipped inputs */
    unsigned skip_count;
    unsigned ran;
    unsigned skipped;
} replay;

/* Reads the skip list: each line a path relative to the list's own directory. */
static bool read_skips(replay *r, const char *list)
{
    FILE *f = fopen(list, "r");
    if (f == NULL) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", list, strerror(errno));
        return false;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", list);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        slash[1] = '\0';
    } else {
        dir[0] = '\0';
    }
    char line[PATH_MAX];
    for (unsigned n = 0; n < 10000 && fgets(line, sizeof line, f) != NULL; n++) {
        char *hash = strchr(line, '#');
        if (hash != NULL) *hash = '\0';
        size_t len = strcspn(line, " \t\r\n");
        line[len] = '\0';
        if (len == 0) continue;
        char path[2 * PATH_MAX + 1];
        snprintf(path, sizeof path, "%s%s", dir, line);
        char *real = realpath(path, NULL);
        if (real == NULL) {
            /* fixed and removed, or renamed: the list should follow, but it is not an error */
            fprintf(stderr, "fuzz_replay: note: %s lists %s, which does not exist\n", list, line);
            continue;
        }
        if (r->skip_count == REPLAY_MAX_SKIPS) {
            free(real);
            break;
        }
        r->skips[r->skip_count++] = real;
    }
    fclose(f);
    return true;
}

static bool is_skipped(const replay *r, const char *path)
{
    char *real = realpath(path, NULL);
    if (real == NULL) return false;
    bool found = false;
    for (unsigned i = 0; i < r->skip_count && !found; i++) found = strcmp(r->skips[i], real) == 0;
    free(real);
    return found;
}

/* Runs one input file through the target. */
static bool replay_file(replay *r, const char *path)
{
    if (is_skipped(r, path)) {
        printf("fuzz_replay: skipped %s (a known crash, listed until its fix lands)\n", path);
        r->skipped++;
        return true;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return false;
    }
    uint8_t *bytes = malloc(REPLAY_MAX_INPUT_BYTES + 1);
    size_t len = bytes != NULL ? fread(bytes, 1, REPLAY_MAX_INPUT_BYTES + 1, f) : 0;
    bool ok = bytes != NULL && !ferror(f) && len <= REPLAY_MAX_INPUT_BYTES;
    fclose(f);
    if (!ok) {
        fprintf(stderr, "fuzz_replay: %s: unreadable or larger than %zu bytes\n", path,
                REPLAY_MAX_INPUT_BYTES);
        free(bytes);
        return false;
    }
    printf("fuzz_replay: running %s (%zu bytes)\n", path, len);
    fflush(stdout);
    /* An exact-size copy, so that reading past the input is caught by ASan and valgrind. */
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL) {
        free(bytes);
        return false;
    }
    memcpy(exact, bytes, len);
    free(bytes);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    r->ran++;
    return true;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the regular files of a directory in name order (subdirectories are not entered). */
static bool replay_dir(replay *r, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", dir, strerror(errno));
        return false;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    bool ok = true;
    struct dirent *e;
    while (ok && count < REPLAY_MAX_FILES && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0) continue;
        if (count == cap) {
            size_t bigger = cap ? cap * 2 : 64;
            char **grown = realloc(names, bigger * sizeof *names);
            if (grown == NULL) {
                ok = false;
                break;
            }
            names = grown;
            cap = bigger;
        }
        names[count] = strdup(e->d_name);
        ok = names[count] != NULL;
        count += ok;
    }
    closedir(d);
    if (count > 0) qsort(names, count, sizeof *names, name_cmp);
    for (size_t i = 0; i < count; i++) {
        char path[2 * PATH_MAX + 2];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (ok && stat(path, &st) == 0 && S_ISREG(st.st_mode)) ok = replay_file(r, path);
        free(names[i]);
    }
    free(names);
    return ok;
}

/* Replays every path given; see the file comment. */
int main(int argc, char **argv)
{
    replay r = {0};
    int first = 1;
    bool ok = true;
    if (argc >= 3 && strcmp(argv[1], "--skip") == 0) {
        ok = read_skips(&r, argv[2]);
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [--skip LIST] PATH...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize != NULL) LLVMFuzzerInitialize(&argc, &argv);
    for (int i = first; ok && i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], strerror(errno));
            ok = false;
        } else if (S_ISDIR(st.st_mode)) {
            ok = replay_dir(&r, argv[i]);
        } else {
            ok = replay_file(&r, argv[i]);
        }
    }
    for (unsigned i = 0; i < r.skip_count; i++) free(r.skips[i]);
    printf("fuzz_replay: %u inputs ran, %u skipped as known crashes\n", r.ran, r.skipped);
    if (ok && r.ran == 0) {
        fprintf(stderr, "fuzz_replay: no input ran\n");
        return 2;
    }
    return ok ? 0 : 2;
}
