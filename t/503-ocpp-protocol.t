# OCPP-J protocol rules: every CALLERROR, the connection surviving them,
# the quirk switches, size limits, stray answers.

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
_EOC_
    }

    $block->set_value("request", "GET /ocpp/chargers/CP1/")
        unless defined $block->request || defined $block->raw_request;
});

# sends raw text, returns the decoded answer
sub raw ($$) {
    my ($cp, $text) = @_;
    $cp->send_text($text);
    return $cp->recv_message(3);
}

# the CALLERROR code for a raw message, checking that the connection
# still works afterwards
sub error_for ($$) {
    my ($cp, $text) = @_;
    my $m = raw($cp, $text);
    my $hb = $cp->call('Heartbeat', {});
    Test::More::is($hb && $hb->[0], 3, "still answering after $text");
    return $m;
}

run_tests();

__DATA__

=== TEST 1: unparsable JSON and wrong frame shapes: FormationViolation
--- init
my $cp = Arthexis::OCPP->connect('CP1');
for my $bad ('[2,"a","Heartbeat"', 'not json', '{"a":1}', '[]', '[2]',
             '[2,5,"Heartbeat",{}]', '[2,"a",7,{}]', '"x"', '[9,"a","x",{}]') {
    my $m = main::error_for($cp, $bad);
    Test::More::is($m->[0], 4, "CALLERROR for $bad");
    Test::More::is($m->[2], 'FormationViolation', "FormationViolation for $bad");
}
my $m = main::raw($cp, '[2,"id-7",8,{}]');
Test::More::is($m->[1], 'id-7', 'the message id when it can be read');
$m = main::raw($cp, 'garbage');
Test::More::is($m->[1], '-1', 'else "-1"');
$cp->close;
--- response_body_like: "charger_id":"CP1"



=== TEST 2: an unknown action: NotImplemented
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my $m = main::error_for($cp, '[2,"u1","FlyToTheMoon",{}]');
Test::More::is_deeply([@$m[0..2]], [4, 'u1', 'NotImplemented'], 'NotImplemented');
$m = main::error_for($cp, '[2,"u2","Reset",{"type":"Hard"}]');
Test::More::is($m->[2], 'NotImplemented',
               'a central-system action sent by the charger: NotImplemented');
$cp->close;
--- response_body_like: "charger_id":"CP1"



=== TEST 3: schema violations get the 1.6 codes
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my %cases = (
    '[2,"s1","BootNotification",{"chargePointVendor":"A"}]'
        => 'OccurenceConstraintViolation',
    '[2,"s2","BootNotification",{"chargePointVendor":5,"chargePointModel":"M"}]'
        => 'TypeConstraintViolation',
    '[2,"s3","BootNotification",{"chargePointVendor":"' . ('V' x 21)
        . '","chargePointModel":"M"}]' => 'PropertyConstraintViolation',
    '[2,"s4","StatusNotification",{"connectorId":1,"status":"Dancing","errorCode":"NoError"}]'
        => 'PropertyConstraintViolation',
    '[2,"s5","Authorize",{"idTag":"' . ('T' x 21) . '"}]'
        => 'PropertyConstraintViolation',
    '[2,"s6","StartTransaction",{"connectorId":1,"idTag":"X","meterStart":0,"timestamp":"yesterday"}]'
        => 'PropertyConstraintViolation',
    '[2,"s7","Authorize",[]]' => 'FormationViolation',
);
for my $text (sort keys %cases) {
    my $m = main::error_for($cp, $text);
    Test::More::is($m->[2], $cases{$text}, "$cases{$text}: $text");
    Test::More::like($m->[3], qr/\S/, 'with a description');
}
$cp->close;
--- response_body_like: "transactions":\[\]



=== TEST 4: the quirks are accepted by default
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my $m = main::raw($cp, '[2,"q1","Heartbeat",null]');
Test::More::is($m->[0], 3, 'a null payload on Heartbeat');
$m = main::raw($cp, '[2,"q2","StartTransaction",{"connectorId":1,"idTag":"X",'
    . '"meterStart":0,"timestamp":"2026-11-24T10:00:00"}]');
Test::More::ok($m->[0] == 3 && $m->[2]{transactionId} > 0,
               'a timestamp without an offset, read as UTC');
$m = main::raw($cp, '[2,"q3","MeterValues",{"connectorId":1,"meterValue":[{'
    . '"timestamp":"2026-11-24T10:00:00Z","sampledValue":['
    . '{"value":12.5,"unit":"Wh"},{"value":"20","unit":"Celsius","measurand":"Temperature"},'
    . '{"value":"50","unit":"Hertz","measurand":"Frequency"}]}]}]');
