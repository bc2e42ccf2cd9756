
/*
 * The subscriptions app's rules, shared by the nginx module and the
 * arthexis CLI (plain C, no nginx headers).
 */

#ifndef _AX_SUBSCRIPTIONS_H_INCLUDED_
#define _AX_SUBSCRIPTIONS_H_INCLUDED_


#include <stdio.h>
#include <time.h>


#define AX_PRODUCT_NAME_MAX         100
#define AX_PRODUCT_DESCRIPTION_MAX  2000
#define AX_RENEWAL_PERIOD_MAX       36500     /* days: a hundred years */


/* days since 1970-01-01 of a civil date, and back (H. Hinnant) */

static inline long long
ax_days_from_civil(long long y, long long m, long long d)
{
    long long  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static inline void
ax_civil_from_days(long long z, long long *y, long long *m, long long *d)
{
    long long  era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}


/*
 * "YYYY-MM-DD" + days into out[11]; date may be NULL for today (UTC).
 * Returns 0, or -1 for a date that is not YYYY-MM-DD or a result past
 * year 9999.
 */
static inline int
ax_date_add_days(const char *date, long long days, char *out)
{
    int        y, m, d;
    time_t     t;
    struct tm  tm;
    long long  z, yy, mm, dd;

    if (date == NULL) {
        t = time(NULL);
        (void) gmtime_r(&t, &tm);
        y = tm.tm_year + 1900;
        m = tm.tm_mon + 1;
        d = tm.tm_mday;

    } else if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3
               || m < 1 || m > 12 || d < 1 || d > 31)
    {
        return -1;
    }

    z = ax_days_from_civil(y, m, d) + days;
    ax_civil_from_days(z, &yy, &mm, &dd);

    if (yy < 1 || yy > 9999) {
        return -1;
    }

    (void) snprintf(out, 11, "%04d-%02d-%02d", (int) yy, (int) mm, (int) dd);

    return 0;
}


#endif /* _AX_SUBSCRIPTIONS_H_INCLUDED_ */
