/* Entity B's listener, shared by its TLS (listener.c) and DTLS (listener_dtls.c) parts. */
#ifndef M2M_ASSOC_LISTENER_INTERNAL_H
#define M2M_ASSOC_LISTENER_INTERNAL_H

#include <sys/socket.h>

#include <event2/event.h>

#include "assoc/assoc_internal.h"

/* One handshake in progress, driven by the listener's event loop. */
struct assoc_hs {
    struct m2m_assoc_listener *l;
    SSL *ssl;
    int fd;
    struct event *ev;
    long long deadline;
    struct assoc_hs_auth auth; /* SSL app data while the handshake runs */
    char addr[ASSOC_ADDR_MAX];
    struct assoc_hs *prev, *next;
};

struct m2m_assoc_listener {
    struct m2m_assoc_config *cfg;
    struct event_base *base;
    enum m2m_transport transport;
    struct m2m_tls_ctx *ctx;
    int fd;
    struct sockaddr_storage local;
    socklen_t local_len;
    struct event *ev_listen;
    int stop_pipe[2];
    struct event *ev_stop;
    SSL *dtls_ssl; /* DTLS: waits in DTLSv1_listen for a ClientHello with a valid cookie */
    m2m_assoc_accept_fn on_accept;
    m2m_assoc_reject_fn on_reject;
    void *arg;
    struct assoc_hs *pending;
    size_t n_pending;
};

/* Starts driving a handshake on ssl over fd (ownership of both passes to the listener). */
void assoc_hs_start(struct m2m_assoc_listener *l, SSL *ssl, int fd, const char *addr);
/* Reports a failure that happened before a handshake could start. */
void assoc_listener_reject(struct m2m_assoc_listener *l, const char *addr,
                           const struct m2m_error *why);
/* listener_dtls.c: the UDP socket's read callback. */
void assoc_dtls_on_datagram(evutil_socket_t fd, short what, void *arg);
void assoc_dtls_free(struct m2m_assoc_listener *l);
/* Abandons every handshake in progress. */
void assoc_hs_free_all(struct m2m_assoc_listener *l);

#endif
