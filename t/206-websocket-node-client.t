# An independent client, the npm package ws (Node.js), talks to the echo
# endpoint: the handshake with a subprotocol, text, binary, a large and a
# fragmented message, ping/pong, the close handshake from either side, and
# the server's pings answered by the client.  build.sh installs ws into
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
    my ($scenario) = @_;
    my $port = $ENV{TEST_NGINX_SERVER_PORT};
    my $script = "$ENV{TEST_NGINX_ROOT}/t/node/ws-echo-client.js";
    my $out = Test::Nginx::Util::html_dir() . '/result.txt';

    local $ENV{NODE_PATH} = $NodePath;
    system("node $script ws://127.0.0.1:$port/ws/echo/ $scenario > $out") == 0
        or die "node failed: $?\n";
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
