
/*
 * OCPP timestamps: RFC 3339 date-times as the schemas' validator reads
 * them, and the central system's own timestamps.  No libc time functions
 * (no time zone or locale is ever consulted): days are counted with the
 * civil calendar algorithms of H. Hinnant.
 */

#include <stddef.h>
#include <string.h>

#include "ax_ocpp.h"


#define AX_DIGIT(c)  ((unsigned) ((c) - '0') < 10)


static long long ax_ocpp_days_from_civil(long long y, unsigned m,
    unsigned d);
static void ax_ocpp_civil_from_days(long long z, long long *y, unsigned *m,
    unsigned *d);
static int ax_ocpp_num2(const char *p, unsigned *out);


static const unsigned char  ax_ocpp_mdays[13] = {
    0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
};


int
ax_ocpp_time_parse(const char *s, size_t len, int lenient,
    long long *epoch_ms)
{
    int        sign;
    size_t     i;
    unsigned   year, month, day, hour, min, sec, oh, om, ms, mdays, n;
    long long  t, offset;

    /* YYYY-MM-DD?hh:mm:ss */

    if (len < 19) {
        return -1;
    }

    for (i = 0; i < 4; i++) {
        if (!AX_DIGIT(s[i])) {
            return -1;
        }
    }

    year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
           + (s[3] - '0');

    if (s[4] != '-' || ax_ocpp_num2(s + 5, &month) != 0
        || s[7] != '-' || ax_ocpp_num2(s + 8, &day) != 0
        || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        || ax_ocpp_num2(s + 11, &hour) != 0
        || s[13] != ':' || ax_ocpp_num2(s + 14, &min) != 0
        || s[16] != ':' || ax_ocpp_num2(s + 17, &sec) != 0)
    {
        return -1;
    }

    if (month < 1 || month > 12) {
        return -1;
    }

    mdays = ax_ocpp_mdays[month];

    if (month == 2
        && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
    {
        mdays = 29;
    }

    if (day < 1 || day > mdays) {
        return -1;
    }

    if (hour > 23 || min > 59
        || (sec > 59 && !(sec == 60 && hour == 23 && min == 59)))
    {
        return -1;
    }

    i = 19;
    ms = 0;

    /* an optional fraction: any number of digits, milliseconds kept */

    if (i < len && s[i] == '.') {
        i++;
        n = 0;

        while (i < len && AX_DIGIT(s[i])) {
            if (n < 3) {
                ms = ms * 10 + (s[i] - '0');
            }
            n++;
            i++;
        }

        if (n == 0) {
            return -1;
        }

        for ( /* void */ ; n < 3; n++) {
            ms *= 10;
        }
    }

    /* the offset */

    offset = 0;

    if (i == len) {
        if (!lenient) {
            return -1;
        }

    } else if (s[i] == 'Z' || s[i] == 'z') {
        if (i + 1 != len) {
            return -1;
        }

    } else if (s[i] == '+' || s[i] == '-') {
        sign = (s[i] == '-') ? -1 : 1;
        i++;

        if (len - i < 2 || ax_ocpp_num2(s + i, &oh) != 0) {
            return -1;
        }

        i += 2;
        om = 0;

        if (i < len) {
            if (s[i] == ':') {
                i++;
            }

            if (len - i != 2 || ax_ocpp_num2(s + i, &om) != 0) {
                return -1;
            }
        }

        if (oh > 23 || om > 59) {
            return -1;
        }

        offset = sign * (long long) (oh * 3600 + om * 60);

    } else {
        return -1;
    }

    t = ax_ocpp_days_from_civil(year, month, day) * 86400
        + hour * 3600 + min * 60 + sec - offset;

    *epoch_ms = t * 1000 + ms;

    return 0;
}


void
ax_ocpp_time_format(long long epoch_ms, char out[25])
{
    unsigned   month, day, hour, min, sec, ms;
    long long  t, days, year, secs;

    /* floor division: times before 1970 count down from the epoch */

    t = epoch_ms / 1000;
    ms = (unsigned) (epoch_ms % 1000 + 1000) % 1000;

    if (epoch_ms < 0 && ms != 0) {
        t--;
    }

    days = t / 86400;
    secs = t % 86400;

    if (secs < 0) {
        secs += 86400;
        days--;
    }

    ax_ocpp_civil_from_days(days, &year, &month, &day);

    hour = (unsigned) (secs / 3600);
    min = (unsigned) (secs / 60 % 60);
    sec = (unsigned) (secs % 60);

    if (year < 0) {
        year = 0; month = 1; day = 1; hour = 0; min = 0; sec = 0; ms = 0;

    } else if (year > 9999) {
        year = 9999; month = 12; day = 31; hour = 23; min = 59; sec = 59;
        ms = 999;
    }

    out[0] = (char) ('0' + year / 1000);
    out[1] = (char) ('0' + year / 100 % 10);
    out[2] = (char) ('0' + year / 10 % 10);
    out[3] = (char) ('0' + year % 10);
    out[4] = '-';
    out[5] = (char) ('0' + month / 10);
    out[6] = (char) ('0' + month % 10);
    out[7] = '-';
    out[8] = (char) ('0' + day / 10);
    out[9] = (char) ('0' + day % 10);
    out[10] = 'T';
    out[11] = (char) ('0' + hour / 10);
    out[12] = (char) ('0' + hour % 10);
    out[13] = ':';
    out[14] = (char) ('0' + min / 10);
    out[15] = (char) ('0' + min % 10);
    out[16] = ':';
    out[17] = (char) ('0' + sec / 10);
    out[18] = (char) ('0' + sec % 10);
    out[19] = '.';
    out[20] = (char) ('0' + ms / 100);
    out[21] = (char) ('0' + ms / 10 % 10);
    out[22] = (char) ('0' + ms % 10);
    out[23] = 'Z';
    out[24] = '\0';
}


static int
ax_ocpp_num2(const char *p, unsigned *out)
{
    if (!AX_DIGIT(p[0]) || !AX_DIGIT(p[1])) {
        return -1;
    }

    *out = (p[0] - '0') * 10 + (p[1] - '0');

    return 0;
}


/* days since 1970-01-01 of a proleptic Gregorian date */

static long long
ax_ocpp_days_from_civil(long long y, unsigned m, unsigned d)
{
    long long  era;
    unsigned   yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (long long) doe - 719468;
}


static void
ax_ocpp_civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
    long long  era;
    unsigned   doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long) yoe + era * 400 + (*m <= 2);
}
