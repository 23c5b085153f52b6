// The two patch formats the simulator accepts: JSON merge patch (RFC 7386) and JSON patch (RFC 6902).
import { ApiError, badRequest, failure } from './status';

type Json = unknown;

export function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, Json> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, Json>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, Json>)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`the server rejected our request due to an error in our request: JSON pointer "${path}" must start with "/"`);
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of operations as { op: string; path: string; value?: Json; from?: string }[]) {
    const keys = pointer(op.path);
    if (keys.length === 0) {
      if (op.op === 'replace' || op.op === 'add') doc = structuredClone(op.value);
      continue;
    }
    const parentKeys = keys.slice(0, -1);
    const last = keys[keys.length - 1];
    let parent: Json = doc;
    for (const k of parentKeys) {
      if (parent === null || typeof parent !== 'object') throw new ApiError(failure(422, 'Invalid', `jsonpatch ${op.op} operation does not apply: doc is missing path: "${op.path}"`));
      parent = (parent as Record<string, Json>)[k];
    }
    if (parent === null || typeof parent !== 'object') throw new ApiError(failure(422, 'Invalid', `jsonpatch ${op.op} operation does not apply: doc is missing path: "${op.path}"`));
    const container = parent as Record<string, Json>;
    switch (op.op) {
      case 'add':
        if (Array.isArray(container)) (container as Json[]).splice(last === '-' ? container.length : Number(last), 0, structuredClone(op.value));
        else container[last] = structuredClone(op.value);
        break;
      case 'replace':
        if (!(last in container)) throw new ApiError(failure(422, 'Invalid', `jsonpatch replace operation does not apply: doc is missing key: ${op.path}`));
        container[last] = structuredClone(op.value);
        break;
      case 'remove':
        if (!(last in container)) throw new ApiError(failure(422, 'Invalid', `jsonpatch remove operation does not apply: doc is missing path: "${op.path}"`));
        if (Array.isArray(container)) (container as Json[]).splice(Number(last), 1);
        else delete container[last];
        break;
      case 'test':
        if (JSON.stringify(container[last]) !== JSON.stringify(op.value)) throw new ApiError(failure(422, 'Invalid', `testing value ${op.path} failed`));
        break;
      default:
        throw badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
