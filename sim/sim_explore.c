/* sim_explore.c — see sim_explore.h. */
#include "sim_explore.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_scenario.h"

/* ---- pct --------------------------------------------------------------- */

void sim_pct_init(sim_pct *p, uint64_t seed, uint32_t depth, uint64_t steps_estimate)
{
    assert(depth >= 1);
    memset(p, 0, sizeof *p);
    cm_rng_seed(&p->rng, seed);
    p->depth = depth > SIM_PCT_DEPTH_MAX ? SIM_PCT_DEPTH_MAX : depth;
    uint64_t k = steps_estimate > 0 ? steps_estimate : 1;
    for (uint32_t i = 0; i + 1 < p->depth; i++) p->change_at[i] = cm_rng_below(&p->rng, k);
    p->lowest = 0;
}

static uint64_t actor_key(const cm_choice_option *o)
{
    return (uint64_t)o->actor << 56 ^ (uint64_t)o->process << 40 ^ (uint64_t)o->thread << 24 ^
           (uint64_t)o->value;
}

/* Initial priorities are random and positive; change points hand out
 * ever lower (negative) ones, below every initial priority. */
static int64_t *priority_of(sim_pct *p, uint64_t key)
{
    for (uint32_t i = 0; i < p->actor_count; i++) {
        if (p->actor_key[i] == key) return &p->actor_priority[i];
    }
    if (p->actor_count == SIM_PCT_ACTORS_MAX) return &p->actor_priority[0];
    uint32_t i = p->actor_count++;
    p->actor_key[i] = key;
    p->actor_priority[i] = 1 + (int64_t)cm_rng_below(&p->rng, UINT64_C(1) << 40);
    return &p->actor_priority[i];
}

static uint32_t highest(sim_pct *p, const cm_choice *choice)
{
    uint32_t best = 0;
    int64_t best_priority = INT64_MIN;
    for (uint32_t i = 0; i < choice->count; i++) {
        int64_t pr = *priority_of(p, actor_key(&choice->options[i]));
        if (pr > best_priority) {
            best_priority = pr;
            best = i;
        }
    }
    return best;
}

static uint32_t pct_choose(void *ctx, const cm_choice *choice)
{
    sim_pct *p = ctx;
    assert(choice->count >= 2);
    if (choice->kind != CM_CHOICE_NEXT) return (uint32_t)cm_rng_below(&p->rng, choice->count);
    uint32_t pick = highest(p, choice);
    for (uint32_t i = 0; i + 1 < p->depth; i++) {
        if (p->change_at[i] != choice->ordinal) continue;
        *priority_of(p, actor_key(&choice->options[pick])) = --p->lowest;
        pick = highest(p, choice);
    }
    assert(pick < choice->count);
    return pick;
}

const cm_strategy sim_strategy_pct = {.name = "pct", .choose = pct_choose};

/* ---- sets of 64-bit hashes: open addressing, linear probing ------------ */

static bool visited_grow(sim_hashset *v)
{
    uint64_t capacity = v->capacity ? v->capacity * 2 : 4096;
    uint64_t *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL) return false;
    for (uint64_t i = 0; i < v->capacity; i++) {
        uint64_t h = v->slots[i];
        if (h == 0) continue;
        uint64_t j = h & (capacity - 1);
        while (slots[j] != 0) j = (j + 1) & (capacity - 1);
        slots[j] = h;
    }
    free(v->slots);
    v->slots = slots;
    v->capacity = capacity;
    return true;
}

bool sim_hashset_insert(sim_hashset *v, uint64_t h)
{
    if (h == 0) h = 1;
    if ((v->count + 1) * 2 > v->capacity && !visited_grow(v)) return false;
    uint64_t j = h & (v->capacity - 1);
    for (uint64_t probes = 0; probes < v->capacity; probes++) {
        if (v->slots[j] == h) return true;
        if (v->slots[j] == 0) {
            v->slots[j] = h;
            v->count++;
            return false;
        }
        j = (j + 1) & (v->capacity - 1);
    }
    return false;
}

bool sim_hashset_contains(const sim_hashset *v, uint64_t h)
{
    if (h == 0) h = 1;
    if (v->capacity == 0) return false;
    uint64_t j = h & (v->capacity - 1);
    for (uint64_t probes = 0; probes < v->capacity && v->slots[j] != 0; probes++) {
        if (v->slots[j] == h) return true;
        j = (j + 1) & (v->capacity - 1);
    }
    return false;
}

