#!/usr/bin/env python3
"""The layers of docs/ARCHITECTURE.md, checked on every quoted #include.

Each folder may include its own headers and those of the layers below it:

    core      the baking library (core/kernels/ and core/json/ are private to it)
    common    core
    proto     core, common
    client    core, common, proto
    cli       core, common, proto, client
    server    core, common, proto

The core uses no gRPC and no generated API code. Prints each crossing as
FILE:LINE: "INCLUDE" (FOLDER may not include LAYER) and exits 1 if there is any.
Usage: layering_test.py REPOSITORY_ROOT
"""
import os
import re
import sys

ALLOWED = {
    "core": {"core"},
    "common": {"core", "common"},
    "proto": {"core", "common", "proto"},
    "client": {"core", "common", "proto", "client"},
    "cli": {"core", "common", "proto", "client", "cli"},
    "server": {"core", "common", "proto", "server"},
}
# Headers outside the source tree, by the layer they belong to: the code generated
# from proto/ (the API and google.rpc's messages) is proto's; gRPC is for the layers
# that talk over it.
FOREIGN = {"qbake/": "proto", "google/rpc/": "proto", "grpcpp/": "grpc", "grpc/": "grpc"}
GRPC_USERS = {"proto", "client", "server"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def crossings(root, folder):
    """Yields (path, line number, include, reason) for each forbidden include."""
    for dirpath, _, names in os.walk(os.path.join(root, folder)):
        for name in sorted(names):
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as source:
                for number, line in enumerate(source, 1):
                    match = INCLUDE.match(line)
                    if match:
                        reason = forbidden(folder, path, root, match.group(1))
                        if reason:
                            yield os.path.relpath(path, root), number, match.group(1), reason


def forbidden(folder, path, root, include):
    """Why `folder` may not include `include`, or None."""
    top = include.split("/", 1)[0]
    layer = next((owner for prefix, owner in FOREIGN.items() if include.startswith(prefix)), top)
    if layer == "grpc":
        return None if folder in GRPC_USERS else f"{folder} may not use gRPC"
    if layer in ALLOWED and layer not in ALLOWED[folder]:
        return f"{folder} may not include {layer}"
    for private in ("core/kernels/", "core/json/"):
        if include.startswith(private) and folder != "core":
            return f"{private} is private to core"
    if top in ALLOWED and not os.path.exists(os.path.join(root, include)):
        return "no such file in the repository"
    return None


def main():
    root = os.path.abspath(sys.argv[1])
    found = 0
    for folder in ALLOWED:
        for path, number, include, reason in crossings(root, folder):
            print(f'{path}:{number}: "{include}" ({reason})')
            found += 1
    if found:
        print(f"layering: {found} forbidden include(s)")
        return 1
    print("layering: every include keeps to its layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
