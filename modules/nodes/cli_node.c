
/*
 * arthexis node: register this host (the seed's "register current host"),
 * register another node, list them.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <net/if.h>

#include <ax_cli.h>
#include "ax_nodes.h"


static int ax_cli_node_main(int argc, char **argv);


const ax_cli_command_t  ax_cli_node = {
    "node",
    "register this host (or another node) in the registry; list nodes",
    "register-self [--hostname NAME] [--address IP] [--port PORT]\n"
    "       arthexis node register HOSTNAME ADDRESS [PORT]\n"
    "       arthexis node list\n"
    "       (each takes --database DSN)\n\n"
    "register-self records this host: its name (gethostname), its first\n"
    "non-loopback address (IPv4 first, else IPv6, else 127.0.0.1) and the\n"
    "port it serves (default 8000), each overridable.  A node is created\n"
    "or updated by hostname, and its last_seen set to now, as\n"
    "POST /nodes/register/ does.\n",
    ax_cli_node_main
};


/* the first non-loopback address of this host, IPv4 preferred */
static int
ax_cli_node_address(char *out)
{
    int              found;
    struct ifaddrs  *ifs, *ifa;

    if (getifaddrs(&ifs) != 0) {
        return -1;
    }

    found = 0;

    for (ifa = ifs; ifa != NULL && found < 2; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || (ifa->ifa_flags & IFF_LOOPBACK)
            || !(ifa->ifa_flags & IFF_UP))
        {
            continue;
        }

        if (ifa->ifa_addr->sa_family == AF_INET) {
            if (inet_ntop(AF_INET,
                          &((struct sockaddr_in *) ifa->ifa_addr)->sin_addr,
                          out, AX_ADDRESS_MAX + 1))
            {
                found = 2;
            }

        } else if (ifa->ifa_addr->sa_family == AF_INET6 && found == 0) {
            struct in6_addr  *a6;

            a6 = &((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr;

            if (!IN6_IS_ADDR_LINKLOCAL(a6)
                && inet_ntop(AF_INET6, a6, out, AX_ADDRESS_MAX + 1))
            {
                found = 1;
            }
        }
    }

    freeifaddrs(ifs);

    return found ? 0 : -1;
}


static int
ax_cli_node_register(ax_db_t *db, char *hostname, const char *address,
    const char *port_arg)
{
    int             rc;
    char           *end, addr[AX_ADDRESS_MAX + 1], now[32];
    long            port;
    size_t          hlen;
    time_t          t;
    struct tm       tm;
    ax_db_res_t    *res;
    ax_db_param_t   params[4];

    hlen = strlen(hostname);

    if (ax_hostname_normalize(hostname, &hlen) != 0) {
        fprintf(stderr, "arthexis node: invalid hostname \"%s\": an RFC 1123 "
                "host name is required\n", hostname);
        ax_db_close(db);
        return 1;
    }

    if (ax_address_normalize(address, strlen(address), addr) != 0) {
        fprintf(stderr, "arthexis node: invalid address \"%s\": an IPv4 or "
                "IPv6 address is required\n", address);
        ax_db_close(db);
        return 1;
    }

    port = AX_NODE_PORT;

    if (port_arg != NULL) {
        port = strtol(port_arg, &end, 10);

        if (*port_arg == '\0' || *end != '\0' || port < 1 || port > 65535) {
            fprintf(stderr, "arthexis node: invalid port \"%s\": 1 to "
                    "65535\n", port_arg);
            ax_db_close(db);
            return 1;
        }
    }

    t = time(NULL);
    (void) gmtime_r(&t, &tm);
    (void) strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);

    ax_db_set_text(&params[0], hlen, hostname);
    ax_db_set_text(&params[1], strlen(addr), addr);
    ax_db_set_int(&params[2], port);
    ax_db_set_text(&params[3], strlen(now), now);

    rc = ax_db_query(db,
             "UPDATE nodes_node SET address = $2, port = $3, last_seen = $4 "
             "WHERE hostname = $1 RETURNING id",
             params, 4, &res);

    if (rc == AX_DB_OK && ax_db_res_rows(res) == 0) {
        ax_db_res_free(res);

        rc = ax_db_query(db,
                 "INSERT INTO nodes_node (hostname, address, port, last_seen) "
                 "VALUES ($1, $2, $3, $4) "
                 "ON CONFLICT (hostname) DO UPDATE SET "
                 "address = excluded.address, port = excluded.port, "
                 "last_seen = excluded.last_seen "
                 "RETURNING id",
                 params, 4, &res);
    }

    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis node: database error: %s\n",
                ax_db_errmsg(db));
        ax_db_close(db);
        return 1;
    }

    printf("registered %.*s %s:%ld (id %lld)\n", (int) hlen, hostname, addr,
           port, ax_db_res_int(res, 0, 0));

    ax_db_res_free(res);
    ax_db_close(db);

    return 0;
}


static int
ax_cli_node_list(ax_db_t *db)
{
    int           rc, row;
    ax_db_res_t  *res;

    rc = ax_db_query(db, "SELECT id, hostname, address, port, last_seen "
                         "FROM nodes_node ORDER BY id", NULL, 0, &res);

    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis node: database error: %s\n",
                ax_db_errmsg(db));
        ax_db_close(db);
        return 1;
    }

    for (row = 0; row < ax_db_res_rows(res); row++) {
        printf("%s\t%s\t%s\t%s\t%s\n",
               ax_db_res_value(res, row, 0, NULL),
               ax_db_res_value(res, row, 1, NULL),
               ax_db_res_value(res, row, 2, NULL),
               ax_db_res_value(res, row, 3, NULL),
               ax_db_res_value(res, row, 4, NULL));
    }

    ax_db_res_free(res);
    ax_db_close(db);

    return 0;
}


static int
ax_cli_node_main(int argc, char **argv)
{
    char      *hostname, *address, *port;
    char       host[256], addr[AX_ADDRESS_MAX + 1];
    ax_db_t   *db;

    hostname = ax_cli_take_option(&argc, argv, "--hostname");
    address = ax_cli_take_option(&argc, argv, "--address");
    port = ax_cli_take_option(&argc, argv, "--port");

    db = ax_cli_open_db(&argc, argv, 1);
    if (db == NULL) {
        return 1;
    }

    if (argc == 2 && strcmp(argv[1], "register-self") == 0) {
        if (hostname == NULL) {
            if (gethostname(host, sizeof(host) - 1) != 0) {
                fprintf(stderr, "arthexis node: cannot tell this host's "
                        "name: use --hostname\n");
                ax_db_close(db);
                return 1;
            }

            host[sizeof(host) - 1] = '\0';
            hostname = host;
        }

        if (address == NULL) {
            if (ax_cli_node_address(addr) != 0) {
                strcpy(addr, "127.0.0.1");
            }

            address = addr;
        }

        return ax_cli_node_register(db, hostname, address, port);
    }

    if ((argc == 4 || argc == 5) && strcmp(argv[1], "register") == 0) {
        return ax_cli_node_register(db, argv[2], argv[3],
                                    argc == 5 ? argv[4] : port);
    }

    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        return ax_cli_node_list(db);
    }

    fprintf(stderr, "usage: arthexis node %s", ax_cli_node.usage);
    ax_db_close(db);

    return 2;
}
