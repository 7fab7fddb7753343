# shellcheck shell=bash
#
# Checking a priority (nice value) the scripts start a process at. Meant to be sourced; defines functions only.

# corral_nice_check NAME: true when the variable NAME holds a nice value (a whole number from -20 to 19); otherwise
# says so, naming the variable, and fails.
corral_nice_check() {
  local name=$1 value=${!1-}
  if [[ "$value" =~ ^-?(0|[1-9][0-9]?)$ ]] && ((value >= -20 && value <= 19)); then
    return 0
  fi
  echo "error: $name must be a whole number from -20 to 19, not '$value'" >&2
  return 1
}
