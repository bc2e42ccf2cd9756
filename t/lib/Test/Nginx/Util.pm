package Test::Nginx::Util;

# Bundled, upstream-compatible re-implementation of the server-management half
# of openresty's Test::Nginx (lib/Test/Nginx/Util.pm): knobs, environment
# expansion, server root layout, nginx.conf generation, starting/stopping
# nginx once per test block, and error.log bookkeeping.
#
# The request/response half lives in Test::Nginx::Socket, which plugs itself
# in through $RunTestHelper / $CheckErrorLog / $CheckShutdownErrorLog.
#
# Written from the documented behaviour of upstream (see
# shared/notes/test-nginx-subset.md); .t files must pass unchanged under both.

use strict;
use warnings;

our $VERSION = '0.30';

use base 'Exporter';

use POSIX qw( SIGQUIT SIGKILL SIGTERM WNOHANG );
use File::Spec ();
use File::Path qw( make_path remove_tree );
use List::Util qw( shuffle );
use Scalar::Util qw( looks_like_number );
use Time::HiRes qw( sleep );
use IO::Socket::INET ();
use Config ();
use Carp qw( croak );

# Forward declarations (prototyped subs used before their definition).
sub default_nginx_binary ();
sub gen_rand_port (;$$);
sub bail_out (@);
sub cleanup ();
sub timeout (@);

#---------------------------------------------------------------------------
# Knobs (package variables, same names as upstream so that helper code
# reaching into $Test::Nginx::Util::Foo keeps working)
#---------------------------------------------------------------------------

our $Verbose            = $ENV{TEST_NGINX_VERBOSE};
our $NoNginxManager     = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $NoShuffle          = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $Timeout            = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $CheckAccumErrLog   = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $LoadModules        = $ENV{TEST_NGINX_LOAD_MODULES};
our $ReusePort          = $ENV{TEST_NGINX_REUSE_PORT};
our $EventType          = $ENV{TEST_NGINX_EVENT_TYPE};
our $PostponeOutput     = $ENV{TEST_NGINX_POSTPONE_OUTPUT};
our $Randomize          = $ENV{TEST_NGINX_RANDOMIZE};
our $WorkerUser         = $ENV{TEST_NGINX_WORKER_USER};
our $BuildSlaveName     = $ENV{TEST_NGINX_BUILDSLAVE};

our $NginxBinary        = $ENV{TEST_NGINX_BINARY} || default_nginx_binary();
our $Workers            = 1;
our $WorkerConnections  = 64;
our $LogLevel           = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled      = 'on';
our $ServerAddr         = '127.0.0.1';
our $ServerName         = 'localhost';
our $ServerPort         = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort || 1984;
our $NoRootLocation     = 0;
our $TestNginxSleep     = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                          ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
our $RepeatEach         = 1;
our $NoLongString;
our $ConfigPreamble     = '';

# Hooks filled in by Test::Nginx::Socket.
our $RunTestHelper;
our $CheckErrorLog;
our $CheckShutdownErrorLog;
our $FilterHttpConfig;

# Run-time state.
our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion);
our $PrevConfig;        # expanded --- config of the block that started nginx
our $PrevBlock;         # previous block (for --- shutdown_error_log)
our $ErrLogFilePos = 0; # where the next error_log_data() read starts
our $CurrentRandPorts = {};   # $TEST_NGINX_RAND_PORT_N values of this block
our $InSubprocess;
our $ChildPid;
our @EnvToNginx;
our @CleanupHandlers;
our @TestCleanupHandlers;
our @BlockPreprocessors;

my $MainPid = $$;       # END only acts in the process that loaded us
my $StartedNginx;       # did this process start an nginx?
my $TestCleanupPending; # test cleanup handlers not yet run for this block

srand $$;

