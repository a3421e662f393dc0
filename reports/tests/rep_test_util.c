/* rep_test_util.c — see rep_test_util.h. */
#define _DEFAULT_SOURCE /* mkstemps */
#include "rep_test_util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim_load.h"
#include "sim_obs.h"
#include "sim_run.h"
#include "sim_util.h"

sim_run_info rt_info(void)
{
    return (sim_run_info){.command = "run", .version = "0.1.0-test", .seed = 1, .strategy = "fifo",
                          .profile = NULL, .backend = "model"};
}

/* ---- files and streams --------------------------------------------------------------- */

char *rt_slurp(FILE *f, size_t *len)
{
    assert_non_null(f);
    assert_int_equal(fflush(f), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)size, f);
    buf[got] = '\0';
    fclose(f);
    if (len != NULL) *len = got;
    return buf;
}

char *rt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    return rt_slurp(f, len);
}

bool rt_write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) return false;
    bool ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* ---- model runs ------------------------------------------------------------------------ */

void rt_run_data(const char *name, sim_result *out)
{
    char path[512], shown[512];
    const char *dir = strchr(name, '/') != NULL ? "" : "data/"; /* "diagrams/x.yaml": not in data/ */
    snprintf(path, sizeof path, "%s/%s%s", REP_TEST_DIR, dir, name);
    snprintf(shown, sizeof shown, "reports/tests/%s%s", dir, name);
    size_t len = 0;
    char *text = rt_read_file(path, &len);
    assert_non_null(text);
    sim_diag diag;
    sim_diag_init(&diag, shown);
    sim_scenario sc;
    bool ok = sim_load_buffer(shown, (const uint8_t *)text, len, &sc, &diag);
    if (!ok) sim_diag_print(&diag, stderr);
    sim_diag_fini(&diag);
    free(text);
    assert_true(ok);
    sim_run_options opt = sim_run_options_default();
    opt.keep_obs = true;
    sim_run_model(&sc, &opt, out);
    out->wall_time_ns = 1234567; /* fixed: outputs must not depend on the clock */
    sim_scenario_free(&sc);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

sim_result *rt_run_all_data(uint32_t *count)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data", REP_TEST_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[64];
    uint32_t n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL && n < 64) {
        size_t len = strlen(ent->d_name);
        if (len > 5 && strcmp(ent->d_name + len - 5, ".yaml") == 0) names[n++] = strdup(ent->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    sim_result *results = calloc((size_t)n + 1, sizeof *results);
    assert_non_null(results);
    for (uint32_t i = 0; i < n; i++) {
        rt_run_data(names[i], &results[i]);
        free(names[i]);
    }
    *count = n;
    return results;
}

/* ---- hand-built results ------------------------------------------------------------------- */

static void add_step(sim_result *r, const char *op, const char *where, uint32_t line)
{
    r->steps = realloc(r->steps, (r->step_count + 1) * sizeof *r->steps);
    assert_non_null(r->steps);
    r->steps[r->step_count++] = (sim_step_result){.line = line, .col = 9, .op = op, .where = strdup(where),
                                                  .executions = 1, .has_expect = true,
                                                  .observed = strdup("success")};
}

static void add_exec(sim_obs *o, uint32_t step, uint16_t p, int32_t value, uint8_t outcome,
                     uint64_t s0, uint64_t s1, int64_t t0_ms, int64_t t1_ms)
{
    sim_exec e = {.step = step, .outcome = outcome, .value = value, .port = SIM_PORT_NONE,
                  .callback = SIM_NONE, .request = -1, .start_ns = t0_ms * 1000000,
                  .end_ns = t1_ms * 1000000, .start_seq = s0, .end_seq = s1, .process = p, .thread = 0};
    if (step == 2 || step == 5) { /* the sends */
        e.msgid = step == 2 ? 7 : 8;
        e.convid = step == 2 ? 1 : 2;
        e.request = step == 2 ? 0 : 2;
    }
    assert_int_not_equal(sim_obs_add_exec(o, &e), SIM_NONE);
}

static void add_event(sim_obs *o, uint8_t kind, uint16_t p, uint16_t t, uint64_t seq, int64_t t_ms,
                      int64_t msg, int32_t code)
{
    sim_event e = {.kind = kind, .process = p, .thread = t, .time_ns = t_ms * 1000000, .seq = seq,
                   .port = kind == SIM_EV_PORT_DIED || kind == SIM_EV_INVALIDATION_CALLBACK ? 1 : SIM_PORT_NONE,
                   .msgid = 7, .convid = 1, .code = code, .msg = msg, .step = SIM_NONE,
                   .note = kind == SIM_EV_ANOMALY ? "a test anomaly <&>" : NULL};
    if (kind == SIM_EV_REPLY_SENT) e.flags = SIM_EVF_DELIVERED;
    assert_int_not_equal(sim_obs_add_event(o, &e), SIM_NONE);
}

/* Two processes: a request answered late, a dropped late reply, a crash, a blocked send. */
static void small_observation(sim_result *r)
{
    sim_obs *o = calloc(1, sizeof *o);
    assert_non_null(o);
    sim_obs_init(o);
    const uint16_t none = UINT16_MAX;
    add_event(o, SIM_EV_START, 0, none, 0, 0, -1, 1);
    add_exec(o, 0, 0, 1, SIM_OUTCOME_RETURNED, 1, 2, 0, 0);        /* create_local */
    add_exec(o, 1, 0, 0, SIM_OUTCOME_KILLED, 3, 22, 0, 700);       /* run_loop */
    add_event(o, SIM_EV_START, 1, none, 4, 1, -1, 1);
    add_exec(o, 2, 1, -2, SIM_OUTCOME_RETURNED, 5, 14, 1, 101);    /* send: receive_timeout */
    add_event(o, SIM_EV_ENQUEUE, 1, 0, 6, 1, 0, 0);
    add_event(o, SIM_EV_CALLOUT, 0, 0, 7, 1, 0, 0);
    add_exec(o, 3, 0, 0, SIM_OUTCOME_RETURNED, 8, 15, 1, 301);     /* work */
    add_exec(o, 4, 0, 0, SIM_OUTCOME_RETURNED, 16, 17, 301, 301);  /* reply */
    add_event(o, SIM_EV_CALLOUT_DONE, 0, 0, 18, 301, -1, 0);
    add_event(o, SIM_EV_REPLY_SENT, 0, 0, 19, 301, 1, 0);
    add_event(o, SIM_EV_REPLY_DROPPED, 1, 0, 20, 500, 1, 0);
    add_event(o, SIM_EV_INVALIDATION_CALLBACK, 1, 0, 21, 600, -1, 0);
    add_event(o, SIM_EV_CRASH, 0, none, 22, 700, -1, 1);
    add_event(o, SIM_EV_PORT_DIED, 0, none, 23, 700, -1, 0);
    add_exec(o, 5, 1, 0, SIM_OUTCOME_BLOCKED, 24, 30, 800, 2000);  /* send: blocked */
    add_event(o, SIM_EV_ENQUEUE, 1, 0, 25, 800, 2, 0);
    add_event(o, SIM_EV_NAME_RELEASED, none, none, 26, 900, -1, 0);
    add_event(o, SIM_EV_WARNING, 1, 0, 27, 900, -1, 1);
    add_event(o, SIM_EV_ANOMALY, 1, 0, 28, 900, -1, 0);
    o->end_ns = 2000000000;
    o->end_reason = "time_limit";
    r->obs = o;
    const char *procs[] = {"server", "client"};
    r->process_count = 2;
    r->process_names = calloc(2, sizeof *r->process_names);
    r->thread_names = calloc(2, sizeof *r->thread_names);
    r->thread_counts = calloc(2, sizeof *r->thread_counts);
    for (uint32_t p = 0; p < 2; p++) {
        r->process_names[p] = strdup(procs[p]);
        r->thread_names[p] = calloc(1, sizeof(char *));
        r->thread_names[p][0] = strdup("main");
        r->thread_counts[p] = 1;
    }
    add_step(r, "create_local", "server/main", 10);
    add_step(r, "run_loop", "server/main", 12);
    add_step(r, "send", "client/main", 20);
    add_step(r, "work", "handler slow", 30);
    add_step(r, "reply", "handler slow", 31);
    add_step(r, "send", "client/main", 22);
}

static void identity(sim_result *r, const char *file, const char *name, uint64_t seed)
{
    sim_result_init(r);
    r->file = strdup(file);
    r->scenario = name != NULL ? strdup(name) : NULL;
    r->seed = seed;
    r->has_trace_hash = true;
    r->trace_hash = UINT64_C(0x0123456789abcdef) ^ seed;
    r->event_count = 49;
    r->virtual_time_ns = INT64_C(2001000000);
    r->end_reason = "quiescent";
    r->wall_time_ns = 1500000 + seed;
    r->replay = sim_strdup_printf("portsim run %s --seed %llu --strategy fifo --profile ventura", file,
                                  (unsigned long long)seed);
}

static char *long_string(size_t n)
{
    static const char unit[] = "A<&]]>\"'";
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) s[i] = unit[i % (sizeof unit - 1)];
    s[n] = '\0';
    return s;
}

