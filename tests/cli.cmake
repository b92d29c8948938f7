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
                        "runners needs --storage sqlite:PATH or postgresql://...")
cluster_ctl_db_test(pending "pending --storage sqlite:DB"
  "^stdout:shard entity-type pending\ndefault:1 Counter 3\ndefault:2 Counter 1\ndefault:2 Order 2\n\nentity-type pending\nCounter 4\nOrder 2\n\.\nstderr:exit=0\n$")
cluster_ctl_usage_error(pending_no_storage "pending"
                        "pending needs --storage sqlite:PATH or postgresql://...")

cluster_ctl_usage_error(shards_no_storage "shards"
                        "shards needs --storage sqlite:PATH or postgresql://...")
set(memory_message "--storage memory lives inside one runner process and cannot be inspected: use --storage sqlite:PATH or postgresql://...")
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

# The workflow commands read a file of journals seeded by
# tests/cli/seed_workflow_storage.cpp (see there for its executions).
add_executable(seed_workflow_storage cli/seed_workflow_storage.cpp)
target_link_libraries(seed_workflow_storage PRIVATE caf_cluster::core
                      caf_cluster::storage caf_cluster::workflow)
caf_cluster_target_defaults(seed_workflow_storage)
set(wf_db "${CMAKE_CURRENT_BINARY_DIR}/cluster_ctl_workflows.db")
add_test(NAME cluster_ctl.seed_workflow_storage
         COMMAND seed_workflow_storage "${wf_db}")
set_tests_properties(cluster_ctl.seed_workflow_storage PROPERTIES
  LABELS unit FIXTURES_SETUP cluster_ctl_wf_db)

# cluster_ctl_wf_test(<name> <shell words> <regex>): cluster_ctl_test on the
# journals; "DB" in <shell words> stands for its path.
function(cluster_ctl_wf_test name words regex)
  string(REPLACE "DB" "'${wf_db}'" words "${words}")
  cluster_ctl_test(${name} "${words}" "${regex}")
  set_tests_properties(cluster_ctl.${name} PROPERTIES
    FIXTURES_REQUIRED cluster_ctl_wf_db)
endfunction()

set(wf_header "workflow id status steps started updated")
set(t0 "2026-01-01T00:00:00\\.000Z")
set(t2 "2026-01-01T00:00:02\\.000Z")
cluster_ctl_wf_test(workflows "workflows --storage sqlite:DB"
  "^stdout:${wf_header}\nbilling c3 failed 1 ${t0} ${t2}\nbroken e5 undecodable - - -\norders a1 suspended 3 ${t0} ${t2}\norders b2 complete 3 ${t0} 2026-01-01T00:00:05\\.000Z\norders-archive a1 running 0 ${t0} ${t2}\n\\.\nstderr:exit=0\n$")
cluster_ctl_wf_test(workflows_of_one_workflow
  "workflows --storage sqlite:DB --workflow orders"
  "^stdout:${wf_header}\norders a1 suspended 3 ${t0} ${t2}\norders b2 complete 3 ${t0} 2026-01-01T00:00:05\\.000Z\n\\.\nstderr:exit=0\n$")
cluster_ctl_wf_test(workflows_by_status
  "workflows --storage sqlite:DB --status suspended"
  "^stdout:${wf_header}\norders a1 suspended 3 ${t0} ${t2}\n\\.\nstderr:exit=0\n$")
cluster_ctl_wf_test(workflows_none "workflows --storage sqlite:DB --workflow nope"
  "^stdout:${wf_header}\n\\.\nstderr:exit=0\n$")
cluster_ctl_usage_error(workflows_bad_status
  "workflows --storage sqlite:x --status asleep"
  "--status must be one of running, suspended, complete, failed, interrupted, got 'asleep'")
cluster_ctl_usage_error(workflows_no_storage "workflows"
                        "workflows needs --storage sqlite:PATH or postgresql://...")
cluster_ctl_usage_error(workflows_extra_argument "workflows x --storage sqlite:y"
                        "workflows takes no arguments, got 'x'")
