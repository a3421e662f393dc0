/*
 * rep_text.h — text output shared by the report writers (prefix rep_):
 * escaping for XML and HTML, TAP descriptions and YAML double-quoted
 * scalars, with one rule for the bytes no format can carry, plus the small
 * formatting helpers (seconds, trace hash, counts, names) every writer uses
 * so that all formats say the same thing as sim_json.
 *
 * The rule for hostile text: input strings are read as UTF-8. A byte that
 * is not part of a valid, shortest-form UTF-8 sequence, and every byte of a
 * code point no report should carry (C0 controls other than tab, LF and CR;
 * DEL; C1 controls U+0080-U+009F; noncharacters U+FDD0-U+FDEF and
 * U+xFFFE/U+xFFFF), is written as the four ASCII characters \xNN
 * (lower-case hex), the convention sim_result already uses for data bytes.
 * Tab, LF and CR are escaped per format. So every writer shows the same
 * text for the same hostile input, and its output is always valid UTF-8
 * and valid XML 1.0.
 *
 * Writers report I/O errors through ferror(out): nothing here returns one.
 * Nothing here allocates or keeps a pointer. Not thread-safe per FILE.
 */
#ifndef REP_TEXT_H
#define REP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_result.h"

typedef enum rep_escape {
    REP_ESC_XML = 1,  /* attributes: & < > " ' as references; tab, LF, CR as &#9; &#10; &#13; */
    REP_ESC_XML_TEXT, /* element text (also HTML <pre>): as XML, but tab and LF kept literal */
    REP_ESC_TAP,      /* a TAP description: \ and # backslash-escaped, tab/LF/CR as \xNN, one line */
    REP_ESC_YAML,     /* inside a YAML "...": \ and " escaped, tab/LF/CR as \t \n \r */
} rep_escape;

/* Characters beyond which capped text is cut (then "..." follows). */
#define REP_NO_LIMIT 0u

/*
 * Length in bytes of the character at s if a report may carry it as is
 * (1-4), or 0 if its first byte must be written as \xNN. s is NUL-terminated;
 * s[0] must not be NUL.
 */
size_t rep_char_len(const unsigned char *s);

/* Writes s (NULL: nothing) escaped. */
void rep_put(FILE *out, const char *s, rep_escape esc);
/*
 * As rep_put, but at most max_chars characters (an escaped byte counts as
 * one); when s is longer, "..." follows. max_chars REP_NO_LIMIT: all of it.
 */
void rep_put_max(FILE *out, const char *s, rep_escape esc, size_t max_chars);
/* Writes s as a YAML double-quoted scalar (with the quotes); NULL as ~. */
void rep_put_yaml_string(FILE *out, const char *s);

/* "12.345678": nanoseconds as seconds with microseconds (rounded). cap >= 32. */
const char *rep_seconds(uint64_t ns, char *buf, size_t cap);
/* "0x0123456789abcdef": the trace hash as sim_json writes it. cap >= 19. */
const char *rep_hash(uint64_t hash, char *buf, size_t cap);
/* A virtual time as the terminal shows it ("1.5ms", "2s"). cap >= 32. */
const char *rep_duration(int64_t ns, char *buf, size_t cap);

/* What a result is called: its scenario name, else the file name's last part. */
const char *rep_result_name(const sim_result *r);
/*
 * The topic of a scenario file: the last folder of its path
 * ("scenarios/timeouts/x.yaml" -> "timeouts"), else the file's name without
 * its extension; every byte outside [A-Za-z0-9_-] becomes '_' so it can be a
 * segment of a dotted JUnit classname. Never empty. cap >= 2.
 */
const char *rep_topic(const char *file, char *buf, size_t cap);
/* s with every byte outside [A-Za-z0-9_-] as '_' (empty: "_"). cap >= 2. */
const char *rep_identifier(const char *s, char *buf, size_t cap);

/* The crash / request-drop reason names the scenario format uses ("fault"). */
const char *rep_crash_reason(int32_t code);
const char *rep_drop_reason(int32_t code);

#endif /* REP_TEXT_H */
