# Tests of the bundled Test::Nginx runner (t/lib/Test/Nginx/*.pm).
#
# Each fixture in t/runner-selftest/ (named *.tt so that `prove -r t/` does
# not pick them up) is run in a subprocess with its own servroot and port;
# its TAP output is then checked: right expectations pass, wrong ones fail
# with "not ok", and malformed test files abort the run instead of passing
# silently. Only Debian's stock nginx is needed.
#
#   prove -It/lib t/000-runner.t
#   KEEP_RUNNER_SERVROOT=1 prove -v t/000-runner.t   # keep the servroots

use strict;
use warnings;

use Test::More;
use IO::Socket::INET ();
use File::Path qw( remove_tree );
use File::Temp qw( tempfile );

my $Dir = 't/runner-selftest';

# A TCP port nobody listens on right now.
sub free_port {
    my $sock = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                     LocalPort => 0, Proto => 'tcp')
        or die "cannot get a free port: $!";
    my $port = $sock->sockport;
    close $sock;
    return $port;
}

sub slurp {
    my $file = shift;
    open my $in, '<', $file or return undef;
    local $/;
    return scalar <$in>;
}

# Run one fixture; returns a summary of its TAP output.
sub run_fixture {
    my ($fixture, %env) = @_;

    (my $tag = $fixture) =~ s/\.tt$//;
    my $servroot = "t/servroot-runner-$tag-$$";

    # Isolate the fixture from the caller's TEST_NGINX_* knobs (except the
    # nginx binary) and from any other suite running on the default port.
    local %ENV = %ENV;
    delete $ENV{$_} for grep { /^TEST_NGINX_/ && $_ ne 'TEST_NGINX_BINARY' }
                        keys %ENV;
    $ENV{TEST_NGINX_SERVROOT} = $servroot;
    $ENV{TEST_NGINX_PORT} = free_port();
    @ENV{keys %env} = values %env;

    my $out = qx{"$^X" -It/lib $Dir/$fixture 2>&1};
    my $exit = $? >> 8;

    my (@ok, @not_ok, @all, @skipped);
    while ($out =~ /^(not )?ok \d+ - (.*)$/mg) {
        push @{ $1 ? \@not_ok : \@ok }, $2;
        push @all, $2;
    }
    while ($out =~ /^ok \d+ # skip (.*)$/mg) {
        push @skipped, $1;
    }

    my ($plan) = $out =~ /^1\.\.(\d+)/m;
    my ($bail) = $out =~ /^Bail out!\s*(.*)$/m;

    # nginx must not be left running.
    my $pid = slurp("$servroot/logs/nginx.pid");
    my $nginx_left = 0;
    if (defined $pid && $pid =~ /(\d+)/) {
        $nginx_left = kill(0, $1) && !is_zombie($1);
    }

    my $conf = slurp("$servroot/conf/nginx.conf");

    remove_tree($servroot) unless $ENV{KEEP_RUNNER_SERVROOT};

    return {
        out => $out, exit => $exit, ok => \@ok, not_ok => \@not_ok,
        all => \@all, skipped => \@skipped, plan => $plan, bail => $bail, conf => $conf,
        nginx_left => $nginx_left,
    };
}

sub is_zombie {
    my $stat = slurp("/proc/$_[0]/stat");
    return defined $stat && $stat =~ /^\d+ \(.*\) Z/s;
}

# Common checks for a fixture that must pass completely.
sub all_pass {
    my ($r, $n, $what, $skips) = @_;
    $skips //= 0;

    is($r->{exit}, 0, "$what: exit code 0");
    is($r->{bail}, undef, "$what: no bail out");
    is(scalar @{ $r->{not_ok} }, 0, "$what: no failed subtest");
    is(scalar @{ $r->{ok} }, $n - $skips, "$what: passed subtests");
    is(scalar @{ $r->{skipped} }, $skips, "$what: $skips skipped subtests");
    is($r->{plan}, $n, "$what: plan of $n");
    ok(!$r->{nginx_left}, "$what: nginx stopped at the end");
    unlike($r->{out}, qr/Looks like/, "$what: no plan trouble");

    diag($r->{out}) if !Test::More->builder->is_passing;
}

