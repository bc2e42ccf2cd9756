# OCPP 1.6J: the charge point's side, message by message, over real
# WebSockets; the database state is read back through the REST detail
# route (the operator's view).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Arthexis::OCPP;
use Test::More;

repeat_each(1);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 1m;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location /ws/ocpp/ { ocpp_charge_point; }
    location /ocpp/ { ocpp_api; }
    location /admin/api/ { arthexis_admin_api; }
_EOC_
    }
});

our $Boot = { chargePointVendor => 'Arthexis', chargePointModel => 'X1' };

# an RFID tag with a user and credits, through the CLI
sub rfid_user ($$;$) {
    my ($user, $code, $credits) = @_;
    arthexis_cli('createuser', $user);
    arthexis_cli('rfid', 'add', $code, '--user', $user);
    arthexis_cli('account', 'credit', $user, $credits // '50');
}

run_tests();

__DATA__

=== TEST 1: the handshake chooses ocpp1.6 and echoes it
--- raw_request eval
main::ws_handshake(path => '/ws/ocpp/CP1/', protocol => 'ocpp2.0.1, ocpp1.6')
. main::ws_close(1000)
--- error_code: 101
--- response_headers
Sec-WebSocket-Protocol: ocpp1.6
Upgrade: websocket
--- response_body eval
"\x88\x02\x03\xe8"
--- no_error_log
[error]



=== TEST 2: a charger that offers no subprotocol is accepted
--- raw_request eval
main::ws_handshake(path => '/ws/ocpp/CP1/') . main::ws_close(1000)
--- error_code: 101
--- response_headers
!Sec-WebSocket-Protocol



=== TEST 3: only other subprotocols: a clear refusal
--- raw_request eval
main::ws_handshake(path => '/ws/ocpp/CP1/', protocol => 'ocpp2.0.1')
--- error_code: 400
--- response_body
{"detail":"subprotocol ocpp1.6 required"}



=== TEST 4: ocpp_require_subprotocol on refuses chargers that offer none
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_require_subprotocol on; }
--- raw_request eval
main::ws_handshake(path => '/ws/ocpp/CP1/')
--- error_code: 400
--- response_body
{"detail":"Sec-WebSocket-Protocol: ocpp1.6 required"}



=== TEST 5: the charger id without a trailing slash, percent-decoded
--- init
my $cp = Arthexis::OCPP->connect('x', path => '/ws/ocpp/CP%20A');
Test::More::is($cp->status, 101, 'connected without the slash');
my $r = $cp->boot;
Test::More::is($r->[2]{status}, 'Accepted', 'boot accepted');
$cp->close;
--- request
GET /ocpp/chargers/CP%20A/
--- response_body_like: "charger_id":"CP A"



=== TEST 6: charger ids: empty, too long, non-printable
--- request eval
[ "GET /ws/ocpp/", "GET /ws/ocpp/" . ("A" x 49) . "/", "GET /ws/ocpp/CP%01/" ]
--- more_headers
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==
Sec-WebSocket-Version: 13
--- error_code eval
[400, 400, 400]
--- response_body eval
[ qq({"detail":"invalid charger id"}\n), qq({"detail":"invalid charger id"}\n),
  qq({"detail":"invalid charger id"}\n) ]



=== TEST 7: an unknown charger is registered on connect (the seed)
--- init
my $cp = Arthexis::OCPP->connect('NEW1');
Test::More::is($cp->status, 101, 'connected');
$cp->close;
--- request
GET /ocpp/chargers/NEW1/
--- response_body_like: ^\{"charger_id":"NEW1","name":"","config":\{\},"require_rfid":false,



=== TEST 8: ocpp_autoregister off refuses unknown chargers at the handshake
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_autoregister off; }
--- raw_request eval
main::ws_handshake(path => '/ws/ocpp/NOPE/')
--- error_code: 404
--- response_body
{"detail":"unknown charger"}
--- error_log
unknown charger "NOPE" refused



=== TEST 9: BootNotification: Accepted, currentTime, the configured interval
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_heartbeat_interval 120s; }
    location /ocpp/ { ocpp_api; }
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my $r = $cp->call('BootNotification',
                  { chargePointVendor => 'ACME', chargePointModel => 'M1',
                    chargePointSerialNumber => 'S1', firmwareVersion => '2.1',
                    meterType => 'MT' });
