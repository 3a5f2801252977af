#!/usr/bin/env bash
# The menu entry for the user (Linux, XDG):
#   desktop_entry.sh install COMMAND   write $XDG_DATA_HOME/applications/perceptron-playground.desktop, which runs
#                                      COMMAND (an absolute path), and the icon it shows
#   desktop_entry.sh uninstall         remove exactly those two files (and the folders install made, once empty)
# $XDG_DATA_HOME defaults to ~/.local/share. Plain copies, not xdg-desktop-menu / xdg-icon-resource: the first
# works system-wide when run as root and leaves files under ~/.config/menus behind, the second takes no SVG.
# Icon= is the icon file's absolute path, so the entry needs no icon-theme cache to be refreshed.
set -euo pipefail
ID=perceptron-playground
here="$(cd "$(dirname "$0")/.." && pwd)"

data_home="${XDG_DATA_HOME:-}"
[[ "$data_home" == /* ]] || data_home="$HOME/.local/share"  # unset, empty or relative: the spec's default
apps_dir="$data_home/applications"
theme_dir="$data_home/icons/hicolor"
icon_dir="$theme_dir/scalable/apps"
entry="$apps_dir/$ID.desktop"
icon="$icon_dir/$ID.svg"

# The desktop entry spec's Exec quoting: a path with a reserved character is put in double quotes, with " ` $ \
# escaped by a backslash, and every backslash doubled again because the value is a string; % is written %%.
exec_value() {
  local arg="$1"
  arg="${arg//%/%%}"
  if [[ "$arg" =~ [^A-Za-z0-9_./+,:@=-] ]]; then
    arg="${arg//\\/\\\\}"
    arg="${arg//\"/\\\"}"
    arg="${arg//\`/\\\`}"
    arg="${arg//\$/\\\$}"
    arg="\"$arg\""
  fi
  printf '%s' "${arg//\\/\\\\}"
}

refresh_icon_cache() {  # only a cache the user already has (a new one would be a file uninstall must remove)
  touch "$theme_dir" 2>/dev/null || true
  if [[ -f "$theme_dir/icon-theme.cache" ]] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -f -t "$theme_dir" || true
  fi
}

case "${1:-}" in
  install)
    command="${2:?usage: $0 install /absolute/path/to/$ID}"
    [[ "$command" == /* && -x "$command" ]] || { echo "$0: not an executable absolute path: $command" >&2; exit 2; }
    [[ "$command$data_home" != *$'\n'* ]] || { echo "$0: a path with a newline cannot go in a .desktop file" >&2; exit 2; }
    template="$(<"$here/resources/$ID.desktop.in")"
    text="${template//@EXEC@/"$(exec_value "$command")"}"
    text="${text//@ICON@/"${icon//\\/\\\\}"}"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    printf '%s\n' "$text" >"$tmp/$ID.desktop"
    if command -v desktop-file-validate >/dev/null 2>&1; then  # checked when the tool is there; not required
      desktop-file-validate "$tmp/$ID.desktop" || { echo "$0: the entry did not validate" >&2; exit 1; }
    fi
    mkdir -p "$apps_dir" "$icon_dir"
    install -m 644 "$here/resources/icon.svg" "$icon"
    install -m 644 "$tmp/$ID.desktop" "$entry"
    refresh_icon_cache
    echo "menu entry: $entry"
    echo "icon:       $icon"
    ;;
  uninstall)
    rm -f "$entry" "$icon"
    for dir in "$icon_dir" "$theme_dir/scalable" "$theme_dir" "$data_home/icons" "$apps_dir"; do
      rmdir "$dir" 2>/dev/null || true  # only if empty: never anything of anyone else's
    done
    if [[ -d "$theme_dir" ]]; then refresh_icon_cache; fi
    echo "removed $entry and $icon"
    ;;
  *)
    echo "usage: $0 install /absolute/path/to/$ID | $0 uninstall" >&2
    exit 2
    ;;
esac
