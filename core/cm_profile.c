/*
 * cm_profile.c — the named profiles. `ventura` ([S], macOS 13+) is the
 * default; `cf-1153` ([A], OS X 10.11). See cm_profile.h.
 */
#include "cm_profile.h"

#include <string.h>

bool cm_profile_init(cm_profile *p, cm_profile_id id)
{
    if (id != CM_PROFILE_VENTURA && id != CM_PROFILE_CF1153) return false;
    *p = (cm_profile){
        .id = (uint8_t)id,
        .setname_refused_with_queue = id == CM_PROFILE_VENTURA, /* §11 */
        .name128 = CM_NAME128_ACCEPT,
        .qlimit = CM_QLIMIT_DEFAULT,
        .main_queue_death_callbacks = true,
        .cross_thread_invalidate_wakes = false,
        .same_process_remote_shares_wrapper = true,
        .rights_release_delay_ns = CM_NS_PER_MS,
        .name_release_delay_ns = CM_NS_PER_MS,
        .death_notice_delay_ns = 50 * 1000,
        .hop_latency_ns = 0,
        .dispatch_dequeue_delay_ns = 0, /* R50a: at once, so no sender sees -1 unless asked */
    };
    return true;
}

const char *cm_profile_name(uint8_t id)
{
    switch (id) {
    case CM_PROFILE_VENTURA: return "ventura";
    case CM_PROFILE_CF1153: return "cf-1153";
    default: return "?";
    }
}

cm_profile_id cm_profile_by_name(const char *name)
{
    if (strcmp(name, "ventura") == 0) return CM_PROFILE_VENTURA;
    if (strcmp(name, "cf-1153") == 0) return CM_PROFILE_CF1153;
    return (cm_profile_id)0;
}

bool cm_profile_validate(const cm_profile *p)
{
    if (p->id != CM_PROFILE_VENTURA && p->id != CM_PROFILE_CF1153) return false;
    if (p->name128 != CM_NAME128_ACCEPT && p->name128 != CM_NAME128_REJECT) return false;
    if (p->qlimit == 0) return false;
    if (p->rights_release_delay_ns < 0 || p->name_release_delay_ns < 0) return false;
    if (p->death_notice_delay_ns < 0 || p->hop_latency_ns < 0) return false;
    if (p->dispatch_dequeue_delay_ns < 0) return false;
    return true;
}