Test::More::is($r->[0], 3, 'a CALLRESULT');
Test::More::is($r->[2]{status}, 'Accepted', 'Accepted');
Test::More::is($r->[2]{interval}, 120, 'the interval from ocpp_heartbeat_interval');
Test::More::like($r->[2]{currentTime}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
     'currentTime in UTC');
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "boot":\{"chargePointVendor":"ACME","chargePointModel":"M1","chargePointSerialNumber":"S1",.*"firmwareVersion":"2.1",.*"meterType":"MT"



=== TEST 10: Heartbeat and MeterValues update last_heartbeat and last_meter_values (the seed)
--- init
my $cp = Arthexis::OCPP->connect('CP1');
$cp->boot;
my $r = $cp->call('Heartbeat', {});
Test::More::like($r->[2]{currentTime}, qr/Z$/, 'Heartbeat answered with currentTime');
$r = $cp->call('MeterValues', { connectorId => 1, meterValue => [
    { timestamp => '2026-11-24T10:00:00Z',
      sampledValue => [ { value => '1234', measurand =>
                          'Energy.Active.Import.Register', unit => 'Wh' } ] } ] });
Test::More::is_deeply($r->[2], {}, 'MeterValues answered');
$cp->close;
sleep 1.5;   # the heartbeat's write goes behind, in a batch
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "lastHeartbeat":"\d{4}-[^"]+Z".*"lastMeterValues":\{"connectorId":1,"meterValue":\[\{"sampledValue":\[\{"measurand":"Energy.Active.Import.Register","unit":"Wh","value":"1234"\}\],"timestamp":"2026-11-24T10:00:00Z"\}\]\}



=== TEST 11: a transaction is saved with meter_start, then meter_stop and stop_time (the seed)
--- init
my $cp = Arthexis::OCPP->connect('CP1');
$cp->boot;
my $r = $cp->call('StartTransaction', { connectorId => 1, idTag => 'ABCD1234',
    meterStart => 1000, timestamp => '2026-11-24T10:00:00Z' });
Test::More::ok($r->[2]{transactionId} > 0, 'a transactionId');
Test::More::is($r->[2]{idTagInfo}{status}, 'Accepted', 'Accepted without require_rfid');
my $tx = $r->[2]{transactionId};
$r = $cp->call('StopTransaction', { transactionId => $tx, meterStop => 5000,
    timestamp => '2026-11-24T11:00:00Z', reason => 'Local' });
Test::More::is($r->[0], 3, 'StopTransaction answered');
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"ABCD1234","meterStart":1000,"meterStop":5000,"startTimestamp":"2026-11-24T10:00:00(\.000)?Z","stopTimestamp":"2026-11-24T11:00:00(\.000)?Z","stopReason":"Local"\}\]



=== TEST 12: a replayed StartTransaction gets the same transactionId; a replayed Stop debits once
--- init
main::rfid_user('alice', 'ABCD1234', '50');
main::arthexis_cli('charger', 'add', 'CP1', '--require-rfid');
my $cp = Arthexis::OCPP->connect('CP1');
$cp->boot;
my $start = { connectorId => 1, idTag => 'abcd1234', meterStart => 0,
              timestamp => '2026-11-24T10:00:00Z' };
my $a = $cp->call('StartTransaction', $start);
my $b = $cp->call('StartTransaction', $start);
Test::More::ok($a->[2]{transactionId} > 0, 'a transactionId');
Test::More::is($b->[2]{transactionId}, $a->[2]{transactionId}, 'the replay gets the same id');
my $stop = { transactionId => $a->[2]{transactionId}, meterStop => 20000,
             timestamp => '2026-11-24T11:00:00Z' };
$cp->call('StopTransaction', $stop);
$cp->call('StopTransaction', $stop);
$cp->close;
Test::More::like(main::arthexis_cli('account', 'show', 'alice'), qr/balance 30\.00 kWh/,
     '50 - 20 kWh, debited once');
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"abcd1234","meterStart":0,"meterStop":20000,



