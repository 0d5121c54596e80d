"""Stateful-node evidence: the official Python SDK's (spotinst-sdk-python, spotinst_sdk2) managed-instance import,
bulk state and volume methods and an Elastigroup's stateful-instance methods against the simulator. Usage (a
simulator on loopback with instant transitions, the SDK on PYTHONPATH):
  ./spot-api simulator --port 18791 --account act-12345678=secret --transition-seconds 0 &
  PYTHONPATH=/path/to/spotinst-sdk-python python3 tools/stateful/python_sdk_stateful.py http://127.0.0.1:18791 act-12345678 secret
Prints what each SDK call returned (or the error); exits non-zero if any SDK call failed.
The SDK (as of 62b776d) has no method for the single import (POST /aws/ec2/managedInstance/migration) nor for
GET /aws/ec2/managedInstance/migration/{id}; the bulk import and the migration search stand for them."""
import json, sys, traceback, requests
from spotinst_sdk2 import SpotinstSession
from spotinst_sdk2.models.managed_instance import aws as mi

base, account, token = sys.argv[1:4]
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
failed = []


def call(name, route, fn):
    try:
        out = fn()
        print("OK   %s  [%s] ->" % (name, route), json.dumps(out, default=str)[:600])
        return out
    except Exception as e:  # the SDK raises on HTTP errors and on replies it cannot decode
        failed.append(name)
        print("FAIL %s  [%s] -> %s: %s" % (name, route, type(e).__name__, e))
        traceback.print_exc(limit=2)
        return None


def sim(method, path, body=None):
    r = requests.request(method, base + path, headers=H, data=None if body is None else json.dumps(body))
    r.raise_for_status()
    return r.json()


session = SpotinstSession(auth_token=token, account_id=account, base_url=base)
mic = session.client("managed_instance_aws")
egc = session.client("elastigroup_aws")

# --- managed instances: bulk import, migration search, bulk state, volume delete ---------------------------
ec2 = [sim("POST", "/_sim/ec2Instances", {"accountId": account, "region": "us-east-1", "privateIp": "10.0.0.%d" % (5 + k),
                                          "volumes": [{"deviceName": "/dev/xvda", "size": 8},
                                                      {"deviceName": "/dev/xvdb", "size": 20, "attached": False}]})["id"]
       for k in range(2)]
migrations = [mi.ManagedInstanceMigration(original_instance_id=i, region="us-east-1", should_keep_private_ip=True,
                                          should_terminate_instance=True, managed_instance_name="py-import-" + i,
                                          product="Linux/UNIX", spot_instances_types=["t3.micro", "t3.small"])
              for i in ec2]
imported = call("import_multiple_instances_from_aws", "POST /aws/ec2/managedInstance/migration/bulk",
                lambda: mic.import_multiple_instances_from_aws(migrations_list=migrations))
mig_ids = [m["migration_id"] for m in imported or []]
call("get_multiple_instances_migration_status", "POST /aws/ec2/managedInstance/migration/search",
     lambda: mic.get_multiple_instances_migration_status(migration_ids=mig_ids))
mis = call("get_managed_instances", "GET /aws/ec2/managedInstance", lambda: mic.get_managed_instances()) or []
mi_ids = [m["id"] for m in mis]
print("managed instances:", mi_ids)
for m in mi_ids:
    call("get_managed_instance_status", "GET /aws/ec2/managedInstance/{id}/status",
         lambda: mic.get_managed_instance_status(managed_instance_id=m))
call("update_managed_instance_states(PAUSE)", "PUT /aws/ec2/managedInstance/state",
     lambda: mic.update_managed_instance_states([mi.ManagedInstanceState(id=m, state="PAUSE") for m in mi_ids]))
call("update_managed_instance_states(RESUME)", "PUT /aws/ec2/managedInstance/state",
     lambda: mic.update_managed_instance_states([mi.ManagedInstanceState(id=m, state="RESUME") for m in mi_ids]))
state = requests.get(base + "/_sim/state").json()["accounts"][account]
print("simulator volumes:", json.dumps(state["volumes"])[:600])
detached = [v["object"] for v in state["volumes"] if v["object"].get("attached") is False]
if detached:
    v = detached[0]
    owner = v.get("managedInstanceId") or mi_ids[0]
    call("delete_volume_in_managed_instance", "DELETE /aws/ec2/managedInstance/{id}/volume/{volumeId}",
         lambda: mic.delete_volume_in_managed_instance(managed_instance_id=owner, volume_id=v["id"]))
else:
    failed.append("no detached volume found")
    print("FAIL no detached volume in /_sim/state")

# --- a group's stateful instances ---------------------------------------------------------------------------
group = {"group": {"name": "py-stateful", "capacity": {"minimum": 0, "maximum": 4, "target": 1},
         "compute": {"product": "Linux/UNIX", "availabilityZones": [{"name": "us-east-1a", "subnetIds": ["subnet-0123"]}],
                     "instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro"]},
                     "launchSpecification": {"imageId": "ami-00000000000000001", "securityGroupIds": ["sg-0123"]}}}}
gid = sim("POST", "/aws/ec2/group?accountId=" + account, group)["response"]["items"][0]["id"]
for k in range(2):
    print("seeded:", json.dumps(sim("POST", "/_sim/groups/%s/statefulInstances" % gid,
                                    {"accountId": account, "privateIp": "10.1.0.%d" % (10 + k),
                                     "volumes": [{"deviceName": "/dev/xvda"}, {"deviceName": "/dev/xvdb"}]}))[:300])
ssis = call("get_stateful_instances", "GET /aws/ec2/group/{id}/statefulInstance",
            lambda: egc.get_stateful_instances(group_id=gid)) or []
s1, s2 = ssis[0]["id"], ssis[1]["id"]
vol = ssis[0]["devices"][1]["volume_id"]  # the stateful instance's devices carry its volumes
R = "/aws/ec2/group/{id}/statefulInstance/{ssi}"
call("pause_stateful_instance", "PUT " + R + "/pause", lambda: egc.pause_stateful_instance(group_id=gid, stateful_instance_id=s1))
call("get_stateful_instances(after pause)", "GET /aws/ec2/group/{id}/statefulInstance",
     lambda: [(s["id"], s.get("state")) for s in egc.get_stateful_instances(group_id=gid)])
call("delete_volume_in_stateful_instance", "DELETE " + R + "/volume/{volumeId}",
     lambda: egc.delete_volume_in_stateful_instance(group_id=gid, stateful_instance_id=s1, volume_id=vol))
call("resume_stateful_instance", "PUT " + R + "/resume", lambda: egc.resume_stateful_instance(group_id=gid, stateful_instance_id=s1))
call("recycle_stateful_instance", "PUT " + R + "/recycle", lambda: egc.recycle_stateful_instance(group_id=gid, stateful_instance_id=s1))
call("deallocate_stateful_instance", "PUT " + R + "/deallocate", lambda: egc.deallocate_stateful_instance(group_id=gid, stateful_instance_id=s2))
call("get_stateful_instances(final)", "GET /aws/ec2/group/{id}/statefulInstance",
     lambda: [(s["id"], s.get("state"), [d["device_name"] for d in s.get("devices") or []]) for s in egc.get_stateful_instances(group_id=gid)])

print("FAILED:", failed if failed else "none")
sys.exit(1 if failed else 0)
