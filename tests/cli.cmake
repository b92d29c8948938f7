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
