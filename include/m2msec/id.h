/* oneM2M identifiers (TS-0001 7.1, TS-0003 10.3). Placeholder: filled by the id layer. */
#ifndef M2MSEC_ID_H
#define M2MSEC_ID_H

#include <m2msec/common.h>
#include <m2msec/error.h>

#endif