cluster_ctl_wf_test(workflow_journal "workflow a1 --workflow orders --storage sqlite:DB"
  "^stdout:workflow orders
execution a1
status suspended
started ${t0}
updated ${t2}
completed -
replays 2
resumes 0

step kind name attempt state recorded
1 activity charge/1 1 ok 2026-01-01T00:00:00\\.100Z
2 sleep wait-for-stock - pending 2026-01-01T00:00:00\\.200Z due 2026-01-01T01:00:00\\.000Z
3 deferred approval - pending 2026-01-01T00:00:00\\.300Z

pending-sleep due
wait-for-stock 2026-01-01T01:00:00\\.000Z

pending-deferred
approval

early-completion state
payment-confirmed ok

result -
error -
\\.\nstderr:exit=0\n$")
cluster_ctl_wf_test(workflow_complete "workflow b2 --storage sqlite:DB"
  "^stdout:workflow orders
execution b2
status complete
started ${t0}
updated 2026-01-01T00:00:05\\.000Z
completed 2026-01-01T00:00:05\\.000Z
replays 2
resumes 0

step kind name attempt state recorded
1 activity charge/1 1 failed 2026-01-01T00:00:00\\.100Z error cluster: entity_failed \\(card declined\\)
2 activity charge/2 2 ok 2026-01-01T00:00:00\\.150Z
3 patch v2-fraud-check - ok 2026-01-01T00:00:00\\.160Z

pending-sleep due

pending-deferred

early-completion state

result ok \\(7 bytes\\)
error -
\\.\nstderr:exit=0\n$")
cluster_ctl_wf_test(workflow_failed "workflow c3 --storage sqlite:DB | tail -2"
  "^stdout:result -\nerror cluster: nondeterministic_workflow \\(step 2: the journal has activity 'invoice/1', the code reached sleep 'wait'\\)\n\\.\nstderr:exit=0\n$")
cluster_ctl_wf_test(workflow_ambiguous "workflow a1 --storage sqlite:DB"
  "^stdout:\\.\nstderr:cluster-ctl: execution id 'a1' exists in several workflows \\(orders, orders-archive\\): give --workflow\nexit=2\n$")
cluster_ctl_wf_test(workflow_unknown "workflow zz --storage sqlite:DB"
  "^stdout:\\.\nstderr:cluster-ctl: no workflow execution 'zz'\nexit=1\n$")
cluster_ctl_wf_test(workflow_unknown_in_workflow "workflow b2 --workflow billing --storage sqlite:DB"
  "^stdout:\\.\nstderr:cluster-ctl: no workflow execution 'b2' of workflow 'billing'\nexit=1\n$")
cluster_ctl_wf_test(workflow_undecodable "workflow e5 --storage sqlite:DB"
  "^stdout:\\.\nstderr:cluster-ctl: the journal of broken/e5 does not decode: .+\nexit=1\n$")
cluster_ctl_usage_error(workflow_no_id "workflow --storage sqlite:x"
                        "workflow needs an execution id")
cluster_ctl_usage_error(workflow_two_ids "workflow a b --storage sqlite:x"
                        "workflow takes one execution id, got an extra argument 'b'")
foreach(words "workflows" "workflow a")
  string(REPLACE " a" "" cmd "${words}")
  cluster_ctl_test(${cmd}_missing_file "${words} --storage 'sqlite:${missing_db}'"
    "^stdout:\\.\nstderr:cluster-ctl: no database at '[^\n]*cluster_ctl_missing\\.db': the file does not exist\nexit=1\n$")
endforeach()

# --version, and --help on every command.
string(REPLACE "." "\\." escaped_version "${PROJECT_VERSION}")
cluster_ctl_output(version "--version" "cluster-ctl ${escaped_version}")
foreach(cmd shard-id runners shards pending drain forget workflows workflow)
  cluster_ctl_test(${cmd}_help "${cmd} --help"
    "^stdout:usage: cluster-ctl ${cmd} .*\n\\.\nstderr:exit=0\n$")
  cluster_ctl_test(${cmd}_help_short "${cmd} -h"
    "^stdout:usage: cluster-ctl ${cmd} .*\n\\.\nstderr:exit=0\n$")
endforeach()

cluster_ctl_usage_error(drain_no_runner "drain --storage sqlite:x"
                        "drain needs a runner address \\(host:port\\)")
cluster_ctl_usage_error(forget_two_runners "forget a b --storage sqlite:x"
                        "forget takes one runner address, got an extra argument 'b'")
cluster_ctl_usage_error(drain_no_storage "drain a" "drain needs --storage sqlite:PATH or postgresql://...")
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

cluster_ctl_wf_test(workflows_json
  "workflows --storage sqlite:DB --json | jq -r '.executions[] | \"\\(.workflow) \\(.execution_id) \\(.status) \\(.steps) \\(.started_ms) \\(.completed_ms)\"'"
  "^stdout:billing c3 failed 1 1767225600000 1767225603000\nbroken e5 undecodable null null null\norders a1 suspended 3 1767225600000 0\norders b2 complete 3 1767225600000 1767225605000\norders-archive a1 running 0 1767225600000 0\n\\.\nstderr:exit=0\n$")
cluster_ctl_wf_test(workflow_json
  "workflow a1 --workflow orders --storage sqlite:DB --json | jq -c '[.status, .replays, [.steps[] | [.kind, .name, .attempt, .state, .recorded_ms]], .pending_sleeps, .pending_deferreds, [.completions[] | .name], .result_ok, .error]'"
  "^stdout:\\[\"suspended\",2,\\[\\[\"activity\",\"charge/1\",1,\"ok\",1767225600100\\],\\[\"sleep\",\"wait-for-stock\",0,\"pending\",1767225600200\\],\\[\"deferred\",\"approval\",0,\"pending\",1767225600300\\]\\],\\[{\"name\":\"wait-for-stock\",\"wake_ms\":1767229200000}\\],\\[\"approval\"\\],\\[\"payment-confirmed\"\\],false,\"\"\\]\n\\.\nstderr:exit=0\n$")
cluster_ctl_wf_test(workflow_json_errors
  "workflow b2 --storage sqlite:DB --json | jq -r '.steps[0].error, .result_ok, .result_bytes'"
  "^stdout:cluster: entity_failed \\(card declined\\)\ntrue\n7\n\\.\nstderr:exit=0\n$")