void sim_hashset_fini(sim_hashset *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

/* ---- schedules --------------------------------------------------------- */

#define NOT_PRUNED UINT32_MAX

void sim_schedule_init(sim_schedule *s, const uint32_t *follow, uint32_t follow_count,
                       sim_choice_record *seen, uint32_t seen_capacity)
{
    memset(s, 0, sizeof *s);
    s->follow = follow;
    s->follow_count = follow_count;
    s->seen = seen;
    s->seen_capacity = seen_capacity;
    s->branch_depth = UINT32_MAX;
    s->pruned_at = NOT_PRUNED;
}

/* A sleep set as one word, independent of the keys' order (0: empty). */
static uint64_t sleep_digest(const sim_por *p)
{
    uint64_t d = 0;
    for (uint32_t i = 0; i < p->sleep_count; i++) {
        uint64_t k = p->sleep[i] * UINT64_C(0x9E3779B97F4A7C15);
        d += k ^ k >> 29;
    }
    return d;
}

/*
 * State pruning. Without reduction a state already seen is pruned. With
 * sleep sets a subtree explored from a state depends on the sleep set it
 * was entered with too (the known pitfall: pruning on the state alone
 * would skip the options the first visit had asleep), so the key is the
 * state and the sleep set, and a state first entered with an empty sleep
 * set (every option explored from it) also prunes later visits.
 */
static void check_state(sim_schedule *s, const cm_choice *choice)
{
    if (s->visited == NULL || s->pruned_at != NOT_PRUNED) return;
    if (choice->ordinal < s->follow_count || choice->ordinal >= s->branch_depth) return;
    uint64_t h = cm_world_state_hash(choice->world) ^ (uint64_t)choice->kind << 60 ^
                 (uint64_t)choice->count << 48;
    uint64_t z = s->por != NULL ? sleep_digest(s->por) : 0;
    if (z != 0 && sim_hashset_contains(s->visited, h)) {
        s->pruned_at = (uint32_t)choice->ordinal;
        return;
    }
    if (sim_hashset_insert(s->visited, h ^ z * UINT64_C(0xD6E8FEB86659FD93))) {
        s->pruned_at = (uint32_t)choice->ordinal;
    }
}

/* Two options commute: both local steps (cm_world_option_footprint) of different processes. */
static bool independent(const cm_option_footprint *a, const cm_option_footprint *b)
{
    return a->local && b->local && a->process != b->process;
}

static bool sleeping(const sim_por *p, uint64_t key)
{
    for (uint32_t i = 0; i < p->sleep_count; i++) {
        if (p->sleep[i] == key) return true;
    }
    return false;
}

/*
 * Sleep sets (Godefroid 1996) at a choice point, before the pick: which
 * options are asleep. The sleep set carried from the previous choice is
 * trusted only when exactly the step chosen there ran in between (steps
 * with a single option are not shown to the strategy): otherwise it is
 * emptied, which only explores more. Keys no option has any more are
 * dropped.
 */
static uint64_t por_enter(sim_por *p, const cm_choice *choice, cm_option_footprint *fp, bool *reduced)
{
    uint64_t steps = cm_world_step_count(choice->world);
    bool next = choice->kind == CM_CHOICE_NEXT;
    if (!p->have_mark || steps != p->mark + (next ? 1 : 0)) p->sleep_count = 0;
    *reduced = next && choice->count <= SIM_POR_OPTIONS_MAX;
    if (!next) return 0;
    p->mark = steps;
    p->have_mark = true;
    if (!*reduced) {
        p->sleep_count = 0;
        return 0;
    }
    uint64_t asleep = 0;
    for (uint32_t i = 0; i < choice->count; i++) {
        fp[i] = cm_world_option_footprint(choice->world, i);
        if (sleeping(p, fp[i].key)) asleep |= UINT64_C(1) << i;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < choice->count; i++) {
        if (asleep >> i & 1u) p->sleep[kept++] = fp[i].key;
    }
    p->sleep_count = kept;
    return asleep;
}

/* After the pick: the next sleep set, the options asleep or explored here that commute with it. */
static void por_leave(sim_por *p, const cm_choice *choice, const cm_option_footprint *fp, uint64_t asleep,
                      uint64_t done, uint32_t pick)
{
    uint64_t carry = (asleep | done) & ~(UINT64_C(1) << pick);
    uint32_t n = 0;
    for (uint32_t i = 0; i < choice->count && n < SIM_POR_SLEEP_MAX; i++) {
        if ((carry >> i & 1u) && independent(&fp[i], &fp[pick])) p->sleep[n++] = fp[i].key;
    }
    p->sleep_count = n;
}

static uint32_t lowest_bit(uint64_t m)
{
    assert(m != 0);
    return (uint32_t)__builtin_ctzll(m);
}

/*
 * Symmetry reduction. At a NEXT choice, option j is a twin of a lower
 * option i when cm_world_options_symmetric says so: the same step of two
 * processes p, q of one class, in a state that swapping p and q maps onto
 * itself. Swapping them then maps every run below i onto a run below j and
 * back, step for step, each step's outcome onto the same outcome of the
 * corresponding step; so j is not branched. The runs below j that are not
 * made are the images of runs below i that are (or that sleep sets and
 * state pruning account for, and those arguments commute with the swap: a
 * swap maps equivalent runs to equivalent runs and a state seen to a state
 * seen). What the search then covers, exactly, is each step's outcomes
 * *folded over its class*: the union over the corresponding steps of the
 * symmetric processes, which is also each of those steps' own set, since
 * the runs of the scenario are closed under the swap (sim_symmetry_reps).
 * Twins are not carried into sleep sets (only explored and asleep options
 * are), which can only explore more. Callers that need whole runs (event
 * counts and orders, joint checks of one run) must not ask for it: the
 * swapped runs are not made.
 */
static uint64_t twins_of(const cm_choice *choice)
{
    assert(choice->kind == CM_CHOICE_NEXT && choice->count <= SIM_POR_OPTIONS_MAX);
    uint64_t twins = 0;
    for (uint32_t j = 1; j < choice->count; j++) {
        for (uint32_t i = 0; i < j; i++) { /* twins are an equivalence: the first of each is enough */
            if ((twins >> i & 1u) == 0 && cm_world_options_symmetric(choice->world, i, j)) {
                twins |= UINT64_C(1) << j;
                break;
            }
        }
    }
    assert((twins & 1u) == 0);
    return twins;
}

static uint32_t schedule_choose(void *ctx, const cm_choice *choice)
{
    sim_schedule *s = ctx;
    assert(choice->count >= 2);
    sim_por *p = s->por;
    cm_option_footprint fp[SIM_POR_OPTIONS_MAX];
    bool reduced = false;
    uint64_t asleep = p != NULL ? por_enter(p, choice, fp, &reduced) : 0;
    check_state(s, choice);
    uint32_t pick = 0;
    uint64_t o = choice->ordinal;
    bool fresh = o + 1 >= s->follow_count && o < s->branch_depth; /* the branch point or a new one */
    uint64_t twins = reduced && p->symmetry && fresh ? twins_of(choice) : 0;
    if (o < s->follow_count) {
        pick = s->follow[o];
        if (pick >= choice->count) {
            s->diverged = true;
            pick = 0;
        }
    } else if (reduced && o < s->branch_depth) { /* past it every pick is 0, as without reduction */
        uint64_t all = choice->count == 64 ? ~UINT64_C(0) : (UINT64_C(1) << choice->count) - 1;
        if ((all & ~asleep & ~twins) != 0) {
            pick = lowest_bit(all & ~asleep & ~twins);
        } else if (p->blocked_at == NOT_PRUNED) {
            p->blocked_at = (uint32_t)o; /* every option asleep: explored elsewhere */
        }
    }
    if (p != NULL && o < p->capacity) {
        if (o + 1 >= s->follow_count) { /* the branch point or a new one */
            uint64_t prior = o + 1 == s->follow_count && p->reduced[o] ? p->done[o] : 0;
            p->done[o] = prior | UINT64_C(1) << (pick & 63u);
            p->asleep[o] = asleep;
            p->twin[o] = twins;
            p->reduced[o] = reduced;
            if (o >= s->follow_count) p->twins += (uint64_t)__builtin_popcountll(twins);
        }
        if (reduced) por_leave(p, choice, fp, asleep, p->done[o], pick);
    } else if (p != NULL) {
        p->sleep_count = 0;
    }
    if (s->seen_count < s->seen_capacity) {
        s->seen[s->seen_count] =
            (sim_choice_record){.pick = pick, .count = choice->count, .kind = choice->kind};
    }
    s->seen_count++;
    return pick;
}

const cm_strategy sim_strategy_schedule = {.name = "schedule", .choose = schedule_choose};

size_t sim_schedule_format_picks(const uint32_t *picks, uint32_t count, char *buf, size_t cap)
{
    uint32_t end = count;
    while (end > 0 && picks[end - 1] == 0) end--; /* trailing fifo picks */
    size_t len = 0;
    char tmp[32];
    for (uint32_t i = 0; i < end;) {
        int n;
        if (picks[i] == 0) {
            uint32_t run = 0;
            while (i + run < end && picks[i + run] == 0) run++;
            n = snprintf(tmp, sizeof tmp, "%s_%u", len ? "." : "", run);
            i += run;
        } else {
            n = snprintf(tmp, sizeof tmp, "%s%u", len ? "." : "", picks[i]);
            i++;
        }
        for (int k = 0; k < n; k++, len++) {
            if (len + 1 < cap) buf[len] = tmp[k];
        }
    }
    if (cap > 0) buf[len < cap ? len : cap - 1] = '\0';
    return len;
}

size_t sim_schedule_format(const sim_choice_record *seen, uint32_t count, char *buf, size_t cap)
{
    uint32_t *picks = malloc(((size_t)count + 1) * sizeof *picks);
    if (picks == NULL) {
        if (cap > 0) buf[0] = '\0';
        return 0;
    }
    for (uint32_t i = 0; i < count; i++) picks[i] = seen[i].pick;
    size_t len = sim_schedule_format_picks(picks, count, buf, cap);
    free(picks);
    return len;
}

bool sim_schedule_parse(const char *text, uint32_t *picks, uint32_t cap, uint32_t *count)
{
    uint32_t n = 0;
    const char *p = text;
    while (*p != '\0') {
        bool zeros = *p == '_';
        if (zeros) p++;
        if (*p < '0' || *p > '9') return false;
        char *end = NULL;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v > UINT32_MAX / 2) return false;
        p = end;
        if (zeros) {
            if (v == 0 || v > cap - n) return false;
            for (unsigned long k = 0; k < v; k++) picks[n++] = 0;
        } else {
            if (n >= cap) return false;
            picks[n++] = (uint32_t)v;
        }
        if (*p == '.') {
            p++;
            if (*p == '\0') return false;
        } else if (*p != '\0') {
            return false;
        }
    }
    *count = n;
    return true;
}