if (defined $WorkerUser && $WorkerUser !~ /^\w+(?:\s+\w+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

if ($Randomize) {
    $ServerPort = gen_rand_port(1000, {});
    if (!defined $ServerPort) {
        die "Cannot find an available listening port number.\n";
    }
    $ServerPortForClient = $ServerPort;
}

#---------------------------------------------------------------------------
# Server root layout
#---------------------------------------------------------------------------

our $ServRoot;
if ($Randomize) {
    $ServRoot = File::Spec->rel2abs("t/servroot_$ServerPort");
} else {
    # Upstream uses TEST_NGINX_SERVROOT verbatim; we make it absolute so
    # that a relative value does not get re-resolved against the -p prefix.
    $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
}
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = File::Spec->catfile($ServRoot, 'logs');
our $ErrLogFile = File::Spec->catfile($LogDir, 'error.log');
our $AccLogFile = File::Spec->catfile($LogDir, 'access.log');
our $HtmlDir    = File::Spec->catfile($ServRoot, 'html');
our $ConfDir    = File::Spec->catfile($ServRoot, 'conf');
our $ConfFile   = File::Spec->catfile($ConfDir, 'nginx.conf');
our $PidFile    = File::Spec->catfile($LogDir, 'nginx.pid');

our @EXPORT = qw(
    env_to_nginx is_str check_accum_error_log is_running
    $NoLongString no_long_string
    $ServerAddr server_addr $ServerName server_name
    parse_time verbose sleep_time
    bail_out add_cleanup_handler add_test_cleanup_handler
    access_log_data error_log_data
    setup_server_root write_config_file write_user_files
    get_canon_version get_nginx_version
    trim show_all_chars parse_headers run_tests
    get_pid_from_pidfile expand_env_in_text
    $ServerPortForClient $ServerPort $NginxVersion $PidFile $ServRoot
    $ConfFile $RunTestHelper $CheckErrorLog $CheckShutdownErrorLog
    $FilterHttpConfig $NoNginxManager $RepeatEach
    add_block_preprocessor timeout worker_connections workers
    master_on master_off config_preamble repeat_each
    master_process_enabled log_level no_shuffle no_root_location
    html_dir server_root server_port server_port_for_client
    no_nginx_manager use_hup
);

#---------------------------------------------------------------------------
# Small helpers and knob accessors
#---------------------------------------------------------------------------

# Locate an executable: a path is checked as is, a bare name in $PATH.
sub can_run ($) {
    my ($cmd) = @_;

    if ($cmd =~ m{/}) {
        return (-f $cmd && -x _) ? $cmd : undef;
    }

    for my $dir (split /\Q$Config::Config{path_sep}\E/, $ENV{PATH} || '') {
        next if $dir eq '';
        my $abs = File::Spec->catfile($dir, $cmd);
        return $abs if -f $abs && -x _;
    }

    return undef;
}

# `nginx` from $PATH, else Debian's /usr/sbin/nginx (not in a user's PATH).
sub default_nginx_binary () {
    return 'nginx' if can_run('nginx');
    return '/usr/sbin/nginx' if -x '/usr/sbin/nginx';
    return 'nginx';
}

# Is the process alive? A zombie (exited, not yet reaped: a daemonized
# nginx is reparented to PID 1, which in containers may reap it late) counts
# as gone.
sub is_running ($) {
    my $pid = shift;

    return 0 if !kill 0, $pid;

    if (open my $fh, '<', "/proc/$pid/stat") {
        my $stat = <$fh>;
        close $fh;
        return 0 if defined $stat && $stat =~ /^\d+ \(.*\) Z/s;
    }

    return 1;
}

sub verbose () { $Verbose }

sub sleep_time () { $TestNginxSleep }

sub no_long_string () { $NoLongString = 1 }

sub no_shuffle () { $NoShuffle = 1 }

sub no_nginx_manager () { $NoNginxManager = 1 }

sub no_root_location () { $NoRootLocation = 1 }

sub check_accum_error_log () { $CheckAccumErrLog = 1 }

sub master_on () { $MasterProcessEnabled = 'on' }

sub master_off () { $MasterProcessEnabled = 'off' }

sub use_hup () {
    bail_out("use_hup(): the HUP reload mode is not supported by the "
             . "bundled Test::Nginx");
}

sub config_preamble ($) { $ConfigPreamble = shift }

sub html_dir () { $HtmlDir }

sub server_root () { $ServRoot }

# Getter/setter knobs: with an argument they set, without they return.
sub timeout (@)              { @_ ? ($Timeout = shift)             : $Timeout }
sub server_addr (@)          { @_ ? ($ServerAddr = shift)          : $ServerAddr }
sub server_name (@)          { @_ ? ($ServerName = shift)          : $ServerName }
sub server_port (@)          { @_ ? ($ServerPort = shift)          : $ServerPort }
sub server_port_for_client (@) {
    @_ ? ($ServerPortForClient = shift) : $ServerPortForClient
}
sub worker_connections (@)   { @_ ? ($WorkerConnections = shift)   : $WorkerConnections }
sub workers (@)              { @_ ? ($Workers = shift)             : $Workers }
sub log_level (@)            { @_ ? ($LogLevel = shift)            : $LogLevel }

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub master_process_enabled (@) {
    if (@_) {
        $MasterProcessEnabled = shift() ? 'on' : 'off';
        return;
    }
    return $MasterProcessEnabled;
}

sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments specified" if !@_;

    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            croak "env_to_nginx: bad argument value: $v\n";
        }
        push @EnvToNginx, $v;
    }
}

# Handlers run once, when the whole test file is done.
sub add_cleanup_handler ($) { unshift @CleanupHandlers, shift }

# Handlers run after every test block (after all of its repeats).
sub add_test_cleanup_handler ($) { unshift @TestCleanupHandlers, shift }

# Preprocessors see every block right before it runs; the one added last
# runs first (as upstream).
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }

# "50ms" => 0.05, "2s" => 2, "3" => 3.
sub parse_time ($) {
    my $tm = shift;

    if (defined $tm) {
        if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
            $tm = $tm / 1000;
        } else {
            $tm =~ s/([^_a-zA-Z])s$/$1/;
        }
    }

    return $tm;
}

