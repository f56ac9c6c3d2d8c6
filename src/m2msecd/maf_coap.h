/* The MAF's client registration over CoAPS with DTLS-PSK (docs/coap.md, docs/maf.md). */
#ifndef M2MSECD_MAF_COAP_H
#define M2MSECD_MAF_COAP_H

#include <m2msec/keyfetch.h>
#include <m2msec/maf.h>

#include "coap_service.h"

struct maf_coap;

/* What the MAF service shares with its CoAPS listener; all of it outlives the listener. */
struct maf_coap_args {
    struct event_base *base; /* the worker's loop */
    const struct daemon_conf *conf;
    struct m2m_maf *maf;
    struct m2m_keyfetch *kf;
    const struct m2m_secret *kek;
};

/* NULL with err set on failure; with no coaps_listen, an object that serves nothing. */
struct maf_coap *maf_coap_new(const struct maf_coap_args *a, int reuseport, struct m2m_error *err);
void maf_coap_drain(struct maf_coap *m);
void maf_coap_describe(const struct maf_coap *m, char *buf, size_t bufsz);
void maf_coap_free(struct maf_coap *m);

#endif
