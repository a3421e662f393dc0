/* base_fy.c — see base_fy.h. */
#include "base_fy.h"

#include <assert.h>
#include <string.h>

#include <libfyaml.h>

/* Why: libfyaml prints some messages through its output callback only; keep them, cut. */
static void capture_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    base_fy *fy = user;
    assert(fy != NULL);
    assert(fy->raw_len < sizeof fy->raw);
    assert(buf != NULL || len == 0);
    size_t room = sizeof fy->raw - 1 - fy->raw_len;
    size_t n = len < room ? len : room;
    if (n > 0) memcpy(fy->raw + fy->raw_len, buf, n);
    fy->raw_len += n;
    fy->raw[fy->raw_len] = '\0';
}

/* Why: libfyaml's default diagnostic prints to stderr; ours collects, uncoloured. */
bool base_fy_init(base_fy *fy)
{
    assert(fy != NULL);
    memset(fy, 0, sizeof *fy);
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = capture_output;
    dcfg.user = fy;
    dcfg.colorize = false;
    fy->diag = fy_diag_create(&dcfg);
    if (fy->diag != NULL) fy_diag_set_collect_errors(fy->diag, true);
    assert(fy->raw_len == 0);
    return fy->diag != NULL;
}

/* Why: the diagnostic outlives the parser; its owner releases it here. */
void base_fy_fini(base_fy *fy)
{
    assert(fy != NULL);
    assert(fy->raw_len < sizeof fy->raw);
    if (fy->diag != NULL) fy_diag_destroy(fy->diag);
    fy->diag = NULL;
    fy->iter = NULL;
}

/* Why: callers want libfyaml's errors as positions and text, skipping its warnings. */
bool base_fy_next_error(base_fy *fy, base_fy_error *out)
{
    assert(fy != NULL);
    assert(fy->diag != NULL);
    assert(out != NULL);
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(fy->diag, &fy->iter)) != NULL) {
        if (e->type < FYET_ERROR) continue;
        out->line = e->line > 0 ? (uint32_t)e->line : 1; /* already 1-based */
        out->col = e->column > 0 ? (uint32_t)e->column : 1;
        out->message = e->msg != NULL ? e->msg : "syntax error";
        return true;
    }
    return false;
}

/* Why: the raw text ends in libfyaml's newline; a message is one trimmed line. */
const char *base_fy_raw(base_fy *fy)
{
    assert(fy != NULL);
    assert(fy->raw_len < sizeof fy->raw);
    size_t n = strlen(fy->raw);
    while (n > 0 && (fy->raw[n - 1] == '\n' || fy->raw[n - 1] == ' ' || fy->raw[n - 1] == '\r')) {
        fy->raw[--n] = '\0';
    }
    return fy->raw;
}

/* Why: both parsers pull events the same way, each event freed, with a bound on the count. */
bool base_fy_drive(struct fy_parser *parser, uint32_t max_events, base_fy_event_fn fn, void *ctx)
{
    assert(parser != NULL);
    assert(fn != NULL);
    assert(max_events > 0);
    for (uint32_t n = 0; n < max_events; n++) {
        struct fy_event *ev = fy_parser_parse(parser);
        if (ev == NULL) return false;
        bool end = ev->type == FYET_STREAM_END;
        bool more = fn(ctx, ev);
        fy_parser_event_free(parser, ev);
        if (end) return true;
        if (!more) return false;
    }
    return false;
}