sub trim ($) {
    my $s = shift;
    return undef if !defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;
    return $s;
}

# String comparison honouring no_long_string() and Regexp expectations.
sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;

    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }

    return Test::More::is($got, $expected, $desc);
}

# "Name: value" lines => { name => value }; "!Name" => { Name => undef }.
sub parse_headers ($) {
    my $s = shift;
    my %headers;

    return \%headers if !defined $s;

    for my $line (split /\n/, $s) {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        if ($line =~ s/^!\s*//) {
            $headers{$line} = undef;
        } else {
            my ($key, $val) = split /\s*:\s*/, $line, 2;
            $headers{$key} = $val;
        }
    }

    return \%headers;
}

sub get_canon_version (@) {
    sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_canon_version_for_openssl (@) {
    if (defined $_[3]) {
        return sprintf "%d.%03d%03d%03d", $_[0], $_[1], $_[2],
                       ord($_[3]) - ord('a');
    }
    return get_canon_version(@_);
}

# Parse `nginx -V`; returns the canonical version (1.022001 for 1.22.1).
sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the nginx binary "
                 . "\"$NginxBinary\": " . ($out // ''));
    }

    if ($out =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)([a-z])?}s) {
        $OpenSSLVersion = get_canon_version_for_openssl($1, $2, $3, $4);
    }

    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return get_canon_version($1, $2, $3);
    }

    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub get_pid_from_pidfile ($) {
    my ($name) = @_;

    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile "
                    . "for reading: $!");
    my $pid = do { local $/; <$in> };
    close $in;
    $pid = '' if !defined $pid;
    chomp $pid;
    return $pid;
}

# A free TCP port on $ServerAddr that is not in %$used.
sub gen_rand_port (;$$) {
    my ($tries, $used) = @_;
    $tries //= 1000;
    $used //= {};

    for (1 .. $tries) {
        my $port = int(rand 63550) + 1985;
        next if $used->{$port};

        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr,
            LocalPort => $port,
            Proto     => 'tcp',
        );

        if ($sock) {
            close $sock;
            return $port;
        }
    }

    return undef;
}

# Replace $TEST_NGINX_FOO by $ENV{TEST_NGINX_FOO}; $TEST_NGINX_RAND_PORT_N by
# a free port (stable within one block). Undefined variables bail out.
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;

    return undef if !defined $text;

    $rand_ports //= $CurrentRandPorts;

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;

        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            $val = $rand_ports->{$var};
            if (!defined $val) {
                my %used = ($ServerPort => 1,
                            map { $_ => 1 } values %$rand_ports);
                $val = gen_rand_port(1000, \%used);
                if (!defined $val) {
                    bail_out("$name - Cannot find an available listening "
                             . "port number for $var.\n");
                }
                $rand_ports->{$var} = $val;
            }

        } else {
            if (!defined $ENV{$var}) {
                bail_out("$name - No environment $var defined.\n");
            }
            $val = $ENV{$var};
        }

        $val;
    }ge;

    return $text;
}

#---------------------------------------------------------------------------
# Process handling
#---------------------------------------------------------------------------

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

# Stop a process: SIGQUIT and wait up to timeout() seconds when $wait, then
# SIGTERM a few times, finally SIGKILL (the whole group when it leads one,
# as a daemonized nginx master does).
sub kill_process ($$$) {
    my ($pid, $wait, $name) = @_;

    return if !defined $pid || $pid eq '' || $pid !~ /^\d+$/;

    if ($wait) {
        warn "sending QUIT signal to $pid\n" if $Verbose;
        kill SIGQUIT, $pid;

        my $left = timeout();
        while ($left > 0 && is_running($pid)) {
            waitpid($pid, WNOHANG);
            sleep 0.05;
            $left -= 0.05;
        }

        if (is_running($pid)) {
            warn "$name - timeout when waiting for the process $pid to exit\n";
            force_kill($pid);
        }
    }

    my $step = $TestNginxSleep;
    for (1 .. 20) {
        return if !is_running($pid);
        kill SIGTERM, $pid;
        waitpid($pid, WNOHANG);
        $step *= 1.2;
        $step = 0.5 if $step > 0.5;
        sleep $step;
    }

    return if !is_running($pid);

    warn "$name - WARNING: killing the child process $pid with force...\n";
    force_kill($pid);
}

sub force_kill ($) {
    my $pid = shift;

    if (getpgrp($pid) == $pid) {
        kill SIGKILL, -$pid;
    } else {
        kill SIGKILL, $pid;
    }
    waitpid($pid, WNOHANG);
    sleep 0.05;
}

# Per-block cleanup handlers (add_test_cleanup_handler).
sub run_test_cleanup_handlers () {
    return if !$TestCleanupPending;
    undef $TestCleanupPending;

    for my $hdl (@TestCleanupHandlers) {
        $hdl->();
    }
}

