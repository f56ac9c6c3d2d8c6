/* Entity A / Entity B test support: an in-memory PKI of oneM2M entities, and an Entity B
 * listener running on its own thread that greets every association with the id it bound
 * and echoes what it receives. */
#ifndef M2M_TEST_ASSOC_HELPERS_H
#define M2M_TEST_ASSOC_HELPERS_H

#include <pthread.h>

#include <m2msec/assoc.h>

#define ASSOC_SP "//sp.example.com"

/* ---- certificates ---- */
struct assoc_ca {
    struct m2m_credential *cred;
    struct m2m_trust *trust; /* this CA as the only anchor */
};

/* A root CA (issuer NULL) or an intermediate; nameConstraints permit sp.example.com so
 * that AE-ID certificates may chain to it. 0 on success. */
int assoc_ca_make(struct assoc_ca *ca, const struct assoc_ca *issuer);
void assoc_ca_free(struct assoc_ca *ca);

enum assoc_leaf_opt { ASSOC_LEAF_OK = 0, ASSOC_LEAF_EXPIRED };

/* An end-entity credential of flavour/identity issued by ca (NULL: self-signed), with
 * chain (the intermediate) when chain is not NULL. */
struct m2m_credential *assoc_leaf(const struct assoc_ca *ca, const struct assoc_ca *chain,
                                  enum m2m_flavour f, const char *identity,
                                  enum assoc_leaf_opt opt);
/* A trust set holding the credential's own certificate (a self-signed root of trust). */
struct m2m_trust *assoc_self_trust(const struct m2m_credential *c);

/* ---- Entity B on a thread ---- */
#define ASSOC_SERVER_MAX 256
#define ASSOC_REJECT_MAX 64

struct assoc_server_conn;

struct assoc_server {
    struct event_base *base;
    struct m2m_assoc_listener *l;
    pthread_t thread;
    pthread_mutex_t mu;
    int port;
    size_t n_conns;
    struct assoc_server_conn *conns[ASSOC_SERVER_MAX];
    size_t n_rejects;
    enum m2m_errcode reject_code[ASSOC_REJECT_MAX];
    char reject_msg[ASSOC_REJECT_MAX][M2M_ERROR_MSG_MAX];
};

/* Listens on 127.0.0.1 with cfg (which must outlive the server). 0 on success. */
int assoc_server_start(struct assoc_server *s, struct m2m_assoc_config *cfg, enum m2m_transport t);
void assoc_server_stop(struct assoc_server *s);
size_t assoc_server_accepted(struct assoc_server *s);
size_t assoc_server_rejected(struct assoc_server *s);
/* Waits (bounded, ms) until n rejections were recorded; returns the last one's code. */
enum m2m_errcode assoc_server_wait_reject(struct assoc_server *s, size_t n, int ms);

/* ---- Entity A ---- */
/* Connects to the server as cfg and reads B's greeting "bound <id> <flavour>\n" into
 * greeting. Returns 0 on an association, -1 with err otherwise. */
int assoc_client(struct m2m_assoc_config *cfg, enum m2m_transport t, int port, const char *peer_id,
                 struct m2m_assoc_conn **conn, char *greeting, size_t gsz, struct m2m_error *err);
/* Sends text and expects it echoed. 0 on success. */
int assoc_echo(struct m2m_assoc_conn *c, const char *text);

#endif
