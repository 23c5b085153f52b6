import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { classifyJobEvents, classifyPod, quotaExceededMessage } from '../../../src/kube/podFailure';

// Objects shaped as the API server returns them (JSON as a watch delivers it: timestamps are strings).
const T0 = Date.parse('2026-01-10T10:00:00Z');
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
const POLICY = { pendingDeadlineMs: 60_000, autoscalerGraceMs: 300_000 };

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 't-1a2b3c4d-xk2j9', namespace: 'ml', creationTimestamp: iso(0) as unknown as Date },
    spec: {
      containers: [{ name: 'train', image: 'myacr.azurecr.io/team/train:1.2', resources: { requests: { cpu: '16', memory: '65536Mi', 'ephemeral-storage': '10240M' } } }],
      restartPolicy: 'Never',
      activeDeadlineSeconds: 3600,
      ...spec,
    },
    status,
  } as V1Pod;
}

function event(reason: string, message: string, offsetMs: number, extra: Record<string, unknown> = {}): CoreV1Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `t-1a2b3c4d-xk2j9.${reason}`, namespace: 'ml' },
    involvedObject: { kind: 'Pod', name: 't-1a2b3c4d-xk2j9', namespace: 'ml' },
    reason,
    message,
    type: 'Warning',
    count: 1,
    firstTimestamp: iso(offsetMs),
    lastTimestamp: iso(offsetMs),
    source: { component: 'default-scheduler' },
    ...extra,
  } as unknown as CoreV1Event;
}

const UNSCHEDULED = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.', lastTransitionTime: iso(1000) }] };
const MEMORY_EVENT = event('FailedScheduling', '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..', 1000);

function waiting(reason: string, message: string): Record<string, unknown> {
  return { phase: 'Pending', containerStatuses: [{ name: 'train', image: 'myacr.azurecr.io/team/train:1.2', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } }] };
}

function terminated(exitCode: number, reason: string, podStatus: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    phase: 'Failed',
    ...podStatus,
    containerStatuses: [{ name: 'train', image: 'python:3.11', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason, startedAt: iso(0), finishedAt: iso(5000) } } }],
  };
}

