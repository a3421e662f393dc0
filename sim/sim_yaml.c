/*
 * sim_yaml.c — byte checks and the event-built YAML tree (see sim_yaml.h).
 */
#include "sim_yaml.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "base_alloc.h"
#include "base_fy.h"
#include "base_utf8.h"

/* ---- byte checks ------------------------------------------------------- */

#define BYTE_ERRORS_MAX 5u

/* YAML's printable set, narrowed: no C1 controls (NEL included), no DEL. */
static bool char_allowed(uint32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r') return true;
    if (cp < 0x20 || cp == 0x7F) return false;
    if (cp >= 0x80 && cp <= 0x9F) return false;
    if (cp == 0xFFFE || cp == 0xFFFF) return false;
    return true;
}

bool sim_yaml_check_bytes(const uint8_t *bytes, size_t len, sim_diag *diag)
{
    assert(bytes != NULL || len == 0);
    if (len > SIM_YAML_MAX_BYTES) {
        sim_diag_error(diag, 1, 1, "file too large: %zu bytes (the limit is %zu)", len,
                       SIM_YAML_MAX_BYTES);
        return false;
    }
    uint32_t errors = 0, line = 1, col = 1;
    bool line_start = true;
    for (size_t i = 0; i < len && errors < BYTE_ERRORS_MAX;) {
        uint32_t cp = 0;
        size_t n = base_utf8_decode(bytes + i, len - i, &cp);
        if (n == 0) {
            sim_diag_error(diag, line, col, "invalid UTF-8 byte 0x%02x", bytes[i]);
            errors++;
            i++;
            col++;
            continue;
        }
        if (cp == 0) {
            sim_diag_error(diag, line, col, "NUL byte in the file");
            errors++;
        } else if (!char_allowed(cp)) {
            sim_diag_error(diag, line, col, "control character U+%04X is not allowed", cp);
            errors++;
        } else if (line_start && cp == '%') {
            sim_diag_error(diag, line, col, "YAML directives (lines starting with %%) are not allowed");
            errors++;
        }
        line_start = cp == '\n';
        if (cp == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return errors == 0;
}

/* ---- shape checks (before libfyaml) ------------------------------------- */

/*
 * libfyaml 0.7.12 scans ahead before it emits a flow collection's events and
 * keeps every token it has scanned (about 450 bytes each): one line of 1 MiB
 * of `[` cost 183 MB (363 MB in the build) before the tree's nesting
 * check saw the 25th level, and a one-line flow list of 350,000 items
 * 150 MB. So two checks come first, on the raw bytes:
 *
 * - sim_yaml_check_shape, a light lexer that knows quoted scalars, comments
 *   and block scalars, bounds flow nesting at SIM_YAML_MAX_DEPTH and flow
 *   indicators at SIM_YAML_MAX_LINE_ITEMS a line, with the position of the
 *   first one over: the errors a person sees;
 * - the feeder (below), which hands libfyaml the bytes 4 KiB at a time and
 *   stops when the bytes it holds unparsed carry more than
 *   SIM_YAML_MAX_PENDING_OPENERS `[`/`{`, or a line more than
 *   SIM_YAML_MAX_LINE_BYTES_ITEMS flow indicator bytes, quoted or not: a
 *   bound on libfyaml's memory that does not depend on the lexer being right.
 *
 * The lexer is not a parser (the tree builder decides what the file means):
 * it counts `[` and `{` only where a node may start, and its mistakes can
 * only make it stricter or leave the work to the feeder.
 */
typedef struct shape {
    const uint8_t *bytes;
    size_t len;
    size_t i;
    uint32_t line, col;   /* of bytes[i], 1-based, in characters */
    uint32_t flow_depth;
    uint32_t line_items;  /* flow indicators on this line */
    bool node_start;      /* a node may begin here: a quote, [ or { is an indicator */
    bool after_space;     /* the previous character was white space, or none */
    uint32_t node_col;    /* 0-based column of the last key or entry begun on this line */
    int64_t block_indent; /* in a block scalar: lines indented more than this are its text; -1 */
    sim_diag *diag;
} shape;

/* Advances over one character (a whole UTF-8 sequence; the bytes were checked). */
static void shape_advance(shape *s)
{
    assert(s->i < s->len);
    uint8_t c = s->bytes[s->i++];
    while (s->i < s->len && (s->bytes[s->i] & 0xC0) == 0x80) s->i++;
    if (c == '\n') {
        s->line++;
        s->col = 1;
        s->line_items = 0;
    } else {
        s->col++;
    }
}

/* Skips a quoted scalar from its opening quote to after its closing one (lines included). */
static void shape_skip_quoted(shape *s)
{
    uint8_t quote = s->bytes[s->i];
    assert(quote == '\'' || quote == '"');
    shape_advance(s);
    while (s->i < s->len) { /* each turn advances */
        uint8_t c = s->bytes[s->i];
        shape_advance(s);
        if (quote == '"' && c == '\\' && s->i < s->len) {
            shape_advance(s); /* the escaped character */
        } else if (c == quote) {
            if (quote == '"' || s->i >= s->len || s->bytes[s->i] != '\'') return;
            shape_advance(s); /* '' inside '...' */
        }
    }
}

/* Skips to the end of the line (a comment, a block scalar's header or text). */
static void shape_skip_line(shape *s)
{
    while (s->i < s->len && s->bytes[s->i] != '\n') shape_advance(s);
}

/* Whether the rest of the line from j holds only white space. */
static bool shape_blank_from(const shape *s, size_t j)
{
    while (j < s->len && (s->bytes[j] == ' ' || s->bytes[j] == '\t' || s->bytes[j] == '\r')) j++;
    return j >= s->len || s->bytes[j] == '\n';
}

/* The start of a line: its indentation, and a block scalar's text skipped. */
static void shape_line_start(shape *s)
{
    uint32_t indent = 0;
    while (s->i < s->len && s->bytes[s->i] == ' ') {
        shape_advance(s);
        indent++;
    }
    if (s->block_indent >= 0) {
        if (shape_blank_from(s, s->i) || (int64_t)indent > s->block_indent) {
            shape_skip_line(s); /* text of the block scalar, not YAML */
            return;
        }
        s->block_indent = -1;
    }
    s->after_space = true;
    s->node_col = indent;
    if (s->flow_depth == 0) s->node_start = true;
}

/* A flow indicator on this line, counted against SIM_YAML_MAX_LINE_ITEMS. */
static bool shape_item(shape *s)
{
    if (++s->line_items <= SIM_YAML_MAX_LINE_ITEMS) return true;
    sim_diag_error(s->diag, s->line, s->col,
                   "more than %u flow indicators ([ ] { } ,) on one line: split it over "
                   "several lines",
                   SIM_YAML_MAX_LINE_ITEMS);
    return false;
}

/* One character outside quotes, comments and block scalar text; false after an error. */
static bool shape_char(shape *s)
{
    uint8_t c = s->bytes[s->i];
    bool flow = s->flow_depth > 0;
    bool next_space = s->i + 1 >= s->len || shape_blank_from(s, s->i + 1) ||
                      s->bytes[s->i + 1] == ' ' || s->bytes[s->i + 1] == '\t';
    if (c == ' ' || c == '\t' || c == '\r') {
        s->after_space = true;
        shape_advance(s);
        return true;
    }
    if (c == '#' && s->after_space) {
        shape_skip_line(s);
        return true;
    }
    if ((c == '\'' || c == '"') && s->node_start) {
        if (!flow) s->node_col = s->col - 1; /* a quoted key or value */
        shape_skip_quoted(s);
        s->node_start = false;
        s->after_space = false;
        return true;
    }
    if (!flow && s->node_start && (c == '|' || c == '>')) {
        s->block_indent = s->node_col; /* its text: the lines indented more than its parent */
        shape_skip_line(s);
        return true;
    }
    if ((c == '[' || c == '{') && (flow || s->node_start)) {
        if (!shape_item(s)) return false;
        if (s->flow_depth >= SIM_YAML_MAX_DEPTH) {
            sim_diag_error(s->diag, s->line, s->col, "nesting deeper than %u levels",
                           SIM_YAML_MAX_DEPTH);
            return false;
        }
        s->flow_depth++;
        s->node_start = true;
    } else if (flow && (c == ']' || c == '}' || c == ',')) {
        if (!shape_item(s)) return false;
        if (c != ',') s->flow_depth--;
        s->node_start = c == ',';
    } else if (flow && c == ':') {
        s->node_start = true; /* a value may follow, even with no space ("a":[...]) */
    } else if (!flow && (c == '-' || c == '?' || c == ':') && next_space) {
        if (c != ':' && s->node_start) s->node_col = s->col - 1; /* an entry or explicit key */
        s->node_start = true;
    } else {
        if (!flow && s->node_start && c != ':') s->node_col = s->col - 1; /* a key or a value */
        s->node_start = false;
    }
    s->after_space = false;
    shape_advance(s);
    return true;
}

bool sim_yaml_check_shape(const uint8_t *bytes, size_t len, sim_diag *diag)
{
    assert(bytes != NULL || len == 0);
    assert(len <= SIM_YAML_MAX_BYTES);
    shape s = {.bytes = bytes, .len = len, .line = 1, .col = 1, .block_indent = -1, .diag = diag};
    bool line_start = true;
    while (s.i < s.len) { /* every turn but a line's first advances */
        if (line_start) {
            shape_line_start(&s);
            line_start = false;
        } else if (s.bytes[s.i] == '\n') {
            shape_advance(&s);
            line_start = true;
        } else if (!shape_char(&s)) {
            return false;
        }
    }
    return true;
}

/* ---- the feeder: libfyaml's input, 4 KiB at a time ------------------------ */

typedef struct feeder {
    const uint8_t *bytes;
    size_t len;
    size_t fed;              /* bytes handed to libfyaml */
    size_t tail;             /* start of the last event: what libfyaml still holds is after it */
    uint32_t pending_openers; /* `[` and `{` in [tail, fed) */
    uint32_t line_items;     /* `[ ] { } ,` on the line being fed */
    size_t stop_at;          /* where feeding stopped (SIZE_MAX: it did not) */
    const char *why;
} feeder;

#define FEED_CHUNK_BYTES 4096u

/* libfyaml's read callback: the next bytes, unless they would carry it past the bounds. */
static ssize_t feeder_read(void *user, void *buf, size_t count)
{
    feeder *f = user;
    assert(f->fed <= f->len);
    if (f->stop_at != SIZE_MAX) return 0;
    size_t n = f->len - f->fed;
    if (n > count) n = count;
    if (n > FEED_CHUNK_BYTES) n = FEED_CHUNK_BYTES;
    for (size_t k = 0; k < n; k++) {
        uint8_t c = f->bytes[f->fed + k];
        if (c == '\n') f->line_items = 0;
        bool opener = c == '[' || c == '{';
        if (opener || c == ']' || c == '}' || c == ',') f->line_items++;
        if (opener) f->pending_openers++;
        if (f->pending_openers > SIM_YAML_MAX_PENDING_OPENERS) {
            f->why = "more [ and { than libfyaml may hold before its next event";
        } else if (f->line_items > SIM_YAML_MAX_LINE_BYTES_ITEMS) {
            f->why = "more [ ] { } , bytes on one line than libfyaml may hold";
        } else {
            continue;
        }
        f->stop_at = f->fed + k;
        n = k;
        break;
    }
    memcpy(buf, f->bytes + f->fed, n);
    f->fed += n;
    return (ssize_t)n;
}

/*
 * A forward-only walk from libfyaml's marks to byte offsets. With input
 * from a callback, a mark's input_pos is relative to libfyaml's buffer
 * (it restarts every 64 KiB); its line and column (characters, a tab is
 * one) are not. Lines end at LF, CR LF or CR, as libfyaml counts them.
 */
typedef struct cursor {
    uint32_t line;   /* 0-based line of `off` */
    uint32_t col;    /* 0-based character column of `off` */
    size_t off;
} cursor;

/* The byte offset of (line, col); cursors only move forward (an earlier mark: where it is). */
static size_t cursor_seek(cursor *c, const uint8_t *bytes, size_t len, int line, int col)
{
    assert(c->off <= len);
    if (line < 0 || col < 0) return c->off;
    uint32_t want_line = (uint32_t)line, want_col = (uint32_t)col;
    while (c->off < len && (c->line < want_line || (c->line == want_line && c->col < want_col))) {
        uint8_t b = bytes[c->off];
        if (b == '\n' || b == '\r') {
            if (c->line == want_line) break; /* the mark is past the line's end: stay at it */
            c->off += b == '\r' && c->off + 1 < len && bytes[c->off + 1] == '\n' ? 2 : 1;
            c->line++;
            c->col = 0;
            continue;
        }
        c->off++;
        while (c->off < len && (bytes[c->off] & 0xC0) == 0x80) c->off++;
        c->col++;
    }
    assert(c->off <= len);
    return c->off;
}

/* An event began at pos: what libfyaml held before it is consumed. */
static void feeder_consumed(feeder *f, size_t pos)
{
    if (pos > f->fed) pos = f->fed;
    for (; f->tail < pos; f->tail++) { /* tail only moves forward: O(len) in all */
        uint8_t c = f->bytes[f->tail];
        if ((c == '[' || c == '{') && f->pending_openers > 0) f->pending_openers--;
    }
    assert(f->tail <= f->fed);
}

/* Line and column (characters, 1-based) of a byte offset. */
static void offset_position(const uint8_t *bytes, size_t offset, uint32_t *line, uint32_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset; i++) {
        if (bytes[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if ((bytes[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* ---- tree -------------------------------------------------------------- */

void sim_ydoc_fini(sim_ydoc *doc)
{
    free(doc->nodes);
    base_arena_fini(&doc->text);
    memset(doc, 0, sizeof *doc);
    doc->root = SIM_NONE;
}

typedef struct frame {
    uint32_t node;
    uint32_t last_child;
} frame;

typedef struct builder {
    sim_ydoc *doc;
    sim_diag *diag;
    const uint8_t *bytes; /* the input, which token marks point into */
    size_t len;
    feeder *feed;
    cursor events;  /* event starts, for the feeder */
    cursor scalars; /* single-quoted scalars' starts */
    frame stack[SIM_YAML_MAX_DEPTH + 1];
    uint32_t depth;
    uint32_t documents;
    uint32_t last_line;
    uint32_t last_col;
    bool failed;
} builder;

static void position(builder *b, struct fy_event *ev, uint32_t *line, uint32_t *col)
{
    const struct fy_mark *m = fy_event_start_mark(ev);
    if (m != NULL) feeder_consumed(b->feed, cursor_seek(&b->events, b->bytes, b->len, m->line, m->column));
    if (m != NULL && m->line >= 0 && m->column >= 0) {
        b->last_line = (uint32_t)m->line + 1;
        b->last_col = (uint32_t)m->column + 1;
    }
    *line = b->last_line;
    *col = b->last_col;
}

static uint32_t new_node(builder *b, uint8_t type, uint32_t line, uint32_t col)
{
    sim_ydoc *doc = b->doc;
    if (doc->count >= SIM_YAML_MAX_NODES) {
        sim_diag_error(b->diag, line, col, "too many YAML nodes (the limit is %u)",
                       SIM_YAML_MAX_NODES);
        b->failed = true;
        return SIM_NONE;
    }
    sim_ynode *nodes =
        base_grow_array(doc->nodes, &doc->capacity, doc->count + 1, 64, sizeof *nodes);
    if (nodes == NULL) {
        sim_diag_error(b->diag, line, col, "out of memory");
        b->failed = true;
        return SIM_NONE;
    }
    doc->nodes = nodes;
    uint32_t index = doc->count++;
    doc->nodes[index] = (sim_ynode){.type = type, .style = SIM_YS_PLAIN, .line = line,
                                    .col = col, .first = SIM_NONE, .next = SIM_NONE};
    return index;
}

/*
 * Links a finished or new node under the innermost open collection. A
 * mapping key must be a scalar: a collection there is an error in the tree
 * itself, so no reader of the tree ever meets a key without text (issue 10:
 * `- {{}}` reached strcmp with a NULL key).
 */
static bool attach(builder *b, uint32_t node)
{
    assert(node < b->doc->count);
    if (b->depth == 0) {
        b->doc->root = node;
        return true;
    }
    frame *f = &b->stack[b->depth - 1];
    assert(f->node < node);
    sim_ynode *parent = &b->doc->nodes[f->node];
    const sim_ynode *child = &b->doc->nodes[node];
    if (parent->type == SIM_Y_MAP && parent->count % 2 == 0 && child->type != SIM_Y_SCALAR) {
        sim_diag_error(b->diag, child->line, child->col, "a mapping key must be a scalar, not %s",
                       child->type == SIM_Y_MAP ? "a mapping" : "a list");
        b->failed = true;
        return false;
    }
    if (f->last_child == SIM_NONE) {
        parent->first = node;
    } else {
        b->doc->nodes[f->last_child].next = node;
    }
    f->last_child = node;
    parent->count++;
    return true;
}

/* The position of a token, or the fallback. */
static void token_position(struct fy_token *tok, uint32_t *line, uint32_t *col)
{
    const struct fy_mark *m = tok != NULL ? fy_token_start_mark(tok) : NULL;
    if (m != NULL && m->line >= 0 && m->column >= 0) {
        *line = (uint32_t)m->line + 1;
        *col = (uint32_t)m->column + 1;
    }
}

static bool reject_decorations(builder *b, struct fy_event *ev, uint32_t line, uint32_t col)
{
    struct fy_token *anchor = fy_event_get_anchor_token(ev);
    if (anchor != NULL) {
        token_position(anchor, &line, &col);
        if (col > 1) col--; /* the mark is the name's; point at the '&' */
        sim_diag_error(b->diag, line, col, "anchors (&name) are not allowed in scenarios");
        return false;
    }
    struct fy_token *tag = fy_event_get_tag_token(ev);
    if (tag != NULL) { /* (0.7.12 leaves scalar.tag_implicit uninitialised: not read) */
        token_position(tag, &line, &col);
        sim_diag_error(b->diag, line, col, "tags (!tag) are not allowed in scenarios");
        return false;
    }
    return true;
}

static bool is_white(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static bool is_break(uint8_t c)
{
    return c == '\n' || c == '\r';
}

/*
 * Decodes the content of a single-quoted scalar (raw: the bytes between
 * its quotes) into out, which has room for n bytes; returns the length.
 * YAML 1.2 sec. 7.3.2: '' is one quote; lines are folded (a line break is
 * a space, k empty lines are k newlines), inner lines lose their leading
 * and trailing white space, the first its trailing, the last its leading.
 *
 * Why not fy_token_get_text: libfyaml 0.7.12 turns n adjacent '' escapes
 * into 2n-1 quotes while its length hint counts n, so the text comes back
 * cut short (`'x''''y'` reads as "x'''"), and from five adjacent escapes
 * on fy_atom_format_text returns early and leaks its 512-byte chunk array
 * (fixed upstream by c0a716e and 0af6061, in 0.9.5). See docs/known-issues.md.
 */
static size_t single_quoted_decode(const uint8_t *raw, size_t n, char *out)
{
    assert(raw != NULL || n == 0);
    assert(out != NULL);
    size_t o = 0, i = 0, empty_lines = 0;
    bool first = true;
    for (size_t guard = 0; guard <= n; guard++) { /* one line per turn, at most n + 1 lines */
        size_t end = i;
        while (end < n && !is_break(raw[end])) end++;
        bool last = end == n;
        size_t from = i, to = end;
        if (!first) {
            while (from < to && is_white(raw[from])) from++;
        }
        if (!last) {
            while (to > from && is_white(raw[to - 1])) to--;
        }
        if (!first && from == to && !last) {
            empty_lines++;
        } else {
            if (!first) {
                if (empty_lines == 0) out[o++] = ' ';
                for (; empty_lines > 0; empty_lines--) out[o++] = '\n';
            }
            for (size_t k = from; k < to; k++) {
                out[o++] = (char)raw[k];
                if (raw[k] == '\'' && k + 1 < to && raw[k + 1] == '\'') k++;
            }
        }
        if (last) break;
        i = end + (raw[end] == '\r' && end + 1 < n && raw[end + 1] == '\n' ? 2 : 1);
        first = false;
    }
    assert(o <= n);
    return o;
}

/*
 * The text of a scalar token, copied into the tree's arena (NULL when out
 * of memory). Single-quoted scalars are decoded here from the input bytes
 * (see single_quoted_decode); the other styles are libfyaml's.
 */
static char *scalar_copy(builder *b, struct fy_token *tok, size_t *len)
{
    assert(b != NULL && len != NULL);
    const struct fy_mark *start = fy_token_start_mark(tok);
    size_t from = start != NULL ? cursor_seek(&b->scalars, b->bytes, b->len, start->line, start->column) : 0;
    if (fy_token_scalar_style(tok) == FYSS_SINGLE_QUOTED && from > 0 && b->bytes[from - 1] == '\'') {
        size_t to = from; /* the closing quote: the first ' that is not half of '' */
        while (to < b->len && (b->bytes[to] != '\'' || (to + 1 < b->len && b->bytes[to + 1] == '\''))) {
            to += b->bytes[to] == '\'' ? 2 : 1;
        }
        size_t n = to - from;
        char *out = base_arena_alloc(&b->doc->text, n + 1);
        if (out == NULL) return NULL;
        *len = single_quoted_decode(b->bytes + from, n, out);
        out[*len] = '\0';
        return out;
    }
    const char *text = fy_token_get_text(tok, len);
    if (text == NULL) *len = 0;
    return base_arena_strndup(&b->doc->text, text != NULL ? text : "", *len);
}

static void on_scalar(builder *b, struct fy_event *ev)
{
    uint32_t line, col;
    position(b, ev, &line, &col);
    if (!reject_decorations(b, ev, line, col)) {
        b->failed = true;
        return;
    }
    uint32_t node = new_node(b, SIM_Y_SCALAR, line, col);
    if (node == SIM_NONE) return;
    size_t len = 0;
    char *copy = scalar_copy(b, ev->scalar.value, &len);
    if (copy == NULL) {
        sim_diag_error(b->diag, line, col, "out of memory");
        b->failed = true;
        return;
    }
    sim_ynode *n = &b->doc->nodes[node];
    n->text = copy;
    n->len = len;
    enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
    n->style = style == FYSS_PLAIN || style == FYSS_ANY ? SIM_YS_PLAIN : SIM_YS_QUOTED;
    (void)attach(b, node); /* scalars are always acceptable keys */
}

static void on_start(builder *b, struct fy_event *ev, uint8_t type)
{
    uint32_t line, col;
    position(b, ev, &line, &col);
    if (!reject_decorations(b, ev, line, col)) {
        b->failed = true;
        return;
    }
    if (b->depth >= SIM_YAML_MAX_DEPTH) {
        sim_diag_error(b->diag, line, col, "nesting deeper than %u levels", SIM_YAML_MAX_DEPTH);
        b->failed = true;
        return;
    }
    uint32_t node = new_node(b, type, line, col);
    if (node == SIM_NONE || !attach(b, node)) return;
    b->stack[b->depth++] = (frame){.node = node, .last_child = SIM_NONE};
}

static void on_end(builder *b)
{
    assert(b->depth > 0);
    if (b->depth > 0) b->depth--;
}

static void on_event(builder *b, struct fy_event *ev)
{
    uint32_t line, col;
    switch (ev->type) {
    case FYET_DOCUMENT_START:
        position(b, ev, &line, &col);
        if (++b->documents > 1) {
            sim_diag_error(b->diag, line, col, "only one YAML document per scenario file");
            b->failed = true;
        }
        return;
    case FYET_MAPPING_START:
        on_start(b, ev, SIM_Y_MAP);
        return;
    case FYET_SEQUENCE_START:
        on_start(b, ev, SIM_Y_SEQ);
        return;
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END:
        position(b, ev, &line, &col);
        on_end(b);
        return;
    case FYET_SCALAR:
        on_scalar(b, ev);
        return;
    case FYET_ALIAS:
        position(b, ev, &line, &col);
        if (col > 1) col--; /* the mark is the name's; point at the '*' */
        sim_diag_error(b->diag, line, col, "aliases (*name) are not allowed in scenarios");
        b->failed = true;
        return;
    default:
        position(b, ev, &line, &col);
        return;
    }
}

/* Why: libfyaml's collected errors become located diagnostics; returns how many. */
static uint32_t copy_parse_errors(base_fy *fy, sim_diag *diag)
{
    assert(fy != NULL && diag != NULL);
    uint32_t n = 0;
    base_fy_error e;
    while (n < 16 && base_fy_next_error(fy, &e)) {
        sim_diag_error(diag, e.line, e.col, "YAML: %s", e.message);
        n++;
    }
    return n;
}

/* Why: base_fy_drive's callback: one event into the tree, stopping at the first failure. */
static bool take_event(void *ctx, struct fy_event *ev)
{
    builder *b = ctx;
    assert(b != NULL && ev != NULL);
    on_event(b, ev);
    return !b->failed;
}

bool sim_yaml_parse(const uint8_t *bytes, size_t len, sim_ydoc *doc, sim_diag *diag)
{
    memset(doc, 0, sizeof *doc);
    doc->root = SIM_NONE;
    base_arena_init(&doc->text, 0);
    if (!sim_yaml_check_bytes(bytes, len, diag)) return false;
    if (!sim_yaml_check_shape(bytes, len, diag)) return false;
    base_fy fy;
    if (!base_fy_init(&fy)) {
        sim_diag_error(diag, 1, 1, "out of memory");
        return false;
    }
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 |
                                        FYPCF_DISABLE_MMAP_OPT | FYPCF_JSON_NONE,
                               .diag = fy.diag};
    struct fy_parser *parser = fy_parser_create(&cfg);
    feeder feed = {.bytes = bytes, .len = len, .stop_at = SIZE_MAX};
    builder b = {.doc = doc, .diag = diag, .bytes = bytes, .len = len, .feed = &feed,
                 .last_line = 1, .last_col = 1};
    bool ok = false;
    if (parser == NULL) {
        sim_diag_error(diag, 1, 1, "out of memory");
    } else if (fy_parser_set_input_callback(parser, &feed, feeder_read) != 0) {
        sim_diag_error(diag, 1, 1, "cannot start the YAML parser");
    } else {
        bool clean = base_fy_drive(parser, 2 * SIM_YAML_MAX_NODES + 17, take_event, &b);
        bool stream_error = fy_parser_get_stream_error(parser);
        ok = clean && !stream_error && !b.failed && feed.stop_at == SIZE_MAX;
        if (feed.stop_at != SIZE_MAX && !b.failed) { /* what libfyaml said about the cut is moot */
            uint32_t line, col;
            offset_position(bytes, feed.stop_at, &line, &col);
            sim_diag_error(diag, line, col, "%s: split long flow collections over several lines",
                           feed.why);
        } else if (!b.failed && !ok && copy_parse_errors(&fy, diag) == 0) {
            const char *raw = base_fy_raw(&fy);
            sim_diag_error(diag, b.last_line, b.last_col, "YAML: %s",
                           raw[0] ? raw : "syntax error");
        }
    }
    if (parser != NULL) fy_parser_destroy(parser);
    base_fy_fini(&fy);
    return ok;
}
