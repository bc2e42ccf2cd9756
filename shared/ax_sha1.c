
/*
 * A small SHA-1 (FIPS 180-4, section 6.1).
 */

#include <string.h>

#include "ax_sha1.h"


#define ax_sha1_rol(x, n)  (((x) << (n)) | ((x) >> (32 - (n))))


static void ax_sha1_block(ax_sha1_t *ctx, const unsigned char *p);


void
ax_sha1_init(ax_sha1_t *ctx)
{
    ctx->h[0] = 0x67452301;
    ctx->h[1] = 0xefcdab89;
    ctx->h[2] = 0x98badcfe;
    ctx->h[3] = 0x10325476;
    ctx->h[4] = 0xc3d2e1f0;
    ctx->bytes = 0;
}


void
ax_sha1_update(ax_sha1_t *ctx, const void *data, size_t len)
{
    size_t                used, n;
    const unsigned char  *p;

    p = data;
    used = (size_t) (ctx->bytes & 63);
    ctx->bytes += len;

    if (used) {
        n = 64 - used;

        if (len < n) {
            memcpy(ctx->block + used, p, len);
            return;
        }

        memcpy(ctx->block + used, p, n);
        ax_sha1_block(ctx, ctx->block);
        p += n;
        len -= n;
    }

    while (len >= 64) {
        ax_sha1_block(ctx, p);
        p += 64;
        len -= 64;
    }

    if (len) {
        memcpy(ctx->block, p, len);
    }
}


void
ax_sha1_final(unsigned char digest[AX_SHA1_DIGEST_LEN], ax_sha1_t *ctx)
{
    size_t    used, i;
    uint64_t  bits;

    bits = ctx->bytes << 3;
    used = (size_t) (ctx->bytes & 63);

    ctx->block[used++] = 0x80;

    if (used > 56) {
        memset(ctx->block + used, 0, 64 - used);
        ax_sha1_block(ctx, ctx->block);
        used = 0;
    }

    memset(ctx->block + used, 0, 56 - used);

    for (i = 0; i < 8; i++) {
        ctx->block[56 + i] = (unsigned char) (bits >> (56 - 8 * i));
    }

    ax_sha1_block(ctx, ctx->block);

    for (i = 0; i < 5; i++) {
        digest[4 * i] = (unsigned char) (ctx->h[i] >> 24);
        digest[4 * i + 1] = (unsigned char) (ctx->h[i] >> 16);
        digest[4 * i + 2] = (unsigned char) (ctx->h[i] >> 8);
        digest[4 * i + 3] = (unsigned char) ctx->h[i];
    }

    memset(ctx, 0, sizeof(ax_sha1_t));
}


static void
ax_sha1_block(ax_sha1_t *ctx, const unsigned char *p)
{
    uint32_t  a, b, c, d, e, f, k, t, w[80];
    size_t    i;

    for (i = 0; i < 16; i++) {
        w[i] = ((uint32_t) p[4 * i] << 24) | ((uint32_t) p[4 * i + 1] << 16)
               | ((uint32_t) p[4 * i + 2] << 8) | (uint32_t) p[4 * i + 3];
    }

    for (i = 16; i < 80; i++) {
        t = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
        w[i] = ax_sha1_rol(t, 1);
    }

    a = ctx->h[0];
    b = ctx->h[1];
    c = ctx->h[2];
    d = ctx->h[3];
    e = ctx->h[4];

    for (i = 0; i < 80; i++) {

        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;

        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;

        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;

        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }

        t = ax_sha1_rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = ax_sha1_rol(b, 30);
        b = a;
        a = t;
    }

    ctx->h[0] += a;
    ctx->h[1] += b;
    ctx->h[2] += c;
    ctx->h[3] += d;
    ctx->h[4] += e;
}
