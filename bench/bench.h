/* The enrolment load generator's parts: a pool of device credentials, one TLS exchange,
 * and the server's CPU time and memory read from /proc. Benchmark code only: it uses the
 * public API of the library and OpenSSL directly. */
#ifndef M2M_BENCH_H
#define M2M_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/* ---- device credential pool ---- */
struct bench_cred {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) *chain; /* the certificates sent after the leaf; may be empty */
};

struct bench_pool {
    size_t n;
    struct bench_cred *creds;
};

/* Every pair NAME.key.pem + NAME.cert.pem of dir (the cert file may carry the chain after
 * the leaf), in name order. */
int bench_pool_load_dir(struct bench_pool *p, const char *dir, char *errbuf, size_t errlen);
/* n fresh P-256 device certificates issued by the CA in ca_key/ca_cert, identities
 * "<prefix><first + i>"; each sends the CA certificate as its chain. */
int bench_pool_generate(struct bench_pool *p, size_t n, const char *ca_key, const char *ca_cert,
                        const char *prefix, unsigned long first, char *errbuf, size_t errlen);
void bench_pool_free(struct bench_pool *p);

/* ---- one connection ---- */
struct bench_target {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    const char *server_name;
    const char *request; /* the whole HTTP request */
    size_t request_len;
    int timeout_ms;
};

SSL_CTX *bench_client_ctx(const char *ca_file, char *errbuf, size_t errlen);
/* Connects and completes the handshake with cred; NULL on failure (errbuf says why). */
SSL *bench_open(SSL_CTX *ctx, const struct bench_target *t, const struct bench_cred *cred,
                char *errbuf, size_t errlen);
/* Sends the request on ssl and reads the whole response; returns the HTTP status, or -1. */
int bench_exchange(SSL *ssl, const struct bench_target *t, char *errbuf, size_t errlen);
/* Sends close_notify (if alive), closes the socket and frees ssl. */
void bench_close(SSL *ssl);
/* 1 if the peer has not closed the connection. */
int bench_alive(SSL *ssl);

/* ---- the server's processes ---- */
#define BENCH_MAX_PIDS 256

struct bench_proc {
    uint64_t cpu_us; /* utime + stime of every process, all threads */
    uint64_t rss_kb; /* VmRSS summed */
    uint64_t hwm_kb; /* VmHWM (peak RSS) summed */
    size_t n_pids;
};

/* Samples the processes roots[0..n) and all their descendants. */
int bench_proc_sample(const pid_t *roots, size_t n, struct bench_proc *out);

#endif
