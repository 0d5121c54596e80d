"""Adds the issue 22 routes (rolls, healthiness, detach, suspensions) to src/main/resources/openapi.json.
Run once from the repo root: python3 tools/rolls/openapi_rolls.py (idempotent)."""
import copy, json, collections
P = 'src/main/resources/openapi.json'
d = json.load(open(P), object_pairs_hook=collections.OrderedDict)
paths = d['paths']
G = '/v1/spot/{account}/elastigroups/{elastigroup}'
scale = paths[G + '/scale']['put']
status = paths[G + '/status']['get']
power = paths[G + '/power']['put']

def op(template, summary, opid, body=None, ok=None, extra_params=(), drop=()):
    o = copy.deepcopy(template)
    o['summary'] = summary
    o['operationId'] = opid
    o['tags'] = ['elastigroups']
    o['parameters'] = [p for p in o['parameters'] if p.get('name') not in drop and p.get('$ref', '').split('/')[-1] not in drop]
    o['parameters'][2:2] = list(extra_params)
    if body is None:
        o.pop('requestBody', None)
    else:
        o['requestBody'] = {'required': True, 'content': {'application/json': {'schema': {'$ref': '#/components/schemas/' + body[0]}, 'example': body[1]}}}
    for code, spec in (ok or {}).items():
        o['responses'][code] = spec
    return o

def ok200(desc, schema, template):
    r = copy.deepcopy(template['responses']['200'])
    r['description'] = desc
    r['content'] = {'application/json': {'schema': {'$ref': '#/components/schemas/' + schema}}}
    return r

roll_param = {'name': 'roll', 'in': 'path', 'required': True, 'description': "Spot's roll (deployment) id",
              'schema': {'type': 'string', 'pattern': '^sbgd-[0-9a-zA-Z]{1,32}$'}, 'example': 'sbgd-3f127ed0'}
process_param = {'name': 'process', 'in': 'path', 'required': True, 'description': 'A suspended process',
                 'schema': {'type': 'string', 'enum': ['AUTO_SCALE', 'AUTO_HEALING', 'OUT_OF_STRATEGY',
                 'PREVENTIVE_REPLACEMENT', 'REVERT_PREFERRED', 'SCHEDULING']}, 'example': 'AUTO_HEALING'}
roll_header = {'description': "Spot's id of the roll this request started", 'schema': {'type': 'string'}}
d['components']['headers']['X-Spot-Roll'] = roll_header

def roll202(desc, schema):
    r = copy.deepcopy(scale['responses']['202'])
    r['description'] = desc
    r['headers']['X-Spot-Roll'] = {'$ref': '#/components/headers/X-Spot-Roll'}
    r['content'] = {'application/json': {'schema': {'$ref': '#/components/schemas/' + schema}}}
    return r

start = op(scale, 'Start a roll (blue/green deployment): always asynchronous', 'rollElastigroup',
           body=('RollRequest', {'batchSizePercentage': 50, 'gracePeriod': 300, 'healthCheckType': 'EC2',
                 'strategy': {'action': 'REPLACE_SERVER', 'batchMinHealthyPercentage': 50,
                              'onFailure': {'actionType': 'DETACH_NEW', 'shouldDecrementTargetCapacity': True}}}),
           drop=('PreferAsync',))
start['responses'].pop('200')
start['responses']['202'] = roll202('Spot started the roll: its id in X-Spot-Roll and the body; the task named by '
    'X-Flywheel-Task follows it batch by batch to FINISHED (completed), FAILED or STOPPED (failed)', 'RollStarted')
start['responses']['409']['description'] = 'The group already has a roll running (named in the message)'
lst = op(status, "The group's rolls, newest first (Spot's deployment items)", 'listElastigroupRolls',
         ok={'200': ok200("Spot's deployment items", 'RollList', status)})
one = op(status, 'One roll: status, progress, batches and per-instance (blue/green) state', 'getElastigroupRoll',
         extra_params=[roll_param], ok={'200': ok200('The roll', 'Roll', status)})
stop = op(power, 'Stop a roll (between batches: the batch in progress is undone)', 'stopElastigroupRoll',
          body=('RollStop', {'status': 'STOPPED'}), extra_params=[roll_param], drop=('PreferAsync',))
