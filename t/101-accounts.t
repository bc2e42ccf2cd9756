# Accounts: RFID login (the seed's route and cases), the accounts rules
# through the admin API (upper-case codes, blacklisting, balances,
# vehicles), the accounts CLI, and bad input.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;

repeat_each(1);
no_shuffle();

our $Config = <<'_EOC_';
    location /accounts/ { accounts_api; }
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

# JSON requests: post('/x', '{"a":1}') -> "POST /x\n{...}"
sub post ($$) { "POST $_[0]\n$_[1]" }
sub patch ($$) { "PATCH $_[0]\n$_[1]" }

# waits until the workers have migrated, then runs the CLI
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

# runs the CLI expecting a failure (its message is not shown); returns the
# exit status
sub cli_fails (@) {
    open my $saved, '>&', \*STDERR or die;
    open STDERR, '>', '/dev/null' or die;
    my ($out, $rc) = arthexis_cli(@_);
    open STDERR, '>&', $saved or die;
    return $rc;
}

run_tests();

__DATA__

=== TEST 1: rfid login returns the user (the seed's case)
--- request eval
[main::post('/admin/api/users/', '{"username":"alice","phone_number":"+1 555 0100"}'),
 main::post('/admin/api/rfids/', '{"code":"ABCD1234","user":1}'),
 main::post('/accounts/rfid-login/', '{"rfid":"ABCD1234"}')]
--- error_code eval
[201, 201, 200]
--- response_body_like eval
['"username":"alice"', '"code":"ABCD1234","user":1,',
 '^\{"id":1,"username":"alice","phone_number":"\+1 555 0100","balance_kwh":"0\.00"\}$']



=== TEST 2: an unknown tag is 401 (the seed's case)
--- request
POST /accounts/rfid-login/
{"rfid":"FFFF0000"}
--- error_code: 401
--- response_headers
Content-Type: application/json
--- response_body
{"detail":"invalid RFID"}



=== TEST 3: matching ignores case; form data works as in the seed
--- init
main::cli('createuser', 'bob');
main::cli('rfid', 'add', 'a1b2c3d4', '--user', 'bob');
--- request eval
[main::post('/accounts/rfid-login/', '{"rfid":"a1b2c3d4"}'),
 "POST /accounts/rfid-login/\nrfid=A1b2C3d4"]
--- more_headers eval
["Content-Type: application/json",
 "Content-Type: application/x-www-form-urlencoded"]
--- response_body eval
[qq{{"id":1,"username":"bob","phone_number":"","balance_kwh":"0.00"}\n},
 qq{{"id":1,"username":"bob","phone_number":"","balance_kwh":"0.00"}\n}]



=== TEST 4: a blacklisted tag is 401 and has lost its user
--- init
main::cli('createuser', 'carol');
main::cli('rfid', 'add', 'CAFE0001', '--user', 'carol');
main::cli('rfid', 'block', 'cafe0001');
--- request eval
[main::post('/accounts/rfid-login/', '{"rfid":"CAFE0001"}'),
 "GET /admin/api/rfids/1/"]
--- error_code eval
[401, 200]
--- response_body_like eval
['^\{"detail":"invalid RFID"\}$',
 '"code":"CAFE0001","user":null,"blacklisted":true,']



=== TEST 5: an unassigned tag is 401
--- init
main::cli('rfid', 'add', 'BEEF0001');
--- request
POST /accounts/rfid-login/
{"rfid":"BEEF0001"}
--- error_code: 401
--- response_body
{"detail":"invalid RFID"}



=== TEST 6: an inactive user or an expired tag cannot log in
--- init
main::cli('createuser', 'dave', '--inactive');
main::cli('rfid', 'add', 'DEAD0001', '--user', 'dave');
main::cli('createuser', 'erin');
main::cli('rfid', 'add', 'DEAD0002', '--user', 'erin', '--expires',
          '2001-01-01T00:00:00Z');
main::cli('rfid', 'add', 'DEAD0003', '--user', 'erin', '--expires',
          '2999-01-01T00:00:00Z');
--- request eval
[main::post('/accounts/rfid-login/', '{"rfid":"DEAD0001"}'),
 main::post('/accounts/rfid-login/', '{"rfid":"DEAD0002"}'),
 main::post('/accounts/rfid-login/', '{"rfid":"DEAD0003"}')]
--- error_code eval
[401, 401, 200]
--- response_body_like eval
['invalid RFID', 'invalid RFID', '"username":"erin"']



=== TEST 7: rfid missing, empty, null or not a string
--- request eval
[main::post('/accounts/rfid-login/', '{}'),
 main::post('/accounts/rfid-login/', '{"rfid":""}'),
 main::post('/accounts/rfid-login/', '{"rfid":null}'),
 main::post('/accounts/rfid-login/', ''),
 main::post('/accounts/rfid-login/', '{"rfid":12345678}'),
 main::post('/accounts/rfid-login/', '{"rfid":["ABCD1234"]}')]
--- error_code eval
[400, 400, 400, 400, 400, 400]
--- response_body eval
[qq{{"detail":"rfid required"}\n}, qq{{"detail":"rfid required"}\n},
 qq{{"detail":"rfid required"}\n}, qq{{"detail":"rfid required"}\n},
 qq{{"detail":"rfid must be a string"}\n},
 qq{{"detail":"rfid must be a string"}\n}]



=== TEST 8: any other method is 405 with the seed's detail
--- request eval
["GET /accounts/rfid-login/", "PUT /accounts/rfid-login/\n{}",
 "DELETE /accounts/rfid-login/", "HEAD /accounts/rfid-login/"]
--- error_code eval
[405, 405, 405, 405]
--- response_body eval
[qq{{"detail":"POST required"}\n}, qq{{"detail":"POST required"}\n},
 qq{{"detail":"POST required"}\n}, ""]



=== TEST 9: malformed JSON, a JSON array, another content type
--- request eval
[main::post('/accounts/rfid-login/', '{"rfid":'),
 main::post('/accounts/rfid-login/', '["ABCD1234"]'),
 main::post('/accounts/rfid-login/', 'rfid=ABCD1234'),
 main::post('/accounts/rfid-login/', '{"rfid":"AB\u0000CD1234"}'),
 main::post('/accounts/rfid-login/', "{\"rfid\":\"\xff\xfe\"}")]
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: text/plain", "Content-Type: application/json",
 "Content-Type: application/json"]
--- error_code eval
[400, 400, 415, 400, 400]
--- response_body eval
[qq{{"detail":"malformed JSON"}\n},
 qq{{"detail":"a JSON object is required"}\n},
 qq{{"detail":"Content-Type must be application/json or application/x-www-form-urlencoded"}\n},
 qq{{"detail":"malformed JSON"}\n},
 qq{{"detail":"malformed JSON"}\n}]



=== TEST 10: a body over client_max_body_size is 413
--- config
    location /accounts/ { accounts_api; client_max_body_size 64; }
--- request eval
main::post('/accounts/rfid-login/', '{"rfid":"' . ('A' x 100) . '"}')
--- error_code: 413
--- response_body
{"detail":"request body too large"}



=== TEST 11: long, SQL-looking and odd codes are simply invalid (401)
--- init
main::cli('createuser', 'frank');
main::cli('rfid', 'add', 'ABCD1234', '--user', 'frank');
--- request eval
[main::post('/accounts/rfid-login/', '{"rfid":"' . ('A' x 100000) . '"}'),
 main::post('/accounts/rfid-login/', q{{"rfid":"' OR 1=1 --"}}),
 main::post('/accounts/rfid-login/', q{{"rfid":"x' OR '1"}}),
 main::post('/accounts/rfid-login/', q{{"rfid":"ABCD123%"}}),
 main::post('/accounts/rfid-login/', q{{"rfid":" ABCD1234"}}),
 main::post('/accounts/rfid-login/', q{{"rfid":"ABCD1234","rfid2":1}})]
--- error_code eval
[401, 401, 401, 401, 401, 200]



=== TEST 12: unknown routes under /accounts/ are 404
--- request
GET /accounts/nothing-here/
--- error_code: 404
--- response_body
{"detail":"not found"}



=== TEST 13: a lower-case code is stored upper-case (the seed's case)
--- request eval
[main::post('/admin/api/rfids/', '{"code":"abcdef12"}'),
 "GET /admin/api/rfids/?code=ABCDEF12",
 "GET /admin/api/rfids/?code=abcdef12"]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
['^\{"id":1,"code":"ABCDEF12","user":null,"blacklisted":false,"added_on":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","expires_at":null,"parent_id_tag":null\}$',
 '^\{"count":1,', '^\{"count":1,']



=== TEST 14: a duplicate code is rejected, whatever its case (the seed's case)
--- request eval
[main::post('/admin/api/rfids/', '{"code":"ABCD1234"}'),
 main::post('/admin/api/rfids/', '{"code":"abcd1234"}'),
 main::post('/admin/api/rfids/', '{"code":"11112222"}'),
 main::patch('/admin/api/rfids/2/', '{"code":"ABCD1234"}')]
--- error_code eval
[201, 409, 201, 409]
--- response_body eval
[qr/"id":1/,
 qq{{"detail":"code: already exists","field":"code"}\n},
 qr/"id":2/,
 qq{{"detail":"code: already exists","field":"code"}\n}]



=== TEST 15: "xyz" is not a valid code (the seed's case), nor 9 digits
--- request eval
[main::post('/admin/api/rfids/', '{"code":"xyz"}'),
 main::post('/admin/api/rfids/', '{"code":"ABCD12345"}'),
 main::post('/admin/api/rfids/', '{"code":"GHIJKLMN"}'),
 main::post('/admin/api/rfids/', '{"code":12345678}'),
 main::post('/admin/api/rfids/', '{}')]
--- error_code eval
[400, 400, 400, 400, 400]
--- response_body eval
[qq{{"detail":"code: must be 8 hexadecimal digits","field":"code"}\n},
 qq{{"detail":"code: must be at most 8 characters","field":"code"}\n},
 qq{{"detail":"code: must be 8 hexadecimal digits","field":"code"}\n},
 qq{{"detail":"code: must be a string","field":"code"}\n},
 qq{{"detail":"code: this field is required","field":"code"}\n}]



=== TEST 16: blacklisting clears the user (the seed's case), and a
blacklisted tag cannot be given a user
--- request eval
[main::post('/admin/api/users/', '{"username":"gina"}'),
 main::post('/admin/api/rfids/', '{"code":"0000AAAA","user":1}'),
 main::patch('/admin/api/rfids/1/', '{"blacklisted":true}'),
 main::patch('/admin/api/rfids/1/', '{"user":1}'),
 main::post('/admin/api/rfids/', '{"code":"0000BBBB","user":1,"blacklisted":true}')]
--- error_code eval
[201, 201, 200, 200, 201]
--- response_body_like eval
['"id":1', '"user":1,"blacklisted":false',
 '"user":null,"blacklisted":true', '"user":null,"blacklisted":true',
 '"code":"0000BBBB","user":null,"blacklisted":true']



=== TEST 17: balance 50 - 20 = 30 (the seed's case); every user has an account
--- request eval
[main::post('/admin/api/users/', '{"username":"hank"}'),
 "GET /admin/api/accounts/?user=1",
 main::patch('/admin/api/accounts/1/', '{"credits_kwh":"50","total_kwh_spent":20}'),
 main::post('/admin/api/rfids/', '{"code":"00001111","user":1}'),
 main::post('/accounts/rfid-login/', '{"rfid":"00001111"}')]
--- error_code eval
[201, 200, 200, 201, 200]
--- response_body_like eval
['"username":"hank"',
 '^\{"count":1,"page":1,"page_size":50,"results":\[\{"id":1,"user":1,"credits_kwh":"0\.00","total_kwh_spent":"0\.00","balance_kwh":"0\.00"\}\]\}$',
 '^\{"id":1,"user":1,"credits_kwh":"50\.00","total_kwh_spent":"20\.00","balance_kwh":"30\.00"\}$',
 '"id":1',
 '^\{"id":1,"username":"hank","phone_number":"","balance_kwh":"30\.00"\}$']



=== TEST 18: balance_kwh is computed, never written; decimals are exact
--- request eval
[main::post('/admin/api/users/', '{"username":"ivan"}'),
 main::patch('/admin/api/accounts/1/', '{"credits_kwh":12.34,"balance_kwh":"999"}'),
 main::patch('/admin/api/accounts/1/', '{"total_kwh_spent":"0.1"}'),
 main::patch('/admin/api/accounts/1/', '{"credits_kwh":"1.234"}'),
 main::patch('/admin/api/accounts/1/', '{"credits_kwh":-1}'),
 main::patch('/admin/api/accounts/1/', '{"credits_kwh":"12,5"}'),
 main::patch('/admin/api/accounts/1/', '{"user":2}')]
--- error_code eval
[201, 200, 200, 400, 400, 400, 400]
--- response_body eval
[qr/"ivan"/,
 qq{{"id":1,"user":1,"credits_kwh":"12.34","total_kwh_spent":"0.00","balance_kwh":"12.34"}\n},
 qq{{"id":1,"user":1,"credits_kwh":"12.34","total_kwh_spent":"0.10","balance_kwh":"12.24"}\n},
 qq{{"detail":"credits_kwh: must have at most 2 decimal places","field":"credits_kwh"}\n},
 qq{{"detail":"credits_kwh: must be between 0.00 and 9999999999.99","field":"credits_kwh"}\n},
 qq{{"detail":"credits_kwh: must be a decimal number","field":"credits_kwh"}\n},
 qq{{"detail":"user: cannot be changed","field":"user"}\n}]



=== TEST 19: two vehicles on one account (the seed's case); VIN rules
--- request eval
[main::post('/admin/api/users/', '{"username":"judy"}'),
 main::post('/admin/api/vehicles/', '{"account":1,"brand":"Tesla","model":"3","vin":"5YJ3E1EA7KF317000"}'),
 main::post('/admin/api/vehicles/', '{"account":1,"brand":"Nissan","model":"Leaf","vin":"1n4az0cp5dc400001"}'),
 "GET /admin/api/vehicles/?account=1",
 main::post('/admin/api/vehicles/', '{"account":1,"vin":"1N4AZ0CP5DC400001"}'),
 main::post('/admin/api/vehicles/', '{"account":1,"vin":"1N4AZ0CP5DC40000I"}'),
 main::post('/admin/api/vehicles/', '{"account":9,"vin":"1N4AZ0CP5DC400009"}')]
--- error_code eval
[201, 201, 201, 200, 409, 400, 400]
--- response_body eval
[qr/"judy"/,
 qq{{"id":1,"account":1,"brand":"Tesla","model":"3","vin":"5YJ3E1EA7KF317000"}\n},
 qq{{"id":2,"account":1,"brand":"Nissan","model":"Leaf","vin":"1N4AZ0CP5DC400001"}\n},
 qr/^\{"count":2,"page":1,"page_size":50,"results":\[\{"id":1,.*\},\{"id":2,.*\}\]\}$/,
 qq{{"detail":"vin: already exists","field":"vin"}\n},
 qq{{"detail":"vin: must be 17 characters: digits and letters except I, O, Q","field":"vin"}\n},
 qq{{"detail":"account: no accounts with id 9","field":"account"}\n}]



=== TEST 20: user rules: unique usernames, phone numbers, e-mail
--- request eval
[main::post('/admin/api/users/', '{"username":"kim","email":"kim@example.com","phone_number":"+44 20 7946 0000"}'),
 main::post('/admin/api/users/', '{"username":"kim"}'),
 main::post('/admin/api/users/', '{"username":"k m"}'),
 main::post('/admin/api/users/', '{"username":"lee","phone_number":"call me"}'),
 main::post('/admin/api/users/', '{"username":"lee","email":"nope"}'),
 main::post('/admin/api/users/', '{"username":"lee","is_active":"maybe"}'),
 main::post('/admin/api/users/', '{"username":"' . ('x' x 151) . '"}')]
--- error_code eval
[201, 409, 400, 400, 400, 400, 400]
--- response_body eval
[qr/^\{"id":1,"username":"kim","phone_number":"\+44 20 7946 0000","email":"kim\@example\.com","is_active":true,"created_at":"[^"]+Z"\}$/,
 qq{{"detail":"username: already exists","field":"username"}\n},
 qq{{"detail":"username: must be 1 to 150 letters, digits and \@.+-_","field":"username"}\n},
 qq{{"detail":"phone_number: must be a phone number (digits, spaces, + - ( ) .)","field":"phone_number"}\n},
 qq{{"detail":"email: must be an e-mail address","field":"email"}\n},
 qq{{"detail":"is_active: must be true or false","field":"is_active"}\n},
 qq{{"detail":"username: must be at most 150 characters","field":"username"}\n}]



=== TEST 21: deleting a user deletes its account and detaches its tags
--- request eval
[main::post('/admin/api/users/', '{"username":"mia"}'),
 main::post('/admin/api/rfids/', '{"code":"0000CCCC","user":1}'),
 "DELETE /admin/api/users/1/",
 "GET /admin/api/accounts/",
 "GET /admin/api/rfids/1/"]
--- error_code eval
[201, 201, 204, 200, 200]
--- response_body_like eval
['"mia"', '"user":1', '^$', '^\{"count":0,', '"user":null']



=== TEST 22: the CLI: createuser, rfid add/block, account credit, vehicle add
--- init
main::cli('createuser', 'nina', '--phone', '555-0101', '--email', 'n@example.org');
main::cli('rfid', 'add', 'feed0001', '--user', 'nina');
main::cli('account', 'credit', 'nina', '50');
main::cli('account', 'credit', 'nina', '2.5');
main::cli('vehicle', 'add', 'nina', 'WVWZZZ1JZXW000001', '--brand', 'VW');
--- request eval
[main::post('/accounts/rfid-login/', '{"rfid":"FEED0001"}'),
 "GET /admin/api/vehicles/1/"]
--- response_body eval
[qq{{"id":1,"username":"nina","phone_number":"555-0101","balance_kwh":"52.50"}\n},
 qq{{"id":1,"account":1,"brand":"VW","model":"","vin":"WVWZZZ1JZXW000001"}\n}]



=== TEST 23: the CLI refuses bad input and duplicates, with exit status 1
--- init
main::cli('createuser', 'olga');
my @bad = (['createuser', 'olga'], ['createuser', 'a b'],
           ['rfid', 'add', 'xyz'], ['rfid', 'add', 'ABCD123G'],
           ['rfid', 'add', '0000DDDD', '--user', 'nobody'],
           ['rfid', 'block', '99999999'],
           ['account', 'credit', 'olga', '1.234'],
           ['account', 'credit', 'olga', '-1'],
           ['account', 'credit', 'nobody', '1'],
           ['vehicle', 'add', 'olga', 'SHORT']);
for my $args (@bad) {
    my $rc = main::cli_fails(@$args);
    die "arthexis @$args: expected exit 1, got $rc\n" unless $rc == 1;
}
main::cli('rfid', 'add', '0000EEEE');
die "duplicate rfid accepted\n" unless main::cli_fails('rfid', 'add', '0000eeee') == 1;
--- request
GET /admin/api/rfids/
--- response_body_like: ^\{"count":1,



=== TEST 24: rfid import and export (CSV: rfid,user,blacklisted)
--- init
main::cli('createuser', 'pat');
main::cli('createuser', 'quinn');
my $csv = Test::Nginx::Util::server_root() . '/logs/tags.csv';
open my $fh, '>', $csv or die;
print $fh "rfid,user,blacklisted\r\n0000aaa1,pat,false\r\n\"0000AAA2\",quinn,0\r\n"
          . "0000AAA3,,true\r\n0000AAA4,pat,yes\r\n";
close $fh;
main::cli('rfid', 'import', $csv);
my $out = main::cli('rfid', 'export');
die "unexpected export:\n$out" unless $out eq
    "rfid,user,blacklisted\r\n0000AAA1,pat,false\r\n0000AAA2,quinn,false\r\n"
    . "0000AAA3,,true\r\n0000AAA4,,true\r\n";
# a second import updates the tags; a bad line writes nothing
open $fh, '>', $csv or die;
print $fh "\xef\xbb\xbfrfid,user,blacklisted\n0000AAA2,pat,false\n0000AAA5,,false\n";
close $fh;
main::cli('rfid', 'import', $csv);
open $fh, '>', $csv or die;
print $fh "rfid,user,blacklisted\n0000AAA6,,false\n0000AAA7,nobody,false\n";
close $fh;
die "bad import accepted\n" unless main::cli_fails('rfid', 'import', $csv) == 1;
open $fh, '>', $csv or die;
print $fh "code,user\n0000AAA8,pat\n";
close $fh;
die "bad header accepted\n" unless main::cli_fails('rfid', 'import', $csv) == 1;
--- request eval
["GET /admin/api/rfids/?page_size=10",
 main::post('/accounts/rfid-login/', '{"rfid":"0000AAA2"}')]
--- response_body_like eval
['^\{"count":5,.*"code":"0000AAA2","user":1,.*"code":"0000AAA5","user":null,',
 '"username":"pat"']



=== TEST 25: the accounts tables as the OCPP module reads them
--- init
main::cli('createuser', 'rob');
main::cli('rfid', 'add', '0000FFF1', '--user', 'rob');
main::cli('account', 'credit', 'rob', '10');
my $out = main::arthexis_sql("SELECT r.code, r.blacklisted, r.expires_at IS NULL, "
    . "r.parent_id_tag IS NULL, a.credits_kwh, a.total_kwh_spent "
    . "FROM accounts_rfid r JOIN accounts_account a ON a.user_id = r.user_id");
die "unexpected: $out" unless $out =~ /^0000FFF1\|0\|(1|t)\|(1|t)\|1000\|0$/m;
--- request
GET /admin/api/accounts/1/
--- response_body
{"id":1,"user":1,"credits_kwh":"10.00","total_kwh_spent":"0.00","balance_kwh":"10.00"}



=== TEST 26: refused requests with bodies keep the connection usable
--- pipelined_requests eval
["PUT /accounts/rfid-login/\n{\"rfid\":\"ABCD1234\"}",
 "POST /accounts/other/\n{\"rfid\":\"ABCD1234\"}",
 "POST /accounts/rfid-login/\n{\"rfid\":\"\"}",
 "POST /accounts/rfid-login/\n{\"rfid\":\"ABCD1234\"}"]
--- error_code eval
[405, 404, 400, 401]
--- response_body eval
[qq{{"detail":"POST required"}\n}, qq{{"detail":"not found"}\n},
 qq{{"detail":"rfid required"}\n}, qq{{"detail":"invalid RFID"}\n}]



=== TEST 27: each accounts subcommand has --help
--- init
for my $cmd (qw(createuser rfid account vehicle)) {
    my ($out, $rc) = main::arthexis_cli($cmd, '--help');
    die "arthexis $cmd --help: exit $rc\n" if $rc;
    die "arthexis $cmd --help: $out" unless $out =~ /^usage: arthexis $cmd /;
}
--- request
GET /admin/api/users/
--- response_body
{"count":0,"page":1,"page_size":50,"results":[]}