# End-of-file cleanup: user handlers (once) and helper child processes.
sub cleanup () {
    warn "cleaning up everything\n" if $Verbose;

    run_test_cleanup_handlers();

    # Run each handler once even though cleanup() is reached both at the
    # end of run_tests() and from END.
    while (my $hdl = shift @CleanupHandlers) {
        $hdl->();
    }

    if (defined $ChildPid) {
        kill_process($ChildPid, 1, "cleanup");
        undef $ChildPid;
    }
}

# Stop the nginx recorded in the pid file, if it is still alive.
sub stop_nginx ($) {
    my ($name) = @_;

    return if !-f $PidFile;

    my $pid = get_pid_from_pidfile($name);

    if ($pid ne '' && is_running($pid)) {
        kill_process($pid, 1, $name);

    } else {
        unlink $PidFile;
    }
}

#---------------------------------------------------------------------------
# Log files
#---------------------------------------------------------------------------

# Lines of error.log written since the previous call (all of them with
# check_accum_error_log()). Waits a little first: nginx logs the log phase
# after it has closed the connection.
sub error_log_data () {
    sleep $TestNginxSleep * 3;

    open my $in, '<', $ErrLogFile or return [];

    if (!$CheckAccumErrLog && $ErrLogFilePos > 0) {
        seek $in, $ErrLogFilePos, 0;
    }

    my @lines = <$in>;

    if (!$CheckAccumErrLog) {
        $ErrLogFilePos = tell($in);
    }

    close $in;
    return \@lines;
}

sub access_log_data () {
    sleep $TestNginxSleep * 3;

    open my $in, '<', $AccLogFile or return [];
    my @lines = <$in>;
    close $in;
    return \@lines;
}

sub check_prev_block_shutdown_error_log () {
    my $block = $PrevBlock;
    return if !defined $block;
    return if !defined $block->shutdown_error_log
              && !defined $block->no_shutdown_error_log;
    return if !$CheckShutdownErrorLog;

    # Check it only once, after the nginx that served the block is gone.
    undef $PrevBlock;

    my $dry_run = $ENV{TEST_NGINX_NO_CLEAN} ? 'TEST_NGINX_NO_CLEAN' : 0;
    $CheckShutdownErrorLog->($block, $dry_run);
}

#---------------------------------------------------------------------------
# Server root, user files and nginx.conf
#---------------------------------------------------------------------------

# Fresh servroot/{conf,html,logs}. Like upstream, only conf/, html/, logs/,
# *_temp and *_cache are removed, and the servroot itself must then be empty
# (so a mistaken TEST_NGINX_SERVROOT cannot wipe unrelated data): files a
# test leaves directly in the servroot make the next block bail out.
sub setup_server_root () {
    if (-d $ServRoot) {
        remove_tree($ConfDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));

        if (!rmdir $ServRoot) {
            my $err = $!;
            my @left;
            if (opendir my $dh, $ServRoot) {
                @left = grep { !/^\.\.?$/ } readdir $dh;
                closedir $dh;
            }
            bail_out("Can't remove $ServRoot (not empty?): $err; left: @left "
                     . "(keep test files below html/ or logs/, or remove "
                     . "them before the next block)");
        }
    }

    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        if (!-d $dir) {
            make_path($dir) or bail_out("Failed to do mkdir $dir\n");
        }
    }

    my $index_file = "$HtmlDir/index.html";
    open my $out, '>', $index_file
        or bail_out("Can't open $index_file for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;
}

# --- user_files: ">>> name [touch-date]" headed files below html/ (or at an
# absolute path); also accepts an array of [name, body, date] via eval.
sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;

    my $name = $block->name;
    my $files = $block->user_files;
    return if !$files;

    if (!ref $files) {
        my @list;
        my ($fname, $body, $date);

        for my $line (split /^/m, $files) {
            if ($line =~ />>> (\S+)(?:\s+(.+))?/) {
                push @list, [$fname, $body, $date] if $fname;
                ($fname, $date) = ($1, $2);
                undef $body;
            } else {
                $body .= $line;
            }
        }
        push @list, [$fname, $body, $date] if $fname;
        $files = \@list;

    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: ", ref $files,
                 ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        $body = '' if !defined $body;

        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";

        if ($path =~ m{(.*)/}) {
            my $dir = $1;
            if (!-d $dir) {
                make_path($dir)
                    or bail_out("$name - Cannot create directory $dir");
            }
        }

        $body = expand_env_in_text($body, $name, $rand_ports);

        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;

        if ($date) {
            my $cmd = "TZ=GMT touch -t '$date' '$path'";
            system($cmd) == 0
                or bail_out("Failed to run shell command: $cmd\n");
        }
    }
}

