
/*
 * Incremental UTF-8 validation (RFC 3629): a DFA whose state is carried
 * across calls, so a message can be validated as its bytes arrive, in any
 * chunking.  Overlong forms, surrogates (U+D800..U+DFFF) and code points
 * above U+10FFFF are rejected at the first byte that makes them so.
 */

#ifndef _AX_UTF8_H_INCLUDED_
#define _AX_UTF8_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* a complete sequence ended here (the only valid end of a message) */
#define AX_UTF8_ACCEPT  0

/* invalid input was seen; sticky */
#define AX_UTF8_REJECT  12

/* any other state: inside a multi-byte sequence */


/*
 * Feeds len bytes to the DFA in state (start with AX_UTF8_ACCEPT) and
 * returns the new state.  Returns AX_UTF8_REJECT as soon as an invalid
 * byte is found, without looking at the rest.
 */
uint32_t ax_utf8_feed(uint32_t state, const unsigned char *p, size_t len);

/* 1 if p[0..len) is complete, valid UTF-8, else 0 */
int ax_utf8_valid(const unsigned char *p, size_t len);


#endif /* _AX_UTF8_H_INCLUDED_ */