/* ---- exhaustive search ------------------------------------------------- */

#define SEEN_MAX 65536

/*
 * The deepest branch point below the bounds with an option left to explore:
 * the next pick in order, or with reduction the lowest option neither
 * explored there nor asleep.
 */
static bool next_prefix(const sim_schedule *s, uint32_t limit, uint32_t *prefix, uint32_t *len)
{
    uint32_t n = s->seen_count < s->seen_capacity ? s->seen_count : s->seen_capacity;
    if (n > limit) n = limit;
    if (s->pruned_at != NOT_PRUNED && s->pruned_at < n) n = s->pruned_at;
    const sim_por *p = s->por;
    if (p != NULL && p->blocked_at < n) n = p->blocked_at;
    for (uint32_t i = n; i > 0; i--) {
        const sim_choice_record *r = &s->seen[i - 1];
        uint32_t next = r->pick + 1;
        if (p != NULL && i - 1 < p->capacity && p->reduced[i - 1]) {
            uint64_t all = r->count >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << r->count) - 1;
            uint64_t left = all & ~p->done[i - 1] & ~p->asleep[i - 1] & ~p->twin[i - 1];
            if (left == 0) continue;
            next = lowest_bit(left);
        } else if (next >= r->count) {
            continue;
        }
        for (uint32_t j = 0; j + 1 < i; j++) prefix[j] = s->seen[j].pick;
        prefix[i - 1] = next;
        *len = i;
        return true;
    }
    return false;
}

