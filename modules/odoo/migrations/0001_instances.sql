-- Odoo servers (the seed's odoo.Instance): where /odoo/test/<id>/ connects
-- and with which credentials.  The password is kept as given (XML-RPC
-- needs it in clear); no route, CLI listing or log line ever shows it:
-- they say has_password instead.
CREATE TABLE odoo_instances (
    id          {{id}},
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    database    TEXT NOT NULL DEFAULT '',
    username    TEXT NOT NULL DEFAULT '',
    password    TEXT NOT NULL DEFAULT ''
);
