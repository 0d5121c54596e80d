#!/usr/bin/env python3
"""Builds spot-api's field schema of Spot's AWS group and managedInstance request bodies.

The union of three sources (the wider one wins on a conflict):
  1. Spot's OpenAPI description (spot-aws.yaml): request schemas of POST /aws/ec2/group,
     PUT /aws/ec2/group/{groupId}, POST /aws/ec2/managedInstance, PUT /aws/ec2/managedInstance/{MI_ID}
     (and the names of fields only the reply item of GET /aws/ec2/group/{groupId} has);
  2. the Go SDK's types (service/elastigroup/providers/aws/aws.go: Group;
     service/managedinstance/providers/aws/aws.go: ManagedInstance);
  3. the Python SDK's models (spotinst_sdk2/models/elastigroup/aws: Elastigroup;
     spotinst_sdk2/models/managed_instance/aws: ManagedInstance), keys camelCased as its client does.
plus curated.json (fields the seed's example bodies use that no current source has).

Output format (src/main/resources/dev/spotapi/spot/<kind>-schema.json): an object lists its known
keys; a one-element array gives the element type; a leaf is "string", "integer", "number",
"boolean", "any" (free-form: any JSON value, any keys inside), "null" (accepted only as null),
or alternatives joined by "|" ("integer|string").

Usage: gen.py SPOT_AWS_YAML GO_EG_AWS_GO GO_MI_AWS_GO PY_EG_INIT PY_MI_INIT CURATED OUT_DIR
"""
import json, re, sys
import yaml

LEAVES = ("string", "integer", "number", "boolean", "any", "null")
UNKNOWN = "?"  # a source that does not say (a missing Python doc type, a dangling $ref): others decide
ARRAY_TOO = "$array"  # marker on an object node: an array of such objects is accepted as well


