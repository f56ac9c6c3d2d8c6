/* Load generator of the association benchmark (bench/assoc_bench.sh): prepares a PKI of N
 * Entity A identities (certificates and PSKs) with the allowed-peers and PSK files of an
 * Entity B, runs handshakes against `m2msec listen` while reading the listener's CPU time
 * from /proc, and holds many idle associations open to read its resident memory.
 *
 *   assoc_load prepare DIR N
 *   assoc_load handshakes DIR PORT tls|dtls cert|psk COUNT LISTENER-PID
 *   assoc_load hold DIR PORT tls|dtls COUNT LISTENER-PID
 *
 * Each of the last two prints a human line and a "key=value" line for the summary. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <m2msec/assoc.h>

#define B_ID      "//sp.example.com/CSEB"
#define N_THREADS 2

static void die(const char *what, const struct m2m_error *err)
{
    fprintf(stderr, "assoc_load: %s: %s\n", what, err != NULL ? err->msg : "failed");
    exit(1);
}

/* ---- /proc ---- */
static double cpu_seconds(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    size_t len;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* utime and stime are fields 14 and 15, counted after the command name's ')'. */
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    long v = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
            break;
    fclose(f);
    return v;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- prepare ---- */
static void issue(const struct m2m_cert_spec *spec, const struct m2m_credential *issuer,
                  EVP_PKEY **key, X509 **cert)
{
    struct m2m_error err;

    if (m2m_pki_issue(spec, issuer, key, cert, &err) != 0)
        die("issue", &err);
}

static FILE *open_in(const char *dir, const char *name, const char *mode)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, mode)) == NULL)
        die(path, NULL);
    return f;
}

static void write_pem_pair(const char *dir, const char *name, EVP_PKEY *key, X509 *cert)
{
    char kn[64], cn[64];
    FILE *kf, *cf;

    snprintf(kn, sizeof(kn), "%s.key.pem", name);
    snprintf(cn, sizeof(cn), "%s.cert.pem", name);
    kf = open_in(dir, kn, "w");
    cf = open_in(dir, cn, "w");
    if (!PEM_write_PrivateKey(kf, key, NULL, NULL, 0, NULL, NULL) || !PEM_write_X509(cf, cert))
        die("PEM write", NULL);
    fclose(kf);
    fclose(cf);
}