stop['responses'].pop('202', None)
health = op(status, "The group's instances with their health", 'elastigroupHealthiness',
            ok={'200': ok200("Spot's instance healthiness items", 'InstanceHealthList', status)})
detach = op(power, 'Detach instances from the group', 'detachElastigroupInstances',
            body=('DetachRequest', {'instancesToDetach': ['i-0123456789abcdef0'], 'shouldDecrementTargetCapacity': True,
                  'shouldTerminateInstances': True, 'drainingTimeout': 60}), drop=('PreferAsync',))
detach['responses'].pop('202', None)
susp = op(status, 'The active process suspensions', 'listElastigroupSuspensions',
          ok={'200': ok200("Spot's suspensions", 'Suspensions', status)})
suspend = op(scale, 'Suspend processes', 'suspendElastigroupProcesses',
             body=('SuspensionsRequest', {'suspensions': [{'name': 'AUTO_HEALING', 'ttlInMinutes': 60}]}),
             ok={'200': ok200('The active suspensions', 'Suspensions', scale)}, drop=('PreferAsync',))
suspend['responses'].pop('202', None)
resume = op(power, 'Resume a suspended process', 'resumeElastigroupProcess', extra_params=[process_param],
            drop=('PreferAsync', 'IdempotencyKey'))
resume['responses'].pop('202', None)
resume['responses'].pop('413', None)
resume['responses'].pop('422', None)

paths[G + '/rolls'] = {'get': lst, 'post': start}
paths[G + '/rolls/{roll}'] = {'get': one, 'put': stop}
paths[G + '/healthiness'] = {'get': health}
paths[G + '/detach'] = {'put': detach}
paths[G + '/suspensions'] = {'get': susp, 'put': suspend}
paths[G + '/suspensions/{process}'] = {'delete': resume}

upd = paths[G]['put']
if not any(p.get('name') == 'roll' for p in upd['parameters']):
    upd['parameters'].append({'name': 'roll', 'in': 'query', 'required': False,
        'description': 'Also start a roll after the update (Terraform\'s should_roll): `true` for the defaults '
                       '(20 %, grace 300 s, REPLACE_SERVER) or a JSON object of roll parameters (RollRequest)',
        'schema': {'type': 'string'}, 'example': '{"batchSizePercentage":50,"gracePeriod":120}'})
    r = copy.deepcopy(upd['responses']['200'])
    r['description'] = 'With ?roll: the group is updated and the roll started; the updated group, the roll in X-Spot-Roll, its task in X-Flywheel-Task'
    r['headers']['X-Spot-Roll'] = {'$ref': '#/components/headers/X-Spot-Roll'}
    r['headers']['X-Flywheel-Task'] = {'$ref': '#/components/headers/X-Flywheel-Task'}
    r['headers']['Preference-Applied'] = {'$ref': '#/components/headers/Preference-Applied'}
    upd['responses']['202'] = r
    upd['responses'].setdefault('409', copy.deepcopy(start['responses']['409']))

S = d['components']['schemas']
intr = lambda lo, hi, desc: {'type': 'integer', 'minimum': lo, 'maximum': hi, 'description': desc}
S['RollRequest'] = {'type': 'object', 'additionalProperties': False, 'required': ['batchSizePercentage'],
    'description': "Spot's start-deployment body (OAS /aws/ec2/group/{groupId}/roll; Go SDK RollGroupInput)",
    'properties': {
        'batchSizePercentage': intr(1, 100, 'Per cent of the instances replaced per batch'),
        'gracePeriod': intr(0, 7200, 'Seconds a new instance has to become healthy'),
        'healthCheckType': {'type': 'string', 'enum': ['ELB', 'ECS_CLUSTER_INSTANCE', 'TARGET_GROUP', 'OPSWORKS',
            'NOMAD_NODE', 'HCS', 'EC2', 'NONE', 'K8S_NODE', 'MULTAI_TARGET_SET']},
        'drainingTimeout': intr(0, 3600, 'Seconds to drain an old instance'),
        'strategy': {'type': 'object', 'additionalProperties': False, 'properties': {
            'action': {'type': 'string', 'enum': ['REPLACE_SERVER', 'RESTART_SERVER']},
            'batchMinHealthyPercentage': intr(0, 100, 'Least per cent of a batch that must be healthy (Spot: 50)'),
            'shouldDrainInstances': {'type': 'boolean'},
            'onFailure': {'type': 'object', 'additionalProperties': False, 'required': ['actionType'], 'properties': {
                'actionType': {'type': 'string', 'enum': ['DETACH_OLD', 'DETACH_NEW']},
                'shouldHandleAllBatches': {'type': 'boolean'},
                'batchNum': {'type': 'integer', 'minimum': 1, 'maximum': 1000},
                'drainingTimeout': intr(0, 3600, 'Seconds'),
                'shouldDecrementTargetCapacity': {'type': 'boolean'}}}}}}}
