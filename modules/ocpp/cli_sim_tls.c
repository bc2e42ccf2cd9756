
/*
 * wss:// for arthexis simulate: a TLS bridge in a thread of its own.
 *
 * The WebSocket client (shared/ax_wsclient) speaks plain TCP on its epoll
 * loop; for one charge point over TLS, it connects instead to an abstract
 * Unix socket that this thread listens on, and the thread carries each
 * connection to the server over TLS (OpenSSL): it connects, checks the
 * server's certificate (against --ca, else the system's CAs; the name or
 * IP address of the URL's host), then copies bytes both ways until either
 * side closes.  Connections are served one after the other (a charge point
 * has one at a time; a Reset makes a new one).  A failed TLS handshake
 * closes the client's connection, and ax_sim_tls_error() tells why.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>


#define AX_SIM_TLS_TIMEOUT  10000     /* ms: TCP connect, TLS handshake */
#define AX_SIM_TLS_BUF      16384


typedef struct ax_sim_tls_s  ax_sim_tls_t;

ax_sim_tls_t *ax_sim_tls_start(const struct sockaddr *server,
    socklen_t server_len, const char *host, const char *ca, int insecure,
    struct sockaddr_un *local, socklen_t *local_len, char *err,
    size_t errlen);
const char *ax_sim_tls_error(ax_sim_tls_t *t);
void ax_sim_tls_stop(ax_sim_tls_t *t);


struct ax_sim_tls_s {
    pthread_t                 thread;
    pthread_mutex_t           lock;
    int                       listen_fd;
    int                       stop[2];       /* a pipe: close to stop */
    SSL_CTX                  *ctx;
    struct sockaddr_storage   server;
    socklen_t                 server_len;
    char                     *host;
    int                       host_is_ip;
    char                      error[256];
    unsigned                  has_error:1;
};


static void *ax_sim_tls_thread(void *data);
static void ax_sim_tls_serve(ax_sim_tls_t *t, int cfd);
static int ax_sim_tls_connect(ax_sim_tls_t *t);
static int ax_sim_tls_wait(ax_sim_tls_t *t, int fd, short events);
static int ax_sim_tls_write_all(int fd, const unsigned char *p, size_t n);
static void ax_sim_tls_fail(ax_sim_tls_t *t, const char *what, SSL *ssl,
    int rc);


ax_sim_tls_t *
ax_sim_tls_start(const struct sockaddr *server, socklen_t server_len,
    const char *host, const char *ca, int insecure,
    struct sockaddr_un *local, socklen_t *local_len, char *err,
    size_t errlen)
{
    int              n;
    size_t           len;
    uint64_t         r;
    const char      *e;
    ax_sim_tls_t    *t;
    unsigned char    addr[16];

    t = calloc(1, sizeof(ax_sim_tls_t));
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    t->listen_fd = -1;
    t->stop[0] = -1;
    t->stop[1] = -1;
    pthread_mutex_init(&t->lock, NULL);

    memcpy(&t->server, server, server_len);
    t->server_len = server_len;

    /* "[::1]" is "::1" for the certificate's check */
    len = strlen(host);

    if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
        t->host = strndup(host + 1, len - 2);

    } else {
        t->host = strdup(host);
    }

    if (t->host == NULL) {
        snprintf(err, errlen, "out of memory");
        goto failed;
    }

    t->host_is_ip = inet_pton(AF_INET, t->host, addr) == 1
                    || inet_pton(AF_INET6, t->host, addr) == 1;

    t->ctx = SSL_CTX_new(TLS_client_method());
    if (t->ctx == NULL) {
        snprintf(err, errlen, "SSL_CTX_new() failed");
        goto failed;
    }

    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(t->ctx, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                       NULL);

    if (ca) {
        if (SSL_CTX_load_verify_locations(t->ctx, ca, NULL) != 1) {
            e = ERR_reason_error_string(ERR_get_error());
            snprintf(err, errlen, "--ca %s: %s", ca, e ? e : "unreadable");
            goto failed;
        }

    } else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
        snprintf(err, errlen, "the system's CAs cannot be loaded");
        goto failed;
    }

    /* an abstract Unix socket that only this process knows the name of */

    if (getrandom(&r, sizeof(r), 0) != (ssize_t) sizeof(r)) {
        r = (uint64_t) getpid() * 2654435761u;
    }

    memset(local, 0, sizeof(struct sockaddr_un));
    local->sun_family = AF_UNIX;
    n = snprintf(local->sun_path + 1, sizeof(local->sun_path) - 1,
                 "arthexis-simulate-tls-%d-%016llx", (int) getpid(),
                 (unsigned long long) r);
    *local_len = offsetof(struct sockaddr_un, sun_path) + 1 + n;

    t->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (t->listen_fd == -1
        || bind(t->listen_fd, (struct sockaddr *) local, *local_len) == -1
        || listen(t->listen_fd, 4) == -1
        || pipe2(t->stop, O_CLOEXEC) == -1)
    {
        snprintf(err, errlen, "the bridge's socket: %s", strerror(errno));
        goto failed;
    }

    n = pthread_create(&t->thread, NULL, ax_sim_tls_thread, t);

    if (n != 0) {
        snprintf(err, errlen, "pthread_create(): %s", strerror(n));
        goto failed;
    }

    return t;