# *_temp_path directives for the HTTP modules this nginx was built with, so
# Debian's absolute compiled-in temp paths are never used.
sub temp_path_config () {
    my $v = `$NginxBinary -V 2>&1` // '';
    my $conf = '';

    for my $mod (qw( client_body proxy fastcgi uwsgi scgi )) {
        next if $mod ne 'client_body'
                && $v =~ /--without-http_${mod}_module/;
        $conf .= "    ${mod}_temp_path $ServRoot/${mod}_temp;\n";
    }

    return $conf;
}

my $TempPathConfig;

sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;

    my $name = $block->name;

    my $http_config = expand_env_in_text($block->http_config, $name,
                                         $rand_ports) // '';
    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;

    my $main_config = $block->main_config // '';
    my $post_main_config = $block->post_main_config // '';

    # TEST_NGINX_LOAD_MODULES: "load_module X;" lines go first at top level.
    if ($LoadModules) {
        my @modules = map { "load_module $_;" } grep { $_ } split /\s+/,
                      $LoadModules;
        $main_config = join("\n", @modules) . "\n" . $main_config if @modules;
    }

    $main_config = expand_env_in_text($main_config, $name, $rand_ports);
    $post_main_config = expand_env_in_text($post_main_config, $name,
                                           $rand_ports);
    $config //= '';

    my $err_log_file = $block->error_log_file || $ErrLogFile;
    my $server_name = $block->server_name // $ServerName;
    (my $quoted_server_name = $server_name) =~ s/\\/\\\\/g;
    $quoted_server_name =~ s/'/\\'/g;

    my $extra_http_config = '';
    if (defined $PostponeOutput && $http_config !~ /\bpostpone_output\b/) {
        if ($PostponeOutput !~ /^\d+$/) {
            bail_out("Bad TEST_NGINX_POSTPONE_OUTPUT value: $PostponeOutput\n");
        }
        $extra_http_config = "    postpone_output $PostponeOutput;\n";
    }

    my $listen_opts = $ReusePort ? ' reuseport' : '';

    my $env = '';
    for my $v (qw( MOCKEAGAIN_VERBOSE MOCKEAGAIN
                   MOCKEAGAIN_WRITE_TIMEOUT_PATTERN LD_PRELOAD
                   LD_LIBRARY_PATH DYLD_INSERT_LIBRARIES
                   DYLD_FORCE_FLAT_NAMESPACE ), @EnvToNginx)
    {
        my $e = $v =~ /\s/ ? "'$v'" : $v;
        $env .= "env $e;\n";
    }

    my $root_location = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    my $events_use = $EventType ? "    use $EventType;\n" : '';

    my $user = '';
    if (defined $WorkerUser) {
        $user = "user $WorkerUser;\n";
    } elsif ($> == 0) {
        $user = "user root;\n";
    }

    $TempPathConfig //= temp_path_config();

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");

    print $out <<"_EOC_";
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
$env
$main_config

http {
    access_log $AccLogFile;
$TempPathConfig
    default_type text/plain;
    keepalive_timeout  68000ms;

$http_config
$extra_http_config
    server {
        listen          $ServerPort$listen_opts;
        server_name     '$quoted_server_name';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
$events_use}

env ASAN_OPTIONS;
$user
_EOC_

    close $out;
}

#---------------------------------------------------------------------------
# Starting nginx
#---------------------------------------------------------------------------

# The nginx command line (as a list). -e (nginx >= 1.19.5) makes even the
# earliest startup errors land in error.log instead of stderr.
sub nginx_command () {
    my @cmd = ($NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile);
    if (defined $NginxVersion && $NginxVersion >= 1.019005) {
        splice @cmd, 1, 0, '-e', $ErrLogFile;
    }
    return @cmd;
}

# Run the nginx command with stdout (and optionally stderr) sent to
# /dev/null; returns the wait status ($?), -1 when exec failed.
sub run_nginx_command ($@) {
    my ($quiet_stderr, @cmd) = @_;

    my $pid = fork();
    if (!defined $pid) {
        bail_out("fork() failed: $!");
    }

    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null' if $quiet_stderr;
        { exec { $cmd[0] } @cmd; }
        POSIX::_exit(127);
    }

    waitpid($pid, 0);
    my $status = $?;
    return $status == (127 << 8) && !can_run($cmd[0]) ? -1 : $status;
}

# The tail of error.log, for diagnostics.
sub error_log_tail ($) {
    my $n = shift;
    open my $in, '<', $ErrLogFile or return '';
    my @lines = <$in>;
    close $in;
    splice @lines, 0, @lines - $n if @lines > $n;
    return join '', @lines;
}

