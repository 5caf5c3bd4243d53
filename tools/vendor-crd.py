#!/usr/bin/env python3
"""vendor-crd.py - one CustomResourceDefinition's schema, vendored with its source into tests/data/crd.

usage: tools/vendor-crd.py CRD.yaml VERSION --repo OWNER/NAME --path PATH --commit SHA --out OUT.json

Reads the CRD (as published in the repo at that commit), takes the openAPIV3Schema of VERSION
(which must be served), drops every "description" (documentation only: validation is unchanged,
and the LWS CRD shrinks from 1.3 MB to 0.13 MB) and writes {"source": {...}, "schema": {...}}.
tests/contract/check-manifests.mjs validates the manifests of the answers against it.
"""
import argparse
import json

import yaml


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != 'description'}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('crd')
    ap.add_argument('version')
    ap.add_argument('--repo', required=True)
    ap.add_argument('--path', required=True)
    ap.add_argument('--commit', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    with open(a.crd, encoding='utf-8') as f:
        crd = yaml.safe_load(f)
    spec = crd['spec']
    ver = next(v for v in spec['versions'] if v['name'] == a.version)
    if not ver.get('served'):
        raise SystemExit(f'{a.version} is not served by {a.crd}')
    doc = {
        'source': {
            'repo': a.repo,
            'path': a.path,
            'commit': a.commit,
            'group': spec['group'],
            'kind': spec['names']['kind'],
            'version': a.version,
            'storage': bool(ver.get('storage')),
            'transformation': 'spec.versions[name=version].schema.openAPIV3Schema with every '
                              '"description" removed (tools/vendor-crd.py)',
        },
        'schema': strip(ver['schema']['openAPIV3Schema']),
    }
    with open(a.out, 'w', encoding='utf-8') as f:
        json.dump(doc, f, separators=(',', ':'), sort_keys=False)
        f.write('\n')


if __name__ == '__main__':
    main()
