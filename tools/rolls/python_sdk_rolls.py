"""Issue 22 evidence: the official Python SDK's (spotinst-sdk-python, spotinst_sdk2) roll, healthiness, detach
and suspension methods against the simulator. Usage (a simulator on loopback, the SDK on PYTHONPATH):
  ./spot-api simulator --port 18781 --account act-12345678=secret &
  PYTHONPATH=/path/to/spotinst-sdk-python python3 tools/rolls/python_sdk_rolls.py http://127.0.0.1:18781 act-12345678 secret
Prints what each SDK call returned; exits non-zero on the first call the SDK could not decode."""
import json, sys, requests
from spotinst_sdk2 import SpotinstSession
from spotinst_sdk2.models.elastigroup import aws as eg

base, account, token = sys.argv[1:4]
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
group = {"group": {"name": "py-roll", "capacity": {"minimum": 0, "maximum": 8, "target": 4},
         "compute": {"product": "Linux/UNIX", "availabilityZones": [{"name": "us-east-1a", "subnetIds": ["subnet-0123"]}],
                     "instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro"]},
                     "launchSpecification": {"imageId": "ami-00000000000000001", "securityGroupIds": ["sg-0123"]}}}}
r = requests.post(base + "/aws/ec2/group?accountId=" + account, headers=H, data=json.dumps(group))
r.raise_for_status()
gid = r.json()["response"]["items"][0]["id"]
requests.post(base + "/_sim/clock/set", data='{"frozen": true}')
session = SpotinstSession(auth_token=token, account_id=account, base_url=base)
client = session.client("elastigroup_aws")
strategy = eg.RollStrategy(action="REPLACE_SERVER", batch_min_healthy_percentage=50,
                           on_failure=eg.OnFailure(action_type="DETACH_NEW", should_decrement_target_capacity=True))
started = client.roll_group(group_id=gid, group_roll=eg.Roll(batch_size_percentage=50, grace_period=60,
                                                               health_check_type="EC2", strategy=strategy))
roll_id = started["items"][0]["id"]
print("roll_group ->", started["items"][0])
print("get_all_group_deployment ->", client.get_all_group_deployment(group_id=gid))
print("get_deployment_status ->", client.get_deployment_status(group_id=gid, roll_id=roll_id))
health = client.get_instance_healthiness(group_id=gid)
print("get_instance_healthiness ->", health)
print("stop_deployment ->", client.stop_deployment(group_id=gid, roll_id=roll_id)["status"])
print("detach_elastigroup_instances ->", client.detach_elastigroup_instances(group_id=gid,
      detach_configuration=eg.DetachConfiguration(instances_to_detach=[health[0]["instance_id"]],
                                                  should_terminate_instances=True,
                                                  should_decrement_target_capacity=True, draining_timeout=0)))
print("suspend_process ->", client.suspend_process(group_id=gid, processes=None,
      suspensions=[{"name": "AUTO_HEALING", "ttlInMinutes": 60}, {"name": "SCHEDULING"}]))
print("get_suspended_processes ->", client.list_suspended_process(group_id=gid)
      if hasattr(client, "list_suspended_process") else "n/a")
print("remove_suspended_process ->", client.remove_suspended_process(group_id=gid, processes=["AUTO_HEALING"]))
print("list_suspended_process after ->", client.list_suspended_process(group_id=gid))
