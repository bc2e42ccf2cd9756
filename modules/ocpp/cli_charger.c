
/*
 * arthexis charger: chargers without SQL (the seed's admin).
 *
 *   arthexis charger add ID [--name NAME] [--require-rfid]
 *   arthexis charger require-rfid ID on|off
 *   arthexis charger rename ID NAME
 *   arthexis charger remove ID
 *   arthexis charger list
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ax_cli.h>


static int ax_cli_charger_main(int argc, char **argv);
static int ax_cli_charger_add(ax_db_t *db, int argc, char **argv);
static int ax_cli_charger_set(ax_db_t *db, const char *sql, const char *id,
    const char *value, long long n);
static int ax_cli_charger_list(ax_db_t *db);


const ax_cli_command_t  ax_cli_charger = {
    "charger",
    "add, list, change and remove OCPP chargers",
    "add ID [--name NAME] [--require-rfid]\n"
    "       arthexis charger require-rfid ID on|off\n"
    "       arthexis charger rename ID NAME\n"
    "       arthexis charger remove ID\n"
    "       arthexis charger list\n\n"
    "Chargers are also registered when they first connect (unless\n"
    "ocpp_autoregister is off).  require-rfid makes the charger accept only\n"
    "known RFID tags that have a user (Authorize and StartTransaction).\n"
    "Every form takes --database DSN.\n",
    ax_cli_charger_main
};


static int
ax_cli_charger_main(int argc, char **argv)
{
    int       rc;
    ax_db_t  *db;

    db = ax_cli_open_db(&argc, argv, 1);
    if (db == NULL) {
        return 1;
    }

    rc = 2;

    if (argc >= 3 && strcmp(argv[1], "add") == 0) {
        rc = ax_cli_charger_add(db, argc - 1, argv + 1);

    } else if (argc == 4 && strcmp(argv[1], "require-rfid") == 0
               && (strcmp(argv[3], "on") == 0 || strcmp(argv[3], "off") == 0))
    {
        rc = ax_cli_charger_set(db, "UPDATE ocpp_charger SET require_rfid = $2 "
                                    "WHERE charger_id = $1", argv[2], NULL,
                                strcmp(argv[3], "on") == 0);

    } else if (argc == 4 && strcmp(argv[1], "rename") == 0) {
        rc = ax_cli_charger_set(db, "UPDATE ocpp_charger SET name = $2 "
                                    "WHERE charger_id = $1", argv[2], argv[3],
                                0);

    } else if (argc == 3 && strcmp(argv[1], "remove") == 0) {
        rc = ax_cli_charger_set(db, "DELETE FROM ocpp_charger "
                                    "WHERE charger_id = $1", argv[2], NULL,
                                -1);

    } else if (argc == 2 && strcmp(argv[1], "list") == 0) {
        rc = ax_cli_charger_list(db);

    } else {
        fprintf(stderr, "usage: arthexis charger %s",
                ax_cli_charger.usage);
    }

    ax_db_close(db);

    return rc;
}


static int
ax_cli_charger_add(ax_db_t *db, int argc, char **argv)
{
    int             rc, rfid;
    char            now[32];
    char           *name, *id;
    time_t          t;
    struct tm       tm;
    ax_db_param_t   p[4];

    rfid = ax_cli_take_flag(&argc, argv, "--require-rfid");
    name = ax_cli_take_option(&argc, argv, "--name");

    if (argc != 2) {
        fprintf(stderr, "usage: arthexis charger %s", ax_cli_charger.usage);
        return 2;
    }

    id = argv[1];

    if (*id == '\0' || strlen(id) > 48) {
        fprintf(stderr, "arthexis charger: the id must be 1 to 48 "
                "characters\n");
        return 2;
    }

    t = time(NULL);
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);

    ax_db_set_text(&p[0], strlen(id), id);
    ax_db_set_text(&p[1], name ? strlen(name) : 0, name ? name : "");
    ax_db_set_int(&p[2], rfid);
    ax_db_set_text(&p[3], strlen(now), now);

    rc = ax_db_query(db, "INSERT INTO ocpp_charger (charger_id, name, "
                         "require_rfid, created_at) VALUES ($1, $2, $3, $4)",
                     p, 4, NULL);

    if (rc == AX_DB_CONSTRAINT) {
        fprintf(stderr, "arthexis charger: \"%s\" exists already\n", id);
        return 1;
    }

    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis charger: %s\n", ax_db_errmsg(db));
        return 1;
    }

    printf("charger %s added%s\n", id, rfid ? " (RFID required)" : "");

    return 0;
}


static int
ax_cli_charger_set(ax_db_t *db, const char *sql, const char *id,
    const char *value, long long n)
{
    int            rc;
    ax_db_param_t  p[2];

    ax_db_set_text(&p[0], strlen(id), id);

    if (value) {
        ax_db_set_text(&p[1], strlen(value), value);

    } else {
        ax_db_set_int(&p[1], n);
    }

    rc = ax_db_query(db, sql, p, n < 0 ? 1 : 2, NULL);

    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis charger: %s\n", ax_db_errmsg(db));
        return 1;
    }

    if (ax_db_changes(db) == 0) {
        fprintf(stderr, "arthexis charger: no charger \"%s\"\n", id);
        return 1;
    }

    printf("charger %s changed\n", id);

    return 0;
}


static int
ax_cli_charger_list(ax_db_t *db)
{
    int           i, rc;
    ax_db_res_t  *res;
    const char   *v;

    rc = ax_db_query(db, "SELECT charger_id, name, require_rfid, "
                         "last_heartbeat, vendor, model FROM ocpp_charger "
                         "ORDER BY charger_id", NULL, 0, &res);
    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis charger: %s\n", ax_db_errmsg(db));
        return 1;
    }

    printf("%-24s %-20s %-5s %-21s %s\n", "charger_id", "name", "rfid",
           "last_heartbeat", "vendor/model");

    for (i = 0; i < ax_db_res_rows(res); i++) {
        v = ax_db_res_value(res, i, 3, NULL);

        printf("%-24s %-20s %-5s %-21s %s/%s\n",
               ax_db_res_value(res, i, 0, NULL),
               ax_db_res_value(res, i, 1, NULL),
               ax_db_res_int(res, i, 2) ? "yes" : "no",
               v ? v : "-",
               ax_db_res_value(res, i, 4, NULL)
               ? ax_db_res_value(res, i, 4, NULL) : "-",
               ax_db_res_value(res, i, 5, NULL)
               ? ax_db_res_value(res, i, 5, NULL) : "-");
    }

    ax_db_res_free(res);

    return 0;
}
