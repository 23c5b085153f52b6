// Container image references as the container runtime parses them (the distribution reference grammar), so a
// malformed image is refused before a Job is created rather than discovered as InvalidImageName in a pod.

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const DOMAIN_ONLY = new RegExp(`^${DOMAIN}$`);
const REMAINDER = new RegExp(`^(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME_MAX = 255;

export interface ImageReference {
  /** `myacr.azurecr.io`, or undefined for Docker Hub names such as `python:3.11`. */
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** The first path component is a registry only when it looks like a host (a dot, a port or `localhost`), as the runtime decides. */
function splitRegistry(image: string): { registry?: string; rest: string } {
  const slash = image.indexOf('/');
  if (slash < 0) return { rest: image };
  const first = image.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
    return { registry: first, rest: image.slice(slash + 1) };
  }
  return { rest: image };
}

/** Parses an image reference; undefined when it is not one the container runtime would accept. */
export function parseImageReference(image: string): ImageReference | undefined {
  const { registry, rest } = splitRegistry(image);
  if (registry !== undefined && !DOMAIN_ONLY.test(registry)) return undefined;
  const m = REMAINDER.exec(rest);
  if (!m) return undefined;
  const repository = m[1]!;
  if ((registry ? registry.length + 1 : 0) + repository.length > NAME_MAX) return undefined;
  return { registry, repository, tag: m[2], digest: m[3] };
}

/** Why an image reference is malformed, in words a user can act on; undefined when it is well formed. */
export function imageProblem(image: string): string | undefined {
  if (image.trim() === '') return 'the image name is empty';
  if (/\s/.test(image)) return `image "${image}" contains whitespace`;
  if (parseImageReference(image)) return undefined;
  const { rest } = splitRegistry(image);
  const repository = rest.split(/[:@]/)[0] ?? rest;
  if (repository !== repository.toLowerCase()) {
    return `image "${image}" has upper-case letters in its repository name; repository names must be lower case`;
  }
  return `image "${image}" is not a valid image reference: expected [registry/]repository[:tag][@sha256:digest], e.g. myregistry.azurecr.io/team/train:1.0 or python:3.11`;
}

/** True for Azure Container Registry hosts, whose pull failures have a known fix (attach the registry to the cluster). */
export function isAzureContainerRegistry(image: string): boolean {
  const registry = splitRegistry(image).registry;
  return registry !== undefined && /\.azurecr\.(io|cn|us)$/i.test(registry.replace(/:\d+$/, ''));
}
