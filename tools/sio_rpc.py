#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sio_rpc.py: send one JSON-RPC 2.0 request to an spdk-io (or SPDK) app and print the reply.

usage: sio_rpc.py [-s SOCKET] [-t TIMEOUT] METHOD [PARAMS ...]

PARAMS is either one JSON object ('{"name": "Malloc0", "block_size": 512}')
or key=value pairs (name=Malloc0 block_size=512); a value that parses as JSON
(numbers, true/false/null, arrays, objects) is sent as such, anything else as
a string. Prints the result as JSON; on an error prints it to stderr and
exits 1 (2 for usage or connection problems).
"""
import argparse
import json
import socket
import sys


def parse_params(items):
    if not items:
        return None
    if len(items) == 1 and items[0].lstrip().startswith('{'):
        params = json.loads(items[0])
        if not isinstance(params, dict):
            raise ValueError('params must be a JSON object')
        return params
    params = {}
    for item in items:
        key, sep, value = item.partition('=')
        if not sep or not key:
            raise ValueError('expected key=value, got %r' % item)
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def call(sock_path, method, params, timeout):
    req = {'jsonrpc': '2.0', 'id': 1, 'method': method}
    if params is not None:
        req['params'] = params
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall(json.dumps(req).encode())
    buf = b''
    decoder = json.JSONDecoder()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError('connection closed before a complete reply')
        buf += chunk
        try:
            reply, _ = decoder.raw_decode(buf.decode().lstrip())
            s.close()
            return reply
        except ValueError:
            continue


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('-s', '--server', default='/var/tmp/spdk.sock', help='RPC socket path')
    ap.add_argument('-t', '--timeout', type=float, default=60.0, help='seconds to wait')
    ap.add_argument('method')
    ap.add_argument('params', nargs='*')
    args = ap.parse_args()
    try:
        params = parse_params(args.params)
    except ValueError as e:
        print('sio_rpc.py: bad params: %s' % e, file=sys.stderr)
        return 2
    try:
        reply = call(args.server, args.method, params, args.timeout)
    except (OSError, ConnectionError) as e:
        print('sio_rpc.py: %s: %s' % (args.server, e), file=sys.stderr)
        return 2
    if 'error' in reply:
        print(json.dumps(reply['error'], indent=2), file=sys.stderr)
        return 1
    print(json.dumps(reply.get('result'), indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