static const char hostile_name[] = "hostile \"name\" <b>&amp; ]]> \x01\x1b[31m # \\ \xc3\x28 \xef\xbf\xbe "
                                   "\xc2\x85 \xed\xa0\x80 \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\x89\ttab\nnewline\r";

static void hostile(sim_result *r)
{
    identity(r, "scenarios/ev\xffil/<x>&\"q'.yaml", hostile_name, 9);
    char *big = long_string(100000);
    r->about = strdup(big);
    r->rules = calloc(2, sizeof *r->rules);
    r->rules[0] = strdup("R<1>");
    r->rules[1] = strdup("R&2");
    r->rule_count = 2;
    add_step(r, "send", "client/<main> & \"x\"", 3);
    r->steps[0].label = strdup("label ]]> \x02");
    r->steps[0].failed = true;
    sim_failure *f = sim_result_add_failure(r, SIM_FAIL_EXPECT, 3, 9, "send result\x07 <bad> & \"worse\" ]]>",
                                            "\"<&>\"\n\x0b", big);
    f->step = 0;
    f->execution = 0;
    f->time_ns = 5;
    sim_result_add_failure(r, SIM_FAIL_INVARIANT, 1, 1, hostile_name, NULL, NULL);
    free(r->replay);
    r->replay = strdup("portsim run 'scenarios/ev\xffil/<x>&\"q'\\''.yaml' --seed 9 --strategy fifo --profile ventura");
    free(big);
}

