/* Loading an operator rule file: the builder that libinih feeds (through our line-counting
 * reader, so that every error carries its line), whole-rule checks, and the loaded rules. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safety.h"
#include "role/bbn_internal.h"
#include "role/bbn_keys.h"

#define RULES_FILE_MAX (1024 * 1024)
#define SECTION_MAX    50 /* libinih's section buffer; longer names would be cut */

struct m2m_bbn_rules_builder {
    char *text;
    size_t len, pos;
    char dir[PATH_MAX];
    unsigned line;         /* of the line the reader handed out last */
    unsigned continuation; /* a continuation line, already reported */
    char section[SECTION_MAX + 16];
    struct bbn_rule *cur; /* NULL: the current section holds no valid rule */
    struct bbn_rule *rules;
    size_t n, cap;
    char *errors[M2M_BBN_MAX_ERRORS];
    size_t n_errors; /* all of them, also those not kept */
};

static void note(struct m2m_bbn_rules_builder *b, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct m2m_bbn_rules_builder *b, unsigned line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (b->n_errors < M2M_BBN_MAX_ERRORS) {
        char *s = malloc(sizeof(msg) + 16);
        if (s != NULL && (n = snprintf(s, sizeof(msg) + 16, "%u: %s", line, msg)) > 0)
            b->errors[b->n_errors] = s;
        else
            free(s);
    }
    b->n_errors++;
}

static int read_all(const char *path, struct m2m_bbn_rules_builder *b, struct m2m_error *err)
{
    FILE *f = fopen(path, "rb");
    int rc = -1;

    M2M_ENSURE(f != NULL, M2M_E_IO, "%s: %s", path, strerror(errno));
    M2M_ENSURE((b->text = malloc(RULES_FILE_MAX + 1)) != NULL, M2M_E_NOMEM, "rules");
    b->len = fread(b->text, 1, RULES_FILE_MAX + 1, f);
    M2M_ENSURE(!ferror(f), M2M_E_IO, "%s: read error", path);
    M2M_ENSURE(b->len <= RULES_FILE_MAX, M2M_E_TOO_LARGE, "%s: over %d bytes", path,
               RULES_FILE_MAX);
    b->text[b->len] = '\0';
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    return rc;
}

struct m2m_bbn_rules_builder *m2m_bbn_rules_builder_new(const char *path, struct m2m_error *err)
{
    struct m2m_bbn_rules_builder *b = calloc(1, sizeof(*b));
    const char *slash = path ? strrchr(path, '/') : NULL;

    if (b == NULL || path == NULL) {
        free(b);
        m2m_error_set(err, path ? M2M_E_NOMEM : M2M_E_INVALID_ARG, "rules builder");
        return NULL;
    }
    if (slash != NULL)
        snprintf(b->dir, sizeof(b->dir), "%.*s/", (int)(slash - path), path);
    if (read_all(path, b, err) != 0) {
        m2m_bbn_rules_builder_free(b);
        return NULL;
    }
    return b;
}

void m2m_bbn_rules_builder_free(struct m2m_bbn_rules_builder *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        bbn_rule_release(&b->rules[i]);
    free(b->rules);
    for (size_t i = 0; i < b->n_errors && i < M2M_BBN_MAX_ERRORS; i++)
        free(b->errors[i]);
    free(b->text);
    free(b);
}

/* What the reader sees on a line before libinih does: section headers (so that duplicate
 * and empty rules are found), continuation lines and lines that are neither. */
static void inspect_line(struct m2m_bbn_rules_builder *b, const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i == len || s[i] == ';' || s[i] == '#')
        return;
    if (i > 0) {
        /* libinih would append it to the previous key's value */
        note(b, b->line, "a line may not start with a blank (no continuation lines)");
        b->continuation = b->line;
    } else if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        char name[SECTION_MAX + 16];
        if (close == NULL || (size_t)(close - s - 1) >= sizeof(name)) {
            note(b, b->line, "malformed section header");
            b->cur = NULL, b->section[0] = '\0';
            return;
        }
        snprintf(name, sizeof(name), "%.*s", (int)(close - s - 1), s + 1);
        m2m_bbn_rules_builder_section(b, b->line, name);
    } else if (memchr(s, '=', len) == NULL && memchr(s, ':', len) == NULL) {
        note(b, b->line, "expected [rule.NAME] or key = value");
    }
}

char *m2m_bbn_rules_reader(char *buf, int num, void *builder)
{
    struct m2m_bbn_rules_builder *b = builder;
    const char *start, *nl;
    size_t len, take;

    if (b == NULL || num < 4 || b->pos >= b->len)
        return NULL;
    start = b->text + b->pos;
    nl = memchr(start, '\n', b->len - b->pos);
    len = nl ? (size_t)(nl - start) : b->len - b->pos;
    b->pos += len + (nl != NULL);
    b->line++;
    take = len;
    if (len > (size_t)num - 3) {
        note(b, b->line, "line longer than %d characters", num - 3);
        take = 0; /* an empty line: libinih sees nothing of it */
    } else {
        inspect_line(b, start, len);
    }
    memcpy(buf, start, take);
    buf[take] = '\n';
    buf[take + 1] = '\0';
    return buf;
}

