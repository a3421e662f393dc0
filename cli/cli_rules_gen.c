/*
 * cli_rules_gen.c — a build tool: turns docs/semantics.md into the rule
 * table of cli_rules.h, and finds the unit tests that cite each rule.
 *
 *   cli_rules_gen OUT.c ROOT docs/semantics.md [TEST.c ...]
 *
 * The document (its "How a rule is written here" section says the same):
 * a rule is a level-3 heading "### Rn — title", a part of it a level-4
 * heading "#### Rnx — title"; the statement follows, then the lines
 * "- **Sources:**", "- **Markers:**", "- **Profile:**" and, optionally,
 * "- **No scenario:**". Whole rules must run R1, R2, ... without a gap and
 * have all three lines; parts run a, b, ... and inherit what they omit.
 *
 * A unit test cites a rule by naming it (R32, R26b; a range R10–R12 names
 * every rule in it) in its function's name (test_R32_...), in a comment
 * inside it, or in the comment directly above it (after the previous
 * declaration). A rule named in any other comment of a test source (its
 * header, a helper) is cited by the file. String literals and other code do
 * not count. A citation of a rule the document does not have is an error.
 *
 * Errors are printed as file:line: error: message; the exit status is then 1
 * and OUT.c is not written.
 */
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULES_MAX 1024u
#define CITES_MAX 65536u
#define PENDING_MAX 1024u
#define RULE_DIGITS_MAX 4u
#define STATEMENT_MAX 4000u
#define EM_DASH "\xe2\x80\x94"
#define EN_DASH "\xe2\x80\x93"

typedef struct gen_rule {
    char id[16];
    uint32_t number;
    char part;
    char *title, *section, *statement, *sources, *markers, *profile, *no_scenario;
} gen_rule;

typedef struct gen_cite {
    uint32_t rule; /* index into rules */
    const char *file;
    char *test;    /* NULL: the file */
    uint32_t seq;  /* order found, to keep the sort stable */
} gen_cite;

static gen_rule rules[RULES_MAX];
static uint32_t rule_count;
static gen_cite cites[CITES_MAX];
static uint32_t cite_count;
static int error_count;
static char *test_files[RULES_MAX * 4];
static uint32_t test_file_count;

/* Says what is wrong and where, in the compiler's format, and counts it. */
static void gen_error(const char *file, uint32_t line, const char *what, const char *arg)
{
    assert(file != NULL && what != NULL);
    fprintf(stderr, "%s:%u: error: %s%s%s\n", file, line, what, arg != NULL ? " " : "", arg != NULL ? arg : "");
    error_count++;
}