static bool branches_past(const sim_schedule *s, uint32_t depth)
{
    uint32_t n = s->seen_count < s->seen_capacity ? s->seen_count : s->seen_capacity;
    for (uint32_t i = depth; i < n; i++) {
        if (s->seen[i].count > 1) return true;
    }
    return s->seen_count > s->seen_capacity;
}

bool sim_explore_exhaustive(sim_run_fn run, void *user, const sim_exhaustive_limits *limits,
                            sim_exhaustive_result *out)
{
    memset(out, 0, sizeof *out);
    sim_choice_record *seen = calloc(SEEN_MAX, sizeof *seen);
    uint32_t *prefix = calloc(SEEN_MAX, sizeof *prefix);
    sim_hashset visited = {0};
    sim_por por = {.capacity = 1024};
    if (limits->reduce) {
        por.done = calloc(por.capacity, sizeof *por.done);
        por.asleep = calloc(por.capacity, sizeof *por.asleep);
        por.twin = calloc(por.capacity, sizeof *por.twin);
        por.reduced = calloc(por.capacity, sizeof *por.reduced);
        por.symmetry = limits->symmetry;
    }
    bool por_ok = !limits->reduce ||
                  (por.done != NULL && por.asleep != NULL && por.twin != NULL && por.reduced != NULL);
    if (seen == NULL || prefix == NULL || !por_ok) {
        free(seen);
        free(prefix);
        free(por.done);
        free(por.asleep);
        free(por.twin);
        free(por.reduced);
        return false;
    }
    /* past depth_max every pick is 0, so 1024 recorded picks replay exactly */
    uint32_t depth = limits->depth_max < 1024 ? limits->depth_max : 1024;
    uint32_t len = 0;
    for (;;) {
        sim_schedule s;
        sim_schedule_init(&s, prefix, len, seen, SEEN_MAX);
        s.branch_depth = depth;
        s.visited = limits->prune_states ? &visited : NULL;
        if (limits->reduce) {
            por.sleep_count = 0;
            por.have_mark = false;
            por.blocked_at = NOT_PRUNED;
            s.por = &por;
        }
        bool ok = run(user, &sim_strategy_schedule, &s);
        out->schedules++;
        if (s.pruned_at != NOT_PRUNED) out->pruned++;
        if (limits->reduce && por.blocked_at != NOT_PRUNED) out->sleep_blocked++;
        if (branches_past(&s, depth)) out->cut_by_depth = true;
        if (!ok && out->failures++ == 0) {
            uint32_t n = s.seen_count < SEEN_MAX ? s.seen_count : SEEN_MAX;
            out->failing_count = n < depth ? n : depth;
            for (uint32_t i = 0; i < out->failing_count; i++) out->failing[i] = seen[i].pick;
        }
        if (!ok && limits->stop_at_failure) break;
        if (!next_prefix(&s, depth, prefix, &len)) {
            out->complete = true;
            break;
        }
        if (out->schedules >= limits->schedules_max) {
            out->cut_by_schedules = true;
            break;
        }
    }
    out->states = visited.count;
    out->twins = por.twins;
    sim_hashset_fini(&visited);
    free(seen);
    free(prefix);
    free(por.done);
    free(por.asleep);
    free(por.twin);
    free(por.reduced);
    return true;
}

