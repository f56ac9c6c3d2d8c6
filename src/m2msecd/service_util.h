/* What the roles' services share: loading a configured trust set, the TLS peer classes of
 * a server, and the HTTPS listener settings. */
#ifndef M2MSECD_SERVICE_UTIL_H
#define M2MSECD_SERVICE_UTIL_H

#include <m2msec/maf.h>
#include <m2msec/mef.h>
#include <m2msec/net.h>
#include <m2msec/pki.h>
#include <m2msec/tls.h>

#include "config.h"

/* A [trust.NAME] set: named, its anchors, CRLs, device arc and profile. */
struct m2m_trust *service_load_trust(const struct trust_conf *tc, struct m2m_error *err);

/* Adds one peer class per (trust set, flavour) of the sets named in names (all sets when
 * n_names is 0) to a server configuration. */
int service_add_peer_classes(struct m2m_tls_config *cfg, const struct daemon_conf *c,
                             const char (*names)[M2M_TRUST_NAME_MAX], size_t n_names,
                             struct m2m_error *err);

/* Builds a server context from cfg (taking it over; NULL means building cfg failed and err
 * says why), points srv (if any) at it for new connections, and replaces *tls and *tlscfg.
 * On failure the previous context stays in force. */
int service_install_tls(struct m2m_tls_config *cfg, struct m2m_https_server *srv,
                        struct m2m_tls_ctx **tls, struct m2m_tls_config **tlscfg,
                        struct m2m_error *err);

/* The HTTPS listener settings common to every role. */
void service_https_config(struct m2m_https_config *hc, const struct daemon_conf *c,
                          const struct listen_conf *l, int reuseport, struct m2m_tls_ctx *tls,
                          m2m_https_handler handler, void *arg);

/* What a TLS or DTLS session proved, for the role layer: 0, or -1 when it proved nothing. */
int service_mef_session(SSL *ssl, struct m2m_mef_session *sess);
int service_maf_session(SSL *ssl, struct m2m_maf_session *sess);

/* m2m_write_done_fn of an MEF write committed after its answer (an audit row of a
 * refusal): logs a failure, frees the write. */
void service_mef_audit_written(void *arg, int rc, const struct m2m_error *err);

#endif