sim_result *rt_hand_results(uint32_t *count)
{
    sim_result *r = calloc(8, sizeof *r);
    assert_non_null(r);
    identity(&r[0], "scenarios/send/echo.yaml", "send-echo", 1);
    small_observation(&r[0]);
    r[0].rules = calloc(1, sizeof *r[0].rules);
    r[0].rules[0] = strdup("R27");
    r[0].rule_count = 1;
    r[0].about = strdup("A request and its late reply.");

    identity(&r[1], "scenarios/send/fails.yaml", "send-fails", 1);
    add_step(&r[1], "send", "client/main", 21);
    sim_failure *f = sim_result_add_failure(&r[1], SIM_FAIL_EXPECT, 21, 11, "send result", "receive_timeout",
                                            "success");
    f->step = 0;
    f->execution = 0;
    f->time_ns = 101000000;
    r[1].steps[0].failed = true;
    sim_result_add_failure(&r[1], SIM_FAIL_EVENTS, 30, 5, "callout count", "1", "0");

    identity(&r[2], "scenarios/naming/skipped.yaml", "naming-skipped", 1);
    r[2].verdict = SIM_VERDICT_SKIP;
    r[2].skip_reason = strdup("backend apple is not available # here \\ there");

    sim_result_init(&r[3]);
    r[3].file = strdup("scenarios/bad/broken.yaml");
    sim_result_add_failure(&r[3], SIM_FAIL_LOAD, 3, 5, "unknown key 'foo'", NULL, NULL);
    sim_result_add_failure(&r[3], SIM_FAIL_LOAD, 7, 12, "bad duration '5 parsecs'", NULL, NULL);

    hostile(&r[4]);

    identity(&r[5], "scenarios/send/echo.yaml", "send-echo", 2); /* the same name again */
    identity(&r[6], "scenarios/send/echo.yaml", "send-echo", 1);
    r[6].backend = "posix";
    r[6].rt = (sim_realtime){.runs = 3, .failed_runs = 0, .has_margin = true, .margin_ns = -7250000,
                             .margin_line = 28};
    sim_result_add_note(&r[6], "echo.yaml:16: the set_dispatch_queue result is not observable");
    sim_result_add_note(&r[6], "a <b> & \"c\" # d\nnot ok 99 - injected");
    *count = 7;
    for (uint32_t i = 0; i < *count; i++) assert_true(sim_result_validate(&r[i]));
    return r;
}

void rt_free_results(sim_result *results, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) sim_result_free(&results[i]);
    free(results);
}

/* ---- text checks ------------------------------------------------------------------------------ */

bool rt_valid_xml_chars(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        unsigned char b = s[i];
        size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || i + n > len) return false;
        unsigned long cp = n == 1 ? b : b & (0x3Fu >> (n - 1));
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        static const unsigned long min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') return false;
        if ((cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) return false;
        i += n;
    }
    return true;
}

uint32_t rt_count(const char *haystack, const char *needle)
{
    uint32_t n = 0;
    size_t step = strlen(needle);
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += step) n++;
    return n;
}

/* ---- external tools ------------------------------------------------------------------------------- */

