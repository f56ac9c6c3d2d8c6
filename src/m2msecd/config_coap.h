/* The coaps_listen key of the [mef], [maf] and [bbn] sections (docs/coap.md). */
#ifndef M2MSECD_CONFIG_COAP_H
#define M2MSECD_CONFIG_COAP_H

#include <m2msec/coap.h>

#include "config.h"

/* "" or "none": off (port 0). "ADDR": ADDR and the role's default port. "ADDR:PORT" or
 * "[V6]:PORT": as given (PORT 1..65535). -1 when the value is not one of these. */
int config_coaps_listen(const char *v, unsigned short default_port, struct listen_conf *l);

/* The role's CoAPS listener fits the rest of the configuration: workers = 1 (libcoap 4.3.1
 * binds its UDP socket without SO_REUSEPORT, so worker processes cannot share it). */
int config_coaps_check(const struct daemon_conf *c, const struct listen_conf *l, const char *role,
                       char *err, size_t errsz);

/* 1 when the role's CoAPS listener is on. */
static inline int config_coaps_on(const struct listen_conf *l)
{
    return l->port != 0;
}

#endif
