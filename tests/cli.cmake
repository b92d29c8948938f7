# Tests of the cluster-ctl command line: exit codes and output are its contract.
# PASS_REGULAR_EXPRESSION alone ignores the exit code and cannot tell stdout
# from stderr, so each test runs the tool through sh and matches one report:
#   "stdout:<stdout>.\nstderr:<stderr>exit=<code>\n"
# (the "." keeps stdout's trailing newline from being stripped). A tool that
# printed the right text but exited 0 on an error, or wrote the error to
# stdout or on two lines, fails.

# cluster_ctl_test(<name> <shell words> <regex>): runs `cluster-ctl <shell
# words>` (a shell fragment, so '' and $(printf ...) work) twice, once per
# stream, and matches the report against <regex>.
function(cluster_ctl_test name words regex)
  # A ';' would split the property into a list of regexes, any of which passes.
  string(FIND "${regex}" ";" semicolon)
  if(NOT semicolon EQUAL -1)
    message(FATAL_ERROR "cluster_ctl.${name}: write ';' as '.' in the regex")
  endif()
  add_test(NAME cluster_ctl.${name}
           COMMAND sh -c "out=$(\"$0\" ${words} 2>/dev/null; echo .)
err=$(\"$0\" ${words} 2>&1 >/dev/null; echo \"exit=$?\")
printf 'stdout:%s\\nstderr:%s\\n' \"$out\" \"$err\""
                   $<TARGET_FILE:cluster-ctl>)
  set_tests_properties(cluster_ctl.${name} PROPERTIES
    LABELS unit PASS_REGULAR_EXPRESSION "${regex}")
endfunction()

# cluster_ctl_output(<name> <shell words> <stdout regex>): expects exit 0,
# <stdout regex> (a full line, newline added here) and an empty stderr.
function(cluster_ctl_output name words stdout)
  cluster_ctl_test(${name} "${words}" "^stdout:${stdout}\n\\.\nstderr:exit=0\n$")
endfunction()

# cluster_ctl_usage_error(<name> <shell words> <message regex>): expects exit 2,
# an empty stdout and exactly one stderr line "cluster-ctl: <message>".
function(cluster_ctl_usage_error name words message)
  cluster_ctl_test(${name} "${words}"
                   "^stdout:\\.\nstderr:cluster-ctl: ${message}\nexit=2\n$")
endfunction()

set(spg_range "--shards-per-group must be a whole number from 1 to 2147483647")

cluster_ctl_output(shard_id_golden "shard-id counter-1" "default:186")
cluster_ctl_output(shard_id_shards_per_group
                   "shard-id user-123 --shards-per-group 300" "default:148")
cluster_ctl_output(shard_id_equals_form
                   "shard-id --shards-per-group=300 user-123" "default:148")
cluster_ctl_output(shard_id_group "shard-id --group eu a" "eu:5")
cluster_ctl_output(shard_id_group_equals_form "shard-id a --group=eu" "eu:5")
cluster_ctl_output(shard_id_unicode "shard-id 'ünïcödé-ß'" "default:111")
cluster_ctl_output(shard_id_one_shard "shard-id counter-1 --shards-per-group 1"
                   "default:1")
cluster_ctl_output(shard_id_dash_dash "shard-id -- -x" "default:13")
cluster_ctl_test(help "--help"
                 "^stdout:usage: cluster-ctl .*\n\\.\nstderr:exit=0\n$")
cluster_ctl_test(help_short "-h"
                 "^stdout:usage: cluster-ctl .*\n\\.\nstderr:exit=0\n$")
cluster_ctl_test(shard_id_help "shard-id --help"
                 "^stdout:usage: cluster-ctl .*\n\\.\nstderr:exit=0\n$")

cluster_ctl_usage_error(no_command "" "missing command: try 'cluster-ctl --help'")
cluster_ctl_usage_error(unknown_command "frobnicate" "unknown command 'frobnicate'")
cluster_ctl_usage_error(unknown_flag "shard-id counter-1 --foo"
                        "unknown option '--foo'")
cluster_ctl_usage_error(unknown_flag_with_value "shard-id counter-1 --foo=1"
                        "unknown option '--foo'")
cluster_ctl_usage_error(unknown_top_level_flag "--foo" "unknown option '--foo'")
cluster_ctl_usage_error(missing_value "shard-id counter-1 --shards-per-group"
                        "option '--shards-per-group' needs a value")
cluster_ctl_usage_error(shards_per_group_zero
                        "shard-id counter-1 --shards-per-group 0"
                        "${spg_range}, got '0'")
cluster_ctl_usage_error(shards_per_group_not_a_number
                        "shard-id counter-1 --shards-per-group x"
                        "${spg_range}, got 'x'")
cluster_ctl_usage_error(shards_per_group_empty
                        "shard-id counter-1 --shards-per-group="
                        "${spg_range}, got ''")
cluster_ctl_usage_error(shards_per_group_negative
                        "shard-id counter-1 --shards-per-group=-3"
                        "${spg_range}, got '-3'")
cluster_ctl_usage_error(shards_per_group_overflow
                        "shard-id counter-1 --shards-per-group 2147483648"
                        "${spg_range}, got '2147483648'")
cluster_ctl_usage_error(missing_entity_id "shard-id" "shard-id needs an entity id")
cluster_ctl_usage_error(extra_argument "shard-id a b"
                        "shard-id takes one entity id, got an extra argument 'b'")
cluster_ctl_usage_error(empty_entity_id "shard-id ''" "entity id must not be empty")
cluster_ctl_usage_error(invalid_utf8_entity_id "shard-id \"ab$(printf '\\377')\""
                        "entity id has invalid UTF-8 at byte offset 2: byte 0xFF never occurs in UTF-8")
cluster_ctl_usage_error(control_bytes_escaped "shard-id a \"$(printf 'x\\ny')\""
                        "shard-id takes one entity id, got an extra argument 'x\\\\x0Ay'")
cluster_ctl_usage_error(empty_group "shard-id a --group ''" "shard group must not be empty")
cluster_ctl_usage_error(group_with_colon "shard-id a --group eu:west"
                        "shard group \"eu:west\" must not contain ':'")

# The storage commands read a SQLite file seeded by tests/cli/seed_runner_storage.cpp:
# 127.0.0.1:4001/4002/4003 hold default:1-100/101-200/201-300 for a day, 4003
# (unhealthy, weight 1) last beat two hours ago, 4002 has weight 2, and eu:1
# (4001) expired an hour ago. The fixture re-creates the file on every run.
add_executable(seed_runner_storage cli/seed_runner_storage.cpp)
target_link_libraries(seed_runner_storage PRIVATE caf_cluster::core caf_cluster::storage)
caf_cluster_target_defaults(seed_runner_storage)
set(cli_db "${CMAKE_CURRENT_BINARY_DIR}/cluster_ctl_runners.db")
add_test(NAME cluster_ctl.seed_storage
         COMMAND seed_runner_storage "${cli_db}")
set_tests_properties(cluster_ctl.seed_storage PROPERTIES
  LABELS unit FIXTURES_SETUP cluster_ctl_db)

# cluster_ctl_db_test(<name> <shell words> <regex>): cluster_ctl_test on the
# seeded file; "DB" in <shell words> stands for its path.
function(cluster_ctl_db_test name words regex)
  string(REPLACE "DB" "'${cli_db}'" words "${words}")
  cluster_ctl_test(${name} "${words}" "${regex}")
  set_tests_properties(cluster_ctl.${name} PROPERTIES
    FIXTURES_REQUIRED cluster_ctl_db)
endfunction()

set(runners_header "address machine-id healthy weight heartbeat-age-ms state")
set(shards_header "shard holder epoch expires-in-ms state")
set(age "[0-9]+")
cluster_ctl_db_test(runners "runners --storage sqlite:DB"
  "^stdout:${runners_header}\n127\\.0\\.0\\.1:4001 1 yes 1 ${age} (live|stale)\n127\\.0\\.0\\.1:4002 2 yes 2 ${age} (live|stale)\n127\\.0\\.0\\.1:4003 0 no 1 7[0-9][0-9][0-9][0-9][0-9][0-9] stale\n\\.\nstderr:exit=0\n$")
cluster_ctl_db_test(runners_lease_duration
  "runners --storage=sqlite:DB --lease-duration-ms 3600000"
  "^stdout:${runners_header}\n127\\.0\\.0\\.1:4001 1 yes 1 ${age} live\n127\\.0\\.0\\.1:4002 2 yes 2 ${age} live\n127\\.0\\.0\\.1:4003 0 no 1 ${age} stale\n\\.\nstderr:exit=0\n$")
cluster_ctl_db_test(shards "shards --storage sqlite:DB"
  "^stdout:${shards_header}\ndefault:1 127\\.0\\.0\\.1:4001 1 [0-9]+ held\ndefault:2 127\\.0\\.0\\.1:4001 1 [0-9]+ held\n.*\ndefault:101 127\\.0\\.0\\.1:4002 1 [0-9]+ held\n.*\ndefault:300 127\\.0\\.0\\.1:4003 1 [0-9]+ held\neu:1 127\\.0\\.0\\.1:4001 1 -[0-9]+ expired\n\nrunner held-shards\n127\\.0\\.0\\.1:4001 100\n127\\.0\\.0\\.1:4002 100\n127\\.0\\.0\\.1:4003 100\n\\.\nstderr:exit=0\n$")
# Exactly 301 lease lines: header + 301 + blank + header + 3 counts = 307.
cluster_ctl_db_test(shards_line_count "shards --storage sqlite:DB | wc -l"
  "^stdout: *307\n\\.\nstderr:exit=0\n$")

# Storage errors: usage errors exit 2, an unreadable database exits 1, and a
# missing file is never created.
cluster_ctl_usage_error(runners_no_storage "runners"
                        "runners needs --storage sqlite:PATH")
cluster_ctl_db_test(pending "pending --storage sqlite:DB"
  "^stdout:shard entity-type pending\ndefault:1 Counter 3\ndefault:2 Counter 1\ndefault:2 Order 2\n\nentity-type pending\nCounter 4\nOrder 2\n\.\nstderr:exit=0\n$")
cluster_ctl_usage_error(pending_no_storage "pending"
                        "pending needs --storage sqlite:PATH")

cluster_ctl_usage_error(shards_no_storage "shards"
                        "shards needs --storage sqlite:PATH")
set(memory_message "--storage memory lives inside one runner process and cannot be inspected: use --storage sqlite:PATH")
cluster_ctl_usage_error(runners_memory "runners --storage memory" "${memory_message}")
cluster_ctl_usage_error(shards_memory "shards --storage memory" "${memory_message}")
cluster_ctl_usage_error(shards_bad_uri "shards --storage postgres:x" ".+")
cluster_ctl_usage_error(runners_bad_lease "runners --storage sqlite:x --lease-duration-ms 0"
  "--lease-duration-ms must be a whole number from 1 to 9223372036854775807, got '0'")
cluster_ctl_usage_error(shards_extra_argument "shards x --storage sqlite:y"
                        "shards takes no arguments, got 'x'")
set(missing_db "${CMAKE_CURRENT_BINARY_DIR}/cluster_ctl_missing.db")
foreach(cmd runners shards pending)
  cluster_ctl_test(${cmd}_missing_file "${cmd} --storage 'sqlite:${missing_db}'"
    "^stdout:\\.\nstderr:cluster-ctl: no database at '[^\n]*cluster_ctl_missing\\.db': the file does not exist\nexit=1\n$")
endforeach()
# No command creates the missing file.
add_test(NAME cluster_ctl.missing_file_not_created
         COMMAND sh -c "\"$0\" runners --storage \"sqlite:$1\" 2>/dev/null
\"$0\" shards --storage \"sqlite:$1\" 2>/dev/null
\"$0\" pending --storage \"sqlite:$1\" 2>/dev/null
if test -e \"$1\"
then echo created
else echo absent
fi"
                 $<TARGET_FILE:cluster-ctl> "${missing_db}")
set_tests_properties(cluster_ctl.missing_file_not_created PROPERTIES
  LABELS unit PASS_REGULAR_EXPRESSION "^absent\n$")
cluster_ctl_test(shards_directory "shards --storage 'sqlite:${CMAKE_CURRENT_BINARY_DIR}'"
  "^stdout:\\.\nstderr:cluster-ctl: no database at '[^\n]*': not a regular file\nexit=1\n$")

# --version, and --help on every command.
string(REPLACE "." "\\." escaped_version "${PROJECT_VERSION}")
cluster_ctl_output(version "--version" "cluster-ctl ${escaped_version}")
foreach(cmd shard-id runners shards pending drain forget)
  cluster_ctl_test(${cmd}_help "${cmd} --help"
    "^stdout:usage: cluster-ctl ${cmd} .*\n\\.\nstderr:exit=0\n$")
  cluster_ctl_test(${cmd}_help_short "${cmd} -h"
    "^stdout:usage: cluster-ctl ${cmd} .*\n\\.\nstderr:exit=0\n$")
endforeach()

cluster_ctl_usage_error(drain_no_runner "drain --storage sqlite:x"
                        "drain needs a runner address \\(host:port\\)")
cluster_ctl_usage_error(forget_two_runners "forget a b --storage sqlite:x"
                        "forget takes one runner address, got an extra argument 'b'")
cluster_ctl_usage_error(drain_no_storage "drain a" "drain needs --storage sqlite:PATH")
cluster_ctl_usage_error(forget_memory "forget a --storage memory" "${memory_message}")
cluster_ctl_usage_error(forget_bad_lease "forget a --storage sqlite:x --lease-duration-ms=x"
  "--lease-duration-ms must be a whole number from 1 to 9223372036854775807, got 'x'")
foreach(cmd drain forget)
  cluster_ctl_test(${cmd}_missing_file "${cmd} a --storage 'sqlite:${missing_db}'"
    "^stdout:\\.\nstderr:cluster-ctl: no database at '[^\n]*cluster_ctl_missing\\.db': the file does not exist\nexit=1\n$")
endforeach()

# --json: one document on stdout, read back with jq (its exit code is the
# test's, so a document jq cannot parse fails).
find_program(CAF_CLUSTER_JQ jq)
if(NOT CAF_CLUSTER_JQ)
  message(STATUS "jq not found: the cluster-ctl --json tests are left out")
  return()
endif()
cluster_ctl_db_test(runners_json
  "runners --storage sqlite:DB --json --lease-duration-ms 3600000 | jq -r '.lease_duration_ms, (.runners[] | \"\\(.address) \\(.machine_id) \\(.healthy) \\(.weight) \\(.groups) \\(.heartbeat_age_ms >= 0) \\(.state) \\(.drain_requested)\")'"
  "^stdout:3600000\n127\\.0\\.0\\.1:4001 1 true 1 \\[\"default\"\\] true live false\n127\\.0\\.0\\.1:4002 2 true 2 \\[\"default\"\\] true live false\n127\\.0\\.0\\.1:4003 0 false 1 \\[\"default\"\\] true stale false\n\\.\nstderr:exit=0\n$")
cluster_ctl_db_test(shards_json
  "shards --storage sqlite:DB --json | jq -r '(.leases | length), (.leases[0] | \"\\(.shard) \\(.holder) \\(.epoch) \\(.expires_in_ms > 0) \\(.state)\"), (.leases[-1] | \"\\(.shard) \\(.state)\"), (.held_shards[] | \"\\(.runner) \\(.held)\")'"
  "^stdout:301\ndefault:1 127\\.0\\.0\\.1:4001 1 true held\neu:1 expired\n127\\.0\\.0\\.1:4001 100\n127\\.0\\.0\\.1:4002 100\n127\\.0\\.0\\.1:4003 100\n\\.\nstderr:exit=0\n$")
cluster_ctl_db_test(pending_json
  "pending --storage sqlite:DB --json | jq -c ."
  "^stdout:{\"pending\":\\[{\"shard\":\"default:1\",\"entity_type\":\"Counter\",\"pending\":3},{\"shard\":\"default:2\",\"entity_type\":\"Counter\",\"pending\":1},{\"shard\":\"default:2\",\"entity_type\":\"Order\",\"pending\":2}\\],\"per_entity_type\":\\[{\"entity_type\":\"Counter\",\"pending\":4},{\"entity_type\":\"Order\",\"pending\":2}\\]}\n\\.\nstderr:exit=0\n$")
cluster_ctl_output(shard_id_json "shard-id counter-1 --json"
  "{\"entity_id\":\"counter-1\",\"shard\":\"default:186\",\"group\":\"default\",\"index\":186}")
cluster_ctl_output(shard_id_json_escapes "shard-id \"$(printf 'a\\042b\\001')\" --json"
  "{\"entity_id\":\"a\\\\\"b\\\\u0001\",\"shard\":\"default:[0-9]+\",\"group\":\"default\",\"index\":[0-9]+}")

# drain and forget change the file, so they run in order on a copy of their
# own: every step prints its stdout, stderr and exit code.
set(admin_db "${CMAKE_CURRENT_BINARY_DIR}/cluster_ctl_admin.db")
add_test(NAME cluster_ctl.drain_and_forget
         COMMAND sh -c "\"$1\" \"$2\" || exit 1
ctl=\"$0\"; db=\"$2\"
step() { out=$(\"$ctl\" \"$@\" --storage \"sqlite:$db\" 2>\"$db.err\"); rc=$?; echo \"$out|$(cat \"$db.err\")|$rc\"; }
step drain 127.0.0.1:4002
step drain 127.0.0.1:4002
step drain 10.0.0.1:1
\"$ctl\" runners --json --storage \"sqlite:$db\" | \"$3\" -r '.runners[] | \"\\(.address) \\(.drain_requested)\"' 2>/dev/null
step forget 127.0.0.1:4001 --lease-duration-ms 3600000
step forget 127.0.0.1:4003 --lease-duration-ms 3600000
step forget 127.0.0.1:4003
step runners --lease-duration-ms 3600000
\"$ctl\" shards --json --storage \"sqlite:$db\" | \"$3\" -r '.held_shards[] | \"\\(.runner) \\(.held)\"' 2>/dev/null
rm -f \"$db.err\""
                 $<TARGET_FILE:cluster-ctl> $<TARGET_FILE:seed_runner_storage> "${admin_db}" "${CAF_CLUSTER_JQ}")
set(hb "[0-9]+")
set_tests_properties(cluster_ctl.drain_and_forget PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "^drain requested for 127\\.0\\.0\\.1:4002: it leaves on its next lease refresh\\|\\|0
drain requested for 127\\.0\\.0\\.1:4002: it leaves on its next lease refresh\\|\\|0
\\|cluster-ctl: cannot drain: no runner is registered at '10\\.0\\.0\\.1:1'\\|1
127\\.0\\.0\\.1:4001 false
127\\.0\\.0\\.1:4002 true
127\\.0\\.0\\.1:4003 false
\\|cluster-ctl: cannot forget: runner '127\\.0\\.0\\.1:4001' is alive \\(last heartbeat ${hb} ms ago, lease duration 3600000 ms\\): stop it or drain it first\\|1
forgot 127\\.0\\.0\\.1:4003\\|\\|0
\\|cluster-ctl: cannot forget: no runner is registered at '127\\.0\\.0\\.1:4003'\\|1
address machine-id healthy weight heartbeat-age-ms state
127\\.0\\.0\\.1:4001 1 yes 1 ${hb} live
127\\.0\\.0\\.1:4002 2 yes 2 ${hb} live\\|\\|0
127\\.0\\.0\\.1:4001 100
127\\.0\\.0\\.1:4002 100
$")
