
/*
 * A small SHA-1 (FIPS 180-4), enough for the WebSocket accept key.
 */

#ifndef _AX_SHA1_H_INCLUDED_
#define _AX_SHA1_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define AX_SHA1_DIGEST_LEN  20


typedef struct {
    uint32_t       h[5];
    uint64_t       bytes;
    unsigned char  block[64];
} ax_sha1_t;


void ax_sha1_init(ax_sha1_t *ctx);
void ax_sha1_update(ax_sha1_t *ctx, const void *data, size_t len);
void ax_sha1_final(unsigned char digest[AX_SHA1_DIGEST_LEN], ax_sha1_t *ctx);


#endif /* _AX_SHA1_H_INCLUDED_ */
