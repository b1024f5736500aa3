#!/usr/bin/env bash
# Builds a runnable JRE 17 base image offline-capable from Debian packages (no container registry needed), as a
# docker-save tar that Jib takes as `-Djib.from.image=tar:///abs/path.tar` and `docker load` accepts.
# For make image-smoke only: the published images use the digest-pinned eclipse-temurin:17-jre (see the poms).
#
# usage: build-base-image.sh OUT_DIR      (writes OUT_DIR/debian-jre17.tar; reuses it when present)
# needs: mmdebstrap (apt-get install mmdebstrap), root or unprivileged user namespaces, a Debian mirror.
set -euo pipefail

out_dir=$(realpath -m "$1")
image_tar="$out_dir/debian-jre17.tar"
if [ -s "$image_tar" ]; then
  echo "base image: reusing $image_tar"
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "base image: mmdebstrap is not installed (apt-get install mmdebstrap)" >&2; exit 1; }

mkdir -p "$(dirname "$out_dir")" "$out_dir"
work=$(mktemp -d "$out_dir.XXXX"); trap 'rm -rf "$work"' EXIT
started=$(date +%s)
mmdebstrap --quiet --variant=minbase --include=openjdk-17-jre-headless,ca-certificates \
  --aptopt='APT::Install-Recommends "false"' \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
  bookworm "$work/rootfs.tar"

diff_id=$(sha256sum "$work/rootfs.tar" | cut -d' ' -f1)
mkdir -p "$work/image/$diff_id"
mv "$work/rootfs.tar" "$work/image/$diff_id/layer.tar"
cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64","LANG=C.UTF-8"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"mmdebstrap --variant=minbase --include=openjdk-17-jre-headless bookworm"}]}
JSON
config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/image/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["local/debian-jre17:bookworm"],"Layers":["%s/layer.tar"]}]\n' \
  "$config_id" "$diff_id" >"$work/image/manifest.json"
tar -cf "$work/image.tar" -C "$work/image" manifest.json "$config_id.json" "$diff_id/layer.tar"
mv "$work/image.tar" "$image_tar"
echo "base image: $image_tar ($(du -h "$image_tar" | cut -f1), $(( $(date +%s) - started )) s)"
