/* The Briefing Node's POST /briefing over CoAPS: the same rules (lib/role/bbn) and the same
 * certificate classes as over HTTPS (bbn_service.c). */
#ifndef M2MSECD_BBN_COAP_H
#define M2MSECD_BBN_COAP_H

#include <m2msec/bbn.h>

#include "coap_service.h"

struct bbn_coap;

/* rules points at the service's current rules (swapped whole on SIGHUP). */
struct bbn_coap *bbn_coap_new(struct event_base *base, const struct daemon_conf *conf,
                              struct m2m_bbn_rules *const *rules, struct m2m_tls_config *tls,
                              int reuseport, struct m2m_error *err);
int bbn_coap_set_tls(struct bbn_coap *b, struct m2m_tls_config *tls, struct m2m_error *err);
void bbn_coap_drain(struct bbn_coap *b);
void bbn_coap_describe(const struct bbn_coap *b, char *buf, size_t bufsz);
void bbn_coap_free(struct bbn_coap *b);

#endif
