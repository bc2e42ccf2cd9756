
/*
 * The accounts app's rules, shared by the nginx module and the arthexis
 * CLI (plain C, no nginx headers; static inline so that each side takes
 * what it uses).
 */

#ifndef _AX_ACCOUNTS_H_INCLUDED_
#define _AX_ACCOUNTS_H_INCLUDED_


#include <stddef.h>
#include <string.h>
#include <time.h>


#define AX_RFID_LEN          8
#define AX_VIN_LEN           17
#define AX_USERNAME_MAX      150
#define AX_PHONE_MAX         20
#define AX_EMAIL_MAX         254
#define AX_VEHICLE_TEXT_MAX  100
#define AX_ID_TAG_MAX        20     /* OCPP 1.6 IdToken: CiString20 */


/* an RFID code: exactly 8 hexadecimal digits; upper-cased in place */
static inline int
ax_rfid_normalize(char *s, size_t len)
{
    size_t  i;
    char    c;

    if (len != AX_RFID_LEN) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c >= 'a' && c <= 'f') {
            s[i] = (char) (c - 'a' + 'A');

        } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
            return -1;
        }
    }

    return 0;
}


/* a VIN: 17 of 0-9 A-Z without I, O, Q (ISO 3779); upper-cased in place */
static inline int
ax_vin_normalize(char *s, size_t len)
{
    size_t  i;
    char    c;

    if (len != AX_VIN_LEN) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c >= 'a' && c <= 'z') {
            c = (char) (c - 'a' + 'A');
            s[i] = c;
        }

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
            || c == 'I' || c == 'O' || c == 'Q')
        {
            return -1;
        }
    }

    return 0;
}


/* a username as Django allows: letters, digits and @ . + - _ */
static inline int
ax_username_valid(const char *s, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len > AX_USERNAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z') || c == '@' || c == '.' || c == '+'
              || c == '-' || c == '_'))
        {
            return 0;
        }
    }

    return 1;
}


/* a phone number: digits, spaces and + - ( ) . ; empty is fine */
static inline int
ax_phone_valid(const char *s, size_t len)
{
    size_t  i, digits;
    char    c;

    if (len > AX_PHONE_MAX) {
        return 0;
    }

    digits = 0;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c >= '0' && c <= '9') {
            digits++;

        } else if (!(c == ' ' || c == '+' || c == '-' || c == '('
                     || c == ')' || c == '.'))
        {
            return 0;
        }
    }

    return len == 0 || digits > 0;
}


/* an e-mail address: local@domain, printable ASCII without spaces;
 * empty is fine */
static inline int
ax_email_valid(const char *s, size_t len)
{
    size_t  i, at;

    if (len == 0) {
        return 1;
    }

    if (len > AX_EMAIL_MAX) {
        return 0;
    }

    at = len;

    for (i = 0; i < len; i++) {
        if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '<' || s[i] == '>'
            || s[i] == ',' || s[i] == ';' || s[i] == '"')
        {
            return 0;
        }

        if (s[i] == '@') {
            if (at != len) {
                return 0;
            }

            at = i;
        }
    }

    return at > 0 && at + 1 < len && memchr(s + at, '.', len - at) != NULL;
}


/* "YYYY-MM-DDTHH:MM:SSZ" of now, into buf[21] */
static inline char *
ax_accounts_now(char *buf, size_t size)
{
    time_t     t;
    struct tm  tm;

    t = time(NULL);
    (void) gmtime_r(&t, &tm);
    (void) strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);

    return buf;
}


#endif /* _AX_ACCOUNTS_H_INCLUDED_ */
