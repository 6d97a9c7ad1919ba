#!/usr/bin/env bash
# The deployment files, checked offline as far as they can be without a
# cluster or a container runtime:
#   - deploy/kubernetes: `kubectl kustomize` (a real client, no server)
#     parses every manifest and builds the set; the Deployment and CronJob
#     run the commands lifeboat has, probe the paths serve answers, and the
#     ConfigMap's config passes `lifeboat config check`. Not checked here:
#     the API server's schema validation and admission (kubectl's
#     --dry-run=client needs a server's discovery), and running the pods.
#   - deploy/systemd/lifeboat.service: `systemd-analyze verify`.
#   - Containerfile: its runtime packages exist in Debian 12 (apt-cache);
#     not built here (no registry for the debian:12 base image).
source "$(dirname "$0")/lib.sh"
D=$LIFEBOAT_SRC/deploy

step "kubectl kustomize builds deploy/kubernetes"
if command -v kubectl >/dev/null; then
  kubectl kustomize "$D/kubernetes" >"$WORK/k8s.yaml" || fail "kubectl kustomize"
  for kind in Namespace ServiceAccount ClusterRole ClusterRoleBinding ConfigMap Service PersistentVolumeClaim \
    Deployment CronJob; do
    grep -qx "kind: $kind" "$WORK/k8s.yaml" || fail "no $kind in deploy/kubernetes"
  done
  [[ $(grep -c '^  namespace: lifeboat$' "$WORK/k8s.yaml") -ge 7 ]] || fail "namespaced objects should be in lifeboat"
  grep -q 'type: Recreate' "$WORK/k8s.yaml" || fail "serve must never run twice: strategy Recreate"
  grep -q 'concurrencyPolicy: Forbid' "$WORK/k8s.yaml" || fail "the CronJob must never run twice at once"
  if grep -Eq 'verbs:.*(create|update|patch|delete)|resources:.*secrets' "$WORK/k8s.yaml"; then
    fail "the RBAC should only read, and not secrets"
  fi
else
  echo "    kubectl not installed: the manifests were not parsed"
fi

step "the probes and commands are what lifeboat serves and has"
grep -q 'path: /healthz' "$D/kubernetes/serve.yaml" && grep -q 'path: /readyz' "$D/kubernetes/serve.yaml" ||
  fail "probes"
lb serve --help >/dev/null || fail "serve --help"
lb run --help | grep -q -- '--pushgateway' || fail "the CronJob's run --pushgateway"
sed -n '/lifeboat.yml: |/,$p' "$D/kubernetes/config.yaml" | tail -n +2 | sed 's/^    //' >"$WORK/k8s-lifeboat.yml"
lb config check "$WORK/k8s-lifeboat.yml" >/dev/null || fail "the ConfigMap's config: $(lb config check "$WORK/k8s-lifeboat.yml" 2>&1)"

step "systemd-analyze verify accepts the unit"
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/lifeboat|$LIFEBOAT|" "$D/systemd/lifeboat.service" >"$WORK/lifeboat.service"
  systemd-analyze verify "$WORK/lifeboat.service" || fail "systemd-analyze verify"
else
  echo "    systemd-analyze not installed: the unit was not verified"
fi

step "the Containerfile's runtime packages are Debian 12's"
pkgs=$(awk '/^FROM debian:12$/ {on = 1} on' "$LIFEBOAT_SRC/Containerfile" |
  sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
  grep -vE '^(apt-get|install|rm|update|qq|y|DEBIAN_FRONTEND|noninteractive)$')
[[ -n $pkgs ]] || fail "no packages found in the Containerfile"
for p in $pkgs; do apt-cache show "$p" >/dev/null 2>&1 || fail "Containerfile: no Debian package $p"; done
echo "PASS"
