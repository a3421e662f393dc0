/* sim_yemit.c — see sim_yemit.h. */
#include "sim_yemit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

bool sim_yedit_init(sim_yedit *e, const sim_ydoc *doc)
{
    e->doc = doc;
    e->deleted = calloc((size_t)doc->count + 1, 1);
    e->replace = calloc((size_t)doc->count + 1, sizeof *e->replace);
    e->out_line = calloc((size_t)doc->count + 1, sizeof *e->out_line);
    e->out_col = calloc((size_t)doc->count + 1, sizeof *e->out_col);
    return e->deleted != NULL && e->replace != NULL && e->out_line != NULL && e->out_col != NULL;
}

void sim_yedit_fini(sim_yedit *e)
{
    for (uint32_t i = 0; e->replace != NULL && i < e->doc->count; i++) free(e->replace[i]);
    free(e->replace);
    free(e->deleted);
    free(e->out_line);
    free(e->out_col);
    memset(e, 0, sizeof *e);
}

uint32_t sim_yedit_node_at(const sim_yedit *e, uint32_t line, uint32_t col)
{
    assert(e != NULL && e->out_line != NULL);
    for (uint32_t i = 0; i < e->doc->count; i++) {
        if (e->out_line[i] == line && e->out_col[i] == col) return i;
    }
    return SIM_NONE;
}

/* The text being written, and the position of its next byte (new bytes are scanned once). */
typedef struct emitter {
    const sim_yedit *e;
    base_buf buf;
    size_t scanned;    /* bytes of buf counted so far */
    uint32_t line;     /* of the byte at `scanned` */
    size_t line_start; /* offset where that line starts */
} emitter;

/* Records where node `index` starts: the next byte written. */
static void mark(emitter *m, uint32_t index)
{
    const sim_yedit *e = m->e;
    if (e->out_line[index] != 0) return;
    for (; m->scanned < m->buf.len; m->scanned++) {
        if (m->buf.data[m->scanned] == '\n') {
            m->line++;
            m->line_start = m->scanned + 1;
        }
    }
    e->out_line[index] = m->line;
    e->out_col[index] = (uint32_t)(m->buf.len - m->line_start + 1);
}

/* Could this text be written as a plain block scalar and read back the same? */
static bool plain_safe(const char *s, size_t len)
{
    if (len == 0 || strlen(s) != len) return false;
    if (strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) != NULL && !(s[0] == '-' && len > 1 && s[1] != ' ')) {
        return false;
    }
    if (s[len - 1] == ' ' || s[len - 1] == ':') return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') return false;
        if (s[i] == ':' && (s[i + 1] == ' ' || s[i + 1] == '\0')) return false;
        if (s[i] == '#' && i > 0 && s[i - 1] == ' ') return false;
    }
    return true;
}

static void put_quoted(base_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    base_buf_puts(b, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[5] = {0};
        switch (c) {
        case '"': base_buf_puts(b, "\\\""); continue;
        case '\\': base_buf_puts(b, "\\\\"); continue;
        case '\n': base_buf_puts(b, "\\n"); continue;
        case '\t': base_buf_puts(b, "\\t"); continue;
        case '\r': base_buf_puts(b, "\\r"); continue;
        case 0: base_buf_puts(b, "\\0"); continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            esc[0] = '\\';
            esc[1] = 'x';
            esc[2] = hex[c >> 4];
            esc[3] = hex[c & 15];
            base_buf_puts(b, esc);
        } else {
            esc[0] = (char)c;
            base_buf_puts(b, esc);
        }
    }
    base_buf_puts(b, "\"");
}

char *sim_yaml_quote(const char *s, size_t len)
{
    base_buf b;
    base_buf_init(&b, 0);
    put_quoted(&b, s, len);
    return base_buf_take(&b);
}

static void put_scalar(emitter *m, uint32_t index)
{
    const sim_yedit *e = m->e;
    base_buf *b = &m->buf;
    const sim_ynode *n = &e->doc->nodes[index];
    mark(m, index);
    if (e->replace[index] != NULL) {
        base_buf_puts(b, e->replace[index]);
    } else if (n->style == SIM_YS_PLAIN && plain_safe(n->text, n->len)) {
        base_buf_puts(b, n->text);
    } else if (n->style == SIM_YS_PLAIN && n->len == 0) {
        /* an empty plain scalar: write nothing (the value is null-ish) */
    } else {
        put_quoted(b, n->text, n->len);
    }
}