/* ---- symmetry folding ---------------------------------------------------- */

bool sim_symmetry_reps(const sim_scenario *sc, const cm_world_config *cfg, uint32_t *rep, uint32_t *moved_out)
{
    assert(sc != NULL && cfg != NULL && rep != NULL);
    assert(cfg->program_count == sc->program_count);
    for (uint32_t i = 0; i < sc->step_count; i++) rep[i] = i;
    uint16_t *cls = malloc(((size_t)cfg->process_count + 1) * sizeof *cls);
    if (cls == NULL) return false;
    cm_world_config_symmetry(cfg, cls);
    uint32_t moved = 0;
    for (uint16_t q = 0; q < cfg->process_count; q++) {
        uint16_t p = cls[q];
        if (p == CM_NONE16 || p == q) continue;
        for (uint16_t t = 0; t < cfg->processes[q].thread_count; t++) {
            uint16_t from = cfg->processes[q].threads[t].program, to = cfg->processes[p].threads[t].program;
            if (from == to) continue;
            const sim_program *a = &sc->programs[from], *b = &sc->programs[to];
            assert(a->step_count == b->step_count); /* cm_world_config_symmetry: equal programs */
            for (uint32_t k = 0; k < a->step_count; k++) rep[a->first_step + k] = b->first_step + k;
            moved += a->step_count;
        }
    }
    free(cls);
    assert(moved <= sc->step_count);
    if (moved_out != NULL) *moved_out = moved;
    return true;
}