/* Allocates or exits: a build tool has nothing better to do without memory. */
static void *gen_alloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);
    if (p == NULL) {
        fputs("cli_rules_gen: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

/* A copy of s[0..n), NUL-terminated. */
static char *gen_strndup(const char *s, size_t n)
{
    assert(s != NULL);
    char *p = gen_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The whole file, NUL-terminated (*len without the NUL), or NULL. */
static char *gen_read(const char *path, size_t *len)
{
    assert(path != NULL && len != NULL);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 65536, n = 0;
    char *buf = gen_alloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- the document ------------------------------------------------------------------------- */

/* A growing string: the statement being read. */
typedef struct gen_text {
    char *s;
    size_t len, cap;
} gen_text;

/* Appends n bytes of s. */
static void text_add(gen_text *t, const char *s, size_t n)
{
    assert(t != NULL && s != NULL);
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap != 0 ? t->cap : 256;
        while (cap < t->len + n + 1) cap *= 2;
        char *bigger = gen_alloc(cap);
        if (t->len != 0) memcpy(bigger, t->s, t->len);
        free(t->s);
        t->s = bigger;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* Parses "Rn — title" or "Rnx — title": the number, part (0 if none) and title. */
static bool parse_heading(const char *h, uint32_t *number, char *part, const char **title)
{
    assert(h != NULL && number != NULL && part != NULL && title != NULL);
    if (h[0] != 'R' || !isdigit((unsigned char)h[1]) || h[1] == '0') return false;
    uint32_t n = 0, digits = 0;
    const char *p = h + 1;
    while (isdigit((unsigned char)*p) && digits < RULE_DIGITS_MAX) {
        n = n * 10 + (uint32_t)(*p - '0');
        p++;
        digits++;
    }
    if (isdigit((unsigned char)*p)) return false;
    *part = 0;
    if (*p >= 'a' && *p <= 'z') *part = *p++;
    if (strncmp(p, " " EM_DASH " ", strlen(EM_DASH) + 2) != 0) return false;
    *number = n;
    *title = p + strlen(EM_DASH) + 2;
    return **title != '\0';
}

/* The field a line "- **Name:** value" starts, or -1 (not a field line), -2 (an unknown name). */
static int field_of(const char *line, const char **value)
{
    static const char *const names[] = {"Sources", "Markers", "Profile", "No scenario"};
    assert(line != NULL && value != NULL);
    if (strncmp(line, "- **", 4) != 0) return -1;
    const char *end = strstr(line + 4, ":**");
    if (end == NULL) return -1;
    for (int i = 0; i < 4; i++) {
        size_t n = strlen(names[i]);
        if ((size_t)(end - (line + 4)) == n && strncmp(line + 4, names[i], n) == 0) {
            *value = end + 3;
            while (**value == ' ') (*value)++;
            return i;
        }
    }
    return -2;
}

/* The rule being read: where its fields go, whether they have begun. */
typedef struct doc_state {
    const char *path;
    gen_rule *cur;
    uint32_t cur_line;
    gen_text body;
    char **field;          /* the field a continuation line extends, or NULL */
    bool in_fields;
    uint32_t last_whole;   /* index of the last whole rule, or UINT32_MAX */
    char *section;
} doc_state;

/* Ends the rule being read: its statement trimmed, its fields checked. */
static void finish_rule(doc_state *d)
{
    assert(d != NULL);
    gen_rule *r = d->cur;
    if (r == NULL) return;
    size_t start = 0, end = d->body.len;
    while (start < end && d->body.s[start] == '\n') start++;
    while (end > start && (d->body.s[end - 1] == '\n' || d->body.s[end - 1] == ' ')) end--;
    r->statement = gen_strndup(d->body.s != NULL ? d->body.s + start : "", end - start);
    if (r->statement[0] == '\0') gen_error(d->path, d->cur_line, "this rule has no statement:", r->id);
    /* C11 compilers need only take 4095-byte string literals (-Wpedantic says so) */
    if (strlen(r->statement) > STATEMENT_MAX) gen_error(d->path, d->cur_line, "a statement over 4000 bytes (make parts):", r->id);
    if (r->part == 0 && (r->sources == NULL || r->markers == NULL || r->profile == NULL)) {
        gen_error(d->path, d->cur_line, "a rule needs Sources, Markers and Profile lines:", r->id);
    }
    if (r->markers != NULL && strncmp(r->markers, "none", 4) != 0 && strncmp(r->markers, "SRC-ONLY", 8) != 0 &&
        strncmp(r->markers, "UNCERTAIN", 9) != 0 && strncmp(r->markers, "DOC\xe2\x89\xa0SRC", 9) != 0) {
        gen_error(d->path, d->cur_line, "Markers are none, SRC-ONLY, UNCERTAIN or DOC\xe2\x89\xa0SRC:", r->id);
    }
    if (r->profile != NULL && strncmp(r->profile, "none", 4) != 0 && r->profile[0] != '`') {
        gen_error(d->path, d->cur_line, "Profile is none or starts with the `option`:", r->id);
    }
    d->body.len = 0;
    d->cur = NULL;
    d->field = NULL;
    d->in_fields = false;
}

/* A heading line of h '#'s: a section, a rule, a part, or something else. */
static void heading(doc_state *d, uint32_t line, int h, const char *text)
{
    assert(d != NULL && text != NULL);
    finish_rule(d);
    if (h == 2) {
        free(d->section);
        d->section = gen_strndup(text, strlen(text));
        d->last_whole = UINT32_MAX;
        return;
    }
    uint32_t number = 0;
    char part = 0;
    const char *title = NULL;
    bool is_rule = (h == 3 || h == 4) && parse_heading(text, &number, &part, &title);
    if (!is_rule) {
        if (h == 4 && d->last_whole != UINT32_MAX) gen_error(d->path, line, "a heading inside a rule must be a part Rnx", NULL);
        if (h <= 3) d->last_whole = UINT32_MAX;
        return;
    }
    if (rule_count >= RULES_MAX) {
        gen_error(d->path, line, "too many rules", NULL);
        return;
    }
    gen_rule *prev_whole = d->last_whole != UINT32_MAX ? &rules[d->last_whole] : NULL;
    uint32_t expected = 1;
    for (uint32_t i = rule_count; i > 0; i--) {
        if (rules[i - 1].part == 0) {
            expected = rules[i - 1].number + 1;
            break;
        }
    }
    if (h == 3 && (part != 0 || number != expected)) {
        char want[16];
        snprintf(want, sizeof want, "R%u", expected);
        gen_error(d->path, line, part != 0 ? "a part needs a level-4 heading, under its rule; expected" :
                                             "rules run R1, R2, ... without gaps or repeats; expected", want);
        return;
    }
    if (h == 4) {
        char want = 'a';
        if (rule_count > 0 && rules[rule_count - 1].part != 0) want = (char)(rules[rule_count - 1].part + 1);
        if (prev_whole == NULL || part == 0 || number != prev_whole->number || part != want) {
            gen_error(d->path, line, "a part Rnx follows its rule Rn (or the part before it), a, b, ... in order:", text);
            return;
        }
    }
    gen_rule *r = &rules[rule_count];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, part != 0 ? "R%u%c" : "R%u", number, part);
    r->number = number;
    r->part = part;
    r->title = gen_strndup(title, strlen(title));
    r->section = gen_strndup(d->section != NULL ? d->section : "", d->section != NULL ? strlen(d->section) : 0);
    if (h == 3) d->last_whole = rule_count;
    rule_count++;
    d->cur = r;
    d->cur_line = line;
}

/* A line of a rule's body: statement, a field, or a field's continuation. */
static void body_line(doc_state *d, uint32_t line, const char *text, size_t n)
{
    assert(d != NULL && d->cur != NULL);
    const char *value = NULL;
    char *copy = gen_strndup(text, n);
    int f = field_of(copy, &value);
    if (f >= 0) {
        char **slots[4] = {&d->cur->sources, &d->cur->markers, &d->cur->profile, &d->cur->no_scenario};
        if (*slots[f] != NULL) gen_error(d->path, line, "a field given twice in", d->cur->id);
        else *slots[f] = gen_strndup(value, strlen(value));
        d->field = slots[f];
        d->in_fields = true;
    } else if (d->in_fields) {
        if (n == 0) {
            d->field = NULL;
        } else if (f == -1 && n > 2 && copy[0] == ' ' && copy[1] == ' ' && d->field != NULL) {
            const char *p = copy;
            while (*p == ' ') p++;
            size_t old = strlen(*d->field);
            char *joined = gen_alloc(old + strlen(p) + 2);
            snprintf(joined, old + strlen(p) + 2, "%s %s", *d->field, p);
            free(*d->field);
            *d->field = joined;
        } else {
            gen_error(d->path, line, "only the Sources, Markers, Profile and No scenario lines end a rule:", d->cur->id);
        }
    } else {
        text_add(&d->body, text, n);
        text_add(&d->body, "\n", 1);
    }
    free(copy);
}

/* Reads every rule of the document into rules[]. */
static void parse_doc(const char *path)
{
    assert(path != NULL);
    size_t len = 0;
    char *doc = gen_read(path, &len);
    if (doc == NULL) {
        gen_error(path, 0, "cannot read the rules document", NULL);
        return;
    }
    doc_state d = {.path = path, .last_whole = UINT32_MAX};
    bool in_fence = false;
    uint32_t line = 0;
    for (size_t at = 0; at < len; line++) {
        const char *s = doc + at;
        const char *nl = memchr(s, '\n', len - at);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - at;
        at += n + 1;
        if (n >= 3 && strncmp(s, "```", 3) == 0) in_fence = !in_fence;
        if (!in_fence && n > 0 && s[0] == '#') {
            int h = 0;
            while ((size_t)h < n && s[h] == '#') h++;
            char *text = gen_strndup(s + h, n - (size_t)h);
            char *t = text;
            while (*t == ' ') t++;
            heading(&d, line + 1, h, t);
            free(text);
        } else if (d.cur != NULL) {
            body_line(&d, line + 1, s, n);
        }
    }
    finish_rule(&d);
    if (rule_count == 0) gen_error(path, 0, "no rules found (### Rn — title)", NULL);
    free(d.body.s);
    free(d.section);
    free(doc);
}

/* ---- the tests ----------------------------------------------------------------------------- */

/* The index of rule (number, part), or UINT32_MAX. */
static uint32_t rule_index(uint32_t number, char part)
{
    assert(rule_count <= RULES_MAX);
    for (uint32_t i = 0; i < rule_count; i++) {
        if (rules[i].number == number && rules[i].part == part) return i;
    }
    return UINT32_MAX;
}

/* Where the rules named in one comment or name go: a test, the file, or pending. */
typedef struct scan_state {
    const char *path;     /* as given, for errors */
    const char *file;     /* relative to the source tree */
    uint32_t line;
    uint32_t pending[PENDING_MAX];
    uint32_t pending_count;
} scan_state;

/* Records that `test` (NULL: the file) cites rule index r, once. */
static void add_cite(scan_state *s, uint32_t r, const char *test, size_t test_len)
{
    assert(s != NULL && r < rule_count);
    for (uint32_t i = cite_count; i > 0 && cites[i - 1].file == s->file; i--) {
        const gen_cite *c = &cites[i - 1];
        if (c->rule != r || (c->test == NULL) != (test == NULL)) continue;
        if (test == NULL || (strlen(c->test) == test_len && strncmp(c->test, test, test_len) == 0)) return;
    }
    if (cite_count >= CITES_MAX) {
        gen_error(s->path, s->line, "too many citations", NULL);
        return;
    }
    cites[cite_count] = (gen_cite){r, s->file, test != NULL ? gen_strndup(test, test_len) : NULL, cite_count};
    cite_count++;
}

/* Reads a rule id at t[*at] (after a boundary): its number and part; false if none. */
static bool read_rule_token(const char *t, size_t n, size_t *at, uint32_t *number, char *part)
{
    assert(t != NULL && at != NULL);
    size_t j = *at;
    if (j + 1 >= n || t[j] != 'R' || !isdigit((unsigned char)t[j + 1]) || t[j + 1] == '0') return false;
    if (j > 0 && isalnum((unsigned char)t[j - 1])) return false;
    uint32_t v = 0, digits = 0;
    j++;
    while (j < n && isdigit((unsigned char)t[j])) {
        if (++digits > RULE_DIGITS_MAX) return false;
        v = v * 10 + (uint32_t)(t[j] - '0');
        j++;
    }
    char p = 0;
    if (j < n && t[j] >= 'a' && t[j] <= 'z' && (j + 1 >= n || !isalnum((unsigned char)t[j + 1]))) p = t[j++];
    if (j < n && isalnum((unsigned char)t[j])) return false;
    *number = v;
    *part = p;
    *at = j;
    return true;
}

/* Every rule named in t[0..n) (ranges expanded), for test (NULL: the file) or pending. */
static void scan_names(scan_state *s, const char *t, size_t n, const char *test, size_t test_len, bool pend)
{
    assert(s != NULL && t != NULL);
    for (size_t j = 0; j < n;) {
        uint32_t a = 0, b = 0;
        char pa = 0, pb = 0;
        size_t at = j;
        if (!read_rule_token(t, n, &at, &a, &pa)) {
            if (t[j] == '\n') s->line++;
            j++;
            continue;
        }
        uint32_t lo = rule_index(a, pa), hi = lo;
        size_t dash = at < n && t[at] == '-' ? 1 : (n - at >= 3 && strncmp(t + at, EN_DASH, 3) == 0 ? 3 : 0);
        size_t after = at + dash;
        if (dash != 0 && read_rule_token(t, n, &after, &b, &pb)) {
            uint32_t end = rule_index(b, pb);
            if (end != UINT32_MAX && lo != UINT32_MAX && end > lo) hi = end;
            else if (end == UINT32_MAX) lo = UINT32_MAX;
            at = after;
        }
        if (lo == UINT32_MAX) {
            char id[32];
            snprintf(id, sizeof id, "%.*s", (int)(at - j < 24 ? at - j : 24), t + j);
            gen_error(s->path, s->line, "cites a rule docs/semantics.md does not have:", id);
        } else {
            for (uint32_t r = lo; r <= hi; r++) {
                if (!pend) add_cite(s, r, test, test_len);
                else if (s->pending_count < PENDING_MAX) s->pending[s->pending_count++] = r;
            }
        }
        j = at;
    }
}

/* The pending rules (comments at file level) go to test (NULL: the file). */
static void flush_pending(scan_state *s, const char *test, size_t test_len)
{
    assert(s != NULL && s->pending_count <= PENDING_MAX);
    for (uint32_t i = 0; i < s->pending_count; i++) add_cite(s, s->pending[i], test, test_len);
    s->pending_count = 0;
}

/* Skips a string or character literal starting at src[i] (the quote); returns the index after it. */
static size_t skip_literal(scan_state *s, const char *src, size_t len, size_t i)
{
    assert(src != NULL && i < len);
    char quote = src[i++];
    while (i < len && src[i] != quote && src[i] != '\n') {
        if (src[i] == '\\' && i + 1 < len) {
            if (src[i + 1] == '\n') s->line++;
            i++;
        }
        i++;
    }
    return i < len ? i + 1 : len;
}

/* Finds the citations of one test source. */
static void scan_test(const char *path, const char *root)
{
    assert(path != NULL && root != NULL);
    size_t len = 0;
    char *src = gen_read(path, &len);
    if (src == NULL) {
        gen_error(path, 0, "cannot read this test source", NULL);
        return;
    }
    size_t root_len = strlen(root);
    const char *rel = path;
    if (strncmp(path, root, root_len) == 0 && path[root_len] == '/') rel = path + root_len + 1;
    if (test_file_count >= sizeof test_files / sizeof test_files[0]) {
        gen_error(path, 0, "too many test sources", NULL);
        free(src);
        return;
    }
    test_files[test_file_count] = gen_strndup(rel, strlen(rel));
    scan_state s = {.path = path, .file = test_files[test_file_count++], .line = 1};
    uint32_t depth = 0, paren = 0;
    const char *ident = NULL, *candidate = NULL, *test = NULL;
    size_t ident_len = 0, candidate_len = 0, test_len = 0;
    char last = ';';
    bool line_start = true;
    for (size_t i = 0; i < len;) {
        char c = src[i];
        if (c == '\n') {
            s.line++;
            line_start = true;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        bool at_line_start = line_start;
        line_start = false;
        if (c == '/' && i + 1 < len && (src[i + 1] == '*' || src[i + 1] == '/')) {
            bool block = src[i + 1] == '*';
            const char *end = block ? strstr(src + i + 2, "*/") : memchr(src + i, '\n', len - i);
            size_t stop = end != NULL ? (size_t)(end - src) : len;
            bool own = depth > 0;
            scan_names(&s, src + i + 2, stop - i - 2, own ? test : NULL, own ? test_len : 0, !own);
            i = block && end != NULL ? stop + 2 : stop;
            continue;
        }
        if (c == '#' && at_line_start) {
            while (i < len && !(src[i] == '\n' && src[i - 1] != '\\')) {
                if (src[i] == '\n') s.line++;
                i++;
            }
            if (depth == 0) flush_pending(&s, NULL, 0);
            continue;
        }
        if (c == '"' || c == '\'') {
            i = skip_literal(&s, src, len, i);
            last = c;
            continue;
        }
        if (isalpha((unsigned char)c) || c == '_') {
            size_t start = i;
            while (i < len && (isalnum((unsigned char)src[i]) || src[i] == '_')) i++;
            if (depth == 0 && paren == 0) {
                ident = src + start;
                ident_len = i - start;
            }
            last = 'a';
            continue;
        }
        if (isdigit((unsigned char)c)) {
            while (i < len && (isalnum((unsigned char)src[i]) || src[i] == '.')) i++;
            last = '0';
            continue;
        }
        if (depth == 0) {
            if (c == '(' && paren++ == 0) {
                candidate = ident;
                candidate_len = ident_len;
            } else if (c == ')' && paren > 0) {
                paren--;
            } else if (c == ';') {
                flush_pending(&s, NULL, 0);
                candidate = NULL;
            } else if (c == '{') {
                bool is_test = last == ')' && candidate != NULL && candidate_len > 5 && strncmp(candidate, "test_", 5) == 0;
                test = is_test ? candidate : NULL;
                test_len = is_test ? candidate_len : 0;
                if (is_test) scan_names(&s, test, test_len, test, test_len, false);
                flush_pending(&s, test, test_len);
            }
        }
        if (c == '{') depth++;
        if (c == '}' && depth > 0 && --depth == 0) {
            test = NULL;
            candidate = NULL;
        }
        last = c;
        i++;
    }
    flush_pending(&s, NULL, 0);
    free(src);
}

/* ---- the output ------------------------------------------------------------------------------ */

/* Writes s as a C string literal (NULL as NULL): escapes, bytes >= 0x80 in octal, no trigraphs. */
static void emit_string(FILE *out, const char *s)
{
    assert(out != NULL);
    if (s == NULL) {
        fputs("NULL", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\' || *p == '?') fprintf(out, "\\%c", *p);
        else if (*p == '\n') fputs(p[1] != '\0' ? "\\n\"\n        \"" : "\\n", out);
        else if (*p < 0x20 || *p >= 0x7f) fprintf(out, "\\%03o", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

/* Orders citations by rule, then as found. */
static int cite_order(const void *a, const void *b)
{
    const gen_cite *x = a, *y = b;
    assert(x != NULL && y != NULL);
    if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq ? 1 : 0);
}

/* Writes the generated C file. */
static bool emit(const char *path, const char *doc)
{
    assert(path != NULL && doc != NULL);
    FILE *out = fopen(path, "w");
    if (out == NULL) return false;
    uint32_t whole = 0;
    for (uint32_t i = 0; i < rule_count; i++) whole += rules[i].part == 0;
    fprintf(out, "/* Generated by cli_rules_gen from %s and the test sources: do not edit. */\n"
                 "#include <stddef.h>\n#include \"cli_rules.h\"\n\nconst cli_rule cli_rule_table[] = {\n",
            doc);
    for (uint32_t i = 0; i < rule_count; i++) {
        const gen_rule *r = &rules[i];
        fprintf(out, "    {\"%s\", %u, ", r->id, r->number);
        if (r->part != 0) fprintf(out, "'%c',", r->part);
        else fputs("0,", out);
        const char *fields[] = {r->title, r->section, r->statement, r->sources, r->markers, r->profile, r->no_scenario};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            fputs(f == 0 ? "\n     " : ",\n     ", out);
            emit_string(out, fields[f]);
        }
        fputs("},\n", out);
    }
    fprintf(out, "};\nconst uint32_t cli_rule_count = %u;\nconst uint32_t cli_rule_whole_count = %u;\n\n", rule_count,
            whole);
    qsort(cites, cite_count, sizeof cites[0], cite_order);
    fputs("const cli_rule_cite cli_rule_cites[] = {\n", out);
    for (uint32_t i = 0; i < cite_count; i++) {
        fprintf(out, "    {\"%s\", ", rules[cites[i].rule].id);
        emit_string(out, cites[i].file);
        fputs(", ", out);
        emit_string(out, cites[i].test);
        fputs("},\n", out);
    }
    if (cite_count == 0) fputs("    {NULL, NULL, NULL},\n", out);
    fprintf(out, "};\nconst uint32_t cli_rule_cite_count = %u;\n", cite_count);
    return fclose(out) == 0;
}

/* Frees everything (the sanitizer and valgrind builds run this tool too). */
static void release_all(void)
{
    assert(rule_count <= RULES_MAX && cite_count <= CITES_MAX);
    for (uint32_t i = 0; i < rule_count; i++) {
        gen_rule *r = &rules[i];
        char *fields[] = {r->title, r->section, r->statement, r->sources, r->markers, r->profile, r->no_scenario};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) free(fields[f]);
    }
    for (uint32_t i = 0; i < cite_count; i++) free(cites[i].test);
    for (uint32_t i = 0; i < test_file_count; i++) free(test_files[i]);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fputs("usage: cli_rules_gen OUT.c ROOT docs/semantics.md [TEST.c ...]\n", stderr);
        return 2;
    }
    parse_doc(argv[3]);
    for (int i = 4; i < argc && error_count == 0; i++) scan_test(argv[i], argv[2]);
    const char *doc = argv[3];
    size_t root_len = strlen(argv[2]);
    if (strncmp(doc, argv[2], root_len) == 0 && doc[root_len] == '/') doc += root_len + 1;
    if (error_count == 0 && !emit(argv[1], doc)) {
        fprintf(stderr, "%s: error: cannot write\n", argv[1]);
        remove(argv[1]);
        error_count++;
    }
    release_all();
    return error_count > 0 ? 1 : 0;
}
