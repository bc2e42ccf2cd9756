
/*
 * Incremental UTF-8 validation.
 *
 * Byte classes (RFC 3629, section 4):
 *   0  00..7F          1  80..8F          2  90..9F         3  A0..BF
 *   4  C0..C1, F5..FF  5  C2..DF          6  E0             7  E1..EC, EE..EF
 *   8  ED              9  F0             10  F1..F3        11  F4
 *
 * States, stored premultiplied by the number of classes (12):
 *   0 accept, 12 reject, 24 one continuation byte due, 36 two due,
 *   48 three due, 60 after E0 (A0..BF due), 72 after ED (80..9F due),
 *   84 after F0 (90..BF due), 96 after F4 (80..8F due).
 */

#include <string.h>

#include "ax_utf8.h"


#define A   0
#define R   12
#define C1  24
#define C2  36
#define C3  48
#define E0  60
#define ED  72
#define F0  84
#define F4  96


static const uint8_t  ax_utf8_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* 00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* 10 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* 20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* 30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* 40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* 50 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* 60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* 70 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,            /* 80 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,            /* 90 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,            /* A0 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,            /* B0 */
    4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,            /* C0 */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,            /* D0 */
    6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 7,            /* E0 */
    9, 10, 10, 10, 11, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4         /* F0 */
};


static const uint8_t  ax_utf8_next[9 * 12] = {
 /*  00  80  90  A0  C0  C2  E0  E1  ED  F0  F1  F4 */
     A,  R,  R,  R,  R,  C1, E0, C2, ED, F0, C3, F4,       /* accept */
     R,  R,  R,  R,  R,  R,  R,  R,  R,  R,  R,  R,        /* reject */
     R,  A,  A,  A,  R,  R,  R,  R,  R,  R,  R,  R,        /* 1 due */
     R,  C1, C1, C1, R,  R,  R,  R,  R,  R,  R,  R,        /* 2 due */
     R,  C2, C2, C2, R,  R,  R,  R,  R,  R,  R,  R,        /* 3 due */
     R,  R,  R,  C1, R,  R,  R,  R,  R,  R,  R,  R,        /* E0 */
     R,  C1, C1, R,  R,  R,  R,  R,  R,  R,  R,  R,        /* ED */
     R,  R,  C2, C2, R,  R,  R,  R,  R,  R,  R,  R,        /* F0 */
     R,  C2, R,  R,  R,  R,  R,  R,  R,  R,  R,  R         /* F4 */
};


#define AX_UTF8_HIGH  ((uint64_t) 0x8080808080808080ULL)


uint32_t
ax_utf8_feed(uint32_t state, const unsigned char *p, size_t len)
{
    uint64_t              w;
    const unsigned char  *last;

    if (state == AX_UTF8_REJECT) {
        return state;
    }

    last = p + len;

    while (p < last) {

        if (state == AX_UTF8_ACCEPT) {

            /* ASCII runs, 8 bytes at a time */

            while ((size_t) (last - p) >= 8) {
                memcpy(&w, p, 8);
                if (w & AX_UTF8_HIGH) {
                    break;
                }
                p += 8;
            }

            while (p < last && *p < 0x80) {
                p++;
            }

            if (p == last) {
                break;
            }
        }

        state = ax_utf8_next[state + ax_utf8_class[*p++]];

        if (state == AX_UTF8_REJECT) {
            return state;
        }
    }

    return state;
}


int
ax_utf8_valid(const unsigned char *p, size_t len)
{
    return ax_utf8_feed(AX_UTF8_ACCEPT, p, len) == AX_UTF8_ACCEPT;
}