static int valid_rule_name(const char *name)
{
    if (name[0] == '\0' || strlen(name) >= BBN_RULE_NAME_MAX)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static struct bbn_rule *new_rule(struct m2m_bbn_rules_builder *b, unsigned line, const char *name)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        struct bbn_rule *r = realloc(b->rules, cap * sizeof(*r));
        if (r == NULL)
            return NULL;
        b->rules = r, b->cap = cap;
    }
    memset(&b->rules[b->n], 0, sizeof(b->rules[b->n]));
    snprintf(b->rules[b->n].name, BBN_RULE_NAME_MAX, "%s", name);
    b->rules[b->n].line = line;
    b->rules[b->n].lifetime = 86400;
    return &b->rules[b->n++];
}

void m2m_bbn_rules_builder_section(struct m2m_bbn_rules_builder *b, unsigned line,
                                   const char *section)
{
    const char *name = section + 5;

    snprintf(b->section, sizeof(b->section), "%s", section);
    b->cur = NULL;
    if (strncmp(section, "rule.", 5) != 0) {
        note(b, line, "unknown section [%.60s] (rules are [rule.NAME])", section);
        return;
    }
    if (!valid_rule_name(name) || strlen(section) > SECTION_MAX - 1) {
        note(b, line, "rule name '%.60s' must be 1 to %d letters, digits, '-', '_' or '.'", name,
             SECTION_MAX - 6);
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->rules[i].name, name) == 0) {
            note(b, line, "rule '%s' already defined at line %u", name, b->rules[i].line);
            return;
        }
    if (b->n == M2M_BBN_MAX_RULES)
        note(b, line, "more than %d rules", M2M_BBN_MAX_RULES);
    else if ((b->cur = new_rule(b, line, name)) == NULL)
        note(b, line, "out of memory");
}

void m2m_bbn_rules_builder_entry(struct m2m_bbn_rules_builder *b, unsigned line,
                                 const char *section, const char *key, const char *value)
{
    char msg[300];

    if (b->continuation == line && line != 0)
        return;
    if (section[0] == '\0') {
        note(b, line, "'%.60s' outside a [rule.NAME] section", key);
        return;
    }
    if (strcmp(section, b->section) != 0)
        m2m_bbn_rules_builder_section(b, line, section);
    if (b->cur == NULL)
        return; /* the section's header was reported */
    if (bbn_rule_set(b->cur, b->dir, key, value, msg, sizeof(msg)) != 0)
        note(b, line, "%s", msg);
}

int m2m_bbn_rules_handler(void *builder, const char *section, const char *key, const char *value)
{
    struct m2m_bbn_rules_builder *b = builder;

    m2m_bbn_rules_builder_entry(b, b->line, section, key, value ? value : "");
    return 1; /* keep going: every error is collected */
}

size_t m2m_bbn_rules_builder_error_count(const struct m2m_bbn_rules_builder *b)
{
    return b ? b->n_errors : 0;
}

const char *m2m_bbn_rules_builder_error(const struct m2m_bbn_rules_builder *b, size_t i)
{
    if (b == NULL || i >= b->n_errors || i >= M2M_BBN_MAX_ERRORS)
        return NULL;
    return b->errors[i] ? b->errors[i] : "?: (message lost: out of memory)";
}

/* Checks that need the whole rule. */
static void check_rule(struct m2m_bbn_rules_builder *b, const struct bbn_rule *r)
{
    const unsigned need = BBN_K_MECHANISM | BBN_K_TARGET_ID | BBN_K_TARGET_URI | BBN_K_ANCHORS;
    unsigned box = r->seen & BBN_K_BOX;

    if ((r->seen & need) != need)
        note(b, r->line,
             "rule '%s' has no complete result (needs mechanism, target_id, target_uri and "
             "trust_anchors)",
             r->name);
    if (box != 0 && box != BBN_K_BOX)
        note(b, r->line, "rule '%s': a location box needs lat_min, lat_max, lon_min and lon_max",
             r->name);
    else if (box != 0 && (r->lat_min > r->lat_max || r->lon_min > r->lon_max))
        note(b, r->line, "rule '%s': location box minimum above its maximum", r->name);
}

struct m2m_bbn_rules *m2m_bbn_rules_builder_finish(struct m2m_bbn_rules_builder *b,
                                                   struct m2m_error *err)
{
    struct m2m_bbn_rules *r = NULL;

    if (b == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "rules builder");
        return NULL;
    }
    for (size_t i = 0; i < b->n; i++)
        check_rule(b, &b->rules[i]);
    if (b->n == 0 && b->n_errors == 0)
        note(b, 0, "no [rule.NAME] section: every briefing would be refused");
    if (b->n_errors > 0) {
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "rule file has %zu error(s), first at line %s",
                      b->n_errors, m2m_bbn_rules_builder_error(b, 0));
        return NULL;
    }
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "rules");
        return NULL;
    }
    /* The rules move out of the builder. */
    r->rules = b->rules, r->n = b->n;
    b->rules = NULL, b->n = b->cap = 0, b->cur = NULL;
    return r;
}

void bbn_rule_release(struct bbn_rule *r)
{
    for (size_t i = 0; i < r->n_anchors; i++)
        free(r->anchors[i]);
    r->n_anchors = 0;
}

void m2m_bbn_rules_free(struct m2m_bbn_rules *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        bbn_rule_release(&r->rules[i]);
    free(r->rules);
    free(r);
}

size_t m2m_bbn_rules_count(const struct m2m_bbn_rules *r)
{
    return r ? r->n : 0;
}

const char *m2m_bbn_rule_name(const struct m2m_bbn_rules *r, size_t i)
{
    return r && i < r->n ? r->rules[i].name : NULL;
}
