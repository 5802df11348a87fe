// SPDX-License-Identifier: GPL-2.0
/*
 * The one place that instantiates rxsteer's tracepoints
 * (include/rxsteer/trace.h).
 */

#define CREATE_TRACE_POINTS
#include "rxsteer/trace.h"
