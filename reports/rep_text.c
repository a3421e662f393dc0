/* rep_text.c — see rep_text.h. */
#include "rep_text.h"

#include <assert.h>
#include <string.h>

#include "base_utf8.h"
#include "sim_util.h"

static const char hex_digits[] = "0123456789abcdef";

/* A code point a report may carry (tab, LF and CR are escaped per format). */
static bool allowed_code_point(unsigned long cp)
{
    if (cp < 0x20) return cp == '\t' || cp == '\n' || cp == '\r';
    if (cp >= 0x7F && cp <= 0x9F) return false;            /* DEL, C1 controls */
    if (cp >= 0xFDD0 && cp <= 0xFDEF) return false;        /* noncharacters */
    if ((cp & 0xFFFEu) == 0xFFFEu) return false;           /* U+xFFFE, U+xFFFF */
    return true;
}

/* Why: every format shows the same characters: strict UTF-8 (base_utf8.h), minus the code
 * points no report should carry. */
size_t rep_char_len(const unsigned char *s)
{
    assert(s != NULL && s[0] != '\0');
    uint32_t cp = 0;
    size_t n = base_utf8_decode(s, SIZE_MAX, &cp); /* NUL-terminated: a NUL ends any sequence */
    return n > 0 && allowed_code_point(cp) ? n : 0;
}

/* A byte no format can carry: the text \xNN (its backslash escaped where needed). */
static void put_byte_escape(FILE *out, unsigned char c, rep_escape esc)
{
    if (esc == REP_ESC_TAP || esc == REP_ESC_YAML) fputc('\\', out);
    char text[4] = {'\\', 'x', hex_digits[c >> 4], hex_digits[c & 15]};
    fwrite(text, 1, sizeof text, out);
}

static void put_xml_ascii(FILE *out, char c, bool attribute)
{
    switch (c) {
    case '&': fputs("&amp;", out); return;
    case '<': fputs("&lt;", out); return;
    case '>': fputs("&gt;", out); return; /* also keeps "]]>" out of the text */
    case '\r': fputs("&#13;", out); return;
    default: break;
    }
    if (attribute) {
        switch (c) {
        case '"': fputs("&quot;", out); return;
        case '\'': fputs("&#39;", out); return;
        case '\t': fputs("&#9;", out); return;
        case '\n': fputs("&#10;", out); return;
        default: break;
        }
    }
    fputc(c, out);
}

static void put_ascii(FILE *out, char c, rep_escape esc)
{
    switch (esc) {
    case REP_ESC_XML:
    case REP_ESC_XML_TEXT:
        put_xml_ascii(out, c, esc == REP_ESC_XML);
        return;
    case REP_ESC_TAP:
        if (c == '\\' || c == '#') fputc('\\', out);
        if (c == '\t' || c == '\n' || c == '\r') {
            put_byte_escape(out, (unsigned char)c, esc);
            return;
        }
        fputc(c, out);
        return;
    case REP_ESC_YAML:
        if (c == '\t' || c == '\n' || c == '\r') {
            fputc('\\', out);
            fputc(c == '\t' ? 't' : c == '\n' ? 'n' : 'r', out);
            return;
        }
        if (c == '\\' || c == '"') fputc('\\', out);
        fputc(c, out);
        return;
    }
    assert(!"unknown escape");
}

void rep_put_max(FILE *out, const char *s, rep_escape esc, size_t max_chars)
{
    assert(out != NULL);
    if (s == NULL) return;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t chars = 0; *p != '\0'; chars++) {
        if (max_chars != REP_NO_LIMIT && chars == max_chars) {
            fputs("...", out);
            return;
        }
        size_t n = rep_char_len(p);
        if (n == 0) {
            put_byte_escape(out, *p, esc);
            p++;
        } else if (n == 1) {
            put_ascii(out, (char)*p, esc);
            p++;
        } else {
            fwrite(p, 1, n, out);
            p += n;
        }
    }
}

void rep_put(FILE *out, const char *s, rep_escape esc)
{
    rep_put_max(out, s, esc, REP_NO_LIMIT);
}

void rep_put_yaml_string(FILE *out, const char *s)
{
    if (s == NULL) {
        fputc('~', out);
        return;
    }
    fputc('"', out);
    rep_put(out, s, REP_ESC_YAML);
    fputc('"', out);
}

const char *rep_seconds(uint64_t ns, char *buf, size_t cap)
{
    assert(cap >= 32);
    uint64_t us = ns / 1000u + (ns % 1000u >= 500u ? 1u : 0u);
    snprintf(buf, cap, "%llu.%06llu", (unsigned long long)(us / 1000000u),
             (unsigned long long)(us % 1000000u));
    return buf;
}

const char *rep_hash(uint64_t hash, char *buf, size_t cap)
{
    assert(cap >= 19);
    snprintf(buf, cap, "0x%016llx", (unsigned long long)hash);
    return buf;
}

const char *rep_duration(int64_t ns, char *buf, size_t cap)
{
    assert(cap >= 32);
    sim_format_duration(ns, buf, cap);
    return buf;
}

static const char *base_name(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : file;
}

const char *rep_result_name(const sim_result *r)
{
    assert(r != NULL);
    if (r->scenario != NULL && r->scenario[0] != '\0') return r->scenario;
    if (r->file == NULL || r->file[0] == '\0') return "?";
    return base_name(r->file);
}

/* Copies s[0..n) into buf as an identifier. */
static const char *identifier_n(const char *s, size_t n, char *buf, size_t cap)
{
    assert(cap >= 2);
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        buf[k++] = ok ? c : '_';
    }
    if (k == 0) buf[k++] = '_';
    buf[k] = '\0';
    return buf;
}

const char *rep_identifier(const char *s, char *buf, size_t cap)
{
    return identifier_n(s != NULL ? s : "", s != NULL ? strlen(s) : 0, buf, cap);
}

const char *rep_topic(const char *file, char *buf, size_t cap)
{
    if (file == NULL) file = "";
    const char *slash = strrchr(file, '/');
    if (slash != NULL) {
        const char *end = slash;
        while (end > file && end[-1] == '/') end--; /* "a//b.yaml" */
        const char *start = end;
        while (start > file && start[-1] != '/') start--;
        size_t n = (size_t)(end - start);
        bool dots = (n == 1 && start[0] == '.') || (n == 2 && start[0] == '.' && start[1] == '.');
        if (n > 0 && !dots) return identifier_n(start, n, buf, cap);
    }
    const char *base = slash != NULL ? slash + 1 : file;
    const char *dot = strrchr(base, '.');
    size_t n = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    return identifier_n(base, n, buf, cap);
}

const char *rep_crash_reason(int32_t code)
{
    static const char *const names[] = {"", "fault", "op", "precondition", "stack"};
    return code > 0 && code < 5 ? names[code] : "unknown";
}

const char *rep_drop_reason(int32_t code)
{
    static const char *const names[] = {"", "invalid_on_arrival", "malformed"};
    return code > 0 && code < 3 ? names[code] : "unknown";
}