Test::More::is($m->[0], 3, 'a numeric value, Celsius and Hertz');
$cp->close;
--- response_body_like: "transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"X","meterStart":0,"meterStop":null,"startTimestamp":"2026-11-24T10:00:00(\.000)?Z"



=== TEST 5: each quirk switch, turned off, refuses its quirk
--- config
    location /ws/ocpp/ {
        ocpp_charge_point;
        ocpp_lenient_time off;
        ocpp_lenient_numeric_value off;
        ocpp_lenient_celsius off;
        ocpp_lenient_hertz off;
        ocpp_lenient_null_payload off;
    }
    location /ocpp/ { ocpp_api; }
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my $m = main::error_for($cp, '[2,"q1","Heartbeat",null]');
Test::More::is($m->[2], 'FormationViolation', 'null payload refused');
$m = main::error_for($cp, '[2,"q2","StartTransaction",{"connectorId":1,"idTag":"X",'
    . '"meterStart":0,"timestamp":"2026-11-24T10:00:00"}]');
Test::More::is($m->[2], 'PropertyConstraintViolation', 'no offset refused');
$m = main::error_for($cp, '[2,"q3","StopTransaction",{"transactionId":1,'
    . '"meterStop":5,"timestamp":"2026-11-24T10:00:00Z","transactionData":[{'
    . '"timestamp":"2026-11-24T10:00:00Z","sampledValue":[{"value":"1","unit":"Hertz"}]}]}]');
Test::More::is($m->[0], 3, 'Stop answered: the bad sampled value alone was dropped');
$cp->close;
--- response_body_like: "charger_id":"CP1"
--- error_log
sampled value(s) dropped from StopTransaction



=== TEST 6: one bad sampled value does not cost the good ones
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my $m = main::raw($cp, '[2,"g1","MeterValues",{"connectorId":1,"meterValue":[{'
    . '"timestamp":"2026-11-24T10:00:00Z","sampledValue":['
    . '{"value":"100","measurand":"Energy.Active.Import.Register","unit":"Wh"},'
    . '{"value":"1","unit":"Parsecs"}]}]}]');
Test::More::is($m->[0], 3, 'answered');
$cp->close;
--- response_body_like: "lastMeterValues":\{"connectorId":1,"meterValue":\[\{"timestamp":"2026-11-24T10:00:00Z","sampledValue":\[\{"value":"100","measurand":"Energy.Active.Import.Register","unit":"Wh"\}\]\}\]\}
--- error_log
1 sampled value(s) dropped from MeterValues



=== TEST 7: a message over ocpp_max_message_size closes with 1009
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_max_message_size 1k; }
--- raw_request eval
main::ws_handshake(path => '/ws/ocpp/CP1/', protocol => 'ocpp1.6')
. main::ws_frame('text', '[2,"big","DataTransfer",{"vendorId":"x","data":"'
                 . ('d' x 2000) . '"}]')
--- error_code: 101
--- response_body_like eval
qr/\x88.\x03\xf1/s



=== TEST 8: binary frames close with 1003
--- raw_request eval
main::ws_handshake(path => '/ws/ocpp/CP1/', protocol => 'ocpp1.6')
. main::ws_frame('binary', "\x01\x02") . main::ws_close(1000)
--- error_code: 101
--- response_body_like eval
qr/\x88.\x03\xeb/s



=== TEST 9: a stray CALLRESULT or CALLERROR is logged and ignored
--- init
my $cp = Arthexis::OCPP->connect('CP1');
$cp->send_text('[3,"nobody-asked",{}]');
$cp->send_text('[4,"nobody-asked","GenericError","",{}]');
my $hb = $cp->call('Heartbeat', {});
Test::More::is($hb->[0], 3, 'still answering');
$cp->close;
--- response_body_like: "charger_id":"CP1"
--- error_log
which is no call of ours in flight: ignored



=== TEST 10: replies are compact JSON
--- raw_request eval
[ main::ws_handshake(path => '/ws/ocpp/CP1/', protocol => 'ocpp1.6')
  . main::ws_frame('text', '[2, "c1", "DataTransfer", {"vendorId": "v"}]'),
  main::ws_close(1000) ]
--- raw_request_middle_delay: 0.5
--- error_code: 101
--- response_body_like eval
qr/^\x81.\[3,"c1",\{"status":"UnknownVendorId"\}\]\x88\x02\x03\xe8$/s
