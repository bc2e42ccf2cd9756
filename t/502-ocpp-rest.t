# OCPP: the operators' REST routes and remote actions.  A charger runs in a
# child process (started from --- init) and answers the central system's
# CALLs; the block's request is the operator's.  Each remote action runs
# through the local path, through the inter-worker path forced with one
# worker (ocpp_debug_force_ipc), and with four workers.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Arthexis::OCPP;
use Test::More;

repeat_each(1);
no_shuffle();

add_test_cleanup_handler(sub { Arthexis::OCPP::ocpp_stop_background() });

add_block_preprocessor(sub {
    my $block = shift;
    my $ipc = $block->ipc ? "ocpp_debug_force_ipc on;" : "";

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<"_EOC_");
    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 1m;
    $ipc
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location /ws/ocpp/ { ocpp_charge_point; ocpp_call_timeout 1s; }
    location /ocpp/ { ocpp_api; ocpp_call_timeout 1s; }
_EOC_
    }
});

# the answers our background charger gives
our %Answers = (
    Reset => { status => 'Accepted' },
    RemoteStopTransaction => { status => 'Accepted' },
    RemoteStartTransaction => { status => 'Rejected' },
    UnlockConnector => { status => 'Unlocked' },
    ChangeAvailability => { status => 'Scheduled' },
    ChangeConfiguration => { status => 'Accepted' },
    GetConfiguration => { configurationKey => [
        { key => 'HeartbeatInterval', readonly => JSON::PP::false, value => '300' } ],
        unknownKey => [] },
    ClearCache => { status => 'Accepted' },
    TriggerMessage => { status => 'Accepted' },
    DataTransfer => { status => 'Accepted', data => 'pong' },
);

sub charger (;%) {
    my %o = @_;
    Arthexis::OCPP::ocpp_charger_in_background($o{id} // 'CP1',
        seconds => $o{seconds} // 4, answers => $o{answers} // \%Answers);
}

@Test::Nginx::Socket::ExtraSections = ('ipc')
    if @Test::Nginx::Socket::ExtraSections == 0;

run_tests();

__DATA__

=== TEST 1: the chargers list, with the seed's keys and the live state
--- init
main::charger();
--- request
GET /ocpp/chargers/
--- response_body_like: ^\{"chargers":\[\{"charger_id":"CP1","name":"","config":\{\},"require_rfid":false,"lastHeartbeat":null,"lastMeterValues":null,"status":null,"diagnosticsStatus":null,"firmwareStatus":null,"transaction":null,"connected":true,.*"boot":\{"chargePointVendor":"Arthexis"



=== TEST 2: an unknown charger is 404
--- request
GET /ocpp/chargers/NOPE/
--- error_code: 404
--- response_body
{"detail":"not found"}



=== TEST 3: methods: GET for reads, POST for actions
--- request eval
["POST /ocpp/chargers/\n{}", "GET /ocpp/chargers/CP1/action/"]
--- error_code eval
[405, 405]
--- response_body eval
[qq({"detail":"GET required"}\n), qq({"detail":"POST required"}\n)]



=== TEST 4: reset goes to the charger and its answer comes back
--- init
main::charger();
--- request
POST /ocpp/chargers/CP1/action/
{"action": "reset", "type": "Hard"}
--- more_headers
Content-Type: application/json
--- response_body_like: ^\{"sent":\[2,"[^"]+","Reset",\{"type":"Hard"\}\],"response":\{"status":"Accepted"\}\}$



=== TEST 5: reset through the inter-worker path (forced with one worker)
--- ipc: 1
--- init
main::charger();
--- request
POST /ocpp/chargers/CP1/action/
{"action": "reset"}
--- more_headers
Content-Type: application/json
--- response_body_like: ^\{"sent":\[2,"[^"]+","Reset",\{"type":"Soft"\}\],"response":\{"status":"Accepted"\}\}$



=== TEST 6: every remote action, through the inter-worker path
--- ipc: 1
--- init
main::charger(seconds => 6);
--- request eval
[ map { "POST /ocpp/chargers/CP1/action/\n$_" }
  '{"action":"remote_stop","transactionId":7}',
  '{"action":"remote_start","idTag":"ABCD1234","connectorId":1}',
  '{"action":"unlock_connector","connectorId":1}',
  '{"action":"change_availability","connectorId":0,"type":"Inoperative"}',
  '{"action":"change_configuration","key":"HeartbeatInterval","value":"60"}',
  '{"action":"get_configuration","key":["HeartbeatInterval"]}',
  '{"action":"clear_cache"}',
  '{"action":"trigger_message","requestedMessage":"Heartbeat"}',
  '{"action":"data_transfer","vendorId":"com.acme","messageId":"ping","data":{"a":1}}' ]
--- response_body_like eval
[ qr/"RemoteStopTransaction",\{"transactionId":7\}\],"response":\{"status":"Accepted"\}/,
  qr/"RemoteStartTransaction",\{"idTag":"ABCD1234","connectorId":1\}\],"response":\{"status":"Rejected"\}/,
  qr/"UnlockConnector",\{"connectorId":1\}\],"response":\{"status":"Unlocked"\}/,
  qr/"ChangeAvailability",\{"connectorId":0,"type":"Inoperative"\}\],"response":\{"status":"Scheduled"\}/,
  qr/"ChangeConfiguration",\{"key":"HeartbeatInterval","value":"60"\}\],"response":\{"status":"Accepted"\}/,
  qr/"GetConfiguration",\{"key":\["HeartbeatInterval"\]\}\],"response":\{"configurationKey":\[\{"key":"HeartbeatInterval","readonly":false,"value":"300"\}\],"unknownKey":\[\]\}/,
  qr/"ClearCache",\{\}\],"response":\{"status":"Accepted"\}/,
  qr/"TriggerMessage",\{"requestedMessage":"Heartbeat"\}\],"response":\{"status":"Accepted"\}/,
  qr/"DataTransfer",\{"vendorId":"com.acme","messageId":"ping","data":"\{\\"a\\":1\}"\}\],"response":\{"data":"pong","status":"Accepted"\}/ ]