static void prepare(const char *dir, int n)
{
    struct m2m_cert_spec ca_spec = {
        .kind = M2M_CERT_ROOT_CA, .common_name = "bench root", .path_len = -1};
    struct m2m_cert_spec ee = {.kind = M2M_CERT_END_ENTITY,
                               .flavour = M2M_FLAVOUR_CSE_ID,
                               .common_name = "bench entity",
                               .path_len = -1};
    EVP_PKEY *ca_key = NULL, *key = NULL;
    X509 *ca_cert = NULL, *cert = NULL;
    struct m2m_credential *ca;
    struct m2m_error err;
    FILE *clients, *peers, *psk;
    char name[128];

    issue(&ca_spec, NULL, &ca_key, &ca_cert);
    if ((ca = m2m_credential_new(ca_key, ca_cert, NULL, &err)) == NULL)
        die("CA", &err);
    write_pem_pair(dir, "root", ca_key, ca_cert);
    ee.identity = "cseb.sp.example.com";
    issue(&ee, ca, &key, &cert);
    write_pem_pair(dir, "b", key, cert);
    EVP_PKEY_free(key);
    X509_free(cert);
    clients = open_in(dir, "clients.pem", "w");
    peers = open_in(dir, "peers.json", "w");
    psk = open_in(dir, "psk.json", "w");
    fchmod(fileno(psk), 0600);
    fprintf(peers, "{\"peers\": [\n");
    fprintf(psk, "{\"version\": 1, \"keys\": [\n");
    for (int i = 0; i < n; i++) {
        unsigned char k[32];
        char hex[65];
        snprintf(name, sizeof(name), "c%05d.sp.example.com", i);
        ee.identity = name;
        issue(&ee, ca, &key, &cert);
        if (!PEM_write_PrivateKey(clients, key, NULL, NULL, 0, NULL, NULL) ||
            !PEM_write_X509(clients, cert) || RAND_bytes(k, sizeof(k)) != 1)
            die("client credential", NULL);
        for (int j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", k[j]);
        fprintf(peers,
                "{\"id\": \"//sp.example.com/C%05d\", \"flavour\": \"cse-id\", \"root\": "
                "\"root.cert.pem\"},\n{\"id\": \"//sp.example.com/P%05d\", \"pskIdentity\": "
                "\"k%05d@sp.example.com\"}%s\n",
                i, i, i, i + 1 < n ? "," : "");
        fprintf(psk, "{\"id\": \"k%05d@sp.example.com\", \"key\": \"%s\"}%s\n", i, hex,
                i + 1 < n ? "," : "");
        EVP_PKEY_free(key);
        X509_free(cert);
    }
    fprintf(peers, "]}\n");
    fprintf(psk, "]}\n");
    fclose(clients);
    fclose(peers);
    fclose(psk);
    m2m_credential_free(ca);
    EVP_PKEY_free(ca_key);
    X509_free(ca_cert);
}

/* ---- Entity A configurations, one per identity ---- */
struct identities {
    int n;
    struct m2m_assoc_config **cert;
    struct m2m_assoc_config **psk;
};

static struct m2m_trust *load_root(const char *dir)
{
    char path[512];
    struct m2m_error err;
    struct m2m_trust *t = m2m_trust_new(&err);

    snprintf(path, sizeof(path), "%s/root.cert.pem", dir);
    if (t == NULL || m2m_trust_add_anchors(t, path, &err) != 0)
        die("root", &err);
    return t;
}

static struct m2m_assoc_config *a_config(struct m2m_credential *cred, struct m2m_psk_store *ps,
                                         const char *psk_id, struct m2m_trust *root)
{
    struct m2m_error err;
    struct m2m_assoc_config *cfg = m2m_assoc_config_new(&err);
    struct m2m_assoc_peer b = {.id = B_ID};

    if (cfg == NULL)
        die("config", &err);
    if (cred != NULL) {
        b.flavour = M2M_FLAVOUR_CSE_ID;
        b.root = root;
        m2m_assoc_config_set_credential(cfg, cred);
    } else {
        b.psk_identity = psk_id;
        m2m_assoc_config_set_psk_store(cfg, ps);
    }
    if (m2m_assoc_config_add_peer(cfg, &b, &err) != 0)
        die("peer", &err);
    m2m_assoc_config_set_timeouts(cfg, 20000, 20000);
    return cfg;
}

static void load_identities(const char *dir, int want, int with_psk, struct identities *ids)
{
    struct m2m_trust *root = load_root(dir);
    struct m2m_psk_store *all = NULL;
    struct m2m_error err;
    FILE *f = open_in(dir, "clients.pem", "r");
    char path[512];

    snprintf(path, sizeof(path), "%s/psk.json", dir);
    if (with_psk && (all = m2m_psk_store_load(path, &err)) == NULL)
        die("psk", &err);
    ids->cert = calloc((size_t)want, sizeof(*ids->cert));
    ids->psk = calloc((size_t)want, sizeof(*ids->psk));
    for (ids->n = 0; ids->n < want; ids->n++) {
        EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
        struct m2m_credential *cred;
        char id[64];
        if (key == NULL || cert == NULL)
            break;
        if ((cred = m2m_credential_new(key, cert, NULL, &err)) == NULL)
            die("credential", &err);
        ids->cert[ids->n] = a_config(cred, NULL, NULL, root);
        if (with_psk) {
            struct m2m_secret *k = NULL;
            struct m2m_psk_store *one = m2m_psk_store_new(&err);
            snprintf(id, sizeof(id), "k%05d@sp.example.com", ids->n);
            if (one == NULL || m2m_psk_store_get(all, id, &k, NULL, &err) != 0 ||
                m2m_psk_store_add(one, id, k, NULL, &err) != 0)
                die("psk entry", &err);
            m2m_secret_free(k);
            ids->psk[ids->n] = a_config(NULL, one, id, root);
        }
        m2m_credential_free(cred);
        EVP_PKEY_free(key);
        X509_free(cert);
    }
    fclose(f);
    m2m_psk_store_free(all);
    m2m_trust_free(root);
    if (ids->n == 0)
        die("no client identities in clients.pem", NULL);
}

/* ---- handshakes ---- */
struct hs_job {
    struct identities *ids;
    const char *port;
    enum m2m_transport t;
    int psk, count, first, failures;
};

static void *hs_worker(void *arg)
{
    struct hs_job *j = arg;
    struct m2m_error err;

    for (int i = j->first; i < j->count; i += N_THREADS) {
        struct m2m_assoc_config *cfg =
            j->psk ? j->ids->psk[i % j->ids->n] : j->ids->cert[i % j->ids->n];
        struct m2m_assoc_conn *c = NULL;
        if (m2m_assoc_connect(cfg, j->t, "127.0.0.1", j->port, B_ID, &c, &err) != 0) {
            if (j->failures++ == 0)
                fprintf(stderr, "assoc_load: handshake: %s\n", err.msg);
            continue;
        }
        m2m_assoc_conn_free(c);
    }
    return NULL;
}

static void handshakes(const char *dir, const char *port, enum m2m_transport t, int psk, int count,
                       pid_t pid)
{
    struct identities ids;
    struct hs_job jobs[N_THREADS];
    pthread_t th[N_THREADS];
    double cpu0, cpu1, t0, t1;
    int failures = 0;
    const char *tn = t == M2M_TRANSPORT_DTLS ? "dtls" : "tls", *mn = psk ? "psk" : "cert";

    load_identities(dir, count < 1000 ? count : 1000, psk, &ids);
    cpu0 = cpu_seconds(pid);
    t0 = now_s();
    for (int i = 0; i < N_THREADS; i++) {
        jobs[i] = (struct hs_job){
            .ids = &ids, .port = port, .t = t, .psk = psk, .count = count, .first = i};
        pthread_create(&th[i], NULL, hs_worker, &jobs[i]);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += jobs[i].failures;
    }
    t1 = now_s();
    cpu1 = cpu_seconds(pid);
    if (cpu0 < 0 || cpu1 < 0)
        die("listener CPU time unreadable (did it exit?)", NULL);
    if (cpu1 <= cpu0 || failures == count) {
        /* Fewer handshakes than one clock tick of CPU (a warm-up): nothing to report. */
        printf("%s %s: %d handshakes (%d failed), listener CPU below the clock resolution\n", tn,
               mn, count - failures, failures);
        return;
    }
    printf("%s %s: %d handshakes (%d failed) in %.2f s; listener CPU %.3f s = %.0f us each, "
           "%.0f handshakes per listener CPU-second\n",
           tn, mn, count - failures, failures, t1 - t0, cpu1 - cpu0,
           (cpu1 - cpu0) * 1e6 / (count - failures), (count - failures) / (cpu1 - cpu0));
    printf("KV %s_%s_hs_per_cpu_s=%.0f %s_%s_us_per_hs=%.0f\n", tn, mn,
           (count - failures) / (cpu1 - cpu0), tn, mn, (cpu1 - cpu0) * 1e6 / (count - failures));
}

/* ---- idle associations ---- */
static void hold(const char *dir, const char *port, enum m2m_transport t, int count, pid_t pid)
{
    struct identities ids;
    struct m2m_assoc_conn **conns = calloc((size_t)count, sizeof(*conns));
    struct m2m_error err;
    struct rlimit rl;
    long before, after;
    const char *tn = t == M2M_TRANSPORT_DTLS ? "dtls" : "tls";
    int open = 0;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    load_identities(dir, count, 0, &ids);
    before = rss_kb(pid);
    for (int i = 0; i < count; i++)
        if (m2m_assoc_connect(ids.cert[i % ids.n], t, "127.0.0.1", port, B_ID, &conns[open],
                              &err) == 0)
            open++;
        else if (open == i)
            fprintf(stderr, "assoc_load: hold: %s\n", err.msg);
    usleep(300000); /* let the listener settle its last associations */
    after = rss_kb(pid);
    printf("%s: %d idle associations: listener RSS %ld kB -> %ld kB = %.1f kB each\n", tn, open,
           before, after, open ? (double)(after - before) / open : 0.0);
    printf("KV %s_idle_kb_per_assoc=%.1f\n", tn, open ? (double)(after - before) / open : 0.0);
    for (int i = 0; i < open; i++)
        m2m_assoc_conn_free(conns[i]);
    free(conns);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "prepare") == 0) {
        prepare(argv[2], atoi(argv[3]));
        return 0;
    }
    if (argc == 8 && strcmp(argv[1], "handshakes") == 0) {
        handshakes(argv[2], argv[3],
                   strcmp(argv[4], "dtls") == 0 ? M2M_TRANSPORT_DTLS : M2M_TRANSPORT_TLS,
                   strcmp(argv[5], "psk") == 0, atoi(argv[6]), (pid_t)atoi(argv[7]));
        return 0;
    }
    if (argc == 7 && strcmp(argv[1], "hold") == 0) {
        hold(argv[2], argv[3],
             strcmp(argv[4], "dtls") == 0 ? M2M_TRANSPORT_DTLS : M2M_TRANSPORT_TLS, atoi(argv[5]),
             (pid_t)atoi(argv[6]));
        return 0;
    }
    fprintf(stderr, "usage: assoc_load prepare DIR N | handshakes DIR PORT tls|dtls cert|psk "
                    "COUNT PID | hold DIR PORT tls|dtls COUNT PID\n");
    return 2;
}
