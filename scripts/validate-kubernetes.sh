#!/usr/bin/env bash
# Check Kubernetes manifests offline against the real Kubernetes schemas, in strict mode
# (an unknown field is an error), for the oldest and the newest Kubernetes Toygres supports.
#
#   scripts/validate-kubernetes.sh                 every *.yaml under deploy/kubernetes/
#                                                  except kustomization.yaml (not an object)
#   scripts/validate-kubernetes.sh FILE...         these files (multi-document files work)
#   toygres kubernetes manifests ... | scripts/validate-kubernetes.sh -    standard input
#
# Installs PyPI's kubernetes-validate when it is missing. A document whose kind or apiVersion
# has no schema (a typo, or a custom resource) fails too, as does a file with no object in it.
# It checks the schemas only: not what the API server decides at admission (immutable
# fields, selector/label agreement, quotas).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# 1.33: the oldest the provider is built for (k8s-openapi's `v1_33` feature); 1.37: the
# newest that kubernetes-validate bundles schemas for. Both are bundled by
# kubernetes-validate 1.37.0 (it picks the newest bundled schema not newer than the asked
# version, so these are exact).
VERSIONS=(1.33.0 1.37.0)

have_versions() {
    python3 - "${VERSIONS[@]}" <<'EOF' 2>/dev/null
import sys
from kubernetes_validate import utils
bundled = {utils.major_minor(v) for v in utils.all_versions()}
sys.exit(0 if all(utils.major_minor(v) in bundled for v in sys.argv[1:]) else 1)
EOF
}
if ! python3 -c 'import kubernetes_validate' >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate
fi
if ! have_versions; then
    python3 -m pip install --quiet --disable-pip-version-check --upgrade kubernetes-validate
    have_versions || {
        echo "validate-kubernetes: kubernetes-validate has no schemas for Kubernetes ${VERSIONS[*]}" >&2
        exit 1
    }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=()
if [ $# -eq 0 ]; then
    while IFS= read -r f; do files+=("$f"); done < <(
        find "$root/deploy/kubernetes" -name '*.yaml' ! -name kustomization.yaml | sort)
    [ ${#files[@]} -gt 0 ] || { echo "validate-kubernetes: no *.yaml under deploy/kubernetes/" >&2; exit 1; }
else
    stdin_read=false
    for f in "$@"; do
        if [ "$f" = "-" ]; then
            if $stdin_read; then
                echo "validate-kubernetes: '-' given twice" >&2
                exit 1
            fi
            cat > "$tmp/stdin.yaml"
            stdin_read=true
            files+=("$tmp/stdin.yaml")
        else
            files+=("$f")
        fi
    done
fi

k_args=()
for v in "${VERSIONS[@]}"; do k_args+=(-k "$v"); done

status=0
objects=0
for f in "${files[@]}"; do
    shown=${f/#"$tmp/stdin.yaml"/<stdin>}
    shown=${shown/#"$root/"/}
    # The module rather than the `kubernetes-validate` script: the same program, from the
    # same python3 that was checked above, whether or not pip's bin directory is on PATH.
    if out=$(python3 -m kubernetes_validate --strict --quiet "${k_args[@]}" "$f" 2>&1); then rc=0; else rc=$?; fi
    out=${out//"$tmp/stdin.yaml"/<stdin>}
    # --quiet prints nothing for a valid object; a WARN is a missing schema, which would
    # otherwise pass.
    if [ $rc -ne 0 ] || [ -n "$out" ]; then
        [ -n "$out" ] && echo "$out" >&2
        echo "validate-kubernetes: $shown is not valid for Kubernetes ${VERSIONS[*]} (strict)" >&2
        status=1
        continue
    fi
    n=$(python3 -c '
import sys, yaml
with open(sys.argv[1]) as f:
    print(sum(1 for d in yaml.safe_load_all(f) if d))' "$f")
    if [ "$n" -eq 0 ]; then
        echo "validate-kubernetes: $shown holds no Kubernetes object" >&2
        status=1
        continue
    fi
    objects=$((objects + n))
done

if [ $status -eq 0 ]; then
    echo "validate-kubernetes: $objects objects in ${#files[@]} files valid for Kubernetes ${VERSIONS[*]} (strict)"
fi
exit $status
