# SPDX-License-Identifier: BSD-3-Clause
"""A strict parser of the Prometheus text exposition format (version 0.0.4),
for the metrics tests: every line must be a HELP, TYPE or sample line of the
grammar; each family's samples are contiguous and come after its TYPE; no
series twice; histograms have ascending le, cumulative counts, a +Inf bucket
equal to _count, and _sum. Raises ValueError naming the line."""
import math
import re

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LNAME = r'[a-zA-Z_][a-zA-Z0-9_]*'
LVAL = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(r'^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*,?)?\})? (\S+)(?: (-?\d+))?$' %
                    (NAME, LNAME, LVAL, LNAME, LVAL))
LABEL = re.compile(r'(%s)=(%s)' % (LNAME, LVAL))
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {'n': '\n'}.get(m.group(1), m.group(1)), v[1:-1])


def value(s):
    if s in ('+Inf', 'Inf'):
        return math.inf
    if s == '-Inf':
        return -math.inf
    if s == 'NaN':
        return math.nan
    if not re.match(r'^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$', s):
        raise ValueError('bad value %r' % s)
    return float(s)


def parse(text):
    """Returns {family: {'type', 'help', 'samples': [(name, labels dict, value)]}}."""
    if text and not text.endswith('\n'):
        raise ValueError('exposition does not end with a newline')
    fams = {}
    closed = set()
    current = None
    seen = set()
    for no, line in enumerate(text.split('\n')[:-1], 1):
        where = 'line %d: %r' % (no, line)
        if line.startswith('#'):
            m = re.match(r'^# (HELP|TYPE) (%s) ?(.*)$' % NAME, line)
            if not m:
                if line.startswith('# HELP') or line.startswith('# TYPE'):
                    raise ValueError('malformed ' + where)
                continue
            kind, name, rest = m.groups()
            if name in closed or (name in fams and fams[name]['samples']):
                raise ValueError('%s after the family\'s samples: %s' % (kind, where))
            f = fams.setdefault(name, {'type': 'untyped', 'help': None, 'samples': []})
            if kind == 'TYPE':
                if rest not in TYPES or f.get('typed'):
                    raise ValueError('bad or second TYPE: ' + where)
                f['type'] = rest
                f['typed'] = True
            else:
                if f['help'] is not None:
                    raise ValueError('second HELP: ' + where)
                f['help'] = rest
            if current is not None and current != name:
                closed.add(current)
            current = name
            continue
        if line == '':
            raise ValueError('empty line: ' + where)
        m = SAMPLE.match(line)
        if not m:
            raise ValueError('not a sample line: ' + where)
        name, labels, val = m.group(1), m.group(2) or '', m.group(3)
        lab = {}
        for ln, lv in LABEL.findall(labels):
            if ln in lab:
                raise ValueError('label %s twice: %s' % (ln, where))
            lab[ln] = unescape(lv)
        fam = name
        for suf in ('_bucket', '_sum', '_count'):
            base = name[:-len(suf)]
            if name.endswith(suf) and base in fams and fams[base]['type'] in ('histogram', 'summary'):
                fam = base
        if fam not in fams:
            fams[fam] = {'type': 'untyped', 'help': None, 'samples': []}
        if fam in closed:
            raise ValueError('family %s continues after another began: %s' % (fam, where))
        if current is not None and current != fam:
            closed.add(current)
        current = fam
        if fams[fam]['type'] == 'histogram' and name == fam:
            raise ValueError('histogram sample without _bucket/_sum/_count: ' + where)
        key = (name, tuple(sorted(lab.items())))
        if key in seen:
            raise ValueError('series twice: ' + where)
        seen.add(key)
        fams[fam]['samples'].append((name, lab, value(val)))
    for fam, f in fams.items():
        if f['type'] == 'histogram':
            check_histogram(fam, f['samples'])
    return fams


def check_histogram(fam, samples):
    series = {}
    for name, lab, v in samples:
        rest = tuple(sorted((k, x) for k, x in lab.items() if k != 'le'))
        s = series.setdefault(rest, {'buckets': [], 'sum': None, 'count': None})
        if name == fam + '_bucket':
            if 'le' not in lab:
                raise ValueError('%s bucket without le' % fam)
            s['buckets'].append((value(lab['le']), v))
        elif name == fam + '_sum':
            s['sum'] = v
        elif name == fam + '_count':
            s['count'] = v
    for rest, s in series.items():
        b = s['buckets']
        if not b or b[-1][0] != math.inf:
            raise ValueError('%s%s: no +Inf bucket last' % (fam, rest))
        for (l0, c0), (l1, c1) in zip(b, b[1:]):
            if not l1 > l0 or c1 < c0:
                raise ValueError('%s%s: le not ascending or counts not cumulative' % (fam, rest))
        if s['count'] is None or s['sum'] is None or s['count'] != b[-1][1]:
            raise ValueError('%s%s: _count missing or != +Inf bucket' % (fam, rest))
