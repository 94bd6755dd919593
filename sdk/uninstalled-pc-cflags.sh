#!/bin/sh
# Keeps only the SDK's include dirs (.../sdk/include) in the Cflags of the
# uninstalled inf-engine-sdk .pc file $1: meson also adds the folder that
# defines the library (core/), whose private headers plugins must not see.
# Run by meson after every (re)configuration (meson.add_postconf_script).
set -eu
pc=$1
tmp="$pc.tmp"
awk '
  /^Cflags:/ {
    line = "Cflags:"
    for (i = 2; i <= NF; i++)
      if ($i !~ /^-I/ || $i ~ /\/sdk\/include$/)
        line = line " " $i
    print line
    next
  }
  { print }
' "$pc" >"$tmp"
mv "$tmp" "$pc"