describe('classifyPod', () => {
  it('names the resource that does not fit, within seconds, and fails the attempt at the pending deadline', () => {
    const early = classifyPod(pod(UNSCHEDULED), [MEMORY_EVENT], T0 + 3000, POLICY);
    assert.equal(early.state, 'pending');
    assert.equal(early.terminal, false);
    assert.equal(early.reason, 'FailedScheduling');
    assert.match(early.message!, /needs 64 GiB memory; 0\/3 nodes have that free/);
    assert.match(early.message!, /Lower @kubernetes\/@resources/);
    const late = classifyPod(pod(UNSCHEDULED), [MEMORY_EVENT], T0 + 61_001, POLICY);
    assert.deepEqual([late.state, late.terminal, late.retryable], ['failed', true, false]);
  });

  it('explains several scheduling reasons, resource shortages first', () => {
    const e = event('FailedScheduling', "0/4 nodes are available: 1 node(s) had untolerated taint {sku: gpu}, 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.", 0);
    const v = classifyPod(pod(UNSCHEDULED, { nodeSelector: { agentpool: 'big' } }), [e], T0 + 1000, POLICY);
    assert.match(v.message!, /^the pod cannot be scheduled: needs 16 CPUs; 0\/4 nodes have that free; /);
    assert.match(v.message!, /no node matches the pod's node selector \(agentpool=big\): fix @kubernetes\(node_selector=\.\.\.\)/);
    assert.match(v.message!, /taint the pod does not tolerate \{sku: gpu\}: add it to @kubernetes\(tolerations=\.\.\.\)/);
  });

  it('waits the autoscaler grace when a scale-up was triggered', () => {
    const scaleUp = event('TriggeredScaleUp', 'pod triggered scale-up: [{aks-nodepool1-vmss 1->2 (max: 5)}]', 5000, { type: 'Normal', source: { component: 'cluster-autoscaler' } });
    const waitingForNode = classifyPod(pod(UNSCHEDULED), [MEMORY_EVENT, scaleUp], T0 + 120_000, POLICY);
    assert.deepEqual([waitingForNode.state, waitingForNode.terminal], ['pending', false]);
    assert.match(waitingForNode.message!, /waiting for the cluster autoscaler to add a node \(pod triggered scale-up/);
    assert.equal(classifyPod(pod(UNSCHEDULED), [MEMORY_EVENT, scaleUp], T0 + 306_000, POLICY).terminal, true);
  });

  it('stops waiting when the autoscaler says no node would fit', () => {
    const no = event('NotTriggerScaleUp', "pod didn't trigger scale-up (it wouldn't fit if a new node is added): 1 Insufficient memory", 4000, { type: 'Normal', source: { component: 'cluster-autoscaler' } });
    const v = classifyPod(pod(UNSCHEDULED), [MEMORY_EVENT, no], T0 + 5000, POLICY);
    assert.deepEqual([v.state, v.terminal], ['failed', true]);
    assert.match(v.message!, /The cluster autoscaler will not add a node/);
    const maxed = event('NotTriggerScaleUp', "pod didn't trigger scale-up: 1 max node group size reached", 4000, { type: 'Normal' });
    assert.equal(classifyPod(pod(UNSCHEDULED), [MEMORY_EVENT, maxed], T0 + 90_000, POLICY).terminal, false, 'the grace applies while a node group may grow again');
  });

  it('fails at once on an image the registry refuses, with the ACR hint', () => {
    const pulled = event('Failed', 'Failed to pull image "myacr.azurecr.io/team/train:1.2": rpc error: code = Unknown desc = failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized', 2000, { source: { component: 'kubelet' } });
    const bare = event('Failed', 'Error: ErrImagePull', 2001, { source: { component: 'kubelet' } });
    const v = classifyPod(pod(waiting('ErrImagePull', 'rpc error: 401 Unauthorized')), [pulled, bare], T0 + 3000, POLICY);
    assert.deepEqual([v.state, v.terminal, v.retryable, v.reason], ['failed', true, false, 'ErrImagePull']);
    assert.match(v.message!, /could not pull image "myacr.azurecr.io\/team\/train:1.2".*401 Unauthorized/);
    assert.match(v.message!, /az aks update --name <cluster> --resource-group <group> --attach-acr myacr/);
  });

  it('gives a transient pull failure until the pending deadline', () => {
    const p = pod(waiting('ImagePullBackOff', 'Back-off pulling image "python:3.11"'), { containers: [{ name: 'train', image: 'python:3.11' }] });
    const flaky = event('Failed', 'Failed to pull image "python:3.11": dial tcp: i/o timeout', 1000);
    assert.equal(classifyPod(p, [flaky], T0 + 10_000, POLICY).terminal, false);
    const late = classifyPod(p, [flaky], T0 + 62_000, POLICY);
    assert.equal(late.terminal, true);
    assert.match(late.message!, /Check that the image and tag exist/);
    assert.doesNotMatch(late.message!, /attach-acr/);
  });

  it('explains an invalid image name and a missing secret', () => {
    const invalid = classifyPod(pod(waiting('InvalidImageName', 'couldn\'t parse image reference "Team/Train"')), [], T0, POLICY);
    assert.deepEqual([invalid.terminal, invalid.reason], [true, 'InvalidImageName']);
    const secret = classifyPod(pod(waiting('CreateContainerConfigError', 'secret "db-creds" not found')), [], T0, POLICY);
    assert.deepEqual([secret.state, secret.terminal, secret.retryable], ['failed', true, false]);
    assert.match(secret.message!, /secret "db-creds" does not exist in namespace ml: create it \(kubectl create secret generic db-creds -n ml/);
  });

  it('reads exit 137 as out of memory with the limit, 139 as a segmentation fault', () => {
    const oom = classifyPod(pod(terminated(137, 'OOMKilled')), [], T0, { ...POLICY, memoryLimit: '4096M' });
    assert.deepEqual([oom.state, oom.reason, oom.retryable], ['failed', 'OOMKilled', true]);
    assert.match(oom.message!, /ran out of memory \(limit 4096M\)/);
    const killed = classifyPod(pod(terminated(137, 'Error')), [], T0, POLICY);
    assert.match(killed.message!, /ran out of memory \(limit 65536Mi\)/, 'the pod spec gives the amount when the policy does not');
    assert.match(classifyPod(pod(terminated(139, 'Error')), [], T0, POLICY).message!, /segmentation fault/);
    const plain = classifyPod(pod(terminated(1, 'Error')), [], T0, POLICY);
    assert.deepEqual([plain.message, plain.retryable], ['the task exited with code 1', true]);
  });

  it('reports a deadline as the @timeout reached, and an eviction with its cause', () => {
    const deadline = classifyPod(pod({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' }), [], T0, POLICY);
    assert.match(deadline.message!, /@timeout of 3600s reached/);
    const evicted = classifyPod(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' }), [], T0, POLICY);
    assert.equal(evicted.reason, 'Evicted');
    assert.match(evicted.message!, /evicted from its node: The node was low on resource: ephemeral-storage/);
  });

  it('passes running, succeeded and quietly pending pods through', () => {
    assert.deepEqual(classifyPod(pod({ phase: 'Running' }), [], T0, POLICY), { state: 'running', terminal: false, retryable: false });
    assert.deepEqual(classifyPod(pod({ phase: 'Succeeded' }), [], T0, POLICY), { state: 'succeeded', terminal: true, retryable: false });
    const pulling = classifyPod(pod(waiting('ContainerCreating', ''), { nodeName: 'aks-node-1' }), [event('Pulling', 'Pulling image "python:3.11"', 0, { type: 'Normal' })], T0 + 600_000, POLICY);
    assert.deepEqual([pulling.state, pulling.terminal], ['pending', false]);
  });
});

describe('classifyJobEvents', () => {
  it('explains a quota refusal and a missing service account', () => {
    const quota = event('FailedCreate', 'Error creating: pods "t-1a2b3c4d-xk2j9" is forbidden: exceeded quota: compute-resources, requested: requests.memory=64Gi, used: requests.memory=10Gi, limited: requests.memory=32Gi', 0, {
      involvedObject: { kind: 'Job', name: 't-1a2b3c4d-', namespace: 'ml' },
      source: { component: 'job-controller' },
    });
    const v = classifyJobEvents([quota])!;
    assert.deepEqual([v.state, v.terminal, v.reason], ['failed', true, 'ExceededQuota']);
    assert.match(v.message!, /ResourceQuota "compute-resources" does not allow this pod \(requested: requests.memory=64Gi, used: requests.memory=10Gi, limited: requests.memory=32Gi\)/);
    const sa = event('FailedCreate', 'Error creating: pods "t-1" is forbidden: error looking up service account ml/runner: serviceaccount "runner" not found', 0, { involvedObject: { kind: 'Job', name: 't-1', namespace: 'ml' } });
    assert.match(classifyJobEvents([sa])!.message!, /kubectl create serviceaccount runner -n ml/);
    assert.equal(classifyJobEvents([event('SuccessfulCreate', 'Created pod: t-1', 0, { type: 'Normal' })]), undefined);
    assert.equal(quotaExceededMessage('pods "x" is forbidden: something else'), undefined);
    // A count quota is met by fewer Jobs, not smaller requests.
    const jobs = quotaExceededMessage('jobs.batch "t-1" is forbidden: exceeded quota: object-counts, requested: count/jobs.batch=1, used: count/jobs.batch=10, limited: count/jobs.batch=10')!;
    assert.match(jobs, /allows no more of these objects/);
    assert.match(jobs, /delete finished Jobs/);
    assert.doesNotMatch(jobs, /lower the step's/);
  });
});
