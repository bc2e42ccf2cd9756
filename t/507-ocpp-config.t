# OCPP directives: nginx -t refuses bad values, naming the file and line.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: a zone below 8 pages
--- http_config
    ocpp_zone chargers 4k;
--- config
    location /t { return 200; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*zone "chargers" is too small in .*nginx\.conf:\d+/



=== TEST 2: a bad log size
--- http_config
    ocpp_zone chargers 1m log=10;
--- config
    location /t { return 200; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid log size "log=10" \(256 to 1m\) in .*nginx\.conf:\d+/



=== TEST 3: an unknown zone parameter
--- http_config
    ocpp_zone chargers 1m color=blue;
--- config
    location /t { return 200; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid parameter "color=blue" in .*nginx\.conf:\d+/



=== TEST 4: the endpoint without a zone
--- config
    location /ws/ocpp/ { ocpp_charge_point; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"ocpp_charge_point" needs an "ocpp_zone" at the http level, before the servers in .*nginx\.conf:\d+/



=== TEST 5: a DataTransfer policy that OCPP does not have
--- http_config
    ocpp_zone chargers 1m;
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_data_transfer_status Maybe; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "Maybe" for "ocpp_data_transfer_status"/



=== TEST 6: charger ids of at most 48 characters
--- http_config
    ocpp_zone chargers 1m;
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_charger_id_max_length 100; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"ocpp_charger_id_max_length" must be 1 to 48/



=== TEST 7: a heartbeat interval under a second
--- http_config
    ocpp_zone chargers 1m;
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_heartbeat_interval 10ms; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"ocpp_heartbeat_interval" must be at least 1s/



=== TEST 8: a duplicate zone
--- http_config
    ocpp_zone a 1m;
    ocpp_zone b 1m;
--- config
    location /t { return 200; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"ocpp_zone" directive is duplicate in .*nginx\.conf:\d+/
