# Subscriptions: the products list, subscribe, a user's subscriptions (the
# seed's routes and cases), the renewal dates, bad input, the CLI.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use POSIX ();

repeat_each(1);
no_shuffle();

our $Config = <<'_EOC_';
    location /subscriptions/ { subscriptions_api; }
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

sub sub_ ($) { post('/subscriptions/subscribe/', $_[0]) }

sub detail ($) { qq{{"detail":"$_[0]"}\n} }

# today + n days, UTC, as YYYY-MM-DD
sub day ($) {
    POSIX::strftime('%Y-%m-%d', gmtime(time + $_[0] * 86400));
}

# the list reply for [id, product name, days to the renewal], ...
sub subs (@) {
    my @items = map {
        sprintf '{"id":%d,"product__name":"%s","next_renewal":"%s"}',
            $_->[0], $_->[1], day($_->[2])
    } @_;
    return '{"subscriptions":[' . join(',', @items) . "]}\n";
}

sub cli (@) {
    for (1 .. 100) {
        my ($status) = http_get('/arthexis/status', 1);
        last if $status == 200;
        select undef, undef, undef, 0.05;
    }
    my ($out, $rc) = arthexis_cli(@_);
    die "arthexis @_: exit $rc: $out\n" if $rc;
    return $out;
}

run_tests();

__DATA__

