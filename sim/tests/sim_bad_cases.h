/*
 * sim_bad_cases.h — the malformed scenarios under sim/tests/bad/ and one
 * error each must produce ("line:col" and words of the message). Shared by
 * sim_load_test (in-process) and sim_bad_inputs_test (the real binary).
 * A file may appear several times, once per expected error.
 */
#ifndef SIM_BAD_CASES_H
#define SIM_BAD_CASES_H

typedef struct sim_bad_case {
    const char *file;
    const char *where; /* "line:col" */
    const char *words;
} sim_bad_case;

static const sim_bad_case sim_bad_cases[] = {
    {"yaml-indent.yaml", "6:4", "YAML: invalid indentation"},
    {"yaml-unclosed.yaml", "2:44", "YAML: mismatched flow mapping end"},
    {"wrong-types.yaml", "3:3", "processes must be a mapping, not a list"},
    {"wrong-types.yaml", "5:6", "a step list must be a list, not a mapping"},
    {"wrong-types-2.yaml", "2:13", "time_limit must be a scalar, not a list"},
    {"wrong-types-2.yaml", "7:73", "context info must be an integer, not a quoted string"},
    {"wrong-types-2.yaml", "7:85", "retain must be true or false, not 'yes'"},
    {"wrong-types-2.yaml", "8:34", "msgid must be an integer, not '1.5'"},
    {"wrong-types-2.yaml", "10:26", "create_remote takes a mapping of arguments"},
    {"unknown-keys.yaml", "2:1", "unknown key 'descripton' in a scenario"},
    {"unknown-keys.yaml", "6:5", "unknown key 'stat' in a process"},
    {"unknown-keys.yaml", "9:44", "unknown key 'handlr' in create_local"},
    {"unknown-keys.yaml", "10:27", "unknown key 'send_timout' in send"},
    {"unknown-keys.yaml", "12:29", "unknown key 'elapsd' in expect"},
    {"unknown-keys.yaml", "14:11", "unknown key 'lable' in a step"},
    {"unknown-keys.yaml", "18:6", "unknown event kind 'callouts'"},
    {"unknown-keys.yaml", "19:16", "unknown key 'proc' in an event filter"},
    {"dangling-refs.yaml", "6:53", "unknown handler 'nope'"},
    {"dangling-refs.yaml", "7:58", "'h' is a handler, but a callback is needed here"},
    {"dangling-refs.yaml", "8:37", "unknown mode 'private'"},
    {"dangling-refs.yaml", "9:17", "process 'p' has no thread 'ghost'"},
    {"dangling-refs.yaml", "10:48", "process 'p' has no queue 'work'"},
    {"dangling-refs.yaml", "11:23", "port variable 'b' is never created"},
    {"dangling-refs.yaml", "12:39", "unknown block 'missing'"},
    {"dangling-refs.yaml", "13:62", "unknown process 'other'"},
    {"dangling-refs.yaml", "15:30", "unknown callback 'nope'"},
    {"dangling-refs.yaml", "19:21", "unknown process 'phantom'"},
    {"dangling-refs.yaml", "21:36", "process 'p' has no thread 'worker'"},
    {"dangling-refs.yaml", "22:22", "unknown port variable 'zz'"},
    {"duplicate-names.yaml", "2:12", "mode 'm' is declared twice"},
    {"duplicate-names.yaml", "7:7", "duplicate key 'main'"},
    {"duplicate-names.yaml", "8:3", "duplicate key 'p'"},
    {"duplicate-names.yaml", "12:3", "'h' is already defined in handlers"},
    {"missing-keys.yaml", "1:1", "a scenario needs 'scenario: <name>'"},
    {"missing-keys.yaml", "4:17", "a queue needs 'kind'"},
    {"missing-keys.yaml", "7:11", "send needs 'send_timeout'"},
    {"missing-keys.yaml", "8:11", "create_remote needs 'name'"},
    {"missing-keys.yaml", "9:11", "run_loop needs 'for'"},
    {"missing-keys.yaml", "10:11", "add_timer needs 'after'"},
    {"missing-keys.yaml", "12:5", "a fault needs 'at'"},
    {"missing-keys.yaml", "13:5", "a fault has exactly one of"},
    {"missing-keys.yaml", "15:5", "an expected event needs 'count'"},
    {"bad-durations.yaml", "2:13", "time_limit must be positive"},
    {"bad-durations.yaml", "5:12", "a negative duration is not allowed here"},
    {"bad-durations.yaml", "8:18", "a duration needs a unit"},
    {"bad-durations.yaml", "9:18", "unknown duration unit"},
    {"bad-durations.yaml", "10:18", "unknown duration unit"},
    {"bad-durations.yaml", "11:18", "'nan' is not allowed here"},
    {"bad-durations.yaml", "12:18", "not a whole number of nanoseconds"},
    {"bad-durations.yaml", "13:18", "a negative duration is not allowed here"},
    {"bad-durations.yaml", "14:18", "work must be a duration, not a quoted string"},
    {"bad-durations.yaml", "15:18", "duration out of range"},
    {"blocking-callback.yaml", "10:7", "may not send: callbacks run inline and never block"},
    {"blocking-callback.yaml", "11:7", "may not run_loop"},
    {"blocking-callback.yaml", "12:7", "reply is only allowed in handlers"},
    {"blocking-callback.yaml", "13:7", "may not work"},
    {"self-and-reply.yaml", "6:23", "'self' names the port of a handler"},
    {"self-and-reply.yaml", "7:11", "reply is only allowed in handlers"},
    {"self-and-reply.yaml", "8:32", "it cannot be used by this operation"},
    {"self-and-reply.yaml", "11:17", "'self' names the port of a handler"},
    {"bad-expect.yaml", "7:19", "unknown result 'success' for create_local (expected created, null, blocked or killed)"},
    {"bad-expect.yaml", "9:20", "'reply' does not apply to invalidate"},
    {"bad-expect.yaml", "11:19", "use {name: ...} for the name"},
    {"bad-expect.yaml", "13:26", "runs min is larger than max"},
    {"bad-expect.yaml", "15:19", "at most 8 allowed results"},
    {"bad-expect.yaml", "17:28", "give 'result' or 'status', not both"},
    {"bad-expect.yaml", "19:11", "empty expectation"},
    {"bad-names.yaml", "1:12", "scenario name 'has space'"},
    {"bad-names.yaml", "3:3", "a process name '1p' is not a valid name"},
    {"bad-names.yaml", "8:8", "a thread name 'th read' is not a valid name"},
    {"bad-names.yaml", "10:33", "port 'a b' is not a valid name"},
    {"bad-rules.yaml", "2:9", "unknown rule 'R0'"},
    {"bad-rules.yaml", "2:13", "unknown rule 'R68'"},
    {"bad-rules.yaml", "2:18", "unknown rule 'X1'"},
    {"bad-rules.yaml", "2:22", "unknown rule 'R07'"},
    {"multi-doc.yaml", "2:1", "only one YAML document"},
    {"anchors.yaml", "2:8", "anchors (&name) are not allowed"},
    {"alias-bomb.yaml", "2:4", "anchors (&name) are not allowed"},
    {"tags.yaml", "1:11", "tags (!tag) are not allowed"},
    {"deep-flow.yaml", "2:32", "nesting deeper than 24 levels"}, /* the 25th [ (libfyaml said 2:31) */
    {"deep-block.yaml", "26:49", "nesting deeper than 24 levels"},
    {"invalid-utf8.yaml", "2:12", "invalid UTF-8 byte 0xc3"},
    {"invalid-utf8.yaml", "2:19", "invalid UTF-8 byte 0xed"},
    {"invalid-utf8.yaml", "2:27", "invalid UTF-8 byte 0xc0"},
    {"nul-byte.yaml", "1:14", "NUL byte in the file"},
    {"control-chars.yaml", "2:14", "control character U+0007"},
    {"control-chars.yaml", "2:24", "control character U+007F"},
    {"hang-directive.yaml", "1:2", "invalid UTF-8 byte 0xb0"},
    {"directive.yaml", "1:1", "YAML directives"},
    {"empty.yaml", "1:1", "the file is empty"},
    /* issue 10: a mapping as a key crashed the loader (NULL key text in strcmp) */
    {"non-scalar-key.yaml", "2:4", "a mapping key must be a scalar, not a mapping"},
    {"non-scalar-key-2.yaml", "6:12", "a mapping key must be a scalar, not a list"},
    /* issue 9: a misspelled result said "expected result must be an integer" */
    {"result-typos.yaml", "8:28", "unknown result 'became_invaild' for send: did you mean 'became_invalid'? (expected success, send_timeout,"},
    {"result-typos.yaml", "10:28", "expected result must be an integer in [-5, 0], not 7"},
    {"result-typos.yaml", "12:19", "unknown result 'zzz' for send (expected success,"},
    {"result-typos.yaml", "14:19", "unknown result 'ture' for is_valid: did you mean 'true'? (expected true, false, blocked or killed)"},
    {"result-typos.yaml", "16:19", "unknown result 'blokced' for get_type_id: did you mean 'blocked'? (expected blocked, killed or an integer)"},
    /* issue 9: a filter an event kind cannot match was accepted and matched nothing */
    {"event-filters.yaml", "10:21", "'msgid' does not filter callout_done events (they carry no message id); callout_done takes process, thread, port"},
    {"event-filters.yaml", "11:42", "'msgid' does not filter invalidation_callback events"},
    {"event-filters.yaml", "12:14", "'thread' does not filter crash events (they happen on no thread); crash takes process, reason"},
    {"event-filters.yaml", "13:22", "name_released takes no filter, only a count"},
    {"event-filters.yaml", "14:16", "'warning' does not filter callout events (only warning events have one)"},
    {"event-filters.yaml", "15:6", "unknown event kind 'calout': did you mean 'callout'?"},
    /* issue 10: 7,600 sends of 1 MiB repeats took 7.5 GiB; the data budgets */
    {"data-budget.yaml", "23:51", "data to 16777217 bytes, over the budget of 16 MiB per scenario"},
    {"data-budget.yaml", "32:51", "{size: N} data to 19327352823 bytes, over the budget of 16 GiB"},
};

#define SIM_BAD_CASE_COUNT (sizeof sim_bad_cases / sizeof sim_bad_cases[0])

#endif /* SIM_BAD_CASES_H */
