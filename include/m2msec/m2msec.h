/* Umbrella header for libm2msec. */
#ifndef M2MSEC_M2MSEC_H
#define M2MSEC_M2MSEC_H

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/secret.h>
#include <m2msec/encoding.h>
#include <m2msec/file.h>
#include <m2msec/crypto.h>
#include <m2msec/id.h>
#include <m2msec/pki.h>
#include <m2msec/tls.h>
#include <m2msec/proto.h>
#include <m2msec/store.h>

#endif
