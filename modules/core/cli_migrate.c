
/*
 * arthexis migrate: apply pending migrations, or list them.
 */

#include <stdlib.h>
#include <string.h>

#include <ax_cli.h>
#include <ax_migrate.h>


extern const ax_migration_t  ax_migrations[];
extern const size_t          ax_migrations_n;


static int ax_cli_migrate_main(int argc, char **argv);
static int ax_cli_migrate_list(ax_db_t *db);


const ax_cli_command_t  ax_cli_migrate = {
    "migrate",
    "apply pending database migrations (--list shows them)",
    "[--list] [--database DSN]\n\n"
    "Applies every pending migration of every app, in order, under a lock\n"
    "(SQLite BEGIN IMMEDIATE, PostgreSQL advisory lock), so that several\n"
    "nodes or workers starting together do not race.  With --list, prints\n"
    "each migration as \"[X] app name applied_at\" or \"[ ] app name\".\n",
    ax_cli_migrate_main
};


static int
ax_cli_migrate_main(int argc, char **argv)
{
    int       list, applied, rc;
    char      err[256];
    ax_db_t  *db;

    list = ax_cli_take_flag(&argc, argv, "--list");

    db = ax_cli_open_db(&argc, argv, 0);
    if (db == NULL) {
        return 1;
    }

    if (argc > 1) {
        fprintf(stderr, "arthexis migrate: unexpected \"%s\"\n", argv[1]);
        ax_db_close(db);
        return 2;
    }

    if (list) {
        rc = ax_cli_migrate_list(db);
        ax_db_close(db);
        return rc;
    }

    applied = 0;
    rc = ax_migrate_apply(db, ax_migrations, ax_migrations_n, &applied, err,
                          sizeof(err));
    ax_db_close(db);

    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis migrate: %s\n", err);
        return 1;
    }

    if (applied) {
        printf("applied %d migration(s)\n", applied);

    } else {
        printf("no migrations to apply\n");
    }

    return 0;
}


static int
ax_cli_migrate_list(ax_db_t *db)
{
    int           rc, row, found;
    size_t        i;
    ax_db_res_t  *res;
    const char   *app, *name;

    rc = ax_db_query(db, "SELECT app, name, applied_at "
                         "FROM schema_migrations", NULL, 0, &res);

    if (rc != AX_DB_OK) {
        /* a database never migrated has no table yet */
        res = NULL;
    }

    for (i = 0; i < ax_migrations_n; i++) {
        found = -1;

        for (row = 0; res != NULL && row < ax_db_res_rows(res); row++) {
            app = ax_db_res_value(res, row, 0, NULL);
            name = ax_db_res_value(res, row, 1, NULL);

            if (strcmp(app, ax_migrations[i].app) == 0
                && strcmp(name, ax_migrations[i].name) == 0)
            {
                found = row;
                break;
            }
        }

        if (found >= 0) {
            printf("[X] %s %s %s\n", ax_migrations[i].app,
                   ax_migrations[i].name,
                   ax_db_res_value(res, found, 2, NULL));

        } else {
            printf("[ ] %s %s\n", ax_migrations[i].app,
                   ax_migrations[i].name);
        }
    }

    if (res != NULL) {
        ax_db_res_free(res);
    }

    return 0;
}
