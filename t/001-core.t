# The core module: the database directive, the status route, JSON errors,
# and a slow database that must not stall requests that do not need it.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: status answers from the database, migrations applied
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
--- config
    location = /arthexis/status { arthexis_status; }
--- request
GET /arthexis/status
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{"status":"ok","database":"(sqlite|postgresql)","migrations":\d+,"checked_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}$
--- no_error_log
[error]



=== TEST 2: status refuses other methods with the seed's JSON shape
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
--- config
    location = /arthexis/status { arthexis_status; }
--- request
POST /arthexis/status
{}
--- error_code: 405
--- response_body
{"detail":"GET required"}



=== TEST 3: a database that cannot be opened gives 503 and a log line
--- http_config
    arthexis_database sqlite:/nonexistent/dir/db.sqlite3;
--- config
    location = /arthexis/status { arthexis_status; }
--- request
GET /arthexis/status
--- error_code: 503
--- response_body
{"detail":"database unavailable"}
--- error_log
cannot open database "sqlite:/nonexistent/dir/db.sqlite3"



=== TEST 4: nginx -t rejects a bad arthexis_database value
--- http_config
    arthexis_database mysql://localhost/x;
--- config
    location = /t { return 200; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "mysql:\/\/localhost\/x": expected "sqlite:PATH", a postgresql:\/\/ URI or a key=value connection string in .*nginx\.conf:\d+/



=== TEST 5: arthexis_database is http-level only
--- config
    location = /t { arthexis_database sqlite:x.db; return 200; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"arthexis_database" directive is not allowed here in .*nginx\.conf:\d+/



=== TEST 6: a duplicate arthexis_database is refused
--- http_config
    arthexis_database sqlite:a.db;
    arthexis_database sqlite:b.db;
--- config
    location = /t { return 200; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"arthexis_database" directive is duplicate in .*nginx\.conf:\d+/



=== TEST 7: an empty sqlite path is refused
--- http_config
    arthexis_database sqlite:;
--- config
    location = /t { return 200; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "sqlite:": no path after "sqlite:" in .*nginx\.conf:\d+/



=== TEST 8: a database held for 2 s does not delay a request that needs none
The init code holds the database's write lock for 2 s (SQLite: an open
BEGIN IMMEDIATE, PostgreSQL: an exclusive table lock) and starts a status
request, which waits for the lock.  Meanwhile a plain location must answer
well inside the 1 s client timeout: the event loop is not blocked.
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    arthexis_database_timeout 5s;
--- config
    location = /arthexis/status { arthexis_status; }
    location = /plain { return 200 "plain\n"; }
--- init
main::hold_database_then_query(2);
--- request
GET /plain
--- timeout: 1
--- response_body
plain
--- wait: 2.5



=== TEST 9: a database busy past arthexis_database_timeout gives 503
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    arthexis_database_timeout 300ms;
--- config
    location = /arthexis/status { arthexis_status; }
--- init
main::hold_database(2);
--- request
GET /arthexis/status
--- error_code: 503
--- response_body
{"detail":"database busy"}
--- error_log
arthexis: database:
--- wait: 2



=== TEST 10: a full database queue answers 503 "database busy" at once, as JSON
The one pool thread waits for the held database with a status request,
a second one fills the queue (max_queue=1): a third cannot be queued.
--- main_config
    thread_pool one_slot threads=1 max_queue=1;
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    arthexis_database_timeout 5s;
    arthexis_thread_pool one_slot;
--- config
    location = /arthexis/status { arthexis_status; }
--- init
main::hold_database_then_query(2);
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    main::http_get('/arthexis/status', 5);
    POSIX::_exit(0);
}
select undef, undef, undef, 0.2;
--- request
GET /arthexis/status
--- timeout: 1
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body
{"detail":"database busy"}
--- error_log
arthexis: database queue is full
--- wait: 2.5