=== TEST 1: the products list (the seed's case)
--- init
main::cli('product', 'add', 'Basic', '--renewal-period', '30',
          '--description', 'Monthly plan');
main::cli('product', 'add', 'Yearly', '--renewal-period', '365');
--- request
GET /subscriptions/products/
--- response_headers
Content-Type: application/json
--- response_body
{"products":[{"id":1,"name":"Basic","description":"Monthly plan","renewal_period":30},{"id":2,"name":"Yearly","description":"","renewal_period":365}]}



=== TEST 2: an empty products list
--- request
GET /subscriptions/products/
--- response_body
{"products":[]}



=== TEST 3: subscribe then list (the seed's case)
--- init
main::cli('createuser', 'alice');
main::cli('product', 'add', 'Basic', '--renewal-period', '30');
--- request eval
[main::sub_('{"user_id":1,"product_id":1}'),
 "GET /subscriptions/list/?user_id=1"]
--- response_body eval
[qq{{"id":1}\n}, main::subs([1, 'Basic', 30])]



=== TEST 4: form data as in the seed; ids as strings; several subscriptions
--- init
main::cli('createuser', 'bob');
main::cli('createuser', 'carol');
main::cli('product', 'add', 'Weekly', '--renewal-period', '7');
main::cli('product', 'add', 'Daily', '--renewal-period', '1');
--- request eval
["POST /subscriptions/subscribe/\nuser_id=2&product_id=1",
 main::sub_('{"user_id":"2","product_id":"2"}'),
 main::sub_('{"user_id":1,"product_id":2}'),
 "GET /subscriptions/list/?user_id=2",
 "GET /subscriptions/list/?user_id=1",
 "GET /subscriptions/list/?user_id=999"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded", "", "", "", "", ""]
--- response_body eval
[qq{{"id":1}\n}, qq{{"id":2}\n}, qq{{"id":3}\n},
 main::subs([1, 'Weekly', 7], [2, 'Daily', 1]),
 main::subs([3, 'Daily', 1]),
 qq{{"subscriptions":[]}\n}]



=== TEST 5: user_id and product_id required, as integers
--- request eval
[main::sub_('{}'), main::sub_('{"user_id":1}'), main::sub_('{"product_id":1}'),
 main::sub_('{"user_id":"x","product_id":1}'),
 main::sub_('{"user_id":1.5,"product_id":1}'),
 main::sub_('{"user_id":[1],"product_id":1}'),
 main::sub_('{"user_id":true,"product_id":1}'),
 main::sub_('{"user_id":null,"product_id":1}'),
 main::sub_('{"user_id":"1; DROP TABLE accounts_user","product_id":1}'),
 main::sub_('{"user_id":99999999999999999999,"product_id":1}'),
 main::sub_('')]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400]
--- response_body eval
[(main::detail("user_id and product_id required")) x 9,
 main::detail("malformed JSON"), main::detail("user_id and product_id required")]



=== TEST 6: unknown product, unknown user: 404 and nothing written
--- init
main::cli('createuser', 'dave');
main::cli('product', 'add', 'Basic', '--renewal-period', '30');
--- request eval
[main::sub_('{"user_id":1,"product_id":2}'),
 main::sub_('{"user_id":2,"product_id":1}'),
 main::sub_('{"user_id":2,"product_id":2}'),
 main::sub_('{"user_id":-1,"product_id":0}'),
 "GET /admin/api/subscriptions/"]
--- error_code eval
[404, 404, 404, 404, 200]
--- response_body eval
[main::detail("invalid product"), main::detail("invalid user"),
 main::detail("invalid product"), main::detail("invalid product"),
 qq{{"count":0,"page":1,"page_size":50,"results":[]}\n}]



=== TEST 7: user_id required for the list, as an integer
--- request eval
["GET /subscriptions/list/", "GET /subscriptions/list/?user_id=",
 "GET /subscriptions/list/?user_id=abc", "GET /subscriptions/list/?user_id=1%00",
 "GET /subscriptions/list/?user_id=-1", "GET /subscriptions/list/?user_id=1%20OR%201=1",
 "GET /subscriptions/list/?user_id=" . ('9' x 40),
 "GET /subscriptions/list/?user_id=%31"]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 200]
--- response_body eval
[(main::detail("user_id required")) x 7, qq{{"subscriptions":[]}\n}]



=== TEST 8: wrong methods, unknown routes
--- request eval
["GET /subscriptions/subscribe/", "PUT /subscriptions/subscribe/\n{}",
 "POST /subscriptions/products/\n{}", "DELETE /subscriptions/list/?user_id=1",
 "GET /subscriptions/", "GET /subscriptions/nothing/"]
--- error_code eval
[405, 405, 405, 405, 404, 404]
--- response_body eval
[main::detail("POST required"), main::detail("POST required"),
 main::detail("GET required"), main::detail("GET required"),
 main::detail("not found"), main::detail("not found")]



=== TEST 9: malformed bodies, content types, too large
--- config
    location /subscriptions/ { subscriptions_api; client_max_body_size 100; }
--- request eval
[main::sub_('{"user_id":1,'), main::sub_('[1]'),
 main::sub_('{"user_id":1,"product_id":1}'),
 main::sub_('{"user_id":1,"product_id":1,"pad":"' . ('x' x 200) . '"}'),
 main::sub_('{"user_id":"1\u0000","product_id":1}'),
 "POST /subscriptions/subscribe/\nuser_id=1%00&product_id=1"]
--- more_headers eval
["", "", "Content-Type: multipart/form-data; boundary=x", "", "",
 "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[400, 400, 415, 413, 400, 400]
--- response_body eval
[main::detail("malformed JSON"), main::detail("a JSON object is required"),
 main::detail("Content-Type must be application/json or application/x-www-form-urlencoded"),
 main::detail("request body too large"), main::detail("malformed JSON"),
 main::detail("malformed form data")]



=== TEST 10: the admin models: products and subscriptions
--- request eval
[main::post('/admin/api/users/', '{"username":"erin"}'),
 main::post('/admin/api/products/', '{"name":"Quarterly","renewal_period":90,"description":"Every quarter"}'),
 main::post('/admin/api/subscriptions/', '{"user":1,"product":1,"start_date":"2024-02-29"}'),
 main::post('/admin/api/subscriptions/', '{"user":1,"product":1}'),
 "PATCH /admin/api/subscriptions/1/\n{\"start_date\":\"2024-12-31\"}",
 main::post('/admin/api/products/', '{"name":"Bad","renewal_period":0}'),
 main::post('/admin/api/products/', '{"name":"Bad"}'),
 main::post('/admin/api/subscriptions/', '{"user":1,"product":1,"start_date":"2024-02-30"}'),
 main::post('/admin/api/subscriptions/', '{"user":1,"product":7}'),
 main::post('/admin/api/subscriptions/', '{"user":1,"product":1,"next_renewal":"2000-01-01"}'),
 "GET /subscriptions/list/?user_id=1"]
--- error_code eval
[201, 201, 201, 201, 200, 400, 400, 400, 400, 201, 200]
--- response_body eval
[qr/"erin"/,
 qq{{"id":1,"name":"Quarterly","description":"Every quarter","renewal_period":90}\n},
 qq{{"id":1,"user":1,"product":1,"start_date":"2024-02-29","next_renewal":"2024-05-29"}\n},
 '{"id":2,"user":1,"product":1,"start_date":"' . main::day(0)
 . '","next_renewal":"' . main::day(90) . "\"}\n",
 qq{{"id":1,"user":1,"product":1,"start_date":"2024-12-31","next_renewal":"2025-03-31"}\n},
 qq{{"detail":"renewal_period: must be between 1 and 36500","field":"renewal_period"}\n},
 qq{{"detail":"renewal_period: this field is required","field":"renewal_period"}\n},
 qq{{"detail":"start_date: must be a date (YYYY-MM-DD)","field":"start_date"}\n},
 qq{{"detail":"product: no products with id 7","field":"product"}\n},
 qr/"id":3,.*"next_renewal":"\d{4}-\d\d-\d\d"\}$/,
 qr/^\{"subscriptions":\[\{"id":1,"product__name":"Quarterly","next_renewal":"2025-03-31"\},/]



=== TEST 11: the CLI refuses bad products
--- init
for my $args (['product', 'add', 'X', '--renewal-period', '0'],
              ['product', 'add', 'X', '--renewal-period', 'ten'],
              ['product', 'add', 'X'],
              ['product', 'add', '', '--renewal-period', '3']) {
    open my $saved, '>&', \*STDERR or die;
    open STDERR, '>', '/dev/null' or die;
    my ($out, $rc) = main::arthexis_cli(@$args);
    open STDERR, '>&', $saved or die;
    die "arthexis @$args: expected a failure\n" unless $rc;
}
main::cli('product', 'add', 'Ok', '--renewal-period', '3');
my $out = main::cli('product', 'list');
die "unexpected: $out" unless $out eq "1\tOk\t3 days\t\n";
--- request
GET /subscriptions/products/
--- response_body
{"products":[{"id":1,"name":"Ok","description":"","renewal_period":3}]}



=== TEST 12: arthexis product --help
--- init
my ($out, $rc) = main::arthexis_cli('product', '--help');
die "arthexis product --help: exit $rc: $out" if $rc || $out !~ /^usage: arthexis product add NAME/;
--- request
GET /subscriptions/products/
--- response_body
{"products":[]}
