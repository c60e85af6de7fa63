#!/usr/bin/env bash
# The whole test suite with every CPU core kept busy, as on a slow laptop or a CI machine shared
# with other jobs (docs/development.md, "Tests"): one busy loop per core, pinned to it with taskset
# where taskset exists, then `npm test` with this script's arguments and the tests' hang guards
# lengthened (IIOT_TEST_TIME_SCALE, test/helpers/time-scale.ts), then exactly those loops are
# stopped (also on Ctrl-C or an error). The exit status is npm test's.
# Everything is inside main(), so bash has read the whole file before it starts: editing this file
# during a run (the suite takes a while) cannot change what the run does.
set -u

main() {
  cd "$(dirname "$0")/.." || return 2
  export PATH="$PWD/node_modules/.bin:$PATH"
  # hang guards (test timeouts, a child's SIGKILL) four times as long: slower, never different
  export IIOT_TEST_TIME_SCALE="${IIOT_TEST_TIME_SCALE:-4}"

  loops=()
  trap stop_loops EXIT
  trap 'stop_loops; exit 130' INT TERM

  local cores cpu status
  cores=$(nproc 2>/dev/null || echo 2)
  for ((cpu = 0; cpu < cores; cpu++)); do
    if command -v taskset >/dev/null; then
      taskset -c "$cpu" sh -c 'while :; do :; done' &
    else
      sh -c 'while :; do :; done' &
    fi
    loops+=("$!")
  done
  echo "test-busy: ${#loops[@]} busy loops (pids ${loops[*]}), one per core; running npm test $*" >&2

  npm test -- "$@"
  status=$?
  stop_loops
  echo "test-busy: busy loops stopped; npm test exited $status" >&2
  return "$status"
}

stop_loops() {
  local pid
  for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${loops[@]}"; do wait "$pid" 2>/dev/null; done
  loops=()
}

main "$@"
exit