failed:

    if (t->listen_fd != -1) {
        close(t->listen_fd);
    }

    if (t->stop[0] != -1) {
        close(t->stop[0]);
        close(t->stop[1]);
    }

    if (t->ctx) {
        SSL_CTX_free(t->ctx);
    }

    free(t->host);
    free(t);

    return NULL;
}


const char *
ax_sim_tls_error(ax_sim_tls_t *t)
{
    static char  copy[256];

    pthread_mutex_lock(&t->lock);

    if (!t->has_error) {
        pthread_mutex_unlock(&t->lock);
        return NULL;
    }

    memcpy(copy, t->error, sizeof(copy));
    t->has_error = 0;

    pthread_mutex_unlock(&t->lock);

    return copy;
}


void
ax_sim_tls_stop(ax_sim_tls_t *t)
{
    close(t->stop[1]);
    pthread_join(t->thread, NULL);

    close(t->stop[0]);
    close(t->listen_fd);
    SSL_CTX_free(t->ctx);
    pthread_mutex_destroy(&t->lock);
    free(t->host);
    free(t);
}


static void *
ax_sim_tls_thread(void *data)
{
    int             cfd;
    ax_sim_tls_t   *t;
    struct pollfd   pfd[2];

    t = data;

    for ( ;; ) {
        pfd[0].fd = t->listen_fd;
        pfd[0].events = POLLIN;
        pfd[1].fd = t->stop[0];
        pfd[1].events = POLLIN;

        if (poll(pfd, 2, -1) == -1) {
            if (errno == EINTR) {
                continue;
            }

            break;
        }

        if (pfd[1].revents) {
            break;
        }

        cfd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);

        if (cfd == -1) {
            continue;
        }

        ax_sim_tls_serve(t, cfd);
        close(cfd);
    }

    return NULL;
}


/* one connection: TLS to the server, then bytes both ways */

static void
ax_sim_tls_serve(ax_sim_tls_t *t, int cfd)
{
    int             sfd, rc, e, want;
    SSL            *ssl;
    ssize_t         n;
    struct pollfd   pfd[3];
    unsigned char   buf[AX_SIM_TLS_BUF];

    sfd = ax_sim_tls_connect(t);
    if (sfd == -1) {
        return;
    }

    ssl = SSL_new(t->ctx);
    if (ssl == NULL) {
        ax_sim_tls_fail(t, "SSL_new()", NULL, 0);
        close(sfd);
        return;
    }

    SSL_set_fd(ssl, sfd);
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE
                      | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    if (t->host_is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t->host);

    } else {
        SSL_set_tlsext_host_name(ssl, t->host);
        SSL_set1_host(ssl, t->host);
    }

    /* the handshake */

    for ( ;; ) {
        rc = SSL_connect(ssl);

        if (rc == 1) {
            break;
        }

        e = SSL_get_error(ssl, rc);

        if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            || ax_sim_tls_wait(t, sfd, e == SSL_ERROR_WANT_READ
                                       ? POLLIN : POLLOUT) != 0)
        {
            ax_sim_tls_fail(t, "handshake", ssl, rc);
            goto done;
        }
    }

    /* the pump: the client's socket is blocking, the server's is not */

    want = 0;

    for ( ;; ) {
        pfd[0].fd = cfd;
        pfd[0].events = POLLIN;
        pfd[1].fd = sfd;
        pfd[1].events = POLLIN | want;
        pfd[2].fd = t->stop[0];
        pfd[2].events = POLLIN;
        pfd[0].revents = 0;
        pfd[1].revents = 0;
        pfd[2].revents = 0;

        if (SSL_pending(ssl) == 0 && poll(pfd, 3, -1) == -1) {
            if (errno == EINTR) {
                continue;
            }

            goto done;
        }

        if (pfd[2].revents) {
            goto done;
        }

        want = 0;

        /* server -> client */

        for ( ;; ) {
            rc = SSL_read(ssl, buf, sizeof(buf));

            if (rc > 0) {
                if (ax_sim_tls_write_all(cfd, buf, rc) != 0) {
                    goto done;
                }

                continue;
            }

            e = SSL_get_error(ssl, rc);

            if (e == SSL_ERROR_WANT_READ) {
                break;
            }

            if (e == SSL_ERROR_WANT_WRITE) {
                want = POLLOUT;
                break;
            }

            /* closed, or failed: the client sees the end */
            goto done;
        }

        /* client -> server */

        if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            continue;
        }

        n = recv(cfd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
            (void) SSL_shutdown(ssl);
            goto done;
        }

        while (n > 0) {
            rc = SSL_write(ssl, buf, n);

            if (rc > 0) {
                memmove(buf, buf + rc, n - rc);
                n -= rc;
                continue;
            }

            e = SSL_get_error(ssl, rc);

            if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                || ax_sim_tls_wait(t, sfd, e == SSL_ERROR_WANT_READ
                                           ? POLLIN : POLLOUT) != 0)
            {
                goto done;
            }
        }
    }

