/* sim_test_util.c — see sim_test_util.h. */
#define _DEFAULT_SOURCE /* mkstemps */
#define _POSIX_C_SOURCE 200809L
#include "sim_test_util.h"
#include "sim_compile.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *st_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t capacity = 4096, n = 0;
    char *buf = malloc(capacity + 1);
    for (size_t got = 1; buf != NULL && got > 0;) {
        if (n == capacity) {
            char *bigger = realloc(buf, capacity * 2 + 1);
            if (bigger == NULL) break;
            buf = bigger;
            capacity *= 2;
        }
        got = fread(buf + n, 1, capacity - n, f);
        n += got;
    }
    fclose(f);
    if (buf != NULL) buf[n] = '\0';
    if (len != NULL) *len = n;
    return buf;
}

char **st_yaml_blocks(const char *markdown_path, uint32_t *count)
{
    *count = 0;
    char *text = st_read_file(markdown_path, NULL);
    assert_non_null(text);
    char **blocks = calloc(256, sizeof *blocks);
    assert_non_null(blocks);
    const char *p = text;
    while (*count < 256 && (p = strstr(p, "```yaml\n")) != NULL) {
        p += strlen("```yaml\n");
        const char *end = strstr(p, "```");
        assert_non_null(end);
        blocks[*count] = strndup(p, (size_t)(end - p));
        (*count)++;
        p = end + 3;
    }
    free(text);
    return blocks;
}

void st_free_blocks(char **blocks, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) free(blocks[i]);
    free(blocks);
}

char *st_slurp(FILE *f)
{
    fflush(f);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)size, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

char *st_write_temp(const char *text, const char *suffix)
{
    char *path = NULL;
    size_t n = strlen("/tmp/portsim_test_XXXXXX") + strlen(suffix) + 1;
    path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "/tmp/portsim_test_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static const char echo_text[] =
    "scenario: check-echo\n"                                                      /* 1 */
    "processes:\n"                                                                /* 2 */
    "  server:\n"                                                                 /* 3 */
    "    threads:\n"                                                              /* 4 */
    "      main:\n"                                                               /* 5 */
    "        - create_local: {port: svc, name: com.example.check, handler: echo}\n" /* 6 */
    "        - schedule: svc\n"                                                   /* 7 */
    "        - run_loop: {mode: default, for: 1s}\n"                              /* 8 */
    "  client:\n"                                                                 /* 9 */
    "    start: 1ms\n"                                                            /* 10 */
    "    threads:\n"                                                              /* 11 */
    "      main:\n"                                                               /* 12 */
    "        - create_remote: {port: r, name: com.example.check}\n"               /* 13 */
    "        - send: {port: r, msgid: 1, data: \"hi\", send_timeout: 1s, recv_timeout: 1s, reply_mode: default}\n" /* 14 */
    "          expect: {status: STATUS, reply: REPLY, elapsed: {max: MAXms}}\n"   /* 15 */
    "        - sleep: 1ms\n"                                                      /* 16 */
    "          expect: {runs: RUNS}\n"                                            /* 17 */
    "handlers:\n"                                                                 /* 18 */
    "  echo:\n"                                                                   /* 19 */
    "    - work: 3ms\n"                                                           /* 20 */
    "      expect: {elapsed: WORKms}\n"                                           /* 21 */
    "    - reply: echo\n"                                                         /* 22 */
    "expect_events:\n"                                                            /* 23 */
    "  - {callout: {process: server, port: svc}, count: CALLOUTS}\n";             /* 24 */

char *st_echo_variant(const char *status, const char *reply, const char *max_ms, const char *runs,
                      const char *work_ms, const char *callouts)
{
    const char *keys[] = {"STATUS", "REPLY", "MAX", "RUNS", "WORK", "CALLOUTS"};
    const char *values[] = {status, reply, max_ms, runs, work_ms, callouts};
    char *text = strdup(echo_text);
    for (size_t k = 0; k < 6; k++) {
        char *at = strstr(text, keys[k]);
        assert_non_null(at);
        size_t n = strlen(text) - strlen(keys[k]) + strlen(values[k]) + 1;
        char *next = malloc(n);
        assert_non_null(next);
        snprintf(next, n, "%.*s%s%s", (int)(at - text), text, values[k], at + strlen(keys[k]));
        free(text);
        text = next;
    }
    return text;
}

void st_load_text(const char *name, const char *text, sim_scenario *out)
{
    sim_diag diag;
    sim_diag_init(&diag, name);
    bool ok = sim_load_buffer(name, (const uint8_t *)text, strlen(text), out, &diag);
    if (!ok) {
        sim_diag_sort(&diag);
        sim_diag_print(&diag, stderr);
    }
    sim_diag_fini(&diag);
    if (!ok) fail_msg("%s does not load", name);
}

char *st_load_errors(const char *name, const uint8_t *bytes, size_t len)
{
    sim_diag diag;
    sim_diag_init(&diag, name);
    sim_scenario sc;
    bool ok = sim_load_buffer(name, bytes, len, &sc, &diag);
    if (ok) sim_scenario_free(&sc);
    assert_false(ok);
    assert_true(sim_diag_total(&diag) > 0);
    sim_diag_sort(&diag);
    FILE *f = tmpfile();
    assert_non_null(f);
    sim_diag_print(&diag, f);
    sim_diag_fini(&diag);
    return st_slurp(f);
}

static int cmp_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **st_scenario_files(const char *dir, uint32_t *count)
{
    *count = 0;
    uint32_t capacity = 256, dirs = 1, next_dir = 0;
    char **files = calloc(capacity, sizeof *files);
    char **todo = calloc(1024, sizeof *todo);
    assert_non_null(files);
    assert_non_null(todo);
    todo[0] = strdup(dir);
    while (next_dir < dirs) {
        char *d = todo[next_dir++];
        DIR *h = opendir(d);
        assert_non_null(h);
        struct dirent *e;
        while ((e = readdir(h)) != NULL) {
            if (e->d_name[0] == '.') continue;
            size_t n = strlen(d) + strlen(e->d_name) + 2;
            char *path = malloc(n);
            snprintf(path, n, "%s/%s", d, e->d_name);
            struct stat st;
            assert_int_equal(stat(path, &st), 0);
            size_t len = strlen(e->d_name);
            if (S_ISDIR(st.st_mode) && dirs < 1024) {
                todo[dirs++] = path;
            } else if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0 && *count < capacity) {
                files[(*count)++] = path;
            } else {
                free(path);
            }
        }
        closedir(h);
    }
    for (uint32_t i = 0; i < dirs; i++) free(todo[i]);
    free(todo);
    qsort(files, *count, sizeof *files, cmp_paths);
    return files;
}

