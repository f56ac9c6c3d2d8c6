/* Network servers and the durable-write pipeline of the daemon roles (DESIGN.md section 1,
 * layer net): an HTTPS/1.1 server on libevent over the tls layer's SSL_CTX, and a writer
 * thread that groups store writes into durable commits so that no event loop waits on
 * fsync. */
#ifndef M2MSEC_NET_H
#define M2MSEC_NET_H

#include <stdbool.h>

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/proto.h>
#include <m2msec/store.h>
#include <m2msec/tls.h>
#include <m2msec/usim.h>

struct event_base;

/* Must be called once, before any event base is created, by programs that use the writer
 * (it turns on libevent's pthread locking). */
M2M_API M2M_MUST_CHECK int m2m_net_init_threads(struct m2m_error *err);

/* ---- HTTPS server ---- */
struct m2m_https_exchange;
typedef void (*m2m_https_handler)(void *arg, struct m2m_https_exchange *x);

struct m2m_https_config {
    const char *address;     /* numeric IPv4/IPv6 address to bind */
    unsigned short port;     /* 0: pick one (see m2m_https_server_port) */
    bool reuseport;          /* SO_REUSEPORT, for one listener per worker process */
    int fd;                  /* an already bound listening socket, or -1 */
    struct m2m_tls_ctx *tls; /* server context; the server takes no reference */
    /* Bound on every wait for the peer: the handshake, a request on a fresh or keep-alive
     * connection, each read and write (default 10 s). */
    int timeout_ms;
    size_t max_body;     /* default M2M_MAX_BODY */
    int max_connections; /* default 10000; above it the listener pauses */
    m2m_https_handler handler;
    void *handler_arg;
};

struct m2m_https_server;

M2M_API struct m2m_https_server *m2m_https_server_new(struct event_base *base,
                                                      const struct m2m_https_config *cfg,
                                                      struct m2m_error *err);
/* Stops listening and closes every connection; NULL is a no-op. */
M2M_API void m2m_https_server_free(struct m2m_https_server *srv);
/* New connections use ctx from now on (SIGHUP: reloaded anchors and CRLs); open ones keep
 * the context they started with. The server takes no reference. */
M2M_API void m2m_https_server_set_tls(struct m2m_https_server *srv, struct m2m_tls_ctx *ctx);
/* Stops accepting new connections (drain); open ones finish. */
M2M_API void m2m_https_server_stop_accepting(struct m2m_https_server *srv);
M2M_API unsigned short m2m_https_server_port(const struct m2m_https_server *srv);
M2M_API int m2m_https_server_connections(const struct m2m_https_server *srv);

/* Request accessors, valid until the exchange is answered. */
M2M_API const char *m2m_https_method(const struct m2m_https_exchange *x);
M2M_API const char *m2m_https_path(const struct m2m_https_exchange *x); /* without query */
/* The query as received (still percent-encoded), without '?'; NULL when there is none. */
M2M_API const char *m2m_https_query(const struct m2m_https_exchange *x);
M2M_API const char *m2m_https_header(const struct m2m_https_exchange *x, const char *name);
M2M_API const char *m2m_https_body(const struct m2m_https_exchange *x, size_t *len);
M2M_API SSL *m2m_https_ssl(const struct m2m_https_exchange *x);
/* "ip:port" of the client, for logs. */
M2M_API const char *m2m_https_peer(const struct m2m_https_exchange *x);

/* Answers with a JSON body (may be NULL), the HTTP status and the oneM2M response status
 * code; the request id header is echoed. close: close the connection after the answer.
 * May be called inside the handler or later on the loop thread; if the client went away
 * meanwhile the answer is dropped. Frees the exchange. */
M2M_API void m2m_https_reply(struct m2m_https_exchange *x, int http_status, enum m2m_rsc rsc,
                             const char *json_body, bool close);
/* An extra header of a request or an answer: a token name and a value of visible ASCII,
 * spaces and tabs (no CR, LF or other controls). */
struct m2m_http_header {
    const char *name;
    const char *value;
};
/* As m2m_https_reply, adding headers (e.g. WWW-Authenticate of a Digest challenge, RFC
 * 7235 4.1). A header that is not well-formed is left out and logged by no one: callers
 * format their own values. */
