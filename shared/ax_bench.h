
/*
 * What the load tools (arthexis bench-echo, arthexis simulate --swarm)
 * measure with: a latency histogram with percentiles, the server's CPU
 * time and memory read from /proc, our own CPU time, and numbers with
 * thousands separators.  Plain C and Linux; no nginx headers.
 */

#ifndef _AX_BENCH_H_INCLUDED_
#define _AX_BENCH_H_INCLUDED_


#include <stdint.h>
#include <sys/types.h>


#define AX_BENCH_BUCKETS    (64 * 16)
#define AX_BENCH_MAX_PIDS   64


/*
 * Nanoseconds in buckets of 16 per power of two (about 4% wide): a
 * percentile is reported as the middle of its bucket.
 */
typedef struct {
    uint64_t    count;
    uint64_t    max;
    uint64_t    buckets[AX_BENCH_BUCKETS];
} ax_bench_hist_t;


/* the server's processes: a PID with children stands for its children */
typedef struct {
    pid_t       pids[AX_BENCH_MAX_PIDS];
    unsigned    n;
} ax_bench_pids_t;


/* resident memory of the processes, KiB (VmRSS and its parts) */
typedef struct {
    long        rss;
    long        anon;        /* RssAnon: private memory */
    long        shmem;       /* RssShmem: shared memory touched */
} ax_bench_mem_t;


void ax_bench_hist_reset(ax_bench_hist_t *h);
void ax_bench_hist_record(ax_bench_hist_t *h, uint64_t ns);
void ax_bench_hist_merge(ax_bench_hist_t *to, const ax_bench_hist_t *from);

/* q in [0, 1]; 0 when empty */
double ax_bench_hist_percentile(const ax_bench_hist_t *h, double q);


/*
 * Adds "PID" or "PID,PID,...": each PID's children when it has some
 * (nginx's master stands for its workers), else the PID itself.  Returns
 * 0, or -1 on a malformed list.
 */
int ax_bench_pids_add(ax_bench_pids_t *p, const char *arg);

/* utime and stime of the processes, seconds; -1 when one is gone */
int ax_bench_pids_cpu(const ax_bench_pids_t *p, double *user, double *sys);

/* their memory summed (shmem: the largest, as it is shared); -1 if none */
int ax_bench_pids_mem(const ax_bench_pids_t *p, ax_bench_mem_t *m);

/* our own CPU time, seconds (user + system) */
double ax_bench_self_cpu(void);

/* v rounded, with thousands separators: "12,345"; buf of 32 bytes */
const char *ax_bench_thousands(char *buf, double v);


#endif /* _AX_BENCH_H_INCLUDED_ */
