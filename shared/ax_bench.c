
/*
 * Measurement helpers of the load tools.  See ax_bench.h.
 */

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "ax_bench.h"


void
ax_bench_hist_reset(ax_bench_hist_t *h)
{
    memset(h, 0, sizeof(ax_bench_hist_t));
}


void
ax_bench_hist_record(ax_bench_hist_t *h, uint64_t ns)
{
    unsigned  e, sub, i;

    if (ns > h->max) {
        h->max = ns;
    }

    if (ns < 16) {
        i = (unsigned) ns;

    } else {
        e = 63 - __builtin_clzll(ns);
        sub = (unsigned) (ns >> (e - 4)) & 0xf;
        i = (e - 3) * 16 + sub;
    }

    if (i >= AX_BENCH_BUCKETS) {
        i = AX_BENCH_BUCKETS - 1;
    }

    h->buckets[i]++;
    h->count++;
}


void
ax_bench_hist_merge(ax_bench_hist_t *to, const ax_bench_hist_t *from)
{
    unsigned  i;

    for (i = 0; i < AX_BENCH_BUCKETS; i++) {
        to->buckets[i] += from->buckets[i];
    }

    to->count += from->count;

    if (from->max > to->max) {
        to->max = from->max;
    }
}


double
ax_bench_hist_percentile(const ax_bench_hist_t *h, double q)
{
    double    mid;
    unsigned  i, e, sub;
    uint64_t  seen, target;

    if (h->count == 0) {
        return 0;
    }

    target = (uint64_t) (q * h->count);
    if (target == 0) {
        target = 1;
    }

    seen = 0;

    for (i = 0; i < AX_BENCH_BUCKETS - 1; i++) {
        seen += h->buckets[i];

        if (seen >= target) {
            break;
        }
    }

    if (i < 16) {
        return i;
    }

    /* the middle of the bucket (16..31 ns: exact), at most the largest */
    e = i / 16 + 3;
    sub = i % 16;

    mid = (double) (((uint64_t) (16 + sub) << (e - 4))
                    + (e >= 5 ? (uint64_t) 1 << (e - 5) : 0));

    return mid < (double) h->max ? mid : (double) h->max;
}


int
ax_bench_pids_add(ax_bench_pids_t *p, const char *arg)
{
    int             found;
    char            path[300], buf[512], *s, *end;
    long            pid, ppid;
    FILE           *f;
    DIR            *dir;
    struct dirent  *de;

    s = (char *) arg;

    while (*s) {
        pid = strtol(s, &end, 10);

        if (end == s || pid <= 0 || (*end && *end != ',')) {
            return -1;
        }

        s = *end ? end + 1 : end;

        found = 0;
        dir = opendir("/proc");

        while (dir && (de = readdir(dir)) != NULL) {
            if (!isdigit((unsigned char) de->d_name[0])) {
                continue;
            }

            snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);

            f = fopen(path, "r");
            if (f == NULL) {
                continue;
            }

            if (fgets(buf, sizeof(buf), f) != NULL) {
                /* pid (comm) state ppid: comm may hold spaces */
                end = strrchr(buf, ')');

                if (end && sscanf(end + 2, "%*c %ld", &ppid) == 1
                    && ppid == pid && p->n < AX_BENCH_MAX_PIDS)
                {
                    p->pids[p->n++] = atoi(de->d_name);
                    found = 1;
                }
            }

            fclose(f);
        }

        if (dir) {
            closedir(dir);
        }

        if (!found && p->n < AX_BENCH_MAX_PIDS) {
            p->pids[p->n++] = pid;
        }
    }

    return 0;
}


int
ax_bench_pids_cpu(const ax_bench_pids_t *p, double *user, double *sys)
{
    char                path[64], buf[1024], *s;
    long                hz;
    unsigned            i;
    FILE               *f;
    unsigned long long  ut, st;

    *user = 0;
    *sys = 0;
    hz = sysconf(_SC_CLK_TCK);

    for (i = 0; i < p->n; i++) {
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) p->pids[i]);

        f = fopen(path, "r");
        if (f == NULL) {
            return -1;
        }

        s = fgets(buf, sizeof(buf), f);
        fclose(f);

        if (s == NULL || (s = strrchr(buf, ')')) == NULL) {
            return -1;
        }

        /* fields 14 and 15 (utime, stime); the 3rd field follows ") " */

        if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                   "%llu %llu", &ut, &st) != 2)
        {
            return -1;
        }

        *user += (double) ut / hz;
        *sys += (double) st / hz;
    }

    return 0;
}


int
ax_bench_pids_mem(const ax_bench_pids_t *p, ax_bench_mem_t *m)
{
    int       any;
    char      path[64], line[256];
    long      v;
    unsigned  i;
    FILE     *f;

    memset(m, 0, sizeof(ax_bench_mem_t));
    any = 0;

    for (i = 0; i < p->n; i++) {
        snprintf(path, sizeof(path), "/proc/%d/status", (int) p->pids[i]);

        f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }

        any = 1;

        while (fgets(line, sizeof(line), f) != NULL) {
            if (sscanf(line, "VmRSS: %ld", &v) == 1) {
                m->rss += v;

            } else if (sscanf(line, "RssAnon: %ld", &v) == 1) {
                m->anon += v;

            } else if (sscanf(line, "RssShmem: %ld", &v) == 1) {
                if (v > m->shmem) {
                    m->shmem = v;
                }
            }
        }

        fclose(f);
    }

    return any ? 0 : -1;
}


double
ax_bench_self_cpu(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
           + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}


const char *
ax_bench_thousands(char *buf, double v)
{
    int                 n, i, j, len, neg;
    char                tmp[32];
    unsigned long long  u;

    neg = v < 0;
    u = (unsigned long long) ((neg ? -v : v) + 0.5);
    len = snprintf(tmp, sizeof(tmp), "%llu", u);

    j = 0;

    if (neg && u) {
        buf[j++] = '-';
    }

    for (i = 0; i < len; i++) {
        n = len - i;
        buf[j++] = tmp[i];

        if (n > 1 && n % 3 == 1) {
            buf[j++] = ',';
        }
    }

    buf[j] = '\0';

    return buf;
}
