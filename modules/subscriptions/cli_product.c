
/*
 * arthexis product: add or list subscription products.
 */

#include <stdlib.h>
#include <string.h>

#include <ax_cli.h>
#include <ax_utf8.h>
#include "ax_subscriptions.h"


static int ax_cli_product_main(int argc, char **argv);


const ax_cli_command_t  ax_cli_product = {
    "product",
    "add or list subscription products",
    "add NAME --renewal-period DAYS [--description TEXT]\n"
    "       arthexis product list\n"
    "       (each takes --database DSN)\n\n"
    "A subscription to the product renews every DAYS days (1 to 36500).\n",
    ax_cli_product_main
};


static int
ax_cli_product_main(int argc, char **argv)
{
    int             rc, row;
    char           *period_arg, *description, *end;
    long            period;
    ax_db_t        *db;
    ax_db_res_t    *res;
    ax_db_param_t   params[3];

    period_arg = ax_cli_take_option(&argc, argv, "--renewal-period");
    description = ax_cli_take_option(&argc, argv, "--description");

    db = ax_cli_open_db(&argc, argv, 1);
    if (db == NULL) {
        return 1;
    }

    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        rc = ax_db_query(db, "SELECT id, name, renewal_period, description "
                             "FROM subscriptions_product ORDER BY id",
                         NULL, 0, &res);
        if (rc != AX_DB_OK) {
            goto failed;
        }

        for (row = 0; row < ax_db_res_rows(res); row++) {
            printf("%s\t%s\t%s days\t%s\n",
                   ax_db_res_value(res, row, 0, NULL),
                   ax_db_res_value(res, row, 1, NULL),
                   ax_db_res_value(res, row, 2, NULL),
                   ax_db_res_value(res, row, 3, NULL));
        }

        ax_db_res_free(res);
        ax_db_close(db);
        return 0;
    }

    if (argc != 3 || strcmp(argv[1], "add") != 0 || period_arg == NULL) {
        fprintf(stderr, "usage: arthexis product %s", ax_cli_product.usage);
        ax_db_close(db);
        return 2;
    }

    description = description ? description : "";

    if (argv[2][0] == '\0' || strlen(argv[2]) > AX_PRODUCT_NAME_MAX
        || !ax_utf8_valid((unsigned char *) argv[2], strlen(argv[2])))
    {
        fprintf(stderr, "arthexis product: the name takes 1 to %d "
                "characters of UTF-8\n", AX_PRODUCT_NAME_MAX);
        ax_db_close(db);
        return 1;
    }

    if (strlen(description) > AX_PRODUCT_DESCRIPTION_MAX
        || !ax_utf8_valid((unsigned char *) description,
                          strlen(description)))
    {
        fprintf(stderr, "arthexis product: the description takes at most "
                "%d characters of UTF-8\n", AX_PRODUCT_DESCRIPTION_MAX);
        ax_db_close(db);
        return 1;
    }

    period = strtol(period_arg, &end, 10);

    if (*period_arg == '\0' || *end != '\0' || period < 1
        || period > AX_RENEWAL_PERIOD_MAX)
    {
        fprintf(stderr, "arthexis product: --renewal-period must be a "
                "number of days from 1 to %d\n", AX_RENEWAL_PERIOD_MAX);
        ax_db_close(db);
        return 1;
    }

    ax_db_set_text(&params[0], strlen(argv[2]), argv[2]);
    ax_db_set_text(&params[1], strlen(description), description);
    ax_db_set_int(&params[2], period);

    rc = ax_db_query(db, "INSERT INTO subscriptions_product "
                         "(name, description, renewal_period) "
                         "VALUES ($1, $2, $3) RETURNING id",
                     params, 3, &res);
    if (rc != AX_DB_OK) {
        goto failed;
    }

    printf("added product %s (id %lld)\n", argv[2], ax_db_res_int(res, 0, 0));

    ax_db_res_free(res);
    ax_db_close(db);

    return 0;

failed:

    fprintf(stderr, "arthexis product: database error: %s\n",
            ax_db_errmsg(db));
    ax_db_close(db);

    return 1;
}
