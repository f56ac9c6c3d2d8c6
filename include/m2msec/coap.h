/* CoAP over DTLS 1.2 (RFC 7252 section 9, RFC 6347) for the oneM2M security resources: the
 * same requests and answers as the HTTPS binding (DESIGN.md sections 3 and 4), carried by
 * libcoap with the oneM2M CoAP binding options (TS-0008): oneM2M-FR (the originator, as
 * X-M2M-Origin), oneM2M-RQI (the request id, echoed) and oneM2M-RSC (the oneM2M response
 * status code). Bodies are application/json; large ones travel block-wise (RFC 7959).
 * docs/coap.md describes the binding. Layer net. */
#ifndef M2MSEC_COAP_H
#define M2MSEC_COAP_H

#include <stdbool.h>
#include <stddef.h>

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/proto.h>
#include <m2msec/tls.h>

struct event_base;

/* oneM2M TS-0008 CoAP option numbers. */
#define M2M_COAP_OPT_FR  256 /* oneM2M-FR: originator */
#define M2M_COAP_OPT_RQI 257 /* oneM2M-RQI: request identifier */
#define M2M_COAP_OPT_RSC 265 /* oneM2M-RSC: response status code */
/* RFC 7252 section 12.3: application/json. */
#define M2M_COAP_FORMAT_JSON 50

/* Default CoAPS ports of the roles (DESIGN.md section 3; the Briefing Node's is ours). */
#define M2M_COAPS_PORT_BBN 5682
#define M2M_COAPS_PORT_MEF 5684
#define M2M_COAPS_PORT_MAF 5686

/* The CoAP response code (class * 100 + detail: 201 for 2.01) for an HTTP status, and
 * back (RFC 8075 section 7). Statuses without a CoAP equivalent map to 5.00 / 500. */
M2M_API int m2m_coap_code_from_http(int http_status);
M2M_API int m2m_coap_code_to_http(int coap_code);

/* ==== Server ==== */
struct m2m_coap_exchange;
typedef void (*m2m_coap_handler)(void *arg, struct m2m_coap_exchange *x);
/* One line for the operator (a refused handshake, a malformed request); warn: 1 for
 * refusals and failures. */
typedef void (*m2m_coap_log_fn)(void *arg, int warn, const char *line);

struct m2m_coap_config {
    const char *address; /* numeric IPv4/IPv6 address to bind */
    unsigned short port;
    /* DTLS server context (m2m_tls_ctx_new with M2M_TRANSPORT_DTLS): its credential,
     * peer classes, suites and verification apply to every session. The server takes no
     * reference; see m2m_coap_server_set_tls. */
    struct m2m_tls_ctx *tls;
    /* PSK sessions: the lookup of the identity a client presents (libcoap's
     * validate_id callback). NULL: certificate sessions only. */
    m2m_psk_lookup_fn psk_fn;
    /* Or a lookup told the suite of the handshake (a GBA key depends on it, tls.h). */
    m2m_psk_lookup_suite_fn psk_suite_fn;
    void *psk_arg;
    size_t max_body;       /* request bodies above it: 4.13 (default M2M_MAX_BODY) */
    int max_sessions;      /* idle sessions kept (default 10000) */
    int session_timeout_s; /* an idle session is dropped after it (default 300) */
    m2m_coap_handler handler;
    void *handler_arg;
    m2m_coap_log_fn log; /* may be NULL */
    void *log_arg;
};

struct m2m_coap_server;

/* Binds address:port (UDP) and runs on base: libcoap's epoll descriptor is watched by
 * base, and a timer follows libcoap's next retransmission or DTLS timeout. */
M2M_API struct m2m_coap_server *m2m_coap_server_new(struct event_base *base,
                                                    const struct m2m_coap_config *cfg,
                                                    struct m2m_error *err);
/* Closes every session; pending exchanges are dropped. NULL is a no-op. */
M2M_API void m2m_coap_server_free(struct m2m_coap_server *srv);
/* New sessions use ctx from now on (SIGHUP); open ones keep theirs. No reference taken. */
M2M_API void m2m_coap_server_set_tls(struct m2m_coap_server *srv, struct m2m_tls_ctx *ctx);
/* Drain: new requests are answered 5.03; answers still owed are sent. */
M2M_API void m2m_coap_server_stop_accepting(struct m2m_coap_server *srv);
M2M_API unsigned short m2m_coap_server_port(const struct m2m_coap_server *srv);
/* Requests whose answer is still owed (a durable write in progress). */
M2M_API int m2m_coap_server_pending(const struct m2m_coap_server *srv);

