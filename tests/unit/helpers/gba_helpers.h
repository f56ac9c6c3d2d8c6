/* A BSF (the MEF's GBA role) over a real SQLite store, and the UE side of Ub done by hand,
 * for the GBA tests. Requests run through the role and their writes are committed as the
 * daemon's writer would. */
#ifndef GBA_HELPERS_H
#define GBA_HELPERS_H

#include <stdint.h>

#include <m2msec/bsf.h>
#include <m2msec/store.h>
#include <m2msec/usim.h>

#define GBA_IMPI  "001010000000001@ims.example.com"
#define GBA_FQDN  "mef.example.com"
#define GBA_K     "465b5ce8b199b49faa5f0a2ee238a6bc" /* TS 35.208 test set 1 */
#define GBA_OPC   "cd63cb71954a9f4e48a5994e37a02baf"
#define GBA_OTHER "00112233445566778899aabbccddeeff" /* a K the BSF does not hold */

struct gba_fx {
    char dir[64];
    struct m2m_store *st;
    struct m2m_secret *kek;
    struct m2m_mef *mef;
    uint64_t usim_sqn; /* the UE's SQN_MS */
};

/* A fresh store with subscriber GBA_IMPI (K, OPc, SQN 0, AMF 0000, Enrolee-ID
 * //sp.example.com/CSE9, Ke lifetime ke_lifetime, NAF maf.example.com), targets
 * maf.example.com and maf2.example.com allowed SUID 21, and an MEF whose challenges live
 * challenge_lifetime seconds. */
struct gba_fx *gba_fx_new(int64_t ke_lifetime, int64_t challenge_lifetime);
void gba_fx_free(struct gba_fx *f);

/* One Ub request with this Authorization (NULL: none), its write committed. */
void gba_ub(struct gba_fx *f, const char *authorization, struct m2m_mef_response *resp);
/* The first request's Authorization for impi. */
void gba_first_header(const char *impi, char *out, size_t outsz);
/* The answer to the challenge in www. With k_hex GBA_K it is what the USIM (SQN_MS =
 * f->usim_sqn, updated) makes of it: RES, or on a synchronisation failure the AUTS with an
 * empty password. With another K it is an impostor's RES from that K (the MAC aside). The
 * AKA outputs come back in *u (may be NULL). */
void gba_answer_header(struct gba_fx *f, const char *www, const char *k_hex, char *out,
                       size_t outsz, struct m2m_usim_result *u);
/* The whole bootstrap with the right K and the UE's SQN: the B-TID and Ks = CK || IK. */
void gba_bootstrap(struct gba_fx *f, char btid[M2M_BTID_MAX + 1], unsigned char ks[32],
                   unsigned char rand[16]);

/* Counts of the store's rows. */
int gba_count_keys(struct gba_fx *f);
int gba_count_challenges(struct gba_fx *f);
uint64_t gba_subscriber_sqn(struct gba_fx *f);
/* The newest audit row's event, outcome and reason, joined "event/outcome/reason". */
void gba_last_audit(struct gba_fx *f, char *out, size_t outsz);

#endif
