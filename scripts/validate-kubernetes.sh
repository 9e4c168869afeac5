#!/usr/bin/env bash
# Check Kubernetes manifests offline against the real Kubernetes schemas, in strict mode
# (unknown fields are errors), for the oldest and newest versions Toygres supports.
#
#   scripts/validate-kubernetes.sh                 every *.yaml under deploy/kubernetes/
#   scripts/validate-kubernetes.sh FILE...         these files
#   toygres kubernetes manifests ... | scripts/validate-kubernetes.sh -    standard input
#
# Installs PyPI's kubernetes-validate when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The oldest Kubernetes the provider is built for (k8s-openapi's v1_33) and the newest the
# validator knows.
VERSIONS=(1.33.0 1.37.0)

if ! python3 -c 'import kubernetes_validate' >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate
fi

files=()
tmp=""
trap '[ -n "$tmp" ] && rm -f "$tmp"' EXIT
if [ $# -eq 0 ]; then
    while IFS= read -r f; do files+=("$f"); done < <(
        find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml | sort)
else
    for f in "$@"; do
        if [ "$f" = "-" ]; then
            tmp=$(mktemp --suffix=.yaml)
            cat > "$tmp"
            [ -s "$tmp" ] || { echo "validate-kubernetes: standard input is empty" >&2; exit 1; }
            files+=("$tmp")
        else
            files+=("$f")
        fi
    done
fi

status=0
for v in "${VERSIONS[@]}"; do
    for f in "${files[@]}"; do
        if ! out=$(kubernetes-validate --strict --quiet -k "$v" "$f" 2>&1); then
            echo "$out" >&2
            echo "validate-kubernetes: $f is not valid for Kubernetes $v" >&2
            status=1
        fi
    done
done
[ $status -eq 0 ] && echo "validate-kubernetes: ${#files[@]} file(s) valid for Kubernetes ${VERSIONS[*]} (strict)"
exit $status