=== TEST 7: remote_stop without a transactionId stops the active one; none: 404
--- init
my $pid = fork // die;
if ($pid == 0) {
    my $cp = Arthexis::OCPP->connect('CP1');
    $cp->call('StartTransaction', { connectorId => 2, idTag => 'X',
        meterStart => 0, timestamp => '2026-11-24T10:00:00Z' });
    $cp->serve(3, \%main::Answers);
    POSIX::_exit(0);
}
Arthexis::OCPP::ocpp_wait_connected('CP1');
select(undef, undef, undef, 0.3);
main::charger(id => 'CP2');
--- request eval
[ qq(POST /ocpp/chargers/CP1/action/\n{"action":"remote_stop"}),
  qq(POST /ocpp/chargers/CP2/action/\n{"action":"remote_stop"}) ]
--- error_code eval
[200, 404]
--- response_body_like eval
[ qr/"RemoteStopTransaction",\{"transactionId":\d+\}\],"response":\{"status":"Accepted"\}/,
  qr/^\{"detail":"no transaction"\}$/ ]



=== TEST 8: a charger that is not connected: 404 no connection (the seed)
--- request
POST /ocpp/chargers/CP9/action/
{"action": "reset"}
--- error_code: 404
--- response_body
{"detail":"no connection"}



=== TEST 9: unknown actions and bad arguments are 400
--- init
main::charger();
--- request eval
[ map { "POST /ocpp/chargers/CP1/action/\n$_" }
  '{"action":"fly"}', '{}', '{"action":"reset","type":"Medium"}',
  '{"action":"unlock_connector"}', '{"action":"unlock_connector","connectorId":"x"}',
  '{"action":"change_availability","connectorId":1,"type":"Sideways"}',
  '[1,2]' ]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400]
--- response_body_like eval
[ qr/^\{"detail":"unknown action"\}$/, qr/^\{"detail":"action required"\}$/,
  qr/^\{"detail":"type must be Soft or Hard"\}$/,
  qr/^\{"detail":"connectorId required"\}$/,
  qr/^\{"detail":"connectorId must be an integer"\}$/,
  qr/^\{"detail":"type: [^"]+"\}$/,
  qr/^\{"detail":"a JSON object is required"\}$/ ]



=== TEST 10: a CALLERROR from the charger is 502 with the error
--- init
main::charger(answers => { Reset => ['InternalError', 'on fire'] });
--- request
POST /ocpp/chargers/CP1/action/
{"action": "reset"}
--- error_code: 502
--- response_body_like: ^\{"detail":"the charger answered with a CALLERROR","sent":\[2,"[^"]+","Reset",\{"type":"Soft"\}\],"error":\{"errorCode":"InternalError","errorDescription":"on fire","errorDetails":\{\}\}\}$



=== TEST 11: a charger that does not answer in time: 504
--- init
main::charger(answers => { Reset => \'silent' });
--- request
POST /ocpp/chargers/CP1/action/
{"action": "reset"}
--- error_code: 504
--- response_body_like: ^\{"detail":"the charger did not answer in time","sent":\[2,
--- timeout: 5



=== TEST 12: the same, through the inter-worker path
--- ipc: 1
--- init
main::charger(answers => { Reset => \'silent' });
--- request
POST /ocpp/chargers/CP1/action/
{"action": "reset"}
--- error_code: 504
--- timeout: 5
--- response_body_like: ^\{"detail":"the charger did not answer in time"



=== TEST 13: one call outstanding per charger: a second one waits its turn
--- init
main::charger(seconds => 5);
my $pid = fork // die;
if ($pid == 0) {
    Arthexis::Test::http_get('/ocpp/chargers/CP1/');
    POSIX::_exit(0);
}
--- request eval
[ qq(POST /ocpp/chargers/CP1/action/\n{"action":"clear_cache"}),
  qq(POST /ocpp/chargers/CP1/action/\n{"action":"reset"}) ]
--- response_body_like eval
[ qr/"ClearCache"/, qr/"Reset"/ ]



=== TEST 14: chargers' own strings come back as data, not markup
--- init
my $cp = Arthexis::OCPP->connect('CP1');
$cp->call('BootNotification', { chargePointVendor => '<script>x</script>',
                                 chargePointModel => 'M"1' });
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_headers
Content-Type: application/json
--- response_body_like: "chargePointVendor":"<script>x</script>","chargePointModel":"M\\"1"
