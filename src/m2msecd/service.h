/* The roles a worker runs on its event loop, behind one small interface so that each role
 * (mef, maf, bbn) lives in its own files and main.c knows none of them by name. */
#ifndef M2MSECD_SERVICE_H
#define M2MSECD_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include <m2msec/secret.h>

#include "config.h"

struct service_ops {
    const char *name;
    /* true when the configuration has this role's section */
    bool (*enabled)(const struct daemon_conf *conf);
    /* Builds the role on base (TLS context, store connections, listeners); NULL with one
     * line in errbuf on failure. */
    void *(*create)(struct event_base *base, const struct daemon_conf *conf,
                    const struct m2m_secret *kek, int reuseport, char *errbuf, size_t errsz);
    /* SIGHUP: reload trust anchors, CRLs, rules for new connections; -1 keeps the old. */
    int (*reload)(void *svc, char *errbuf, size_t errsz);
    /* SIGTERM: stop accepting; open connections finish. */
    void (*drain)(void *svc);
    int (*connections)(void *svc);
    /* One line for the log once listening. */
    void (*describe)(void *svc, char *buf, size_t bufsz);
    void (*destroy)(void *svc);
};

/* Every role this daemon knows, NULL-terminated (services.c). */
extern const struct service_ops *const m2msecd_services[];

extern const struct service_ops mef_service_ops;
extern const struct service_ops maf_service_ops;
extern const struct service_ops bbn_service_ops;

#endif
