#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Copy methods (and the enums/objects/arrays they use) from SPDK's schema into
tests/app/data/rpc-schema.json. usage: add_schema_entries.py SPDK_SCHEMA METHOD..."""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
ours_path = os.path.join(here, 'rpc-schema.json')
spdk = json.load(open(sys.argv[1]))
ours = json.load(open(ours_path))
by_name = {m['name']: m for m in spdk['methods']}
have = {m['name'] for m in ours['methods']}
for name in sys.argv[2:]:
    if name not in by_name:
        sys.exit('%s is not in %s' % (name, sys.argv[1]))
    if name not in have:
        ours['methods'].append(by_name[name])
        have.add(name)
classes = {p['class'] for m in ours['methods'] for p in m['params'] if 'class' in p}
for kind in ('enums', 'objects', 'arrays'):
    names = {e['name'] for e in ours[kind]}
    ours[kind] += [e for e in spdk[kind] if e['name'] in classes and e['name'] not in names]
ours['methods'].sort(key=lambda m: m['name'])
with open(ours_path, 'w') as f:
    json.dump(ours, f, indent=1)
    f.write('\n')
