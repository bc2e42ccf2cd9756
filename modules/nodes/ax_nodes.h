
/*
 * The nodes app's rules, shared by the nginx module and the arthexis CLI
 * (plain C, no nginx headers).
 */

#ifndef _AX_NODES_H_INCLUDED_
#define _AX_NODES_H_INCLUDED_


#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>


#define AX_HOSTNAME_MAX  253
#define AX_ADDRESS_MAX   45        /* INET6_ADDRSTRLEN - 1 */
#define AX_NODE_PORT     8000      /* the seed's default */


/*
 * An RFC 1123 host name: dot-separated labels of 1..63 letters, digits and
 * hyphens, not starting or ending with a hyphen, 253 characters at most
 * (one trailing dot allowed and dropped).  Lower-cased in place; *len is
 * updated.  Returns 0 or -1.
 */
static inline int
ax_hostname_normalize(char *s, size_t *len)
{
    size_t  i, label, n;
    char    c;

    n = *len;

    if (n > 1 && s[n - 1] == '.') {
        n--;
    }

    if (n == 0 || n > AX_HOSTNAME_MAX) {
        return -1;
    }

    label = 0;

    for (i = 0; i < n; i++) {
        c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
            s[i] = c;
        }

        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') {
                return -1;
            }

            label = 0;
            continue;
        }

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '-'))
        {
            return -1;
        }

        if (c == '-' && label == 0) {
            return -1;
        }

        if (++label > 63) {
            return -1;
        }
    }

    if (label == 0 || s[n - 1] == '-') {
        return -1;
    }

    *len = n;

    return 0;
}


/*
 * An IPv4 or IPv6 literal (no zone, no brackets), written in its canonical
 * form (IPv6 compressed, lower-case, as Django's GenericIPAddressField)
 * into out[AX_ADDRESS_MAX + 1].  Returns 0 or -1.
 */
static inline int
ax_address_normalize(const char *s, size_t len, char *out)
{
    char           buf[AX_ADDRESS_MAX + 1];
    unsigned char  addr[16];

    if (len == 0 || len > AX_ADDRESS_MAX || memchr(s, '\0', len) != NULL) {
        return -1;
    }

    memcpy(buf, s, len);
    buf[len] = '\0';

    if (inet_pton(AF_INET, buf, addr) == 1) {
        return inet_ntop(AF_INET, addr, out, AX_ADDRESS_MAX + 1) ? 0 : -1;
    }

    if (inet_pton(AF_INET6, buf, addr) == 1) {
        return inet_ntop(AF_INET6, addr, out, AX_ADDRESS_MAX + 1) ? 0 : -1;
    }

    return -1;
}


#endif /* _AX_NODES_H_INCLUDED_ */
