
/*
 * libFuzzer target for XML-RPC answers (shared/ax_xmlrpc.c): what an Odoo
 * server, or anything pretending to be one, may send back.
 *
 * Checked: no crash, no leak, no undefined behaviour; an answer is either
 * a value (or a fault) or an error with a message; a fault's fields read.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ax_xmlrpc.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          rc;
    char         err[256];
    json_t      *value;
    long long    code;
    const char  *text;

    value = NULL;
    err[0] = '\0';

    rc = ax_xmlrpc_parse_response((const char *) data, size, &value, err,
                                  sizeof(err));

    if (value == NULL) {
        if (err[0] == '\0') {
            abort();
        }

        return 0;
    }

    if (json_is_object(value)) {
        ax_xmlrpc_fault(value, &code, &text);

        if (text == NULL) {
            abort();
        }
    }

    (void) rc;
    json_decref(value);

    return 0;
}
