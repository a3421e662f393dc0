/*
 * cli_files.c — the scenario files named by PATH arguments, for every
 * command alike.
 *
 * A file argument is taken as it is. A folder is searched recursively for
 * *.yaml and *.yml, hidden entries skipped, symbolic links to folders not
 * followed (no cycles), links to files followed; each folder's files come
 * in byte order of their paths. One file met twice (a link to a file, or
 * the same path given twice) runs once: the later name is reported on
 * stderr, never dropped silently. More than CLI_FILES_MAX files is an
 * error, not a silent cut.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"
#include "base_alloc.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    uint32_t index; /* in the order found */
} file_id;

typedef struct collector {
    cli_ctx *c;
    cli_files *out;
    file_id *ids;      /* [out->count]: the identity of each file kept */
    uint32_t id_capacity;
    bool too_many;
} collector;

void cli_files_free(cli_files *f)
{
    for (uint32_t i = 0; i < f->count; i++) free(f->items[i]);
    free(f->items);
    memset(f, 0, sizeof *f);
}

/* Appends path (taken over; freed on failure). */
static bool files_push(cli_files *f, char *path)
{
    if (path == NULL) return false;
    char **items = base_grow_array(f->items, &f->capacity, f->count + 1, 16, sizeof *items);
    if (items == NULL) {
        free(path);
        return false;
    }
    f->items = items;
    f->items[f->count++] = path;
    return true;
}

static bool has_yaml_suffix(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int path_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Keeps a scenario file with its identity (duplicates are removed at the end). */
static bool keep(collector *k, char *path, const struct stat *st)
{
    if (k->out->count >= CLI_FILES_MAX) {
        k->too_many = true;
        free(path);
        return false;
    }
    file_id *ids = base_grow_array(k->ids, &k->id_capacity, k->out->count + 1, 16, sizeof *ids);
    if (ids == NULL) {
        free(path);
        return false;
    }
    k->ids = ids;
    k->ids[k->out->count] = (file_id){st->st_dev, st->st_ino, k->out->count};
    return files_push(k->out, path);
}

static int id_cmp(const void *x, const void *y)
{
    const file_id *a = x, *b = y;
    if (a->dev != b->dev) return a->dev < b->dev ? -1 : 1;
    if (a->ino != b->ino) return a->ino < b->ino ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* One file met twice runs once, under its first name; the others are said. O(n log n). */
static bool dedupe(collector *k)
{
    cli_files *f = k->out;
    if (f->count < 2) return true;
    qsort(k->ids, f->count, sizeof *k->ids, id_cmp);
    uint32_t *first = malloc((size_t)f->count * sizeof *first); /* [index]: its first name, or itself */
    if (first == NULL) return false;
    for (uint32_t i = 0; i < f->count; i++) {
        bool same = i > 0 && k->ids[i].dev == k->ids[i - 1].dev && k->ids[i].ino == k->ids[i - 1].ino;
        first[k->ids[i].index] = same ? first[k->ids[i - 1].index] : k->ids[i].index;
    }
    for (uint32_t i = 0; i < f->count; i++) { /* say so, before anything moves */
        if (first[i] != i) fprintf(k->c->err, "portsim: %s is the same file as %s: run once\n", f->items[i], f->items[first[i]]);
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < f->count; i++) {
        if (first[i] != i) {
            free(f->items[i]);
        } else {
            f->items[kept++] = f->items[i];
        }
    }
    f->count = kept;
    free(first);
    return true;
}

/* One folder: its scenario files into found, its sub-folders onto work. */
static bool scan_dir(collector *k, const char *dir, cli_files *work, cli_files *found)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(k->c->err, "portsim: %s: %s\n", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    size_t n = strlen(dir);
    bool slash = n > 0 && dir[n - 1] == '/';
    struct dirent *ent;
    while (ok && (ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.') continue; /* ., .. and hidden entries */
        char *path = sim_strdup_printf("%s%s%s", dir, slash ? "" : "/", ent->d_name);
        struct stat st;
        if (path == NULL || lstat(path, &st) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            ok = files_push(work, path); /* links to folders are not followed */
        } else if (has_yaml_suffix(ent->d_name) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            ok = found->count < CLI_FILES_MAX && files_push(found, path);
            k->too_many = k->too_many || !ok;
        } else {
            free(path);
        }
    }
    closedir(d);
    return ok;
}

/* A folder's scenario files, recursively (an explicit work list, no recursion), sorted. */
static bool scan_tree(collector *k, const char *root)
{
    cli_files work = {0}, found = {0};
    bool ok = files_push(&work, sim_strdup(root));
    while (ok && work.count > 0) {
        char *dir = work.items[--work.count];
        ok = scan_dir(k, dir, &work, &found);
        free(dir);
    }
    cli_files_free(&work);
    if (found.count > 1) qsort(found.items, found.count, sizeof *found.items, path_cmp);
    for (uint32_t i = 0; ok && i < found.count; i++) {
        struct stat st;
        char *path = found.items[i];
        found.items[i] = NULL;
        ok = stat(path, &st) == 0 ? keep(k, path, &st) : (free(path), true);
    }
    cli_files_free(&found);
    return ok;
}

int cli_collect(cli_ctx *c, cli_files *out)
{
    assert(c != NULL && out != NULL);
    assert(out->count == 0);
    collector k = {.c = c, .out = out};
    int code = -1;
    for (uint32_t i = 0; i < c->path_count && code < 0; i++) {
        const char *path = c->paths[i];
        struct stat st;
        if (stat(path, &st) != 0) {
            fprintf(c->err, "portsim: %s: %s\n", path, strerror(errno));
            code = CLI_EXIT_USAGE;
        } else if (!(S_ISDIR(st.st_mode) ? scan_tree(&k, path) : keep(&k, sim_strdup(path), &st))) {
            if (k.too_many) {
                fprintf(c->err, "portsim: more than %u scenario files: name fewer paths\n", CLI_FILES_MAX);
            } else {
                fprintf(c->err, "portsim: %s: cannot list the scenario files\n", path);
            }
            code = CLI_EXIT_USAGE;
        }
    }
    if (code < 0 && !dedupe(&k)) code = CLI_EXIT_USAGE;
    free(k.ids);
    if (code < 0 && out->count == 0) {
        fprintf(c->err, "portsim: no scenario files (*.yaml, *.yml) found\n");
        code = CLI_EXIT_USAGE;
    }
    if (code >= 0) cli_files_free(out);
    return code;
}
