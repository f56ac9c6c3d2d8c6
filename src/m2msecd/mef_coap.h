/* The MEF's resources over CoAPS: the same role logic (lib/role/mef) and the same durable
 * write before the answer as over HTTPS (mef_service.c). */
#ifndef M2MSECD_MEF_COAP_H
#define M2MSECD_MEF_COAP_H

#include <m2msec/mef.h>
#include <m2msec/net.h>

#include "coap_service.h"

struct mef_coap;

/* What the MEF service shares with its CoAPS listener; all of it outlives the listener. */
struct mef_coap_args {
    struct event_base *base;
    const struct daemon_conf *conf;
    struct m2m_mef *mef;
    struct m2m_store *store; /* the loop's read connection */
    struct m2m_writer *writer;
    struct m2m_tls_config *tls;
};

/* NULL with err set on failure; a listener that is off (no coaps_listen) is a valid
 * object that serves nothing. */
struct mef_coap *mef_coap_new(const struct mef_coap_args *a, int reuseport, struct m2m_error *err);
int mef_coap_set_tls(struct mef_coap *m, struct m2m_tls_config *tls, struct m2m_error *err);
void mef_coap_drain(struct mef_coap *m);
int mef_coap_pending(const struct mef_coap *m);
void mef_coap_describe(const struct mef_coap *m, char *buf, size_t bufsz);
void mef_coap_free(struct mef_coap *m);

#endif