static void indent(base_buf *b, uint32_t level)
{
    for (uint32_t i = 0; i < level; i++) base_buf_puts(b, "  ");
}

static uint32_t kept_children(const sim_yedit *e, const sim_ynode *n)
{
    uint32_t kept = 0;
    for (uint32_t c = n->first; c != SIM_NONE; c = e->doc->nodes[c].next) kept += !e->deleted[c];
    return kept;
}

static void put_node(emitter *m, uint32_t index, uint32_t level, bool inline_first);

/* After "key:" or "- ": a scalar on the same line, a collection below. */
static void put_value(emitter *m, uint32_t index, uint32_t level)
{
    const sim_ynode *n = &m->e->doc->nodes[index];
    base_buf *b = &m->buf;
    if (n->type == SIM_Y_SCALAR) {
        base_buf_puts(b, " ");
        put_scalar(m, index);
        base_buf_puts(b, "\n");
    } else if (kept_children(m->e, n) == 0) {
        base_buf_puts(b, " ");
        mark(m, index);
        base_buf_puts(b, n->type == SIM_Y_MAP ? "{}\n" : "[]\n");
    } else {
        base_buf_puts(b, "\n");
        put_node(m, index, level + 1, false);
    }
}

static void put_map(emitter *m, uint32_t index, uint32_t level, bool inline_first)
{
    const sim_yedit *e = m->e;
    const sim_ynode *n = &e->doc->nodes[index];
    bool first = true;
    for (uint32_t k = n->first; k != SIM_NONE;) {
        uint32_t v = e->doc->nodes[k].next;
        assert(v != SIM_NONE);
        if (!e->deleted[k] && !e->deleted[v]) {
            if (!(first && inline_first)) indent(&m->buf, level);
            if (first) mark(m, index);
            first = false;
            put_scalar(m, k);
            base_buf_puts(&m->buf, ":");
            put_value(m, v, level);
        }
        k = e->doc->nodes[v].next;
    }
}

static void put_seq(emitter *m, uint32_t index, uint32_t level, bool inline_first)
{
    const sim_yedit *e = m->e;
    const sim_ynode *n = &e->doc->nodes[index];
    bool first = true;
    for (uint32_t i = n->first; i != SIM_NONE; i = e->doc->nodes[i].next) {
        if (e->deleted[i]) continue;
        if (!(first && inline_first)) indent(&m->buf, level);
        if (first) mark(m, index);
        first = false;
        const sim_ynode *item = &e->doc->nodes[i];
        if (item->type == SIM_Y_MAP && kept_children(e, item) > 0) {
            base_buf_puts(&m->buf, "- ");
            put_node(m, i, level + 1, true);
        } else {
            base_buf_puts(&m->buf, "-");
            put_value(m, i, level);
        }
    }
}

static void put_node(emitter *m, uint32_t index, uint32_t level, bool inline_first)
{
    assert(level <= SIM_YAML_MAX_DEPTH + 1);
    const sim_ynode *n = &m->e->doc->nodes[index];
    if (n->type == SIM_Y_MAP) {
        put_map(m, index, level, inline_first);
    } else if (n->type == SIM_Y_SEQ) {
        put_seq(m, index, level, inline_first);
    } else {
        put_scalar(m, index);
        base_buf_puts(&m->buf, "\n");
    }
}

char *sim_yemit(const sim_yedit *e, const char *header_comment, size_t *len)
{
    assert(e != NULL && e->doc != NULL);
    emitter m = {.e = e, .line = 1};
    base_buf *bp = &m.buf;
    base_buf_init(bp, 0);
    memset(e->out_line, 0, ((size_t)e->doc->count + 1) * sizeof *e->out_line);
    memset(e->out_col, 0, ((size_t)e->doc->count + 1) * sizeof *e->out_col);
    if (header_comment != NULL) {
        for (const char *p = header_comment; *p != '\0';) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            base_buf_puts(bp, "# ");
            char line[512];
            if (n >= sizeof line) n = sizeof line - 1;
            memcpy(line, p, n);
            line[n] = '\0';
            base_buf_puts(bp, line);
            base_buf_puts(bp, "\n");
            p += n + (nl ? 1 : 0);
            if (nl == NULL) break;
        }
    }
    if (e->doc->root != SIM_NONE) put_node(&m, e->doc->root, 0, false);
    char *text = base_buf_take(bp);
    if (len != NULL) *len = text ? strlen(text) : 0;
    return text;
}