def settle(node):
    """Replaces what no source decided by "any"."""
    if node == UNKNOWN:
        return "any"
    if isinstance(node, dict):
        return {k: (v if k == ARRAY_TOO else settle(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [settle(node[0])]
    return node


def merge(a, b):
    """The wider of two schema nodes."""
    if a is None or a == UNKNOWN:
        return b if b is not None else a
    if b is None or b == UNKNOWN:
        return a
    if a == "any" or b == "any":
        return "any"
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(out.get(k), v)
        return out
    if isinstance(a, dict) and isinstance(b, list) and isinstance(b[0], dict):
        # one source says an object, another an array of such objects: both shapes are accepted
        out = merge(a, b[0])
        out[ARRAY_TOO] = True
        return out
    if isinstance(b, dict) and isinstance(a, list):
        return merge(b, a)
    if isinstance(a, list) and isinstance(b, list):
        return [merge(a[0], b[0])]
    if isinstance(a, str) and isinstance(b, str):
        kinds = set(a.split("|")) | set(b.split("|"))
        if "integer" in kinds and "number" in kinds:
            kinds.discard("integer")
        if "null" in kinds and len(kinds) > 1:
            kinds.discard("null")
        return "|".join(sorted(kinds))
    # object vs array vs leaf: the shapes disagree, so any value is Spot's to judge
    return "any"


# ---------------------------------------------------------------- OpenAPI
def openapi(path, refs):
    doc = yaml.safe_load(open(path))
    schemas = doc["components"]["schemas"]

    def resolve(s):
        while isinstance(s, dict) and "$ref" in s:
            node = doc
            for part in s["$ref"].lstrip("#/").split("/"):
                node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
            if node is None:
                return {"x-unknown": True}  # a dangling reference of the bundle
            s = node
        return s

    def walk(s, depth=0):
        s = resolve(s)
        if depth > 40 or not isinstance(s, dict) or s.get("x-unknown"):
            return UNKNOWN
        out = None
        for key in ("allOf", "oneOf", "anyOf"):
            for part in s.get(key, []):
                out = merge(out, walk(part, depth + 1))
        t = s.get("type")
        if "properties" in s:
            props = {k: walk(v, depth + 1) for k, v in s["properties"].items()}
            if s.get("additionalProperties") not in (None, False):
                return "any"
            out = merge(out, props)
        elif t == "array":
            out = merge(out, [walk(s.get("items", {}), depth + 1)])
        elif t == "object":
            out = merge(out, "any")
        elif t in ("string", "integer", "number", "boolean"):
            out = merge(out, t)
        elif out is None:
            out = UNKNOWN
        return out

    result = None
    for ref, wrapper in refs:
        top = walk({"$ref": "#/components/schemas/" + ref})
        result = merge(result, top[wrapper] if wrapper else top)
    return result


# ---------------------------------------------------------------- Go SDK
GO_FIELD = re.compile(r'^\s*(\w+)?\s+([\w\*\[\]\.\{\}]+(?:\[[^\]]*\][\w\*\.\{\}]+)?)\s+`json:"([^",]*)')


def go_types(src):
    structs, aliases = {}, {}
    for m in re.finditer(r'^type (\w+) struct \{\n(.*?)^\}', src, re.S | re.M):
        fields = {}
        for line in m.group(2).splitlines():
            f = GO_FIELD.match(line)
            if f and f.group(3) not in ("", "-"):
                fields[f.group(3)] = f.group(2)
        structs[m.group(1)] = fields
    for m in re.finditer(r'^type (\w+) (\*?[\w\.\[\]]+)\s*$', src, re.M):
        aliases[m.group(1)] = m.group(2)
    return structs, aliases


def go_schema(src, root):
    structs, aliases = go_types(src)

    def of(t, seen):
        t = t.lstrip("*")
        if t.startswith("[]"):
            return [of(t[2:], seen)]
        if t.startswith("map[") or t in ("interface{}", "json.RawMessage", "any"):
            return "any"
        if t in ("string", "time.Time"):
            return "string"
        if re.fullmatch(r"u?int(8|16|32|64)?", t):
            return "integer"
        if t in ("float32", "float64"):
            return "number"
        if t == "bool":
            return "boolean"
        if t in aliases:
            return of(aliases[t], seen)
        if t in structs:
            if t in seen:
                return "any"
            return {k: of(v, seen | {t}) for k, v in structs[t].items()}
        return UNKNOWN

    return of(root, frozenset())


# ---------------------------------------------------------------- Python SDK
def camel(name):
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def py_schema(src, root):
    classes = {}
    for m in re.finditer(r'^class (\w+)[^\n]*:\n(.*?)(?=^class |\Z)', src, re.S | re.M):
        body = m.group(2)
        doc_types = {}
        doc = re.search(r'# Arguments\n(.*?)"""', body, re.S)
        if doc:
            for line in doc.group(1).splitlines():
                d = re.match(r'\s*(\w+)\s*(?:\(([^)]*)\)|:\s*(.+))', line)
                if d:
                    doc_types[d.group(1)] = (d.group(2) or d.group(3) or "").strip()
        init = re.search(r'def __init__\((.*?)\):\n(.*?)(?=\n    def |\Z)', body, re.S)
        attrs = []
        if init:
            attrs = re.findall(r'self\.(\w+)\s*=', init.group(2))
        classes[m.group(1)] = {a: doc_types.get(a, "") for a in attrs}

    def of(t, seen):
        t = t.strip()
        low = t.lower()
        lm = re.fullmatch(r'(?:list|List)\[(.+)\]', t)
        if lm:
            return [of(lm.group(1), seen)]
        if low in ("list", "array"):
            return [UNKNOWN]
        if low in ("dict", "object"):
            return "any"
        if low in ("str", "string"):
            return "string"
        if low in ("int", "integer"):
            return "integer"
        if low in ("float", "number"):
            return "number"
        if low in ("bool", "boolean"):
            return "boolean"
        if t in classes:
            if t in seen:
                return "any"
            return {camel(k): of(v, seen | {t}) for k, v in classes[t].items()}
        return UNKNOWN

    return of(root, frozenset())


def strip_read_only_markers(node):
    return node


def main():
    yaml_path, go_eg, go_mi, py_eg, py_mi, curated_path, out_dir = sys.argv[1:8]
    curated = json.load(open(curated_path))
    kinds = {
        "group": [
            openapi(yaml_path, [("elastigroupCreate", "group"), ("elastigroup", "group")]),
            go_schema(open(go_eg).read(), "Group"),
            py_schema(open(py_eg).read(), "Elastigroup"),
            curated.get("group"),
        ],
        "managedInstance": [
            openapi(yaml_path, [("mi", "managedInstance")]),
            go_schema(open(go_mi).read(), "ManagedInstance"),
            py_schema(open(py_mi).read(), "ManagedInstance"),
            curated.get("managedInstance"),
        ],
    }
    # Not the names of the reply item of GET /aws/ec2/group/{groupId} (items-list-group): its scheduling.tasks[] is
    # an activity event pasted in by mistake (groupId, eventType, createdAt, subEvents), which no request type of
    # Spot's has (Go Task, Python ScheduledTask, OAS elastigroup-scheduling); a group read back keeps its top-level
    # id/createdAt/updatedAt, which spot-api drops before sending (SpotPayloads).
    for kind, parts in kinds.items():
        result = None
        for p in parts:
            result = merge(result, p)
        result = settle(result)
        with open(f"{out_dir}/{kind}-schema.json", "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.write("\n")
        print(kind, len(json.dumps(result)), "chars")


if __name__ == "__main__":
    main()
