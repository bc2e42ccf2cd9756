
/*
 * XML-RPC (http://xmlrpc.com/spec.md) for the clients of the modules: a
 * call built with proper XML escaping, an answer parsed with expat into
 * jansson values, and the check of a server's base URL.  Plain C99, no
 * nginx headers; the transport is the caller's business.
 *
 * Values map to JSON: <int>/<i4>/<i8> integer, <boolean> true/false,
 * <double> real, <string> (or bare text) string, <nil/> null, <array>
 * array, <struct> object; <dateTime.iso8601> and <base64> stay strings.
 */

#ifndef _AX_XMLRPC_H_INCLUDED_
#define _AX_XMLRPC_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>


typedef enum {
    AX_XMLRPC_OK = 0,       /* *value is the result */
    AX_XMLRPC_FAULT = 1,    /* *value is the fault {faultCode, faultString} */
    AX_XMLRPC_ERROR = -1    /* not an XML-RPC answer: err says why */
} ax_xmlrpc_rc_e;


/* nesting deeper than this is refused, in calls and in answers */
#define AX_XMLRPC_MAX_DEPTH  32


/*
 * A <methodCall> of method with params, a JSON array of values (NULL for
 * none).  Returns the document, malloc'd and NUL-terminated, with its
 * length in *len; or NULL with a message in err (a bad method name, a
 * string holding a character XML 1.0 cannot carry, a non-finite real, too
 * deep, out of memory).  The message never quotes a parameter.
 */
char *ax_xmlrpc_call(const char *method, const json_t *params, size_t *len,
    char *err, size_t errlen);

/*
 * Parses a <methodResponse>.  Returns AX_XMLRPC_OK with the single result
 * in *value, AX_XMLRPC_FAULT with the fault struct in *value (both new
 * references), or AX_XMLRPC_ERROR with *value NULL and a message in err
 * ("not well-formed (invalid token) at line 1", "no methodResponse", ...).
 * Document type declarations are refused (no entity expansion at all).
 * The message never quotes the document.
 */
int ax_xmlrpc_parse_response(const char *p, size_t len, json_t **value,
    char *err, size_t errlen);

/*
 * The code and the text of a fault struct: the code as an integer (0 when
 * it is not one; Odoo sends integers, older servers strings), the text ""
 * when absent.  The text points into fault.
 */
void ax_xmlrpc_fault(const json_t *fault, long long *code,
    const char **text);

/*
 * Checks the base URL of a server: absolute http:// or https:// with a
 * host, no user name or password in it (credentials have their own
 * fields), no query or fragment, printable ASCII, at most 2048 bytes.
 * Returns 0, or -1 with a message in err.
 */
int ax_xmlrpc_check_url(const char *url, char *err, size_t errlen);

/*
 * The endpoint under a checked base URL: base without its trailing
 * slashes, then path ("/xmlrpc/2/common").  Malloc'd; NULL on no memory.
 */
char *ax_xmlrpc_endpoint(const char *base, const char *path);


#endif /* _AX_XMLRPC_H_INCLUDED_ */