=== TEST 13: require_rfid: an invalid tag is rejected with no transaction row (the seed)
--- init
main::arthexis_cli('charger', 'add', 'CP1', '--require-rfid');
my $cp = Arthexis::OCPP->connect('CP1');
$cp->boot;
my $r = $cp->call('StartTransaction', { connectorId => 1, idTag => 'FFFFFFFF',
    meterStart => 0, timestamp => '2026-11-24T10:00:00Z' });
Test::More::is($r->[2]{idTagInfo}{status}, 'Invalid', 'Invalid');
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "transactions":\[\]



=== TEST 14: require_rfid: a known tag is accepted with a transactionId (the seed)
--- init
main::rfid_user('bob', 'DEADBEEF');
main::arthexis_cli('charger', 'add', 'CP1', '--require-rfid');
my $cp = Arthexis::OCPP->connect('CP1');
$cp->boot;
my $r = $cp->call('Authorize', { idTag => 'deadbeef' });
Test::More::is($r->[2]{idTagInfo}{status}, 'Accepted', 'Authorize: Accepted, case ignored');
$r = $cp->call('StartTransaction', { connectorId => 1, idTag => 'DEADBEEF',
    meterStart => 0, timestamp => '2026-11-24T10:00:00Z' });
Test::More::is($r->[2]{idTagInfo}{status}, 'Accepted', 'Start: Accepted');
Test::More::ok($r->[2]{transactionId} > 0, 'with a transactionId');
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "transaction":\{"transactionId":\d+,"connectorId":1,"idTag":"DEADBEEF"



=== TEST 15: require_rfid: Blocked, Expired with expiryDate, parentIdTag, ConcurrentTx, no credit
--- init
main::rfid_user('carol', 'AAAA0001');
main::rfid_user('dave', 'AAAA0002');
main::rfid_user('erin', 'AAAA0003', '0');
main::arthexis_cli('rfid', 'add', 'AAAA0004', '--user', 'carol',
             '--expires', '2020-01-01T00:00:00Z');
main::arthexis_cli('rfid', 'add', 'AAAA0005', '--user', 'carol');
main::arthexis_sql("UPDATE accounts_rfid SET parent_id_tag = 'PARENT1' "
                   . "WHERE code = 'AAAA0005'");
main::arthexis_cli('rfid', 'block', 'AAAA0002');
main::arthexis_cli('charger', 'add', 'CP1', '--require-rfid');
main::arthexis_cli('charger', 'add', 'CP2', '--require-rfid');
my $cp = Arthexis::OCPP->connect('CP1');
my $cp2 = Arthexis::OCPP->connect('CP2');
my $st = sub { $_[0]->call('Authorize', { idTag => $_[1] })->[2]{idTagInfo} };
Test::More::is($st->($cp, 'AAAA0002')->{status}, 'Blocked', 'blacklisted: Blocked');
Test::More::is($st->($cp, '00000000')->{status}, 'Invalid', 'unknown: Invalid');
my $exp = $st->($cp, 'AAAA0004');
Test::More::is($exp->{status}, 'Expired', 'past its expiry: Expired');
Test::More::like($exp->{expiryDate}, qr/^2020-01-01T00:00:00/, 'with expiryDate');
Test::More::is($st->($cp, 'AAAA0005')->{parentIdTag}, 'PARENT1', 'parentIdTag');
Test::More::is($st->($cp, 'AAAA0003')->{status}, 'Blocked', 'no credit: Blocked');
my $r = $cp->call('StartTransaction', { connectorId => 1, idTag => 'AAAA0001',
    meterStart => 0, timestamp => '2026-11-24T10:00:00Z' });
Test::More::is($r->[2]{idTagInfo}{status}, 'Accepted', 'first start Accepted');
$r = $cp2->call('StartTransaction', { connectorId => 1, idTag => 'AAAA0001',
    meterStart => 0, timestamp => '2026-11-24T10:01:00Z' });
Test::More::is($r->[2]{idTagInfo}{status}, 'ConcurrentTx', 'on another charger: ConcurrentTx');
$cp->close; $cp2->close;
--- request
GET /ocpp/chargers/CP2/
--- response_body_like: "transactions":\[\]



=== TEST 16: StopTransaction with an unknown or -1 transactionId is accepted and touches nothing else
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my $r = $cp->call('StartTransaction', { connectorId => 1, idTag => 'T1',
    meterStart => 10, timestamp => '2026-11-24T10:00:00Z' });
my $tx = $r->[2]{transactionId};
for my $id (-1, 999999) {
    $r = $cp->call('StopTransaction', { transactionId => $id, meterStop => 50,
        timestamp => '2026-11-24T11:00:00Z' });
    Test::More::is($r->[0], 3, "StopTransaction $id answered");
}
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"T1","meterStart":10,"meterStop":null,



=== TEST 17: StatusNotification, DataTransfer (policy), diagnostics and firmware status
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_data_transfer_status Rejected; }
    location /ocpp/ { ocpp_api; }
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my $r = $cp->call('StatusNotification', { connectorId => 1, status => 'Charging',
    errorCode => 'NoError', info => 'fine', timestamp => '2026-11-24T10:00:00Z' });