struct m2m_coap_stats {
    unsigned long sessions_created; /* DTLS sessions past the cookie exchange (an SSL each) */
    unsigned long handshakes_failed;
    unsigned long requests;
    /* libcoap 4.3.1 notes each new client address in a small placeholder (no SSL, no
     * handshake state) while the cookie exchange runs, at most max_handshake_sessions of
     * them (the oldest goes first), so these count addresses, not sessions. */
    unsigned long addresses_seen;
    int sessions_now; /* placeholders and sessions the context holds right now */
};
M2M_API void m2m_coap_server_stats(const struct m2m_coap_server *srv, struct m2m_coap_stats *st);

/* Request accessors, valid until the exchange is answered. The path is "/" and the
 * Uri-Path segments joined by "/"; the origin is the oneM2M-FR option (NULL if absent). */
M2M_API const char *m2m_coap_method(const struct m2m_coap_exchange *x);
M2M_API const char *m2m_coap_path(const struct m2m_coap_exchange *x);
M2M_API const char *m2m_coap_origin(const struct m2m_coap_exchange *x);
M2M_API const char *m2m_coap_body(const struct m2m_coap_exchange *x, size_t *len);
M2M_API SSL *m2m_coap_ssl(const struct m2m_coap_exchange *x);
/* "ip:port" of the client, for logs. */
M2M_API const char *m2m_coap_peer(const struct m2m_coap_exchange *x);

/* Answers with a JSON body (may be NULL), the CoAP code for http_status and rsc in
 * oneM2M-RSC; oneM2M-RQI is echoed. Inside the handler the answer is piggybacked on the
 * ACK; later (on the loop thread) it leaves as a separate CON response, the request having
 * been acknowledged with an empty ACK. close: the session ends once the answer is
 * acknowledged. Frees the exchange. */
M2M_API void m2m_coap_reply(struct m2m_coap_exchange *x, int http_status, enum m2m_rsc rsc,
                            const char *json_body, bool close);
/* Answers {"status": false, "errorString": reason}. */
M2M_API void m2m_coap_reply_error(struct m2m_coap_exchange *x, int http_status, enum m2m_rsc rsc,
                                  const char *reason);

/* ==== Client ====
 * One client is one DTLS session, as m2m_https_client is one TLS session: a request that
 * would need a new session fails instead. The tls config decides the handshake (our
 * verification of the server, PSK, suites) exactly as over TLS. */
struct m2m_coap_client;

/* base_url "coaps://HOST:PORT" (HOST numeric or a name; PORT default 5684); server_name:
 * SNI and, unless the config sets a peer, the FQDN the server must prove. Takes a
 * reference to cfg. Nothing is sent until the first request. */
M2M_API struct m2m_coap_client *m2m_coap_client_new(struct m2m_tls_config *cfg,
                                                    const char *base_url, const char *server_name,
                                                    struct m2m_error *err);
M2M_API void m2m_coap_client_free(struct m2m_coap_client *c);
M2M_API void m2m_coap_client_set_timeout_ms(struct m2m_coap_client *c, int ms);
/* As m2m_https_client_request: *status is the HTTP equivalent of the CoAP response code,
 * *rsc the oneM2M-RSC option (0 if absent), *resp_body the whole (reassembled) body. */
M2M_API M2M_MUST_CHECK int m2m_coap_client_request(struct m2m_coap_client *c, const char *method,
                                                   const char *path, const char *origin,
                                                   const char *body, int *status, int *rsc,
                                                   char **resp_body, struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_coap_client_export(struct m2m_coap_client *c, const char *label,
                                                  unsigned char *out, size_t len,
                                                  struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_coap_client_peer(const struct m2m_coap_client *c,
                                                struct m2m_verified *out);
M2M_API int m2m_coap_client_connected(struct m2m_coap_client *c);

/* ==== Either binding ====
 * A client chosen by the URL's scheme: https:// (m2m_https_client) or coaps://
 * (m2m_coap_client), with the same calls, so that one exchange serves both bindings. */
struct m2m_client;

M2M_API struct m2m_client *m2m_client_new(struct m2m_tls_config *cfg, const char *base_url,
                                          const char *server_name, struct m2m_error *err);
M2M_API void m2m_client_free(struct m2m_client *c);
M2M_API void m2m_client_set_timeout_ms(struct m2m_client *c, int ms);
M2M_API M2M_MUST_CHECK int m2m_client_request(struct m2m_client *c, const char *method,
                                              const char *path, const char *origin,
                                              const char *body, int *status, int *rsc,
                                              char **resp_body, struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_client_export(struct m2m_client *c, const char *label,
                                             unsigned char *out, size_t len, struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_client_peer(const struct m2m_client *c, struct m2m_verified *out);
/* 1 for a coaps:// URL, 0 for https://, -1 otherwise. */
M2M_API int m2m_client_url_is_coap(const char *url);

#endif
