/* One worker's services: the roles it runs on its event loop. */
#ifndef M2MSECD_SERVICE_H
#define M2MSECD_SERVICE_H

#include <event2/event.h>

#include <m2msec/secret.h>

#include "config.h"

struct mef_service;

/* Builds the MEF on base: TLS context, store connections, writer, HTTPS listener. */
struct mef_service *mef_service_new(struct event_base *base, const struct daemon_conf *conf,
                                    const struct m2m_secret *kek, int reuseport,
                                    char *errbuf, size_t errsz);
/* SIGHUP: reload trust anchors and CRLs for new connections. */
int mef_service_reload(struct mef_service *s, char *errbuf, size_t errsz);
/* SIGTERM: stop accepting; returns the number of open connections. */
int mef_service_drain(struct mef_service *s);
int mef_service_connections(struct mef_service *s);
unsigned short mef_service_port(struct mef_service *s);
void mef_service_free(struct mef_service *s);

#endif