S['Roll'] = {'type': 'object', 'additionalProperties': True,
    'description': "Spot's deployment item (Go SDK RollGroupStatus) with the detail of .../roll/{rollId}/status (RollStatusOutput)",
    'properties': {'id': {'type': 'string'}, 'status': {'type': 'string', 'description': 'IN_PROGRESS, FINISHED, FAILED, STOPPED'},
        'progress': {'type': 'object', 'properties': {'unit': {'type': 'string'}, 'value': {'type': 'number'}}},
        'currentBatch': {'type': 'integer'}, 'numOfBatches': {'type': 'integer'}, 'gracePeriod': {'type': 'integer'},
        'strategyAction': {'type': 'string'}, 'healthCheck': {'type': 'string'},
        'instances': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': True}}}}
S['RollList'] = {'type': 'array', 'items': {'$ref': '#/components/schemas/Roll'}}
S['RollStarted'] = {'type': 'object', 'required': ['rollId', 'roll'], 'properties': {
    'rollId': {'type': 'string'}, 'roll': {'$ref': '#/components/schemas/Roll'}}}
S['RollStop'] = {'type': 'object', 'additionalProperties': False, 'required': ['status'],
    'properties': {'status': {'type': 'string', 'enum': ['STOPPED']}}}
S['InstanceHealthList'] = {'type': 'array', 'items': {'type': 'object', 'additionalProperties': True, 'properties': {
    'instanceId': {'type': 'string'}, 'spotRequestId': {'type': 'string'}, 'groupId': {'type': 'string'},
    'availabilityZone': {'type': 'string'}, 'lifeCycle': {'type': 'string'},
    'healthStatus': {'type': 'string', 'description': 'HEALTHY, UNHEALTHY, INSUFFICIENT_DATA, UNKNOWN'}}}}
S['DetachRequest'] = {'type': 'object', 'additionalProperties': False,
    'required': ['instancesToDetach', 'shouldDecrementTargetCapacity', 'shouldTerminateInstances'],
    'description': "Spot's detach-instance body (Go SDK DetachGroupInput)",
    'properties': {'instancesToDetach': {'type': 'array', 'minItems': 1, 'maxItems': 1000,
        'items': {'type': 'string', 'pattern': '^i-[0-9a-f]{8,17}$'}},
        'shouldDecrementTargetCapacity': {'type': 'boolean'}, 'shouldTerminateInstances': {'type': 'boolean'},
        'drainingTimeout': intr(0, 3600, 'Seconds')}}
S['SuspensionsRequest'] = {'type': 'object', 'additionalProperties': False, 'required': ['suspensions'],
    'properties': {'suspensions': {'type': 'array', 'minItems': 1, 'items': {'type': 'object', 'additionalProperties': False,
        'required': ['name'], 'properties': {'name': process_param['schema'], 'ttlInMinutes': intr(1, 10080, 'Minutes; none = until resumed')}}}}}
S['Suspensions'] = {'type': 'object', 'additionalProperties': True,
    'description': "Spot's suspensions (Go SDK SuspendProcesses)",
    'properties': {'suspensions': {'type': 'array', 'items': {'type': 'object', 'properties': {
        'name': {'type': 'string'}, 'expiresAt': {'type': 'string'}}}},
        'processes': {'type': 'array', 'items': {'type': 'string'}}}}
json.dump(d, open(P, 'w'), indent=1, ensure_ascii=False)
open(P, 'a').write('\n')