# Common checks for a fixture that must abort before running anything.
sub bails_out {
    my ($r, $re, $what) = @_;

    like($r->{bail} // '', $re, "$what: bails out");
    isnt($r->{exit}, 0, "$what: non-zero exit code");
    is(scalar @{ $r->{ok} }, 0, "$what: no subtest passed");
    ok(!$r->{nginx_left}, "$what: no nginx left running");
}

if (!-x ($ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx')
    && !grep { -x "$_/nginx" } split /:/, $ENV{PATH} || '')
{
    plan skip_all => 'nginx not found';
}

#---------------------------------------------------------------------------
# Right expectations pass, and the plan counts match upstream's rules.
#---------------------------------------------------------------------------

{
    my (undef, $mark) = tempfile(UNLINK => 1);
    my $r = run_fixture('pass.tt', TEST_NGINX_RUNNER_MARK => $mark);
    all_pass($r, 82, 'pass.tt', 3);

    my $marks = slurp($mark) // '';
    is(() = $marks =~ /^block$/mg, 33,
       'pass.tt: add_test_cleanup_handler ran after each of the 33 blocks');
    is(() = $marks =~ /^end$/mg, 1, 'pass.tt: add_cleanup_handler ran once');

    like($r->{out}, qr/^WARNING: .*TEST 18: .*\[emerg\]/m,
         'pass.tt: an unexpected [emerg] line is reported as a warning');
}

#---------------------------------------------------------------------------
# Wrong expectations fail.
#---------------------------------------------------------------------------

{
    my $r = run_fixture('fail.tt');

    my @expected_failures = (
        qr/TEST 1: wrong response_body - response_body - response is expected/,
        qr/TEST 2: wrong error_code - status code ok/,
        qr/TEST 3: wrong header value - header X-Test ok/,
        qr/TEST 4: .* - header X-Test not present in the raw headers/,
        qr/TEST 5: .* - pattern "\[error\]" should not match any line/,
        qr/TEST 6: .* - pattern "this line is never logged" should match/,
        qr/^ERROR: client socket timed out - .*TEST 7: /,
        qr/TEST 8: .* - response_body_like - response is expected/,
        qr/TEST 9: .* - die as expected/,
        qr/TEST 10: .* - status code ok/,
        qr/TEST 11: .* - raw resp headers like/,
        qr/TEST 12: .* - header X-Test like ok/,
        qr/TEST 13: .* - grep_error_log_out \(req 0\)/,
        qr/TEST 14: .* - response_body - .*req 1\)/,
        qr/TEST 15: .* - Can't connect .*nginx is not running/,
        qr/TEST 15: .* - status code ok/,
    );

    for my $re (@expected_failures) {
        is(scalar(grep { $_ =~ $re } @{ $r->{not_ok} }), 1,
           "fail.tt: exactly one failure matching $re");
    }

    is(scalar @{ $r->{not_ok} }, scalar @expected_failures,
       'fail.tt: no other failure');
    is(scalar @{ $r->{ok} }, 14, 'fail.tt: the other 14 subtests pass');
    isnt($r->{exit}, 0, 'fail.tt: non-zero exit code');
    ok(!$r->{nginx_left}, 'fail.tt: nginx stopped at the end');
    diag($r->{out}) if !Test::More->builder->is_passing;
}

#---------------------------------------------------------------------------
# Malformed test files abort the run instead of passing silently.
#---------------------------------------------------------------------------

bails_out(run_fixture('unknown-section.tt'),
          qr/unknown section --- reponse_body/, 'misspelt section');

bails_out(run_fixture('unsupported-section.tt'),
          qr/--- tcp_listen is not supported/, 'unsupported section');

bails_out(run_fixture('missing-config.tt'),
          qr/No '--- config' section specified/, 'first block without config');

bails_out(run_fixture('eval-error.tt'),
          qr/failed to evaluate an "eval" section: Undefined subroutine/,
          'eval section with an error');

bails_out(run_fixture('undefined-env.tt'),
          qr/No environment TEST_NGINX_NO_SUCH_VARIABLE defined/,
          'undefined $TEST_NGINX_ variable');

{
    my $r = run_fixture('stray-file.tt');
    like($r->{bail} // '', qr/not empty\?.*stray\.txt/,
         'stray file in the servroot: bails out');
    is(scalar @{ $r->{ok} }, 2, 'stray file in the servroot: block 1 ran');
    ok(!$r->{nginx_left}, 'stray file in the servroot: no nginx left running');
}

#---------------------------------------------------------------------------
# A request split into packets keeps its split points once rewritten.
#---------------------------------------------------------------------------

{
    my $code = <<'_EOC_';
require Test::Nginx::Socket;
my $p = Test::Nginx::Socket::build_request('t', "X-A: 1\r\n", 0, 'close',
                                           ["GE", "T /t", "\nbody\n"]);
print join('|', @$p);
_EOC_
    open my $fh, '-|', $^X, '-It/lib', '-e', $code or die "perl: $!";
    my $out = do { local $/; <$fh> };
    close $fh;
    is($out, "GE|T /t HTTP/1.1\r\n|Host: localhost\r\nConnection: close\r\n"
             . "X-A: 1\r\nContent-Length: 4\r\n\r\nbody",
       'build_request: packets, default version, headers, trimmed body');
}

#---------------------------------------------------------------------------
# Global knobs.
#---------------------------------------------------------------------------

{
    my $r = run_fixture('repeat.tt');
    all_pass($r, 12, 'repeat.tt (repeat_each(2), per-repeat error log)');
    is(scalar(grep { /\(repeated req 1, req 0\)/ } @{ $r->{ok} }), 1,
       'repeat.tt: the second repeat ran');
    unlike($r->{out}, qr/^nginx: \[emerg\]/m,
           'repeat.tt: --- suppress_stderr hides startup errors');
}

{
    my $r = run_fixture('accum.tt');
    all_pass($r, 4, 'accum.tt (check_accum_error_log)');
}

{
    my $r = run_fixture('master.tt');
    all_pass($r, 9, 'master.tt (master_on, workers)');

    my $conf = $r->{conf} // '';
    like($conf, qr/^worker_processes\s+2;/m, 'master.tt: workers(2)');
    like($conf, qr/^master_process on;/m, 'master.tt: master_on()');
    like($conf, qr/^\s*worker_connections\s+128;/m,
         'master.tt: worker_connections(128)');
    like($conf, qr/^env 'RUNNER_SELFTEST_ENV=hello world';/m,
         'master.tt: env_to_nginx()');
    like($conf, qr/^error_log \S+ info;/m, 'master.tt: log_level()');
    like($conf, qr/^user root;/m, 'master.tt: user root when run as root')
        if $> == 0;
}

{
    my $r = run_fixture('only.tt');
    all_pass($r, 2, 'only.tt');
    is(scalar(grep { !/TEST 2: / } @{ $r->{all} }), 0,
       'only.tt: only the --- ONLY block ran');
    like($r->{out}, qr/I found ONLY/, 'only.tt: warns about ONLY');
}

{
    my $r = run_fixture('skip-last.tt', TEST_NGINX_NO_SHUFFLE => 1);
    all_pass($r, 6, 'skip-last.tt');
    is_deeply([map { /(TEST \d+):/ ? $1 : '?' } @{ $r->{all} }],
              ['TEST 1', 'TEST 1', 'TEST 3', 'TEST 3', 'TEST 4', 'TEST 4'],
              'skip-last.tt: SKIP dropped, LAST honoured, order kept with '
              . 'TEST_NGINX_NO_SHUFFLE');
}

{
    my $r = run_fixture('no-root-location.tt');
    all_pass($r, 2, 'no-root-location.tt');
    unlike($r->{conf} // '', qr/root \S+\/html;\s*index index.html/,
           'no-root-location.tt: no implicit location /');
}

SKIP: {
    my $mod = '/usr/lib/nginx/modules/ngx_stream_module.so';
    skip "$mod not installed", 8 if !-f $mod;

    my $r = run_fixture('load-modules.tt', TEST_NGINX_LOAD_MODULES => $mod);
    all_pass($r, 2, 'load-modules.tt (TEST_NGINX_LOAD_MODULES)');
    like($r->{conf} // '', qr/^load_module \Q$mod\E;\s*\n\s*stream \{/m,
         'load-modules.tt: load_module comes before --- main_config');
}

{
    my $backend_port = free_port();
    my $r = run_fixture('websocket.tt', TEST_NGINX_BACKEND_PORT => $backend_port);
    all_pass($r, 12, 'websocket.tt');

    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $backend_port,
                                     Proto => 'tcp');
    ok(!$sock, 'websocket.tt: the backend forked in --- init was stopped');
}

done_testing();
