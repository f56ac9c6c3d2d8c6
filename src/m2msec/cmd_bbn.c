/* m2msec bbn: Briefing Node administration. "rules check FILE" reads a rule file exactly as
 * m2msecd does and explains every error with its line. */
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include <m2msec/bbn.h>

#include "cli.h"

static const char USAGE[] =
    "usage: m2msec bbn rules check FILE\n"
    "  Validates a Briefing Node rule file (docs/briefing.md): exit 0 with a summary when it\n"
    "  is valid, 1 with one line per error (FILE:LINE: problem) on stderr, 2 on usage errors.\n";

static int rules_check(const char *path)
{
    struct m2m_error err;
    struct m2m_bbn_rules_builder *b = m2m_bbn_rules_builder_new(path, &err);
    struct m2m_bbn_rules *r;
    size_t n;

    if (b == NULL)
        return cli_fail("bbn", &err);
    (void)ini_parse_stream(m2m_bbn_rules_reader, b, m2m_bbn_rules_handler, b);
    r = m2m_bbn_rules_builder_finish(b, &err);
    n = m2m_bbn_rules_builder_error_count(b);
    for (size_t i = 0; i < n; i++) {
        const char *e = m2m_bbn_rules_builder_error(b, i);
        if (e == NULL) {
            fprintf(stderr, "%s: ... and %zu more error(s)\n", path, n - i);
            break;
        }
        fprintf(stderr, "%s:%s\n", path, e);
    }
    if (r != NULL) {
        printf("%s: valid, %zu rule(s):", path, m2m_bbn_rules_count(r));
        for (size_t i = 0; i < m2m_bbn_rules_count(r); i++)
            printf(" %s", m2m_bbn_rule_name(r, i));
        printf("\n");
    }
    m2m_bbn_rules_free(r);
    m2m_bbn_rules_builder_free(b);
    return r != NULL ? 0 : 1;
}

int cmd_bbn(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "rules") != 0 || strcmp(argv[2], "check") != 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    return rules_check(argv[3]);
}
