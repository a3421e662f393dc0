/*
 * cm_profile.h — version-dependent and UNCERTAIN rules as options.
 *
 * docs/semantics.md lists what differs between CF-1153 ([A], OS X 10.11)
 * and the Ventura lineage ([S], macOS 13+); other rules are marked
 * UNCERTAIN. Each becomes an option here, never a silent guess. A named
 * profile sets them all; a scenario may then override single options.
 */
#ifndef CM_PROFILE_H
#define CM_PROFILE_H

#include "cm_types.h"

typedef enum cm_profile_id {
    CM_PROFILE_VENTURA = 1, /* [S]: the default */
    CM_PROFILE_CF1153 = 2,  /* [A] */
} cm_profile_id;

/* R12: what bootstrap does with a name of exactly 128 UTF-8 bytes. */
typedef enum cm_name128 {
    CM_NAME128_ACCEPT = 1,   /* registered as given */
    CM_NAME128_REJECT = 2,   /* name_t holds 127 bytes + NUL: registration fails */
} cm_name128;

typedef struct cm_profile {
    uint8_t id;                       /* cm_profile_id */
    bool setname_refused_with_queue;  /* R19, §11: [S] refuses, [A] allows */
    uint8_t name128;                  /* R12 UNCERTAIN: cm_name128 */
    uint8_t qlimit;                   /* R29: 5 */
    bool main_queue_death_callbacks;  /* R56: death handled on the main queue */
    bool cross_thread_invalidate_wakes; /* R55 UNCERTAIN: false on [A]/[S] */
    bool same_process_remote_shares_wrapper; /* R26 UNCERTAIN on current macOS */
    cm_duration_ns rights_release_delay_ns;  /* R62: invalidate -> receive right gone */
    cm_duration_ns name_release_delay_ns;    /* R62: right gone -> bootstrap name free */
    cm_duration_ns death_notice_delay_ns;    /* R56: dead name -> CF notices */
    cm_duration_ns hop_latency_ns;           /* enqueue -> visible to the receiver */
    cm_duration_ns dispatch_dequeue_delay_ns; /* R50a: visible -> taken off for a dispatch queue */
} cm_profile;

/* Fills *p with the named profile's values. Returns false for an unknown id. */
bool cm_profile_init(cm_profile *p, cm_profile_id id);
const char *cm_profile_name(uint8_t id);
/* Looks a profile up by name ("ventura", "cf-1153"); 0 if unknown. */
cm_profile_id cm_profile_by_name(const char *name);
bool cm_profile_validate(const cm_profile *p);

#endif /* CM_PROFILE_H */