Test::More::is_deeply($r->[2], {}, 'StatusNotification answered');
$cp->call('StatusNotification', { connectorId => 0, status => 'Available',
    errorCode => 'NoError' });
$r = $cp->call('DataTransfer', { vendorId => 'com.acme', messageId => 'x', data => 'y' });
Test::More::is($r->[2]{status}, 'Rejected', 'DataTransfer answered by the policy');
$r = $cp->call('DiagnosticsStatusNotification', { status => 'Uploaded' });
Test::More::is_deeply($r->[2], {}, 'DiagnosticsStatusNotification answered');
$r = $cp->call('FirmwareStatusNotification', { status => 'Installed' });
Test::More::is_deeply($r->[2], {}, 'FirmwareStatusNotification answered');
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "status":"Available","diagnosticsStatus":"Uploaded","firmwareStatus":"Installed",.*"connectors":\[\{"connectorId":0,"status":"Available","errorCode":"NoError",.*\{"connectorId":1,"status":"Charging","errorCode":"NoError","info":"fine","timestamp":"2026-11-24T10:00:00(\.000)?Z"



=== TEST 18: the message log keeps both directions, oldest first
--- init
my $cp = Arthexis::OCPP->connect('CP1');
$cp->call('Heartbeat', {}, id => 'hb-1');
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "log":\[\{"message":"> \[2,\\"hb-1\\",\\"Heartbeat\\",\{\}\]","time":"[^"]+"\},\{"message":"< \[3,\\"hb-1\\",\{\\"currentTime\\":



=== TEST 19: one heartbeat batch writes last_heartbeat of every charger in it (37: statements of 32, 4 and 1 rows)
--- init
my @cps = map { Arthexis::OCPP->connect(sprintf 'HB%02d', $_) } 1 .. 37;
my $answered = grep { my $r = $_->call('Heartbeat', {}); $r && $r->[0] == 3 } @cps;
Test::More::is($answered, 37, 'every Heartbeat answered');
$_->close for @cps;
sleep 1.5;   # the batch is written a second after its first Heartbeat
Test::More::is(main::arthexis_sql("SELECT count(*) FROM ocpp_charger "
                                  . "WHERE charger_id LIKE 'HB%' "
                                  . "AND last_heartbeat LIKE '2%Z'"),
               "37\n", 'last_heartbeat of the 37 chargers in the database');
Test::More::is(main::arthexis_sql("SELECT count(*) FROM ocpp_charger "
                                  . "WHERE last_heartbeat IS NULL"),
               "0\n", 'no charger left without it');
--- request
GET /ocpp/chargers/HB37/
--- response_body_like: "lastHeartbeat":"\d{4}-[^"]+Z"



=== TEST 20: a Heartbeat whose message id needs escaping gets valid JSON back
--- init
my $cp = Arthexis::OCPP->connect('CP1');
for my $case (['a\u0001b', "a\x01b"], ['a\u0001\"b\\\\c', "a\x01\"b\\c"]) {
    $cp->send_text(qq{[2,"$case->[0]","Heartbeat",{}]});
    my $r = $cp->recv_message;
    Test::More::ok($r, 'the answer is JSON: ' . ($cp->{last_text} // 'none'));
    Test::More::is($r->[0], 3, 'a CALLRESULT');
    Test::More::is($r->[1], $case->[1], 'with the id as sent');
    Test::More::like($r->[2]{currentTime}, qr/Z$/, 'and currentTime');
}
$cp->close;
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "lastHeartbeat":"\d{4}-[^"]+Z"