done:

    SSL_free(ssl);
    close(sfd);
}


static int
ax_sim_tls_connect(ax_sim_tls_t *t)
{
    int        fd, one, err;
    socklen_t  len;

    fd = socket(t->server.ss_family,
                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd == -1) {
        ax_sim_tls_fail(t, strerror(errno), NULL, 0);
        return -1;
    }

    one = 1;
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (connect(fd, (struct sockaddr *) &t->server, t->server_len) == -1) {
        if (errno != EINPROGRESS) {
            ax_sim_tls_fail(t, strerror(errno), NULL, 0);
            close(fd);
            return -1;
        }

        if (ax_sim_tls_wait(t, fd, POLLOUT) != 0) {
            ax_sim_tls_fail(t, "connect() timed out", NULL, 0);
            close(fd);
            return -1;
        }

        err = 0;
        len = sizeof(err);

        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err) {
            ax_sim_tls_fail(t, strerror(err ? err : errno), NULL, 0);
            close(fd);
            return -1;
        }
    }

    return fd;
}


/* 0 when fd is ready; -1 on a timeout or a stop */

static int
ax_sim_tls_wait(ax_sim_tls_t *t, int fd, short events)
{
    int            n;
    struct pollfd  pfd[2];

    pfd[0].fd = fd;
    pfd[0].events = events;
    pfd[1].fd = t->stop[0];
    pfd[1].events = POLLIN;

    do {
        n = poll(pfd, 2, AX_SIM_TLS_TIMEOUT);
    } while (n == -1 && errno == EINTR);

    return (n > 0 && !pfd[1].revents) ? 0 : -1;
}


static int
ax_sim_tls_write_all(int fd, const unsigned char *p, size_t n)
{
    ssize_t  w;

    while (n) {
        w = send(fd, p, n, MSG_NOSIGNAL);

        if (w == -1) {
            if (errno == EINTR) {
                continue;
            }

            return -1;
        }

        p += w;
        n -= w;
    }

    return 0;
}


static void
ax_sim_tls_fail(ax_sim_tls_t *t, const char *what, SSL *ssl, int rc)
{
    long           v;
    const char    *reason;
    unsigned long  e;

    pthread_mutex_lock(&t->lock);

    e = ERR_get_error();
    reason = e ? ERR_reason_error_string(e) : NULL;

    if (ssl && (v = SSL_get_verify_result(ssl)) != X509_V_OK) {
        snprintf(t->error, sizeof(t->error), "%s: certificate: %s", what,
                 X509_verify_cert_error_string(v));

    } else if (reason) {
        snprintf(t->error, sizeof(t->error), "%s: %s", what, reason);

    } else {
        snprintf(t->error, sizeof(t->error), "%s", what);
    }

    t->has_error = 1;
    ERR_clear_error();

    pthread_mutex_unlock(&t->lock);
}
