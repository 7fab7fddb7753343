# The command-line client: published to a folder and put on the PATH as a small wrapper script, so it runs with
# the same dotnet that built it whether or not the apphost can find the runtime.

# corral_cli_install ROOT CONFIGURATION TARGET_DIR [LINK]
corral_cli_install() {
  local root=$1 configuration=$2 target=$3 link=${4:-/usr/local/bin/corral}
  dotnet publish "$root/Cli/Corral.Cli.csproj" -c "$configuration" -nologo -v quiet -clp:ErrorsOnly -o "$target"
  local dotnet_path
  dotnet_path=$(command -v dotnet)
  local wrapper="$target/corral.sh"
  cat >"$wrapper" <<SH
#!/bin/sh
exec "$dotnet_path" "$target/corral.dll" "\$@"
SH
  chmod 0755 "$wrapper"
  if [[ -w "$(dirname "$link")" ]]; then
    ln -sfn "$wrapper" "$link"
    echo "  corral installed: $link -> $wrapper"
  else
    echo "  warning: cannot write $(dirname "$link"); run the client as $wrapper"
  fi
}
