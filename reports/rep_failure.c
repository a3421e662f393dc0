/* rep_failure.c — see rep_failure.h. */
#include "rep_failure.h"

#include <assert.h>
#include <stdlib.h>

#include "sim_util.h"

char *rep_failure_line(const sim_failure *f)
{
    assert(f != NULL);
    base_buf b;
    base_buf_init(&b, 0);
    base_buf_puts(&b, f->message != NULL ? f->message : "");
    if (f->expected != NULL || f->observed != NULL) {
        base_buf_printf(&b, ": expected %s, observed %s", f->expected != NULL ? f->expected : "-",
                       f->observed != NULL ? f->observed : "-");
    }
    return base_buf_take(&b);
}

char *rep_failure_summary(const sim_result *r)
{
    assert(r != NULL);
    if (r->verdict == SIM_VERDICT_SKIP) return sim_strdup(r->skip_reason != NULL ? r->skip_reason : "");
    if (r->failure_count == 0) return sim_strdup("");
    char *line = rep_failure_line(&r->failures[0]);
    if (line == NULL || r->failure_count == 1) return line;
    char *text = sim_strdup_printf("%s (and %u more)", line, r->failure_count - 1);
    free(line);
    return text;
}

char *rep_failure_text(const sim_result *r, const sim_failure *f)
{
    assert(r != NULL && f != NULL);
    base_buf b;
    base_buf_init(&b, 0);
    base_buf_printf(&b, "%s:%u:%u: %s: ", r->file != NULL ? r->file : "?", f->line, f->col,
                   sim_failure_kind_name(f->kind));
    base_buf_puts(&b, f->message != NULL ? f->message : "");
    if (f->expected != NULL) {
        base_buf_puts(&b, "\n  expected: ");
        base_buf_puts(&b, f->expected);
    }
    if (f->observed != NULL) {
        base_buf_puts(&b, "\n  observed: ");
        base_buf_puts(&b, f->observed);
    }
    if (f->execution != SIM_RESULT_NONE || f->time_ns != SIM_RESULT_NO_TIME) {
        base_buf_puts(&b, "\n  at: ");
        if (f->execution != SIM_RESULT_NONE) base_buf_printf(&b, "execution %u", f->execution + 1);
        if (f->time_ns != SIM_RESULT_NO_TIME) {
            char t[40];
            sim_format_duration(f->time_ns, t, sizeof t);
            base_buf_printf(&b, "%st=%s", f->execution != SIM_RESULT_NONE ? ", " : "", t);
        }
    }
    return base_buf_take(&b);
}