# --- must_die: nginx has to fail to start; its startup messages are then
# checked by --- error_log / --- no_error_log (one round per repeat_each).
sub run_must_die_test ($$$) {
    my ($block, $must_die, $dry_run) = @_;

    my $name = $block->name;
    my @cmd = nginx_command();
    my $quiet = defined $block->suppress_stderr;

    $ErrLogFilePos = 0;

    for my $i (0 .. $RepeatEach - 1) {
        my $status = run_nginx_command($quiet, @cmd);
        my $exit_code = $status >> 8;
        my $coredump = $status != -1 && ($status & 128);

        if ($status == -1) {
            Test::More::fail("$name - failed to execute the nginx command line");

        } elsif ($coredump) {
            Test::More::fail("$name - nginx core dumped");

        } elsif (looks_like_number($must_die)) {
            Test::More::is($must_die, $exit_code,
                           "$name - die with the expected exit code");

        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }

        $CheckErrorLog->($block, undef, $dry_run, $i, 0);

        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; "
                 . "killing it (req $i)\n";
            $StartedNginx = 1;
            for (1 .. 15) {
                last if -f $PidFile;
                sleep $TestNginxSleep;
            }
            stop_nginx($name);
        }
    }
}

# Start nginx (daemonized); retry for a while when it fails (e.g. the port
# is still held by the previous instance), bail out when it cannot start.
sub start_nginx ($) {
    my ($name) = @_;

    if (!can_run($NginxBinary)) {
        bail_out("$name - Cannot find the nginx executable \"$NginxBinary\"");
    }

    my @cmd = nginx_command();
    my ($tries, $waited) = (0, 0);

    while (1) {
        my $status = run_nginx_command(0, @cmd);
        if ($status == 0) {
            $StartedNginx = 1;
            return;
        }

        my $tail = error_log_tail(20);

        # A configuration error will not go away by retrying.
        my $permanent = $status == -1
                        || ($tail =~ /\[emerg\]/
                            && $tail !~ /bind\(\)|Address already in use/);

        if ($permanent || $waited >= 30) {
            warn "$name - nginx failed to start; tail of $ErrLogFile:\n$tail";
            bail_out("$name - Cannot start nginx using command \"@cmd\" "
                     . "(status code $status).");
        }

        $tries++;
        my $delay = 0.1 * $tries;
        $delay = 1 if $delay > 1;
        sleep $delay;
        $waited += $delay;
    }
}

#---------------------------------------------------------------------------
# Skip / todo specifications
#---------------------------------------------------------------------------

# Returns ($should_skip, $tests_to_skip, $reason) for --- skip_nginx,
# --- skip_nginx2, --- skip_eval, --- skip_openssl, --- skip_slave.
sub skip_spec ($) {
    my $block = shift;
    my $name = $block->name;
    my ($should_skip, $n, $reason);

    my $nginx_matches = sub {
        my ($op, @v) = @_;
        my $ver = get_canon_version(@v);
        return 1 if !defined $NginxVersion && $op =~ /^</;
        return eval "$NginxVersion $op $ver";
    };

    if (defined(my $spec = $block->skip_eval)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            ($n, $reason) = ($1, 'skip_eval');
            my $code = $2;
            $should_skip = eval $code;
            if ($@) {
                bail_out("$name - skip_eval - failed to eval the Perl code "
                         . "\"$code\": $@");
            }
        }
    }

    if (defined(my $spec = $block->skip_nginx)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                      (?:\s*:\s*(.*))?\s*$/x)
        {
            $n = $1;
            my ($op, @v) = ($2, $3, $4, $5);
            $reason = $6 || "nginx version $op $3.$4.$5";
            $should_skip = 1 if $nginx_matches->($op, @v);
        } else {
            bail_out("$name - Invalid --- skip_nginx spec: $spec");
        }

    } elsif (defined(my $spec2 = $block->skip_nginx2)) {
        if ($spec2 =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                       \s*(or|and)\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                       (?:\s*:\s*(.*))?\s*$/x)
        {
            $n = $1;
            my ($opa, @va) = ($2, $3, $4, $5);
            my $logic = $6;
            my ($opb, @vb) = ($7, $8, $9, $10);
            $reason = $11;
            my $a = $nginx_matches->($opa, @va);
            my $b = $nginx_matches->($opb, @vb);
            if (!defined $NginxVersion
                || ($logic eq 'or' ? ($a || $b) : ($a && $b)))
            {
                $should_skip = 1;
            }
        } else {
            bail_out("$name - Invalid --- skip_nginx2 spec: $spec2");
        }

    } elsif (defined(my $slave = $block->skip_slave)) {
        if (defined $BuildSlaveName) {
            if ($slave =~ /^\s*(\d+)\s*:\s*(\w+)\s*(?:(\w+)\s*)?(?:(\w+)\s*)?
                           (?:\s*:\s*(.*))?\s*$/x)
            {
                $n = $1;
                $reason = $5;
                for my $s ($2, $3, $4) {
                    $should_skip = 1
                        if defined $s && ($s eq 'all' || $s eq $BuildSlaveName);
                }
            } else {
                bail_out("$name - Invalid --- skip_slave spec: $slave");
            }
        }
    }

    if (defined(my $spec = $block->skip_openssl)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)([a-z])?
                      (?:\s*:\s*(.*))?\s*$/x)
        {
            $n = $1;
            my ($op, @v) = ($2, $3, $4, $5, $6);
            $reason = $7 || (defined $OpenSSLVersion
                             ? "OpenSSL version $op $3.$4.$5" . ($6 // '')
                             : "Not built with OpenSSL");
            my $ver = get_canon_version_for_openssl(@v);
            if (!defined $OpenSSLVersion
                || eval "$OpenSSLVersion $op $ver")
            {
                $should_skip = 1;
            }
        } else {
            bail_out("$name - Invalid --- skip_openssl spec: $spec");
        }
    }

    return ($should_skip, $n, $reason // 'various reasons');
}

