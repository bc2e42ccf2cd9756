# An independent client, the npm package ws (Node.js), talks to the echo
# endpoint: the handshake with a subprotocol, text, binary, a large and a
# fragmented message, ping/pong, the close handshake from either side, the
# server's pings answered by the client, and all of it over TLS (a
# self-signed test certificate, below).  build.sh installs ws into
# build/t-node and sets TEST_NGINX_WS_NODE_PATH; without it (or node) the
# file is skipped.

use lib 't/lib';
use Test::Nginx::Socket;
use Arthexis::Test;

my $NodePath = $ENV{TEST_NGINX_WS_NODE_PATH};

if (!$NodePath || !-d "$NodePath/ws" || system('node -v > /dev/null 2>&1')) {
    plan(skip_all => 'node and the npm package ws are needed '
                     . '(TEST_NGINX_WS_NODE_PATH: build.sh sets it)');
} else {
    plan(tests => repeat_each() * 2 * blocks());
}

repeat_each(1);
no_shuffle();

# runs the client script; its output goes to html/result.txt
sub node_client {
    my ($scenario, $url) = @_;
    my $port = $ENV{TEST_NGINX_SERVER_PORT};
    my $script = "$ENV{TEST_NGINX_ROOT}/t/node/ws-echo-client.js";
    my $out = Test::Nginx::Util::html_dir() . '/result.txt';

    $url //= "ws://127.0.0.1:$port/ws/echo/";

    local $ENV{NODE_PATH} = $NodePath;
    local $ENV{NODE_TLS_REJECT_UNAUTHORIZED} = 0;   # a self-signed cert
    system("node $script $url $scenario > $out 2> /dev/null") == 0
        or die "node failed: $?\n";
}

# the wss:// URL of the block's TLS server (its port is in nginx.conf)
sub tls_url {
    my $conf = Test::Nginx::Util::server_root() . '/conf/nginx.conf';
    open my $fh, '<', $conf or die "$conf: $!\n";
    local $/;
    my ($port) = <$fh> =~ /listen\s+127\.0\.0\.1:(\d+) ssl/
        or die "no ssl listener in $conf\n";
    return "wss://127.0.0.1:$port/ws/echo/";
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        qq{    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";\n}
        . ($block->http_config // ''));
    $block->set_value('request', "GET /result.txt\n");
});

run_tests();

__DATA__

=== TEST 1: messages both ways, then the client closes with 4001
--- config
    location /ws/echo/ { websocket_echo; }
--- init
main::node_client('exchange');
--- response_body
open, protocol chat
text hello from ws
binary 000102feff
text of 60000 bytes
text fragmented
pong are you there
close 4001 



=== TEST 2: the server closes an idle session; the client sees why
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_idle_timeout 300ms;
    }
--- init
main::node_client('idle');
--- response_body
open, protocol chat
close 1000 idle timeout



=== TEST 3: the client answers the server's pings
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_ping_interval 200ms;
    }
--- init
main::node_client('pings');
--- response_body_like eval
qr/\Aopen, protocol chat\n(?:ping\n){5,9}text still here\nclose 1000 \n\z/



=== TEST 4: the same exchange over TLS (wss://)
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate $TEST_NGINX_SERVER_ROOT/html/cert.pem;
        ssl_certificate_key $TEST_NGINX_SERVER_ROOT/html/key.pem;
        location /ws/echo/ { websocket_echo; }
    }
--- config
    location /ws/echo/ { websocket_echo; }
--- user_files
>>> cert.pem
-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUREMDt01CqKDmALSga5VBMTxBZHEwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDExMTUzNVoYDzIxMjYxMDMx
MTExNTM1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATzB4afCerTehpcEuhhvA8ZnybFdyU+LqUJFTSast911rHwprn09sZU
TkaJKxkIfOXsk7tzGq5UMfZJNpHBcGVIo1MwUTAdBgNVHQ4EFgQUW0w9JyI/q3Zu
7nt35p4B6204EkswHwYDVR0jBBgwFoAUW0w9JyI/q3Zu7nt35p4B6204EkswDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA595ygCcF9reAy0QohN6v
/DrPoW4+ioUsBBbsG5kdnw8CIEY5it+XZ/1QzAp7CCk0lOB/YNrWrDVLrQHpVswQ
eW/l
-----END CERTIFICATE-----
>>> key.pem
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgvu4h6oJJqYGTSOv2
FNy88sO3lf+HUdsf2TlmjAjoq7ihRANCAATzB4afCerTehpcEuhhvA8ZnybFdyU+
LqUJFTSast911rHwprn09sZUTkaJKxkIfOXsk7tzGq5UMfZJNpHBcGVI
-----END PRIVATE KEY-----
--- init
main::node_client('exchange', main::tls_url());
--- response_body
open, protocol chat
text hello from ws
binary 000102feff
text of 60000 bytes
text fragmented
pong are you there
close 4001 
