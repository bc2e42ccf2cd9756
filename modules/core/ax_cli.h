
/*
 * The arthexis command-line tool (the seed's manage.py).
 *
 * Each app defines its subcommands in modules/<app>/cli_*.c as
 *
 *     const ax_cli_command_t  ax_cli_NAME = { "name", "summary", usage, fn };
 *
 * and build.sh collects them into ax_cli_commands[] in app order.
 */

#ifndef _AX_CLI_H_INCLUDED_
#define _AX_CLI_H_INCLUDED_


#include <stdio.h>
#include <ax_db.h>


typedef struct {
    const char   *name;       /* "migrate", "rfid", "node", ... */
    const char   *summary;    /* one line for arthexis --help */
    const char   *usage;      /* the text of arthexis NAME --help */
    int         (*main)(int argc, char **argv);   /* argv[0] is the name */
} ax_cli_command_t;


extern const ax_cli_command_t  *ax_cli_commands[];
extern const char              *ax_cli_apps[];     /* in build order */


/* true when argv holds -h or --help: prints the usage to stdout */
int ax_cli_help(const ax_cli_command_t *cmd, int argc, char **argv);

/*
 * The database: --database DSN (taken out of argv), else
 * ARTHEXIS_DATABASE, else POSTGRES_* as in the seed, else
 * sqlite:var/arthexis.sqlite3.  With migrate set, pending migrations are
 * applied first.  Prints what went wrong and returns NULL on failure.
 */
ax_db_t *ax_cli_open_db(int *argc, char **argv, int migrate);

/* removes "--name VALUE" or "--name=VALUE" from argv; NULL when absent */
char *ax_cli_take_option(int *argc, char **argv, const char *name);

/* removes a flag such as "--list"; returns whether it was there */
int ax_cli_take_flag(int *argc, char **argv, const char *name);


#endif /* _AX_CLI_H_INCLUDED_ */
