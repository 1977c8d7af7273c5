# install_missing NAME PACKAGE...: installs, with apt-get, the Debian packages
# that are not installed yet (as root, or through sudo); NAME prefixes the
# message. Sourced by scripts/setup.sh and scripts/cross-aarch64.sh. A package
# of a foreign architecture (libhwy-dev:arm64) needs that architecture added
# to dpkg first.
install_missing() {
  local name=$1 missing=() package sudo=""
  shift
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  echo "$name: installing ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  for package in "${missing[@]}"; do
    [[ $package == *:* ]] || continue
    dpkg --print-foreign-architectures | grep -qx "${package#*:}" || $sudo dpkg --add-architecture "${package#*:}"
  done
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
