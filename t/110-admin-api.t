# The generic admin JSON API (/admin/api/<model>/): listing with
# pagination and filters, get, create, update, delete; the errors (400
# naming the field, 404, 405, 409, 413, 415); types; write-only fields;
# one transaction per request.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;

repeat_each(1);
no_shuffle();

our $Config = <<'_EOC_';
    location /admin/api/ { arthexis_admin_api; }
    location = /arthexis/status { arthexis_status; }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        qq{    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";\n})
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]")
        unless defined $block->no_error_log || defined $block->error_log;
});

sub post ($$) { "POST $_[0]\n$_[1]" }
sub put ($$) { "PUT $_[0]\n$_[1]" }
sub patch ($$) { "PATCH $_[0]\n$_[1]" }

sub detail ($) { qq{{"detail":"$_[0]"}\n} }

sub field ($$) { qq{{"detail":"$_[0]: $_[1]","field":"$_[0]"}\n} }

sub product ($) { post('/admin/api/products/', qq{{"name":"$_[0]","renewal_period":30}}) }

run_tests();

__DATA__

=== TEST 1: the index lists the models and their fields
--- request
GET /admin/api/
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{"models":\[\{"name":"users","fields":\[\{"name":"username","type":"text","required":true,"unique":true,"nullable":false,"read_only":false,"write_only":false,"max_len":150\},.*\{"name":"rfids",.*\{"name":"user","type":"ref","required":false,"unique":false,"nullable":true,"read_only":false,"write_only":false,"ref":"users"\}.*\{"name":"accounts",.*\{"name":"vehicles",.*\{"name":"nodes",.*\{"name":"products",.*\{"name":"subscriptions",



=== TEST 2: create, get, list, update (PUT and PATCH), delete
--- request eval
[main::product('Basic'),
 "GET /admin/api/products/1/",
 "GET /admin/api/products/1",
 main::put('/admin/api/products/1/', '{"name":"Plus","renewal_period":7}'),
 main::patch('/admin/api/products/1/', '{"description":"Weekly"}'),
 "GET /admin/api/products/",
 "DELETE /admin/api/products/1/",
 "GET /admin/api/products/1/",
 "DELETE /admin/api/products/1/",
 "GET /admin/api/products/"]
--- error_code eval
[201, 200, 200, 200, 200, 200, 204, 404, 404, 200]
--- response_body eval
[qq{{"id":1,"name":"Basic","description":"","renewal_period":30}\n},
 qq{{"id":1,"name":"Basic","description":"","renewal_period":30}\n},
 qq{{"id":1,"name":"Basic","description":"","renewal_period":30}\n},
 qq{{"id":1,"name":"Plus","description":"","renewal_period":7}\n},
 qq{{"id":1,"name":"Plus","description":"Weekly","renewal_period":7}\n},
 qq{{"count":1,"page":1,"page_size":50,"results":[{"id":1,"name":"Plus","description":"Weekly","renewal_period":7}]}\n},
 "", main::detail("not found"), main::detail("not found"),
 qq{{"count":0,"page":1,"page_size":50,"results":[]}\n}]



=== TEST 3: PUT needs the required fields, PATCH does not; PUT back what GET gave
--- request eval
[main::product('Basic'),
 main::put('/admin/api/products/1/', '{"name":"X"}'),
 main::patch('/admin/api/products/1/', '{"name":"X"}'),
 main::put('/admin/api/products/1/', '{"id":1,"name":"Y","description":"","renewal_period":30}'),
 main::patch('/admin/api/products/1/', '{}')]
--- error_code eval
[201, 400, 200, 200, 200]
--- response_body eval
[qr/"Basic"/, main::field("renewal_period", "this field is required"),
 qr/"name":"X"/, qr/"name":"Y"/, qr/"name":"Y"/]



=== TEST 4: pagination: page, page_size and the total count
--- request eval
[(map { main::product("P$_") } 1 .. 5),
 "GET /admin/api/products/?page_size=2",
 "GET /admin/api/products/?page=2&page_size=2",
 "GET /admin/api/products/?page=3&page_size=2",
 "GET /admin/api/products/?page=9&page_size=2",
 "GET /admin/api/products/?page=0",
 "GET /admin/api/products/?page_size=1001",
 "GET /admin/api/products/?page=abc",
 "GET /admin/api/products/?page=-1",
 "GET /admin/api/products/?page=%zz"]
--- error_code eval
[201, 201, 201, 201, 201, 200, 200, 200, 200, 400, 400, 400, 400, 400]
--- response_body_like eval
['', '', '', '', '',
 '^\{"count":5,"page":1,"page_size":2,"results":\[\{"id":1,"name":"P1",.*\{"id":2,"name":"P2",[^\]]*\]\}$',
 '^\{"count":5,"page":2,"page_size":2,"results":\[\{"id":3,"name":"P3",.*\{"id":4,"name":"P4",[^\]]*\]\}$',
 '^\{"count":5,"page":3,"page_size":2,"results":\[\{"id":5,"name":"P5",[^\]]*\]\}$',
 '^\{"count":5,"page":9,"page_size":2,"results":\[\]\}$',
 '^\{"detail":"page: must be a positive integer","field":"page"\}$',
 '^\{"detail":"page_size: must be an integer between 1 and 1000","field":"page_size"\}$',
 '^\{"detail":"page: must be a positive integer","field":"page"\}$',
 '^\{"detail":"page: must be a positive integer","field":"page"\}$',
 '^\{"detail":"malformed query string"\}$']



=== TEST 5: filters: exact matches, null references, unknown and invalid ones
--- request eval
[main::post('/admin/api/users/', '{"username":"ann"}'),
 main::post('/admin/api/users/', '{"username":"ben","is_active":false}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAA","user":1}'),
 main::post('/admin/api/rfids/', '{"code":"0000BBBB"}'),
 "GET /admin/api/users/?is_active=false",
 "GET /admin/api/users/?is_active=true&username=ann",
 "GET /admin/api/rfids/?user=",
 "GET /admin/api/rfids/?user=1",
 "GET /admin/api/users/?nope=1",
 "GET /admin/api/users/?is_active=maybe",
 "GET /admin/api/rfids/?user=x",
 "GET /admin/api/rfids/?parent_id_tag=%27%20OR%20%271%27=%271"]
--- error_code eval
[201, 201, 201, 201, 200, 200, 200, 200, 400, 400, 400, 200]
--- response_body_like eval
['', '', '', '',
 '^\{"count":1,.*"username":"ben"',
 '^\{"count":1,.*"username":"ann"',
 '^\{"count":1,.*"code":"0000BBBB"',
 '^\{"count":1,.*"code":"0000AAAA"',
 '^\{"detail":"nope: unknown filter","field":"nope"\}$',
 '^\{"detail":"is_active: must be true or false","field":"is_active"\}$',
 '^\{"detail":"user: must be an integer","field":"user"\}$',
 '^\{"count":0,']



=== TEST 6: unknown models, ids and paths are 404
--- request eval
["GET /admin/api/nothing/", "GET /admin/api/users/abc/",
 "GET /admin/api/users/0/", "GET /admin/api/users/007/",
 "GET /admin/api/users/1/x/", "GET /admin/api/users/99999999999999999999/",
 "GET /admin/api/users/1/", "PATCH /admin/api/users/5/\n{}",
 "DELETE /admin/api/users/5/", "POST /admin/api/nothing/\n{}"]
--- error_code eval
[404, 404, 404, 404, 404, 404, 404, 404, 404, 404]
--- response_body eval
[main::detail("unknown model"), (main::detail("not found")) x 8,
 main::detail("unknown model")]



=== TEST 7: wrong methods are 405 with Allow
--- request eval
["POST /admin/api/\n{}", "PUT /admin/api/users/\n{}", "DELETE /admin/api/users/",
 "POST /admin/api/users/1/\n{}"]
--- error_code eval
[405, 405, 405, 405]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD, POST", "Allow: GET, HEAD, POST",
 "Allow: GET, HEAD, PUT, PATCH, DELETE"]
--- response_body eval
[main::detail("GET required"), main::detail("GET or POST required"),
 main::detail("GET or POST required"),
 main::detail("GET, PUT, PATCH or DELETE required")]



=== TEST 8: bodies: malformed JSON, not an object, content types, NUL bytes
--- request eval
[main::post('/admin/api/users/', '{"username":'),
 main::post('/admin/api/users/', '["ann"]'),
 main::post('/admin/api/users/', 'username=ann'),
 main::post('/admin/api/users/', '{"username":"a\u0000b"}'),
 main::post('/admin/api/users/', "{\"username\":\"\xc3\x28\"}"),
 main::post('/admin/api/users/', 'username=a%00b'),
 main::post('/admin/api/users/', 'username=cat&is_active=false'),
 "GET /admin/api/users/"]
--- more_headers eval
["", "", "Content-Type: text/plain", "", "",
 "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded", ""]
--- error_code eval
[400, 400, 415, 400, 400, 400, 201, 200]
--- response_body_like eval
['^\{"detail":"malformed JSON"\}$', '^\{"detail":"a JSON object is required"\}$',
 '^\{"detail":"Content-Type must be', '^\{"detail":"malformed JSON"\}$',
 '^\{"detail":"malformed JSON"\}$', '^\{"detail":"malformed form data"\}$',
 '"username":"cat","phone_number":"","email":"","is_active":false',
 '^\{"count":1,']



=== TEST 9: a body over client_max_body_size is a JSON 413
--- config
    location /admin/api/ { arthexis_admin_api; client_max_body_size 100; }
--- request eval
main::post('/admin/api/products/', '{"name":"' . ('x' x 200) . '","renewal_period":1}')
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body
{"detail":"request body too large"}



=== TEST 10: wrong types and values name the field
--- request eval
[main::post('/admin/api/products/', '{"name":5,"renewal_period":1}'),
 main::post('/admin/api/products/', '{"name":"a","renewal_period":"abc"}'),
 main::post('/admin/api/products/', '{"name":"a","renewal_period":1.5}'),
 main::post('/admin/api/products/', '{"name":"a","renewal_period":{}}'),
 main::post('/admin/api/products/', '{"name":null,"renewal_period":1}'),
 main::post('/admin/api/products/', '{"name":"' . ('x' x 101) . '","renewal_period":1}'),
 main::post('/admin/api/products/', '{"name":"' . ("\xc3\xa9" x 100) . '","renewal_period":1}'),
 main::post('/admin/api/products/', '{"name":"a","renewal_period":1,"colour":"red"}'),
 main::post('/admin/api/products/', '{"name":"a","renewal_period":"12"}')]
--- error_code eval
[400, 400, 400, 400, 400, 400, 201, 400, 201]
--- response_body eval
[main::field("name", "must be a string"),
 main::field("renewal_period", "must be an integer"),
 main::field("renewal_period", "must be an integer"),
 main::field("renewal_period", "must be an integer"),
 main::field("name", "may not be null"),
 main::field("name", "must be at most 100 characters"),
 qr/"renewal_period":1\}$/,
 main::field("colour", "unknown field"),
 qr/"renewal_period":12\}$/]



=== TEST 11: times: normalized to UTC with Z; invalid ones refused
--- request eval
[main::post('/admin/api/rfids/', '{"code":"0000AAAA","expires_at":"2030-01-01T01:30:00+01:30"}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAB","expires_at":"2030-06-30T23:59:59.999Z"}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAC","expires_at":"2030-13-01T00:00:00Z"}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAC","expires_at":"2030-02-29T00:00:00Z"}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAC","expires_at":"tomorrow"}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAC","expires_at":1700000000}'),
 main::patch('/admin/api/rfids/1/', '{"expires_at":null}'),
 main::patch('/admin/api/rfids/1/', '{"added_on":"2000-01-01T00:00:00Z"}')]
--- error_code eval
[201, 201, 400, 400, 400, 400, 200, 200]
--- response_body_like eval
['"expires_at":"2030-01-01T00:00:00Z"', '"expires_at":"2030-06-30T23:59:59Z"',
 '^\{"detail":"expires_at: must be a time \(YYYY-MM-DDTHH:MM:SSZ\)","field":"expires_at"\}$',
 'must be a time', 'must be a time', 'must be a time',
 '"expires_at":null', '"added_on":"20[2-9]\d-']



=== TEST 12: SQL-looking strings are data
--- request eval
[main::post('/admin/api/products/', q{{"name":"x'); DROP TABLE subscriptions_product; --","renewal_period":1,"description":"\" OR 1=1 --"}}),
 "GET /admin/api/products/?name=x%27%29%3B%20DROP%20TABLE%20subscriptions_product%3B%20--",
 "GET /admin/api/products/"]
--- response_body_like eval
['"name":"x\'\); DROP TABLE subscriptions_product; --","description":"\\\\" OR 1=1 --"',
 '^\{"count":1,', '^\{"count":1,']
--- error_code eval
[201, 200, 200]



=== TEST 13: duplicates are 409 naming the field; the same row may keep its value
--- request eval
[main::post('/admin/api/users/', '{"username":"dan"}'),
 main::post('/admin/api/users/', '{"username":"eve"}'),
 main::post('/admin/api/users/', '{"username":"dan"}'),
 main::patch('/admin/api/users/2/', '{"username":"dan"}'),
 main::put('/admin/api/users/1/', '{"username":"dan","email":"d@example.com"}')]
--- error_code eval
[201, 201, 409, 409, 200]
--- response_body_like eval
['"dan"', '"eve"', '^\{"detail":"username: already exists","field":"username"\}$',
 '^\{"detail":"username: already exists","field":"username"\}$',
 '"username":"dan","phone_number":"","email":"d\@example\.com"']



=== TEST 14: references must exist
--- request eval
[main::post('/admin/api/rfids/', '{"code":"0000AAAA","user":1}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAA","user":0}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAA","user":"1"}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAA","user":null}')]
--- error_code eval
[400, 400, 400, 201]
--- response_body eval
[main::field("user", "no users with id 1"),
 main::field("user", "must be a positive integer (an id)"),
 main::field("user", "no users with id 1"),
 qr/"user":null/]



=== TEST 15: one transaction per request: a refused write leaves nothing
The subscription's hook refuses a renewal past 9999-12-31 after the row
was inserted: the insert is rolled back with it.
--- request eval
[main::post('/admin/api/users/', '{"username":"fay"}'),
 main::post('/admin/api/products/', '{"name":"Long","renewal_period":36500}'),
 main::post('/admin/api/subscriptions/', '{"user":1,"product":1,"start_date":"9990-01-01"}'),
 "GET /admin/api/subscriptions/",
 main::post('/admin/api/subscriptions/', '{"user":1,"product":1,"start_date":"2000-01-01"}')]
--- error_code eval
[201, 201, 400, 200, 201]
--- response_body_like eval
['"fay"', '"Long"', '^\{"detail":"start_date: the next renewal would be past 9999-12-31"\}$',
 '^\{"count":0,', '"id":\d+,.*"next_renewal":"2099-12-07"']



=== TEST 16: write-only fields are never returned (an Odoo instance's password)
--- request eval
[main::post('/admin/api/odoo_instances/', '{"name":"erp","url":"http://127.0.0.1:8069","database":"db","username":"admin","password":"s3cret"}'),
 "GET /admin/api/odoo_instances/1/",
 "GET /admin/api/odoo_instances/",
 main::patch('/admin/api/odoo_instances/1/', '{"name":"erp2","has_password":false}'),
 main::patch('/admin/api/odoo_instances/1/', '{"password":""}'),
 "GET /admin/api/odoo_instances/?password=s3cret"]
--- error_code eval
[201, 200, 200, 200, 200, 400]
--- response_body_like eval
['^\{"id":1,"name":"erp",(?!.*s3cret).*"has_password":true\}$',
 '^(?!.*s3cret).*"has_password":true\}$',
 '^(?!.*s3cret).*"has_password":true\}\]\}$',
 '^(?!.*s3cret)\{"id":1,"name":"erp2",.*"has_password":true\}$',
 '"has_password":false\}$',
 '^\{"detail":"password: unknown filter","field":"password"\}$']



=== TEST 17: HEAD on lists and objects
--- request eval
[main::product('Basic'), "HEAD /admin/api/products/", "HEAD /admin/api/products/1/"]
--- error_code eval
[201, 200, 200]
--- response_body eval
[qr/"Basic"/, "", ""]



=== TEST 18: arthexis_admin_api is refused in a regex location
--- config
    location ~ ^/admin/api/ { arthexis_admin_api; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"arthexis_admin_api" directive cannot be used in a regex location in .*nginx\.conf:\d+/



=== TEST 19: refused requests with bodies keep the connection usable
--- pipelined_requests eval
["POST /admin/api/nothing/\n{\"a\":1}", "PUT /admin/api/users/\n{\"a\":1}",
 "POST /admin/api/users/x/\n{\"a\":1}", "POST /admin/api/users/\n{\"username\":1}",
 "GET /admin/api/users/"]
--- error_code eval
[404, 405, 404, 400, 200]
--- response_body eval
[main::detail("unknown model"), main::detail("GET or POST required"),
 main::detail("not found"), main::field("username", "must be a string"),
 qq{{"count":0,"page":1,"page_size":50,"results":[]}\n}]
