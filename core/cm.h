/*
 * cm.h — portsim's core model of CFMessagePort: everything public.
 * See cm_world.h for how to make and run a world.
 */
#ifndef CM_H
#define CM_H

#include "cm_profile.h"
#include "cm_program.h"
#include "cm_rng.h"
#include "cm_strategy.h"
#include "cm_trace.h"
#include "cm_types.h"
#include "cm_world.h"

#endif /* CM_H */