typedef struct st_search {
    const sim_scenario *sc;
    sim_model_session *session;
    sim_run_options opt;
    sim_census *census;
    st_schedule_fn on_schedule;
    void *user;
} st_search;

/* One schedule of st_explore_census: run it, count its outcomes, ask the caller. */
static bool st_one_schedule(void *user, const cm_strategy *strategy, void *ctx)
{
    st_search *x = user;
    assert_non_null(strategy);
    sim_run_options opt = x->opt;
    opt.custom = strategy;
    opt.custom_ctx = ctx;
    assert_true(sim_model_session_run(x->session, &opt));
    const sim_obs *obs = sim_model_session_obs(x->session);
    sim_census_add(x->census, x->sc, obs);
    return x->on_schedule == NULL || x->on_schedule(x->user, x->sc, obs);
}

void st_explore_census(const sim_scenario *sc, const sim_exhaustive_limits *lim, st_schedule_fn on_schedule,
                       void *user, sim_census *census, sim_exhaustive_result *res)
{
    assert_true(sc != NULL && lim != NULL && census != NULL && res != NULL);
    st_search x = {.sc = sc, .census = census, .on_schedule = on_schedule, .user = user};
    x.opt = sim_run_options_default();
    x.opt.track_history = true;
    x.opt.track_symmetry = lim->symmetry;
    sim_compiled compiled;
    char err[256];
    if (!sim_compile(sc, x.opt.profile, &compiled, err, sizeof err)) fail_msg("compile: %s", err);
    x.session = sim_model_session_new(&compiled, &x.opt);
    assert_non_null(x.session);
    assert_true(sim_census_init(census, sc->step_count));
    assert_true(sim_explore_exhaustive(st_one_schedule, &x, lim, res));
    if (lim->symmetry) {
        uint32_t *rep = malloc(((size_t)sc->step_count + 1) * sizeof *rep);
        assert_non_null(rep);
        assert_true(sim_symmetry_reps(sc, &compiled.cfg, rep, NULL));
        sim_census_fold(census, rep);
        free(rep);
    }
    sim_model_session_free(x.session);
    sim_compiled_free(&compiled);
}

/* Whether outcome v was seen in some schedule. */
static bool st_census_has(const sim_census_counts *c, int32_t v)
{
    for (uint32_t i = 0; i < c->count; i++) {
        if (c->values[i] == v && c->schedules[i] > 0) return true;
    }
    return false;
}

void st_census_assert_same(const sim_census *a, const sim_census *b, uint32_t step_count)
{
    assert_true(a != NULL && b != NULL);
    for (uint32_t s = 0; s < step_count; s++) {
        const sim_census_counts *x = &a->steps[s], *y = &b->steps[s];
        assert_int_equal(x->ran > 0, y->ran > 0);
        assert_false(x->overflow || y->overflow);
        for (uint32_t i = 0; i < x->count; i++) {
            if (!st_census_has(y, x->values[i])) fail_msg("step %u: outcome %d only in the first", s, x->values[i]);
        }
        for (uint32_t i = 0; i < y->count; i++) {
            if (!st_census_has(x, y->values[i])) fail_msg("step %u: outcome %d only in the second", s, y->values[i]);
        }
    }
}