char *rt_temp_path(const char *suffix)
{
    const char *dir = getenv("TMPDIR");
    char *path = sim_strdup_printf("%s/rep-test-XXXXXX%s", dir != NULL && dir[0] ? dir : "/tmp", suffix);
    assert_non_null(path);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    close(fd);
    return path;
}

bool rt_have_tool(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL) path = "/usr/bin:/bin";
    char *copy = strdup(path);
    bool found = false;
    for (char *dir = strtok(copy, ":"); dir != NULL && !found; dir = strtok(NULL, ":")) {
        char *full = sim_strdup_printf("%s/%s", dir, name);
        found = full != NULL && access(full, X_OK) == 0;
        free(full);
    }
    free(copy);
    return found;
}

int rt_run_tool(const char *const *argv, char **output)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    base_buf b;
    base_buf_init(&b, 0);
    char chunk[4096];
    for (ssize_t got; (got = read(fds[0], chunk, sizeof chunk)) > 0;) base_buf_append(&b, chunk, (size_t)got);
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) status = -1;
    *output = base_buf_take(&b);
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- reading a diagram's SVG back ---------------------------------------------------------------- */

bool rt_parse_duration(const char *text, size_t len, int64_t *ns)
{
    size_t i = 0;
    if (i < len && text[i] == '+') i++;
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    size_t digits = 0;
    for (; i < len && text[i] >= '0' && text[i] <= '9' && digits < 18; i++, digits++) {
        whole = whole * 10 + (uint64_t)(text[i] - '0');
    }
    if (digits == 0) return false;
    if (i < len && text[i] == '.') {
        size_t fd = 0;
        for (i++; i < len && text[i] >= '0' && text[i] <= '9' && fd < 9; i++, fd++) {
            frac = frac * 10 + (uint64_t)(text[i] - '0');
            frac_scale *= 10;
        }
        if (fd == 0) return false;
    }
    static const struct {
        const char *unit;
        uint64_t per;
    } units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t n = strlen(units[u].unit);
        if (len - i == n && memcmp(text + i, units[u].unit, n) == 0) {
            *ns = (int64_t)(whole * units[u].per + frac * units[u].per / frac_scale);
            return true;
        }
    }
    return false;
}

/* The value of attribute name="..." inside the tag that starts at tag (up to its '>'). */
static bool attr_u32(const char *tag, const char *name, uint32_t *value)
{
    const char *end = strchr(tag, '>');
    char key[32];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *a = strstr(tag, key);
    if (a == NULL || end == NULL || a > end) return false;
    *value = (uint32_t)strtoul(a + strlen(key), NULL, 10);
    return true;
}

bool rt_time_labels(const char *svg, rt_time_label *out, uint32_t max, uint32_t *count)
{
    *count = 0;
    const char *stop = strstr(svg, "</svg>");
    for (const char *p = svg; (p = strstr(p, "<text class=\"time")) != NULL && (stop == NULL || p < stop); p++) {
        const char *gt = strchr(p, '>'), *close = gt != NULL ? strstr(gt, "</text>") : NULL;
        uint32_t y = 0;
        int64_t ns = 0;
        if (close == NULL || !attr_u32(p, "y", &y) || !rt_parse_duration(gt + 1, (size_t)(close - gt - 1), &ns)) {
            print_message("a time label that does not read: %.80s\n", p);
            return false;
        }
        if (*count < max) out[(*count)++] = (rt_time_label){.y = y, .ns = ns};
    }
    return true;
}

const char *rt_axis_problem(const rt_time_label *labels, uint32_t count)
{
    if (count == 0) return "no time labels";
    for (uint32_t i = 1; i < count; i++) {
        if (labels[i].y <= labels[i - 1].y) return "a time label at or above the one before it";
        if (labels[i].ns <= labels[i - 1].ns) return "a later label shows an earlier or equal time";
    }
    return NULL;
}

char *rt_group_texts(const char *svg, const char *class_prefix)
{
    base_buf b;
    base_buf_init(&b, 0);
    char open[96];
    snprintf(open, sizeof open, "<g class=\"%s", class_prefix);
    for (const char *p = svg; (p = strstr(p, open)) != NULL; p++) {
        const char *end = strstr(p, "</g>");
        if (end == NULL) break;
        for (const char *t = p; (t = strstr(t, "<text")) != NULL && t < end; t++) {
            const char *gt = strchr(t, '>'), *close = gt != NULL ? strstr(gt, "</text>") : NULL;
            if (close == NULL || close > end) break;
            base_buf_append(&b, gt + 1, (size_t)(close - gt - 1));
            base_buf_append(&b, "\n", 1);
        }
    }
    return base_buf_take(&b);
}
