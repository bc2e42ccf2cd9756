
/*
 * arthexis: the command-line tool's entry point and shared option
 * handling.
 */

#include <stdlib.h>
#include <string.h>

#include <ax_cli.h>
#include <ax_dsn.h>
#include <ax_migrate.h>


extern const ax_migration_t  ax_migrations[];
extern const size_t          ax_migrations_n;


static void ax_cli_usage(FILE *f);


static void
ax_cli_usage(FILE *f)
{
    const ax_cli_command_t  **cmd;

    fprintf(f, "usage: arthexis COMMAND [ARGS]\n\n"
            "The arthexis-nginx command-line tool.  Commands:\n\n");

    for (cmd = ax_cli_commands; *cmd; cmd++) {
        fprintf(f, "  %-16s %s\n", (*cmd)->name, (*cmd)->summary);
    }

    fprintf(f, "\n'arthexis COMMAND --help' tells more.  Commands that use "
            "the database take\n--database DSN (sqlite:PATH or a "
            "PostgreSQL URI); without it ARTHEXIS_DATABASE,\nthen "
            "POSTGRES_DB and friends decide, else "
            "sqlite:var/arthexis.sqlite3.\n");
}


int
main(int argc, char **argv)
{
    const ax_cli_command_t  **cmd;

    if (argc < 2 || strcmp(argv[1], "--help") == 0
        || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
    {
        ax_cli_usage(stdout);
        return argc < 2 ? 2 : 0;
    }

    for (cmd = ax_cli_commands; *cmd; cmd++) {
        if (strcmp((*cmd)->name, argv[1]) == 0) {
            if (ax_cli_help(*cmd, argc - 1, argv + 1)) {
                return 0;
            }

            return (*cmd)->main(argc - 1, argv + 1);
        }
    }

    fprintf(stderr, "arthexis: unknown command \"%s\"\n\n", argv[1]);
    ax_cli_usage(stderr);

    return 2;
}


int
ax_cli_help(const ax_cli_command_t *cmd, int argc, char **argv)
{
    int  i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            break;
        }

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: arthexis %s %s", cmd->name, cmd->usage);
            return 1;
        }
    }

    return 0;
}


char *
ax_cli_take_option(int *argc, char **argv, const char *name)
{
    int      i, n;
    char    *value;
    size_t   len;

    len = strlen(name);

    for (i = 1; i < *argc; i++) {
        if (strncmp(argv[i], name, len) != 0) {
            continue;
        }

        if (argv[i][len] == '=') {
            value = argv[i] + len + 1;
            n = 1;

        } else if (argv[i][len] == '\0' && i + 1 < *argc) {
            value = argv[i + 1];
            n = 2;

        } else {
            continue;
        }

        memmove(&argv[i], &argv[i + n], (*argc - i - n + 1) * sizeof(char *));
        *argc -= n;

        return value;
    }

    return NULL;
}


int
ax_cli_take_flag(int *argc, char **argv, const char *name)
{
    int  i;

    for (i = 1; i < *argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            memmove(&argv[i], &argv[i + 1], (*argc - i) * sizeof(char *));
            (*argc)--;
            return 1;
        }
    }

    return 0;
}


ax_db_t *
ax_cli_open_db(int *argc, char **argv, int migrate)
{
    int       applied;
    char     *value, *dsn, *shown;
    char      err[256];
    ax_db_t  *db;

    value = ax_cli_take_option(argc, argv, "--database");

    if (value == NULL) {
        value = getenv("ARTHEXIS_DATABASE");
    }

    dsn = ax_dsn_resolve(value, "var/", err, sizeof(err));
    if (dsn == NULL) {
        fprintf(stderr, "arthexis: invalid database: %s\n", err);
        return NULL;
    }

    shown = ax_dsn_redact(dsn);

    if (ax_db_open(&db, dsn, 10000, err, sizeof(err)) != AX_DB_OK) {
        fprintf(stderr, "arthexis: cannot open %s: %s\n",
                shown ? shown : "the database", err);
        free(shown);
        free(dsn);
        return NULL;
    }

    free(dsn);

    if (migrate) {
        applied = 0;

        if (ax_migrate_apply(db, ax_migrations, ax_migrations_n, &applied,
                             err, sizeof(err))
            != AX_DB_OK)
        {
            fprintf(stderr, "arthexis: migrations failed on %s: %s\n",
                    shown ? shown : "the database", err);
            free(shown);
            ax_db_close(db);
            return NULL;
        }
    }

    free(shown);

    return db;
}
