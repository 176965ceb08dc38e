#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Builds a release of efgs-swift: a self-contained `efgs` binary (the Swift runtime and Foundation linked in with
# --static-swift-stdlib, so it runs on a machine without the Swift toolchain) with the version and the git commit
# embedded (`efgs --version` prints both), and a Debian package of it made with dpkg-deb: the binary, the systemd
# unit (deploy/debian/efgs.service), /etc/efgs/efgs.yaml as a conffile, the documentation, and maintainer scripts
# that create the `efgs` system user and /var/lib/efgs (docs/deployment.md, "Install with the package").
#
#   tools/release.sh [--configuration release|debug] [--revision N] [--out DIR] [--no-build]
#
#   --configuration  release (default) for a release; debug builds the same package from a debug build in minutes
#                    (CI checks the packaging that way; never ship it)
#   --revision       the Debian revision (default 1): VERSION-N; a new package of the same version gets N+1
#   --out            where the binary and the package go (default dist/)
#   --no-build       package the binary the last build of that configuration made (with its embedded commit)
#
# The version is EFGSVersion.current (Sources/EFGSProtocol/EFGSVersion.swift), the one place it is written; a release
# build refuses a version CHANGELOG.md has no section for. The commit is `git rev-parse HEAD`, with `-dirty` when
# tracked files differ from it. Prints the paths of the binary and the package.
set -euo pipefail
cd "$(dirname "$0")/.."

configuration=release
revision=1
out=dist
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --configuration) configuration="$2"; shift 2 ;;
    --revision) revision="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "release.sh: unknown option $1 (see the header of tools/release.sh)" >&2; exit 64 ;;
  esac
done
case "$configuration" in release|debug) ;; *) echo "release.sh: --configuration is release or debug" >&2; exit 64 ;; esac
case "$revision" in ''|*[!0-9]*) echo "release.sh: --revision is a number" >&2; exit 64 ;; esac

version=$(sed -n 's/^ *public static let current = "\(.*\)"$/\1/p' Sources/EFGSProtocol/EFGSVersion.swift)
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "release.sh: EFGSVersion.current ('$version') is not MAJOR.MINOR.PATCH" >&2
  exit 1
fi
if [ "$configuration" = release ] && ! grep -q "^## \[$version\]" CHANGELOG.md; then
  echo "release.sh: CHANGELOG.md has no section '## [$version]': name the release there first" >&2
  exit 1
fi
arch=$(dpkg --print-architecture)
commit=$(git rev-parse HEAD)
git diff --quiet HEAD -- || commit="$commit-dirty"

# The commit goes into Sources/efgs/BuildCommit.swift for the length of the build, and the file is restored after.
stamp=Sources/efgs/BuildCommit.swift
if [ "$build" = 1 ]; then
  cp "$stamp" "$stamp.release-backup"
  trap 'mv -f "$stamp.release-backup" "$stamp"' EXIT
  sed -i "s/^let buildCommit: String? = nil\$/let buildCommit: String? = \"$commit\"/" "$stamp"
  grep -q "\"$commit\"" "$stamp" || { echo "release.sh: could not stamp the commit into $stamp" >&2; exit 1; }
  marker=$(mktemp)
  swift build -c "$configuration" --static-swift-stdlib --product efgs
  mv -f "$stamp.release-backup" "$stamp"
  trap - EXIT
  if [ "$configuration" = debug ]; then
    # the modules this build compiled against the static runtime sit in the developer's .build/debug, and SwiftPM
    # would link them into the next plain `swift build` as they are (which then fails: -lCoreFoundation not found);
    # without their objects it compiles them again
    find "$(swift build -c debug --show-bin-path)/" -name '*.o' -newer "$marker" -delete
  fi
  rm -f "$marker"
fi
bin="$(swift build -c "$configuration" --show-bin-path)/efgs"
[ -x "$bin" ] || { echo "release.sh: no binary at $bin (build first, or drop --no-build)" >&2; exit 1; }

# Self-contained: no Swift runtime or Foundation library may be loaded from the toolchain.
if ldd "$bin" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift|not found'; then
  echo "release.sh: $bin still needs the libraries above: not a self-contained binary" >&2
  exit 1
fi
shown=$("$bin" --version)
case "$shown" in
  *"$version"*"${commit%-dirty}"*) ;;
  *) echo "release.sh: '$bin --version' printed '$shown', not version $version and commit $commit" >&2; exit 1 ;;
esac

# The Debian package.
mkdir -p "$out"
name="efgs_${version}-${revision}_${arch}"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
install -D -m 0755 "$bin" "$root/usr/bin/efgs"
if [ "$configuration" = release ]; then strip --strip-debug "$root/usr/bin/efgs"; fi
install -D -m 0644 deploy/debian/efgs.service "$root/lib/systemd/system/efgs.service"
install -D -m 0644 deploy/debian/efgs.yaml "$root/etc/efgs/efgs.yaml"
install -D -m 0600 deploy/debian/secrets.env "$root/usr/share/efgs/secrets.env"
doc="$root/usr/share/doc/efgs"
install -d "$doc/examples"
install -m 0644 README.md CHANGELOG.md SECURITY.md THIRD_PARTY_LICENSES.md efgs.sample.yaml docs/*.md docs/openapi.yaml \
  "$doc/"
install -m 0644 deploy/nginx/*.conf "$doc/examples/"
# Debian's copyright file: this project's licence; the dependencies' licences are in THIRD_PARTY_LICENSES.md
{
  echo "efgs-swift $version (commit $commit)"
  echo "Licence: EUPL-1.2 (below). The Swift packages linked into /usr/bin/efgs and their licences:"
  echo "/usr/share/doc/efgs/THIRD_PARTY_LICENSES.md"
  echo
  cat LICENSE
} > "$doc/copyright"
chmod 0644 "$doc/copyright"

# Depends: the Debian packages of the shared libraries the binary still loads (libc, libstdc++, zlib, …)
depends=$(ldd "$bin" | awk '/=> \//{print $3}' | while read -r lib; do
  dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true
done | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
install -d "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: efgs
Version: ${version}-${revision}
Architecture: ${arch}
Maintainer: efgs-swift maintainers <maintainers@efgs-swift.invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: ${depends:+$depends, }passwd
Section: net
Priority: optional
Description: European Federation Gateway Service (efgs-swift)
 The hub through which the national backends of contact-tracing apps exchange
 diagnosis keys: signed uploads, encrypted storage, download batches, audit,
 callbacks, retention. Built from commit ${commit}.
CONTROL
echo "/etc/efgs/efgs.yaml" > "$root/DEBIAN/conffiles"
install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$root/DEBIAN/"
# xz for a release; a debug package (CI) is compressed fast
compression=(-Zxz)
[ "$configuration" = release ] || compression=(-Zgzip -z1)
dpkg-deb --root-owner-group "${compression[@]}" --build "$root" "$out/$name.deb" >/dev/null
install -m 0755 "$root/usr/bin/efgs" "$out/efgs-$version-linux-$arch"
echo "binary:  $out/efgs-$version-linux-$arch ($shown)"
echo "package: $out/$name.deb ($(du -h "$out/$name.deb" | cut -f1), Depends: ${depends:+$depends, }passwd)"
