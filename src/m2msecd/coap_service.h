/* A role's CoAPS listener (docs/coap.md): the DTLS context built from the role's TLS
 * configuration, the libcoap server on the role's loop, and its log lines. Each role's
 * adapter (mef_coap.c, bbn_coap.c, maf_coap.c) turns exchanges into role requests. */
#ifndef M2MSECD_COAP_SERVICE_H
#define M2MSECD_COAP_SERVICE_H

#include <event2/event.h>

#include <m2msec/coap.h>
#include <m2msec/tls.h>

#include "config.h"

struct coap_listener {
    const char *role;
    struct m2m_coap_server *srv;
    struct m2m_tls_ctx *tls;
};

struct coap_listener_args {
    const char *role;                     /* "mef", "maf", "bbn": prefixes log lines */
    const struct listen_conf *listen;     /* coaps_listen */
    struct m2m_tls_config *tls;           /* the role's server configuration */
    m2m_psk_lookup_fn psk_fn;             /* NULL: certificate sessions only */
    m2m_psk_lookup_suite_fn psk_suite_fn; /* instead of psk_fn */
    void *psk_arg;
    m2m_coap_handler handler;
    void *handler_arg;
};

/* Opens the listener on base. Refused with workers > 1 (reuseport): libcoap 4.3.1 binds
 * its UDP socket without SO_REUSEPORT, so a second worker could not share the port. */
int coap_listener_open(struct coap_listener *l, struct event_base *base,
                       const struct daemon_conf *c, const struct coap_listener_args *a,
                       int reuseport, struct m2m_error *err);
/* SIGHUP: a DTLS context from cfg for new sessions; on failure the old one stays. */
int coap_listener_set_tls(struct coap_listener *l, struct m2m_tls_config *cfg,
                          struct m2m_error *err);
void coap_listener_drain(struct coap_listener *l);
int coap_listener_pending(const struct coap_listener *l);
/* ", CoAPS on ADDR:PORT" for the role's describe line, or "" when off. */
void coap_listener_describe(const struct coap_listener *l, const struct listen_conf *lc, char *buf,
                            size_t bufsz);
void coap_listener_close(struct coap_listener *l);

#endif