# Returns ($should_todo, $tests, $reason) for --- todo / --- todo_nginx.
sub todo_spec ($$) {
    my ($block, $tests) = @_;
    my $name = $block->name;
    my ($should_todo, $reason);

    if (defined(my $spec = $block->todo_nginx)) {
        if ($spec =~ /^\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/) {
            my ($op, $ver) = ($1, get_canon_version($2, $3, $4));
            $reason = $5;
            if ((!defined $NginxVersion && $op =~ /^</)
                || eval "$NginxVersion $op $ver")
            {
                $should_todo = 1;
            }
        } else {
            bail_out("$name - Invalid --- todo_nginx spec: $spec");
        }
    }

    if (defined(my $spec = $block->todo)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            ($should_todo, $tests, $reason) = (1, $1, $2);
        } else {
            bail_out("$name - Invalid --- todo spec: $spec");
        }
    }

    return ($should_todo, $tests, $reason // 'various reasons');
}

#---------------------------------------------------------------------------
# Running blocks
#---------------------------------------------------------------------------

# Sections a block may carry. Anything else is a typo (or a feature this
# runner lacks) and aborts the run instead of being silently ignored.
# Suites with their own sections (read by a block preprocessor or a
# response body check) can list them in @Test::Nginx::Util::ExtraSections
# (or @Test::Nginx::Socket::ExtraSections).
our @KnownSections = qw(
    ONLY SKIP LAST
    config http_config main_config post_main_config server_name
    error_log_file init user_files log_level must_die suppress_stderr
    request request_eval more_headers raw_request raw_request_middle_delay
    pipelined_requests timeout abort shutdown server_addr_for_client wait
    ignore_response http09 error_code error_code_like
    response_headers response_headers_like
    raw_response_headers_like raw_response_headers_unlike
    response_body response_body_eval response_body_like
    response_body_unlike response_body_filters charset
    error_log no_error_log grep_error_log grep_error_log_out
    shutdown_error_log no_shutdown_error_log access_log no_access_log
    skip_nginx skip_nginx2 skip_openssl skip_eval skip_slave todo todo_nginx
    stap stap_out stap_out_like stap_out_unlike no_check_leak reload_fails
    curl
);

# Upstream sections this runner does not implement: refuse them loudly.
our @UnsupportedSections = qw(
    tcp_listen tcp_reply tcp_query tcp_query_len tcp_reply_delay
    tcp_shutdown tcp_shutdown_delay tcp_no_close
    udp_listen udp_reply udp_query udp_reply_delay
    http2 http3 curl_protocol curl_options curl_error quic_max_idle_timeout
);

our @ExtraSections;

sub check_block_sections (@) {
    my @blocks = @_;

    no warnings 'once';
    my %known = map { $_ => 1 } @KnownSections, @ExtraSections,
                                @Test::Nginx::Socket::ExtraSections;
    my %unsupported = map { $_ => 1 } @UnsupportedSections;

    my @problems;
    for my $block (@blocks) {
        my $order = $block->{_section_order} && $block->{_section_order}[0];
        for my $sec (@{ $order || [] }) {
            if ($unsupported{$sec}) {
                push @problems, $block->name . ": --- $sec is not supported "
                                . "by the bundled Test::Nginx";
            } elsif (!$known{$sec}) {
                push @problems, $block->name . ": unknown section --- $sec";
            }
        }
    }

    if (@problems) {
        Test::More::diag($_) for @problems;
        bail_out("$0 - bad test block sections: " . join('; ', @problems));
    }
}

sub check_unsupported_modes () {
    for my $var (qw( TEST_NGINX_USE_HUP TEST_NGINX_USE_VALGRIND
                     TEST_NGINX_USE_STAP TEST_NGINX_CHECK_LEAK
                     TEST_NGINX_BENCHMARK TEST_NGINX_USE_HTTP2
                     TEST_NGINX_USE_HTTP3 TEST_NGINX_USE_RR ))
    {
        if ($ENV{$var}) {
            bail_out("$var is not supported by the bundled Test::Nginx");
        }
    }
}

sub run_tests () {
    check_unsupported_modes();

    $NginxVersion = get_nginx_version();

    if (!defined $ENV{TEST_NGINX_SERVER_PORT}) {
        $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    }

    my @blocks = Test::Base::blocks();
    check_block_sections(@blocks);

    @blocks = shuffle @blocks if !$NoShuffle;

    for my $block (@blocks) {
        for my $hdl (@BlockPreprocessors) {
            $hdl->($block);
        }

        $block->set_value("name", $0 . " " . $block->name);

        $TestCleanupPending = 1;
        my $restarted = run_test($block);
        run_test_cleanup_handlers();

        # Only a block that (re)started nginx displaces the block whose
        # --- shutdown_error_log waits for the next stop (upstream loses it
        # when a skipped or config-less block comes in between).
        $PrevBlock = $block if $restarted;
    }

    cleanup();
}

