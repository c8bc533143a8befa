/* The table behind metric_names.h. */
#include "runtime/metric_names.h"

#include <stddef.h>

static const bpci__metrics_def defs[BPCI__MID_COUNT] = {
#define BPCI__METRIC_DEF_(id, type, name, help) {name, help, BPCI__METRIC_##type},
	BPCI__METRIC_FAMILIES(BPCI__METRIC_DEF_)
#undef BPCI__METRIC_DEF_
};

const bpci__metrics_def *bpci__metric_def(bpci__metric_id id)
{
	if ((unsigned int)id >= BPCI__MID_COUNT)
		return NULL;
	return &defs[id];
}
