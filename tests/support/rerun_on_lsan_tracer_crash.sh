#!/bin/bash
# Runs one test command. LeakSanitizer's own stop-the-world tracer occasionally dies at
# process exit ("Tracer caught signal 11 ... LeakSanitizer has encountered a fatal
# error") after the test has passed: a known intermittent fault of the sanitizer runtime
# (google/sanitizers#1353), not a finding about our code. When that signature is the only
# sanitizer output of a failed run, the test is run once more and that run's verdict
# stands. A real leak, an AddressSanitizer or UBSan report, or any other failure is never
# retried.
output=$(mktemp)
trap 'rm -f "$output"' EXIT
"$@" >"$output" 2>&1
status=$?
cat "$output"
if ((status != 0)) &&
  grep -q "LeakSanitizer has encountered a fatal error" "$output" &&
  ! grep -Eq "ERROR: (AddressSanitizer|LeakSanitizer: detected)|runtime error:" "$output"; then
  echo "note: LeakSanitizer's tracer crashed at exit (a sanitizer fault, not a test failure); running the test once more"
  "$@"
  status=$?
fi
exit "$status"