M2M_API void m2m_https_reply_headers(struct m2m_https_exchange *x, int http_status,
                                     enum m2m_rsc rsc, const char *json_body, bool close,
                                     const struct m2m_http_header *headers, size_t n_headers);
/* Answers with an error body {"status": false, "errorString": reason}. */
M2M_API void m2m_https_reply_error(struct m2m_https_exchange *x, int http_status, enum m2m_rsc rsc,
                                   const char *reason);
/* 1 while the client is still connected. */
M2M_API int m2m_https_alive(const struct m2m_https_exchange *x);

/* ---- Writer: group commit on a thread of its own ---- */
/* apply runs on the writer thread inside a transaction of store; done runs afterwards on
 * the loop thread of the event base given at submission, with rc 0 once the transaction
 * holding the write is durably committed, or -1 and the reason. */
typedef int (*m2m_write_apply_fn)(void *arg, struct m2m_store *store, struct m2m_error *err);
typedef void (*m2m_write_done_fn)(void *arg, int rc, const struct m2m_error *err);

struct m2m_writer;

/* Opens its own store connection from url and kek. */
M2M_API struct m2m_writer *m2m_writer_new(const char *store_url, const struct m2m_secret *kek,
                                          struct m2m_error *err);
/* Finishes queued writes, then stops; NULL is a no-op. */
M2M_API void m2m_writer_free(struct m2m_writer *w);
M2M_API M2M_MUST_CHECK int m2m_writer_submit(struct m2m_writer *w, struct event_base *base,
                                             m2m_write_apply_fn apply, m2m_write_done_fn done,
                                             void *arg, struct m2m_error *err);
/* Commits so far and the writes they carried (to show grouping in benchmarks). */
/* While writes arrive concurrently (the last group held more than one), wait up to us
 * microseconds for more before a commit, so that one fdatasync serves them all; a lone
 * write is never delayed. 0 (the default) never waits. */
M2M_API void m2m_writer_set_commit_delay_us(struct m2m_writer *w, long us);
M2M_API void m2m_writer_stats(struct m2m_writer *w, unsigned long *commits, unsigned long *writes);

/* ==== HTTPS client (libcurl over the tls layer) ====
 * One client is one TLS session: every request of a client travels on the same
 * connection, so that keying material exported after a request belongs to the session the
 * request was authenticated on (DESIGN.md sections 4 and 6). The tls config decides the
 * handshake: our oneM2M peer verification and PSK run inside libcurl's handshake, and
 * libcurl's own certificate and host checks are off. A request that would need a new
 * connection fails (M2M_E_TLS) instead of silently opening a second session. */
struct m2m_https_client;

#define M2M_HTTPS_CLIENT_MAX_RESPONSE 65536 /* response bodies above this are refused */

/* base_url: "https://HOST:PORT" to connect to (HOST may be an address); server_name: the
 * name sent as SNI and as the Host header, and (unless the config sets a peer) the FQDN
 * the server's certificate must prove; NULL uses HOST. Takes a reference to cfg. Nothing
 * is sent until the first request. */
M2M_API struct m2m_https_client *m2m_https_client_new(struct m2m_tls_config *cfg,
                                                      const char *base_url, const char *server_name,
                                                      struct m2m_error *err);
/* Closes the connection; NULL is a no-op. */
M2M_API void m2m_https_client_free(struct m2m_https_client *c);
/* Bound on connecting and on each whole request (default 10 s). */
M2M_API void m2m_https_client_set_timeout_ms(struct m2m_https_client *c, int ms);

/* One request on the client's session. method: "GET", "POST", ...; path starts with '/';
 * origin: the X-M2M-Origin value (NULL: none); body: JSON text or NULL (sent as
 * application/json). A fresh X-M2M-RI is generated per request. On return 0, *status is
 * the HTTP status (any, including 4xx/5xx), *rsc the X-M2M-RSC value (0 if absent) and
 * *resp_body a NUL-terminated malloc'd copy of the body (the caller frees it; NULL may be
 * passed to discard it). -1 when no answer was received: the handshake failed (the
 * verification error keeps its M2M_E_CERT_* / M2M_E_TLS_PSK_UNKNOWN code), the server
 * could not be reached (M2M_E_IO), the time ran out (M2M_E_TIMEOUT), the body exceeded
 * M2M_HTTPS_CLIENT_MAX_RESPONSE (M2M_E_TOO_LARGE), or the request would have used another
 * connection than the first request's (M2M_E_TLS). */