sub run_test ($) {
    my $block = shift;

    return if defined $block->SKIP;

    my $name = $block->name;
    my $rand_ports = {};
    local $CurrentRandPorts = $rand_ports;

    my $config = expand_env_in_text($block->config, $name, $rand_ports);

    local $LogLevel = $LogLevel;
    $LogLevel = $block->log_level if $block->log_level;

    my $must_die = $block->must_die;
    my $dry_run = 0;

    # Restart policy: a block without --- config keeps the running nginx
    # (and bails out when there is none yet); otherwise nginx restarts for
    # every block unless TEST_NGINX_FORCE_RESTART_ON_TEST=0 and the config
    # text did not change.
    my ($should_restart, $should_reconfig) = (0, 0);

    if (!defined $config) {
        if (!$NoNginxManager && !defined $PrevConfig) {
            bail_out("$name - No '--- config' section specified and could "
                     . "not get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?");
        }

    } elsif ($NoNginxManager) {
        Test::More::diag("NO_NGINX_MANAGER activated: config for $name ignored");

    } else {
        $should_reconfig = !defined $PrevConfig || $config ne $PrevConfig;
        $should_restart = $should_reconfig || $ForceRestartOnTest;
    }

    my $restarted;
    my ($should_skip, $tests_to_skip, $skip_reason) = skip_spec($block);
    my ($should_todo, $todo_tests, $todo_reason) =
        todo_spec($block, $tests_to_skip);

    if (!$NoNginxManager && !$should_skip && $should_restart) {
        $PrevConfig = $config if $should_reconfig;

        stop_nginx($name);
        check_prev_block_shutdown_error_log();

        setup_server_root();
        write_user_files($block, $rand_ports);
        write_config_file($block, $config, $rand_ports);

        if (!can_run($NginxBinary)) {
            bail_out("$name - Cannot find the nginx executable "
                     . "\"$NginxBinary\"");
        }

        if (defined $must_die) {
            run_must_die_test($block, $must_die, $dry_run);
            return 1;
        }

        start_nginx($name);
        sleep $TestNginxSleep;
        $restarted = 1;
    }

    # --- init: Perl code run once the server is up, before the requests.
    if ($block->init) {
        eval $block->init;

        # A child forked by the init code must never come back into the
        # runner (it would run the remaining tests a second time).
        if ($$ != $MainPid) {
            warn "$name - a process forked in --- init returned into the "
                 . "test runner" . ($@ ? ": $@" : '') . "\n";
            POSIX::_exit($@ ? 1 : 0);
        }

        if ($@) {
            bail_out("$name - init failed: $@");
        }
    }

    $ErrLogFilePos = 0;

    for my $i (1 .. $RepeatEach) {
        warn "Run the test block $name ...\n" if $Verbose;

        # Later repeats get pristine user files again.
        write_user_files($block, $rand_ports) if $i > 1;

        if ($should_skip && defined $tests_to_skip) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $tests_to_skip);
            }

        } elsif ($should_todo) {
            TODO: {
                Test::More::todo_skip("$name - $todo_reason", $todo_tests);
            }

        } else {
            $RunTestHelper->($block, $dry_run, $i - 1);
        }
    }

    if (my $total_errlog = $ENV{TEST_NGINX_ERROR_LOG}) {
        if (-s $ErrLogFile) {
            open my $out, '>>', $total_errlog
                or bail_out("Failed to append test case title to "
                            . "$total_errlog: $!\n");
            print $out "\n=== $0 $name\n";
            open my $in, '<', $ErrLogFile;
            print $out $_ while <$in>;
            close $in;
            close $out;
        }
    }

    return $restarted;
}

# Is the nginx of the pid file gone (crashed or exited)? False while the
# pid file does not exist yet.
sub nginx_is_gone () {
    return 0 if $NoNginxManager || !-f $PidFile;
    open my $in, '<', $PidFile or return 0;
    my $pid = <$in>;
    close $in;
    return 0 if !defined $pid || $pid !~ /^(\d+)/;
    return !is_running($1);
}

END {
    return if $InSubprocess || $$ != $MainPid;

    cleanup();

    if ($StartedNginx && !$ENV{TEST_NGINX_NO_CLEAN}) {
        local $?;   # keep Test::Builder's exit code
        stop_nginx('END');
    }

    {
        local $?;
        check_prev_block_shutdown_error_log();
    }

    if ($Randomize && defined $ServRoot && $ServRoot =~ m{/t/servroot_\d+$}) {
        remove_tree($ServRoot);
    }
}

1;
