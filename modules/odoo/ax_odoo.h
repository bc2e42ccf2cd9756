
/*
 * The fields of an Odoo instance and their limits: one definition for the
 * module (routes, admin model) and the arthexis CLI.  Plain C.
 */

#ifndef _AX_ODOO_H_INCLUDED_
#define _AX_ODOO_H_INCLUDED_


/* characters; text fields hold no control characters */
#define AX_ODOO_NAME_MAX       100
#define AX_ODOO_URL_MAX        2048     /* and ax_xmlrpc_check_url() */
#define AX_ODOO_DATABASE_MAX   100
#define AX_ODOO_USERNAME_MAX   255
#define AX_ODOO_PASSWORD_MAX   255

/* the XML-RPC endpoint under an instance's URL */
#define AX_ODOO_COMMON_PATH    "/xmlrpc/2/common"


#endif /* _AX_ODOO_H_INCLUDED_ */