M2M_API M2M_MUST_CHECK int m2m_https_client_request(struct m2m_https_client *c, const char *method,
                                                    const char *path, const char *origin,
                                                    const char *body, int *status, int *rsc,
                                                    char **resp_body, struct m2m_error *err);
/* The same request with extra request headers, and the value of one response header.
 * headers: names must be tokens (RFC 7230 3.2.6) other than the ones the client sets itself,
 * values visible ASCII, spaces and tabs. want_header: the name of a response header whose
 * value (the first one, without surrounding whitespace, at most 4096 bytes) comes back in
 * rs->header; NULL asks for none. Outcomes as m2m_https_client_request; on success rs holds
 * malloc'd members to release with m2m_https_response_clear. */
struct m2m_https_request {
    const char *method;
    const char *path;
    const char *origin; /* X-M2M-Origin, or NULL */
    const char *body;   /* JSON, or NULL */
    const struct m2m_http_header *headers;
    size_t n_headers;
    const char *want_header;
};
struct m2m_https_response {
    int status;
    int rsc;
    char *body;   /* NUL-terminated, never NULL on success */
    char *header; /* the wanted header's value, or NULL when the answer had none */
};
M2M_API M2M_MUST_CHECK int m2m_https_client_send(struct m2m_https_client *c,
                                                 const struct m2m_https_request *rq,
                                                 struct m2m_https_response *rs,
                                                 struct m2m_error *err);
M2M_API void m2m_https_response_clear(struct m2m_https_response *rs);
/* RFC 5705 export (no context) from the client's session; only while its connection is
 * still open (after a first request and before the server closed it). */
M2M_API M2M_MUST_CHECK int m2m_https_client_export(struct m2m_https_client *c, const char *label,
                                                   unsigned char *out, size_t len,
                                                   struct m2m_error *err);
/* The server identity the handshake proved (m2m_tls_peer); -1 before a first request. */
M2M_API M2M_MUST_CHECK int m2m_https_client_peer(const struct m2m_https_client *c,
                                                 struct m2m_verified *out);
/* 1 while the first request's connection is still open, 0 otherwise. */
M2M_API int m2m_https_client_connected(struct m2m_https_client *c);

/* ==== GBA bootstrapping, the UE side of Ub (3GPP TS 24.109 5.2, TS 33.220 4.5.2; RFC 3310;
 * SPEC.md section 8; docs/gba.md) ====
 * GET /gba/bootstrap with the USIM's IMPI; the USIM checks the 401 challenge (RAND, AUTN);
 * the answer carries the request-digest of RES; on a synchronisation failure the AUTS is
 * reported once and the fresh challenge answered. Each request travels on its own TLS
 * session, which authenticates the BSF only (Ub binds nothing to the session). The 200
 * answer's B-TID must carry this RAND and the BSF's FQDN. A MAC failure at the USIM (the
 * BSF does not hold this USIM's K) ends the run with M2M_E_CRYPTO and sends nothing more. */
struct m2m_ub_config {
    struct m2m_tls_config *tls; /* a client config verifying the BSF's certificate */
    const char *bsf_url;        /* https://HOST:PORT */
    const char *bsf_name;       /* the BSF's FQDN: SNI, certificate name, Digest realm */
    int timeout_ms;             /* per request; 0: the client's default */
};

struct m2m_ub_result {
    char btid[M2M_BTID_MAX + 1];
    time_t lifetime;        /* expiry of Ks */
    struct m2m_secret *ks;  /* Ks = CK || IK, 32 bytes */
    unsigned char rand[16]; /* RAND of the bootstrap, an input of Ks_NAF */
    char impi[M2M_IMPI_MAX + 1];
    int resynchronised; /* 1 when the USIM reported a synchronisation failure first */
};

M2M_API M2M_MUST_CHECK int m2m_ub_bootstrap(const struct m2m_ub_config *cfg, struct m2m_usim *usim,
                                            struct m2m_ub_result *out, struct m2m_error *err);
/* Frees Ks and clears the result; NULL is a no-op. */
M2M_API void m2m_ub_result_clear(struct m2m_ub_result *r);

#endif
